//! Snapshot goldens (issue 9): each case under `tests/snapshots/` is a
//! snapshot written by some version of this crate, the inputs that followed
//! it, and what the call that never moved answered to them. Every case must
//! restore and continue byte-identically, in this version and every later
//! one: goldens are never regenerated, so a format change must keep reading
//! them.
//!
//! The folders are named for the format the files hold (`call-1`, `call-2`,
//! `engine-1`, `engine-2`); the files are `NAME.snapshot.json` (the bytes
//! `to_json` wrote, also a fuzz seed) and `NAME.case.json` (the restoring
//! side's config, the inputs, the expected lines).
//!
//! To add a case: add a scenario to `scenarios()` and run
//!
//! ```text
//! IVR_WRITE_GOLDENS=1 cargo test --test golden_snapshots_restore_and_continue_identically \
//!     write_missing_goldens -- --ignored
//! ```
//!
//! which writes the cases that have no files yet, in the current format, and
//! refuses to touch any file that exists.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ivr_media_queue::wire::{self, ParsedRequest, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, CallSnapshot, CallView, CancelScope, CancelledAt,
    CollectDigits, Engine, EngineConfig, EngineSnapshot, IdSource, Instant, MediaCommand,
    MediaInput, MediaPhase, MediaPrompt, Notification, Operation, OperationEnded, OperationId,
    Output, PromptFailure, Recording, Request, ResultInfo, Tone,
};
use serde_json::{Value, json};

/// The format folders this version writes.
const CALL_DIR: &str = "call-2";
const ENGINE_DIR: &str = "engine-2";
/// Every format folder this version reads: all there are.
const READ_DIRS: &[&str] = &["call-1", "engine-1", "call-2", "engine-2"];

fn restore_call(bytes: &[u8], config: Arc<CallConfig>) -> Call {
    let snapshot = CallSnapshot::from_json(bytes).expect("the golden reads");
    Call::restore(&snapshot, config).expect("the golden restores")
}

fn restore_engine(bytes: &[u8], config: Arc<CallConfig>) -> Engine {
    let engine = engine(config);
    let snapshot = EngineSnapshot::from_json(bytes).expect("the golden reads");
    engine.restore(&snapshot).expect("the golden restores");
    engine
}

fn engine(config: Arc<CallConfig>) -> Engine {
    Engine::new(EngineConfig {
        call: config,
        ids: IdSource::seeded(7),
        ..EngineConfig::default()
    })
    .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

// ---------------------------------------------------------------------------
// Driving a call or an engine with JSON steps.

/// A call or an engine, driven by the same steps.
trait Driver {
    fn request(&mut self, at: Instant, call: &CallId, request: Request) -> String;
    fn cancel(&mut self, at: Instant, call: &CallId, scope: CancelScope) -> String;
    fn collect(
        &mut self,
        at: Instant,
        call: &CallId,
        context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> String;
    fn media(
        &mut self,
        at: Instant,
        call: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> String;
    fn hang_up(&mut self, at: Instant, call: &CallId, result: ResultInfo) -> String;
    fn establish(&mut self, at: Instant, call: &CallId) -> String;
    fn timers(&mut self, until: Instant);
    fn get(&self, call: &CallId, id: OperationId) -> Option<Operation>;
    fn view(&self, call: &CallId) -> Option<CallView>;
    /// Every waiting output as lines.
    fn drain(&mut self, lines: &mut Vec<String>);
    fn poll_timeout(&self) -> Option<Instant>;
}

struct OneCall(Call);

impl Driver for OneCall {
    fn request(&mut self, at: Instant, call: &CallId, request: Request) -> String {
        match self.0.handle_request(at, request) {
            Ok(op) => format!("response {}", wire::operation_json(call, &op)),
            Err(e) => format!("refused {e}"),
        }
    }

    fn cancel(&mut self, at: Instant, _: &CallId, scope: CancelScope) -> String {
        let request = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        match self.0.cancel_scoped(at, request, scope) {
            Ok(receipt) => receipt_line(&receipt),
            Err(e) => format!("refused {e}"),
        }
    }

    fn collect(
        &mut self,
        at: Instant,
        call: &CallId,
        context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> String {
        match self.0.handle_collect_digits(at, context, collect) {
            Ok(op) => format!("response {}", wire::operation_json(call, &op)),
            Err(e) => format!("refused {e}"),
        }
    }

    fn media(
        &mut self,
        at: Instant,
        _: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> String {
        match self.0.handle_media(at, token, input) {
            Ok(()) => "taken".to_owned(),
            Err(e) => format!("ignored {e}"),
        }
    }

    fn hang_up(&mut self, at: Instant, _: &CallId, result: ResultInfo) -> String {
        match self.0.handle_terminated(at, result) {
            Ok(()) => "taken".to_owned(),
            Err(e) => format!("ignored {e}"),
        }
    }

    fn establish(&mut self, _: Instant, _: &CallId) -> String {
        "ignored a lone call is established when made".to_owned()
    }

    fn timers(&mut self, until: Instant) {
        self.0.handle_timeout(until);
    }

    fn get(&self, _: &CallId, id: OperationId) -> Option<Operation> {
        self.0.operation(id)
    }

    fn view(&self, _: &CallId) -> Option<CallView> {
        Some(self.0.view())
    }

    fn drain(&mut self, lines: &mut Vec<String>) {
        let call = self.0.id().clone();
        while let Some((seq, output)) = self.0.poll_sequenced() {
            output_lines(lines, &format!("out {seq}"), &call, &output);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
}

impl Driver for Engine {
    fn request(&mut self, at: Instant, call: &CallId, request: Request) -> String {
        match self.handle_request(at, call, request) {
            Ok(op) => format!("response {}", wire::operation_json(call, &op)),
            Err(e) => format!("refused {e}"),
        }
    }

    fn cancel(&mut self, at: Instant, call: &CallId, scope: CancelScope) -> String {
        let request = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        match self.cancel_scoped(at, call, request, scope) {
            Ok(receipt) => receipt_line(&receipt),
            Err(e) => format!("refused {e}"),
        }
    }

    fn collect(
        &mut self,
        at: Instant,
        call: &CallId,
        context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> String {
        match self.handle_collect_digits(at, call, context, collect) {
            Ok(op) => format!("response {}", wire::operation_json(call, &op)),
            Err(e) => format!("refused {e}"),
        }
    }

    fn media(
        &mut self,
        at: Instant,
        call: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> String {
        match self.handle_media(at, call, token, input) {
            Ok(()) => "taken".to_owned(),
            Err(e) => format!("ignored {e}"),
        }
    }

    fn hang_up(&mut self, at: Instant, call: &CallId, result: ResultInfo) -> String {
        match self.handle_call_terminated(at, call, result) {
            Ok(()) => "taken".to_owned(),
            Err(e) => format!("ignored {e}"),
        }
    }

    fn establish(&mut self, at: Instant, call: &CallId) -> String {
        match self.handle_call_established(at, call) {
            Ok(()) => "taken".to_owned(),
            Err(e) => format!("refused {e}"),
        }
    }

    fn timers(&mut self, until: Instant) {
        self.handle_timeout(until);
    }

    fn get(&self, call: &CallId, id: OperationId) -> Option<Operation> {
        self.operation(call, id).ok()
    }

    fn view(&self, call: &CallId) -> Option<CallView> {
        Engine::view(self, call)
    }

    fn drain(&mut self, lines: &mut Vec<String>) {
        let mut outputs = Vec::new();
        self.drain_outputs(&mut outputs);
        for out in outputs {
            let head = format!("out {} @{} {}", out.call, out.at.as_millis(), out.seq);
            output_lines(lines, &head, &out.call, &out.output);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Engine::poll_timeout(self)
    }
}

fn output_lines(lines: &mut Vec<String>, head: &str, call: &CallId, output: &Output) {
    let ended = match output {
        Output::Notification(note) => {
            let json = wire::notification_json(call, note, &WireConfig::default());
            lines.push(format!("{head} notification {json}"));
            match note {
                Notification::OperationEnded(ended) => Some(ended),
                _ => None,
            }
        }
        Output::Media(command) => {
            lines.push(format!("{head} media {}", command_text(command)));
            None
        }
        Output::Abandoned(ended) => {
            let op = &ended.operation;
            lines.push(format!("{head} abandoned {} {}", op.id, op.status.as_str()));
            Some(ended)
        }
        other => panic!("an output this test does not know: {other:?}"),
    };
    if let Some(ended) = ended {
        lines.push(format!("  outcome {}", outcome_text(ended)));
    }
}

fn command_text(command: &MediaCommand) -> String {
    let op = command.operation();
    match command {
        MediaCommand::Play { index, prompt, .. } => format!(
            "play {op} index={index} uri={} resourceId={}",
            prompt.uri,
            prompt.resource_id.as_deref().unwrap_or("-")
        ),
        MediaCommand::StopRecording { store, .. } => format!("stopRecording {op} store={store}"),
        other => format!("{} {op}", other.name()),
    }
}

fn outcome_text(ended: &OperationEnded) -> String {
    let reason = ended.reason();
    let mut text = format!("reason={}", reason.name());
    match reason {
        ivr_media_queue::EndReason::StopToneDetected(tone) => text += &format!(" tone={tone}"),
        ivr_media_queue::EndReason::PromptFailed(failure) => {
            text += &format!(" failure={}", failure.name())
        }
        ivr_media_queue::EndReason::DigitsCollected(end)
        | ivr_media_queue::EndReason::TooFewDigits(end) => text += &format!(" end={}", end.name()),
        _ => {}
    }
    text += &format!(" digits={:?}", ended.digits.to_string());
    match ended.ended_by {
        Some(by) => text += &format!(" endedBy={by}"),
        None => text += " endedBy=-",
    }
    match ended.partial_recording {
        Some(p) => text += &format!(" partial={}ms,kept={}", p.recorded_ms, p.kept),
        None => text += " partial=-",
    }
    let request = match &ended.request {
        ivr_media_queue::MediaRequest::PlayPrompt(play) => {
            format!("playPrompt/{}", play.prompts.len())
        }
        ivr_media_queue::MediaRequest::Record(record) => {
            format!("record/{}", usize::from(record.prompt.is_some()))
        }
        ivr_media_queue::MediaRequest::CollectDigits(collect) => {
            format!("collectDigits/{}", collect.prompts.len())
        }
        other => panic!("a request this test does not know: {other:?}"),
    };
    text + " request=" + &request
}

fn receipt_line(receipt: &ivr_media_queue::CancelReceipt) -> String {
    let ended: Vec<String> = receipt
        .ended
        .iter()
        .map(|c| match c.was {
            CancelledAt::Running { phase, position_ms } => {
                format!("{}@{}+{position_ms}ms", c.operation.id, phase_text(phase))
            }
            CancelledAt::Queued { position } => format!("{}@queued{position}", c.operation.id),
            other => panic!("a place this test does not know: {other:?}"),
        })
        .collect();
    format!(
        "receipt cancel={} ended=[{}]",
        receipt.cancel.id,
        ended.join(",")
    )
}

fn phase_text(phase: MediaPhase) -> String {
    match phase {
        MediaPhase::Prompt { index, count } => format!("prompt{index}/{count}"),
        MediaPhase::Beep => "beep".to_owned(),
        MediaPhase::Recording => "recording".to_owned(),
        MediaPhase::Storing => "storing".to_owned(),
        MediaPhase::Collecting { digits } => format!("collecting{digits}"),
        other => panic!("a phase this test does not know: {other:?}"),
    }
}

fn view_line(call: &CallId, view: Option<&CallView>) -> String {
    let Some(view) = view else {
        return format!("view {call} none");
    };
    let active = view.active.as_ref().map_or("-".to_owned(), |a| {
        format!(
            "{}:{}:{}:since={}",
            a.operation.id,
            a.operation.status.as_str(),
            phase_text(a.phase),
            a.phase_since.as_millis()
        )
    });
    let queued: Vec<String> = view
        .queued
        .iter()
        .map(|op| format!("{}:{}", op.id, op.status.as_str()))
        .collect();
    format!(
        "view {call} terminated={} active={active} queued=[{}] tones={}/{} next={}",
        view.terminated,
        queued.join(","),
        view.tone_subscription,
        view.tones_delivered,
        view.next_deadline
            .map_or("-".to_owned(), |d| d.as_millis().to_string())
    )
}

// ---------------------------------------------------------------------------
// Steps.

fn text<'a>(step: &'a Value, key: &str) -> Option<&'a str> {
    step.get(key).and_then(Value::as_str)
}

fn op_id(text: &str) -> OperationId {
    text.parse()
        .unwrap_or_else(|_| panic!("not an operation id: {text}"))
}

fn prompts(value: &Value) -> Vec<MediaPrompt> {
    value
        .as_array()
        .map(|uris| {
            uris.iter()
                .map(|u| MediaPrompt::new(u.as_str().expect("a prompt is a URI")))
                .collect()
        })
        .unwrap_or_default()
}

fn tones(value: &Value) -> ivr_media_queue::ToneSet {
    value
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| Tone::parse(t.as_str().expect("a tone")).expect("a tone"))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs one step (ids already literal) and writes what it gave.
fn run_step(driver: &mut dyn Driver, step: &Value, lines: &mut Vec<String>) {
    let at = Instant::from_millis(step.get("at").and_then(Value::as_u64).unwrap_or(0));
    let call = CallId::new(text(step, "call").unwrap_or("c1"));
    lines.push(format!("> {step}"));
    let said = if let Some(request) = step.get("request") {
        let url = text(request, "url").expect("request.url");
        let body = serde_json::to_vec(request.get("body").unwrap_or(&json!({}))).unwrap();
        match wire::parse_request(&WireConfig::default(), "POST", url, &body) {
            Ok(ParsedRequest::Action { call, request }) => driver.request(at, &call, request),
            Ok(other) => panic!("not an action: {other:?}"),
            Err(e) => format!("refused {e}"),
        }
    } else if let Some(scope) = step.get("cancel") {
        let scope = match scope {
            Value::String(s) if s == "all" => CancelScope::All,
            Value::String(s) if s == "current" => CancelScope::Current,
            Value::Object(o) if o.contains_key("operation") => {
                CancelScope::Operation(op_id(o["operation"].as_str().expect("an id")))
            }
            Value::Object(o) => {
                CancelScope::ClientContextPrefix(o["prefix"].as_str().expect("a prefix").into())
            }
            other => panic!("not a cancel scope: {other}"),
        };
        driver.cancel(at, &call, scope)
    } else if let Some(c) = step.get("collectDigits") {
        let number =
            |key: &str, default: u64| c.get(key).and_then(Value::as_u64).unwrap_or(default);
        let defaults = CollectDigits::default();
        let collect = CollectDigits {
            prompts: prompts(c.get("prompts").unwrap_or(&Value::Null)),
            min_digits: number("minDigits", defaults.min_digits.into()) as u8,
            max_digits: number("maxDigits", defaults.max_digits.into()) as u8,
            terminators: c.get("terminators").map_or(defaults.terminators, tones),
            first_digit_timeout_ms: number(
                "firstDigitTimeoutMs",
                defaults.first_digit_timeout_ms.into(),
            ) as u32,
            inter_digit_timeout_ms: number(
                "interDigitTimeoutMs",
                defaults.inter_digit_timeout_ms.into(),
            ) as u32,
            barge_in: c
                .get("bargeIn")
                .and_then(Value::as_bool)
                .unwrap_or(defaults.barge_in),
        };
        let context = text(c, "clientContext").map(Arc::from);
        driver.collect(at, &call, context, collect)
    } else if let Some(name) = text(step, "media") {
        let token = text(step, "token").map(op_id);
        let input = match name {
            "playbackFinished" => MediaInput::PlaybackFinished,
            "playbackFailed" => MediaInput::PlaybackFailed(match text(step, "failure") {
                Some("format") => PromptFailure::Format,
                _ => PromptFailure::Download,
            }),
            "beepFinished" => MediaInput::BeepFinished,
            "beepFailed" => MediaInput::BeepFailed,
            "tone" => MediaInput::Tone(Tone::parse(text(step, "tone").expect("tone")).unwrap()),
            "speechStarted" => MediaInput::SpeechStarted,
            "speechStopped" => MediaInput::SpeechStopped,
            "mediaReceiveTimeout" => MediaInput::MediaReceiveTimeout,
            "recordingFailed" => MediaInput::RecordingFailed,
            "recordingStored" => MediaInput::RecordingStored(Recording {
                location: text(step, "location")
                    .unwrap_or("https://r.test/1.wav")
                    .into(),
                access_token: text(step, "accessToken").unwrap_or("t").into(),
            }),
            other => panic!("not a media input: {other}"),
        };
        driver.media(at, &call, token, input)
    } else if step.get("hangUp").is_some() {
        driver.hang_up(at, &call, ResultInfo::conversation_ended())
    } else if step.get("established").is_some() {
        driver.establish(at, &call)
    } else if step.get("timers").is_some() {
        driver.timers(at);
        "fired".to_owned()
    } else if let Some(id) = text(step, "get") {
        let id = op_id(id);
        match driver.get(&call, id) {
            Some(op) => format!("get {}", wire::operation_json(&call, &op)),
            None => format!("get {id} none"),
        }
    } else if step.get("view").is_some() {
        view_line(&call, driver.view(&call).as_ref())
    } else {
        panic!("not a step: {step}");
    };
    lines.push(said);
    if !step.get("keep").is_some_and(|k| k == true) {
        driver.drain(lines);
    }
    lines.push(format!(
        "timeout {}",
        driver
            .poll_timeout()
            .map_or("-".to_owned(), |t| t.as_millis().to_string())
    ));
}

// ---------------------------------------------------------------------------
// Cases.

fn config_json(config: &CallConfig) -> Value {
    json!({
        "queueCapacity": config.queue_capacity,
        "retainedOperations": config.retained_operations,
        "notifyOnTermination": config.notify_on_termination,
        "notStartedForQueued": config.not_started_for_queued,
        "notifyEstablished": config.notify_established,
        "allowedUriSchemes": config.allowed_uri_schemes,
    })
}

fn config_from(value: &Value) -> CallConfig {
    let flag = |key: &str| value[key].as_bool().expect("a config flag");
    let number = |key: &str| value[key].as_u64().expect("a config number") as usize;
    CallConfig {
        queue_capacity: number("queueCapacity"),
        retained_operations: number("retainedOperations"),
        notify_on_termination: flag("notifyOnTermination"),
        not_started_for_queued: flag("notStartedForQueued"),
        notify_established: flag("notifyEstablished"),
        allowed_uri_schemes: value["allowedUriSchemes"]
            .as_array()
            .expect("schemes")
            .iter()
            .map(|s| s.as_str().expect("a scheme").to_owned())
            .collect(),
        // Not in the goldens written before the setting existed: its default.
        max_pending_outputs: value
            .get("maxPendingOutputs")
            .and_then(Value::as_u64)
            .map_or(CallConfig::default().max_pending_outputs, |n| n as usize),
    }
}

/// Checks one case: restores its snapshot with its config and runs its
/// steps; the lines must be the recorded ones.
fn check_case(dir: &Path, case_file: &Path) -> Result<(), String> {
    let case: Value = serde_json::from_slice(&fs::read(case_file).unwrap()).unwrap();
    let snapshot = dir.join(case["snapshot"].as_str().expect("case.snapshot"));
    let bytes = fs::read(&snapshot).unwrap();
    let config = Arc::new(config_from(&case["config"]));
    let mut driver: Box<dyn Driver> = match case["kind"].as_str() {
        Some("call") => Box::new(OneCall(restore_call(&bytes, config))),
        Some("engine") => Box::new(restore_engine(&bytes, config)),
        other => panic!("not a case kind: {other:?}"),
    };
    let mut lines = Vec::new();
    for step in case["steps"].as_array().expect("case.steps") {
        run_step(driver.as_mut(), step, &mut lines);
    }
    let expected: Vec<&str> = case["expected"]
        .as_array()
        .expect("case.expected")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    if lines == expected {
        return Ok(());
    }
    let at = lines
        .iter()
        .zip(&expected)
        .position(|(a, b)| a != b)
        .unwrap_or(lines.len().min(expected.len()));
    Err(format!(
        "{}: line {at} differs\n  got:      {:?}\n  expected: {:?}",
        case_file.display(),
        lines.get(at),
        expected.get(at)
    ))
}

#[test]
fn every_golden_restores_and_continues_identically() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for folder in READ_DIRS {
        let dir = root().join(folder);
        let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".case.json"))
            .collect();
        cases.sort();
        assert!(!cases.is_empty(), "no cases in {}", dir.display());
        for case in cases {
            checked += 1;
            if let Err(e) = check_case(&dir, &case) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 2 * scenarios().len(), "only {checked} cases");
}

// ---------------------------------------------------------------------------
// The scenarios the goldens were written from.

struct Scenario {
    name: &'static str,
    engine: bool,
    config: CallConfig,
    /// Steps up to the snapshot (`$N` is the N-th operation created).
    setup: Vec<Value>,
    /// Steps after it.
    then: Vec<Value>,
}

const BETA: &str = "https://graph.microsoft.com/beta/communications/calls";
const V1: &str = "https://graph.microsoft.com/v1.0/communications/calls";

fn post(at: u64, call: &str, url: &str, action: &str, body: Value) -> Value {
    json!({"at": at, "call": call, "request": {"url": format!("{url}/{call}/{action}"), "body": body}})
}

fn media(at: u64, call: &str, name: &str, token: &str) -> Value {
    json!({"at": at, "call": call, "media": name, "token": token})
}

fn tone(at: u64, call: &str, key: &str) -> Value {
    json!({"at": at, "call": call, "media": "tone", "tone": key})
}

fn uri(name: &str) -> Value {
    json!({"mediaInfo": {"uri": format!("https://x.test/{name}.wav")}})
}

fn scenarios() -> Vec<Scenario> {
    let c = "c1";
    let notify_on_termination = CallConfig {
        notify_on_termination: true,
        ..CallConfig::default()
    };
    let small_memory = CallConfig {
        retained_operations: 4,
        ..CallConfig::default()
    };
    let undrained = CallConfig {
        notify_established: true,
        not_started_for_queued: true,
        ..CallConfig::default()
    };
    let not_started = CallConfig {
        not_started_for_queued: true,
        queue_capacity: 4,
        ..CallConfig::default()
    };
    let quiet_record = json!({"clientContext": "rec", "playBeep": true, "stopTones": ["#"],
        "initialSilenceTimeoutInSeconds": 3, "maxSilenceTimeoutInSeconds": 2, "maxRecordDurationInSeconds": 10});
    vec![
        Scenario {
            name: "play_second_prompt",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(
                    0,
                    c,
                    V1,
                    "subscribeToTone",
                    json!({"clientContext": "tones"}),
                ),
                post(
                    100,
                    c,
                    BETA,
                    "playPrompt",
                    json!({"clientContext": "menu", "prompts": [
                    uri("a"),
                    {"mediaInfo": {"uri": "https://x.test/b.wav", "resourceId": "B-1"}},
                    uri("c")]}),
                ),
                post(200, c, V1, "recordResponse", quiet_record.clone()),
                tone(300, c, "1"),
                tone(400, c, "2"),
                media(1500, c, "playbackFinished", "$1"),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                media(2000, c, "playbackFinished", "active"),
                media(2500, c, "playbackFinished", "active"),
                media(2800, c, "beepFinished", "active"),
                media(3000, c, "speechStarted", "active"),
                media(4000, c, "speechStopped", "active"),
                json!({"call": c, "view": true}),
                json!({"at": 7000, "timers": true}),
                media(7100, c, "recordingStored", "$2"),
                json!({"at": 7200, "call": c, "get": "$1"}),
                json!({"at": 7200, "call": c, "get": "$2"}),
                tone(7300, c, "3"),
            ],
        },
        Scenario {
            name: "play_loop_beta",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(
                    0,
                    c,
                    BETA,
                    "playPrompt",
                    json!({"loop": true, "prompts": [uri("m1"), uri("m2")]}),
                ),
                media(1000, c, "playbackFinished", "$0"),
                media(2000, c, "playbackFinished", "$0"),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                media(2500, c, "playbackFinished", "active"),
                media(3000, c, "playbackFinished", "active"),
                post(
                    3100,
                    c,
                    BETA,
                    "cancelMediaProcessing",
                    json!({"clientContext": "stop"}),
                ),
                json!({"at": 3200, "call": c, "get": "$0"}),
                media(3300, c, "playbackFinished", "$0"),
            ],
        },
        Scenario {
            name: "record_prompt",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(
                    0,
                    c,
                    BETA,
                    "record",
                    json!({"clientContext": "r", "prompts": [uri("q")],
                    "stopTones": ["#", "*"], "initialSilenceTimeoutInSeconds": 2,
                    "maxSilenceTimeoutInSeconds": 1, "maxRecordDurationInSeconds": 4}),
                ),
                json!({"at": 50, "call": c, "collectDigits": {"prompts": ["https://x.test/pin.wav"],
                    "minDigits": 2, "maxDigits": 4, "clientContext": "pin"}}),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                media(900, c, "playbackFinished", "active"),
                media(1200, c, "beepFinished", "active"),
                json!({"call": c, "view": true}),
                json!({"at": 5000, "timers": true}),
                json!({"call": c, "view": true}),
                tone(5100, c, "7"),
                tone(5200, c, "8"),
                tone(5300, c, "#"),
            ],
        },
        Scenario {
            name: "record_beep_undrained",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(0, c, V1, "playPrompt", json!({"prompts": [uri("hello")]})),
                media(800, c, "playbackFinished", "$0"),
                {
                    let mut step = post(
                        900,
                        c,
                        V1,
                        "recordResponse",
                        json!({"clientContext": "beep"}),
                    );
                    step["keep"] = json!(true);
                    step
                },
            ],
            then: vec![
                json!({"call": c, "view": true}),
                media(1000, c, "beepFailed", "active"),
                post(
                    1100,
                    c,
                    V1,
                    "playPrompt",
                    json!({"prompts": [uri("sorry")]}),
                ),
                media(1200, c, "playbackFailed", "active"),
            ],
        },
        Scenario {
            name: "record_recording_after_speech",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(
                    0,
                    c,
                    V1,
                    "recordResponse",
                    json!({"playBeep": false,
                    "initialSilenceTimeoutInSeconds": 5, "maxSilenceTimeoutInSeconds": 2,
                    "maxRecordDurationInSeconds": 30}),
                ),
                media(1000, c, "speechStarted", "$0"),
                media(2500, c, "speechStopped", "$0"),
                post(
                    2600,
                    c,
                    V1,
                    "playPrompt",
                    json!({"prompts": [uri("thanks")]}),
                ),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                media(3000, c, "speechStarted", "active"),
                media(3500, c, "speechStopped", "active"),
                json!({"at": 9000, "timers": true}),
                media(9100, c, "recordingStored", "active"),
                media(9500, c, "playbackFinished", "active"),
            ],
        },
        Scenario {
            name: "record_recording_store_failed",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(
                    0,
                    c,
                    BETA,
                    "record",
                    json!({"playBeep": false, "stopTones": ["#"],
                    "initialSilenceTimeoutInSeconds": 4, "maxRecordDurationInSeconds": 20}),
                ),
                media(500, c, "recordingFailed", "$0"),
                post(600, c, V1, "playPrompt", json!({"prompts": [uri("next")]})),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                tone(1500, c, "#"),
                media(2000, c, "playbackFinished", "active"),
            ],
        },
        Scenario {
            name: "record_storing",
            engine: false,
            config: notify_on_termination,
            setup: vec![
                post(
                    0,
                    c,
                    BETA,
                    "record",
                    json!({"clientContext": "long", "playBeep": false,
                    "maxRecordDurationInSeconds": 3}),
                ),
                media(500, c, "speechStarted", "$0"),
                json!({"at": 3000, "timers": true}),
                post(
                    3100,
                    c,
                    BETA,
                    "playPrompt",
                    json!({"prompts": [uri("bye")]}),
                ),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                json!({"at": 3200, "hangUp": true}),
                json!({"call": c, "view": true}),
                post(3300, c, V1, "playPrompt", json!({"prompts": [uri("late")]})),
                media(3400, c, "recordingStored", "$0"),
            ],
        },
        Scenario {
            name: "collect_prompt",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                json!({"at": 0, "call": c, "collectDigits": {"prompts": ["https://x.test/p1.wav",
                    "https://x.test/p2.wav"], "minDigits": 2, "maxDigits": 4, "bargeIn": false,
                    "firstDigitTimeoutMs": 3000, "interDigitTimeoutMs": 1500, "clientContext": "pin"}}),
                post(100, c, V1, "playPrompt", json!({"prompts": [uri("after")]})),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                tone(200, c, "5"),
                media(1000, c, "playbackFinished", "active"),
                media(2000, c, "playbackFinished", "active"),
                json!({"call": c, "view": true}),
                tone(2500, c, "1"),
                tone(3000, c, "2"),
                tone(3500, c, "#"),
                media(4000, c, "playbackFinished", "active"),
            ],
        },
        Scenario {
            name: "collect_collecting",
            engine: false,
            config: CallConfig::default(),
            setup: vec![
                post(0, c, V1, "subscribeToTone", json!({})),
                json!({"at": 0, "call": c, "collectDigits": {"minDigits": 3, "maxDigits": 6,
                    "terminators": ["*"], "firstDigitTimeoutMs": 4000, "interDigitTimeoutMs": 2000}}),
                tone(1000, c, "1"),
                tone(1500, c, "2"),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                json!({"at": 5000, "timers": true}),
                json!({"at": 5100, "call": c, "get": "$1"}),
                json!({"at": 5200, "call": c, "collectDigits": {"maxDigits": 2}}),
                tone(5300, c, "9"),
                tone(5400, c, "0"),
            ],
        },
        Scenario {
            name: "ended_in_get_memory",
            engine: false,
            config: small_memory,
            setup: vec![
                post(
                    0,
                    c,
                    V1,
                    "playPrompt",
                    json!({"clientContext": "one", "prompts": [uri("1")]}),
                ),
                media(500, c, "playbackFinished", "$0"),
                post(
                    600,
                    c,
                    BETA,
                    "record",
                    json!({"clientContext": "two", "playBeep": false}),
                ),
                post(700, c, V1, "cancelMediaProcessing", json!({})),
                json!({"at": 800, "call": c, "collectDigits": {"maxDigits": 1, "clientContext": "three"}}),
                tone(900, c, "4"),
                post(1000, c, V1, "subscribeToTone", json!({})),
                post(
                    1100,
                    c,
                    V1,
                    "playPrompt",
                    json!({"clientContext": "five", "prompts": [uri("5")]}),
                ),
                post(
                    1200,
                    c,
                    V1,
                    "playPrompt",
                    json!({"clientContext": "six", "prompts": [uri("6")]}),
                ),
                json!({"at": 1300, "call": c, "cancel": {"operation": "$6"}}),
            ],
            then: vec![
                json!({"at": 1400, "call": c, "get": "$0"}),
                json!({"at": 1400, "call": c, "get": "$1"}),
                json!({"at": 1400, "call": c, "get": "$2"}),
                json!({"at": 1400, "call": c, "get": "$3"}),
                json!({"at": 1400, "call": c, "get": "$4"}),
                json!({"at": 1400, "call": c, "get": "$5"}),
                json!({"at": 1400, "call": c, "get": "$6"}),
                json!({"at": 1400, "call": c, "get": "$7"}),
                json!({"at": 1500, "call": c, "cancel": "current"}),
                json!({"at": 1600, "call": c, "get": "$5"}),
                json!({"at": 1600, "call": c, "get": "$2"}),
            ],
        },
        Scenario {
            name: "undrained_outputs",
            engine: false,
            config: undrained,
            setup: vec![
                json!({"at": 0, "call": c, "view": true, "keep": true}),
                {
                    let mut step = post(10, c, V1, "subscribeToTone", json!({}));
                    step["keep"] = json!(true);
                    step
                },
                {
                    let mut step = post(
                        20,
                        c,
                        BETA,
                        "playPrompt",
                        json!({"prompts": [uri("x"), uri("y")]}),
                    );
                    step["keep"] = json!(true);
                    step
                },
                {
                    let mut step = tone(30, c, "9");
                    step["keep"] = json!(true);
                    step
                },
                json!({"at": 40, "call": c, "keep": true, "collectDigits": {"prompts": ["https://x.test/c.wav"], "maxDigits": 3}}),
                {
                    let mut step = post(
                        50,
                        c,
                        BETA,
                        "record",
                        json!({"bargeInAllowed": true,
                        "prompts": [uri("barge")], "clientContext": "barge"}),
                    );
                    step["keep"] = json!(true);
                    step
                },
                {
                    let mut step = tone(60, c, "*");
                    step["keep"] = json!(true);
                    step
                },
                {
                    let mut step = post(70, c, V1, "playPrompt", json!({"prompts": [uri("z")]}));
                    step["keep"] = json!(true);
                    step
                },
            ],
            then: vec![
                json!({"at": 70, "call": c, "view": true}),
                media(100, c, "playbackFinished", "active"),
                media(200, c, "beepFinished", "active"),
                tone(300, c, "1"),
                json!({"at": 400, "call": c, "cancel": "all"}),
            ],
        },
        Scenario {
            name: "queued_not_started",
            engine: false,
            config: not_started,
            setup: vec![
                post(0, c, V1, "playPrompt", json!({"prompts": [uri("first")]})),
                post(
                    10,
                    c,
                    BETA,
                    "record",
                    json!({"clientContext": "q-record", "playBeep": false,
                    "maxRecordDurationInSeconds": 2}),
                ),
                json!({"at": 20, "call": c, "collectDigits": {"clientContext": "q-collect"}}),
                post(
                    30,
                    c,
                    BETA,
                    "playPrompt",
                    json!({"clientContext": "q-play", "prompts": [uri("last")]}),
                ),
            ],
            then: vec![
                json!({"call": c, "view": true}),
                post(40, c, V1, "playPrompt", json!({"prompts": [uri("full")]})),
                json!({"at": 50, "call": c, "get": "$3"}),
                json!({"at": 60, "call": c, "cancel": {"operation": "$2"}}),
                media(500, c, "playbackFinished", "active"),
                json!({"at": 600, "call": c, "get": "$1"}),
                json!({"at": 3000, "timers": true}),
                media(3100, c, "recordingStored", "active"),
                json!({"call": c, "view": true}),
            ],
        },
        Scenario {
            name: "every_end_reason",
            engine: false,
            config: CallConfig::default(),
            setup: every_end_reason(c),
            then: (1..=24)
                .map(|n| json!({"at": 9000, "call": c, "get": format!("${n}")}))
                .chain([
                    json!({"call": c, "view": true}),
                    media(9100, c, "speechStarted", "active"),
                    tone(9200, c, "#"),
                    media(9300, c, "recordingStored", "active"),
                ])
                .collect(),
        },
        Scenario {
            name: "engine_three_calls",
            engine: true,
            config: CallConfig::default(),
            setup: vec![
                json!({"at": 0, "call": "c1", "established": true}),
                json!({"at": 0, "call": "c2", "established": true}),
                json!({"at": 0, "call": "c3", "established": true}),
                post(
                    10,
                    "c1",
                    V1,
                    "recordResponse",
                    json!({"playBeep": false, "stopTones": ["#"],
                    "initialSilenceTimeoutInSeconds": 6, "maxRecordDurationInSeconds": 8}),
                ),
                post(20, "c2", V1, "subscribeToTone", json!({})),
                json!({"at": 30, "call": "c2", "collectDigits": {"minDigits": 2, "maxDigits": 5,
                    "interDigitTimeoutMs": 2500}}),
                tone(40, "c2", "3"),
                post(50, "c3", V1, "playPrompt", json!({"prompts": [uri("c3")]})),
                json!({"at": 60, "call": "c3", "hangUp": true}),
                media(70, "c1", "speechStarted", "$0"),
            ],
            then: vec![
                json!({"call": "c1", "view": true}),
                json!({"call": "c2", "view": true}),
                json!({"call": "c3", "view": true}),
                tone(1000, "c2", "4"),
                json!({"at": 5000, "timers": true}),
                post(
                    5100,
                    "c3",
                    V1,
                    "playPrompt",
                    json!({"prompts": [uri("gone")]}),
                ),
                tone(5200, "c1", "#"),
                media(5300, "c1", "recordingStored", "active"),
                json!({"at": 9000, "timers": true}),
            ],
        },
    ]
}

/// Operations ending every way there is (`$1` to `$24`), the last ones'
/// outputs undrained, a barge-in record recording.
fn every_end_reason(c: &str) -> Vec<Value> {
    let quiet = |extra: Value| {
        let mut body = json!({"playBeep": false, "stopTones": ["#"],
            "initialSilenceTimeoutInSeconds": 1, "maxSilenceTimeoutInSeconds": 1,
            "maxRecordDurationInSeconds": 2});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let collect = |at: u64, body: Value| json!({"at": at, "call": c, "collectDigits": body});
    let mut steps = vec![
        post(0, c, V1, "subscribeToTone", json!({})),
        // $1 completed
        post(10, c, V1, "playPrompt", json!({"prompts": [uri("one")]})),
        media(20, c, "playbackFinished", "$1"),
        // $2 stop tone, stored
        post(30, c, BETA, "record", quiet(json!({}))),
        tone(40, c, "#"),
        json!({"at": 50, "call": c, "media": "recordingStored", "token": "$2",
            "location": "https://r.test/two.wav", "accessToken": "secret-2"}),
        // $3 max duration, stored
        post(100, c, V1, "recordResponse", quiet(json!({}))),
        media(200, c, "speechStarted", "$3"),
        json!({"at": 2100, "timers": true}),
        media(2150, c, "recordingStored", "$3"),
        // $4 initial silence
        post(2200, c, V1, "recordResponse", quiet(json!({}))),
        json!({"at": 3200, "timers": true}),
        // $5 max silence, then the store fails
        post(
            3300,
            c,
            BETA,
            "record",
            quiet(json!({"maxRecordDurationInSeconds": 9})),
        ),
        media(3400, c, "speechStarted", "$5"),
        media(3500, c, "speechStopped", "$5"),
        json!({"at": 4500, "timers": true}),
        media(4600, c, "recordingFailed", "$5"),
        // $6 max silence, stored
        post(
            4700,
            c,
            V1,
            "recordResponse",
            quiet(json!({"maxRecordDurationInSeconds": 9})),
        ),
        media(4800, c, "speechStarted", "$6"),
        media(4900, c, "speechStopped", "$6"),
        json!({"at": 5900, "timers": true}),
        media(5950, c, "recordingStored", "$6"),
        // $7 cancelled running, $8 cancelled queued, $9 the cancel
        post(
            6000,
            c,
            BETA,
            "playPrompt",
            json!({"prompts": [uri("seven"), uri("7b")]}),
        ),
        post(
            6010,
            c,
            BETA,
            "playPrompt",
            json!({"prompts": [uri("eight")]}),
        ),
        post(6020, c, BETA, "cancelMediaProcessing", json!({})),
        // $10 download failed, $11 format failed
        post(6100, c, V1, "playPrompt", json!({"prompts": [uri("ten")]})),
        json!({"at": 6110, "call": c, "media": "playbackFailed", "failure": "download", "token": "$10"}),
        post(
            6120,
            c,
            BETA,
            "playPrompt",
            json!({"prompts": [uri("eleven")]}),
        ),
        json!({"at": 6130, "call": c, "media": "playbackFailed", "failure": "format", "token": "$11"}),
        // $12 beep failed, $13 media receive timeout
        post(6200, c, BETA, "record", quiet(json!({"playBeep": true}))),
        media(6210, c, "beepFailed", "$12"),
        post(6300, c, V1, "recordResponse", quiet(json!({}))),
        media(6310, c, "mediaReceiveTimeout", "$13"),
        // $14 max digits, $15 terminator, $16 inter-digit, $17 first digit
        collect(6400, json!({"maxDigits": 1})),
        tone(6410, c, "5"),
        collect(6500, json!({"minDigits": 1})),
        tone(6510, c, "1"),
        tone(6520, c, "#"),
        collect(6600, json!({"minDigits": 1, "interDigitTimeoutMs": 100})),
        tone(6610, c, "2"),
        json!({"at": 6800, "timers": true}),
        collect(6900, json!({"minDigits": 0, "firstDigitTimeoutMs": 100})),
        json!({"at": 7100, "timers": true}),
        // $18 too few by terminator, $19 too few by first digit
        collect(7200, json!({"minDigits": 2})),
        tone(7210, c, "#"),
        collect(7300, json!({"minDigits": 2, "firstDigitTimeoutMs": 100})),
        json!({"at": 7500, "timers": true}),
        // $20 collect prompt failed, $21 record prompt failed
        collect(7600, json!({"prompts": ["https://x.test/twenty.wav"]})),
        media(7610, c, "playbackFailed", "$20"),
        post(
            7700,
            c,
            BETA,
            "record",
            quiet(json!({"prompts": [uri("q21")]})),
        ),
        media(7710, c, "playbackFailed", "$21"),
        // $22 a record recording, $23 queued, then $24 barges in: undrained
        post(
            7800,
            c,
            V1,
            "recordResponse",
            quiet(json!({"maxRecordDurationInSeconds": 60,
            "initialSilenceTimeoutInSeconds": 60})),
        ),
        post(
            7810,
            c,
            V1,
            "playPrompt",
            json!({"prompts": [uri("twenty-three")]}),
        ),
    ];
    let mut barge = post(
        7820,
        c,
        BETA,
        "record",
        quiet(json!({"bargeInAllowed": true,
        "maxRecordDurationInSeconds": 60, "initialSilenceTimeoutInSeconds": 60})),
    );
    barge["keep"] = json!(true);
    steps.push(barge);
    let mut key = tone(7830, c, "3");
    key["keep"] = json!(true);
    steps.push(key);
    steps
}

/// Replaces `"$N"` strings with the N-th created operation's id and
/// `"active"` tokens with the call's active operation (or nothing).
fn resolve(driver: &dyn Driver, step: &Value, created: &[OperationId]) -> Value {
    fn walk(value: &Value, created: &[OperationId]) -> Value {
        match value {
            Value::String(s) => match s.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => json!(
                    created
                        .get(n)
                        .unwrap_or_else(|| panic!("no ${n}"))
                        .to_string()
                ),
                None => value.clone(),
            },
            Value::Array(items) => items.iter().map(|v| walk(v, created)).collect(),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), walk(v, created)))
                .collect(),
            other => other.clone(),
        }
    }
    let mut step = walk(step, created);
    if text(&step, "token") == Some("active") {
        let call = CallId::new(text(&step, "call").unwrap_or("c1"));
        let active = driver
            .view(&call)
            .and_then(|v| v.active.map(|a| a.operation.id.to_string()));
        step["token"] = json!(active);
        if active.is_none() {
            step.as_object_mut().unwrap().remove("token");
        }
    }
    step
}

/// Runs steps on the never-moved side, noting created operations; returns
/// the steps as run (ids literal).
fn run_generating(
    driver: &mut dyn Driver,
    steps: &[Value],
    created: &mut Vec<OperationId>,
    lines: &mut Vec<String>,
) -> Vec<Value> {
    let mut ran = Vec::new();
    for step in steps {
        let step = resolve(driver, step, created);
        let first = lines.len();
        run_step(driver, &step, lines);
        for line in &lines[first..] {
            let found = line
                .strip_prefix("response ")
                .and_then(|json| serde_json::from_str::<Value>(json).ok())
                .and_then(|op| {
                    op["@odata.id"]
                        .as_str()
                        .or(op["id"].as_str())
                        .map(str::to_owned)
                });
            if let Some(id) = found {
                let id = id.rsplit('/').next().unwrap_or(&id).to_owned();
                created.push(op_id(&id));
            }
            if let Some(id) = line
                .strip_prefix("receipt cancel=")
                .and_then(|rest| rest.split(' ').next())
            {
                created.push(op_id(id));
            }
        }
        ran.push(step);
    }
    ran
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e} (goldens are never overwritten)", path.display()))?;
    file.write_all(bytes).map_err(|e| e.to_string())
}

/// Writes the goldens of scenarios that have none yet, in the format this
/// version writes; refuses to overwrite any file.
#[test]
#[ignore = "writes goldens: run with IVR_WRITE_GOLDENS=1 and --ignored"]
fn write_missing_goldens() {
    if std::env::var_os("IVR_WRITE_GOLDENS").is_none() {
        eprintln!("IVR_WRITE_GOLDENS is not set: nothing written");
        return;
    }
    let mut refused = Vec::new();
    for scenario in scenarios() {
        let folder = root().join(if scenario.engine {
            ENGINE_DIR
        } else {
            CALL_DIR
        });
        fs::create_dir_all(&folder).unwrap();
        let snapshot_name = format!("{}.snapshot.json", scenario.name);
        let case_path = folder.join(format!("{}.case.json", scenario.name));
        let snapshot_path = folder.join(&snapshot_name);
        if case_path.exists() || snapshot_path.exists() {
            refused.push(format!("{}: exists, left as it is", scenario.name));
            continue;
        }
        let config = Arc::new(scenario.config.clone());
        let mut created = Vec::new();
        let mut scratch = Vec::new();
        let (bytes, steps, lines) = if scenario.engine {
            let mut engine = engine(config);
            run_generating(&mut engine, &scenario.setup, &mut created, &mut scratch);
            let bytes = engine.snapshot().to_json();
            let mut lines = Vec::new();
            let steps = run_generating(&mut engine, &scenario.then, &mut created, &mut lines);
            (bytes, steps, lines)
        } else {
            let call = Call::new(
                CallId::new("c1"),
                config,
                IdSource::seeded(7),
                Instant::ZERO,
            )
            .unwrap();
            let mut call = OneCall(call);
            run_generating(&mut call, &scenario.setup, &mut created, &mut scratch);
            let bytes = call.0.snapshot().to_json();
            let mut lines = Vec::new();
            let steps = run_generating(&mut call, &scenario.then, &mut created, &mut lines);
            (bytes, steps, lines)
        };
        let case = json!({
            "snapshot": snapshot_name,
            "kind": if scenario.engine { "engine" } else { "call" },
            "writtenBy": format!("ivr-media-queue {}", env!("CARGO_PKG_VERSION")),
            "config": config_json(&scenario.config),
            "steps": steps,
            "expected": lines,
        });
        let mut case_bytes = serde_json::to_vec_pretty(&case).unwrap();
        case_bytes.push(b'\n');
        write_new(&snapshot_path, &bytes).unwrap();
        write_new(&case_path, &case_bytes).unwrap();
        eprintln!("wrote {}", case_path.display());
    }
    for line in refused {
        eprintln!("{line}");
    }
}

#[test]
fn the_writer_never_overwrites_a_golden() {
    let golden = root().join("call-1/play_second_prompt.snapshot.json");
    let before = fs::read(&golden).unwrap();
    assert!(write_new(&golden, b"{}").is_err());
    assert_eq!(fs::read(&golden).unwrap(), before);
}
