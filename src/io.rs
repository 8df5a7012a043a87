//! What goes into a call besides requests, and what comes out of it.

use crate::id::OperationId;
use crate::model::{
    Digits, EndReason, MediaPrompt, MediaRequest, Operation, PromptFailure, Recording, ResultInfo,
    Tone,
};

/// What the media layer (or a scripted caller) reports about a call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaInput {
    /// The prompt that was playing finished.
    PlaybackFinished,
    /// The prompt that was playing could not be played.
    PlaybackFailed(PromptFailure),
    /// The beep finished.
    BeepFinished,
    /// The beep could not be played.
    BeepFailed,
    /// The caller pressed a key.
    Tone(Tone),
    /// The caller started speaking.
    SpeechStarted,
    /// The caller stopped speaking.
    SpeechStopped,
    /// No audio has been received for too long.
    MediaReceiveTimeout,
    /// The recording asked for by [`MediaCommand::StopRecording`] is stored.
    RecordingStored(Recording),
    /// The recording could not be stored (reported when the record stops).
    RecordingFailed,
}

impl MediaInput {
    /// The name `ivr-replay` scenarios use for it.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::PlaybackFinished => "playbackFinished",
            Self::PlaybackFailed(_) => "playbackFailed",
            Self::BeepFinished => "beepFinished",
            Self::BeepFailed => "beepFailed",
            Self::Tone(_) => "tone",
            Self::SpeechStarted => "speechStarted",
            Self::SpeechStopped => "speechStopped",
            Self::MediaReceiveTimeout => "mediaReceiveTimeout",
            Self::RecordingStored(_) => "recordingStored",
            Self::RecordingFailed => "recordingFailed",
        }
    }
}

/// What the engine asks the media layer to do. Each names the operation it
/// belongs to: report back with the same id as the token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum MediaCommand {
    /// Play this prompt (the `index`-th of its operation) now.
    Play {
        /// The operation.
        operation: OperationId,
        /// Which prompt of the operation (0-based).
        index: usize,
        /// The prompt.
        prompt: MediaPrompt,
    },
    /// Stop the prompt or beep that is playing.
    StopPlayback {
        /// The operation.
        operation: OperationId,
    },
    /// Play the record beep now.
    PlayBeep {
        /// The operation.
        operation: OperationId,
    },
    /// Start recording the caller.
    StartRecording {
        /// The operation.
        operation: OperationId,
    },
    /// Stop recording. With `store`, store the recording and report
    /// [`MediaInput::RecordingStored`] or [`MediaInput::RecordingFailed`];
    /// without, discard it.
    StopRecording {
        /// The operation.
        operation: OperationId,
        /// Whether to keep the recording.
        store: bool,
    },
}

impl MediaCommand {
    /// The operation the command belongs to.
    pub const fn operation(&self) -> OperationId {
        match self {
            Self::Play { operation, .. }
            | Self::StopPlayback { operation }
            | Self::PlayBeep { operation }
            | Self::StartRecording { operation }
            | Self::StopRecording { operation, .. } => *operation,
        }
    }

    /// The command's name on the `ivr-replay` wire (`play`, `stopPlayback`, ...).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Play { .. } => "play",
            Self::StopPlayback { .. } => "stopPlayback",
            Self::PlayBeep { .. } => "playBeep",
            Self::StartRecording { .. } => "startRecording",
            Self::StopRecording { .. } => "stopRecording",
        }
    }
}

/// An operation that ended, with everything it was asked to do.
///
/// Only `operation` reaches the Graph wire; the other fields are for the
/// embedder (extensions).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationEnded {
    /// The operation in its final state. The engine sets its `end` to
    /// `Some(reason)`.
    pub operation: Operation,
    /// Why it ended. Carried by itself, not read out of `operation.end`,
    /// so no ended operation can be without one. (Also in the serde form:
    /// JSON written before this field existed no longer reads.)
    pub reason: EndReason,
    /// What it was asked to play or record, handed back to the embedder.
    pub request: MediaRequest,
    /// Extension: the operation that ended it, when one did: the
    /// cancelMediaProcessing (any scope) or the barge-in record.
    #[serde(default)]
    pub ended_by: Option<OperationId>,
    /// Extension: a record that had started recording and ended without a
    /// stored recording (cancelled, displaced, hung up on, failed).
    #[serde(default)]
    pub partial_recording: Option<PartialRecording>,
    /// Extension: the keys a collect-digits operation had collected when it
    /// ended; empty if it collected none, and for other operations. (Not an
    /// `Option`: an empty `Vec` costs the cancel path nothing to write.)
    #[serde(default)]
    pub digits: Digits,
}

/// Extension: what a record had recorded when it ended unfinished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PartialRecording {
    /// Milliseconds recorded, on the embedder's clock.
    pub recorded_ms: u64,
    /// Whether the media layer had been told to store it
    /// ([`MediaCommand::StopRecording`] with `store`): the call ended while
    /// it was storing, so the recording exists under the operation's id
    /// though no notification will say where. Otherwise it was discarded.
    pub kept: bool,
}

impl OperationEnded {
    /// Why it ended (the `reason` field; kept so callers need not change).
    pub fn reason(&self) -> EndReason {
        self.reason
    }
}

/// A notification the real service would POST to the bot's callback.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Notification {
    /// A playPrompt or record ended (`changeType: deleted` on the operation).
    OperationEnded(OperationEnded),
    /// The caller pressed a key and the bot subscribed to tones (`updated`
    /// on the call, with `toneInfo`).
    Tone {
        /// 1, 2, 3, ... per call.
        sequence_id: u64,
        /// The key.
        tone: Tone,
    },
    /// The call is established (`updated`, `state: established`; only with
    /// [`crate::CallConfig::notify_established`]).
    CallEstablished,
    /// The call is ending (`updated`, `state: terminating`).
    CallTerminating,
    /// The call has ended (`deleted`, `state: terminated`).
    CallTerminated {
        /// Why.
        result: ResultInfo,
    },
}

impl Notification {
    /// Whether it is one Graph sends: all are but the end of an extension
    /// operation (collect digits), which the Graph wire never carries.
    pub fn is_graph(&self) -> bool {
        match self {
            Self::OperationEnded(ended) => ended.operation.kind.is_graph(),
            Self::Tone { .. }
            | Self::CallEstablished
            | Self::CallTerminating
            | Self::CallTerminated { .. } => true,
        }
    }
}

/// Everything a call emits, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Output {
    /// For the bot.
    Notification(Notification),
    /// For the media layer.
    Media(MediaCommand),
    /// For the embedder only: an operation the call's end abandoned without
    /// any notification on the wire (the real service sends none unless
    /// `notify_on_termination` is set). Every accepted media operation ends
    /// with exactly one `OperationEnded` notification or one of these.
    Abandoned(OperationEnded),
}
