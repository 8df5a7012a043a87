//! A scripted caller for the harness: what the caller (and the media
//! layer) does, and when.

use serde_json::{Value, json};

use crate::id::{CallId, OperationId};
use crate::model::{PromptFailure, Tone};

/// One thing the caller, or the media layer under the call, does.
///
/// Acts that name no operation apply to whatever plays or records at the
/// time, as a real media layer's report does; with nothing to apply to, the
/// engine ignores them (the run shows a `trace`). [`CallerAct::Late`] names
/// an operation, as a report carrying its token does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallerAct {
    /// The caller presses a key.
    Press(Tone),
    /// The caller starts speaking.
    StartSpeaking,
    /// The caller stops speaking.
    StopSpeaking,
    /// The caller hangs up.
    HangUp,
    /// The prompt playing now ends: a prompt shorter than its file says,
    /// or a media layer that reports early.
    PromptEnds,
    /// The prompt playing now cannot be played.
    PromptFails(PromptFailure),
    /// The record beep playing now cannot be played.
    BeepFails,
    /// The recording in progress cannot be stored.
    RecordingFails,
    /// No audio reaches the service for too long.
    MediaTimeout,
    /// The media layer reports `event` about a playPrompt or record the
    /// bot created: the `about`-th newest (0 is the newest; counts past the
    /// oldest wrap around). The engine acts on it only when that operation is the one
    /// playing or recording; otherwise it is a late report, the kind that
    /// races a cancel, and is ignored. Before the bot created anything, it
    /// names an operation that never existed.
    Late {
        /// Which operation, newest first.
        about: u8,
        /// What the media layer says about it.
        event: LateEvent,
    },
}

/// What a [`CallerAct::Late`] report says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LateEvent {
    /// The prompt finished.
    PlaybackFinished,
    /// The prompt could not be played.
    PlaybackFailed(PromptFailure),
    /// The record beep finished.
    BeepFinished,
    /// The recording could not be stored.
    RecordingFailed,
}

/// A caller: what it does, each at its time in milliseconds after the call
/// was answered. The harness runs the acts in time order, those at the
/// same millisecond in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// `(at_ms, act)`, in time order (kept so by [`Caller::new`]).
    acts: Vec<(u64, CallerAct)>,
}

impl Caller {
    /// A caller who does `acts`, sorted by time (stable: acts at the same
    /// millisecond keep their order).
    pub fn new(mut acts: Vec<(u64, CallerAct)>) -> Self {
        acts.sort_by_key(|(at_ms, _)| *at_ms);
        Self { acts }
    }

    /// `(at_ms, act)`, in time order.
    pub fn acts(&self) -> &[(u64, CallerAct)] {
        &self.acts
    }

    /// When the last act happens (0 for a silent caller).
    pub fn last_ms(&self) -> u64 {
        self.acts.last().map_or(0, |(at_ms, _)| *at_ms)
    }
}

/// The id a [`CallerAct::Late`] names before the bot created anything: a
/// v4-shaped id no operation has.
const NEVER_CREATED: &str = "00000000-0000-4000-8000-000000000000";

impl CallerAct {
    /// The `ivr-replay` scenario line for this act at `at_ms` on `call`;
    /// `created` lists the playPrompt and record operations the bot
    /// created so far, oldest first.
    pub(super) fn line(&self, at_ms: u64, call: &CallId, created: &[OperationId]) -> String {
        let event = |name: &str| json!({"at_ms": at_ms, "event": name, "call": call.as_str()});
        let line = match self {
            Self::Press(tone) => {
                let mut line = event("tone");
                // The key reads best; a hook flash has none a scenario
                // takes, so it goes by its Graph name.
                line["tone"] = Value::from(match tone {
                    Tone::Flash => tone.as_str().to_owned(),
                    _ => tone.key().to_string(),
                });
                line
            }
            Self::StartSpeaking => event("speechStarted"),
            Self::StopSpeaking => event("speechStopped"),
            Self::HangUp => event("callTerminated"),
            Self::PromptEnds => event("playbackFinished"),
            Self::PromptFails(reason) => {
                let mut line = event("playbackFailed");
                line["reason"] = Value::from(reason.name());
                line
            }
            Self::BeepFails => event("beepFailed"),
            Self::RecordingFails => event("recordingFailed"),
            Self::MediaTimeout => event("mediaReceiveTimeout"),
            Self::Late { about, event: late } => {
                let mut line = event(late.name());
                if let LateEvent::PlaybackFailed(reason) = late {
                    line["reason"] = Value::from(reason.name());
                }
                line["operation"] = Value::from(match created.len() {
                    0 => NEVER_CREATED.to_owned(),
                    n => created[n - 1 - usize::from(*about) % n].to_string(),
                });
                line
            }
        };
        // `at_ms` comes first either way serde_json keeps keys: sorted, or
        // in the order written.
        line.to_string()
    }
}

impl LateEvent {
    /// The scenario's event name.
    const fn name(self) -> &'static str {
        match self {
            Self::PlaybackFinished => "playbackFinished",
            Self::PlaybackFailed(_) => "playbackFailed",
            Self::BeepFinished => "beepFinished",
            Self::RecordingFailed => "recordingFailed",
        }
    }
}
