//! `ivr-replay`: runs a scenario (JSON Lines of bot requests and caller
//! events on a virtual clock) through an [`Engine`] with a simulated media
//! layer, and records the traffic a bot would see.
//!
//! The format is described in `ivr-replay --help` and the README. The
//! simulated media layer plays the beep for `beepMs`, and stores a
//! recording at once when asked, at
//! `https://recordings.invalid/{callId}/{operationId}.wav` with access token
//! `token-{operationId}`. Prompts finish only when the scenario says so.

#[cfg(test)]
mod failed_move_stops_the_run;
mod format;
mod scenario;
mod stream;
mod strict;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::call::{CallView, CancelReceipt, CancelScope, MediaPhase};
use crate::config::EngineConfig;
use crate::engine::Engine;
use crate::engine::EngineOutput;
use crate::error::InputIgnored;
use crate::fault::{FaultError, Faults};
use crate::id::{CallId, IdSource, OperationId};
use crate::io::{MediaCommand, MediaInput, Notification, OperationEnded, Output};
use crate::model::ResultInfo;
use crate::model::{Action, ApiVersion, CollectDigits, Operation, Request};
use crate::sim::{MediaLayer, MediaReport};
use crate::snapshot::EngineSnapshot;
use crate::time::Instant;
use crate::wire::{self, GraphResponse, ParsedRequest};

pub use format::{TimelineWriter, terminal_safe, write_jsonl, write_timeline};
pub use scenario::ReplayConfig;
pub use stream::{
    DEFAULT_MAX_LINE_BYTES, LineError, LineErrorKind, LineReader, OutputFormat, StreamError,
    StreamOptions, stream,
};

use scenario::{Event, FaultRule, Line, OpRef, ScopeRef, Step};

/// The built-in demo: a caller leaves a message, then uses a menu.
pub const DEMO: &str = include_str!("demo.jsonl");

/// One thing that happened during a replay, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayRecord {
    /// The bot sent a request (shown by the timeline only).
    Request {
        /// When.
        at: Instant,
        /// HTTP method.
        method: String,
        /// URL, with `$opN` resolved.
        url: String,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// The caller or media layer did something (shown by the timeline only).
    Event {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// The scenario's event name.
        name: String,
        /// Details (the tone, the reason).
        detail: String,
    },
    /// The service's answer to a request.
    Response {
        /// When.
        at: Instant,
        /// The answer.
        response: GraphResponse,
    },
    /// A notification POSTed to the bot.
    Notification {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// Its place among the call's outputs.
        seq: u64,
        /// What.
        notification: Notification,
    },
    /// A command to the media layer.
    Media {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// Its place among the call's outputs.
        seq: u64,
        /// What.
        command: MediaCommand,
    },
    /// An operation the call's end abandoned without a notification.
    Abandoned {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// Its place among the call's outputs.
        seq: u64,
        /// Which.
        ended: OperationEnded,
    },
    /// Extension: a picture of a call's queue (`inspect` lines); `None`
    /// when the engine holds no such call.
    Inspect {
        /// When.
        at: Instant,
        /// The call asked for.
        call: CallId,
        /// What it holds.
        view: Option<CallView>,
    },
    /// Extension: what a cancel ended (with `cancelReceipts`).
    CancelReceipt {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// The receipt.
        receipt: CancelReceipt,
    },
    /// Extension: a collect-digits operation was queued.
    CollectDigits {
        /// When.
        at: Instant,
        /// The call.
        call: CallId,
        /// The operation as created.
        operation: Operation,
    },
    /// A note for humans (an ignored input).
    Trace {
        /// When.
        at: Instant,
        /// What.
        text: String,
    },
}

/// A malformed scenario line: the run stops there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScenarioError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The outcome of a replay: everything recorded, and the malformed line that
/// stopped it, if any (records of earlier lines are kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayRun {
    /// What happened.
    pub records: Vec<ReplayRecord>,
    /// Why the run stopped early.
    pub error: Option<ScenarioError>,
    /// The settings the run used (the scenario's config line applied).
    pub config: ReplayConfig,
}

/// How to run a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Where operation ids come from ([`IdSource::seeded`] for
    /// byte-identical runs).
    pub ids: IdSource,
    /// Move every call at this time: snapshot the engine (as JSON bytes),
    /// restore it into a fresh one, and go on there. The output is the same
    /// as without; that is the point.
    pub snapshot_at: Option<Instant>,
}

impl Default for ReplayOptions {
    /// Random ids, no move.
    fn default() -> Self {
        Self {
            ids: IdSource::Random,
            snapshot_at: None,
        }
    }
}

/// `$opN` can name the last this many operations a scenario created (1 MiB
/// of ids); naming an older one is a malformed line. The bound keeps an
/// endless scenario's memory flat.
pub const KEPT_OPERATION_IDS: usize = 65_536;

/// Runs a scenario. `ids` is where operation ids come from
/// ([`IdSource::seeded`] for byte-identical runs).
pub fn run(scenario: &str, ids: IdSource) -> ReplayRun {
    run_with(
        scenario,
        ReplayOptions {
            ids,
            ..ReplayOptions::default()
        },
    )
}

/// Runs a scenario with options, collecting every record: a [`Replayer`]
/// fed the scenario's lines (at most [`DEFAULT_MAX_LINE_BYTES`] each). To
/// run endless input in flat memory, use [`stream`] or a [`Replayer`].
pub fn run_with(scenario: &str, options: ReplayOptions) -> ReplayRun {
    let mut replayer = Replayer::new(options);
    let mut lines = LineReader::new(scenario.as_bytes(), DEFAULT_MAX_LINE_BYTES);
    let mut records = Vec::new();
    let error = loop {
        match lines.next_line(|| {}) {
            Ok(Some(text)) => {
                if let Err(error) = replayer.run_line(text, &mut records) {
                    break Some(error);
                }
            }
            Ok(None) => {
                replayer.finish(&mut records);
                break None;
            }
            Err(error) => break Some(error.into()),
        }
    };
    ReplayRun {
        records,
        error,
        config: replayer.config,
    }
}

/// Runs a scenario one line at a time. It keeps the engine, the simulated
/// media layer and the ids of the last [`KEPT_OPERATION_IDS`] operations
/// created, never the records: each line's go to the caller's `out`.
pub struct Replayer {
    options: ReplayOptions,
    config: ReplayConfig,
    /// Made by the first line that is not a config line.
    replay: Option<Replay>,
    /// Lines run so far.
    line: usize,
    /// The line that stopped the run.
    stopped: Option<ScenarioError>,
}

impl Replayer {
    /// A replayer before the first line.
    pub fn new(options: ReplayOptions) -> Self {
        Self {
            options,
            config: ReplayConfig::default(),
            replay: None,
            line: 0,
            stopped: None,
        }
    }

    /// The settings in use (the scenario's config line applied).
    pub fn config(&self) -> &ReplayConfig {
        &self.config
    }

    /// Runs the scenario's next line (`text`, without its line ending) and
    /// appends what happened to `out`. A malformed line appends nothing and
    /// stops the run: it and every later call return the error.
    pub fn run_line(
        &mut self,
        text: &str,
        out: &mut Vec<ReplayRecord>,
    ) -> Result<(), ScenarioError> {
        if let Some(error) = &self.stopped {
            return Err(error.clone());
        }
        self.line += 1;
        let before = out.len();
        self.apply(text, out).map_err(|message| {
            out.truncate(before);
            let error = ScenarioError {
                line: self.line,
                message,
            };
            self.stopped = Some(error.clone());
            error
        })
    }

    fn apply(&mut self, text: &str, out: &mut Vec<ReplayRecord>) -> Result<(), String> {
        match scenario::parse_line(text)? {
            Line::Skip => {}
            Line::Config(settings) => {
                if self.replay.is_some() {
                    return Err("config: only the first line may set the config".to_owned());
                }
                scenario::apply_config(&mut self.config, &settings)?;
                self.replay = Some(Replay::new(self.config.clone(), &self.options)?);
            }
            Line::Step { at_ms, step } => {
                let replay = match &mut self.replay {
                    Some(replay) => replay,
                    empty => empty.insert(Replay::new(self.config.clone(), &self.options)?),
                };
                replay.step(Instant::from_millis(at_ms), step, out)?;
            }
        }
        Ok(())
    }

    /// Checks a line without running it: `Err` says what a malformed one
    /// would stop the run with. For an embedder that builds lines from
    /// outside input (`graph_emulator`'s caller events) and must refuse a
    /// bad one rather than stop its run. References (`$opN`) and the clock
    /// are checked only when the line runs.
    pub fn check_line(text: &str) -> Result<(), String> {
        scenario::parse_line(text).map(drop)
    }

    /// When something inside the run is next due (an engine timer, a media
    /// layer report, a notification a fault rule holds), if anything is:
    /// call [`Replayer::handle_timeout`] then. `None` before the first step
    /// and after a malformed line.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stopped.is_some() {
            return None;
        }
        self.replay.as_ref().and_then(Replay::poll_timeout)
    }

    /// Fires what is due at or before `now`, each at its own time, and
    /// appends the records: what a line `{"at_ms": now}` would do, but it
    /// is not a line (a scenario that leaves it out prints the same records,
    /// at the next line). A `now` before the last line's time does nothing.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Vec<ReplayRecord>) {
        if self.stopped.is_some() {
            return;
        }
        let Some(replay) = &mut self.replay else {
            return;
        };
        if now < replay.clock {
            return;
        }
        let before = out.len();
        if let Err(message) = replay.advance(now, out) {
            out.truncate(before);
            self.stopped = Some(ScenarioError {
                line: self.line,
                message,
            });
        }
    }

    /// What the engine holds for `call` (extension: a queue view).
    pub fn view(&self, call: &CallId) -> Option<CallView> {
        self.replay.as_ref()?.engine.view(call)
    }

    /// How many calls the run's engine holds: established and not ended.
    /// Whatever fault rules do to the notifications, a call that ended is
    /// no longer held.
    pub fn live_calls(&self) -> usize {
        self.replay
            .as_ref()
            .map_or(0, |replay| replay.engine.call_count())
    }

    /// The malformed line that stopped the run, if one did (a run stopped
    /// by [`Replayer::handle_timeout`] says so only here).
    pub fn stopped(&self) -> Option<&ScenarioError> {
        self.stopped.as_ref()
    }

    /// The end of the input: appends what is still held back (a reordered
    /// notification nothing overtook). Nothing after a malformed line.
    pub fn finish(&mut self, out: &mut Vec<ReplayRecord>) {
        if self.stopped.is_some() {
            return;
        }
        if let Some(replay) = &mut self.replay {
            replay.finish(out);
        }
    }
}

/// The engine, the simulated media layer and the clock.
struct Replay {
    config: ReplayConfig,
    ids: IdSource,
    engine: Engine,
    /// When to move every call to a fresh engine (once).
    snapshot_at: Option<Instant>,
    clock: Instant,
    /// The last [`KEPT_OPERATION_IDS`] operations created, for `$opN`.
    created: VecDeque<OperationId>,
    /// How many operations the scenario created in all.
    created_total: usize,
    /// Test only: spoils the snapshot bytes of `snapshot_at` on their way
    /// to the fresh engine, to see a failed move stop the run.
    #[cfg(test)]
    carry: fn(Vec<u8>) -> Vec<u8>,
    /// The simulated media layer: beeps that finish, recordings stored,
    /// prompts that end by themselves (`beepMs`, `storeMs`, `promptMs`).
    media: MediaLayer,
    /// Extension: fault rules between the engine, the bot and the media
    /// layer (`fault` lines).
    faults: Faults,
}

impl Replay {
    fn new(config: ReplayConfig, options: &ReplayOptions) -> Result<Self, String> {
        let ids = options.ids.clone();
        let engine = Self::engine(&config, &ids)?;
        let media = MediaLayer::new(config.media_layer());
        Ok(Self {
            config,
            ids,
            engine,
            snapshot_at: options.snapshot_at,
            clock: Instant::ZERO,
            created: VecDeque::new(),
            created_total: 0,
            #[cfg(test)]
            carry: |bytes| bytes,
            media,
            faults: Faults::default(),
        })
    }

    fn engine(config: &ReplayConfig, ids: &IdSource) -> Result<Engine, String> {
        Engine::new(EngineConfig {
            call: Arc::new(config.call.clone()),
            ids: ids.clone(),
            // A replay runs on one thread: one shard is all the locking it
            // needs, and a drain visits one queue instead of 64.
            shards: 1,
            ..EngineConfig::default()
        })
        .map_err(|e| format!("config.{e}"))
    }

    /// Snapshots every call, as JSON bytes, and goes on in a fresh engine
    /// at `at`. A move that fails stops the run: going on in the old engine
    /// would hide the very failure the move is there to find.
    fn move_calls(&mut self, at: Instant) -> Result<(), String> {
        let failed = |why: String| {
            format!(
                "--snapshot-at {}: moving the calls to a fresh engine failed: {why}",
                at.as_millis()
            )
        };
        let bytes = self.engine.snapshot().to_json();
        #[cfg(test)]
        let bytes = (self.carry)(bytes);
        let snapshot = EngineSnapshot::from_json(&bytes)
            .map_err(|e| failed(format!("the snapshot does not read back: {e}")))?;
        let fresh = Self::engine(&self.config, &self.ids).map_err(failed)?;
        fresh
            .restore(&snapshot)
            .map_err(|e| failed(format!("the fresh engine refuses the snapshot: {e}")))?;
        self.engine = fresh;
        Ok(())
    }

    /// Keeps a created operation's id for `$opN`.
    fn remember(&mut self, id: OperationId) {
        if self.created.len() == KEPT_OPERATION_IDS {
            self.created.pop_front();
        }
        self.created.push_back(id);
        self.created_total += 1;
    }

    /// Applies one line: checks it, fires what is due before it, then runs it.
    fn step(&mut self, at: Instant, step: Step, out: &mut Vec<ReplayRecord>) -> Result<(), String> {
        if at < self.clock {
            return Err(format!(
                "at_ms: {} is earlier than the previous line's {}",
                at.as_millis(),
                self.clock.as_millis()
            ));
        }
        // Every reference resolves before anything happens for this line.
        let step = self.resolve_step(step)?;
        self.advance(at, out)?;
        match step {
            Step::Advance => {}
            Step::Fault(rule) => self.add_fault(at, rule, out),
            Step::Inspect { call } => {
                let view = self.engine.view(&call);
                out.push(ReplayRecord::Inspect { at, call, view });
            }
            Step::CollectDigits {
                call,
                client_context,
                collect,
            } => self.collect_digits(at, call, client_context, collect, out),
            Step::Cancel {
                call,
                scope,
                client_context,
            } => self.cancel(at, call, scope, client_context, out),
            Step::Request { method, url, body } => self.request_step(at, method, url, body, out),
            Step::Event {
                call,
                event,
                operation,
            } => self.event(at, call, event, operation, out),
        }
        Ok(())
    }

    /// The step with every `$opN` replaced by the id it names.
    fn resolve_step(&self, step: Step) -> Result<Step, String> {
        Ok(match step {
            Step::Request { method, url, body } => Step::Request {
                url: self.resolve_url(&url)?,
                method,
                body,
            },
            Step::Event {
                call,
                event,
                operation,
            } => Step::Event {
                operation: operation
                    .map(|op| self.resolve(op).map(OpRef::Id))
                    .transpose()?,
                call,
                event,
            },
            Step::Cancel {
                call,
                scope: ScopeRef::Operation(op),
                client_context,
            } => Step::Cancel {
                call,
                scope: ScopeRef::Operation(OpRef::Id(self.resolve(op)?)),
                client_context,
            },
            step @ (Step::Advance
            | Step::Inspect { .. }
            | Step::CollectDigits { .. }
            | Step::Fault(_)
            | Step::Cancel { .. }) => step,
        })
    }

    /// A `fault` line: the rule is set, or refused (a trace either way).
    fn add_fault(&mut self, at: Instant, rule: FaultRule, out: &mut Vec<ReplayRecord>) {
        let text = format!("fault rule set (extension): {}", rule.describe());
        let added = match rule {
            FaultRule::Notifications(rule) => self.faults.add_notification_rule(rule),
            FaultRule::Requests(rule) => self.faults.add_request_rule(rule),
            FaultRule::Prompts(rule) => self.faults.add_prompt_rule(rule),
        };
        let text = match added {
            Ok(()) => text,
            Err(error) => format!("fault rule refused: {error}"),
        };
        out.push(ReplayRecord::Trace { at, text });
    }

    /// A `collectDigits` line (extension).
    fn collect_digits(
        &mut self,
        at: Instant,
        call: CallId,
        client_context: Option<String>,
        collect: CollectDigits,
        out: &mut Vec<ReplayRecord>,
    ) {
        let client_context = client_context.map(Arc::from);
        match self
            .engine
            .handle_collect_digits(at, &call, client_context, collect)
        {
            Ok(operation) => {
                self.remember(operation.id);
                out.push(ReplayRecord::CollectDigits {
                    at,
                    call,
                    operation,
                });
            }
            Err(error) => out.push(ReplayRecord::Trace {
                at,
                text: format!("collectDigits refused: {error}"),
            }),
        }
        self.drain(out);
    }

    /// A scoped `cancel` line (extension), its references resolved.
    fn cancel(
        &mut self,
        at: Instant,
        call: CallId,
        scope: ScopeRef,
        client_context: Option<String>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let scope = match scope {
            ScopeRef::All => CancelScope::All,
            ScopeRef::Current => CancelScope::Current,
            ScopeRef::Operation(OpRef::Id(id)) => CancelScope::Operation(id),
            ScopeRef::Operation(OpRef::Created(_)) => {
                unreachable!("resolve_step resolves every $opN before the step runs")
            }
            ScopeRef::ClientContextPrefix(prefix) => {
                CancelScope::ClientContextPrefix(Arc::from(prefix))
            }
        };
        let mut request = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        request.client_context = client_context.map(Arc::from);
        match self.engine.cancel_scoped(at, &call, request, scope) {
            Ok(receipt) => {
                self.remember(receipt.cancel.id);
                out.push(ReplayRecord::CancelReceipt { at, call, receipt });
            }
            Err(error) => out.push(ReplayRecord::Trace {
                at,
                text: format!("cancel refused: {error}"),
            }),
        }
        self.drain(out);
    }

    /// A `request` line: the bot's request, the service's answer.
    fn request_step(
        &mut self,
        at: Instant,
        method: String,
        url: String,
        body: Vec<u8>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let (response, receipt) = self.request(at, &method, &url, &body);
        out.push(ReplayRecord::Request {
            at,
            method,
            url,
            body,
        });
        if let Some(id) = response.created {
            self.remember(id);
        }
        out.push(ReplayRecord::Response { at, response });
        if let Some((call, receipt)) = receipt {
            out.push(ReplayRecord::CancelReceipt { at, call, receipt });
        }
        self.drain(out);
    }

    /// An `event` line: the caller or the media layer did something.
    fn event(
        &mut self,
        at: Instant,
        call: CallId,
        event: Event,
        operation: Option<OpRef>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let token = match operation {
            Some(OpRef::Id(id)) => Some(id),
            Some(OpRef::Created(_)) => {
                unreachable!("resolve_step resolves every $opN before the step runs")
            }
            None => None,
        };
        let (name, detail) = describe(&event);
        out.push(ReplayRecord::Event {
            at,
            call: call.clone(),
            name: name.to_owned(),
            detail,
        });
        if matches!(event, Event::Media(MediaInput::PlaybackFinished))
            && self.plays_again(&call, token)
        {
            out.push(ReplayRecord::Trace {
                at,
                text: PLAYS_AGAIN.to_owned(),
            });
            return;
        }
        let result = match event {
            Event::CallEstablished => self
                .engine
                .handle_call_established(at, &call)
                .map_err(|e| e.to_string()),
            Event::CallTerminated(result) => self
                .engine
                .handle_call_terminated(
                    at,
                    &call,
                    result.unwrap_or_else(ResultInfo::conversation_ended),
                )
                .map_err(|e| e.to_string()),
            Event::Media(input) => self
                .engine
                .handle_media(at, &call, token, input)
                .map_err(|e| e.to_string()),
        };
        if let Err(ignored) = result {
            out.push(ReplayRecord::Trace {
                at,
                text: format!("{name} ignored: {ignored}"),
            });
        }
        self.drain(out);
    }

    /// Serves a request; with `cancelReceipts`, a cancel goes through
    /// [`Engine::cancel_with_receipt`] (same response and notifications) and
    /// its receipt comes back too.
    fn request(
        &mut self,
        at: Instant,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> (GraphResponse, Option<(CallId, CancelReceipt)>) {
        let parsed = match wire::parse_request(&self.config.wire, method, url, body) {
            Ok(parsed) => parsed,
            Err(error) => return (GraphResponse::error(&error), None),
        };
        if let ParsedRequest::Action { call, request } = &parsed {
            if let Some(error) = self.faults.intercept_request(call, request.action.kind()) {
                return (GraphResponse::error(&error), None);
            }
        }
        match parsed {
            ParsedRequest::Action { call, request }
                if self.config.cancel_receipts
                    && request.action == Action::CancelMediaProcessing =>
            {
                match self.engine.cancel_with_receipt(at, &call, request) {
                    Ok(receipt) => (
                        wire::created_response(&call, &receipt.cancel),
                        Some((call, receipt)),
                    ),
                    Err(error) => (GraphResponse::error(&error.into()), None),
                }
            }
            parsed => (wire::handle_parsed(&self.engine, at, parsed), None),
        }
    }

    /// Whether the prompt that just finished on `call` plays a second time
    /// (a `playTwice` fault): then this "finished" is the media layer's to
    /// swallow, once.
    fn plays_again(&mut self, call: &CallId, token: Option<OperationId>) -> bool {
        let Some(active) = self.engine.view(call).and_then(|view| view.active) else {
            return false;
        };
        let MediaPhase::Prompt { index, .. } = active.phase else {
            return false;
        };
        let id = active.operation.id;
        if token.is_some_and(|t| t != id) {
            return false;
        }
        self.media.plays_again(call, id, index)
    }

    /// Moves the clock to `at` (not before it): what is due fires, and the
    /// calls move to a fresh engine if `snapshot_at` falls before it.
    fn advance(&mut self, at: Instant, out: &mut Vec<ReplayRecord>) -> Result<(), String> {
        if let Some(move_at) = self.snapshot_at.filter(|t| *t <= at) {
            self.run_until(move_at, out);
            self.snapshot_at = None;
            self.move_calls(move_at)?;
        }
        self.run_until(at, out);
        self.clock = at;
        Ok(())
    }

    /// When the next engine timer, media report or held notification is due.
    fn poll_timeout(&self) -> Option<Instant> {
        [
            self.engine.poll_timeout(),
            self.media.poll_timeout(),
            self.faults.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires engine timers, the media layer's pending reports and the
    /// notifications fault rules delayed, due at or before `until`, in
    /// deadline order (on a tie in that order), each at its own time.
    fn run_until(&mut self, until: Instant, out: &mut Vec<ReplayRecord>) {
        loop {
            let timer = self.engine.poll_timeout();
            let report = self.media.poll_timeout();
            let release = self.faults.poll_timeout();
            let next = [timer, report, release]
                .into_iter()
                .flatten()
                .min()
                .filter(|t| *t <= until);
            match next {
                Some(t) if timer == Some(t) => {
                    self.engine.handle_timeout(t);
                    self.drain(out);
                }
                Some(t) if report == Some(t) => {
                    if let Some(report) = self.media.poll_report(t) {
                        self.feed(report, out);
                    }
                }
                Some(t) => self.release_faults(t, out),
                None => return,
            }
        }
    }

    /// The end of the scenario: what fault rules still hold (a reordered
    /// notification nothing overtook) arrives now.
    fn finish(&mut self, out: &mut Vec<ReplayRecord>) {
        if self.faults.held() > 0 {
            self.faults.flush(self.clock);
            self.release_faults(self.clock, out);
        }
    }

    /// Takes the engine's outputs through the fault rules, then delivers
    /// what comes out of them.
    fn drain(&mut self, out: &mut Vec<ReplayRecord>) {
        let mut drained = Vec::new();
        self.engine.drain_outputs(&mut drained);
        let mut delivered = Vec::with_capacity(drained.len());
        for output in drained {
            let at = output.at;
            if let Output::Notification(Notification::OperationEnded(ended))
            | Output::Abandoned(ended) = &output.output
            {
                // The media layer forgets the operation (a prompt marked to
                // play twice, a report still pending), whatever the fault
                // rules then do with the notification.
                self.media.handle_ended(ended.operation.id);
            }
            if let Err(FaultError::Full { output, capacity }) =
                self.faults.handle_output(at, output)
            {
                out.push(ReplayRecord::Trace {
                    at,
                    text: format!(
                        "fault rules hold {capacity} notifications: this one is not faulted"
                    ),
                });
                delivered.push(*output);
            }
            delivered.extend(std::iter::from_fn(|| self.faults.poll_output(at)));
        }
        self.deliver(delivered, out);
    }

    /// Delivers what the fault rules held until `at`.
    fn release_faults(&mut self, at: Instant, out: &mut Vec<ReplayRecord>) {
        let released: Vec<EngineOutput> =
            std::iter::from_fn(|| self.faults.poll_output(at)).collect();
        self.deliver(released, out);
    }

    /// Records outputs as the bot and media layer get them, and plays the
    /// media layer's part: the beep ends by itself, a recording is stored
    /// when stopped, a prompt a fault rule spoils fails or plays twice.
    fn deliver(&mut self, delivered: Vec<EngineOutput>, out: &mut Vec<ReplayRecord>) {
        let mut reactions = Vec::new();
        for output in delivered {
            let (at, call, seq) = (output.at, output.call, output.seq);
            match output.output {
                Output::Notification(notification) => out.push(ReplayRecord::Notification {
                    at,
                    call,
                    seq,
                    notification,
                }),
                Output::Abandoned(ended) => out.push(ReplayRecord::Abandoned {
                    at,
                    call,
                    seq,
                    ended,
                }),
                Output::Media(command) => {
                    let fault = match &command {
                        MediaCommand::Play { prompt, .. } => self.faults.on_play(prompt),
                        _ => None,
                    };
                    if let Some(report) = self.media.handle_command(at, &call, &command, fault) {
                        reactions.push(report);
                    }
                    out.push(ReplayRecord::Media {
                        at,
                        call,
                        seq,
                        command,
                    });
                }
            }
        }
        for report in reactions {
            self.feed(report, out);
        }
    }

    /// Feeds the simulated media layer's own input. One the engine no longer
    /// wants (its operation ended meanwhile) is dropped quietly: a real media
    /// layer's late answer, not the scenario's doing.
    fn feed(&mut self, report: MediaReport, out: &mut Vec<ReplayRecord>) {
        let MediaReport {
            at,
            call,
            operation,
            input,
        } = report;
        if input == MediaInput::PlaybackFinished && self.plays_again(&call, Some(operation)) {
            out.push(ReplayRecord::Trace {
                at,
                text: PLAYS_AGAIN.to_owned(),
            });
            return;
        }
        match self.engine.handle_media(at, &call, Some(operation), input) {
            Ok(()) | Err(InputIgnored::StaleToken { .. } | InputIgnored::CallTerminated(_)) => {}
            Err(other) => out.push(ReplayRecord::Trace {
                at,
                text: format!("media layer input ignored: {other}"),
            }),
        }
        self.drain(out);
    }

    fn resolve(&self, op: OpRef) -> Result<OperationId, String> {
        match op {
            OpRef::Id(id) => Ok(id),
            OpRef::Created(n) if n > self.created_total => Err(format!(
                "$op{n}: the scenario has created {} operation(s) so far",
                self.created_total
            )),
            OpRef::Created(n) => {
                // 1-based number of the oldest id kept.
                let oldest = self.created_total - self.created.len() + 1;
                match n.checked_sub(oldest) {
                    Some(i) => Ok(self.created[i]),
                    None => Err(format!(
                        "$op{n}: only the last {KEPT_OPERATION_IDS} operations created can be named, $op{oldest} to $op{}",
                        self.created_total
                    )),
                }
            }
        }
    }

    /// Replaces each `$opN` in a URL by the id of the N-th created operation.
    fn resolve_url(&self, url: &str) -> Result<String, String> {
        let mut resolved = String::with_capacity(url.len());
        let mut rest = url;
        while let Some(start) = rest.find("$op") {
            resolved.push_str(&rest[..start]);
            let digits = rest[start + 3..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let n: usize = rest[start + 3..start + 3 + digits].parse().map_err(|_| {
                "url: $op must be followed by a number ($op1, $op2, ...)".to_owned()
            })?;
            if n == 0 {
                return Err("url: $op0 does not exist; the first operation is $op1".to_owned());
            }
            resolved.push_str(&self.resolve(OpRef::Created(n))?.to_string());
            rest = &rest[start + 3 + digits..];
        }
        resolved.push_str(rest);
        Ok(resolved)
    }
}

/// The trace of a `finished` a `playTwice` fault swallows.
const PLAYS_AGAIN: &str =
    "playbackFinished not reported: the prompt plays again (fault: playTwice, comms-samples #411)";

fn describe(event: &Event) -> (&'static str, String) {
    match event {
        Event::CallEstablished => ("callEstablished", String::new()),
        Event::CallTerminated(result) => (
            "callTerminated",
            result
                .as_ref()
                .map(|r| format!("{}/{} {}", r.code, r.subcode, r.message))
                .unwrap_or_default(),
        ),
        Event::Media(MediaInput::Tone(tone)) => ("tone", tone.to_string()),
        Event::Media(MediaInput::PlaybackFailed(reason)) => {
            ("playbackFailed", format!("{reason:?}").to_ascii_lowercase())
        }
        Event::Media(input) => (input.name(), String::new()),
    }
}
