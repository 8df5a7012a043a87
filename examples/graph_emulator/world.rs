//! The emulator's state: every call with its `ivr-replay` run (the crate's
//! engine, simulated media layer and fault rules), its log, its exported
//! scenario, its caller script and its outbox.
//!
//! No I/O and no clock: every method takes `now`, as the crate does. The
//! HTTP layer (`server.rs`) and the delivery tasks (`delivery.rs`) drive it
//! under one lock, and the timer task calls [`World::run_due`] when
//! [`World::next_deadline`] comes.
//!
//! Every input of a call goes to its run as an `ivr-replay` scenario line,
//! and that very line is what the call's exported scenario holds: replaying
//! the export prints the log's records by construction. Each call has a run
//! of its own (an engine holding one call) so that fault rules, which count
//! what they match, apply to a call exactly as its export replays them.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use ivr_media_queue::replay::{
    ReplayConfig, ReplayOptions, ReplayRecord, Replayer, TimelineWriter, write_jsonl,
};
use ivr_media_queue::sim::CallerScript;
use ivr_media_queue::wire::{self, GraphError, GraphResponse};
use ivr_media_queue::{
    CallId, Engine, EngineConfig, IdSource, Instant, MAX_CALL_ID_BYTES, Notification,
};
use serde_json::{Map, Value, json};

use crate::options::check_http_url;

/// A caller event: an `ivr-replay` event line without `at_ms` and `call`.
type CallerEvent = Map<String, Value>;

/// How long an incoming call waits for the bot's answer, as Graph's does.
pub const OFFER_TIMEOUT_MS: u64 = 15_000;
/// How long after `answer` the call is established.
pub const ANSWER_SETUP_MS: u64 = 100;
/// Calls held at once (live or ended and still readable).
pub const MAX_CALLS: usize = 20_000;
/// Ended calls whose state and log stay readable; older ones are forgotten.
pub const KEPT_ENDED_CALLS: usize = 1_000;
/// Log entries a call keeps; later ones are counted, not kept.
pub const MAX_LOG_ENTRIES: usize = 50_000;
/// Scenario lines a call keeps; past it, the call has no export.
pub const MAX_SCENARIO_LINES: usize = 50_000;
/// Fault rules for every call that new calls receive.
pub const MAX_EVERY_CALL_FAULTS: usize = 64;

/// Settings of the emulator's core.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    pub bot_callback: Option<String>,
    pub outbox: usize,
    pub answer_ms: u64,
    pub seed: Option<u64>,
    /// The settings of every call's config line (the engine's, the media
    /// layer's), as a JSON object.
    pub settings: Map<String, Value>,
}

/// An HTTP answer, before it meets the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: &'static str,
    pub body: String,
    /// `Retry-After` seconds, for a 503.
    pub retry_after: Option<u32>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            location: None,
            content_type: "application/json",
            body: body.to_string(),
            retry_after: None,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            location: None,
            content_type: "application/json",
            body: String::new(),
            retry_after: None,
        }
    }

    pub fn text(status: u16, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            location: None,
            content_type,
            body,
            retry_after: None,
        }
    }

    /// A Graph error (`{"error": {"code", "message", "innerError"}}`), as the
    /// crate writes them.
    pub fn graph_error(error: &GraphError) -> Self {
        Self::from_graph(GraphResponse::error(error))
    }

    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let error = GraphError {
            status,
            code: match status {
                404 => "NotFound",
                409 => "Conflict",
                503 => "ServiceUnavailable",
                _ => "BadRequest",
            },
            message: message.into(),
        };
        Self::graph_error(&error)
    }

    pub fn from_graph(response: GraphResponse) -> Self {
        Self {
            status: response.status,
            location: response.location,
            content_type: "application/json",
            body: response.body.unwrap_or_default(),
            retry_after: None,
        }
    }
}

/// A call's state as Graph names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    Incoming,
    Establishing,
    Established,
    Terminated,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Establishing => "establishing",
            Self::Established => "established",
            Self::Terminated => "terminated",
        }
    }
}

/// A notification on its way to the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub body: String,
    /// 1, 2, 3, ... per call.
    pub number: u64,
}

/// What became of a call's notifications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    pub sent: u64,
    pub retried: u64,
    pub dropped: u64,
}

/// One attempt to deliver a call's first waiting notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The bot answered 2xx.
    Delivered { status: u16 },
    /// It did not (the status, or why there was none); `last` when no
    /// attempt is left.
    Failed { why: String, last: bool },
}

enum LogEntry {
    Engine(ReplayRecord),
    Emulator(Instant, Value),
}

struct CallEntry {
    id: CallId,
    state: CallState,
    direction: &'static str,
    source: Value,
    targets: Value,
    modalities: Value,
    /// Where the call's notifications go once the bot answered or created
    /// it (before: `--bot-callback`).
    callback: Option<String>,
    run: Replayer,
    scenario: Vec<String>,
    scenario_complete: bool,
    log: Vec<LogEntry>,
    log_dropped: u64,
    script: CallerScript<CallerEvent>,
    /// The offer's script, counted from establishment.
    script_on_establish: Vec<(u64, CallerEvent)>,
    establish_at: Option<Instant>,
    offer_expires: Option<Instant>,
    outbox: VecDeque<Outgoing>,
    delivering: bool,
    stats: DeliveryStats,
    notifications: u64,
    /// The deadline the call holds in [`World::timers`].
    deadline: Option<Instant>,
}

/// What is due next on a call, in the order ties are taken.
enum Due {
    /// The replay run's own timers, media reports, held notifications.
    Run,
    Establish,
    OfferExpires,
    Script,
}

impl CallEntry {
    fn next_due(&self) -> Option<(Instant, Due)> {
        // Externals at the same time as the run's own timers go after them
        // (a line at `t` fires what is due at `t` first), so the run wins a
        // tie here and an external line then finds nothing left before it.
        [
            self.run.poll_timeout().map(|t| (t, Due::Run)),
            self.establish_at.map(|t| (t, Due::Establish)),
            self.offer_expires.map(|t| (t, Due::OfferExpires)),
            self.script.poll_timeout().map(|t| (t, Due::Script)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(t, _)| *t)
    }

    fn resource(&self) -> Value {
        let mut call = json!({
            "@odata.type": "#microsoft.graph.call",
            "id": self.id.as_str(),
            "state": self.state.as_str(),
            "direction": self.direction,
            "source": self.source,
            "targets": self.targets,
            "requestedModalities": self.modalities,
            "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
        });
        if let Some(callback) = &self.callback {
            call["callbackUri"] = json!(callback);
        }
        call
    }

    fn log(&mut self, entry: LogEntry) {
        if self.log.len() < MAX_LOG_ENTRIES {
            self.log.push(entry);
        } else {
            self.log_dropped += 1;
        }
    }
}

/// Every call, and the timers of all.
pub struct World {
    config: WorldConfig,
    replay: ReplayConfig,
    config_line: String,
    ids: IdSource,
    calls: HashMap<CallId, CallEntry>,
    /// Ended calls, oldest first.
    ended: VecDeque<CallId>,
    /// Each call's next deadline.
    timers: BTreeSet<(Instant, CallId)>,
    /// Fault rules for every call (`fault` line objects): new calls get them.
    every_call_faults: Vec<Value>,
    next_call: u64,
    /// Calls whose outbox got a notification while no delivery task ran.
    kicks: Vec<CallId>,
    /// The deadline the timer task sleeps until.
    armed: Option<Instant>,
    wake: bool,
    /// Answers requests for calls the emulator does not hold, exactly as
    /// the engine answers them.
    stranger: Engine,
}

impl World {
    pub fn new(mut config: WorldConfig) -> Result<Self, String> {
        // The emulator's own settings: the engine's established notification
        // is on (EMULATOR.md), prompts end by themselves.
        config
            .settings
            .insert("notifyEstablished".to_owned(), json!(true));
        let settings = Value::Object(config.settings.clone());
        let replay = ReplayConfig::from_settings_json(&settings.to_string())?;
        let config_line = json!({ "config": settings }).to_string();
        let ids = config.seed.map_or(IdSource::Random, IdSource::seeded);
        let stranger = Engine::new(EngineConfig {
            call: Arc::new(replay.call.clone()),
            ..EngineConfig::default()
        })
        .map_err(|e| format!("config: {e}"))?;
        Ok(Self {
            config,
            replay,
            config_line,
            ids,
            calls: HashMap::new(),
            ended: VecDeque::new(),
            timers: BTreeSet::new(),
            every_call_faults: Vec::new(),
            next_call: 0,
            kicks: Vec::new(),
            armed: None,
            wake: false,
            stranger,
        })
    }

    // ---- time ----

    /// When the next call has something due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// The timer task sleeps until `deadline`: an earlier one wakes it.
    pub fn arm(&mut self, deadline: Option<Instant>) {
        self.armed = deadline;
        self.wake = false;
    }

    /// Whether a deadline earlier than the armed one appeared.
    pub fn take_wake(&mut self) -> bool {
        std::mem::take(&mut self.wake)
    }

    /// Fires everything due at or before `now`, on every call.
    pub fn run_due(&mut self, now: Instant) {
        while let Some((at, id)) = self.timers.first().cloned() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            if let Some(entry) = self.calls.get_mut(&id) {
                entry.deadline = None;
            }
            self.advance(&id, now);
        }
    }

    /// Calls that need a delivery task started.
    pub fn take_kicks(&mut self) -> Vec<CallId> {
        std::mem::take(&mut self.kicks)
    }

    /// Fires what is due on `id` at or before `now`, each at its own time.
    fn advance(&mut self, id: &CallId, now: Instant) {
        loop {
            let Some(entry) = self.calls.get_mut(id) else {
                return;
            };
            let Some((at, due)) = entry.next_due().filter(|(at, _)| *at <= now) else {
                break;
            };
            match due {
                Due::Run => {
                    let mut records = Vec::new();
                    entry.run.handle_timeout(at, &mut records);
                    self.absorb(id, records);
                }
                Due::Establish => {
                    entry.establish_at = None;
                    entry.state = CallState::Established;
                    let script = std::mem::take(&mut entry.script_on_establish);
                    // Bounded when the offer was taken.
                    let _ = entry.script.handle_script(at, script.into_iter());
                    let line = json!({"event": "callEstablished", "call": id.as_str()});
                    self.feed(id, at, line);
                }
                Due::OfferExpires => {
                    entry.offer_expires = None;
                    let result = json!({
                        "@odata.type": "#microsoft.graph.resultInfo",
                        "code": 408,
                        "subcode": 1106,
                        "message": "The call was not answered within 15 seconds.",
                    });
                    self.log_emulator(id, at, json!({"offer": "expired", "resultInfo": result}));
                    self.end_unestablished(id, at, result);
                }
                Due::Script => {
                    if let Some((at, mut event)) = entry.script.poll_event(at) {
                        event.insert("call".to_owned(), json!(id.as_str()));
                        self.feed(id, at, Value::Object(event));
                    }
                }
            }
        }
        self.reschedule(id);
    }

    /// Files the call's next deadline; an earlier one than the timer task
    /// sleeps until wakes it.
    fn reschedule(&mut self, id: &CallId) {
        let Some(entry) = self.calls.get_mut(id) else {
            return;
        };
        let next = entry.next_due().map(|(t, _)| t);
        if next == entry.deadline {
            return;
        }
        if let Some(old) = entry.deadline.take() {
            self.timers.remove(&(old, id.clone()));
        }
        if let Some(next) = next {
            entry.deadline = Some(next);
            self.timers.insert((next, id.clone()));
            if self.armed.is_none_or(|armed| next < armed) {
                self.wake = true;
            }
        }
    }

    // ---- inputs to a call's run ----

    /// Runs one scenario line (`at_ms` added) on the call and keeps it for
    /// the export; returns the Graph response it produced, if any.
    fn feed(&mut self, id: &CallId, at: Instant, line: Value) -> Option<GraphResponse> {
        let entry = self.calls.get_mut(id)?;
        let mut line = match line {
            Value::Object(map) => map,
            _ => return None,
        };
        line.insert("at_ms".to_owned(), json!(at.as_millis()));
        let text = Value::Object(line).to_string();
        let mut records = Vec::new();
        let result = entry.run.run_line(&text, &mut records);
        if entry.scenario.len() < MAX_SCENARIO_LINES {
            entry.scenario.push(text);
        } else {
            entry.scenario_complete = false;
        }
        if let Err(error) = result {
            // The emulator builds every line and checks outside input
            // first: this is its bug, kept in the log.
            let note = json!({"error": format!("the call's run stopped: {error}")});
            entry.log(LogEntry::Emulator(at, note));
        }
        self.absorb(id, records)
    }

    /// Logs a run's records; sends its notifications; notes the call's end.
    fn absorb(&mut self, id: &CallId, records: Vec<ReplayRecord>) -> Option<GraphResponse> {
        let mut response = None;
        let mut ended_at = None;
        for record in records {
            match &record {
                ReplayRecord::Response { response: r, .. } => response = Some(r.clone()),
                ReplayRecord::Notification {
                    at,
                    call,
                    notification,
                    ..
                } if notification.is_graph() => {
                    let body = wire::notification_json(call, notification, &self.replay.wire);
                    self.send(id, *at, body);
                    if matches!(notification, Notification::CallTerminated { .. }) {
                        ended_at = Some(*at);
                    }
                }
                _ => {}
            }
            if let Some(entry) = self.calls.get_mut(id) {
                entry.log(LogEntry::Engine(record));
            }
        }
        if let Some(at) = ended_at {
            self.mark_ended(id, at);
        }
        response
    }

    fn log_emulator(&mut self, id: &CallId, at: Instant, note: Value) {
        if let Some(entry) = self.calls.get_mut(id) {
            entry.log(LogEntry::Emulator(at, note));
        }
    }

    // ---- notifications ----

    /// Queues a notification for the call's bot, or drops it when the
    /// outbox is full.
    fn send(&mut self, id: &CallId, at: Instant, body: String) {
        let bot_callback = self.config.bot_callback.clone();
        let capacity = self.config.outbox;
        let Some(entry) = self.calls.get_mut(id) else {
            return;
        };
        entry.notifications += 1;
        let number = entry.notifications;
        let Some(url) = entry.callback.clone().or(bot_callback) else {
            entry.stats.dropped += 1;
            let note = json!({"delivery": {"notification": number, "dropped": "no callback URL"}});
            entry.log(LogEntry::Emulator(at, note));
            return;
        };
        if entry.outbox.len() >= capacity {
            entry.stats.dropped += 1;
            let note = json!({"delivery": {"notification": number, "dropped": format!("the outbox holds {capacity} notifications")}});
            entry.log(LogEntry::Emulator(at, note));
            return;
        }
        entry.outbox.push_back(Outgoing { url, body, number });
        if !entry.delivering {
            entry.delivering = true;
            self.kicks.push(id.clone());
        }
    }

    /// The notification a delivery task sends next; `None` ends the task.
    pub fn next_delivery(&mut self, id: &CallId) -> Option<Outgoing> {
        let entry = self.calls.get_mut(id)?;
        match entry.outbox.front() {
            Some(next) => Some(next.clone()),
            None => {
                entry.delivering = false;
                None
            }
        }
    }

    /// What became of an attempt to deliver notification `number`.
    pub fn delivery_attempted(
        &mut self,
        id: &CallId,
        now: Instant,
        number: u64,
        attempt: u32,
        outcome: Attempt,
    ) {
        let Some(entry) = self.calls.get_mut(id) else {
            return;
        };
        let (result, done) = match &outcome {
            Attempt::Delivered { status } => {
                entry.stats.sent += 1;
                (json!(status), true)
            }
            Attempt::Failed { why, last: true } => {
                entry.stats.dropped += 1;
                (
                    json!(format!("{why}; dropped after {attempt} attempts")),
                    true,
                )
            }
            Attempt::Failed { why, last: false } => {
                entry.stats.retried += 1;
                (json!(why), false)
            }
        };
        if done && entry.outbox.front().is_some_and(|o| o.number == number) {
            entry.outbox.pop_front();
        }
        let note =
            json!({"delivery": {"notification": number, "attempt": attempt, "result": result}});
        entry.log(LogEntry::Emulator(now, note));
    }

    /// The emulator's own call notification (offer, establishing, the end
    /// of a call never established), in the engine's envelope.
    fn send_call_state(&mut self, id: &CallId, at: Instant, change: &str, resource: Value) {
        let mut item = json!({
            "@odata.type": "#microsoft.graph.commsNotification",
            "changeType": change,
        });
        if self.replay.wire.legacy_resource_field {
            item["resource"] = json!(format!("/app/calls/{}", id.as_str()));
        }
        item["resourceUrl"] = json!(format!("/communications/calls/{}", id.as_str()));
        item["resourceData"] = resource;
        let body = json!({
            "@odata.type": "#microsoft.graph.commsNotifications",
            "value": [item],
        });
        self.send(id, at, body.to_string());
    }

    // ---- call lifecycle ----

    fn new_call_id(&mut self) -> CallId {
        self.next_call += 1;
        match self.config.seed {
            Some(seed) => {
                // splitmix64 of (seed, n), written as a GUID.
                let mix = |mut z: u64| {
                    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    z ^ (z >> 31)
                };
                let high = mix(seed ^ self.next_call.wrapping_mul(0xa076_1d64_78bd_642f));
                let low = mix(high ^ self.next_call);
                let bytes = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
                CallId::new(
                    &uuid::Builder::from_random_bytes(bytes)
                        .into_uuid()
                        .to_string(),
                )
            }
            None => CallId::new(&uuid::Uuid::new_v4().to_string()),
        }
    }

    /// Makes a call with its run (config line and every-call fault rules
    /// first).
    fn create(
        &mut self,
        id: CallId,
        now: Instant,
        state: CallState,
        direction: &'static str,
        source: Value,
    ) -> Result<(), Reply> {
        if self.calls.len() >= MAX_CALLS {
            self.forget_ended(MAX_CALLS - 1);
        }
        if self.calls.len() >= MAX_CALLS {
            let mut reply = Reply::error(
                503,
                format!("the emulator holds {MAX_CALLS} calls; end some first"),
            );
            reply.retry_after = Some(1);
            return Err(reply);
        }
        let mut run = Replayer::new(ReplayOptions {
            ids: self.ids.clone(),
            snapshot_at: None,
        });
        let mut records = Vec::new();
        run.run_line(&self.config_line, &mut records)
            .map_err(|e| Reply::error(500, format!("config: {e}")))?;
        let entry = CallEntry {
            id: id.clone(),
            state,
            direction,
            source,
            targets: json!([]),
            modalities: json!(["audio"]),
            callback: None,
            run,
            scenario: vec![self.config_line.clone()],
            scenario_complete: true,
            log: Vec::new(),
            log_dropped: 0,
            script: CallerScript::new(),
            script_on_establish: Vec::new(),
            establish_at: None,
            offer_expires: None,
            outbox: VecDeque::new(),
            delivering: false,
            stats: DeliveryStats::default(),
            notifications: 0,
            deadline: None,
        };
        self.calls.insert(id.clone(), entry);
        for rule in self.every_call_faults.clone() {
            self.feed(&id, now, json!({ "fault": rule }));
        }
        Ok(())
    }

    /// Ends a call the engine never held (an offer rejected, unanswered or
    /// hung up, an answer not yet established).
    fn end_unestablished(&mut self, id: &CallId, at: Instant, result: Value) {
        let Some(entry) = self.calls.get_mut(id) else {
            return;
        };
        entry.state = CallState::Terminated;
        let mut resource = entry.resource();
        resource["resultInfo"] = result;
        self.send_call_state(id, at, "deleted", resource);
        self.mark_ended(id, at);
        self.reschedule(id);
    }

    fn mark_ended(&mut self, id: &CallId, _at: Instant) {
        let Some(entry) = self.calls.get_mut(id) else {
            return;
        };
        entry.state = CallState::Terminated;
        entry.script.clear();
        entry.script_on_establish.clear();
        entry.establish_at = None;
        entry.offer_expires = None;
        if !self.ended.contains(id) {
            self.ended.push_back(id.clone());
        }
        self.forget_ended(MAX_CALLS);
    }

    /// Forgets the oldest ended calls beyond [`KEPT_ENDED_CALLS`], and more
    /// until at most `total` calls are held.
    fn forget_ended(&mut self, total: usize) {
        while self.ended.len() > KEPT_ENDED_CALLS
            || (self.calls.len() > total && !self.ended.is_empty())
        {
            let Some(id) = self.ended.pop_front() else {
                break;
            };
            if let Some(entry) = self.calls.remove(&id) {
                if let Some(deadline) = entry.deadline {
                    self.timers.remove(&(deadline, id));
                }
            }
        }
    }

    // ---- the Graph surface ----

    /// Serves a Graph request (EMULATOR.md, "The Graph surface"). `url` is
    /// the request's path and query.
    pub fn graph(&mut self, now: Instant, method: &str, url: &str, body: &[u8]) -> Reply {
        let segments = match wire::call_path_segments(url) {
            Ok((_, segments)) => segments,
            Err(error) => return Reply::graph_error(&error),
        };
        let action = |s: &str| {
            let name = s.strip_prefix("microsoft.graph.").unwrap_or(s);
            name.to_ascii_lowercase()
        };
        let method = method.to_ascii_uppercase();
        match (method.as_str(), segments.as_slice()) {
            ("POST", []) => self.create_outgoing(now, body),
            ("GET", [id]) => self.get_call(id),
            ("POST", [id, a]) if action(a) == "answer" => self.answer(now, id, body),
            ("POST", [id, a]) if action(a) == "reject" => self.reject(now, id, body),
            ("DELETE", [id])
                if self.state_of(id).is_some_and(|s| {
                    matches!(s, CallState::Incoming | CallState::Establishing)
                }) =>
            {
                let id = CallId::new(id);
                self.log_emulator(&id, now, json!({"request": "DELETE", "answer": 204}));
                self.end_unestablished(&id, now, ended_by_the_bot());
                Reply::empty(204)
            }
            (_, [id, ..])
                if self
                    .state_of(id)
                    .is_some_and(|s| s != CallState::Incoming && s != CallState::Establishing) =>
            {
                let id = CallId::new(id);
                self.media_request(now, &id, &method, url, body)
            }
            _ => {
                // A call the emulator does not hold (or not yet in the
                // engine): the engine's own answer.
                let response =
                    wire::handle_http(&self.stranger, &self.replay.wire, now, &method, url, body);
                Reply::from_graph(response)
            }
        }
    }

    fn state_of(&self, id: &str) -> Option<CallState> {
        self.calls.get(&CallId::new(id)).map(|e| e.state)
    }

    /// A media action, `GET` of an operation or `DELETE`, through the call's
    /// run (the crate's wire layer), byte for byte what `ivr-replay` answers.
    fn media_request(
        &mut self,
        now: Instant,
        id: &CallId,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Reply {
        self.advance(id, now);
        // `$opN` means something to a scenario line; `%24` reads back as `$`.
        let mut request = json!({"method": method, "url": url.replace('$', "%24")});
        if !body.is_empty() {
            request["rawBody"] = json!(String::from_utf8_lossy(body));
        }
        let response = self.feed(id, now, json!({ "request": request }));
        self.reschedule(id);
        match response {
            Some(response) => Reply::from_graph(response),
            None => Reply::error(500, "the call's run gave no response"),
        }
    }

    fn get_call(&mut self, id: &str) -> Reply {
        match self.calls.get(&CallId::new(id)) {
            Some(entry) if entry.state != CallState::Terminated => {
                Reply::json(200, &entry.resource())
            }
            _ => Reply::error(404, format!("call '{}' was not found", short(id))),
        }
    }

    /// `POST /communications/calls`: an outgoing call, answered by the
    /// callee after `--answer-ms`.
    fn create_outgoing(&mut self, now: Instant, body: &[u8]) -> Reply {
        let call = match json_object(body) {
            Ok(call) => call,
            Err(reply) => return reply,
        };
        let callback = match callback_uri(&call) {
            Ok(url) => url,
            Err(reply) => return reply,
        };
        if let Err(reply) = service_hosted(&call) {
            return reply;
        }
        let targets = match call.get("targets") {
            Some(Value::Array(targets)) if !targets.is_empty() => Value::Array(targets.clone()),
            _ => {
                return Reply::error(
                    400,
                    "targets: an outgoing call needs at least one invitationParticipantInfo",
                );
            }
        };
        let id = self.new_call_id();
        let source = json!({
            "@odata.type": "#microsoft.graph.participantInfo",
            "identity": {
                "@odata.type": "#microsoft.graph.identitySet",
                "application": {"@odata.type": "#microsoft.graph.identity", "id": "graph-emulator-bot", "displayName": "bot"},
            },
        });
        if let Err(reply) =
            self.create(id.clone(), now, CallState::Establishing, "outgoing", source)
        {
            return reply;
        }
        let answer_at = now.saturating_add(std::time::Duration::from_millis(self.config.answer_ms));
        let entry = self.calls.get_mut(&id).expect("just created");
        entry.callback = Some(callback);
        entry.targets = targets;
        if let Some(modalities) = call.get("requestedModalities") {
            entry.modalities = modalities.clone();
        }
        entry.establish_at = Some(answer_at);
        let resource = entry.resource();
        self.log_emulator(&id, now, json!({"request": "create", "answer": 201}));
        self.send_call_state(&id, now, "updated", resource.clone());
        self.reschedule(&id);
        let mut reply = Reply::json(201, &resource);
        reply.location = Some(format!(
            "https://graph.microsoft.com/v1.0/communications/calls/{}",
            id.as_str()
        ));
        reply
    }

    fn answer(&mut self, now: Instant, id: &str, body: &[u8]) -> Reply {
        let id = CallId::new(id);
        match self.state_of(id.as_str()) {
            None | Some(CallState::Terminated) => {
                return Reply::error(404, format!("call '{}' was not found", short(id.as_str())));
            }
            Some(CallState::Incoming) => {}
            Some(state) => {
                return Reply::error(
                    400,
                    format!(
                        "call: only an incoming call can be answered; this one is {}",
                        state.as_str()
                    ),
                );
            }
        }
        let answer = match json_object(body) {
            Ok(answer) => answer,
            Err(reply) => return reply,
        };
        let callback = match callback_uri(&answer) {
            Ok(url) => url,
            Err(reply) => return reply,
        };
        if let Err(reply) = service_hosted(&answer) {
            return reply;
        }
        let entry = self.calls.get_mut(&id).expect("state_of found it");
        entry.state = CallState::Establishing;
        entry.callback = Some(callback);
        entry.offer_expires = None;
        if let Some(modalities) = answer.get("acceptedModalities") {
            entry.modalities = modalities.clone();
        }
        entry.establish_at =
            Some(now.saturating_add(std::time::Duration::from_millis(ANSWER_SETUP_MS)));
        let resource = entry.resource();
        self.log_emulator(&id, now, json!({"request": "answer", "answer": 202}));
        self.send_call_state(&id, now, "updated", resource);
        self.reschedule(&id);
        Reply::empty(202)
    }

    fn reject(&mut self, now: Instant, id: &str, body: &[u8]) -> Reply {
        let id = CallId::new(id);
        match self.state_of(id.as_str()) {
            None | Some(CallState::Terminated) => {
                return Reply::error(404, format!("call '{}' was not found", short(id.as_str())));
            }
            Some(CallState::Incoming) => {}
            Some(state) => {
                return Reply::error(
                    400,
                    format!(
                        "call: only an incoming call can be rejected; this one is {}",
                        state.as_str()
                    ),
                );
            }
        }
        let reject = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match json_object(body) {
                Ok(reject) => reject,
                Err(reply) => return reply,
            }
        };
        let (code, message) = match reject.get("reason") {
            None | Some(Value::Null) => (603, "The call was rejected."),
            Some(Value::String(r)) if r.eq_ignore_ascii_case("none") => {
                (603, "The call was rejected.")
            }
            Some(Value::String(r)) if r.eq_ignore_ascii_case("busy") => {
                (486, "The call was rejected: busy.")
            }
            Some(Value::String(r)) if r.eq_ignore_ascii_case("forbidden") => {
                (403, "The call was rejected: forbidden.")
            }
            Some(other) => {
                return Reply::error(
                    400,
                    format!(
                        "reason: must be none, busy or forbidden, got {}",
                        short(&other.to_string())
                    ),
                );
            }
        };
        self.log_emulator(&id, now, json!({"request": "reject", "answer": 202}));
        let result = json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": code,
            "subcode": 0,
            "message": message,
        });
        self.end_unestablished(&id, now, result);
        Reply::empty(202)
    }

    // ---- the control surface ----

    /// Serves `/emulator/...` (EMULATOR.md, "The caller and the test's
    /// controls"). `path` has no query; `query` is what followed `?`.
    pub fn control(
        &mut self,
        now: Instant,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Reply {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let method = method.to_ascii_uppercase();
        match (method.as_str(), &segments[1..]) {
            ("POST", ["calls"]) => self.offer(now, body),
            ("POST", ["faults"]) => self.add_faults(now, body),
            (_, ["calls", id, rest @ ..]) => {
                let id = match percent_decoded(id) {
                    Some(id) => CallId::new(&id),
                    None => return Reply::error(400, "call id: not valid percent-encoded UTF-8"),
                };
                if !self.calls.contains_key(&id) {
                    return Reply::error(
                        404,
                        format!("call '{}' was not found", short(id.as_str())),
                    );
                }
                match (method.as_str(), rest) {
                    ("GET", []) => self.call_state(now, &id),
                    ("POST", ["events"]) => self.caller_event(now, &id, body),
                    ("POST", ["script"]) => self.caller_script(now, &id, body),
                    ("GET", ["log"]) => self.call_log(now, &id, query),
                    ("GET", ["scenario"]) => self.call_scenario(now, &id),
                    _ => Reply::error(
                        404,
                        format!("no such emulator resource: {method} {}", short(path)),
                    ),
                }
            }
            _ => Reply::error(
                404,
                format!("no such emulator resource: {method} {}", short(path)),
            ),
        }
    }

    fn offer(&mut self, now: Instant, body: &[u8]) -> Reply {
        let offer = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match json_object(body) {
                Ok(offer) => offer,
                Err(reply) => return reply,
            }
        };
        if let Some(key) = offer
            .keys()
            .find(|k| !["callId", "source", "script"].contains(&k.as_str()))
        {
            return Reply::error(
                400,
                format!("{key}: unknown field (an offer has callId, source, script)"),
            );
        }
        if self.config.bot_callback.is_none() {
            return Reply::error(
                409,
                "bot-callback: the emulator was started without --bot-callback, so it cannot offer calls",
            );
        }
        let id = match offer.get("callId") {
            None | Some(Value::Null) => self.new_call_id(),
            Some(Value::String(id)) => match CallId::parse(id) {
                Ok(id) => id,
                Err(why) => {
                    return Reply::error(
                        400,
                        format!("callId: {why} (at most {MAX_CALL_ID_BYTES} bytes)"),
                    );
                }
            },
            Some(other) => {
                return Reply::error(
                    400,
                    format!(
                        "callId: must be a string, got {}",
                        short(&other.to_string())
                    ),
                );
            }
        };
        if self.calls.contains_key(&id) {
            return Reply::error(409, format!("callId: '{}' is in use", short(id.as_str())));
        }
        let identity = match offer.get("source") {
            None | Some(Value::Null) => json!({
                "@odata.type": "#microsoft.graph.identitySet",
                "phone": {"@odata.type": "#microsoft.graph.identity", "id": "+15555550100"},
            }),
            Some(Value::Object(source)) => Value::Object(source.clone()),
            Some(other) => {
                return Reply::error(
                    400,
                    format!(
                        "source: must be an identitySet object, got {}",
                        short(&other.to_string())
                    ),
                );
            }
        };
        let script = match offer.get("script") {
            None | Some(Value::Null) => Vec::new(),
            Some(script) => match parse_script(script, &id) {
                Ok(script) => script,
                Err(reply) => return reply,
            },
        };
        let source =
            json!({"@odata.type": "#microsoft.graph.participantInfo", "identity": identity});
        if let Err(reply) = self.create(id.clone(), now, CallState::Incoming, "incoming", source) {
            return reply;
        }
        let expires = now.saturating_add(std::time::Duration::from_millis(OFFER_TIMEOUT_MS));
        let entry = self.calls.get_mut(&id).expect("just created");
        entry.script_on_establish = script;
        entry.offer_expires = Some(expires);
        let resource = entry.resource();
        self.log_emulator(
            &id,
            now,
            json!({"offer": self.config.bot_callback, "answer": 201}),
        );
        self.send_call_state(&id, now, "created", resource);
        self.reschedule(&id);
        Reply::json(201, &json!({"callId": id.as_str()}))
    }

    fn established(&self, id: &CallId) -> Result<(), Reply> {
        match self.calls.get(id).map(|e| e.state) {
            Some(CallState::Established) => Ok(()),
            Some(state) => Err(Reply::error(
                409,
                format!(
                    "call: caller events need an established call; this one is {}",
                    state.as_str()
                ),
            )),
            None => Err(Reply::error(404, "call: not found")),
        }
    }

    fn caller_event(&mut self, now: Instant, id: &CallId, body: &[u8]) -> Reply {
        let event = match json_object(body).and_then(|e| checked_event(e, id, "")) {
            Ok(event) => event,
            Err(reply) => return reply,
        };
        self.advance(id, now);
        if let Err(reply) = self.established(id) {
            return reply;
        }
        self.feed(id, now, Value::Object(event));
        self.reschedule(id);
        Reply::empty(202)
    }

    fn caller_script(&mut self, now: Instant, id: &CallId, body: &[u8]) -> Reply {
        let script = match serde_json::from_slice::<Value>(body) {
            Ok(script) => match parse_script(&script, id) {
                Ok(script) => script,
                Err(reply) => return reply,
            },
            Err(e) => return Reply::error(400, format!("body: not valid JSON: {e}")),
        };
        self.advance(id, now);
        if let Err(reply) = self.established(id) {
            return reply;
        }
        let entry = self.calls.get_mut(id).expect("established");
        if let Err(full) = entry.script.handle_script(now, script.into_iter()) {
            return Reply::error(400, format!("script: {full}"));
        }
        self.reschedule(id);
        Reply::empty(202)
    }

    fn add_faults(&mut self, now: Instant, body: &[u8]) -> Reply {
        let rules = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(rules)) => rules,
            Ok(rule @ Value::Object(_)) => vec![rule],
            Ok(_) => {
                return Reply::error(400, "body: must be a fault rule object or an array of them");
            }
            Err(e) => return Reply::error(400, format!("body: not valid JSON: {e}")),
        };
        let mut targets = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let line = json!({"at_ms": 0, "fault": rule}).to_string();
            if let Err(message) = Replayer::check_line(&line) {
                return Reply::error(400, format!("rules[{i}]: {message}"));
            }
            let call = match rule.get("call") {
                Some(Value::String(call)) => {
                    let call = CallId::new(call);
                    if !self.calls.contains_key(&call) {
                        return Reply::error(
                            404,
                            format!(
                                "rules[{i}].call: call '{}' was not found",
                                short(call.as_str())
                            ),
                        );
                    }
                    Some(call)
                }
                _ => None,
            };
            targets.push(call);
        }
        let every = targets.iter().filter(|t| t.is_none()).count();
        if self.every_call_faults.len() + every > MAX_EVERY_CALL_FAULTS {
            return Reply::error(
                400,
                format!("rules: at most {MAX_EVERY_CALL_FAULTS} rules for every call may be set"),
            );
        }
        for (rule, call) in rules.into_iter().zip(targets) {
            let calls: Vec<CallId> = match call {
                Some(call) => vec![call],
                None => {
                    self.every_call_faults.push(rule.clone());
                    self.calls
                        .iter()
                        .filter(|(_, e)| e.state != CallState::Terminated)
                        .map(|(id, _)| id.clone())
                        .collect()
                }
            };
            for id in calls {
                self.advance(&id, now);
                self.feed(&id, now, json!({ "fault": rule }));
                self.reschedule(&id);
            }
        }
        Reply::empty(202)
    }

    fn call_state(&mut self, now: Instant, id: &CallId) -> Reply {
        self.advance(id, now);
        let Some(entry) = self.calls.get(id) else {
            return Reply::error(404, "call: not found");
        };
        let inspect = ReplayRecord::Inspect {
            at: now,
            call: id.clone(),
            view: entry.run.view(id),
        };
        let mut line = Vec::new();
        let _ = write_jsonl(
            &mut line,
            std::slice::from_ref(&inspect),
            &self.replay,
            false,
        );
        let queue = serde_json::from_slice::<Value>(&line)
            .ok()
            .and_then(|mut v| v.get_mut("inspect").map(Value::take))
            .unwrap_or(Value::Null);
        let stats = entry.stats;
        Reply::json(
            200,
            &json!({
                "callId": id.as_str(),
                "state": entry.state.as_str(),
                "direction": entry.direction,
                "queue": queue,
                "delivery": {
                    "sent": stats.sent,
                    "retried": stats.retried,
                    "dropped": stats.dropped,
                    "pending": entry.outbox.len(),
                },
                "logDropped": entry.log_dropped,
            }),
        )
    }

    fn call_log(&mut self, now: Instant, id: &CallId, query: &str) -> Reply {
        self.advance(id, now);
        let Some(entry) = self.calls.get(id) else {
            return Reply::error(404, "call: not found");
        };
        let timeline = query.split('&').any(|p| p == "format=timeline");
        if !timeline
            && query
                .split('&')
                .any(|p| p.starts_with("format=") && p != "format=jsonl")
        {
            return Reply::error(400, "format: must be jsonl or timeline");
        }
        let mut out = Vec::new();
        let mut writer = TimelineWriter::default();
        for entry in &entry.log {
            match (entry, timeline) {
                (LogEntry::Engine(record), false) => {
                    let _ =
                        write_jsonl(&mut out, std::slice::from_ref(record), &self.replay, false);
                }
                (LogEntry::Engine(record), true) => {
                    let _ = writer.write(&mut out, std::slice::from_ref(record));
                }
                (LogEntry::Emulator(at, note), false) => {
                    let line = json!({"at_ms": at.as_millis(), "emulator": note});
                    out.extend_from_slice(line.to_string().as_bytes());
                    out.push(b'\n');
                }
                (LogEntry::Emulator(at, note), true) => {
                    let ms = at.as_millis();
                    let text = format!(
                        "{:>6}.{:03}s  {:<10} {:<9} {}\n",
                        ms / 1000,
                        ms % 1000,
                        ivr_media_queue::replay::terminal_safe(id.as_str()),
                        "emulator",
                        ivr_media_queue::replay::terminal_safe(&note.to_string())
                    );
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        let content_type = if timeline {
            "text/plain; charset=utf-8"
        } else {
            "application/x-ndjson"
        };
        Reply::text(
            200,
            content_type,
            String::from_utf8_lossy(&out).into_owned(),
        )
    }

    fn call_scenario(&mut self, now: Instant, id: &CallId) -> Reply {
        self.advance(id, now);
        let Some(entry) = self.calls.get(id) else {
            return Reply::error(404, "call: not found");
        };
        if !entry.scenario_complete {
            return Reply::error(
                409,
                format!(
                    "scenario: the call's inputs passed {MAX_SCENARIO_LINES} lines and are no longer kept"
                ),
            );
        }
        let mut text = entry.scenario.join("\n");
        text.push('\n');
        text.push_str(&json!({"at_ms": now.as_millis()}).to_string());
        text.push('\n');
        Reply::text(200, "application/x-ndjson", text)
    }
}

/// 200/5001, as the engine ends a call the bot deletes.
fn ended_by_the_bot() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.resultInfo",
        "code": 200,
        "subcode": 5001,
        "message": "The conversation has ended.",
    })
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Reply::error(400, "body: must be a JSON object")),
        Err(e) => Err(Reply::error(400, format!("body: not valid JSON: {e}"))),
    }
}

fn callback_uri(object: &Map<String, Value>) -> Result<String, Reply> {
    match object.get("callbackUri") {
        Some(Value::String(url)) => check_http_url(url)
            .map(|()| url.clone())
            .map_err(|e| Reply::error(400, format!("callbackUri: {e}"))),
        Some(other) => Err(Reply::error(
            400,
            format!(
                "callbackUri: must be a string, got {}",
                short(&other.to_string())
            ),
        )),
        None => Err(Reply::error(
            400,
            "callbackUri: is required (where the call's notifications go)",
        )),
    }
}

/// Only service-hosted media: the engine is the media queue.
fn service_hosted(object: &Map<String, Value>) -> Result<(), Reply> {
    let kind = object
        .get("mediaConfig")
        .and_then(|m| m.get("@odata.type"))
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#').to_ascii_lowercase());
    match kind.as_deref() {
        Some("microsoft.graph.servicehostedmediaconfig") => Ok(()),
        Some("microsoft.graph.apphostedmediaconfig") => Err(Reply::error(
            400,
            "mediaConfig: app-hosted media is not emulated; use #microsoft.graph.serviceHostedMediaConfig",
        )),
        _ => Err(Reply::error(
            400,
            "mediaConfig: must be {\"@odata.type\": \"#microsoft.graph.serviceHostedMediaConfig\"}",
        )),
    }
}

/// A caller event from outside: an object in `ivr-replay`'s event shape,
/// without `at_ms` and `call` (`at_ms` allowed only in scripts).
fn checked_event(
    mut event: Map<String, Value>,
    id: &CallId,
    field: &str,
) -> Result<Map<String, Value>, Reply> {
    const KEYS: [&str; 5] = ["event", "tone", "reason", "operation", "resultInfo"];
    if let Some(key) = event.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Reply::error(
            400,
            format!(
                "{field}{key}: unknown field (an event has event, tone, reason, operation, resultInfo)"
            ),
        ));
    }
    if event.get("event").and_then(Value::as_str) == Some("callEstablished") {
        return Err(Reply::error(
            400,
            format!("{field}event: callEstablished is the emulator's to send (answer the call)"),
        ));
    }
    event.insert("call".to_owned(), json!(id.as_str()));
    let mut line = event.clone();
    line.insert("at_ms".to_owned(), json!(0));
    Replayer::check_line(&Value::Object(line).to_string())
        .map_err(|message| Reply::error(400, format!("{field}{message}")))?;
    event.remove("call");
    Ok(event)
}

/// A script: a list of events with `at_ms` offsets.
fn parse_script(script: &Value, id: &CallId) -> Result<Vec<(u64, CallerEvent)>, Reply> {
    let Value::Array(items) = script else {
        return Err(Reply::error(400, "script: must be a list of events"));
    };
    if items.len() > ivr_media_queue::sim::MAX_SCRIPTED_EVENTS {
        return Err(Reply::error(
            400,
            format!(
                "script: at most {} events",
                ivr_media_queue::sim::MAX_SCRIPTED_EVENTS
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(item) = item else {
                return Err(Reply::error(400, format!("script[{i}]: must be an object")));
            };
            let mut item = item.clone();
            let at = match item.remove("at_ms") {
                Some(Value::Number(n))
                    if n.as_u64()
                        .is_some_and(|n| n <= ivr_media_queue::sim::MAX_SIMULATED_MS * 24) =>
                {
                    n.as_u64().unwrap_or(0)
                }
                Some(other) => {
                    return Err(Reply::error(
                        400,
                        format!(
                            "script[{i}].at_ms: must be a whole number of ms, 0 to a day, got {}",
                            short(&other.to_string())
                        ),
                    ));
                }
                None => return Err(Reply::error(400, format!("script[{i}].at_ms: is required"))),
            };
            let event = checked_event(item, id, &format!("script[{i}]."))?;
            Ok((at, event))
        })
        .collect()
}

fn percent_decoded(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// At most 60 characters of something echoed in a message.
fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
