//! The emulator's state: every call with its `ivr-replay` run (the crate's
//! engine, simulated media layer and fault rules), its log, its exported
//! scenario, its caller script and its outbox.
//!
//! No I/O and no clock: every method takes `now`, as the crate does. The
//! HTTP layer (`server.rs`) and the delivery tasks (`delivery.rs`) call it
//! from any thread, and the timer task calls [`World::run_due`] when
//! [`World::next_deadline`] comes.
//!
//! Each call has a lock of its own, so calls never wait for each other: a
//! short lock finds the call in the registry, then the call's lock is held
//! for the whole input. An input never waits for a lock while it holds a
//! call's, except the timer set's and the kick list's, which are held for a
//! few instructions; the registry is never locked while a call is, but by
//! `try_lock` when ended calls are forgotten. A call's inputs see its time
//! move forward: `now` is raised to the latest any input of the call saw.
//!
//! Every input of a call goes to its run as an `ivr-replay` scenario line,
//! and that very line is what the call's exported scenario holds: replaying
//! the export prints the log's records by construction. Each call has a run
//! of its own (an engine holding one call) so that fault rules, which count
//! what they match, apply to a call exactly as its export replays them.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicUsize, Ordering};

mod control;
mod graph;

use ivr_media_queue::replay::{ReplayConfig, ReplayOptions, ReplayRecord, Replayer};
use ivr_media_queue::sim::CallerScript;
use ivr_media_queue::wire::resource::{PathRoot, ResourcePath};
use ivr_media_queue::wire::{self, GraphError, GraphResponse};
use ivr_media_queue::{CallId, Engine, EngineConfig, IdSource, Instant, Notification};
use parking_lot::Mutex;
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
pub const MAX_KEPT_BYTES: usize = 128 << 20;
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
            Self::Engine(_) | Self::Emulator(..) => 2 * RECORD,
        }
    }
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
    /// The latest `now` an input of the call saw.
    last_now: Instant,
    /// The deadline the call holds in the timer set.
    deadline: Option<Instant>,
    /// Which call of this id.
    generation: u64,
    /// Taken out of the registry: whoever still holds it treats the call as
    /// unknown.
    forgotten: bool,
    /// Its run did not advance past its own deadline (a bug of the crate's
    /// the emulator logs once): its own timers are no longer polled.
    stuck: bool,
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
            self.run
                .poll_timeout()
                .filter(|_| !self.stuck)
                .map(|t| (t, Due::Run)),
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

    /// Keeps a log entry; once one was dropped, every later one is too (a
    /// log with a hole would not be what the export replays to).
    fn log(&mut self, entry: LogEntry) {
        if self.log_dropped == 0 && self.keep(entry.weight()) {
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

/// Every call, by id.
#[derive(Default)]
struct Registry {
    calls: HashMap<CallId, Arc<Mutex<CallEntry>>>,
    /// Ended calls, oldest first.
    ended: VecDeque<CallId>,
    /// Fault rules for every call (`fault` line objects): new calls get them.
    every_call_faults: Vec<Value>,
}

/// Each call's next deadline, and what the timer task sleeps until.
#[derive(Default)]
struct Timers {
    set: BTreeSet<(Instant, CallId)>,
    armed: Option<Instant>,
    wake: bool,
}

/// Every call, and the timers of all.
pub struct World {
    config: WorldConfig,
    replay: ReplayConfig,
    config_line: String,
    ids: IdSource,
    /// Answers requests for calls the emulator does not hold, exactly as
    /// the engine answers them.
    stranger: Engine,
    registry: Mutex<Registry>,
    timers: Mutex<Timers>,
    /// Calls whose outbox got a notification while no delivery task ran.
    kicks: Mutex<Vec<CallId>>,
    /// Bytes of log and scenario all calls keep.
    kept: Arc<AtomicUsize>,
    /// Call ids made so far (with `--seed`).
    next_call: AtomicU64,
    /// Calls made so far (each call's generation).
    generations: AtomicU64,
}

/// One call, locked, in the world: what an input of the call works on.
struct Call<'a> {
    world: &'a World,
    entry: &'a mut CallEntry,
    /// The call's time for this input (never before an earlier input's).
    now: Instant,
    /// The call ended during this input.
    ended: bool,
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
            shards: 1,
            ..EngineConfig::default()
        })
        .map_err(|e| format!("config: {e}"))?;
        Ok(Self {
            config,
            replay,
            config_line,
            ids,
            stranger,
            registry: Mutex::new(Registry::default()),
            timers: Mutex::new(Timers::default()),
            kicks: Mutex::new(Vec::new()),
            kept: Arc::new(AtomicUsize::new(0)),
            next_call: AtomicU64::new(0),
            generations: AtomicU64::new(0),
        })
    }

    // ---- time ----

    /// When the next call has something due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.lock().set.first().map(|(t, _)| *t)
    }

    /// The timer task sleeps until `deadline`: an earlier one wakes it.
    pub fn arm(&self, deadline: Option<Instant>) {
        let mut timers = self.timers.lock();
        timers.armed = deadline;
        timers.wake = false;
    }

    /// Whether a deadline earlier than the armed one appeared.
    pub fn take_wake(&self) -> bool {
        std::mem::take(&mut self.timers.lock().wake)
    }

    /// Fires everything due at or before `now`, on every call (each call
    /// once: what a call schedules at or before `now` while it runs, it
    /// runs itself).
    pub fn run_due(&self, now: Instant) {
        let due: Vec<CallId> = self
            .timers
            .lock()
            .set
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| id.clone())
            .collect();
        for id in due {
            // Inputs advance their call first: nothing more to do.
            if self.with_call(&id, now, |_| ()).is_none() {
                // Forgotten meanwhile: its deadline goes with it.
                self.timers
                    .lock()
                    .set
                    .retain(|(at, call)| *call != id || *at > now);
            }
        }
    }

    /// Calls that need a delivery task started.
    pub fn take_kicks(&self) -> Vec<CallId> {
        std::mem::take(&mut *self.kicks.lock())
    }

    // ---- calls ----

    /// Runs `f` on the call at `now` (raised to the call's latest time),
    /// after firing what was due on it before; files its next deadline
    /// after. `None` if the emulator holds no such call.
    fn with_call<T>(
        &self,
        id: &CallId,
        now: Instant,
        f: impl FnOnce(&mut Call<'_>) -> T,
    ) -> Option<T> {
        let slot = self.registry.lock().calls.get(id).cloned()?;
        let mut entry = slot.lock();
        if entry.forgotten {
            return None;
        }
        let now = now.max(entry.last_now);
        entry.last_now = now;
        let mut call = Call {
            world: self,
            entry: &mut entry,
            now,
            ended: false,
        };
        call.advance();
        let result = f(&mut call);
        call.reschedule();
        let ended = call.ended;
        drop(entry);
        if ended {
            self.ended(id.clone());
        }
        Some(result)
    }

    /// The call's entry as it is, without running it (delivery's view).
    fn with_entry<T>(&self, id: &CallId, f: impl FnOnce(&mut CallEntry) -> T) -> Option<T> {
        let slot = self.registry.lock().calls.get(id).cloned()?;
        let mut entry = slot.lock();
        (!entry.forgotten).then(|| f(&mut entry))
    }

    /// A call id no call holds (with `--seed`, the next of the seed's).
    fn new_call_id(&self) -> CallId {
        loop {
            let id = self.next_generated_id();
            if !self.registry.lock().calls.contains_key(&id) {
                return id;
            }
        }
    }

    fn next_generated_id(&self) -> CallId {
        let n = self.next_call.fetch_add(1, Ordering::Relaxed) + 1;
        match self.config.seed {
            Some(seed) => {
                // splitmix64 of (seed, n), written as a GUID.
                let mix = |mut z: u64| {
                    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    z ^ (z >> 31)
                };
                let high = mix(seed ^ n.wrapping_mul(0xa076_1d64_78bd_642f));
                let low = mix(high ^ n);
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
    /// first), and lets `set_up` start it before any other input can find
    /// it. `Err` when the id is in use (409) or the emulator is full (503).
    fn create<T>(
        &self,
        id: CallId,
        now: Instant,
        state: CallState,
        direction: &'static str,
        source: Value,
        set_up: impl FnOnce(&mut Call<'_>) -> T,
    ) -> Result<T, Reply> {
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
            last_now: now,
            deadline: None,
            generation: self.generations.fetch_add(1, Ordering::Relaxed),
            forgotten: false,
            stuck: false,
            kept_bytes: 0,
            kept: Arc::clone(&self.kept),
        };
        entry.keep_scenario_line(self.config_line.clone());
        let slot = Arc::new(Mutex::new(entry));
        // Locked before it is found: `set_up` runs before any other input.
        let mut entry = slot.lock();
        let every_call_faults = {
            let mut registry = self.registry.lock();
            if registry.calls.contains_key(&id) {
                return Err(Reply::error(
                    409,
                    format!("callId: '{}' is in use", short(id.as_str())),
                ));
            }
            if registry.calls.len() >= MAX_CALLS {
                forget_ended(&mut registry, &self.timers, MAX_CALLS - 1);
            }
            if registry.calls.len() >= MAX_CALLS {
                let mut reply = Reply::error(
                    503,
                    format!("the emulator holds {MAX_CALLS} calls; end some first"),
                );
                reply.retry_after = Some(1);
                return Err(reply);
            }
            registry.calls.insert(id.clone(), Arc::clone(&slot));
            registry.every_call_faults.clone()
        };
        let mut call = Call {
            world: self,
            entry: &mut entry,
            now,
            ended: false,
        };
        for rule in every_call_faults {
            call.feed(now, json!({ "fault": rule }));
        }
        let result = set_up(&mut call);
        call.reschedule();
        let ended = call.ended;
        drop(entry);
        if ended {
            self.ended(id);
        }
        Ok(result)
    }

    /// Notes a call's end; forgets the oldest ended calls past the bounds.
    fn ended(&self, id: CallId) {
        let mut registry = self.registry.lock();
        if !registry.ended.contains(&id) {
            registry.ended.push_back(id);
        }
        forget_ended(&mut registry, &self.timers, MAX_CALLS);
    }

    // ---- delivery ----

    /// The notification a delivery task sends next; `None` ends the task.
    /// A task that finds another generation than its first (its call was
    /// forgotten and the id reused) must end: the new call has its own.
    pub fn next_delivery(&self, id: &CallId) -> Option<Outgoing> {
        self.with_entry(id, |entry| match entry.outbox.front() {
            Some(next) => Some(next.clone()),
            None => {
                entry.delivering = false;
                None
            }
        })
        .flatten()
    }

    /// What became of an attempt to deliver `sent`.
    pub fn delivery_attempted(
        &self,
        id: &CallId,
        now: Instant,
        sent: &Outgoing,
        attempt: u32,
        outcome: Attempt,
    ) {
        self.with_entry(id, |entry| {
            if entry.generation != sent.generation {
                return;
            }
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
        });
    }
}

/// Forgets the oldest ended calls beyond [`KEPT_ENDED_CALLS`] whose
/// notifications are all delivered or dropped, and more, delivered or not,
/// until at most `total` calls are held. A call busy with an input is left
/// for next time (`try_lock`: the registry never waits for a call).
fn forget_ended(registry: &mut Registry, timers: &Mutex<Timers>, total: usize) {
    let mut busy = Vec::new();
    while registry.ended.len() > KEPT_ENDED_CALLS
        || (registry.calls.len() > total && !registry.ended.is_empty())
    {
        let Some(id) = registry.ended.pop_front() else {
            break;
        };
        let Some(slot) = registry.calls.get(&id).cloned() else {
            continue;
        };
        let Some(mut entry) = slot.try_lock() else {
            busy.push(id);
            continue;
        };
        if !entry.outbox.is_empty() && registry.calls.len() <= total {
            // Still delivering: kept until it is done or room is short.
            drop(entry);
            registry.ended.push_front(id);
            break;
        }
        entry.forgotten = true;
        entry.kept.fetch_sub(entry.kept_bytes, Ordering::Relaxed);
        if let Some(deadline) = entry.deadline.take() {
            timers.lock().set.remove(&(deadline, id.clone()));
        }
        drop(entry);
        registry.calls.remove(&id);
    }
    for id in busy.into_iter().rev() {
        registry.ended.push_front(id);
    }
}

impl Call<'_> {
    fn id(&self) -> CallId {
        self.entry.id.clone()
    }

    /// Fires what is due on the call at or before its `now`, each at its
    /// own time.
    fn advance(&mut self) {
        let now = self.now;
        while let Some((at, due)) = self.entry.next_due().filter(|(at, _)| *at <= now) {
            match due {
                Due::Run => {
                    let mut records = Vec::new();
                    self.entry.run.handle_timeout(at, &mut records);
                    let stuck = self.entry.run.poll_timeout() == Some(at);
                    self.absorb(records);
                    if stuck {
                        // A run that fires nothing at its own deadline would
                        // spin the timer task; the crate promises it cannot.
                        self.entry.stuck = true;
                        let note = json!({"error": "the call's run did not advance past its deadline; its timers stop"});
                        self.entry.log(LogEntry::Emulator(at, note));
                    }
                }
                Due::Establish => {
                    self.entry.establish_at = None;
                    self.entry.state = CallState::Established;
                    let script = std::mem::take(&mut self.entry.script_on_establish);
                    // Bounded when the offer was taken.
                    let _ = self.entry.script.handle_script(at, script);
                    let line = json!({"event": "callEstablished", "call": self.entry.id.as_str()});
                    self.feed(at, line);
                }
                Due::OfferExpires => {
                    self.entry.offer_expires = None;
                    let result = json!({
                        "@odata.type": "#microsoft.graph.resultInfo",
                        "code": 408,
                        "subcode": 1106,
                        "message": "The call was not answered within 15 seconds.",
                    });
                    let note = json!({"offer": "expired", "resultInfo": result});
                    self.entry.log(LogEntry::Emulator(at, note));
                    self.end_unestablished(at, result);
                }
                Due::Script => {
                    if let Some((at, mut event)) = self.entry.script.poll_event(at) {
                        event.insert("call".to_owned(), json!(self.entry.id.as_str()));
                        self.feed(at, Value::Object(event));
                    }
                }
            }
        }
    }

    /// Files the call's next deadline; an earlier one than the timer task
    /// sleeps until wakes it.
    fn reschedule(&mut self) {
        let next = self.entry.next_due().map(|(t, _)| t);
        if next == self.entry.deadline {
            return;
        }
        let mut timers = self.world.timers.lock();
        if let Some(old) = self.entry.deadline.take() {
            timers.set.remove(&(old, self.entry.id.clone()));
        }
        if let Some(next) = next {
            self.entry.deadline = Some(next);
            timers.set.insert((next, self.entry.id.clone()));
            if timers.armed.is_none_or(|armed| next < armed) {
                timers.wake = true;
            }
        }
    }

    /// Runs one scenario line (`at_ms` added) on the call and keeps it for
    /// the export; returns the Graph response it produced, if any.
    fn feed(&mut self, at: Instant, line: Value) -> Option<GraphResponse> {
        let Value::Object(mut line) = line else {
            return None;
        };
        line.insert("at_ms".to_owned(), json!(at.as_millis()));
        let text = Value::Object(line).to_string();
        let mut records = Vec::new();
        let result = self.entry.run.run_line(&text, &mut records);
        self.entry.keep_scenario_line(text);
        if let Err(error) = result {
            // The emulator builds every line and checks outside input
            // first: this is its bug, kept in the log.
            let note = json!({"error": format!("the call's run stopped: {error}")});
            self.entry.log(LogEntry::Emulator(at, note));
        }
        self.absorb(records)
    }

    /// Logs a run's records; sends its notifications; notes the call's end.
    fn absorb(&mut self, records: Vec<ReplayRecord>) -> Option<GraphResponse> {
        let mut response = None;
        for record in records {
            match &record {
                ReplayRecord::Response { response: r, .. } => response = Some(r.clone()),
                ReplayRecord::Notification {
                    at,
                    call,
                    notification,
                    ..
                } if notification.is_graph() => {
                    let body = wire::notification_json(call, notification, &self.world.replay.wire);
                    self.send(*at, body);
                    if matches!(notification, Notification::CallTerminated { .. }) {
                        self.mark_ended();
                    }
                }
                _ => {}
            }
            self.entry.log(LogEntry::Engine(record));
        }
        if self.entry.state == CallState::Established && self.entry.run.live_calls() == 0 {
            // Ended, whatever fault rules did to its terminated notification.
            self.mark_ended();
        }
        response
    }

    fn log_emulator(&mut self, at: Instant, note: Value) {
        self.entry.log(LogEntry::Emulator(at, note));
    }

    /// Queues a notification for the call's bot, or drops it when the
    /// outbox is full.
    fn send(&mut self, at: Instant, body: String) {
        let capacity = self.world.config.outbox;
        let entry = &mut *self.entry;
        entry.notifications += 1;
        let number = entry.notifications;
        let Some(url) = entry
            .callback
            .clone()
            .or_else(|| self.world.config.bot_callback.clone())
        else {
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
            self.world.kicks.lock().push(entry.id.clone());
        }
    }

    /// The emulator's own call notification (offer, establishing, the end
    /// of a call never established), in the engine's envelope.
    fn send_call_state(&mut self, at: Instant, change: &str, resource: Value) {
        let id = self.entry.id.as_str();
        let path = |root| {
            let call = Cow::Borrowed(id);
            let path = ResourcePath {
                root,
                call,
                operation: None,
            };
            json!(path.to_string())
        };
        let mut item = json!({
            "@odata.type": "#microsoft.graph.commsNotification",
            "changeType": change,
        });
        if self.world.replay.wire.legacy_resource_field {
            item["resource"] = path(PathRoot::App);
        }
        item["resourceUrl"] = path(PathRoot::Communications);
        item["resourceData"] = resource;
        let body = json!({
            "@odata.type": "#microsoft.graph.commsNotifications",
            "value": [item],
        });
        self.send(at, body.to_string());
    }

    /// Ends a call the engine never held (an offer rejected, unanswered or
    /// hung up, an answer not yet established).
    fn end_unestablished(&mut self, at: Instant, result: Value) {
        self.entry.state = CallState::Terminated;
        let mut resource = self.entry.resource();
        resource["resultInfo"] = result;
        self.send_call_state(at, "deleted", resource);
        self.mark_ended();
    }

    fn mark_ended(&mut self) {
        let entry = &mut *self.entry;
        entry.state = CallState::Terminated;
        entry.script.clear();
        entry.script_on_establish.clear();
        entry.establish_at = None;
        entry.offer_expires = None;
        self.ended = true;
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
