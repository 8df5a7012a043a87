//! Format 1, read: its types into the plain state (types only; what the
//! values mean is checked at restore).

use std::sync::Arc;

use crate::io::{MediaCommand, Notification, OperationEnded, Output, PartialRecording};
use crate::model::{
    self, ApiVersion, CollectDigits, Digits, DigitsEnd, MediaPrompt, MediaRequest, PlayPrompt,
    PromptFailure, Record, ResultInfo,
};
use crate::snapshot::parts::{ActiveParts, CallParts, MediaParts, PhaseParts, QueuedParts};
use crate::time::Instant;

use super::*;

impl Call {
    pub(in crate::snapshot) fn read(self) -> CallParts {
        let media = match self.state {
            State::Terminated => None,
            State::Established(media) => Some(MediaParts {
                active: match media.active {
                    None => None,
                    Some(active) => Some(ActiveParts {
                        queued: active.queued.read(),
                        phase: active.phase.read(),
                        since: Instant::from_millis(active.since),
                    }),
                },
                queued: media.queue.into_iter().map(Queued::read).collect(),
                tones_subscribed: media.tones_subscribed,
                tones_delivered: media.delivered_tones,
            }),
        };
        CallParts {
            id: CallId::new(&self.id),
            ids: match self.ids {
                Ids::Random => IdSource::Random,
                Ids::Seeded { state } => IdSource::Seeded { state },
            },
            clock: Instant::from_millis(self.last_now),
            etag: self.ledger.etag,
            polled: self.ledger.polled,
            outputs: self.ledger.outputs.into_iter().map(Output1::read).collect(),
            remembered: self
                .ledger
                .finished
                .into_iter()
                .map(Operation::read)
                .collect(),
            media,
        }
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
    fn read(self) -> PhaseParts {
        match self {
            Self::Prompt { index } => PhaseParts::Prompt { index },
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
                digits,
                deadline: Instant::from_millis(deadline),
            },
        }
    }
}

impl Operation {
    fn read(self) -> model::Operation {
        model::Operation {
            id: self.id,
            kind: self.kind.0,
            api: match self.api {
                Api::V1 => ApiVersion::V1,
                Api::Beta => ApiVersion::Beta,
            },
            client_context: self.client_context.map(Arc::from),
            status: self.status,
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
            Self::StopToneDetected(tone) => R::StopToneDetected(tone),
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
            Self::Terminator(tone) => DigitsEnd::Terminator(tone),
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
            digits: Digits(self.digits),
        }
    }
}

impl Output1 {
    fn read(self) -> Output {
        match self {
            Self::Notification(Notification1::OperationEnded(ended)) => {
                Output::Notification(Notification::OperationEnded(ended.read()))
            }
            Self::Notification(Notification1::Tone { sequence_id, tone }) => {
                Output::Notification(Notification::Tone { sequence_id, tone })
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
                operation,
                index: i,
                prompt: prompt.read(),
            }),
            Self::Media(Command::StopPlayback { operation }) => {
                Output::Media(MediaCommand::StopPlayback { operation })
            }
            Self::Media(Command::PlayBeep { operation }) => {
                Output::Media(MediaCommand::PlayBeep { operation })
            }
            Self::Media(Command::StartRecording { operation }) => {
                Output::Media(MediaCommand::StartRecording { operation })
            }
            Self::Media(Command::StopRecording { operation, store }) => {
                Output::Media(MediaCommand::StopRecording { operation, store })
            }
        }
    }
}
