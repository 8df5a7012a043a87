//! `ivr-replay`: runs a scenario (JSON Lines of bot requests and caller
//! events on a virtual clock) through an [`Engine`](crate::Engine) with a simulated media
//! layer, and records the traffic a bot would see.
//!
//! The format is described in `ivr-replay --help` and [the guide](crate::guide::replay). The
//! simulated media layer plays the beep for `beepMs`, and stores a
//! recording at once when asked, at
//! `https://recordings.invalid/{callId}/{operationId}.wav` with access token
//! `token-{operationId}`. Prompts finish only when the scenario says so.

mod driver;
#[cfg(test)]
mod failed_move_stops_the_run;
mod fault_line;
mod format;
mod html;
mod scenario;
mod settings;
mod stream;
mod strict;
mod timeline;

use crate::call::{CallView, CancelReceipt};
use crate::id::{CallId, IdSource};
use crate::io::{MediaCommand, Notification, OperationEnded};
use crate::model::Operation;
use crate::time::Instant;
use crate::wire::GraphResponse;

pub use format::write_jsonl;
pub use html::HtmlWriter;
pub use settings::ReplayConfig;
pub use stream::{
    DEFAULT_MAX_LINE_BYTES, LineError, LineErrorKind, LineReader, OutputFormat, StreamError,
    StreamOptions, stream,
};
pub use timeline::{TimelineWriter, terminal_safe, write_timeline};

use driver::Replay;
use scenario::Line;

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

impl ReplayRecord {
    /// When it happened.
    pub const fn at(&self) -> Instant {
        match self {
            Self::Request { at, .. }
            | Self::Event { at, .. }
            | Self::Response { at, .. }
            | Self::Notification { at, .. }
            | Self::Media { at, .. }
            | Self::Abandoned { at, .. }
            | Self::Inspect { at, .. }
            | Self::CancelReceipt { at, .. }
            | Self::CollectDigits { at, .. }
            | Self::Trace { at, .. } => *at,
        }
    }
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
                settings::apply_config(&mut self.config, &settings)?;
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
