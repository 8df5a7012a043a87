//! Where ended operations and outputs go: the one path every transition
//! ends an operation by, so that each ends exactly once.

use std::sync::Arc;

use crate::id::IdSource;
use crate::id::OperationId;
use crate::io::{Notification, OperationEnded, Output, PartialRecording};
use crate::model::{ApiVersion, Digits, EndReason, Operation, OperationKind, OperationStatus};

use super::media::{QueueEnd, Queued, Waiting};
use crate::thin_deque::ThinDeque;

/// What the active operation got before it ended (extensions).
#[derive(Debug, Default)]
pub(super) struct MediaResults {
    pub(super) partial_recording: Option<PartialRecording>,
    pub(super) digits: Digits,
}

/// How an operation ends (a queue's operations end by [`QueueEnd`]).
#[derive(Clone, Copy)]
struct End {
    reason: EndReason,
    /// `reason.status()`.
    status: OperationStatus,
    by: Option<OperationId>,
    notice: Notice,
}

/// Where ended operations and outputs go: shared by every transition.
#[derive(Clone, Debug)]
pub(super) struct Ledger {
    pub(super) etag: u64,
    pub(super) outputs: ThinDeque<Output>,
    /// Outputs polled so far: the next one's sequence number is this + 1.
    pub(super) polled: u64,
    /// Ended operations `GET` still shows, oldest first.
    pub(super) finished: ThinDeque<Operation>,
}

/// A new operation, `completed` until a media one is queued.
/// How an ended operation reaches the bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Notice {
    /// An `OperationEnded` notification, on the wire.
    Notify,
    /// [`Output::Abandoned`], for the embedder only: an operation the
    /// call's end took with it, which Graph does not report (unless
    /// `notifyOnTermination`).
    Abandon,
}

/// The API version and clientContext an operation was asked for with.
#[derive(Clone, Debug)]
pub(super) struct Origin {
    pub(super) api: ApiVersion,
    pub(super) client_context: Option<Arc<str>>,
}

pub(super) fn new_operation(
    ids: &mut IdSource,
    ledger: &mut Ledger,
    kind: OperationKind,
    Origin {
        api,
        client_context,
    }: Origin,
) -> Operation {
    Operation {
        id: ids.next_id(),
        kind,
        api,
        client_context,
        status: OperationStatus::Completed,
        end: None,
        recording: None,
        etag: ledger.next_etag(),
    }
}

impl Ledger {
    #[inline]
    pub(super) fn next_etag(&mut self) -> u64 {
        // Wrapping: a restored snapshot may hold any count.
        self.etag = self.etag.wrapping_add(1);
        self.etag
    }

    #[inline]
    pub(super) fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    /// Ends a media operation (on account of operation `by`, if one): one
    /// notification, or for a silent call end one abandoned report. It
    /// enters the `GET` memory when polled. Inlined into the ends of the
    /// active operation: out of line, each output was copied twice more
    /// (callgrind, `benches/cancel.rs`).
    #[inline]
    pub(super) fn finish(
        &mut self,
        queued: Queued,
        reason: EndReason,
        by: Option<OperationId>,
        results: MediaResults,
        notice: Notice,
    ) {
        self.finish_shown(queued, reason, by, results, notice, |_| {});
    }

    /// [`Ledger::finish`], showing `shown` the operation in its final state
    /// (for a cancel's receipt).
    pub(super) fn finish_shown(
        &mut self,
        queued: Queued,
        reason: EndReason,
        by: Option<OperationId>,
        results: MediaResults,
        notice: Notice,
        shown: impl FnOnce(&Operation),
    ) {
        let end = End {
            reason,
            status: reason.status(),
            by,
            notice,
        };
        self.end_one(queued, end, results, shown);
    }

    /// Ends every operation waiting in `queue` (nothing recorded or
    /// collected), in queue order, and leaves the queue empty. Notified
    /// ends are the cancel hot path (`benches/cancel.rs`): the queue keeps
    /// its operations in the shape of their notifications, so they move
    /// into the outputs at once and are marked ended there (see
    /// [`Waiting`]). Abandoned ones (a call's silent end) go one by one.
    pub(super) fn finish_queue(
        &mut self,
        queue: &mut Waiting,
        reason: EndReason,
        by: Option<OperationId>,
        notice: Notice,
    ) {
        match notice {
            Notice::Notify => {
                let end = QueueEnd {
                    reason,
                    status: reason.status(),
                    by,
                };
                queue.end_all_into(&mut self.outputs, &mut self.etag, end);
            }
            Notice::Abandon => {
                // One reservation for the whole queue, not a growth step
                // every few operations.
                self.outputs.reserve(queue.len());
                for queued in queue.drain() {
                    self.finish(queued, reason, by, MediaResults::default(), notice);
                }
            }
        }
    }

    /// One operation's end, with what it recorded or collected: its output,
    /// and `shown` sees its final state. `Waiting::end_all_into` marks a
    /// queue's operations ended the same way, in place; a change here goes
    /// there too.
    #[inline(always)]
    fn end_one(
        &mut self,
        Queued { op, request }: Queued,
        end: End,
        results: MediaResults,
        shown: impl FnOnce(&Operation),
    ) {
        self.etag = self.etag.wrapping_add(1);
        let ended = OperationEnded {
            operation: Operation {
                status: end.status,
                end: Some(end.reason),
                etag: self.etag,
                ..op
            },
            reason: end.reason,
            request,
            ended_by: end.by,
            partial_recording: results.partial_recording,
            digits: results.digits,
        };
        shown(&ended.operation);
        self.outputs.push_back(match end.notice {
            Notice::Notify => Output::Notification(Notification::OperationEnded(ended)),
            Notice::Abandon => Output::Abandoned(ended),
        });
    }

    /// Adds an ended operation to the `GET` memory, forgetting the oldest
    /// when full. The memory grows with what it holds, one slot at a time
    /// for the first few (most calls end a handful of operations), then by
    /// doubling, never past `retained`; once there it never reallocates.
    pub(super) fn remember(&mut self, op: Operation, retained: usize) {
        if retained == 0 {
            return;
        }
        let finished = self.finished.deque();
        // Never more than `retained` (a restore refuses more), so one out
        // makes room.
        if finished.len() >= retained {
            finished.pop_front();
        }
        let len = finished.len();
        if len == finished.capacity() {
            let grow = if len < 4 { 1 } else { len };
            finished.reserve_exact(grow.min(retained - len));
        }
        finished.push_back(op);
    }
}
