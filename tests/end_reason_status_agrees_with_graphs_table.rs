//! `EndReason::status` (used on the hot path, where no table lookup is
//! wanted) says what Graph's result table in the wire says, for every way an
//! operation can end and every kind of operation.

use ivr_media_queue::wire::graph_result;
use ivr_media_queue::{DigitsEnd, EndReason, OperationKind, PromptFailure, Tone};

fn every_end_reason() -> Vec<EndReason> {
    let digit_ends = [
        DigitsEnd::MaxDigits,
        DigitsEnd::Terminator(Tone::Pound),
        DigitsEnd::InterDigitTimeout,
        DigitsEnd::FirstDigitTimeout,
    ];
    let mut reasons = vec![
        EndReason::Completed,
        EndReason::StopToneDetected(Tone::Pound),
        EndReason::MaxRecordDuration,
        EndReason::InitialSilenceTimeout,
        EndReason::MaxSilenceTimeout,
        EndReason::CancelledWhileRunning,
        EndReason::CancelledWhileQueued,
        EndReason::DisplacedByBargeIn,
        EndReason::CallTerminated,
        EndReason::PromptFailed(PromptFailure::Download),
        EndReason::PromptFailed(PromptFailure::Format),
        EndReason::BeepFailed,
        EndReason::MediaReceiveTimeout,
        EndReason::RecordingStoreFailed,
    ];
    for end in digit_ends {
        reasons.push(EndReason::DigitsCollected(end));
        reasons.push(EndReason::TooFewDigits(end));
    }
    reasons
}

#[test]
fn status_is_what_the_table_says() {
    let kinds = [
        OperationKind::PlayPrompt,
        OperationKind::Record,
        OperationKind::SubscribeToTone,
        OperationKind::CancelMediaProcessing,
        OperationKind::CollectDigits,
    ];
    for reason in every_end_reason() {
        for kind in kinds {
            assert_eq!(
                reason.status(),
                graph_result(reason, kind).status,
                "{reason:?} on {kind:?}"
            );
        }
    }
}
