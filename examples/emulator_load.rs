//! `emulator_load`: the load generator of the emulator's load benchmark.
//!
//! It drives many concurrent calls over HTTP with the same stack as the
//! emulator (hyper 1's `hyper_util` legacy client with a keep-alive pool, on
//! tokio's multi-thread runtime) and embeds the bots' callback receiver (a
//! hyper server that answers `200` to every notification POST and counts
//! them, per call and per kind). `benches/emulator_load.sh` runs it against
//! the emulator and against `bare_http` (the floor) in one run; it can also
//! be run by hand:
//!
//! ```text
//! cargo run --release --example emulator_load -- --target http://127.0.0.1:8790 --calls 1000 --seconds 15
//! cargo run --release --example emulator_load -- --bare   http://127.0.0.1:8791 --calls 1000 --seconds 15
//! ```
//!
//! With `--target`, it first creates `--calls` outbound calls
//! (`POST /v1.0/communications/calls`, service-hosted media, `callbackUri`
//! the receiver with the call's index in the path) and waits until the
//! receiver has the `established` notification of each. Then `--connections`
//! workers, each owning every C-th call, run cycles over their calls, step by
//! step over all of them (so every call holds a playing prompt at once):
//! `subscribeToTone`, `playPrompt` (a prompt of `durationMs=60000`, so it
//! never ends by itself), a caller tone (`POST /emulator/calls/{id}/events
//! {"event":"tone","tone":"5"}`, or with `--tone-via script` a one-event
//! script due at once, `POST /emulator/calls/{id}/script
//! [{"at_ms":0,"event":"tone","tone":"5"}]`) and `cancelMediaProcessing`; again and
//! again until `--seconds` have passed after `--warmup`; a worker finishes
//! the cycle it is in. Every request's latency is recorded (request sent to
//! body read); anything but a 2xx is an error, counted by status.
//!
//! Each cycle must yield exactly two notifications: the tone (the call is
//! subscribed) and the cancelled playPrompt (`failed`, 8508); each call also
//! `establishing` and `established`. At the end it waits for the
//! notifications to drain, compares what the receiver got with what the
//! requests it made imply, per call and per kind (and checks each call's tone
//! `sequenceId`s run 1, 2, 3, ... without a gap), and reads every call's
//! delivery counters (`GET /emulator/calls/{id}`: sent, retried, dropped,
//! pending) to show nothing was dropped or is still pending.
//!
//! With `--bare`, it sends the same request mix with the same concurrency
//! to a server that answers anything (no call setup, no notifications).
//!
//! Output, on stdout, `key=value` lines whose first word is the label
//! (`--label`, default `emulator` or `floor`):
//!
//! ```text
//! emulator requests_per_s=... p50_ms=... p99_ms=... notifications_per_s=... lost=... errors=... ...
//! emulator.op op=playPrompt requests=... p50_ms=... p90_ms=... p99_ms=... max_ms=...
//! emulator.status 200=... 202=...             (requests by status; no_answer: none)
//! emulator.setup calls=... failed=... create_p50_ms=... all_established_ms=... 201=...
//! emulator.notifications expected=... received=... lost=... unexpected=... ...
//! emulator.delivery sent=... retried=... dropped=... pending=...
//! ```
//!
//! The exit status is 0 when the run went through (its figures say how
//! well), 2 when it could not run (bad arguments, no server, no call set up).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;

const USAGE: &str = "\
usage: emulator_load (--target URL | --bare URL) [OPTIONS]
  --target URL         the emulator's base URL (http://HOST:PORT)
  --bare URL           a server that answers anything (the floor): same requests, no calls
  --calls N            concurrent calls (default 1000)
  --seconds S          measured seconds of cycles (default 15)
  --warmup S           unmeasured seconds of cycles before them (default 1)
  --connections C      concurrent requests: workers, each owning every C-th call (default 32)
  --label NAME         first word of the output lines (default: emulator or floor)
  --drain-timeout S    how long to wait for notifications without progress (default 30)
  --setup-timeout S    how long to wait for every call to be established (default 60)
  --tone-via WAY       events (default): POST /emulator/calls/{id}/events {\"event\":\"tone\",...};
                       script: POST /emulator/calls/{id}/script [{\"at_ms\":0,\"event\":\"tone\",...}]";

/// One request of a cycle, in cycle order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Subscribe,
    Play,
    Tone,
    Cancel,
}

const STEPS: [Step; 4] = [Step::Subscribe, Step::Play, Step::Tone, Step::Cancel];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Subscribe => "subscribeToTone",
            Step::Play => "playPrompt",
            Step::Tone => "tone",
            Step::Cancel => "cancelMediaProcessing",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// `script`: the caller's tone goes as a one-event script due at once
    /// (`--tone-via script`) rather than as an event.
    fn body(self, script: bool) -> Bytes {
        Bytes::from_static(match self {
            Step::Tone if script => br#"[{"at_ms":0,"event":"tone","tone":"5"}]"#,
            Step::Subscribe => br#"{"clientContext":"load-subscribe"}"#,
            Step::Play => {
                br##"{"clientContext":"load-play","prompts":[{"@odata.type":"#microsoft.graph.mediaPrompt","mediaInfo":{"@odata.type":"#microsoft.graph.mediaInfo","uri":"https://cdn.example/ivr/menu.wav?durationMs=60000","resourceId":"4fa3d2c1-menu"}}]}"##
            }
            Step::Tone => br#"{"event":"tone","tone":"5"}"#,
            Step::Cancel => br#"{"clientContext":"load-cancel"}"#,
        })
    }

    fn path(self, call_id: &str, script: bool) -> String {
        match self {
            Step::Tone if script => format!("/emulator/calls/{call_id}/script"),
            Step::Subscribe => format!("/v1.0/communications/calls/{call_id}/subscribeToTone"),
            Step::Play => format!("/v1.0/communications/calls/{call_id}/playPrompt"),
            Step::Tone => format!("/emulator/calls/{call_id}/events"),
            Step::Cancel => format!("/v1.0/communications/calls/{call_id}/cancelMediaProcessing"),
        }
    }
}

#[derive(Clone, Debug)]
struct Options {
    base: String,
    bare: bool,
    calls: usize,
    seconds: f64,
    warmup: f64,
    connections: usize,
    label: String,
    drain_timeout: f64,
    setup_timeout: f64,
    tone_via_script: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut target = None;
    let mut bare = None;
    let mut options = Options {
        base: String::new(),
        bare: false,
        calls: 1000,
        seconds: 15.0,
        warmup: 1.0,
        connections: 32,
        label: String::new(),
        drain_timeout: 30.0,
        tone_via_script: false,
        setup_timeout: 60.0,
    };
    fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<T, String> {
        let value = value.ok_or_else(|| format!("{name} needs a value"))?;
        value
            .parse()
            .map_err(|_| format!("{name}: {value:?} is not a valid number"))
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => target = Some(args.next().ok_or("--target needs a URL")?),
            "--bare" => bare = Some(args.next().ok_or("--bare needs a URL")?),
            "--calls" => options.calls = number(&arg, args.next())?,
            "--seconds" => options.seconds = number(&arg, args.next())?,
            "--warmup" => options.warmup = number(&arg, args.next())?,
            "--connections" => options.connections = number(&arg, args.next())?,
            "--label" => options.label = args.next().ok_or("--label needs a name")?,
            "--drain-timeout" => options.drain_timeout = number(&arg, args.next())?,
            "--setup-timeout" => options.setup_timeout = number(&arg, args.next())?,
            "--tone-via" => {
                options.tone_via_script = match args.next().as_deref() {
                    Some("events") => false,
                    Some("script") => true,
                    _ => return Err("--tone-via: events or script".into()),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (target, bare) {
        (Some(url), None) => options.base = url,
        (None, Some(url)) => {
            options.base = url;
            options.bare = true;
        }
        _ => return Err("give exactly one of --target URL and --bare URL".into()),
    }
    options.base = options.base.trim_end_matches('/').to_owned();
    if !options.base.starts_with("http://") {
        return Err(format!("{}: only http:// URLs are served", options.base));
    }
    if options.calls == 0 || options.connections == 0 {
        return Err("--calls and --connections must be at least 1".into());
    }
    for (name, value) in [
        ("--seconds", options.seconds),
        ("--warmup", options.warmup),
        ("--drain-timeout", options.drain_timeout),
        ("--setup-timeout", options.setup_timeout),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("{name} must be a non-negative number of seconds"));
        }
    }
    if options.seconds <= 0.0 {
        return Err("--seconds must be more than 0".into());
    }
    options.connections = options.connections.min(options.calls);
    if options.label.is_empty() {
        options.label = if options.bare { "floor" } else { "emulator" }.into();
    }
    Ok(options)
}

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("emulator_load: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(options)) {
        Ok(report) => print!("{report}"),
        Err(message) => {
            eprintln!("emulator_load: {message}");
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------------------
// The HTTP client

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Status 0 in the counts: no HTTP answer (connection error or timeout).
const NO_ANSWER: u16 = 0;

fn client(connections: usize) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(connections + 8)
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector)
}

/// Sends one request and reads its whole body. `Err` is a transport failure
/// or a timeout, with a message.
async fn send(
    client: &HttpClient,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Result<(StatusCode, Bytes), String> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {REQUEST_TIMEOUT:?}")),
    }
}

fn uri(base: &str, path: &str) -> Result<Uri, String> {
    format!("{base}{path}")
        .parse()
        .map_err(|e| format!("{base}{path}: {e}"))
}

// ---------------------------------------------------------------------------
// The callback receiver

/// What the receiver counted for one call. The emulator sends a call's
/// notifications one at a time, so its counters are only ever written by one
/// request at a time; atomics make them readable from the main task.
#[derive(Default)]
struct CallCounts {
    establishing: AtomicU64,
    established: AtomicU64,
    tone: AtomicU64,
    /// Tone notifications whose `sequenceId` was not the previous one + 1.
    tone_out_of_sequence: AtomicU64,
    last_sequence: AtomicU64,
    play_cancelled: AtomicU64,
    other: AtomicU64,
}

struct Receiver {
    calls: Vec<CallCounts>,
    /// Notification items received (a POST may carry several).
    total: AtomicU64,
    /// POSTs the receiver could not attribute or parse.
    malformed: AtomicU64,
    /// A few notifications that were neither expected kind, for the report.
    samples: parking_lot::Mutex<Vec<String>>,
}

impl Receiver {
    fn new(calls: usize) -> Self {
        Receiver {
            calls: (0..calls).map(|_| CallCounts::default()).collect(),
            total: AtomicU64::new(0),
            malformed: AtomicU64::new(0),
            samples: parking_lot::Mutex::new(Vec::new()),
        }
    }

    fn sample(&self, what: String) {
        let mut samples = self.samples.lock();
        if samples.len() < 3 {
            samples.push(what);
        }
    }

    /// Counts one delivery: `path` is `/callback/{index}`.
    fn record(&self, path: &str, body: &[u8]) {
        let Some(counts) = path
            .strip_prefix("/callback/")
            .and_then(|index| index.parse::<usize>().ok())
            .and_then(|index| self.calls.get(index))
        else {
            self.malformed.fetch_add(1, Ordering::Relaxed);
            self.sample(format!("POST {path}"));
            return;
        };
        let items = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(mut envelope)) => match envelope.remove("value") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if items.is_empty() {
            self.malformed.fetch_add(1, Ordering::Relaxed);
            self.sample(String::from_utf8_lossy(body).into_owned());
            return;
        }
        for item in &items {
            self.total.fetch_add(1, Ordering::Relaxed);
            let data = &item["resourceData"];
            let odata_type = data["@odata.type"].as_str().unwrap_or("");
            if let Some(sequence) = data.get("toneInfo").map(|t| &t["sequenceId"]) {
                counts.tone.fetch_add(1, Ordering::Relaxed);
                let sequence = sequence.as_u64().unwrap_or(0);
                let last = counts.last_sequence.swap(sequence, Ordering::Relaxed);
                if sequence != last + 1 {
                    counts.tone_out_of_sequence.fetch_add(1, Ordering::Relaxed);
                }
            } else if odata_type == "#microsoft.graph.call" {
                match data["state"].as_str() {
                    Some("establishing") => &counts.establishing,
                    Some("established") => &counts.established,
                    _ => {
                        self.sample(item.to_string());
                        &counts.other
                    }
                }
                .fetch_add(1, Ordering::Relaxed);
            } else if odata_type == "#microsoft.graph.playPromptOperation"
                && item["changeType"] == "deleted"
                && data["status"] == "failed"
                && data["resultInfo"]["subcode"] == 8508
            {
                counts.play_cancelled.fetch_add(1, Ordering::Relaxed);
            } else {
                counts.other.fetch_add(1, Ordering::Relaxed);
                self.sample(item.to_string());
            }
        }
    }
}

/// Serves the receiver on 127.0.0.1 (a free port) and returns its address.
async fn start_receiver(receiver: Arc<Receiver>) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("callback receiver: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    eprintln!("emulator_load: callback receiver: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let receiver = receiver.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let is_post = request.method() == Method::POST;
                        let body = request
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        if is_post {
                            receiver.record(&path, &body);
                        }
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}

// ---------------------------------------------------------------------------
// Call setup (emulator mode)

/// Creates the calls, `connections` at a time; returns each call's id by
/// index (`None`: its creation failed) and the creation latencies.
async fn create_calls(
    client: &HttpClient,
    options: &Options,
    receiver: SocketAddr,
) -> Result<(Vec<Option<String>>, Vec<u32>, BTreeMap<u16, u64>), String> {
    let endpoint = uri(&options.base, "/v1.0/communications/calls")?;
    let mut tasks = Vec::new();
    for worker in 0..options.connections {
        let client = client.clone();
        let endpoint = endpoint.clone();
        let calls = options.calls;
        let connections = options.connections;
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut latencies = Vec::new();
            let mut statuses = BTreeMap::new();
            for index in (worker..calls).step_by(connections) {
                let body = serde_json::json!({
                    "@odata.type": "#microsoft.graph.call",
                    "callbackUri": format!("http://{receiver}/callback/{index}"),
                    "targets": [{
                        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
                        "identity": {
                            "@odata.type": "#microsoft.graph.identitySet",
                            "phone": {
                                "@odata.type": "#microsoft.graph.identity",
                                "id": format!("+1555{index:07}"),
                            }
                        }
                    }],
                    "requestedModalities": ["audio"],
                    "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
                    "tenantId": "00000000-0000-0000-0000-000000000001",
                });
                let started = Instant::now();
                let result = send(
                    &client,
                    Method::POST,
                    endpoint.clone(),
                    Bytes::from(body.to_string()),
                )
                .await;
                latencies.push(micros(started.elapsed()));
                let id = match result {
                    Ok((status, body)) if status.is_success() => {
                        *statuses.entry(status.as_u16()).or_insert(0) += 1;
                        serde_json::from_slice::<Value>(&body)
                            .ok()
                            .and_then(|call| call["id"].as_str().map(str::to_owned))
                    }
                    Ok((status, body)) => {
                        *statuses.entry(status.as_u16()).or_insert(0) += 1;
                        eprintln!(
                            "emulator_load: creating call {index}: {status}: {}",
                            String::from_utf8_lossy(&body)
                        );
                        None
                    }
                    Err(e) => {
                        *statuses.entry(NO_ANSWER).or_insert(0) += 1;
                        eprintln!("emulator_load: creating call {index}: {e}");
                        None
                    }
                };
                ids.push((index, id));
            }
            (ids, latencies, statuses)
        }));
    }
    let mut ids = vec![None; options.calls];
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        let (worker_ids, worker_latencies, worker_statuses) =
            task.await.map_err(|e| e.to_string())?;
        for (index, id) in worker_ids {
            ids[index] = id;
        }
        latencies.extend(worker_latencies);
        merge(&mut statuses, worker_statuses);
    }
    Ok((ids, latencies, statuses))
}

// ---------------------------------------------------------------------------
// The cycles

/// What a worker's requests imply for one of its calls.
#[derive(Default, Clone)]
struct Expected {
    subscribed: bool,
    /// playPrompts accepted and not yet cancelled.
    playing: u64,
    tones: u64,
    play_cancelled: u64,
}

struct CallTarget {
    index: usize,
    uris: [Uri; 4],
}

#[derive(Default)]
struct WorkerReport {
    /// Latencies in microseconds of the measured requests, by step.
    latencies: [Vec<u32>; 4],
    /// Measured requests by status (0: no answer).
    statuses: BTreeMap<u16, u64>,
    /// All requests, measured or not.
    requests: u64,
    expected: Vec<(usize, Expected)>,
    /// A few error answers, for the report.
    error_samples: Vec<String>,
}

/// The measured window, in microseconds since the cycles started.
#[derive(Clone, Copy)]
struct Window {
    start_us: u64,
    stop_us: u64,
}

async fn worker(
    client: HttpClient,
    calls: Vec<CallTarget>,
    bodies: [Bytes; 4],
    clock: Instant,
    window: Window,
) -> WorkerReport {
    let mut report = WorkerReport {
        expected: calls
            .iter()
            .map(|c| (c.index, Expected::default()))
            .collect(),
        ..WorkerReport::default()
    };
    loop {
        for step in STEPS {
            for (call, (_, expected)) in calls.iter().zip(report.expected.iter_mut()) {
                let started = Instant::now();
                let result = send(
                    &client,
                    Method::POST,
                    call.uris[step.index()].clone(),
                    bodies[step.index()].clone(),
                )
                .await;
                let done = clock.elapsed();
                let latency = micros(started.elapsed());
                report.requests += 1;
                let status = match &result {
                    Ok((status, _)) => status.as_u16(),
                    Err(_) => NO_ANSWER,
                };
                let ok = (200..300).contains(&status);
                if ok {
                    match step {
                        Step::Subscribe => expected.subscribed = true,
                        Step::Play => expected.playing += 1,
                        Step::Tone => expected.tones += u64::from(expected.subscribed),
                        Step::Cancel => {
                            expected.play_cancelled += expected.playing;
                            expected.playing = 0;
                        }
                    }
                } else if report.error_samples.len() < 5 {
                    let what = match &result {
                        Ok((status, body)) => {
                            format!("{status} {}", String::from_utf8_lossy(body))
                        }
                        Err(e) => e.clone(),
                    };
                    report.error_samples.push(format!(
                        "{} {}: {what}",
                        step.name(),
                        call.uris[step.index()]
                    ));
                }
                let done_us = micros64(done);
                if done_us >= window.start_us && done_us <= window.stop_us {
                    report.latencies[step.index()].push(latency);
                    *report.statuses.entry(status).or_insert(0) += 1;
                }
            }
        }
        if micros64(clock.elapsed()) >= window.stop_us {
            return report;
        }
    }
}

// ---------------------------------------------------------------------------
// The run

async fn run(options: Options) -> Result<String, String> {
    let client = client(options.connections);
    let receiver = Arc::new(Receiver::new(options.calls));
    if options.bare {
        // Made-up call ids of the emulator's shape: the same request sizes.
        let ids = (0..options.calls)
            .map(|i| Some(format!("2f1a0000-0000-4000-8000-{i:012}")))
            .collect::<Vec<_>>();
        let cycles = run_cycles(&client, &options, &ids, &receiver).await?;
        return Ok(report(&options, &receiver, &cycles, None));
    }
    let (ids, setup) = set_up_calls(&client, &options, &receiver).await?;
    let cycles = run_cycles(&client, &options, &ids, &receiver).await?;
    let check = drain_and_check(&client, &options, &ids, &receiver, &cycles.expected).await;
    Ok(report(&options, &receiver, &cycles, Some((&setup, &check))))
}

/// How the calls were set up.
struct Setup {
    created: usize,
    latencies: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    /// From the first create to the last `established` notification.
    establish: Duration,
}

/// Starts the receiver, creates the calls and waits until every call it
/// created is established; returns each call's id by index.
async fn set_up_calls(
    client: &HttpClient,
    options: &Options,
    receiver: &Arc<Receiver>,
) -> Result<(Vec<Option<String>>, Setup), String> {
    let address = start_receiver(receiver.clone()).await?;
    let started = Instant::now();
    let (ids, mut latencies, statuses) = create_calls(client, options, address).await?;
    latencies.sort_unstable();
    let created = ids.iter().filter(|id| id.is_some()).count();
    if created == 0 {
        return Err(format!(
            "no call could be created at {} (statuses: {})",
            options.base,
            status_list(&statuses)
        ));
    }
    let deadline = Instant::now() + Duration::from_secs_f64(options.setup_timeout);
    loop {
        let waiting = ids
            .iter()
            .zip(&receiver.calls)
            .filter(|(id, counts)| id.is_some() && counts.established.load(Ordering::Relaxed) == 0)
            .count();
        if waiting == 0 {
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{waiting} of {created} calls were not established within {}s",
                options.setup_timeout
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let setup = Setup {
        created,
        latencies,
        statuses,
        establish: started.elapsed(),
    };
    Ok((ids, setup))
}

/// What the cycles did, merged over the workers.
struct Cycles {
    calls: usize,
    connections: usize,
    /// Measured latencies by step, sorted.
    latencies: [Vec<u32>; 4],
    /// Measured requests by status (0: no answer).
    statuses: BTreeMap<u16, u64>,
    /// By call index.
    expected: Vec<Expected>,
    error_samples: Vec<String>,
    /// All requests, measured or not.
    requests: u64,
    /// Notifications the receiver got within the measured window.
    notified_in_window: u64,
    /// The measured window's length.
    seconds: f64,
    /// From the first request to the end of the last worker's last cycle.
    elapsed: Duration,
}

/// Runs the workers over the calls until the measured window has passed.
async fn run_cycles(
    client: &HttpClient,
    options: &Options,
    ids: &[Option<String>],
    receiver: &Receiver,
) -> Result<Cycles, String> {
    let calls = ids.iter().flatten().count();
    let connections = options.connections.min(calls);
    let mut per_worker: Vec<Vec<CallTarget>> = (0..connections).map(|_| Vec::new()).collect();
    let targets = ids
        .iter()
        .enumerate()
        .filter_map(|(index, id)| id.as_ref().map(|id| (index, id)));
    for (n, (index, id)) in targets.enumerate() {
        let mut uris = Vec::with_capacity(STEPS.len());
        for step in STEPS {
            uris.push(uri(&options.base, &step.path(id, options.tone_via_script))?);
        }
        let uris = uris.try_into().expect("one URI per step");
        per_worker[n % connections].push(CallTarget { index, uris });
    }
    let window = Window {
        start_us: seconds_to_micros(options.warmup),
        stop_us: seconds_to_micros(options.warmup + options.seconds),
    };
    let clock = Instant::now();
    let tasks: Vec<_> = per_worker
        .into_iter()
        .map(|calls| {
            let bodies = STEPS.map(|step| step.body(options.tone_via_script));
            tokio::spawn(worker(client.clone(), calls, bodies, clock, window))
        })
        .collect();
    tokio::time::sleep_until((clock + Duration::from_micros(window.start_us)).into()).await;
    let notified_at_start = receiver.total.load(Ordering::Relaxed);
    tokio::time::sleep_until((clock + Duration::from_micros(window.stop_us)).into()).await;
    let notified_in_window = receiver.total.load(Ordering::Relaxed) - notified_at_start;

    let mut cycles = Cycles {
        calls,
        connections,
        latencies: Default::default(),
        statuses: BTreeMap::new(),
        expected: vec![Expected::default(); ids.len()],
        error_samples: Vec::new(),
        requests: 0,
        notified_in_window,
        seconds: (window.stop_us - window.start_us) as f64 / 1e6,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let report = task.await.map_err(|e| e.to_string())?;
        for (all, mine) in cycles.latencies.iter_mut().zip(report.latencies) {
            all.extend(mine);
        }
        merge(&mut cycles.statuses, report.statuses);
        for (index, expected) in report.expected {
            cycles.expected[index] = expected;
        }
        cycles.error_samples.extend(report.error_samples);
        cycles.requests += report.requests;
    }
    cycles.elapsed = clock.elapsed();
    for samples in &mut cycles.latencies {
        samples.sort_unstable();
    }
    Ok(cycles)
}

/// What the notifications and the emulator's delivery counters say.
struct Check {
    /// Expected notifications that never came (per call and kind).
    lost: u64,
    /// Notifications beyond the expected, or of another kind, or malformed.
    unexpected: u64,
    expected: u64,
    /// From the end of the cycles until nothing more was missing (or the
    /// drain timeout passed without progress).
    drain: Duration,
    delivery: Delivery,
}

/// The emulator's `delivery` counters, summed over the calls.
struct Delivery {
    sent: u64,
    retried: u64,
    dropped: u64,
    pending: u64,
    /// Calls whose counters could not be read.
    unread: u64,
}

/// Waits until every expected notification has come (or none came for
/// `--drain-timeout`), then compares and reads the delivery counters.
async fn drain_and_check(
    client: &HttpClient,
    options: &Options,
    ids: &[Option<String>],
    receiver: &Receiver,
    expected: &[Expected],
) -> Check {
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut last_missing = u64::MAX;
    let drain = loop {
        let (missing, _) = compare(receiver, expected, ids);
        if missing == 0 {
            break started.elapsed();
        }
        if missing < last_missing {
            last_missing = missing;
            last_progress = Instant::now();
        } else if last_progress.elapsed().as_secs_f64() >= options.drain_timeout {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A moment more, so that duplicates or strays would show too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (lost, unexpected) = compare(receiver, expected, ids);
    let expected = ids
        .iter()
        .zip(expected)
        .filter(|(id, _)| id.is_some())
        .map(|(_, e)| 2 + e.tones + e.play_cancelled)
        .sum();
    let delivery = read_delivery(client, options, ids).await;
    Check {
        lost,
        unexpected,
        expected,
        drain,
        delivery,
    }
}

/// The output lines.
fn report(
    options: &Options,
    receiver: &Receiver,
    cycles: &Cycles,
    emulator: Option<(&Setup, &Check)>,
) -> String {
    let label = &options.label;
    let mut all: Vec<u32> = cycles.latencies.iter().flatten().copied().collect();
    all.sort_unstable();
    let errors: u64 = cycles
        .statuses
        .iter()
        .filter(|(code, _)| !(200..300).contains(*code))
        .map(|(_, n)| n)
        .sum();
    let (notifications_per_s, lost) = match emulator {
        Some((_, check)) => (
            cycles.notified_in_window as f64 / cycles.seconds,
            check.lost,
        ),
        None => (0.0, 0),
    };
    // Creating the calls and reading their counters are requests too.
    let setup_requests = emulator.map_or(0, |(setup, _)| 2 * setup.created as u64);
    let mut out = String::new();
    let _ = write!(
        out,
        "{label} requests_per_s={:.0} p50_ms={} p99_ms={} notifications_per_s={notifications_per_s:.0} \
         lost={lost} errors={errors} requests={} all_requests={} seconds={:.1} calls={} connections={} \
         loader_hwm_kb={}",
        all.len() as f64 / cycles.seconds,
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        all.len(),
        cycles.requests + setup_requests,
        cycles.seconds,
        cycles.calls,
        cycles.connections,
        memory_kb("self").1,
    );
    if let Some((_, check)) = emulator {
        let _ = write!(
            out,
            " dropped={} pending={} drain_ms={}",
            check.delivery.dropped,
            check.delivery.pending,
            check.drain.as_millis()
        );
    }
    out.push('\n');
    for step in STEPS {
        let samples = &cycles.latencies[step.index()];
        let _ = writeln!(
            out,
            "{label}.op op={} requests={} p50_ms={} p90_ms={} p99_ms={} max_ms={}",
            step.name(),
            samples.len(),
            ms(percentile(samples, 50.0)),
            ms(percentile(samples, 90.0)),
            ms(percentile(samples, 99.0)),
            ms(samples.last().copied().unwrap_or(0)),
        );
    }
    let _ = writeln!(out, "{label}.status {}", status_list(&cycles.statuses));
    for sample in &cycles.error_samples {
        eprintln!("emulator_load: {label}: error: {sample}");
    }
    let Some((setup, check)) = emulator else {
        return out;
    };
    let _ = writeln!(
        out,
        "{label}.setup calls={} failed={} create_p50_ms={} create_p99_ms={} all_established_ms={} {}",
        setup.created,
        options.calls - setup.created,
        ms(percentile(&setup.latencies, 50.0)),
        ms(percentile(&setup.latencies, 99.0)),
        setup.establish.as_millis(),
        status_list(&setup.statuses),
    );
    let sum = |counter: fn(&CallCounts) -> &AtomicU64| -> u64 {
        receiver
            .calls
            .iter()
            .map(|c| counter(c).load(Ordering::Relaxed))
            .sum()
    };
    let received = receiver.total.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "{label}.notifications expected={} received={received} lost={} unexpected={} \
         tone_out_of_sequence={} malformed={} establishing={} established={} tone={} \
         play_cancelled={} other={} in_window={} cycles_s={:.1}",
        check.expected,
        check.lost,
        check.unexpected,
        sum(|c| &c.tone_out_of_sequence),
        receiver.malformed.load(Ordering::Relaxed),
        sum(|c| &c.establishing),
        sum(|c| &c.established),
        sum(|c| &c.tone),
        sum(|c| &c.play_cancelled),
        sum(|c| &c.other),
        cycles.notified_in_window,
        cycles.elapsed.as_secs_f64(),
    );
    let d = &check.delivery;
    let _ = writeln!(
        out,
        "{label}.delivery sent={} retried={} dropped={} pending={} unread_calls={} receiver_got={received}",
        d.sent, d.retried, d.dropped, d.pending, d.unread,
    );
    for sample in receiver.samples.lock().iter() {
        eprintln!("emulator_load: unexpected notification: {sample}");
    }
    out
}

/// Per call and per kind, what is missing and what came beyond the expected.
fn compare(receiver: &Receiver, expected: &[Expected], ids: &[Option<String>]) -> (u64, u64) {
    let mut missing = 0;
    let mut unexpected = receiver.malformed.load(Ordering::Relaxed);
    for ((counts, expected), id) in receiver.calls.iter().zip(expected).zip(ids) {
        let got = [
            counts.establishing.load(Ordering::Relaxed),
            counts.established.load(Ordering::Relaxed),
            counts.tone.load(Ordering::Relaxed),
            counts.play_cancelled.load(Ordering::Relaxed),
        ];
        let want = if id.is_some() {
            [1, 1, expected.tones, expected.play_cancelled]
        } else {
            [0; 4]
        };
        for (got, want) in got.into_iter().zip(want) {
            missing += want.saturating_sub(got);
            unexpected += got.saturating_sub(want);
        }
        unexpected += counts.other.load(Ordering::Relaxed);
    }
    (missing, unexpected)
}

/// Sums every call's `delivery` counters from `GET /emulator/calls/{id}`.
async fn read_delivery(client: &HttpClient, options: &Options, ids: &[Option<String>]) -> Delivery {
    let ids: Arc<Vec<String>> = Arc::new(ids.iter().flatten().cloned().collect());
    let mut tasks = Vec::new();
    for worker in 0..options.connections.min(ids.len()) {
        let client = client.clone();
        let ids = ids.clone();
        let base = options.base.clone();
        let connections = options.connections;
        tasks.push(tokio::spawn(async move {
            let mut sums = [0u64; 5];
            for id in ids.iter().skip(worker).step_by(connections) {
                let Ok(uri) = uri(&base, &format!("/emulator/calls/{id}")) else {
                    sums[4] += 1;
                    continue;
                };
                let delivery = match send(&client, Method::GET, uri, Bytes::new()).await {
                    Ok((status, body)) if status.is_success() => {
                        serde_json::from_slice::<Value>(&body).ok().map(|v| {
                            let d = &v["delivery"];
                            ["sent", "retried", "dropped", "pending"]
                                .map(|k| d[k].as_u64().unwrap_or(0))
                        })
                    }
                    _ => None,
                };
                match delivery {
                    Some(d) => {
                        for (sum, n) in sums.iter_mut().zip(d) {
                            *sum += n;
                        }
                    }
                    None => sums[4] += 1,
                }
            }
            sums
        }));
    }
    let mut sums = [0u64; 5];
    for task in tasks {
        if let Ok(worker) = task.await {
            for (sum, n) in sums.iter_mut().zip(worker) {
                *sum += n;
            }
        } else {
            sums[4] += 1;
        }
    }
    Delivery {
        sent: sums[0],
        retried: sums[1],
        dropped: sums[2],
        pending: sums[3],
        unread: sums[4],
    }
}

fn status_list(statuses: &BTreeMap<u16, u64>) -> String {
    let mut text = String::new();
    for (code, count) in statuses {
        let name = if *code == NO_ANSWER {
            "no_answer".to_owned()
        } else {
            code.to_string()
        };
        let _ = write!(
            text,
            "{}{name}={count}",
            if text.is_empty() { "" } else { " " }
        );
    }
    text
}

fn merge(into: &mut BTreeMap<u16, u64>, from: BTreeMap<u16, u64>) {
    for (code, count) in from {
        *into.entry(code).or_insert(0) += count;
    }
}

/// The `p`-th percentile of sorted samples (nearest rank).
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

fn seconds_to_micros(seconds: f64) -> u64 {
    // Options are checked finite and non-negative; `as` saturates.
    (seconds * 1e6) as u64
}

fn micros64(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn ms(micros: u32) -> String {
    format!("{:.3}", f64::from(micros) / 1000.0)
}

/// (VmRSS, VmHWM) in kB of `/proc/{pid}/status`; zeros where there is no such file.
fn memory_kb(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
