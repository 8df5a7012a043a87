//! Time: the one ordered map of every call's deadline, and firing what is
//! due in deadline order.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::time::Instant;

use super::slot::Scheduled;
use super::{Engine, Held, Room, Slot, SlotState};

impl Engine {
    /// Fires every timer due at or before `now`, across calls, in deadline
    /// order (ties in establishment order), each at its own deadline.
    /// Calling it early, or twice, does nothing.
    pub fn handle_timeout(&self, now: Instant) {
        let now = self.clock(now);
        loop {
            let due = {
                let mut timers = self.timers.lock();
                match timers.first_key_value() {
                    Some(((at, _), _)) if *at <= now => timers.pop_first(),
                    _ => None,
                }
            };
            let Some(((at, _), slot)) = due else { return };
            {
                let mut state = slot.state.lock();
                // Another thread may have moved the deadline meanwhile: then
                // its own entry stands and this one is done.
                if state.scheduled.get() != Some(at) {
                    continue;
                }
                state.scheduled = Scheduled::NONE;
            }
            // A call that is moving or gone has no timer to fire here.
            let _ = self.run(&slot, at, Room::Exempt, |c| c.handle_timeout(at));
        }
    }

    /// When [`Engine::handle_timeout`] must be called next: the earliest
    /// deadline of all calls, never earlier than the latest `now` seen.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timers = self.timers.lock();
        let ((at, _), _) = timers.first_key_value()?;
        Some((*at).max(Instant::from_millis(self.last_now.load(Ordering::Acquire))))
    }

    /// Moves the call's entry in the deadline map to its current deadline
    /// (none unless the call is live).
    pub(super) fn schedule(&self, slot: &Arc<Slot>, state: &mut SlotState) {
        let deadline = match &state.held {
            Held::Live(call) => call.poll_timeout(),
            Held::Moving(_) | Held::Failed | Held::Gone(_) => None,
        };
        if deadline == state.scheduled.get() {
            return;
        }
        let mut timers = self.timers.lock();
        if let Some(old) = state.scheduled.get() {
            timers.remove(&(old, slot.seq));
        }
        if let Some(new) = deadline {
            timers.insert((new, slot.seq), slot.clone());
        }
        state.scheduled.set(deadline);
    }

    pub(super) fn unschedule(&self, slot: &Slot, state: &mut SlotState) {
        if let Some(old) = state.scheduled.take() {
            self.timers.lock().remove(&(old, slot.seq));
        }
    }
}
