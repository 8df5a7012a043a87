//! Format 1 (`ivr-media-queue/call/1`, `ivr-media-queue/engine/1`), read
//! only: what the releases before format 2 wrote, which was the serde
//! derive of the call's private types. These types spell that shape out
//! (snake_case fields, enums as serde's externally tagged default, tones as
//! Graph names, tone sets as bit sets, operation kinds as `@odata.type`),
//! so a call snapshotted by such a release restores here. Like those
//! releases, unknown fields are ignored; the snapshot's own `config` (and
//! the GET memory size it carried) is read past: the restoring side's
//! config applies.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::OpId;
use super::parts::{ActiveParts, CallParts, MediaParts, PhaseParts, QueuedParts};
use crate::id::{CallId, IdSource};
use crate::io::{MediaCommand, Notification, OperationEnded, Output, PartialRecording};
use crate::model::{
    self, ApiVersion, CollectDigits, Digits, DigitsEnd, MediaPrompt, MediaRequest, OperationKind,
    OperationStatus, PlayPrompt, PromptFailure, Record, ResultInfo, Tone, ToneSet,
};
use crate::time::Instant;

/// The format tag of a call in format 1.
pub(super) const CALL: &str = "ivr-media-queue/call/1";
/// The format tag of an engine in format 1.
pub(super) const ENGINE: &str = "ivr-media-queue/engine/1";

/// One call, as `Call`'s derive wrote it.
#[derive(Debug, Deserialize)]
pub(super) struct Call {
    #[serde(rename = "id")]
    id: String,
    /// The snapshotting side's `CallConfig`: not used.
    #[serde(rename = "config")]
    _config: IgnoredAny,
    #[serde(rename = "ids")]
    ids: Ids,
    #[serde(rename = "last_now")]
    last_now: u64,
    #[serde(rename = "ledger")]
    ledger: Ledger,
    #[serde(rename = "state")]
    state: State,
}

#[derive(Debug, Deserialize)]
enum Ids {
    Random,
    Seeded {
        #[serde(rename = "state")]
        state: u64,
    },
}

#[derive(Debug, Deserialize)]
struct Ledger {
    #[serde(rename = "etag")]
    etag: u64,
    /// The GET memory size: the restoring side's config decides it.
    #[serde(rename = "retained", default)]
    _retained: IgnoredAny,
    #[serde(rename = "outputs")]
    outputs: Vec<Output1>,
    #[serde(rename = "polled", default)]
    polled: u64,
    #[serde(rename = "finished")]
    finished: Vec<Operation>,
}

#[derive(Debug, Deserialize)]
enum State {
    Established(Box<Media>),
    Terminated,
}

#[derive(Debug, Deserialize)]
struct Media {
    #[serde(rename = "active")]
    active: Option<Active>,
    #[serde(rename = "queue")]
    queue: Vec<Queued>,
    #[serde(rename = "tones_subscribed")]
    tones_subscribed: bool,
    #[serde(rename = "delivered_tones")]
    delivered_tones: u64,
}

#[derive(Debug, Deserialize)]
struct Queued {
    #[serde(rename = "op")]
    op: Operation,
    #[serde(rename = "request")]
    request: Request,
}

#[derive(Debug, Deserialize)]
struct Active {
    #[serde(rename = "queued")]
    queued: Queued,
    #[serde(rename = "phase")]
    phase: Phase,
    #[serde(rename = "since")]
    since: u64,
}

#[derive(Debug, Deserialize)]
enum Phase {
    Prompt {
        #[serde(rename = "index")]
        index: u64,
    },
    Beep,
    Recording {
        #[serde(rename = "initial_silence")]
        initial_silence: Option<u64>,
        #[serde(rename = "max_duration")]
        max_duration: u64,
        #[serde(rename = "max_silence")]
        max_silence: Option<u64>,
        #[serde(rename = "store_failed")]
        store_failed: bool,
    },
    Storing {
        #[serde(rename = "reason")]
        reason: EndReason,
        #[serde(rename = "recorded_ms")]
        recorded_ms: u64,
    },
    Collecting {
        #[serde(rename = "digits")]
        digits: Vec<ToneText>,
        #[serde(rename = "deadline")]
        deadline: u64,
    },
}

#[derive(Debug, Deserialize)]
struct Operation {
    #[serde(rename = "id")]
    id: OpId,
    #[serde(rename = "kind")]
    kind: KindText,
    #[serde(rename = "api")]
    api: Api,
    #[serde(rename = "client_context")]
    client_context: Option<String>,
    #[serde(rename = "status")]
    status: StatusText,
    #[serde(rename = "end")]
    end: Option<EndReason>,
    #[serde(rename = "recording")]
    recording: Option<Recording>,
    #[serde(rename = "etag")]
    etag: u64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum Api {
    V1,
    Beta,
}

#[derive(Debug, Deserialize)]
struct Recording {
    #[serde(rename = "location")]
    location: String,
    #[serde(rename = "access_token")]
    access_token: String,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum EndReason {
    Completed,
    StopToneDetected(ToneText),
    MaxRecordDuration,
    InitialSilenceTimeout,
    MaxSilenceTimeout,
    CancelledWhileRunning,
    CancelledWhileQueued,
    DisplacedByBargeIn,
    CallTerminated,
    PromptFailed(Failure),
    BeepFailed,
    MediaReceiveTimeout,
    RecordingStoreFailed,
    DigitsCollected(DigitsEnd1),
    TooFewDigits(DigitsEnd1),
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum DigitsEnd1 {
    MaxDigits,
    Terminator(ToneText),
    InterDigitTimeout,
    FirstDigitTimeout,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum Failure {
    Download,
    Format,
}

#[derive(Debug, Deserialize)]
enum Request {
    PlayPrompt {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "loop_forever")]
        loop_forever: bool,
    },
    Record {
        #[serde(rename = "prompt")]
        prompt: Option<Prompt>,
        #[serde(rename = "barge_in_allowed")]
        barge_in_allowed: bool,
        #[serde(rename = "initial_silence_timeout_secs")]
        initial_silence_timeout_secs: u32,
        #[serde(rename = "max_silence_timeout_secs")]
        max_silence_timeout_secs: u32,
        #[serde(rename = "max_record_duration_secs")]
        max_record_duration_secs: u32,
        #[serde(rename = "play_beep")]
        play_beep: bool,
        #[serde(rename = "stop_tones")]
        stop_tones: ToneBits,
    },
    CollectDigits {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "min_digits")]
        min_digits: u8,
        #[serde(rename = "max_digits")]
        max_digits: u8,
        #[serde(rename = "terminators")]
        terminators: ToneBits,
        #[serde(rename = "first_digit_timeout_ms")]
        first_digit_timeout_ms: u32,
        #[serde(rename = "inter_digit_timeout_ms")]
        inter_digit_timeout_ms: u32,
        #[serde(rename = "barge_in")]
        barge_in: bool,
    },
}

#[derive(Debug, Deserialize)]
struct Prompt {
    #[serde(rename = "uri")]
    uri: String,
    #[serde(rename = "resource_id")]
    resource_id: Option<String>,
}

#[derive(Debug, Deserialize)]
enum Output1 {
    Notification(Notification1),
    Media(Command),
    Abandoned(Box<Ended>),
}

#[derive(Debug, Deserialize)]
enum Notification1 {
    OperationEnded(Box<Ended>),
    Tone {
        #[serde(rename = "sequence_id")]
        sequence_id: u64,
        #[serde(rename = "tone")]
        tone: ToneText,
    },
    CallEstablished,
    CallTerminating,
    CallTerminated {
        #[serde(rename = "result")]
        result: ResultInfo1,
    },
}

#[derive(Debug, Deserialize)]
struct ResultInfo1 {
    #[serde(rename = "code")]
    code: i32,
    #[serde(rename = "subcode")]
    subcode: i32,
    #[serde(rename = "message")]
    message: String,
}

#[derive(Debug, Deserialize)]
enum Command {
    Play {
        #[serde(rename = "operation")]
        operation: OpId,
        #[serde(rename = "index")]
        index: u64,
        #[serde(rename = "prompt")]
        prompt: Prompt,
    },
    StopPlayback {
        #[serde(rename = "operation")]
        operation: OpId,
    },
    PlayBeep {
        #[serde(rename = "operation")]
        operation: OpId,
    },
    StartRecording {
        #[serde(rename = "operation")]
        operation: OpId,
    },
    StopRecording {
        #[serde(rename = "operation")]
        operation: OpId,
        #[serde(rename = "store")]
        store: bool,
    },
}

#[derive(Debug, Deserialize)]
struct Ended {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "ended_by", default)]
    ended_by: Option<OpId>,
    #[serde(rename = "partial_recording", default)]
    partial_recording: Option<Partial>,
    #[serde(rename = "digits", default)]
    digits: Vec<ToneText>,
}

#[derive(Debug, Deserialize)]
struct Partial {
    #[serde(rename = "recorded_ms")]
    recorded_ms: u64,
    #[serde(rename = "kept")]
    kept: bool,
}

/// A tone as format 1 wrote it: its Graph name (`pound`); read as that
/// release read it: a name or a key (`#`), in any case.
#[derive(Clone, Copy, Debug)]
struct ToneText(Tone);

impl<'de> Deserialize<'de> for ToneText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        tone(&text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom(format_args!("not a tone: {text:?}")))
    }
}

/// Format 1's tone names, in the bit order of its tone sets.
const TONES: [(&str, char, Tone); 17] = [
    ("tone0", '0', Tone::Tone0),
    ("tone1", '1', Tone::Tone1),
    ("tone2", '2', Tone::Tone2),
    ("tone3", '3', Tone::Tone3),
    ("tone4", '4', Tone::Tone4),
    ("tone5", '5', Tone::Tone5),
    ("tone6", '6', Tone::Tone6),
    ("tone7", '7', Tone::Tone7),
    ("tone8", '8', Tone::Tone8),
    ("tone9", '9', Tone::Tone9),
    ("star", '*', Tone::Star),
    ("pound", '#', Tone::Pound),
    ("a", 'A', Tone::A),
    ("b", 'B', Tone::B),
    ("c", 'C', Tone::C),
    ("d", 'D', Tone::D),
    // A hook flash has no key in format 1's reader.
    ("flash", '\0', Tone::Flash),
];

fn tone(text: &str) -> Option<Tone> {
    let mut chars = text.chars();
    if let (Some(key), None) = (chars.next(), chars.next()) {
        let key = key.to_ascii_uppercase();
        return TONES
            .iter()
            .find(|(_, k, _)| *k == key && key != '\0')
            .map(|(_, _, tone)| *tone);
    }
    TONES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(text))
        .map(|(_, _, tone)| *tone)
}

/// A tone set as format 1 wrote it: bit `i` for the `i`-th of [`TONES`].
#[derive(Clone, Copy, Debug)]
struct ToneBits(ToneSet);

impl<'de> Deserialize<'de> for ToneBits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bits = u32::deserialize(d)?;
        if bits >> TONES.len() != 0 {
            return Err(serde::de::Error::custom(format_args!(
                "tone set {bits:#x} has bits beyond the {} tones",
                TONES.len()
            )));
        }
        Ok(Self(
            TONES
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, (_, _, tone))| *tone)
                .collect(),
        ))
    }
}

/// An operation kind as format 1 wrote it: its `@odata.type`, any case.
#[derive(Clone, Copy, Debug)]
struct KindText(OperationKind);

impl<'de> Deserialize<'de> for KindText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const KINDS: [(&str, OperationKind); 5] = [
            (
                "#microsoft.graph.playPromptOperation",
                OperationKind::PlayPrompt,
            ),
            ("#microsoft.graph.recordOperation", OperationKind::Record),
            (
                "#microsoft.graph.subscribeToToneOperation",
                OperationKind::SubscribeToTone,
            ),
            (
                "#microsoft.graph.cancelMediaProcessingOperation",
                OperationKind::CancelMediaProcessing,
            ),
            // Written by format 1, though its own reader refused it.
            (
                "#ivrMediaQueue.collectDigitsOperation",
                OperationKind::CollectDigits,
            ),
        ];
        let text = Cow::<str>::deserialize(d)?;
        KINDS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&text))
            .map(|(_, kind)| Self(*kind))
            .ok_or_else(|| {
                serde::de::Error::custom(format_args!("not an operation kind: {text:?}"))
            })
    }
}

/// An operation status as format 1 wrote it (`running`), any case.
#[derive(Clone, Copy, Debug)]
struct StatusText(OperationStatus);

impl<'de> Deserialize<'de> for StatusText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const STATUSES: [(&str, OperationStatus); 4] = [
            ("notStarted", OperationStatus::NotStarted),
            ("running", OperationStatus::Running),
            ("completed", OperationStatus::Completed),
            ("failed", OperationStatus::Failed),
        ];
        let text = Cow::<str>::deserialize(d)?;
        STATUSES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&text))
            .map(|(_, status)| Self(*status))
            .ok_or_else(|| serde::de::Error::custom(format_args!("not a status: {text:?}")))
    }
}

// ---------------------------------------------------------------------------
// Format -> state (types only; what the values mean is checked at restore).

fn index(n: u64) -> Result<usize, String> {
    usize::try_from(n).map_err(|_| format!("index {n} does not fit this machine"))
}

impl Call {
    pub(super) fn read(self) -> Result<CallParts, String> {
        let media = match self.state {
            State::Terminated => None,
            State::Established(media) => Some(MediaParts {
                active: match media.active {
                    None => None,
                    Some(active) => Some(ActiveParts {
                        queued: active.queued.read(),
                        phase: active.phase.read()?,
                        since: Instant::from_millis(active.since),
                    }),
                },
                queued: media.queue.into_iter().map(Queued::read).collect(),
                tones_subscribed: media.tones_subscribed,
                tones_delivered: media.delivered_tones,
            }),
        };
        Ok(CallParts {
            id: CallId::new(&self.id),
            ids: match self.ids {
                Ids::Random => IdSource::Random,
                Ids::Seeded { state } => IdSource::Seeded { state },
            },
            clock: Instant::from_millis(self.last_now),
            etag: self.ledger.etag,
            polled: self.ledger.polled,
            outputs: self
                .ledger
                .outputs
                .into_iter()
                .map(Output1::read)
                .collect::<Result<_, _>>()?,
            remembered: self
                .ledger
                .finished
                .into_iter()
                .map(Operation::read)
                .collect(),
            media,
        })
    }
}

impl Queued {
    fn read(self) -> QueuedParts {
        QueuedParts {
            operation: self.op.read(),
            request: self.request.read(),
        }
    }
}

impl Phase {
    fn read(self) -> Result<PhaseParts, String> {
        Ok(match self {
            Self::Prompt { index: i } => PhaseParts::Prompt { index: index(i)? },
            Self::Beep => PhaseParts::Beep,
            Self::Recording {
                initial_silence,
                max_duration,
                max_silence,
                store_failed,
            } => PhaseParts::Recording {
                initial_silence: initial_silence.map(Instant::from_millis),
                max_duration: Instant::from_millis(max_duration),
                max_silence: max_silence.map(Instant::from_millis),
                store_failed,
            },
            Self::Storing {
                reason,
                recorded_ms,
            } => PhaseParts::Storing {
                reason: reason.read(),
                recorded_ms,
            },
            Self::Collecting { digits, deadline } => PhaseParts::Collecting {
                digits: digits.into_iter().map(|t| t.0).collect(),
                deadline: Instant::from_millis(deadline),
            },
        })
    }
}

impl Operation {
    fn read(self) -> model::Operation {
        model::Operation {
            id: self.id.0,
            kind: self.kind.0,
            api: match self.api {
                Api::V1 => ApiVersion::V1,
                Api::Beta => ApiVersion::Beta,
            },
            client_context: self.client_context.map(Arc::from),
            status: self.status.0,
            end: self.end.map(EndReason::read),
            recording: self.recording.map(|r| model::Recording {
                location: Arc::from(r.location),
                access_token: Arc::from(r.access_token),
            }),
            etag: self.etag,
        }
    }
}

impl EndReason {
    fn read(self) -> model::EndReason {
        use model::EndReason as R;
        match self {
            Self::Completed => R::Completed,
            Self::StopToneDetected(tone) => R::StopToneDetected(tone.0),
            Self::MaxRecordDuration => R::MaxRecordDuration,
            Self::InitialSilenceTimeout => R::InitialSilenceTimeout,
            Self::MaxSilenceTimeout => R::MaxSilenceTimeout,
            Self::CancelledWhileRunning => R::CancelledWhileRunning,
            Self::CancelledWhileQueued => R::CancelledWhileQueued,
            Self::DisplacedByBargeIn => R::DisplacedByBargeIn,
            Self::CallTerminated => R::CallTerminated,
            Self::PromptFailed(failure) => R::PromptFailed(match failure {
                Failure::Download => PromptFailure::Download,
                Failure::Format => PromptFailure::Format,
            }),
            Self::BeepFailed => R::BeepFailed,
            Self::MediaReceiveTimeout => R::MediaReceiveTimeout,
            Self::RecordingStoreFailed => R::RecordingStoreFailed,
            Self::DigitsCollected(end) => R::DigitsCollected(end.read()),
            Self::TooFewDigits(end) => R::TooFewDigits(end.read()),
        }
    }
}

impl DigitsEnd1 {
    fn read(self) -> DigitsEnd {
        match self {
            Self::MaxDigits => DigitsEnd::MaxDigits,
            Self::Terminator(tone) => DigitsEnd::Terminator(tone.0),
            Self::InterDigitTimeout => DigitsEnd::InterDigitTimeout,
            Self::FirstDigitTimeout => DigitsEnd::FirstDigitTimeout,
        }
    }
}

impl Prompt {
    fn read(self) -> MediaPrompt {
        MediaPrompt {
            uri: Arc::from(self.uri),
            resource_id: self.resource_id.map(Arc::from),
        }
    }
}

impl Request {
    fn read(self) -> MediaRequest {
        match self {
            Self::PlayPrompt {
                prompts,
                loop_forever,
            } => MediaRequest::PlayPrompt(PlayPrompt {
                prompts: prompts.into_iter().map(Prompt::read).collect(),
                loop_forever,
            }),
            Self::Record {
                prompt,
                barge_in_allowed,
                initial_silence_timeout_secs,
                max_silence_timeout_secs,
                max_record_duration_secs,
                play_beep,
                stop_tones,
            } => MediaRequest::Record(Record {
                prompt: prompt.map(Prompt::read),
                barge_in_allowed,
                initial_silence_timeout_secs,
                max_silence_timeout_secs,
                max_record_duration_secs,
                play_beep,
                stop_tones: stop_tones.0,
            }),
            Self::CollectDigits {
                prompts,
                min_digits,
                max_digits,
                terminators,
                first_digit_timeout_ms,
                inter_digit_timeout_ms,
                barge_in,
            } => MediaRequest::CollectDigits(CollectDigits {
                prompts: prompts.into_iter().map(Prompt::read).collect(),
                min_digits,
                max_digits,
                terminators: terminators.0,
                first_digit_timeout_ms,
                inter_digit_timeout_ms,
                barge_in,
            }),
        }
    }
}

impl Ended {
    fn read(self) -> OperationEnded {
        OperationEnded {
            operation: self.operation.read(),
            request: self.request.read(),
            ended_by: self.ended_by.map(|id| id.0),
            partial_recording: self.partial_recording.map(|p| PartialRecording {
                recorded_ms: p.recorded_ms,
                kept: p.kept,
            }),
            digits: Digits(self.digits.into_iter().map(|t| t.0).collect()),
        }
    }
}

impl Output1 {
    fn read(self) -> Result<Output, String> {
        Ok(match self {
            Self::Notification(Notification1::OperationEnded(ended)) => {
                Output::Notification(Notification::OperationEnded(ended.read()))
            }
            Self::Notification(Notification1::Tone { sequence_id, tone }) => {
                Output::Notification(Notification::Tone {
                    sequence_id,
                    tone: tone.0,
                })
            }
            Self::Notification(Notification1::CallEstablished) => {
                Output::Notification(Notification::CallEstablished)
            }
            Self::Notification(Notification1::CallTerminating) => {
                Output::Notification(Notification::CallTerminating)
            }
            Self::Notification(Notification1::CallTerminated { result }) => {
                Output::Notification(Notification::CallTerminated {
                    result: ResultInfo {
                        code: result.code,
                        subcode: result.subcode,
                        message: Cow::Owned(result.message),
                    },
                })
            }
            Self::Abandoned(ended) => Output::Abandoned(ended.read()),
            Self::Media(Command::Play {
                operation,
                index: i,
                prompt,
            }) => Output::Media(MediaCommand::Play {
                operation: operation.0,
                index: index(i)?,
                prompt: prompt.read(),
            }),
            Self::Media(Command::StopPlayback { operation }) => {
                Output::Media(MediaCommand::StopPlayback {
                    operation: operation.0,
                })
            }
            Self::Media(Command::PlayBeep { operation }) => Output::Media(MediaCommand::PlayBeep {
                operation: operation.0,
            }),
            Self::Media(Command::StartRecording { operation }) => {
                Output::Media(MediaCommand::StartRecording {
                    operation: operation.0,
                })
            }
            Self::Media(Command::StopRecording { operation, store }) => {
                Output::Media(MediaCommand::StopRecording {
                    operation: operation.0,
                    store,
                })
            }
        })
    }
}
