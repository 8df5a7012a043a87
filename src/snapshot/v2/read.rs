//! Format 2, read: the format's types into the plain state (types only;
//! what the values mean is checked at restore).

use std::borrow::Cow;
use std::sync::Arc;

use crate::id::{CallId, IdSource};
use crate::io::{MediaCommand, Notification, OperationEnded, Output, PartialRecording};
use crate::model::{
    self, ApiVersion, CollectDigits, Digits, DigitsEnd, MediaPrompt, MediaRequest, OperationKind,
    OperationStatus, PlayPrompt, PromptFailure, Record, ResultInfo, ToneSet,
};
use crate::snapshot::parts::{ActiveParts, CallParts, MediaParts, PhaseParts, QueuedParts};
use crate::time::Instant;

use super::*;

impl Call {
    pub(in crate::snapshot) fn read(self) -> CallParts {
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
    pub(in crate::snapshot) fn read(self) -> PhaseParts {
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
    pub(in crate::snapshot) fn read(self) -> model::Operation {
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
    pub(in crate::snapshot) fn read(self) -> model::EndReason {
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
    pub(in crate::snapshot) fn read(self) -> DigitsEnd {
        match self {
            Self::MaxDigits => DigitsEnd::MaxDigits,
            Self::Terminator { tone } => DigitsEnd::Terminator(tone.0),
            Self::InterDigitTimeout => DigitsEnd::InterDigitTimeout,
            Self::FirstDigitTimeout => DigitsEnd::FirstDigitTimeout,
        }
    }
}

pub(super) fn read_tones(tones: Vec<Tone>) -> ToneSet {
    tones.into_iter().map(|t: Tone| t.0).collect()
}

impl Request {
    pub(in crate::snapshot) fn read(self) -> MediaRequest {
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
    pub(in crate::snapshot) fn read(self) -> Output {
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

impl Prompt {
    pub(in crate::snapshot) fn read(self) -> MediaPrompt {
        MediaPrompt {
            uri: Arc::from(self.uri),
            resource_id: self.resource_id.map(Arc::from),
        }
    }
}

impl Ended {
    pub(in crate::snapshot) fn read(self) -> OperationEnded {
        let operation = self.operation.read();
        OperationEnded {
            // A stand-in only: restoring refuses an ended operation without
            // its `end` (`OperationFault::EndPresence`) before anything
            // reads this.
            reason: operation.end.unwrap_or(model::EndReason::CallTerminated),
            operation,
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
