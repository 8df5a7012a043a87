//! Format 2 (`ivr-media-queue/call/2`, `ivr-media-queue/engine/2`): the
//! format this version writes.
//!
//! Every type here exists only for the format, and every JSON name is
//! spelled out on its field or variant: renaming a Rust item changes no
//! byte. Unknown fields are refused. Names are camelCase; times are
//! milliseconds on the embedder's clock; tones are Graph's enum names
//! (`tone0`...`tone9`, `star`, `pound`, `a`...`d`, `flash`); operation ids
//! are UUIDs with dashes.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::parts::{ActiveParts, CallParts, MediaParts, PhaseParts, QueuedParts};
use crate::id::{CallId, IdSource, OperationId};
use crate::io::{MediaCommand, Notification, OperationEnded, Output, PartialRecording};
use crate::model::{
    self, ApiVersion, CollectDigits, Digits, DigitsEnd, MediaPrompt, MediaRequest, OperationKind,
    OperationStatus, PlayPrompt, PromptFailure, Record, ResultInfo, ToneSet,
};
use crate::time::Instant;

/// The format tag of a call in format 2.
pub(super) const CALL: &str = "ivr-media-queue/call/2";
/// The format tag of an engine in format 2.
pub(super) const ENGINE: &str = "ivr-media-queue/engine/2";

/// One call.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Call {
    /// [`CALL`].
    #[serde(rename = "format")]
    format: Cow<'static, str>,
    #[serde(rename = "callId")]
    call_id: String,
    #[serde(rename = "operationIds")]
    ids: Ids,
    /// The latest `now` the call has seen.
    #[serde(rename = "clockMs")]
    clock_ms: u64,
    /// The last etag given out.
    #[serde(rename = "etagCounter")]
    etag: u64,
    /// Outputs polled so far.
    #[serde(rename = "outputsPolled")]
    polled: u64,
    /// `null` once the call has ended.
    #[serde(rename = "media")]
    media: Option<Media>,
    /// Outputs not polled yet, oldest first.
    #[serde(rename = "pendingOutputs")]
    outputs: Vec<Output2>,
    /// Ended operations kept for `GET`, oldest first.
    #[serde(rename = "remembered")]
    remembered: Vec<Operation>,
}

/// One engine: its calls, each a [`Call`] with its own tag, and the ids of
/// the calls that ended.
#[derive(Debug, Serialize)]
pub(super) struct Engine<'a> {
    #[serde(rename = "format")]
    pub(super) format: &'static str,
    #[serde(rename = "calls")]
    pub(super) calls: &'a [super::CallSnapshot],
    #[serde(rename = "ended")]
    pub(super) ended: &'a [CallId],
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "source", deny_unknown_fields)]
enum Ids {
    #[serde(rename = "random")]
    Random,
    #[serde(rename = "seeded")]
    Seeded {
        #[serde(rename = "state")]
        state: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Media {
    #[serde(rename = "active")]
    active: Option<Active>,
    #[serde(rename = "queued")]
    queued: Vec<Queued>,
    #[serde(rename = "toneSubscription")]
    tones_subscribed: bool,
    /// The `sequenceId` of the last delivered tone (0: none yet).
    #[serde(rename = "tonesDelivered")]
    tones_delivered: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Queued {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Active {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "phase")]
    phase: Phase,
    /// When the phase began.
    #[serde(rename = "phaseSinceMs")]
    since_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Phase {
    #[serde(rename = "prompt")]
    Prompt {
        /// 0-based.
        #[serde(rename = "index")]
        index: usize,
    },
    #[serde(rename = "beep")]
    Beep,
    #[serde(rename = "recording")]
    Recording {
        #[serde(rename = "initialSilenceDeadlineMs")]
        initial_silence_ms: Option<u64>,
        #[serde(rename = "maxDurationDeadlineMs")]
        max_duration_ms: u64,
        #[serde(rename = "maxSilenceDeadlineMs")]
        max_silence_ms: Option<u64>,
        #[serde(rename = "storeFailed")]
        store_failed: bool,
    },
    #[serde(rename = "storing")]
    Storing {
        #[serde(rename = "reason")]
        reason: EndReason,
        #[serde(rename = "recordedMs")]
        recorded_ms: u64,
    },
    #[serde(rename = "collecting")]
    Collecting {
        #[serde(rename = "digits")]
        digits: Vec<Tone>,
        #[serde(rename = "deadlineMs")]
        deadline_ms: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Operation {
    #[serde(rename = "id")]
    id: OperationId,
    #[serde(rename = "kind")]
    kind: Kind,
    #[serde(rename = "api")]
    api: Api,
    #[serde(rename = "clientContext")]
    client_context: Option<String>,
    #[serde(rename = "status")]
    status: Status,
    #[serde(rename = "end")]
    end: Option<EndReason>,
    #[serde(rename = "recording")]
    recording: Option<Recording>,
    #[serde(rename = "etag")]
    etag: u64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "playPrompt")]
    PlayPrompt,
    #[serde(rename = "record")]
    Record,
    #[serde(rename = "subscribeToTone")]
    SubscribeToTone,
    #[serde(rename = "cancelMediaProcessing")]
    CancelMediaProcessing,
    #[serde(rename = "collectDigits")]
    CollectDigits,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Api {
    #[serde(rename = "v1.0")]
    V1,
    #[serde(rename = "beta")]
    Beta,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Status {
    #[serde(rename = "notStarted")]
    NotStarted,
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "failed")]
    Failed,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recording {
    #[serde(rename = "location")]
    location: String,
    #[serde(rename = "accessToken")]
    access_token: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum EndReason {
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "stopToneDetected")]
    StopToneDetected {
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "maxRecordDuration")]
    MaxRecordDuration,
    #[serde(rename = "initialSilenceTimeout")]
    InitialSilenceTimeout,
    #[serde(rename = "maxSilenceTimeout")]
    MaxSilenceTimeout,
    #[serde(rename = "cancelledWhileRunning")]
    CancelledWhileRunning,
    #[serde(rename = "cancelledWhileQueued")]
    CancelledWhileQueued,
    #[serde(rename = "displacedByBargeIn")]
    DisplacedByBargeIn,
    #[serde(rename = "callTerminated")]
    CallTerminated,
    #[serde(rename = "promptFailed")]
    PromptFailed {
        #[serde(rename = "failure")]
        failure: Failure,
    },
    #[serde(rename = "beepFailed")]
    BeepFailed,
    #[serde(rename = "mediaReceiveTimeout")]
    MediaReceiveTimeout,
    #[serde(rename = "recordingStoreFailed")]
    RecordingStoreFailed,
    #[serde(rename = "digitsCollected")]
    DigitsCollected {
        #[serde(rename = "end")]
        end: DigitsEnd2,
    },
    #[serde(rename = "tooFewDigits")]
    TooFewDigits {
        #[serde(rename = "end")]
        end: DigitsEnd2,
    },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum DigitsEnd2 {
    #[serde(rename = "maxDigits")]
    MaxDigits,
    #[serde(rename = "terminator")]
    Terminator {
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "interDigitTimeout")]
    InterDigitTimeout,
    #[serde(rename = "firstDigitTimeout")]
    FirstDigitTimeout,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Failure {
    #[serde(rename = "download")]
    Download,
    #[serde(rename = "format")]
    Format,
}

/// A tone as Graph's enum name (`tone0`, `pound`), exactly as written.
#[derive(Clone, Copy, Debug)]
struct Tone(model::Tone);

impl Serialize for Tone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Tone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const NAMES: [&str; 17] = {
            let mut names = [""; 17];
            let mut i = 0;
            while i < names.len() {
                names[i] = model::Tone::ALL[i].as_str();
                i += 1;
            }
            names
        };
        let text = Cow::<str>::deserialize(d)?;
        model::Tone::ALL
            .into_iter()
            .find(|tone| tone.as_str() == text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::unknown_variant(&text, &NAMES))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Request {
    #[serde(rename = "playPrompt")]
    PlayPrompt {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        /// Beta `loop`.
        #[serde(rename = "loop")]
        loop_forever: bool,
    },
    #[serde(rename = "record")]
    Record {
        #[serde(rename = "prompt")]
        prompt: Option<Prompt>,
        #[serde(rename = "bargeInAllowed")]
        barge_in_allowed: bool,
        #[serde(rename = "initialSilenceTimeoutSecs")]
        initial_silence_timeout_secs: u32,
        #[serde(rename = "maxSilenceTimeoutSecs")]
        max_silence_timeout_secs: u32,
        #[serde(rename = "maxRecordDurationSecs")]
        max_record_duration_secs: u32,
        #[serde(rename = "playBeep")]
        play_beep: bool,
        #[serde(rename = "stopTones")]
        stop_tones: Vec<Tone>,
    },
    #[serde(rename = "collectDigits")]
    CollectDigits {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "minDigits")]
        min_digits: u8,
        #[serde(rename = "maxDigits")]
        max_digits: u8,
        #[serde(rename = "terminators")]
        terminators: Vec<Tone>,
        #[serde(rename = "firstDigitTimeoutMs")]
        first_digit_timeout_ms: u32,
        #[serde(rename = "interDigitTimeoutMs")]
        inter_digit_timeout_ms: u32,
        #[serde(rename = "bargeIn")]
        barge_in: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    #[serde(rename = "uri")]
    uri: String,
    #[serde(rename = "resourceId")]
    resource_id: Option<String>,
}

/// An undrained output: a notification, a media command or an abandoned
/// operation, told apart by `type`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Output2 {
    #[serde(rename = "operationEnded")]
    OperationEnded(Ended),
    /// The end of an operation the call's end abandoned, without a
    /// notification.
    #[serde(rename = "abandoned")]
    Abandoned(Ended),
    #[serde(rename = "tone")]
    Tone {
        #[serde(rename = "sequenceId")]
        sequence_id: u64,
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "callEstablished")]
    CallEstablished,
    #[serde(rename = "callTerminating")]
    CallTerminating,
    #[serde(rename = "callTerminated")]
    CallTerminated {
        #[serde(rename = "code")]
        code: i32,
        #[serde(rename = "subcode")]
        subcode: i32,
        #[serde(rename = "message")]
        message: String,
    },
    #[serde(rename = "play")]
    Play {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "index")]
        index: usize,
        #[serde(rename = "prompt")]
        prompt: Prompt,
    },
    #[serde(rename = "stopPlayback")]
    StopPlayback {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "playBeep")]
    PlayBeep {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "startRecording")]
    StartRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "stopRecording")]
    StopRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "store")]
        store: bool,
    },
}

/// An ended operation in an output: its fields sit beside the output's
/// `type`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ended {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "endedBy")]
    ended_by: Option<OperationId>,
    #[serde(rename = "partialRecording")]
    partial_recording: Option<Partial>,
    #[serde(rename = "digits")]
    digits: Vec<Tone>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Partial {
    #[serde(rename = "recordedMs")]
    recorded_ms: u64,
    #[serde(rename = "kept")]
    kept: bool,
}

// ---------------------------------------------------------------------------
// State -> format.

impl Call {
    pub(super) fn write(parts: &CallParts) -> Self {
        Self {
            format: Cow::Borrowed(CALL),
            call_id: parts.id.as_str().to_owned(),
            ids: match parts.ids {
                IdSource::Random => Ids::Random,
                IdSource::Seeded { state } => Ids::Seeded { state },
            },
            clock_ms: parts.clock.as_millis(),
            etag: parts.etag,
            polled: parts.polled,
            media: parts.media.as_ref().map(|media| Media {
                active: media.active.as_ref().map(|active| Active {
                    operation: Operation::write(&active.queued.operation),
                    request: Request::write(&active.queued.request),
                    phase: Phase::write(&active.phase),
                    since_ms: active.since.as_millis(),
                }),
                queued: media
                    .queued
                    .iter()
                    .map(|queued| Queued {
                        operation: Operation::write(&queued.operation),
                        request: Request::write(&queued.request),
                    })
                    .collect(),
                tones_subscribed: media.tones_subscribed,
                tones_delivered: media.tones_delivered,
            }),
            outputs: parts.outputs.iter().map(Output2::write).collect(),
            remembered: parts.remembered.iter().map(Operation::write).collect(),
        }
    }
}

impl Phase {
    fn write(phase: &PhaseParts) -> Self {
        match phase {
            PhaseParts::Prompt { index } => Self::Prompt { index: *index },
            PhaseParts::Beep => Self::Beep,
            PhaseParts::Recording {
                initial_silence,
                max_duration,
                max_silence,
                store_failed,
            } => Self::Recording {
                initial_silence_ms: initial_silence.map(Instant::as_millis),
                max_duration_ms: max_duration.as_millis(),
                max_silence_ms: max_silence.map(Instant::as_millis),
                store_failed: *store_failed,
            },
            PhaseParts::Storing {
                reason,
                recorded_ms,
            } => Self::Storing {
                reason: EndReason::write(*reason),
                recorded_ms: *recorded_ms,
            },
            PhaseParts::Collecting { digits, deadline } => Self::Collecting {
                digits: digits.iter().copied().map(Tone).collect(),
                deadline_ms: deadline.as_millis(),
            },
        }
    }
}

impl Operation {
    fn write(op: &model::Operation) -> Self {
        Self {
            id: op.id,
            kind: match op.kind {
                OperationKind::PlayPrompt => Kind::PlayPrompt,
                OperationKind::Record => Kind::Record,
                OperationKind::SubscribeToTone => Kind::SubscribeToTone,
                OperationKind::CancelMediaProcessing => Kind::CancelMediaProcessing,
                OperationKind::CollectDigits => Kind::CollectDigits,
            },
            api: match op.api {
                ApiVersion::V1 => Api::V1,
                ApiVersion::Beta => Api::Beta,
            },
            client_context: op.client_context.as_deref().map(str::to_owned),
            status: match op.status {
                OperationStatus::NotStarted => Status::NotStarted,
                OperationStatus::Running => Status::Running,
                OperationStatus::Completed => Status::Completed,
                OperationStatus::Failed => Status::Failed,
            },
            end: op.end.map(EndReason::write),
            recording: op.recording.as_ref().map(|r| Recording {
                location: r.location.to_string(),
                access_token: r.access_token.to_string(),
            }),
            etag: op.etag,
        }
    }
}

impl EndReason {
    fn write(reason: model::EndReason) -> Self {
        use model::EndReason as R;
        match reason {
            R::Completed => Self::Completed,
            R::StopToneDetected(tone) => Self::StopToneDetected { tone: Tone(tone) },
            R::MaxRecordDuration => Self::MaxRecordDuration,
            R::InitialSilenceTimeout => Self::InitialSilenceTimeout,
            R::MaxSilenceTimeout => Self::MaxSilenceTimeout,
            R::CancelledWhileRunning => Self::CancelledWhileRunning,
            R::CancelledWhileQueued => Self::CancelledWhileQueued,
            R::DisplacedByBargeIn => Self::DisplacedByBargeIn,
            R::CallTerminated => Self::CallTerminated,
            R::PromptFailed(failure) => Self::PromptFailed {
                failure: match failure {
                    PromptFailure::Download => Failure::Download,
                    PromptFailure::Format => Failure::Format,
                },
            },
            R::BeepFailed => Self::BeepFailed,
            R::MediaReceiveTimeout => Self::MediaReceiveTimeout,
            R::RecordingStoreFailed => Self::RecordingStoreFailed,
            R::DigitsCollected(end) => Self::DigitsCollected {
                end: DigitsEnd2::write(end),
            },
            R::TooFewDigits(end) => Self::TooFewDigits {
                end: DigitsEnd2::write(end),
            },
        }
    }
}

impl DigitsEnd2 {
    fn write(end: DigitsEnd) -> Self {
        match end {
            DigitsEnd::MaxDigits => Self::MaxDigits,
            DigitsEnd::Terminator(tone) => Self::Terminator { tone: Tone(tone) },
            DigitsEnd::InterDigitTimeout => Self::InterDigitTimeout,
            DigitsEnd::FirstDigitTimeout => Self::FirstDigitTimeout,
        }
    }
}

fn write_tones(set: ToneSet) -> Vec<Tone> {
    set.iter().map(Tone).collect()
}

impl Prompt {
    fn write(prompt: &MediaPrompt) -> Self {
        Self {
            uri: prompt.uri.to_string(),
            resource_id: prompt.resource_id.as_deref().map(str::to_owned),
        }
    }

    fn read(self) -> MediaPrompt {
        MediaPrompt {
            uri: Arc::from(self.uri),
            resource_id: self.resource_id.map(Arc::from),
        }
    }
}

impl Request {
    fn write(request: &MediaRequest) -> Self {
        match request {
            MediaRequest::PlayPrompt(play) => Self::PlayPrompt {
                prompts: play.prompts.iter().map(Prompt::write).collect(),
                loop_forever: play.loop_forever,
            },
            MediaRequest::Record(record) => Self::Record {
                prompt: record.prompt.as_ref().map(Prompt::write),
                barge_in_allowed: record.barge_in_allowed,
                initial_silence_timeout_secs: record.initial_silence_timeout_secs,
                max_silence_timeout_secs: record.max_silence_timeout_secs,
                max_record_duration_secs: record.max_record_duration_secs,
                play_beep: record.play_beep,
                stop_tones: write_tones(record.stop_tones),
            },
            MediaRequest::CollectDigits(collect) => Self::CollectDigits {
                prompts: collect.prompts.iter().map(Prompt::write).collect(),
                min_digits: collect.min_digits,
                max_digits: collect.max_digits,
                terminators: write_tones(collect.terminators),
                first_digit_timeout_ms: collect.first_digit_timeout_ms,
                inter_digit_timeout_ms: collect.inter_digit_timeout_ms,
                barge_in: collect.barge_in,
            },
        }
    }
}

impl Ended {
    fn write(e: &OperationEnded) -> Self {
        Self {
            operation: Operation::write(&e.operation),
            request: Request::write(&e.request),
            ended_by: e.ended_by,
            partial_recording: e.partial_recording.map(|p| Partial {
                recorded_ms: p.recorded_ms,
                kept: p.kept,
            }),
            digits: e.digits.0.iter().copied().map(Tone).collect(),
        }
    }

    fn read(self) -> OperationEnded {
        OperationEnded {
            operation: self.operation.read(),
            request: self.request.read(),
            ended_by: self.ended_by,
            partial_recording: self.partial_recording.map(|p| PartialRecording {
                recorded_ms: p.recorded_ms,
                kept: p.kept,
            }),
            digits: Digits(self.digits.into_iter().map(|t: Tone| t.0).collect()),
        }
    }
}

impl Output2 {
    fn write(output: &Output) -> Self {
        match output {
            Output::Notification(Notification::OperationEnded(e)) => {
                Self::OperationEnded(Ended::write(e))
            }
            Output::Abandoned(e) => Self::Abandoned(Ended::write(e)),
            Output::Notification(Notification::Tone { sequence_id, tone }) => Self::Tone {
                sequence_id: *sequence_id,
                tone: Tone(*tone),
            },
            Output::Notification(Notification::CallEstablished) => Self::CallEstablished,
            Output::Notification(Notification::CallTerminating) => Self::CallTerminating,
            Output::Notification(Notification::CallTerminated { result }) => Self::CallTerminated {
                code: result.code,
                subcode: result.subcode,
                message: result.message.to_string(),
            },
            Output::Media(MediaCommand::Play {
                operation,
                index,
                prompt,
            }) => Self::Play {
                operation: *operation,
                index: *index,
                prompt: Prompt::write(prompt),
            },
            Output::Media(MediaCommand::StopPlayback { operation }) => Self::StopPlayback {
                operation: *operation,
            },
            Output::Media(MediaCommand::PlayBeep { operation }) => Self::PlayBeep {
                operation: *operation,
            },
            Output::Media(MediaCommand::StartRecording { operation }) => Self::StartRecording {
                operation: *operation,
            },
            Output::Media(MediaCommand::StopRecording { operation, store }) => {
                Self::StopRecording {
                    operation: *operation,
                    store: *store,
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Format -> state (types only; what the values mean is checked at restore).

impl Call {
    pub(super) fn read(self) -> CallParts {
        let media = match self.media {
            None => None,
            Some(media) => Some(MediaParts {
                active: match media.active {
                    None => None,
                    Some(active) => Some(ActiveParts {
                        queued: QueuedParts {
                            operation: active.operation.read(),
                            request: active.request.read(),
                        },
                        phase: active.phase.read(),
                        since: Instant::from_millis(active.since_ms),
                    }),
                },
                queued: media
                    .queued
                    .into_iter()
                    .map(|queued| QueuedParts {
                        operation: queued.operation.read(),
                        request: queued.request.read(),
                    })
                    .collect(),
                tones_subscribed: media.tones_subscribed,
                tones_delivered: media.tones_delivered,
            }),
        };
        CallParts {
            id: CallId::new(&self.call_id),
            ids: match self.ids {
                Ids::Random => IdSource::Random,
                Ids::Seeded { state } => IdSource::Seeded { state },
            },
            clock: Instant::from_millis(self.clock_ms),
            etag: self.etag,
            polled: self.polled,
            outputs: self.outputs.into_iter().map(Output2::read).collect(),
            remembered: self.remembered.into_iter().map(Operation::read).collect(),
            media,
        }
    }
}

impl Phase {
    fn read(self) -> PhaseParts {
        match self {
            Self::Prompt { index } => PhaseParts::Prompt { index },
            Self::Beep => PhaseParts::Beep,
            Self::Recording {
                initial_silence_ms,
                max_duration_ms,
                max_silence_ms,
                store_failed,
            } => PhaseParts::Recording {
                initial_silence: initial_silence_ms.map(Instant::from_millis),
                max_duration: Instant::from_millis(max_duration_ms),
                max_silence: max_silence_ms.map(Instant::from_millis),
                store_failed,
            },
            Self::Storing {
                reason,
                recorded_ms,
            } => PhaseParts::Storing {
                reason: reason.read(),
                recorded_ms,
            },
            Self::Collecting {
                digits,
                deadline_ms,
            } => PhaseParts::Collecting {
                digits: digits.into_iter().map(|t: Tone| t.0).collect(),
                deadline: Instant::from_millis(deadline_ms),
            },
        }
    }
}

impl Operation {
    fn read(self) -> model::Operation {
        model::Operation {
            id: self.id,
            kind: match self.kind {
                Kind::PlayPrompt => OperationKind::PlayPrompt,
                Kind::Record => OperationKind::Record,
                Kind::SubscribeToTone => OperationKind::SubscribeToTone,
                Kind::CancelMediaProcessing => OperationKind::CancelMediaProcessing,
                Kind::CollectDigits => OperationKind::CollectDigits,
            },
            api: match self.api {
                Api::V1 => ApiVersion::V1,
                Api::Beta => ApiVersion::Beta,
            },
            client_context: self.client_context.map(Arc::from),
            status: match self.status {
                Status::NotStarted => OperationStatus::NotStarted,
                Status::Running => OperationStatus::Running,
                Status::Completed => OperationStatus::Completed,
                Status::Failed => OperationStatus::Failed,
            },
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
            Self::StopToneDetected { tone } => R::StopToneDetected(tone.0),
            Self::MaxRecordDuration => R::MaxRecordDuration,
            Self::InitialSilenceTimeout => R::InitialSilenceTimeout,
            Self::MaxSilenceTimeout => R::MaxSilenceTimeout,
            Self::CancelledWhileRunning => R::CancelledWhileRunning,
            Self::CancelledWhileQueued => R::CancelledWhileQueued,
            Self::DisplacedByBargeIn => R::DisplacedByBargeIn,
            Self::CallTerminated => R::CallTerminated,
            Self::PromptFailed { failure } => R::PromptFailed(match failure {
                Failure::Download => PromptFailure::Download,
                Failure::Format => PromptFailure::Format,
            }),
            Self::BeepFailed => R::BeepFailed,
            Self::MediaReceiveTimeout => R::MediaReceiveTimeout,
            Self::RecordingStoreFailed => R::RecordingStoreFailed,
            Self::DigitsCollected { end } => R::DigitsCollected(end.read()),
            Self::TooFewDigits { end } => R::TooFewDigits(end.read()),
        }
    }
}

impl DigitsEnd2 {
    fn read(self) -> DigitsEnd {
        match self {
            Self::MaxDigits => DigitsEnd::MaxDigits,
            Self::Terminator { tone } => DigitsEnd::Terminator(tone.0),
            Self::InterDigitTimeout => DigitsEnd::InterDigitTimeout,
            Self::FirstDigitTimeout => DigitsEnd::FirstDigitTimeout,
        }
    }
}

fn read_tones(tones: Vec<Tone>) -> ToneSet {
    tones.into_iter().map(|t: Tone| t.0).collect()
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
                stop_tones: read_tones(stop_tones),
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
                terminators: read_tones(terminators),
                first_digit_timeout_ms,
                inter_digit_timeout_ms,
                barge_in,
            }),
        }
    }
}

impl Output2 {
    fn read(self) -> Output {
        match self {
            Self::OperationEnded(ended) => {
                Output::Notification(Notification::OperationEnded(ended.read()))
            }
            Self::Abandoned(ended) => Output::Abandoned(ended.read()),
            Self::Tone { sequence_id, tone } => Output::Notification(Notification::Tone {
                sequence_id,
                tone: tone.0,
            }),
            Self::CallEstablished => Output::Notification(Notification::CallEstablished),
            Self::CallTerminating => Output::Notification(Notification::CallTerminating),
            Self::CallTerminated {
                code,
                subcode,
                message,
            } => Output::Notification(Notification::CallTerminated {
                result: ResultInfo {
                    code,
                    subcode,
                    message: Cow::Owned(message),
                },
            }),
            Self::Play {
                operation,
                index: i,
                prompt,
            } => Output::Media(MediaCommand::Play {
                operation,
                index: i,
                prompt: prompt.read(),
            }),
            Self::StopPlayback { operation } => {
                Output::Media(MediaCommand::StopPlayback { operation })
            }
            Self::PlayBeep { operation } => Output::Media(MediaCommand::PlayBeep { operation }),
            Self::StartRecording { operation } => {
                Output::Media(MediaCommand::StartRecording { operation })
            }
            Self::StopRecording { operation, store } => {
                Output::Media(MediaCommand::StopRecording { operation, store })
            }
        }
    }
}
