//! The sharded call map: counting calls against the limit, the shard of a
//! call, finding a call's slot, and calls arriving (established, restored)
//! and leaving (ended, moved away).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::slot::{Gone, Held, Slot, SlotState};
use super::{Engine, park_output_buffer};
use crate::call::Call;
use crate::error::{InputIgnored, RequestError};
use crate::id::{CallId, fnv1a};

#[derive(Debug, Default)]
pub(super) struct CallMap {
    pub(super) calls: HashMap<CallId, Arc<Slot>>,
    /// Ids of calls that ended, oldest first (bounded).
    pub(super) ended: VecDeque<CallId>,
}

impl CallMap {
    /// Whether the map holds the call or remembers that it ended.
    pub(super) fn knows(&self, call: &CallId) -> bool {
        self.calls.contains_key(call) || self.ended.contains(call)
    }
}

impl Engine {
    /// Counts one more call, unless the engine holds
    /// [`EngineConfig::max_calls`] already (`Err` with the limit).
    pub(super) fn count_call(&self) -> Result<(), usize> {
        let limit = self.config.max_calls;
        self.calls
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| limit)
    }

    /// A call's shard, from a hash that is the same in every run and build,
    /// so that replays stay byte-identical (which ended ids a shard forgets
    /// depends on it). Each shard's own map keeps a random hasher against
    /// collisions.
    pub(super) fn shard_index(&self, call: &CallId) -> usize {
        // The modulo keeps the index in range whatever the hash.
        (fnv1a(call.as_str().as_bytes()) % self.shards.len() as u64) as usize
    }

    /// A slot for a call that arrives (established or restored), held
    /// frozen until [`Engine::make_ready`].
    pub(super) fn arriving(&self, shard: usize, call: Call) -> Arc<Slot> {
        Arc::new(Slot {
            id: call.id().clone(),
            seq: self.next_seq.fetch_add(1, Ordering::AcqRel),
            shard,
            state: Mutex::new(SlotState {
                held: Held::Moving(call),
                scheduled: None,
            }),
        })
    }

    /// Makes an arriving call live: its undrained outputs (a new call's
    /// `established`, a restored call's) queued at its own time first, then
    /// its timer set.
    pub(super) fn make_ready(&self, slot: &Arc<Slot>) {
        let mut state = slot.state.lock();
        if let Held::Moving(call) = &mut state.held {
            let at = call.last_now();
            self.queue_outputs(slot, call, at);
            park_output_buffer(call);
        }
        state.held.set_moving(false);
        self.schedule(slot, &mut state);
    }

    /// The call's slot; `Err(true)` when it ended, `Err(false)` when unknown.
    pub(super) fn find(&self, call: &CallId) -> Result<Arc<Slot>, bool> {
        let map = self.shards[self.shard_index(call)].calls.lock();
        match map.calls.get(call) {
            Some(slot) => Ok(slot.clone()),
            None => Err(map.ended.contains(call)),
        }
    }

    #[inline]
    pub(super) fn find_for_request(&self, call: &CallId) -> Result<Arc<Slot>, RequestError> {
        self.find(call).map_err(|ended| match ended {
            true => RequestError::CallTerminated(call.clone()),
            false => RequestError::CallNotFound(call.clone()),
        })
    }

    pub(super) fn find_for_input(&self, call: &CallId) -> Result<Arc<Slot>, InputIgnored> {
        self.find(call).map_err(|ended| match ended {
            true => InputIgnored::CallTerminated(call.clone()),
            false => InputIgnored::UnknownCall(call.clone()),
        })
    }

    /// Takes the call in `slot` out of this engine: whoever still holds the
    /// slot finds it `gone`, and the map loses it if it still names this
    /// very slot (never a call established afterwards under the same id).
    /// An ended call's id is remembered. The shard's map shrinks when
    /// mostly empty, so memory goes back.
    pub(super) fn retire(&self, slot: &Arc<Slot>, gone: Gone) {
        {
            let mut state = slot.state.lock();
            state.held = Held::Gone(gone);
            self.unschedule(slot, &mut state);
        }
        let mut map = self.shards[slot.shard].calls.lock();
        if map
            .calls
            .get(&slot.id)
            .is_some_and(|held| Arc::ptr_eq(held, slot))
        {
            map.calls.remove(&slot.id);
            self.calls.fetch_sub(1, Ordering::AcqRel);
            if map.calls.capacity() > 64 && map.calls.len() < map.calls.capacity() / 4 {
                map.calls.shrink_to_fit();
            }
            if gone == Gone::Ended {
                self.remember_ended_in(&mut map, &slot.id);
            }
        }
    }

    /// An aborted move: the frozen call goes on, its timer set again.
    pub(super) fn thaw(&self, slot: &Arc<Slot>) {
        let mut state = slot.state.lock();
        state.held.set_moving(false);
        self.schedule(slot, &mut state);
    }

    pub(super) fn remember_ended_in(&self, map: &mut CallMap, call: &CallId) {
        let per_shard = self
            .config
            .remembered_ended_calls
            .div_ceil(self.shards.len());
        if per_shard == 0 {
            return;
        }
        while map.ended.len() >= per_shard {
            map.ended.pop_front();
        }
        map.ended.push_back(call.clone());
    }
}
