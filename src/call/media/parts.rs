//! The media queue as a snapshot's plain parts, and back.
//!
//! Restoring checks the parts first (`snapshot::check`); reading them back
//! still refuses a step that the operation's kind does not have, rather
//! than trusting that check, so no snapshot can build one.

use super::active::{Active, Stage};
use super::collect::CollectStep;
use super::record::{RecordStep, Recording};
use super::{Media, Queued, Tones};
use crate::model::{MediaRequest, Operation};
use crate::snapshot::parts::{ActiveParts, MediaParts, PhaseParts, QueuedParts};
use crate::snapshot::{OperationFault, SnapshotError};

impl Media {
    /// The queue as plain values, for a snapshot.
    pub(in crate::call) fn to_parts(&self) -> MediaParts {
        MediaParts {
            active: self.active.as_deref().map(active_parts),
            queued: self.queue.iter().map(queued_parts).collect(),
            tones_subscribed: self.tones_subscribed(),
            tones_delivered: self.tones_delivered(),
        }
    }

    /// The queue a snapshot held.
    pub(in crate::call) fn from_parts(parts: MediaParts) -> Result<Self, SnapshotError> {
        let active = match parts.active {
            Some(active) => Some(Box::new(active_from_parts(active)?)),
            None => None,
        };
        let queue: Vec<Queued> = parts
            .queued
            .into_iter()
            .map(|q| Queued {
                op: q.operation,
                request: q.request,
            })
            .collect();
        Ok(Self {
            active,
            queue: queue.into(),
            tones: Tones::new(parts.tones_subscribed, parts.tones_delivered),
        })
    }
}

fn queued_parts((operation, request): (&Operation, &MediaRequest)) -> QueuedParts {
    QueuedParts {
        operation: operation.clone(),
        request: request.clone(),
    }
}

fn active_parts(active: &Active) -> ActiveParts {
    let (request, phase) = match &active.stage {
        Stage::Play { play, index } => (
            MediaRequest::PlayPrompt(play.clone()),
            PhaseParts::Prompt { index: *index },
        ),
        Stage::Record { record, step } => {
            let phase = match step {
                RecordStep::Prompt => PhaseParts::Prompt { index: 0 },
                RecordStep::Beep => PhaseParts::Beep,
                RecordStep::Recording(rec) => PhaseParts::Recording {
                    initial_silence: rec.initial_silence,
                    max_duration: rec.max_duration,
                    max_silence: rec.max_silence,
                    store_failed: rec.store_failed,
                },
                RecordStep::Storing {
                    reason,
                    recorded_ms,
                } => PhaseParts::Storing {
                    reason: *reason,
                    recorded_ms: *recorded_ms,
                },
            };
            (MediaRequest::Record(record.clone()), phase)
        }
        Stage::Collect { collect, step } => {
            let phase = match step {
                CollectStep::Prompt { index } => PhaseParts::Prompt { index: *index },
                CollectStep::Collecting { digits, deadline } => PhaseParts::Collecting {
                    digits: digits.clone(),
                    deadline: *deadline,
                },
            };
            (MediaRequest::CollectDigits(collect.clone()), phase)
        }
    };
    ActiveParts {
        queued: QueuedParts {
            operation: active.op.clone(),
            request,
        },
        phase,
        since: active.since,
    }
}

/// The active operation a snapshot held: its phase must be a step its kind
/// has.
fn active_from_parts(parts: ActiveParts) -> Result<Active, SnapshotError> {
    let ActiveParts {
        queued: QueuedParts { operation, request },
        phase,
        since,
    } = parts;
    let stage = match (request, phase) {
        (MediaRequest::PlayPrompt(play), PhaseParts::Prompt { index })
            if index < play.prompts.len() =>
        {
            Stage::Play { play, index }
        }
        (MediaRequest::Record(record), phase) => {
            let step = match phase {
                PhaseParts::Prompt { index: 0 } if record.prompt.is_some() => RecordStep::Prompt,
                PhaseParts::Beep if record.play_beep => RecordStep::Beep,
                PhaseParts::Recording {
                    initial_silence,
                    max_duration,
                    max_silence,
                    store_failed,
                } => RecordStep::Recording(Recording {
                    initial_silence,
                    max_duration,
                    max_silence,
                    store_failed,
                }),
                PhaseParts::Storing {
                    reason,
                    recorded_ms,
                } => RecordStep::Storing {
                    reason,
                    recorded_ms,
                },
                phase => {
                    let request = MediaRequest::Record(record);
                    return Err(mismatch(&operation, &request, &phase));
                }
            };
            Stage::Record { record, step }
        }
        (MediaRequest::CollectDigits(collect), PhaseParts::Prompt { index })
            if index < collect.prompts.len() =>
        {
            Stage::Collect {
                collect,
                step: CollectStep::Prompt { index },
            }
        }
        (MediaRequest::CollectDigits(collect), PhaseParts::Collecting { digits, deadline }) => {
            Stage::Collect {
                collect,
                step: CollectStep::Collecting { digits, deadline },
            }
        }
        (request, phase) => return Err(mismatch(&operation, &request, &phase)),
    };
    Ok(Active {
        op: operation,
        since,
        stage,
    })
}

/// Why `phase` is not a step of `request`'s kind (the snapshot check's
/// faults, which restoring reports first).
fn mismatch(
    operation: &crate::model::Operation,
    request: &MediaRequest,
    phase: &PhaseParts,
) -> SnapshotError {
    let fault = match phase {
        PhaseParts::Prompt { index } => OperationFault::PromptOutOfRange {
            index: *index,
            count: match request {
                MediaRequest::PlayPrompt(play) => play.prompts.len(),
                MediaRequest::Record(record) => usize::from(record.prompt.is_some()),
                MediaRequest::CollectDigits(collect) => collect.prompts.len(),
            },
        },
        PhaseParts::Beep => OperationFault::BeepWithoutBeep,
        PhaseParts::Recording { .. } | PhaseParts::Storing { .. } => OperationFault::NotARecord,
        PhaseParts::Collecting { .. } => OperationFault::NotACollection,
    };
    SnapshotError::InvalidOperation {
        operation: operation.id,
        fault,
    }
}
