//! What restoring checks: that a snapshot's state is one a live call could
//! be in, under the restoring side's config (see the module docs of
//! [`crate::snapshot`] for the list). Every number from a snapshot is used
//! with checked or saturating arithmetic, and nothing is allocated for a
//! size the snapshot claims: the checks walk what was read.
//!
//! Just over 500 lines on purpose: the rules of a restore read as one list,
//! in the order the module docs give them; split, a reader would hunt for
//! which file holds the rule a refusal names.

use std::collections::HashMap;
use std::time::Duration;

use super::parts::{ActiveParts, CallParts, MediaParts, PhaseParts, QueuedParts};
use super::{Counter, OperationFault, OutputFault, Place, SnapshotError, Timer};
use crate::config::CallConfig;
use crate::id::OperationId;
use crate::io::{Notification, OperationEnded, Output};
use crate::model::{DigitsEnd, EndReason, MediaRequest, Operation, OperationKind, OperationStatus};
use crate::time::Instant;

/// The most a counter of a call can be: 2^53 - 1, the largest integer every
/// JSON reader keeps exact (and a call giving a million outputs a second
/// would need 285 years to reach it).
const MAX_COUNTER: u64 = (1 << 53) - 1;

/// The most undrained outputs a call is restored with under `config`.
///
/// A lone [`crate::Call`] takes inputs until it holds
/// [`CallConfig::max_pending_outputs`]; the last input it took may add up
/// to about `queue_capacity + 3` (a cancel, a barge-in or a hang-up ends
/// every operation, stops the media and starts or reports what follows),
/// and timers a few per operation after that. So this allows the limit,
/// four outputs per queue slot and a fixed 8 more. An [`crate::Engine`]
/// drains every call after each input, so its snapshots hold none.
pub fn pending_output_limit(config: &CallConfig) -> usize {
    config
        .queue_capacity
        .max(1)
        .saturating_mul(4)
        .saturating_add(8)
        .saturating_add(config.max_pending_outputs)
}

/// Checks a call's state against `config`: `Ok` only for a state a live
/// call under `config` could be in.
pub(crate) fn check(parts: &CallParts, config: &CallConfig) -> Result<(), SnapshotError> {
    parts
        .id
        .check()
        .map_err(|reason| SnapshotError::InvalidCallId {
            id: parts.id.clone(),
            reason,
        })?;
    let Some(media) = &parts.media else {
        return Err(SnapshotError::CallTerminated(parts.id.clone()));
    };
    check_sizes(parts, media, config)?;
    check_unique(parts, media)?;
    check_counters(parts, media)?;
    if let Some(active) = &media.active {
        check_pending(&active.queued, Place::Active, config)?;
        check_phase(active, parts.clock)?;
    }
    for queued in &media.queued {
        check_pending(queued, Place::Queued, config)?;
    }
    for op in &parts.remembered {
        check_ended(op, Place::Remembered)?;
    }
    check_outputs(parts, media)
}

/// Sizes first: everything after walks bounded lists.
fn check_sizes(
    parts: &CallParts,
    media: &MediaParts,
    config: &CallConfig,
) -> Result<(), SnapshotError> {
    let limit = pending_output_limit(config);
    if parts.outputs.len() > limit {
        return Err(SnapshotError::TooManyOutputs {
            held: parts.outputs.len(),
            limit,
        });
    }
    if parts.remembered.len() > config.retained_operations {
        return Err(SnapshotError::MemoryOverLimit {
            held: parts.remembered.len(),
            limit: config.retained_operations,
        });
    }
    if media.active.is_none() && !media.queued.is_empty() {
        return Err(SnapshotError::QueueWithoutActive {
            queued: media.queued.len(),
        });
    }
    let held = media
        .queued
        .len()
        .saturating_add(usize::from(media.active.is_some()));
    if held > config.queue_capacity {
        return Err(SnapshotError::QueueOverCapacity {
            held,
            capacity: config.queue_capacity,
        });
    }
    Ok(())
}

/// No operation id twice among active, queued, ended outputs and memory,
/// nor one the id source gives later: so an operation ends at most once,
/// never while it is still held, and no later one shares its id.
fn check_unique(parts: &CallParts, media: &MediaParts) -> Result<(), SnapshotError> {
    let active = media
        .active
        .iter()
        .map(|a| (a.queued.operation.id, Place::Active));
    let queued = media.queued.iter().map(|q| (q.operation.id, Place::Queued));
    let ended = parts
        .outputs
        .iter()
        .filter_map(ended_operation)
        .map(|e| (e.operation.id, Place::EndedInOutput));
    let remembered = parts.remembered.iter().map(|op| (op.id, Place::Remembered));
    let mut seen: HashMap<OperationId, Place> = HashMap::new();
    for (id, place) in active.chain(queued).chain(ended).chain(remembered) {
        if let Some(first) = seen.insert(id, place) {
            return Err(SnapshotError::DuplicateOperation {
                operation: id,
                first,
                again: place,
            });
        }
        // Nor may a later operation get it.
        if parts.ids.gives_later(id) {
            return Err(SnapshotError::IdGivenAgain(id));
        }
    }
    Ok(())
}

fn check_counters(parts: &CallParts, media: &MediaParts) -> Result<(), SnapshotError> {
    // No input moves a clock past the latest instant, and a timer set there
    // would saturate onto its own start.
    if parts.clock > Instant::LATEST {
        return Err(SnapshotError::CounterOutOfRange {
            counter: Counter::Clock,
            value: parts.clock.as_millis(),
            limit: Instant::LATEST.as_millis(),
        });
    }
    let pending = u64::try_from(parts.outputs.len()).unwrap_or(u64::MAX);
    let given = parts.polled.saturating_add(pending);
    if given > MAX_COUNTER {
        return Err(SnapshotError::CounterOutOfRange {
            counter: Counter::OutputsGiven,
            value: given,
            limit: MAX_COUNTER,
        });
    }
    // Each delivered tone was an output.
    if media.tones_delivered > given {
        return Err(SnapshotError::CounterOutOfRange {
            counter: Counter::TonesDelivered,
            value: media.tones_delivered,
            limit: given,
        });
    }
    if media.tones_delivered > 0 && !media.tones_subscribed {
        return Err(SnapshotError::TonesWithoutSubscription {
            delivered: media.tones_delivered,
        });
    }
    Ok(())
}

fn invalid(op: &Operation, fault: OperationFault) -> SnapshotError {
    SnapshotError::InvalidOperation {
        operation: op.id,
        fault,
    }
}

/// A media operation of its request's kind.
fn check_kind(op: &Operation, request: &MediaRequest) -> Result<(), SnapshotError> {
    if !op.kind.is_media() {
        return Err(invalid(op, OperationFault::NotMedia(op.kind)));
    }
    let kind = request.kind();
    if op.kind != kind {
        return Err(invalid(
            op,
            OperationFault::KindMismatch {
                kind: op.kind,
                request: kind,
            },
        ));
    }
    Ok(())
}

/// An active or queued operation: pending, and its request valid here.
fn check_pending(
    queued: &QueuedParts,
    place: Place,
    config: &CallConfig,
) -> Result<(), SnapshotError> {
    let op = &queued.operation;
    check_kind(op, &queued.request)?;
    let pending = match op.status {
        OperationStatus::Running => true,
        OperationStatus::NotStarted => place == Place::Queued,
        OperationStatus::Completed | OperationStatus::Failed => false,
    };
    if !pending {
        return Err(invalid(
            op,
            OperationFault::NotPending {
                status: op.status,
                place,
            },
        ));
    }
    if op.end.is_some() || op.recording.is_some() {
        return Err(invalid(op, OperationFault::ResultWhilePending(place)));
    }
    config
        .validate_media(op.client_context.as_deref(), &queued.request)
        .map_err(|error| SnapshotError::InvalidRequest {
            operation: op.id,
            error,
        })
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

/// The active operation's phase: one its request has, begun by the clock,
/// with the timers it sets, none already due.
// One arm per phase, each the checks of its own timers (114 lines): split,
// the rules of a phase would no longer read together.
fn check_phase(active: &ActiveParts, clock: Instant) -> Result<(), SnapshotError> {
    let op = &active.queued.operation;
    let since = active.since;
    if since > clock {
        return Err(invalid(op, OperationFault::PhaseInFuture { since, clock }));
    }
    let timer = |timer: Timer, at: Instant, ok: bool| {
        // Every timer due by the clock fired before the snapshot.
        if ok && at > clock {
            Ok(())
        } else {
            Err(invalid(op, OperationFault::ImpossibleTimer { timer, at }))
        }
    };
    match (&active.phase, &active.queued.request) {
        (PhaseParts::Prompt { index }, request) => {
            let count = match request {
                MediaRequest::PlayPrompt(play) => play.prompts.len(),
                MediaRequest::Record(record) => usize::from(record.prompt.is_some()),
                MediaRequest::CollectDigits(collect) => collect.prompts.len(),
            };
            if *index >= count {
                return Err(invalid(
                    op,
                    OperationFault::PromptOutOfRange {
                        index: *index,
                        count,
                    },
                ));
            }
        }
        (PhaseParts::Beep, MediaRequest::Record(record)) if record.play_beep => {}
        (PhaseParts::Beep, _) => return Err(invalid(op, OperationFault::BeepWithoutBeep)),
        (
            PhaseParts::Recording {
                initial_silence,
                max_duration,
                max_silence,
                store_failed: _,
            },
            MediaRequest::Record(record),
        ) => {
            // Both start with the recording (at `since`); speech ends the
            // first; silence after speech sets the last, by the clock.
            let duration = since.saturating_add(secs(record.max_record_duration_secs));
            timer(Timer::MaxDuration, *max_duration, *max_duration == duration)?;
            if let Some(at) = initial_silence {
                let expected = since.saturating_add(secs(record.initial_silence_timeout_secs));
                timer(Timer::InitialSilence, *at, *at == expected)?;
            }
            if let Some(at) = max_silence {
                let window = u64::from(record.max_silence_timeout_secs).saturating_mul(1000);
                let set_at = at.as_millis().checked_sub(window);
                let ok = initial_silence.is_none()
                    && set_at.is_some_and(|t| since.as_millis() <= t && t <= clock.as_millis());
                timer(Timer::MaxSilence, *at, ok)?;
            }
        }
        (
            PhaseParts::Storing {
                reason,
                recorded_ms,
            },
            MediaRequest::Record(record),
        ) => {
            if !stores_recording(*reason) {
                return Err(invalid(op, OperationFault::StoringReason(*reason)));
            }
            let max_ms = u64::from(record.max_record_duration_secs).saturating_mul(1000);
            if *recorded_ms > max_ms {
                return Err(invalid(
                    op,
                    OperationFault::RecordedTooLong {
                        recorded_ms: *recorded_ms,
                        max_ms,
                    },
                ));
            }
        }
        (PhaseParts::Recording { .. } | PhaseParts::Storing { .. }, _) => {
            return Err(invalid(op, OperationFault::NotARecord));
        }
        (PhaseParts::Collecting { digits, deadline }, MediaRequest::CollectDigits(collect)) => {
            if digits.len() >= usize::from(collect.max_digits) {
                return Err(invalid(
                    op,
                    OperationFault::TooManyDigits {
                        digits: digits.len(),
                        max: collect.max_digits,
                    },
                ));
            }
            if let Some(tone) = digits.iter().find(|t| collect.terminators.contains(**t)) {
                return Err(invalid(op, OperationFault::TerminatorCollected(*tone)));
            }
            // No key yet: the first-digit timeout from the start; else the
            // inter-digit timeout from the last key, which came by the clock.
            let ok = if digits.is_empty() {
                *deadline == since.saturating_add(millis(collect.first_digit_timeout_ms))
            } else {
                let window = u64::from(collect.inter_digit_timeout_ms);
                deadline
                    .as_millis()
                    .checked_sub(window)
                    .is_some_and(|t| since.as_millis() <= t && t <= clock.as_millis())
            };
            timer(Timer::Digits, *deadline, ok)?;
        }
        (PhaseParts::Collecting { .. }, _) => {
            return Err(invalid(op, OperationFault::NotACollection));
        }
    }
    Ok(())
}

/// Whether an operation of `kind` can end for `reason` on a live call.
fn can_end(kind: OperationKind, reason: EndReason) -> bool {
    use EndReason as R;
    let any_media = reason.is_cancellation() || matches!(reason, R::PromptFailed(_));
    any_media
        || match kind {
            OperationKind::PlayPrompt => reason == R::Completed,
            OperationKind::Record => matches!(
                reason,
                R::StopToneDetected(_)
                    | R::MaxRecordDuration
                    | R::InitialSilenceTimeout
                    | R::MaxSilenceTimeout
                    | R::BeepFailed
                    | R::MediaReceiveTimeout
                    | R::RecordingStoreFailed
            ),
            OperationKind::CollectDigits => matches!(
                reason,
                R::DigitsCollected(_)
                    | R::TooFewDigits(
                        DigitsEnd::Terminator(_)
                            | DigitsEnd::FirstDigitTimeout
                            | DigitsEnd::InterDigitTimeout
                    )
            ),
            OperationKind::SubscribeToTone | OperationKind::CancelMediaProcessing => false,
        }
}

/// A remembered or ended operation: ended, media ones with a reason their
/// kind can end with on a live call (never the call's end) and its status;
/// others completed with none.
fn check_ended(op: &Operation, place: Place) -> Result<(), SnapshotError> {
    if !op.is_ended() {
        return Err(invalid(
            op,
            OperationFault::NotEnded {
                status: op.status,
                place,
            },
        ));
    }
    match (op.kind.is_media(), op.end) {
        (true, Some(reason)) => {
            if !can_end(op.kind, reason) || op.status != reason.status() {
                return Err(invalid(
                    op,
                    OperationFault::ImpossibleEnd {
                        kind: op.kind,
                        status: op.status,
                        reason,
                    },
                ));
            }
        }
        (false, None) if op.status == OperationStatus::Completed => {}
        (false, None) => {
            return Err(invalid(
                op,
                OperationFault::NotCompleted {
                    kind: op.kind,
                    status: op.status,
                },
            ));
        }
        (_, end) => {
            return Err(invalid(
                op,
                OperationFault::EndPresence {
                    kind: op.kind,
                    has_end: end.is_some(),
                },
            ));
        }
    }
    // Only a record that stored its recording holds one.
    let stored = op.kind == OperationKind::Record && op.end.is_some_and(stores_recording);
    if op.recording.is_some() && !stored {
        return Err(invalid(op, OperationFault::UnexpectedRecording));
    }
    Ok(())
}

/// Whether a record that stops for `reason` keeps (stores) its recording.
const fn stores_recording(reason: EndReason) -> bool {
    matches!(
        reason,
        EndReason::StopToneDetected(_)
            | EndReason::MaxRecordDuration
            | EndReason::MaxSilenceTimeout
    )
}

fn ended_operation(output: &Output) -> Option<&OperationEnded> {
    match output {
        Output::Notification(Notification::OperationEnded(ended)) | Output::Abandoned(ended) => {
            Some(ended)
        }
        _ => None,
    }
}

/// The undrained outputs, in order: each could have come from a live call
/// in this state.
fn check_outputs(parts: &CallParts, media: &MediaParts) -> Result<(), SnapshotError> {
    let active = media.active.as_ref().map(|a| a.queued.operation.id);
    // Where each operation ends (ids are unique by now).
    let ends: HashMap<OperationId, usize> = parts
        .outputs
        .iter()
        .enumerate()
        .filter_map(|(i, output)| Some((ended_operation(output)?.operation.id, i)))
        .collect();
    let fault = |index, fault| Err(SnapshotError::InvalidOutput { index, fault });
    for (index, output) in parts.outputs.iter().enumerate() {
        match output {
            Output::Notification(Notification::OperationEnded(ended)) => {
                check_kind(&ended.operation, &ended.request)?;
                check_ended(&ended.operation, Place::EndedInOutput)?;
            }
            Output::Media(command) => {
                let op = command.operation();
                let ends_later = ends.get(&op).is_some_and(|end| *end > index);
                if active != Some(op) && !ends_later {
                    return fault(index, OutputFault::CommandWithoutOperation(op));
                }
            }
            Output::Notification(Notification::CallEstablished) => {
                if index != 0 || parts.polled != 0 {
                    return fault(index, OutputFault::EstablishedNotFirst);
                }
            }
            Output::Notification(Notification::Tone { .. }) => {}
            Output::Abandoned(_) => {
                return fault(index, OutputFault::AfterCallEnd("an abandoned operation"));
            }
            Output::Notification(Notification::CallTerminating) => {
                return fault(index, OutputFault::AfterCallEnd("terminating"));
            }
            Output::Notification(Notification::CallTerminated { .. }) => {
                return fault(index, OutputFault::AfterCallEnd("terminated"));
            }
        }
    }
    // Tones, read from the last: numbered down from the delivered count,
    // one apart, none below 1.
    let delivered = media.tones_delivered;
    let mut expected = delivered;
    for (index, output) in parts.outputs.iter().enumerate().rev() {
        let Output::Notification(Notification::Tone { sequence_id, .. }) = output else {
            continue;
        };
        if *sequence_id != expected || expected == 0 {
            return fault(
                index,
                OutputFault::ToneOutOfSequence {
                    found: *sequence_id,
                    delivered,
                },
            );
        }
        expected -= 1;
    }
    Ok(())
}
