//! Graph's table of results: for each way an operation can end, the status,
//! `resultInfo` (code, subcode, message) and beta `completionReason` Graph
//! reports. It belongs to the wire: it is what the JSON says.

use crate::model::{
    DigitsEnd, EndReason, OperationKind, OperationStatus, PromptFailure, ResultInfo,
};

/// What Graph shows for an ended operation: its status, `resultInfo`, and
/// the beta `completionReason` value for its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphResult {
    /// `completed` or `failed`.
    pub status: OperationStatus,
    /// The `resultInfo`.
    pub result_info: ResultInfo,
    /// The beta `completionReason` (a `playPromptCompletionReason` or a
    /// `recordCompletionReason`, by operation type).
    pub completion_reason: &'static str,
}

impl GraphResult {
    const fn completed(
        code: i32,
        subcode: i32,
        message: &'static str,
        reason: &'static str,
    ) -> Self {
        Self {
            status: OperationStatus::Completed,
            result_info: ResultInfo::new(code, subcode, message),
            completion_reason: reason,
        }
    }

    const fn failed(code: i32, subcode: i32, message: &'static str, reason: &'static str) -> Self {
        Self {
            status: OperationStatus::Failed,
            result_info: ResultInfo::new(code, subcode, message),
            completion_reason: reason,
        }
    }
}

/// What Graph reports for an operation of `kind` that ended for `reason`:
/// its status, `resultInfo` and beta `completionReason`. The one table of
/// Graph's codes and messages; [`EndReason::status`] must agree with it
/// (a test checks every pair).
// A table (146 lines): one arm per end reason, as ENGINE.md lists them.
pub fn graph_result(reason: EndReason, kind: OperationKind) -> GraphResult {
    use GraphResult as G;
    let record = kind == OperationKind::Record;
    match reason {
        EndReason::Completed => G::completed(
            200,
            0,
            "Action completed successfully.",
            "completedSuccessfully",
        ),
        EndReason::StopToneDetected(_) => G::completed(
            200,
            8514,
            "Action completed as stop tone was detected.",
            "stopToneDetected",
        ),
        EndReason::MaxRecordDuration => G::completed(
            200,
            8515,
            "Action completed, max record duration reached.",
            "maxRecordDurationReached",
        ),
        EndReason::MaxSilenceTimeout => G::completed(
            200,
            8509,
            "Action completed, max silence timeout reached.",
            "maxSilenceTimeout",
        ),
        EndReason::InitialSilenceTimeout => G::failed(
            400,
            8510,
            "Action failed, initial silence timeout reached.",
            "initialSilenceTimeout",
        ),
        EndReason::CancelledWhileRunning
        | EndReason::CancelledWhileQueued
        | EndReason::DisplacedByBargeIn => G::failed(
            400,
            8508,
            "Action failed, the operation was cancelled.",
            if record {
                "operationCanceled"
            } else {
                "mediaOperationCanceled"
            },
        ),
        EndReason::CallTerminated => G::failed(
            400,
            8528,
            "Action failed, call terminated.",
            if record {
                "unspecifiedError"
            } else {
                "unknown"
            },
        ),
        EndReason::PromptFailed(_) if record => G::failed(
            500,
            8511,
            "Action failed, encountered failure while trying to play the prompt.",
            "playPromptFailed",
        ),
        EndReason::PromptFailed(PromptFailure::Download) => G::failed(
            400,
            8536,
            "Action failed, file could not be downloaded.",
            "unknown",
        ),
        EndReason::PromptFailed(PromptFailure::Format) => G::failed(
            400,
            8535,
            "Action failed, file format is invalid.",
            "unknown",
        ),
        EndReason::BeepFailed => G::failed(
            500,
            8512,
            "Action failed, encountered failure while trying to play the beep.",
            "playBeepFailed",
        ),
        EndReason::MediaReceiveTimeout => G::failed(
            500,
            8513,
            "Action failed, media receive timeout.",
            "mediaReceiveTimeout",
        ),
        EndReason::RecordingStoreFailed => G::failed(
            500,
            9999,
            "Unknown internal server error.",
            if record {
                "unspecifiedError"
            } else {
                "unknown"
            },
        ),
        // Extension: ACS recognize's subcodes where it has one; the
        // completion reason is the DigitsEnd name.
        EndReason::DigitsCollected(end) => match end {
            DigitsEnd::MaxDigits => G::completed(
                200,
                8531,
                "Action completed, max digits received.",
                end.name(),
            ),
            DigitsEnd::Terminator(_) => G::completed(
                200,
                8514,
                "Action completed as stop tone was detected.",
                end.name(),
            ),
            DigitsEnd::InterDigitTimeout => G::completed(
                200,
                8532,
                "Action completed, inter-digit timeout reached.",
                end.name(),
            ),
            DigitsEnd::FirstDigitTimeout => G::completed(
                200,
                8510,
                "Action completed, initial silence timeout reached.",
                end.name(),
            ),
        },
        EndReason::TooFewDigits(end) => match end {
            DigitsEnd::FirstDigitTimeout => G::failed(
                400,
                8510,
                "Action failed, initial silence timeout reached.",
                end.name(),
            ),
            DigitsEnd::InterDigitTimeout => G::failed(
                400,
                8532,
                "Action failed, inter-digit timeout reached.",
                end.name(),
            ),
            DigitsEnd::Terminator(_) | DigitsEnd::MaxDigits => G::failed(
                400,
                8534,
                "Action failed, fewer digits than required.",
                end.name(),
            ),
        },
    }
}
