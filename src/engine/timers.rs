//! Time: each shard's ordered map of its calls' deadlines, and firing what
//! is due across shards in deadline order.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::time::Instant;

use super::slot::Scheduled;
use super::{Deadlines, Engine, Held, NO_DEADLINE, Room, Shard, Slot, SlotState};

impl Engine {
    /// Fires every timer due at or before `now`, across calls, in deadline
    /// order (ties in establishment order), each at its own deadline.
    /// Calling it early, or twice, does nothing.
    pub fn handle_timeout(&self, now: Instant) {
        let now = self.clock(now);
        while let Some((at, slot)) = self.take_due(now) {
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
        let earliest = self.earliest_deadline();
        (earliest != NO_DEADLINE)
            .then(|| Instant::from_millis(earliest.max(self.last_now.load(Ordering::Acquire))))
    }

    /// The first deadline of all shards, in milliseconds, read without
    /// their locks ([`NO_DEADLINE`] if none).
    fn earliest_deadline(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.earliest.load(Ordering::Acquire))
            .min()
            .unwrap_or(NO_DEADLINE)
    }

    /// Takes the first deadline due by `now` out of its shard's map: the
    /// earliest of all shards, of equal ones the call established first.
    fn take_due(&self, now: Instant) -> Option<(Instant, Arc<Slot>)> {
        loop {
            let earliest = self.earliest_deadline();
            if earliest == NO_DEADLINE || earliest > now.as_millis() {
                return None;
            }
            // Of the shards whose first deadline is that one, the one whose
            // call came first.
            let mut first: Option<((Instant, u64), &Shard)> = None;
            for shard in self.shards.iter() {
                if shard.earliest.load(Ordering::Acquire) != earliest {
                    continue;
                }
                let timers = shard.timers.lock();
                // Stored again under the lock: an `earliest` that was stale
                // is true from here on, so this loop always gets on.
                shard
                    .earliest
                    .store(first_deadline(&timers), Ordering::Release);
                let Some((&key, _)) = timers.first_key_value() else {
                    continue;
                };
                if key.0 <= now && first.is_none_or(|(best, _)| key < best) {
                    first = Some((key, shard));
                }
            }
            let Some((key, shard)) = first else {
                // Another thread took or moved them meanwhile: look again.
                continue;
            };
            let mut timers = shard.timers.lock();
            if timers.first_key_value().map(|(key, _)| *key) != Some(key) {
                continue;
            }
            let taken = timers.pop_first().map(|((at, _), slot)| (at, slot));
            shard
                .earliest
                .store(first_deadline(&timers), Ordering::Release);
            return taken;
        }
    }

    /// Moves the call's entry in its shard's deadline map to its current
    /// deadline (none unless the call is live).
    pub(super) fn schedule(&self, slot: &Arc<Slot>, state: &mut SlotState) {
        let deadline = match &state.held {
            Held::Live(call) => call.poll_timeout(),
            Held::Moving(_) | Held::Failed | Held::Gone(_) => None,
        };
        if deadline == state.scheduled.get() {
            return;
        }
        let shard = &self.shards[slot.shard];
        let mut timers = shard.timers.lock();
        if let Some(old) = state.scheduled.get() {
            timers.remove(&(old, slot.seq));
        }
        if let Some(new) = deadline {
            timers.insert((new, slot.seq), slot.clone());
        }
        shard
            .earliest
            .store(first_deadline(&timers), Ordering::Release);
        state.scheduled.set(deadline);
    }

    pub(super) fn unschedule(&self, slot: &Slot, state: &mut SlotState) {
        if let Some(old) = state.scheduled.take() {
            let shard = &self.shards[slot.shard];
            let mut timers = shard.timers.lock();
            timers.remove(&(old, slot.seq));
            shard
                .earliest
                .store(first_deadline(&timers), Ordering::Release);
        }
    }
}

/// A map's first deadline in milliseconds, [`NO_DEADLINE`] if it is empty.
fn first_deadline(timers: &Deadlines) -> u64 {
    timers
        .first_key_value()
        .map_or(NO_DEADLINE, |((at, _), _)| at.as_millis())
}
