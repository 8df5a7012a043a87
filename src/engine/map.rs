//! The sharded call map: counting calls against the limit, the shard of a
//! call, finding a call's slot, and calls arriving (established, restored)
//! and leaving (ended, moved away).

use std::borrow::Borrow;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use parking_lot::Mutex;

use super::slot::{Gone, Held, Scheduled, Slot, SlotState};
use super::{Engine, park_output_buffer};
use crate::call::Call;
use crate::error::{InputIgnored, RequestError};
use crate::id::CallId;

#[derive(Debug, Default)]
pub(super) struct CallMap {
    pub(super) calls: Slots,
    /// Ids of calls that ended, oldest first (bounded).
    pub(super) ended: VecDeque<CallId>,
}

impl CallMap {
    /// Whether the map holds the call or remembers that it ended.
    pub(super) fn knows(&self, call: &CallId) -> bool {
        self.calls.contains(call) || self.ended.contains(call)
    }
}

/// A shard's calls, found by the id their slot holds: one pointer an entry.
/// (A `HashMap<CallId, Arc<Slot>>` holds the id a second time: 16 bytes a
/// call more, which a million calls feel.)
#[derive(Debug, Default)]
pub(super) struct Slots(HashSet<ById>);

/// A slot, hashed and compared by its call's id.
#[derive(Debug)]
struct ById(Arc<Slot>);

impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.hash(state);
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for ById {}

// Hash and Eq go by the id, as `CallId`'s own do: a lookup by `&CallId`
// finds the slot.
impl Borrow<CallId> for ById {
    fn borrow(&self) -> &CallId {
        &self.0.id
    }
}

impl Slots {
    pub(super) fn get(&self, call: &CallId) -> Option<&Arc<Slot>> {
        self.0.get(call).map(|slot| &slot.0)
    }

    pub(super) fn contains(&self, call: &CallId) -> bool {
        self.0.contains(call)
    }

    /// Adds a slot under the id it holds, in place of one already there
    /// (as `HashMap::insert` would; callers check first).
    pub(super) fn insert(&mut self, slot: Arc<Slot>) {
        self.0.replace(ById(slot));
    }

    pub(super) fn remove(&mut self, call: &CallId) {
        self.0.remove(call);
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Arc<Slot>> {
        self.0.iter().map(|slot| &slot.0)
    }

    /// Gives memory back once mostly empty.
    pub(super) fn shrink_when_sparse(&mut self) {
        if self.0.capacity() > 64 && self.0.len() < self.0.capacity() / 4 {
            self.0.shrink_to_fit();
        }
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

    /// A slot for a call that arrives (established or restored), held
    /// frozen until [`Engine::make_ready`].
    pub(super) fn arriving(&self, shard: usize, call: Call) -> Arc<Slot> {
        Arc::new(Slot {
            id: call.id().clone(),
            seq: self.next_seq.fetch_add(1, Ordering::AcqRel),
            shard,
            state: Mutex::new(SlotState {
                held: Held::Moving(call),
                scheduled: Scheduled::NONE,
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
        let map = self.shards[self.shard_of(call)].calls.lock();
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
            map.calls.shrink_when_sparse();
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
