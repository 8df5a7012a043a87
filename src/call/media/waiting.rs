//! The operations waiting behind the active one, each kept in the shape of
//! the notification that will end it.
//!
//! Why that shape: a cancel ends the whole queue, and its notifications go
//! out in queue order. Kept as the `OperationEnded` notifications they
//! will become, the queued operations move into the call's outputs in one
//! `VecDeque::append` (two block copies), and each is then only marked
//! ended where it lies: status, reason, etag, who ended it. Built one by
//! one from an operation and its request, each 208-byte output went through
//! the stack and a `memcpy` (about 127 instructions an operation, against
//! about 20 now; `benches/cancel.rs`).
//!
//! The price: a queued operation takes 208 bytes instead of 136, and
//! queueing or starting one moves it between the two shapes once.
//!
//! Only [`Queued`] values go in, so every element is an `OperationEnded`
//! notification; the readers still skip anything else rather than panic.

use std::collections::VecDeque;

use super::Queued;
use crate::id::OperationId;
use crate::io::{Notification, OperationEnded, Output};
use crate::model::{Digits, EndReason, MediaRequest, Operation, OperationStatus};
use crate::thin_deque::ThinDeque;

/// The queued operations, oldest first, as the notifications that will
/// end them.
#[derive(Clone, Debug, Default)]
pub(in crate::call) struct Waiting(ThinDeque<Output>);

/// How each operation of a queue ends (see [`Waiting::end_all_into`]).
#[derive(Clone, Copy, Debug)]
pub(in crate::call) struct QueueEnd {
    pub(in crate::call) reason: EndReason,
    pub(in crate::call) status: OperationStatus,
    pub(in crate::call) by: Option<OperationId>,
}

impl Waiting {
    pub(in crate::call) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Queues an operation at the back.
    pub(super) fn push_back(&mut self, Queued { op, request }: Queued) {
        // The reason is a placeholder: `end_all_into` or the operation's
        // own end writes the real one before anyone sees it.
        self.0
            .push_back(Output::Notification(Notification::OperationEnded(
                OperationEnded {
                    operation: op,
                    reason: EndReason::CancelledWhileQueued,
                    request,
                    ended_by: None,
                    partial_recording: None,
                    digits: Digits::default(),
                },
            )));
    }

    /// Takes the oldest operation.
    pub(super) fn pop_front(&mut self) -> Option<Queued> {
        while let Some(output) = self.0.pop_front() {
            if let Some(queued) = into_queued(output) {
                return Some(queued);
            }
        }
        None
    }

    /// The queued operations, oldest first.
    pub(super) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.iter().map(|(op, _)| op)
    }

    /// The queued operations with what each was asked to do, oldest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Operation, &MediaRequest)> {
        self.0.iter().filter_map(|output| match output {
            Output::Notification(Notification::OperationEnded(ended)) => {
                Some((&ended.operation, &ended.request))
            }
            _ => None,
        })
    }

    /// Takes every queued operation, oldest first, leaving the queue empty
    /// with its room.
    pub(in crate::call) fn drain(&mut self) -> impl Iterator<Item = Queued> + '_ {
        self.0
            .get_mut()
            .into_iter()
            .flat_map(|queue| queue.drain(..))
            .filter_map(into_queued)
    }

    /// Ends every queued operation into `outputs`, in queue order, each
    /// with the next etag of `etag`: moved across whole, then marked ended
    /// where each lies. The queue is left empty, with its room.
    pub(in crate::call) fn end_all_into(
        &mut self,
        outputs: &mut ThinDeque<Output>,
        etag: &mut u64,
        end: QueueEnd,
    ) {
        let Some(queue) = self.0.get_mut().filter(|queue| !queue.is_empty()) else {
            return;
        };
        let outputs: &mut VecDeque<Output> = outputs.deque();
        let first = outputs.len();
        outputs.append(queue);
        for output in outputs.range_mut(first..) {
            if let Output::Notification(Notification::OperationEnded(ended)) = output {
                // Wrapping: a restored snapshot may hold any count.
                *etag = etag.wrapping_add(1);
                let operation = &mut ended.operation;
                operation.status = end.status;
                operation.end = Some(end.reason);
                operation.etag = *etag;
                ended.reason = end.reason;
                ended.ended_by = end.by;
            }
        }
    }

    /// Gives back the room, the box included, once empty.
    pub(super) fn free_if_empty(&mut self) {
        self.0.free_if_empty();
    }
}

impl From<Vec<Queued>> for Waiting {
    fn from(queued: Vec<Queued>) -> Self {
        let mut waiting = Self::default();
        waiting.0.reserve(queued.len());
        for queued in queued {
            waiting.push_back(queued);
        }
        waiting
    }
}

/// The operation and request a waiting output holds.
fn into_queued(output: Output) -> Option<Queued> {
    match output {
        Output::Notification(Notification::OperationEnded(ended)) => Some(Queued {
            op: ended.operation,
            request: ended.request,
        }),
        _ => None,
    }
}
