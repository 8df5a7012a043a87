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

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

mod control;
mod graph;

use ivr_media_queue::replay::{ReplayConfig, ReplayOptions, ReplayRecord, Replayer};
use ivr_media_queue::sim::CallerScript;
use ivr_media_queue::wire::resource::{PathRoot, ResourcePath};
use ivr_media_queue::wire::{self, GraphError, GraphResponse};
use ivr_media_queue::{CallId, Engine, EngineConfig, IdSource, Instant, Notification};
use serde_json::{Map, Value, json};

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
/// Bytes of log and scenario a call keeps (about); past it, the call logs
/// no more (counted in `logDropped`) and has no export.
pub const MAX_CALL_BYTES: usize = 16 << 20;
/// Bytes of log and scenario all calls keep together (about); past it, as
/// past a call's own budget.
pub const MAX_KEPT_BYTES: usize = 512 << 20;
/// The largest Graph request body the emulator takes (its exports must
/// replay within `ivr-replay`'s 1 MiB lines, and JSON may escape a byte as
/// six); `maxBodyBytes` may not be set higher.
pub const MAX_GRAPH_BODY_BYTES: usize = 128 << 10;
/// The largest `source` an offer may carry, as JSON.
pub const MAX_SOURCE_BYTES: usize = 4 << 10;
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
            // Graph's codes for these statuses, as the wire writes them.
            code: match status {
                404 => "NotFound",
                409 => "Conflict",
                413 => "RequestEntityTooLarge",
                500 => "InternalServerError",
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
    /// Which call of that id (an id is reused once its call is forgotten).
    pub generation: u64,
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
    /// Which call of this id.
    generation: u64,
    /// Bytes this call keeps (log and scenario), about.
    kept_bytes: usize,
    /// Bytes all calls keep.
    kept: Arc<AtomicUsize>,
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
        if self.keep(entry.weight()) {
            self.log.push(entry);
        } else {
            self.log_dropped += 1;
        }
    }

    fn keep_scenario_line(&mut self, line: String) {
        if self.scenario_complete && self.keep(line.len()) {
            self.scenario.push(line);
        } else {
            self.scenario_complete = false;
        }
    }

    /// Takes room for `bytes` more from this call's budget and from the
    /// budget of all calls.
    fn keep(&mut self, bytes: usize) -> bool {
        if self.kept_bytes + bytes > MAX_CALL_BYTES {
            return false;
        }
        let taken = self
            .kept
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |kept| {
                (kept + bytes <= MAX_KEPT_BYTES).then_some(kept + bytes)
            })
            .is_ok();
        if taken {
            self.kept_bytes += bytes;
        }
        taken
    }
}

impl LogEntry {
    /// About the bytes it holds.
    fn weight(&self) -> usize {
        const RECORD: usize = 256;
        match self {
            Self::Engine(ReplayRecord::Request { url, body, .. }) => {
                RECORD + url.len() + body.len()
            }
            Self::Engine(ReplayRecord::Response { response, .. }) => {
                RECORD + response.body.as_ref().map_or(0, String::len)
            }
            Self::Engine(ReplayRecord::Trace { text, .. }) => RECORD + text.len(),
            Self::Engine(_) => 4 * RECORD,
            Self::Emulator(_, note) => RECORD + note.to_string().len(),
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
    /// Bytes of log and scenario all calls keep.
    kept: Arc<AtomicUsize>,
    /// Calls made so far (each call's generation).
    generations: u64,
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
        if replay.wire.max_body_bytes > MAX_GRAPH_BODY_BYTES {
            return Err(format!(
                "config.maxBodyBytes: the emulator takes at most {MAX_GRAPH_BODY_BYTES} (its exports must replay within ivr-replay's 1 MiB lines)"
            ));
        }
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
            kept: Arc::new(AtomicUsize::new(0)),
            generations: 0,
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

    /// Fires everything due at or before `now`, on every call (each call
    /// once: what a call schedules at or before `now` while it runs, it
    /// runs itself).
    pub fn run_due(&mut self, now: Instant) {
        let due: Vec<CallId> = self
            .timers
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| id.clone())
            .collect();
        for id in due {
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
                    let stuck = entry.run.poll_timeout() == Some(at);
                    self.absorb(id, records);
                    if stuck {
                        // A run that fires nothing at its own deadline would
                        // spin the timer task; the crate promises it cannot.
                        self.log_emulator(
                            id,
                            at,
                            json!({"error": "the call's run did not advance past its deadline"}),
                        );
                        break;
                    }
                }
                Due::Establish => {
                    entry.establish_at = None;
                    entry.state = CallState::Established;
                    let script = std::mem::take(&mut entry.script_on_establish);
                    // Bounded when the offer was taken.
                    let _ = entry.script.handle_script(at, script);
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
        entry.keep_scenario_line(text);
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
        let generation = entry.generation;
        entry.outbox.push_back(Outgoing {
            url,
            body,
            number,
            generation,
        });
        if !entry.delivering {
            entry.delivering = true;
            self.kicks.push(id.clone());
        }
    }

    /// The notification a delivery task sends next; `None` ends the task.
    /// A task that finds another generation than its first (its call was
    /// forgotten and the id reused) must end: the new call has its own.
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

    /// What became of an attempt to deliver `sent`.
    pub fn delivery_attempted(
        &mut self,
        id: &CallId,
        now: Instant,
        sent: &Outgoing,
        attempt: u32,
        outcome: Attempt,
    ) {
        let Some(entry) = self
            .calls
            .get_mut(id)
            .filter(|e| e.generation == sent.generation)
        else {
            return;
        };
        let number = sent.number;
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
        let path = |root| {
            let call = Cow::Borrowed(id.as_str());
            let path = ResourcePath {
                root,
                call,
                operation: None,
            };
            json!(path.to_string())
        };
        if self.replay.wire.legacy_resource_field {
            item["resource"] = path(PathRoot::App);
        }
        item["resourceUrl"] = path(PathRoot::Communications);
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
        let mut entry = CallEntry {
            id: id.clone(),
            state,
            direction,
            source,
            // The bot is who an incoming call targets; an outgoing call's
            // targets are the bot's own (set by the caller of `create`).
            targets: json!([{
                "@odata.type": "#microsoft.graph.invitationParticipantInfo",
                "identity": bot_identity(),
            }]),
            modalities: json!(["audio"]),
            callback: None,
            run,
            scenario: Vec::new(),
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
            generation: self.generations,
            kept_bytes: 0,
            kept: Arc::clone(&self.kept),
        };
        self.generations += 1;
        entry.keep_scenario_line(self.config_line.clone());
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

    /// Forgets the oldest ended calls beyond [`KEPT_ENDED_CALLS`] whose
    /// notifications are all delivered or dropped, and more, delivered or
    /// not, until at most `total` calls are held.
    fn forget_ended(&mut self, total: usize) {
        while self.ended.len() > KEPT_ENDED_CALLS
            || (self.calls.len() > total && !self.ended.is_empty())
        {
            let Some(id) = self.ended.pop_front() else {
                break;
            };
            let undelivered = self.calls.get(&id).is_some_and(|e| !e.outbox.is_empty());
            if undelivered && self.calls.len() <= total {
                // Still delivering: kept until it is done or room is short.
                self.ended.push_front(id);
                break;
            }
            if let Some(entry) = self.calls.remove(&id) {
                self.kept.fetch_sub(entry.kept_bytes, Ordering::Relaxed);
                if let Some(deadline) = entry.deadline {
                    self.timers.remove(&(deadline, id));
                }
            }
        }
    }
}

/// The bot, as the emulator names it in a call's `source` and `targets`.
pub(crate) fn bot_identity() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "application": {
            "@odata.type": "#microsoft.graph.identity",
            "id": "graph-emulator-bot",
            "displayName": "bot",
        },
    })
}

/// At most 60 characters of something echoed in a message.
pub(crate) fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
