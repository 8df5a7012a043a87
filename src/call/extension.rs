//! Extensions beyond Graph: scoped cancels with their receipts, and
//! digit collection.

use std::sync::Arc;

use crate::error::RequestError;
use crate::id::OperationId;
use crate::model::{ApiVersion, CollectDigits, MediaRequest, Operation, OperationKind, Request};
use crate::time::Instant;
use crate::validate::{Checked, CheckedCollect};

use super::ledger::{Origin, new_operation};
use super::{Call, CallState, MediaPhase};

/// Which operations a cancel ends (extension: Graph's cancel ends all).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelScope {
    /// The active operation and every queued one, as Graph does.
    All,
    /// Only the active operation; the queue goes on.
    Current,
    /// This one operation, active or queued.
    Operation(OperationId),
    /// Every operation (active or queued) whose clientContext starts so.
    ClientContextPrefix(Arc<str>),
}

impl CancelScope {
    /// Whether the scope takes `candidate`, with `current` the active
    /// operation.
    fn picks(&self, candidate: &Operation, current: Option<OperationId>) -> bool {
        match self {
            Self::All => true,
            Self::Current => current == Some(candidate.id),
            Self::Operation(id) => candidate.id == *id,
            Self::ClientContextPrefix(prefix) => candidate
                .client_context
                .as_deref()
                .is_some_and(|c| c.starts_with(&**prefix)),
        }
    }
}

/// What a cancel ended (extension: Graph's response says nothing of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelReceipt {
    /// The cancelMediaProcessing operation itself, as its POST shows it.
    pub cancel: Operation,
    /// Every operation the cancel ended: the active one first, then the
    /// queued ones in order.
    pub ended: Vec<CancelledOperation>,
}

/// One operation a cancel ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelledOperation {
    /// The operation in its final state (failed, 400/8508).
    pub operation: Operation,
    /// Where it was when the cancel came.
    pub was: CancelledAt,
}

/// Where a cancelled operation was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancelledAt {
    /// Running, in this phase, this far into it: ms of the prompt played,
    /// of the beep, of recording, or of waiting for the store.
    Running {
        /// The phase.
        phase: MediaPhase,
        /// Milliseconds into it, on the embedder's clock.
        position_ms: u64,
    },
    /// Waiting in the queue at this place (1: it would have started next).
    Queued {
        /// Its place.
        position: usize,
    },
}

impl Call {
    /// cancelMediaProcessing that also says what it ended, and where each
    /// operation was (extension). The response and the notifications are
    /// exactly those of [`Call::handle_request`] with the same request; this
    /// only adds the receipt (and allocates it).
    pub fn cancel_with_receipt(
        &mut self,
        now: Instant,
        request: Request,
    ) -> Result<CancelReceipt, RequestError> {
        self.cancel_scoped(now, request, CancelScope::All)
    }

    /// A cancel of only some operations (extension): each one ended reports
    /// exactly as Graph's cancel reports it, and the queue goes on with the
    /// rest. [`CancelScope::All`] is Graph's own cancel. Naming an operation
    /// the call does not hold (active or queued) is refused and changes
    /// nothing.
    pub fn cancel_scoped(
        &mut self,
        now: Instant,
        request: Request,
        scope: CancelScope,
    ) -> Result<CancelReceipt, RequestError> {
        let request = self.config.check_cancel(request)?;
        self.cancel_scoped_valid(now, request, scope)
    }

    /// [`Call::cancel_scoped`] for a cancel that passed validation.
    /// [`CancelScope::All`] takes the same steps as Graph's cancel in
    /// [`Call::handle_request`], and writes the same outputs.
    pub(crate) fn cancel_scoped_valid(
        &mut self,
        now: Instant,
        request: Checked<Request>,
        scope: CancelScope,
    ) -> Result<CancelReceipt, RequestError> {
        self.ready_for_request()?;
        if let CancelScope::Operation(id) = &scope {
            let held =
                matches!(&self.state, CallState::Established(media) if media.find(*id).is_some());
            if !held {
                return Err(RequestError::OperationNotFound {
                    call: self.id.clone(),
                    operation: *id,
                });
            }
        }
        // Timers due by now fire first: the receipt names what the cancel
        // itself ended.
        let now = self.advance(now);
        let CallState::Established(media) = &mut self.state else {
            return Err(RequestError::CallTerminated(self.id.clone()));
        };
        let request = request.into_inner();
        let origin = Origin {
            api: request.api,
            client_context: request.client_context,
        };
        let kind = OperationKind::CancelMediaProcessing;
        let cancel = new_operation(&mut self.ids, &mut self.ledger, kind, origin);
        let current = media.active_operation().map(|op| op.id);
        let ended = media.cancel_where(&mut self.ledger, now, cancel.id, |candidate| {
            scope.picks(candidate, current)
        });
        self.ledger
            .remember(cancel.clone(), self.config.retained_operations);
        Ok(CancelReceipt { cancel, ended })
    }

    /// Extension: queues a collect-digits operation (see [`CollectDigits`]),
    /// after the playPrompts and records already queued, as one of them.
    /// It ends with one
    /// [`Notification::OperationEnded`](crate::Notification::OperationEnded)
    /// like them, whose
    /// [`OperationEnded::digits`](crate::OperationEnded::digits) holds the
    /// keys; a cancel or barge-in ends it as it ends them. Refused
    /// (changing nothing) if a field breaks its rule or the queue is full.
    pub fn handle_collect_digits(
        &mut self,
        now: Instant,
        client_context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> Result<Operation, RequestError> {
        let checked = self.config.check_collect_digits(client_context, collect)?;
        self.handle_valid_collect_digits(now, checked)
    }

    /// [`Call::handle_collect_digits`] for settings that passed validation.
    pub(crate) fn handle_valid_collect_digits(
        &mut self,
        now: Instant,
        checked: CheckedCollect,
    ) -> Result<Operation, RequestError> {
        let (client_context, collect) = checked.into_inner();
        let media_request = Some(MediaRequest::CollectDigits(collect));
        let origin = Origin {
            api: ApiVersion::V1,
            client_context,
        };
        self.accept(now, origin, OperationKind::CollectDigits, media_request)
    }
}
