//! A simulated media layer and caller, with the engine's handle/poll shape:
//! what `ivr-replay` and the `graph_emulator` example put behind an
//! [`Engine`](crate::Engine) in place of real audio.
//!
//! - [`MediaLayer`] takes the engine's [`MediaCommand`]s
//!   ([`MediaLayer::handle_command`]) and reports what a media layer would
//!   ([`MediaLayer::poll_report`] when [`MediaLayer::poll_timeout`] is
//!   due): the beep finishes after `beep_ms`, a recording is stored
//!   `store_ms` after it is stopped, and with [`PromptLengths::Timed`] a
//!   prompt finishes after its length or fails as its URI says.
//! - [`CallerScript`] holds a scripted caller's events until they are due.
//!
//! Neither reads a clock: time comes in as `at` / `now`, as everywhere in
//! the crate.

mod caller;
pub(crate) mod reports;

use std::sync::Arc;
use std::time::Duration;

use crate::id::{CallId, OperationId};
use crate::io::{MediaCommand, MediaInput};
use crate::model::{MediaPrompt, PromptFailure, Recording};
use crate::time::Instant;

pub use caller::{CallerScript, MAX_SCRIPTED_EVENTS, ScriptFull};
use reports::Reports;

/// What the media layer does wrong with a prompt (fault injection; see
/// `fault::PromptRule` with the `fault` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PromptFault {
    /// It cannot be played: report [`crate::MediaInput::PlaybackFailed`].
    Fail(PromptFailure),
    /// It plays twice: the first "finished" is not reported.
    PlayTwice,
}

/// The longest a simulated beep, store or prompt may take: an hour.
pub const MAX_SIMULATED_MS: u64 = 3_600_000;

/// How prompts end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PromptLengths {
    /// Only when told ([`MediaInput::PlaybackFinished`] from outside, as a
    /// scenario's `playbackFinished` line): `ivr-replay`'s default.
    #[default]
    Scripted,
    /// After the length the prompt's URI gives in its query
    /// (`?durationMs=N`), else after `default_ms`. A URI holding
    /// `fail=download` or `fail=format` fails at once (8536, 8535).
    Timed {
        /// The length of a prompt whose URI gives none.
        default_ms: u64,
    },
}

/// Settings of a [`MediaLayer`] (start from `Default` and set fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaLayerConfig {
    /// How long the beep plays (0: it finishes at once).
    pub beep_ms: u64,
    /// How long storing a recording takes (0: at once).
    pub store_ms: u64,
    /// How prompts end.
    pub prompts: PromptLengths,
}

/// Something the media layer reports to the engine: feed it with
/// [`Engine::handle_media`](crate::Engine::handle_media)`(at, &call,
/// Some(operation), input)`. One the engine no longer wants (its operation
/// ended meanwhile) is a real media layer's late answer: drop the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaReport {
    /// When.
    pub at: Instant,
    /// The call.
    pub call: CallId,
    /// The operation, as the token.
    pub operation: OperationId,
    /// What happened.
    pub input: MediaInput,
}

/// A media layer that plays nothing and reports on time. See the module
/// docs. It holds what is pending: a few reports per operation that plays
/// or records, removed when reported or when the operation ends.
#[derive(Debug, Default)]
pub struct MediaLayer {
    config: MediaLayerConfig,
    reports: Reports,
    /// Prompts a fault rule makes play twice: (call, operation, index,
    /// length in ms when timed).
    plays_twice: Vec<(CallId, OperationId, usize, u64)>,
}

impl MediaLayer {
    /// A media layer with nothing pending.
    pub fn new(config: MediaLayerConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Its settings.
    pub fn config(&self) -> &MediaLayerConfig {
        &self.config
    }

    /// The engine asked for `command` at `at`. `fault` is what a fault rule
    /// makes of a `Play` (`crate::fault::Faults::on_play`). Returns the
    /// report due at once, if any (a beep or store that takes no time, a
    /// prompt that cannot play): feed it right after the outputs that
    /// caused it, before anything else due at `at`.
    pub fn handle_command(
        &mut self,
        at: Instant,
        call: &CallId,
        command: &MediaCommand,
        fault: Option<PromptFault>,
    ) -> Option<MediaReport> {
        let report = |operation: OperationId, input| MediaReport {
            at,
            call: call.clone(),
            operation,
            input,
        };
        match command {
            MediaCommand::PlayBeep { operation } => {
                let input = MediaInput::BeepFinished;
                self.after(self.config.beep_ms, report(*operation, input))
            }
            MediaCommand::StopPlayback { operation } => {
                self.reports.cancel(*operation);
                None
            }
            MediaCommand::Play {
                operation,
                index,
                prompt,
            } => {
                let length = match self.config.prompts {
                    PromptLengths::Timed { default_ms } => {
                        prompt_length(prompt).unwrap_or(default_ms)
                    }
                    PromptLengths::Scripted => 0,
                };
                let failure = match fault {
                    Some(PromptFault::Fail(failure)) => Some(failure),
                    Some(PromptFault::PlayTwice) => {
                        // Marks of the operation's earlier prompts are
                        // stale: this prompt is the one that plays now.
                        self.plays_twice
                            .retain(|(c, op, i, _)| c != call || op != operation || i == index);
                        let mark = (call.clone(), *operation, *index, length);
                        self.plays_twice.push(mark);
                        None
                    }
                    None => None,
                };
                if self.config.prompts == PromptLengths::Scripted {
                    let input = MediaInput::PlaybackFailed(failure?);
                    return Some(report(*operation, input));
                }
                // The operation's previous prompt (if it was reported
                // finished from outside, its own end is still pending) no
                // longer plays.
                self.reports.cancel(*operation);
                match failure.or_else(|| uri_failure(prompt)) {
                    Some(failure) => Some(report(*operation, MediaInput::PlaybackFailed(failure))),
                    None => {
                        let finished = report(*operation, MediaInput::PlaybackFinished);
                        self.schedule(length, finished);
                        None
                    }
                }
            }
            MediaCommand::StopRecording {
                operation,
                store: true,
            } => {
                let stored = Recording {
                    location: Arc::from(format!(
                        "https://recordings.invalid/{call}/{operation}.wav"
                    )),
                    access_token: Arc::from(format!("token-{operation}")),
                };
                let input = MediaInput::RecordingStored(stored);
                self.after(self.config.store_ms, report(*operation, input))
            }
            MediaCommand::StartRecording { .. } | MediaCommand::StopRecording { .. } => None,
        }
    }

    /// The operation ended: nothing of it will be reported.
    pub fn handle_ended(&mut self, operation: OperationId) {
        self.reports.cancel(operation);
        self.plays_twice.retain(|(_, op, _, _)| *op != operation);
    }

    /// When the next report is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.reports.next_due()
    }

    /// The next report due at or before `now`, at its own time. A timed
    /// prompt a fault makes play twice starts again here instead of
    /// finishing.
    pub fn poll_report(&mut self, now: Instant) -> Option<MediaReport> {
        loop {
            if self.reports.next_due()? > now {
                return None;
            }
            let (at, call, operation, input) = self.reports.pop()?;
            let report = MediaReport {
                at,
                call,
                operation,
                input,
            };
            let timed = self.config.prompts != PromptLengths::Scripted;
            if timed && report.input == MediaInput::PlaybackFinished {
                let marked = self
                    .plays_twice
                    .iter()
                    .position(|(c, op, _, _)| *c == report.call && *op == operation);
                if let Some(i) = marked {
                    let (_, _, _, length) = self.plays_twice.swap_remove(i);
                    self.schedule(length, report);
                    continue;
                }
            }
            return Some(report);
        }
    }

    /// Scripted prompts (`ivr-replay`'s `playTwice` fault): whether the
    /// `finished` just reported from outside for `call`'s active prompt
    /// (`operation`, `index`) is swallowed because a fault makes it play
    /// twice (once). Marks for the call's other operations are stale (they
    /// no longer play) and are dropped.
    #[cfg(feature = "replay")]
    pub(crate) fn plays_again(
        &mut self,
        call: &CallId,
        operation: OperationId,
        index: usize,
    ) -> bool {
        self.plays_twice
            .retain(|(c, op, _, _)| c != call || *op == operation);
        let marked = self
            .plays_twice
            .iter()
            .position(|(c, op, i, _)| c == call && *op == operation && *i == index);
        marked.map(|i| self.plays_twice.swap_remove(i)).is_some()
    }

    /// `report` after `ms`: returned when `ms` is 0, else scheduled.
    fn after(&mut self, ms: u64, report: MediaReport) -> Option<MediaReport> {
        if ms == 0 {
            return Some(report);
        }
        self.schedule(ms, report);
        None
    }

    fn schedule(&mut self, ms: u64, report: MediaReport) {
        let at = report.at.saturating_add(Duration::from_millis(ms));
        self.reports
            .push(at, report.call, report.operation, report.input);
    }
}

/// `durationMs=N` in the URI's query (at most [`MAX_SIMULATED_MS`]).
fn prompt_length(prompt: &MediaPrompt) -> Option<u64> {
    query_value(&prompt.uri, "durationMs")
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| ms.min(MAX_SIMULATED_MS))
}

/// `fail=download` or `fail=format` in the URI.
fn uri_failure(prompt: &MediaPrompt) -> Option<PromptFailure> {
    match query_value(&prompt.uri, "fail")? {
        "download" => Some(PromptFailure::Download),
        "format" => Some(PromptFailure::Format),
        _ => None,
    }
}

fn query_value<'a>(uri: &'a str, key: &str) -> Option<&'a str> {
    let query = uri.split_once('?')?.1.split('#').next()?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}
