//! What an operation is, and how it ended.

use std::borrow::Cow;
use std::sync::Arc;

use crate::id::OperationId;

use super::{ApiVersion, Tone};

/// Which Graph operation type an operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// `playPromptOperation`.
    PlayPrompt,
    /// `recordOperation`.
    Record,
    /// `subscribeToToneOperation`.
    SubscribeToTone,
    /// `cancelMediaProcessingOperation`.
    CancelMediaProcessing,
    /// Extension: a collect-digits operation (no Graph type).
    CollectDigits,
}

impl OperationKind {
    /// Its name in messages, `ivr-replay` records and the timeline
    /// (`playPrompt`, `record`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::PlayPrompt => "playPrompt",
            Self::Record => "record",
            Self::SubscribeToTone => "subscribeToTone",
            Self::CancelMediaProcessing => "cancelMediaProcessing",
            Self::CollectDigits => "collectDigits",
        }
    }

    /// Whether Graph has it (all but the extension collect-digits).
    #[inline]
    pub const fn is_graph(self) -> bool {
        !matches!(self, Self::CollectDigits)
    }

    /// Whether it is queued with the media (playPrompt, record,
    /// collect-digits).
    #[inline]
    pub const fn is_media(self) -> bool {
        matches!(self, Self::PlayPrompt | Self::Record | Self::CollectDigits)
    }
}

/// Graph's `operationStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationStatus {
    /// Waiting in the queue (shown only with `not_started_for_queued`).
    NotStarted,
    /// Accepted and not ended.
    Running,
    /// Ended successfully.
    Completed,
    /// Ended with an error.
    Failed,
}

impl OperationStatus {
    /// The wire value (`notStarted`, `running`, `completed`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "notStarted",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// Which part of a prompt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum PromptFailure {
    /// The file could not be downloaded (subcode 8536).
    Download,
    /// The file is not a valid WAV (subcode 8535).
    Format,
}

impl PromptFailure {
    /// Its name in `ivr-replay` scenarios and records.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Download => "download",
            Self::Format => "format",
        }
    }
}

/// Why an operation ended. Every ended media operation has exactly one; the
/// wire layer maps it to Graph's status, `resultInfo` and `completionReason`
/// (see [`crate::wire::graph_result`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum EndReason {
    /// A playPrompt played all its prompts.
    Completed,
    /// A record heard one of its stop tones.
    StopToneDetected(Tone),
    /// A record reached its maximum duration.
    MaxRecordDuration,
    /// A record heard no speech before the initial-silence timeout.
    InitialSilenceTimeout,
    /// A record heard silence after speech for the max-silence timeout.
    MaxSilenceTimeout,
    /// cancelMediaProcessing ended it while it was running.
    CancelledWhileRunning,
    /// cancelMediaProcessing ended it before it started.
    CancelledWhileQueued,
    /// A barge-in record ended it (running or queued).
    DisplacedByBargeIn,
    /// The call ended while it was running or queued.
    CallTerminated,
    /// A prompt (of a playPrompt, or of a record) failed to play.
    PromptFailed(PromptFailure),
    /// A record's beep failed to play.
    BeepFailed,
    /// The media layer stopped receiving audio while recording.
    MediaReceiveTimeout,
    /// The media layer could not store the recording.
    RecordingStoreFailed,
    /// Extension: a collect-digits operation got at least `min_digits`.
    DigitsCollected(DigitsEnd),
    /// Extension: a collect-digits operation ended with fewer than
    /// `min_digits`.
    TooFewDigits(DigitsEnd),
}

/// Extension: what ended a collect-digits operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum DigitsEnd {
    /// The `max_digits`-th key.
    MaxDigits,
    /// A terminator key (not collected).
    Terminator(Tone),
    /// No further key within the inter-digit timeout.
    InterDigitTimeout,
    /// No key at all within the first-digit timeout.
    FirstDigitTimeout,
}

impl DigitsEnd {
    /// Its name in extension records, camelCase.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MaxDigits => "maxDigits",
            Self::Terminator(_) => "terminator",
            Self::InterDigitTimeout => "interDigitTimeout",
            Self::FirstDigitTimeout => "firstDigitTimeout",
        }
    }
}

impl EndReason {
    /// Its name in extension records (`ivr-replay` outcomes), camelCase.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::StopToneDetected(_) => "stopToneDetected",
            Self::MaxRecordDuration => "maxRecordDuration",
            Self::InitialSilenceTimeout => "initialSilenceTimeout",
            Self::MaxSilenceTimeout => "maxSilenceTimeout",
            Self::CancelledWhileRunning => "cancelledWhileRunning",
            Self::CancelledWhileQueued => "cancelledWhileQueued",
            Self::DisplacedByBargeIn => "displacedByBargeIn",
            Self::CallTerminated => "callTerminated",
            Self::PromptFailed(_) => "promptFailed",
            Self::BeepFailed => "beepFailed",
            Self::MediaReceiveTimeout => "mediaReceiveTimeout",
            Self::RecordingStoreFailed => "recordingStoreFailed",
            Self::DigitsCollected(_) => "digitsCollected",
            Self::TooFewDigits(_) => "tooFewDigits",
        }
    }

    /// Whether a cancel (or a barge-in) ended the operation.
    #[inline]
    pub const fn is_cancellation(self) -> bool {
        matches!(
            self,
            Self::CancelledWhileRunning | Self::CancelledWhileQueued | Self::DisplacedByBargeIn
        )
    }

    /// `completed` for the ends Graph counts as success, else `failed`.
    #[inline]
    pub const fn status(self) -> OperationStatus {
        match self {
            Self::Completed
            | Self::StopToneDetected(_)
            | Self::MaxRecordDuration
            | Self::MaxSilenceTimeout
            | Self::DigitsCollected(_) => OperationStatus::Completed,
            _ => OperationStatus::Failed,
        }
    }
}

/// Graph's `resultInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ResultInfo {
    /// HTTP-like code (200, 400, 500).
    pub code: i32,
    /// Graph's detail code (8508, 5001, ...).
    pub subcode: i32,
    /// The human text.
    pub message: Cow<'static, str>,
}

impl ResultInfo {
    /// A result with a fixed message.
    pub const fn new(code: i32, subcode: i32, message: &'static str) -> Self {
        Self {
            code,
            subcode,
            message: Cow::Borrowed(message),
        }
    }

    /// `{200, 5001, "The conversation has ended."}`: how a call ends by default.
    pub const fn conversation_ended() -> Self {
        Self::new(200, 5001, "The conversation has ended.")
    }
}

/// Where the media layer stored a recording.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Recording {
    /// `recordingLocation`.
    pub location: Arc<str>,
    /// `recordingAccessToken`.
    pub access_token: Arc<str>,
}

/// The state of one operation, as Graph would show it.
///
/// This is what `POST` answers, what `GET` returns, and what an ended
/// operation's notification carries. Cloning is cheap.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Operation {
    /// Its id.
    pub id: OperationId,
    /// Its type.
    pub kind: OperationKind,
    /// The API version that created it.
    pub api: ApiVersion,
    /// The bot's `clientContext`.
    pub client_context: Option<Arc<str>>,
    /// Its status.
    pub status: OperationStatus,
    /// Why it ended, once it has (media operations only).
    pub end: Option<EndReason>,
    /// The stored recording of a completed record.
    pub recording: Option<Recording>,
    /// Changes whenever the operation changes (`@odata.etag`).
    pub etag: u64,
}

impl Operation {
    /// Whether it has ended.
    #[inline]
    pub const fn is_ended(&self) -> bool {
        matches!(
            self.status,
            OperationStatus::Completed | OperationStatus::Failed
        )
    }
}
