//! Where ended operations and outputs go: the one path every transition
//! ends an operation by, so that each ends exactly once.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::id::IdSource;
use crate::id::OperationId;
use crate::io::{Notification, OperationEnded, Output, PartialRecording};
use crate::model::{ApiVersion, Digits, EndReason, Operation, OperationKind, OperationStatus};

use super::media::Queued;

/// What the active operation got before it ended (extensions).
#[derive(Debug, Default)]
pub(super) struct MediaResults {
    pub(super) partial_recording: Option<PartialRecording>,
    pub(super) digits: Digits,
}

/// Where ended operations and outputs go: shared by every transition.
#[derive(Clone, Debug)]
pub(super) struct Ledger {
    pub(super) etag: u64,
    pub(super) outputs: VecDeque<Output>,
    /// Outputs polled so far: the next one's sequence number is this + 1.
    pub(super) polled: u64,
    pub(super) finished: VecDeque<Operation>,
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
    /// enters the `GET` memory when polled.
    pub(super) fn finish(
        &mut self,
        queued: Queued,
        reason: EndReason,
        by: Option<OperationId>,
        results: MediaResults,
        notice: Notice,
    ) {
        self.end_each(std::iter::once((queued, results)), reason, by, notice);
    }

    /// [`Ledger::finish`] for many queued ones (nothing recorded or
    /// collected).
    pub(super) fn finish_all(
        &mut self,
        queued: impl ExactSizeIterator<Item = Queued>,
        reason: EndReason,
        by: Option<OperationId>,
        notice: Notice,
    ) {
        let ended = queued.map(|queued| (queued, MediaResults::default()));
        self.end_each(ended, reason, by, notice);
    }

    /// One reservation, then each ended operation moves into its output
    /// once. This loop is the cancel hot path (`benches/cancel.rs`), where
    /// each branch and copy shows: the status is worked out once.
    #[inline]
    pub(super) fn end_each(
        &mut self,
        ended: impl ExactSizeIterator<Item = (Queued, MediaResults)>,
        reason: EndReason,
        by: Option<OperationId>,
        notice: Notice,
    ) {
        self.end_each_shown(ended, reason, by, notice, |_| {});
    }

    /// [`Ledger::end_each`], showing `shown` each operation in its final
    /// state as it ends (for a cancel's receipt; Graph's cancel passes a
    /// closure that does nothing, and pays nothing for it).
    pub(super) fn end_each_shown(
        &mut self,
        ended: impl ExactSizeIterator<Item = (Queued, MediaResults)>,
        reason: EndReason,
        by: Option<OperationId>,
        notice: Notice,
        mut shown: impl FnMut(&Operation),
    ) {
        self.outputs.reserve(ended.len());
        let status = reason.status();
        for (Queued { op, request }, results) in ended {
            self.etag = self.etag.wrapping_add(1);
            let ended = OperationEnded {
                operation: Operation {
                    status,
                    end: Some(reason),
                    etag: self.etag,
                    ..op
                },
                reason,
                request,
                ended_by: by,
                partial_recording: results.partial_recording,
                digits: results.digits,
            };
            shown(&ended.operation);
            self.outputs.push_back(match notice {
                Notice::Notify => Output::Notification(Notification::OperationEnded(ended)),
                Notice::Abandon => Output::Abandoned(ended),
            });
        }
    }

    /// Adds an ended operation to the `GET` memory, forgetting the oldest
    /// when full. The memory grows with what it holds, one slot at a time
    /// for the first few (most calls end a handful of operations), then by
    /// doubling, never past `retained`; once there it never reallocates.
    pub(super) fn remember(&mut self, op: Operation, retained: usize) {
        if retained == 0 {
            return;
        }
        // Never more than `retained` (a restore refuses more), so one out
        // makes room.
        if self.finished.len() >= retained {
            self.finished.pop_front();
        }
        let len = self.finished.len();
        if len == self.finished.capacity() {
            let grow = if len < 4 { 1 } else { len };
            self.finished.reserve_exact(grow.min(retained - len));
        }
        self.finished.push_back(op);
    }
}
