//! Format 2, written: the plain state into the format's types.

use std::borrow::Cow;

use crate::id::IdSource;
use crate::io::{MediaCommand, Notification, OperationEnded, Output};
use crate::model::{
    self, ApiVersion, DigitsEnd, MediaPrompt, MediaRequest, OperationKind, OperationStatus,
    PromptFailure, ToneSet,
};
use crate::snapshot::parts::{CallParts, PhaseParts};
use crate::time::Instant;

use super::*;

impl Call {
    pub(in crate::snapshot) fn write(parts: &CallParts) -> Self {
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
    pub(in crate::snapshot) fn write(phase: &PhaseParts) -> Self {
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
    pub(in crate::snapshot) fn write(op: &model::Operation) -> Self {
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
    pub(in crate::snapshot) fn write(reason: model::EndReason) -> Self {
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
    pub(in crate::snapshot) fn write(end: DigitsEnd) -> Self {
        match end {
            DigitsEnd::MaxDigits => Self::MaxDigits,
            DigitsEnd::Terminator(tone) => Self::Terminator { tone: Tone(tone) },
            DigitsEnd::InterDigitTimeout => Self::InterDigitTimeout,
            DigitsEnd::FirstDigitTimeout => Self::FirstDigitTimeout,
        }
    }
}

pub(super) fn write_tones(set: ToneSet) -> Vec<Tone> {
    set.iter().map(Tone).collect()
}

impl Prompt {
    pub(in crate::snapshot) fn write(prompt: &MediaPrompt) -> Self {
        Self {
            uri: prompt.uri.to_string(),
            resource_id: prompt.resource_id.as_deref().map(str::to_owned),
        }
    }
}

impl Request {
    pub(in crate::snapshot) fn write(request: &MediaRequest) -> Self {
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
    pub(in crate::snapshot) fn write(e: &OperationEnded) -> Self {
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
}

impl Output2 {
    pub(in crate::snapshot) fn write(output: &Output) -> Self {
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
