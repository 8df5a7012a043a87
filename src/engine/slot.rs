//! One call's place in the engine: what it holds (live, moving, failed,
//! gone) and why an input that finds it cannot run.

use parking_lot::Mutex;

use crate::call::Call;
use crate::error::{InputIgnored, RequestError};
use crate::id::CallId;
use crate::time::Instant;

#[derive(Debug)]
pub(super) struct Slot {
    pub(super) id: CallId,
    pub(super) seq: u64,
    pub(super) shard: usize,
    pub(super) state: Mutex<SlotState>,
}

#[derive(Debug)]
pub(super) struct SlotState {
    pub(super) held: Held,
    /// The deadline this call has in the timer map.
    pub(super) scheduled: Scheduled,
}

/// An `Option<Instant>` in 8 bytes, not 16 (a million calls feel the 8):
/// `u64::MAX` ms is no deadline, and no deadline is ever that late, since
/// inputs stop at [`Instant::LATEST`] (half of it) and timers add minutes
/// at most (120 s, for a record and for a collection alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Scheduled(u64);

impl Scheduled {
    pub(super) const NONE: Self = Self(u64::MAX);

    pub(super) fn get(self) -> Option<Instant> {
        (self != Self::NONE).then(|| Instant::from_millis(self.0))
    }

    pub(super) fn set(&mut self, deadline: Option<Instant>) {
        debug_assert!(deadline.is_none_or(|at| at.as_millis() != u64::MAX));
        *self = deadline.map_or(Self::NONE, |at| Self(at.as_millis()));
    }

    pub(super) fn take(&mut self) -> Option<Instant> {
        let deadline = self.get();
        *self = Self::NONE;
        deadline
    }
}

/// What a slot holds. An input finds the slot, lets go of the map, then
/// locks the slot: whatever happened in between shows here, so an input
/// never runs on a call that has left.
#[derive(Debug)]
pub(super) enum Held {
    /// Taking inputs.
    Live(Call),
    /// Frozen while a move is under way: inputs are refused until the move
    /// commits (the call is gone) or aborts (it goes on here). A call
    /// arriving (established or restored) is held so until it is ready.
    Moving(Call),
    /// A bug stopped it.
    Failed,
    /// Out of this engine.
    Gone(Gone),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Gone {
    /// The call ended.
    Ended,
    /// The call moved to another engine.
    Moved,
}

/// Why an input could not run on the call its slot held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unavailable {
    Moving,
    Failed,
    Gone(Gone),
    /// The call's shard holds its share of undrained outputs.
    Backlogged {
        pending: usize,
        limit: usize,
    },
}

/// Whether an input may run while the call's shard is backlogged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Room {
    /// A request or media input: it could add outputs, so it waits for room.
    Needed,
    /// A timer or a hang-up: it only ends what the call holds.
    Exempt,
}

impl Held {
    pub(super) fn live(&mut self) -> Result<&mut Call, Unavailable> {
        match self {
            Self::Live(call) => Ok(call),
            Self::Moving(_) => Err(Unavailable::Moving),
            Self::Failed => Err(Unavailable::Failed),
            Self::Gone(gone) => Err(Unavailable::Gone(*gone)),
        }
    }

    /// Freezes a live call (`true`) or thaws a frozen one (`false`); any
    /// other state stays.
    pub(super) fn set_moving(&mut self, moving: bool) {
        let held = std::mem::replace(self, Self::Failed);
        *self = match held {
            Self::Live(call) | Self::Moving(call) if moving => Self::Moving(call),
            Self::Live(call) | Self::Moving(call) => Self::Live(call),
            other => other,
        };
    }

    /// The call, live or frozen: what a snapshot or a view shows.
    pub(super) fn call(&self) -> Option<&Call> {
        match self {
            Self::Live(call) | Self::Moving(call) => Some(call),
            Self::Failed | Self::Gone(_) => None,
        }
    }
}

impl Unavailable {
    pub(super) fn request_error(self, call: &CallId) -> RequestError {
        let call = call.clone();
        match self {
            Self::Moving => RequestError::CallMoving(call),
            Self::Failed => RequestError::CallFailed(call),
            Self::Gone(Gone::Ended) => RequestError::CallTerminated(call),
            Self::Gone(Gone::Moved) => RequestError::CallNotFound(call),
            Self::Backlogged { pending, limit } => {
                RequestError::OutputsBacklogged { pending, limit }
            }
        }
    }

    pub(super) fn input_ignored(self, call: &CallId) -> InputIgnored {
        let call = call.clone();
        match self {
            Self::Moving => InputIgnored::CallMoving(call),
            Self::Failed => InputIgnored::CallFailed(call),
            Self::Gone(Gone::Ended) => InputIgnored::CallTerminated(call),
            Self::Gone(Gone::Moved) => InputIgnored::UnknownCall(call),
            Self::Backlogged { pending, limit } => {
                InputIgnored::OutputsBacklogged { pending, limit }
            }
        }
    }
}
