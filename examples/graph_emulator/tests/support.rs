//! What the tests share: a `World` built from a command line and driven
//! without I/O (every call takes `now`), and, for delivery, the emulator
//! served in-process on loopback with a callback receiver beside it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ivr_media_queue::{CallId, Instant};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::server::{self, Shared};
use crate::world::{Attempt, Outgoing, Reply, World};

/// The `--bot-callback` of the tests without I/O: never dialled.
pub const BOT: &str = "http://127.0.0.1:9/bot";
/// The `callbackUri` those tests answer and create calls with.
pub const APP: &str = "http://127.0.0.1:9/app";

/// A world made as `main` makes it, from these arguments.
pub fn world(args: &[&str]) -> World {
    let options = crate::options::parse(args.iter().map(|a| (*a).to_owned())).expect("options");
    World::new(crate::world_config(&options).expect("world config")).expect("world")
}

pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// A Graph request at virtual `now` ms.
pub fn graph(world: &mut World, now: u64, method: &str, url: &str, body: &str) -> Reply {
    world.graph(ms(now), method, url, body.as_bytes())
}

/// A `/emulator/...` request at virtual `now` ms (`?query` allowed).
pub fn control(world: &mut World, now: u64, method: &str, url: &str, body: &str) -> Reply {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    world.control(ms(now), method, path, query, body.as_bytes())
}

/// A reply's body as JSON (`null` when empty).
pub fn json_of(reply: &Reply) -> Value {
    if reply.body.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", reply.body))
}

/// The Graph error of a reply: its status, `error.code`, `error.message`.
pub fn error_of(reply: &Reply) -> (u16, String, String) {
    let body = json_of(reply);
    let code = body["error"]["code"].as_str();
    let message = body["error"]["message"].as_str();
    match (code, message) {
        (Some(code), Some(message)) => (reply.status, code.to_owned(), message.to_owned()),
        _ => panic!("not a Graph error: {} {}", reply.status, reply.body),
    }
}

/// Asserts a 400 whose message names `field` first (`field: ...`).
#[track_caller]
pub fn assert_bad_field(reply: &Reply, field: &str) {
    let (status, code, message) = error_of(reply);
    assert_eq!(
        (status, code.as_str()),
        (400, "BadRequest"),
        "for field {field}: {message}"
    );
    assert!(
        message.starts_with(&format!("{field}: ")),
        "the message should name {field:?} first: {message:?}"
    );
}

/// A service-hosted `answer` (or `create`) body calling back to `callback`.
pub fn answer_body(callback: &str) -> String {
    json!({
        "callbackUri": callback,
        "acceptedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    })
    .to_string()
}

/// A `POST /communications/calls` body calling back to `callback`.
pub fn create_body(callback: &str) -> String {
    json!({
        "@odata.type": "#microsoft.graph.call",
        "callbackUri": callback,
        "targets": [{
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            "identity": {"@odata.type": "#microsoft.graph.identitySet",
                "phone": {"@odata.type": "#microsoft.graph.identity", "id": "+15555550123"}},
        }],
        "requestedModalities": ["audio"],
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
    })
    .to_string()
}

/// A `playPrompt` body of one prompt.
pub fn prompt_body(context: &str, uri: &str) -> String {
    json!({
        "clientContext": context,
        "prompts": [{"@odata.type": "#microsoft.graph.mediaPrompt",
            "mediaInfo": {"@odata.type": "#microsoft.graph.mediaInfo", "uri": uri}}],
    })
    .to_string()
}

/// Offers call `id` at `now` (`POST /emulator/calls`).
#[track_caller]
pub fn offer(world: &mut World, now: u64, id: &str) -> CallId {
    let reply = control(
        world,
        now,
        "POST",
        "/emulator/calls",
        &json!({ "callId": id }).to_string(),
    );
    assert_eq!(reply.status, 201, "offer: {}", reply.body);
    assert_eq!(json_of(&reply), json!({ "callId": id }));
    CallId::new(id)
}

/// Offers call `id` at `now`, answers it at once to [`APP`] and lets it be
/// established ([`crate::world::ANSWER_SETUP_MS`] later); returns when
/// that is.
#[track_caller]
pub fn established(world: &mut World, now: u64, id: &str) -> u64 {
    offer(world, now, id);
    let url = format!("/v1.0/communications/calls/{id}/answer");
    let reply = graph(world, now, "POST", &url, &answer_body(APP));
    assert_eq!((reply.status, reply.body.as_str()), (202, ""));
    let at = now + crate::world::ANSWER_SETUP_MS;
    world.run_due(ms(at));
    assert_eq!(call_state(world, at, id), "established");
    at
}

/// `state` of `GET /communications/calls/{id}`, or `"404"`.
pub fn call_state(world: &mut World, now: u64, id: &str) -> String {
    let reply = graph(
        world,
        now,
        "GET",
        &format!("/v1.0/communications/calls/{id}"),
        "",
    );
    match reply.status {
        200 => json_of(&reply)["state"]
            .as_str()
            .expect("a state")
            .to_owned(),
        404 => "404".to_owned(),
        other => panic!("GET call: {other} {}", reply.body),
    }
}

/// `GET /emulator/calls/{id}` as JSON.
#[track_caller]
pub fn emulator_state(world: &mut World, now: u64, id: &str) -> Value {
    let reply = control(world, now, "GET", &format!("/emulator/calls/{id}"), "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    json_of(&reply)
}

/// The call's log (or exported scenario), one JSON value a line; `//`
/// comment lines skipped.
pub fn log_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.starts_with("//"))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Takes every notification the call's outbox holds, as a delivery task
/// would, each delivered with 200 at once.
pub fn drain(world: &mut World, now: u64, id: &CallId) -> Vec<Outgoing> {
    let mut delivered = Vec::new();
    while let Some(next) = world.next_delivery(id) {
        world.delivery_attempted(id, ms(now), &next, 1, Attempt::Delivered { status: 200 });
        delivered.push(next);
        assert!(delivered.len() < 10_000, "the outbox never empties");
    }
    delivered
}

// ---- in-process HTTP (loopback only) ----

/// The emulator served on `127.0.0.1:0`, as `main` serves it, with its
/// timer task. Dropping it stops both tasks.
pub struct Served {
    pub base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Served {
    pub async fn start(args: &[&str]) -> Self {
        let options = crate::options::parse(args.iter().map(|a| (*a).to_owned())).expect("options");
        let world = World::new(crate::world_config(&options).expect("config")).expect("world");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let shared = Shared::new(Clock::new(options.speed), world);
        let timers = tokio::spawn(server::run_timers(Arc::clone(&shared)));
        let serving = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = Arc::clone(&serving);
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| server::handle(Arc::clone(&shared), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            base: format!("http://{address}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
            tasks: vec![timers, accept],
        }
    }

    /// One request; the status and the body.
    pub async fn send(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("a request");
        let response = self.client.request(request).await.expect("an answer");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, String::from_utf8(bytes.to_vec()).expect("UTF-8"))
    }

    /// One request whose answer is JSON (`null` when empty).
    pub async fn json(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, text) = self.send(method, path, body).await;
        if text.is_empty() {
            return (status, Value::Null);
        }
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, value)
    }

    /// `GET /emulator/calls/{id}`.
    pub async fn state(&self, id: &str) -> Value {
        let (status, state) = self.json("GET", &format!("/emulator/calls/{id}"), "").await;
        assert_eq!(status, 200, "{state}");
        state
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A POST the receiver took, and what it answered.
#[derive(Clone, Debug)]
pub struct Post {
    pub path: String,
    pub body: String,
    pub status: u16,
}

/// A bot's callback on `127.0.0.1:0` that answers its first `fail_first`
/// POSTs with 500 and the rest with 200, keeping every one in order.
pub struct Receiver {
    pub url: String,
    pub posts: Arc<Mutex<Vec<Post>>>,
    task: JoinHandle<()>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let posts: Arc<Mutex<Vec<Post>>> = Arc::default();
        let kept = Arc::clone(&posts);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let posts = Arc::clone(&kept);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let posts = Arc::clone(&posts);
                        async move {
                            let path = request.uri().path().to_owned();
                            let body = request.into_body().collect().await?.to_bytes();
                            let mut posts = posts.lock();
                            let status = if posts.len() < fail_first { 500 } else { 200 };
                            posts.push(Post {
                                path,
                                body: String::from_utf8_lossy(&body).into_owned(),
                                status,
                            });
                            let response = Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::new()))
                                .expect("a response");
                            Ok::<_, hyper::Error>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            url: format!("http://{address}/api/calls"),
            posts,
            task,
        }
    }

    pub fn posts(&self) -> Vec<Post> {
        self.posts.lock().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback URL where nothing listens: a port bound, then let go.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}/api/calls")
}

/// Waits until `check` holds, polling; panics naming `what` after a
/// generous 30 s (wall), so only a stuck emulator fails here.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..6_000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("gave up waiting: {what}");
}
