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
    ///
    /// The shard is chosen from the first keys each shard stores beside its
    /// map, then its lock is taken and the pick is checked against the map:
    /// if another thread changed that map meanwhile (or the two numbers
    /// were read across a change), the shard's first key is stored again
    /// and the choice made anew. One lock per timer fired, and a change by
    /// another thread is the only reason to look twice.
    fn take_due(&self, now: Instant) -> Option<(Instant, Arc<Slot>)> {
        loop {
            let (key, shard) = self
                .shards
                .iter()
                .map(|shard| {
                    let at = shard.earliest.load(Ordering::Acquire);
                    let seq = shard.earliest_seq.load(Ordering::Acquire);
                    ((at, seq), shard)
                })
                .min_by_key(|(key, _)| *key)?;
            if key.0 == NO_DEADLINE || key.0 > now.as_millis() {
                return None;
            }
            let mut timers = shard.timers.lock();
            let first = timers
                .first_key_value()
                .map(|((at, seq), _)| (at.as_millis(), *seq));
            if first != Some(key) {
                store_first(shard, &timers);
                continue;
            }
            let taken = timers.pop_first().map(|((at, _), slot)| (at, slot));
            store_first(shard, &timers);
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
        store_first(shard, &timers);
        state.scheduled.set(deadline);
    }

    pub(super) fn unschedule(&self, slot: &Slot, state: &mut SlotState) {
        if let Some(old) = state.scheduled.take() {
            let shard = &self.shards[slot.shard];
            let mut timers = shard.timers.lock();
            timers.remove(&(old, slot.seq));
            store_first(shard, &timers);
        }
    }
}

/// Stores the map's first key beside it ([`Shard::earliest`]); called
/// with the map's lock held, after every change.
fn store_first(shard: &Shard, timers: &Deadlines) {
    let (at, seq) = timers
        .first_key_value()
        .map_or((NO_DEADLINE, 0), |((at, seq), _)| (at.as_millis(), *seq));
    shard.earliest.store(at, Ordering::Release);
    shard.earliest_seq.store(seq, Ordering::Release);
}
