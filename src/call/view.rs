//! Read-only pictures of a call (extension: Graph shows none of this) and
//! its getters.

use crate::id::{CallId, OperationId};
use crate::io::{Notification, Output};
use crate::model::Operation;
use crate::time::Instant;

use super::{Call, CallState};

/// What the active operation has the media layer doing (extension: Graph
/// shows none of this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaPhase {
    /// Playing prompt `index` (0-based) of its `count`.
    Prompt {
        /// Which prompt.
        index: usize,
        /// How many the operation has.
        count: usize,
    },
    /// Playing the record beep.
    Beep,
    /// Recording the caller.
    Recording,
    /// Recording stopped, waiting for the media layer to store it.
    Storing,
    /// Extension: collecting digits, this many so far.
    Collecting {
        /// Keys collected.
        digits: usize,
    },
}

/// The active operation in a [`CallView`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveView {
    /// The operation.
    pub operation: Operation,
    /// What it is doing.
    pub phase: MediaPhase,
    /// Since when (the position in the phase is `now - phase_since`).
    pub phase_since: Instant,
}

/// A read-only picture of a call: what plays, what waits, the tones
/// (extension: queue introspection Graph does not offer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallView {
    /// The call.
    pub id: CallId,
    /// Whether it has ended.
    pub terminated: bool,
    /// The operation playing or recording now.
    pub active: Option<ActiveView>,
    /// The operations waiting, in the order they will start.
    pub queued: Vec<Operation>,
    /// Whether the bot subscribed to tones.
    pub tone_subscription: bool,
    /// Tones delivered so far (the last `sequenceId`).
    pub tones_delivered: u64,
    /// The next timer deadline.
    pub next_deadline: Option<Instant>,
}

impl Call {
    /// A read-only picture of the call.
    pub fn view(&self) -> CallView {
        let (active, tone_subscription, tones_delivered) = match &self.state {
            CallState::Established(media) => (
                media.active_view(),
                media.tones_subscribed(),
                media.tones_delivered(),
            ),
            CallState::Terminated => (None, false, 0),
        };
        CallView {
            id: self.id.clone(),
            terminated: self.is_terminated(),
            active,
            queued: self.queued_operations().cloned().collect(),
            tone_subscription,
            tones_delivered,
            next_deadline: self.poll_timeout(),
        }
    }

    /// The call's id.
    pub fn id(&self) -> &CallId {
        &self.id
    }

    /// Whether the call has ended.
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, CallState::Terminated)
    }

    /// An operation as `GET` shows it: active, queued, or ended and still
    /// remembered (the last [`CallConfig::retained_operations`](crate::CallConfig::retained_operations), and those
    /// whose notification is not polled yet). `None` once the call has ended.
    pub fn operation(&self, id: OperationId) -> Option<Operation> {
        let CallState::Established(media) = &self.state else {
            return None;
        };
        let pending = self
            .ledger
            .outputs
            .iter()
            .filter_map(|output| match output {
                Output::Notification(Notification::OperationEnded(ended)) => Some(&ended.operation),
                _ => None,
            });
        media
            .find(id)
            .or_else(|| pending.rev().find(|op| op.id == id))
            .or_else(|| self.ledger.finished.iter().rev().find(|op| op.id == id))
            .cloned()
    }

    /// Active plus queued media operations.
    pub fn queued_len(&self) -> usize {
        match &self.state {
            CallState::Established(media) => media.len(),
            CallState::Terminated => 0,
        }
    }

    /// The operation that is playing or recording now.
    pub fn active_operation(&self) -> Option<&Operation> {
        match &self.state {
            CallState::Established(media) => media.active_operation(),
            CallState::Terminated => None,
        }
    }

    /// The queued operations (not the active one), in the order they will
    /// start.
    pub fn queued_operations(&self) -> impl Iterator<Item = &Operation> {
        let queued = match &self.state {
            CallState::Established(media) => Some(media.queued()),
            CallState::Terminated => None,
        };
        queued.into_iter().flatten()
    }

    /// Whether the bot subscribed to tones.
    pub fn has_tone_subscription(&self) -> bool {
        matches!(&self.state, CallState::Established(media) if media.tones_subscribed())
    }

    /// Outputs waiting to be polled.
    pub fn pending_outputs(&self) -> usize {
        self.ledger.outputs.len()
    }
}
