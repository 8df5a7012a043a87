//! Calls leaving and arriving: snapshots, two-phase moves, restores.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::call::Call;
use crate::error::{MoveError, RestoreError};
use crate::id::CallId;
use crate::snapshot::{CallSnapshot, EngineSnapshot};

use super::{Engine, Gone, Held, Slot};

/// A call frozen for a move (see [`Engine::move_call`]): it stays in its
/// engine, refusing inputs ([`RequestError::CallMoving`](crate::RequestError::CallMoving),
/// [`InputIgnored::CallMoving`](crate::InputIgnored::CallMoving)) and firing no timer, until
/// [`CallMove::commit`] takes it out or [`CallMove::abort`] (or dropping
/// this) lets it go on where it was. So a move that fails on the other side
/// loses nothing.
#[derive(Debug)]
#[must_use = "dropping a move aborts it: the call goes on in its engine"]
pub struct CallMove<'a> {
    frozen: Frozen<'a>,
    snapshot: CallSnapshot,
}

/// The frozen call of a [`CallMove`]; thawed when dropped uncommitted.
#[derive(Debug)]
struct Frozen<'a> {
    engine: &'a Engine,
    slot: Arc<Slot>,
    committed: bool,
}

impl CallMove<'_> {
    /// The call's state, to restore elsewhere.
    pub fn snapshot(&self) -> &CallSnapshot {
        &self.snapshot
    }

    /// The call was restored elsewhere: it leaves this engine (its id is not
    /// remembered as ended). Inputs that found it before get "not found".
    /// Its outputs queued before the move stay here, to be drained as usual.
    pub fn commit(self) -> CallSnapshot {
        let Self {
            mut frozen,
            snapshot,
        } = self;
        frozen.committed = true;
        frozen.engine.retire(&frozen.slot, Gone::Moved);
        snapshot
    }

    /// The move is off: the call goes on here as if it had never been
    /// frozen (timers that came due meanwhile fire at the next input or
    /// `handle_timeout`, each at its own deadline).
    pub fn abort(self) {
        drop(self);
    }
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.engine.thaw(&self.slot);
        }
    }
}

impl Engine {
    /// A call's whole state, to restore elsewhere; the call stays here and
    /// goes on.
    pub fn snapshot_call(&self, call: &CallId) -> Option<CallSnapshot> {
        let slot = self.find(call).ok()?;
        let state = slot.state.lock();
        state.held.call().map(Call::snapshot)
    }

    /// Freezes a call to move it: it stays here, refusing inputs, until the
    /// returned [`CallMove`] commits (restored elsewhere: the call leaves) or
    /// aborts (it goes on here). Send [`CallMove::snapshot`] to the other
    /// engine, restore it there, then commit; if that fails, drop the move
    /// and nothing is lost.
    pub fn move_call(&self, call: &CallId) -> Result<CallMove<'_>, MoveError> {
        let slot = self
            .find(call)
            .map_err(|_| MoveError::CallNotFound(call.clone()))?;
        let mut state = slot.state.lock();
        let snapshot = match &state.held {
            Held::Live(live) => live.snapshot(),
            Held::Moving(_) => return Err(MoveError::AlreadyMoving(call.clone())),
            Held::Failed => return Err(MoveError::CallFailed(call.clone())),
            Held::Gone(_) => return Err(MoveError::CallNotFound(call.clone())),
        };
        state.held.set_moving(true);
        // A frozen call fires no timer here; an abort puts it back.
        self.unschedule(&slot, &mut state);
        drop(state);
        Ok(CallMove {
            frozen: Frozen {
                engine: self,
                slot,
                committed: false,
            },
            snapshot,
        })
    }

    /// Takes a call out of this engine at once: [`Engine::move_call`] and
    /// [`CallMove::commit`] in one step, for a move within one process. The
    /// snapshot is the call now: keep it until it is restored (a failed
    /// [`Engine::restore_call`] leaves it with you, and restoring it here
    /// again puts the call back).
    pub fn take_call(&self, call: &CallId) -> Result<CallSnapshot, MoveError> {
        Ok(self.move_call(call)?.commit())
    }

    /// Adds a call from a snapshot; it goes on exactly where it was, under
    /// this engine's settings. Refused, changing nothing, when the snapshot
    /// is not a call these settings allow, when the engine holds the call
    /// already (or remembers it ended), or when it holds
    /// [`EngineConfig::max_calls`](crate::EngineConfig::max_calls). The snapshot stays yours either way.
    pub fn restore_call(&self, snapshot: &CallSnapshot) -> Result<CallId, RestoreError> {
        let call = Call::restore(snapshot, self.config.call.clone())?;
        let id = call.id().clone();
        let index = self.shard_of(&id);
        let mut map = self.shards[index].calls.lock();
        if map.knows(&id) {
            return Err(RestoreError::CallExists(id));
        }
        self.shard_room(index, call.pending_outputs())
            .map_err(|(pending, limit)| RestoreError::OutputsBacklogged { pending, limit })?;
        self.count_call()
            .map_err(|limit| RestoreError::TooManyCalls { limit })?;
        // Ready before anyone can find it.
        let slot = self.arriving(index, call);
        self.make_ready(&slot);
        map.calls.insert(slot);
        Ok(id)
    }

    /// Every call (in establishment order; calls being moved too) and the
    /// remembered ended ids.
    pub fn snapshot(&self) -> EngineSnapshot {
        let mut calls: Vec<(u64, CallSnapshot)> = Vec::new();
        let mut ended = Vec::new();
        for shard in self.shards.iter() {
            let slots: Vec<Arc<Slot>> = {
                let map = shard.calls.lock();
                ended.extend(map.ended.iter().cloned());
                map.calls.iter().cloned().collect()
            };
            for slot in slots {
                if let Some(call) = slot.state.lock().held.call() {
                    calls.push((slot.seq, call.snapshot()));
                }
            }
        }
        calls.sort_by_key(|(seq, _)| *seq);
        EngineSnapshot::new(calls.into_iter().map(|(_, c)| c).collect(), ended)
    }

    /// Restores every call of a snapshot, in its order, and its ended ids:
    /// all or nothing. Refused, changing nothing, when any call is not one
    /// these settings allow, when the snapshot names a call twice, when the
    /// engine holds (or remembers) one of its calls, or when they would
    /// take the engine past [`EngineConfig::max_calls`](crate::EngineConfig::max_calls). Other calls wait
    /// only while the checks and the map insertions run; until a restored
    /// call is ready, inputs to it get [`RequestError::CallMoving`](crate::RequestError::CallMoving).
    pub fn restore(&self, snapshot: &EngineSnapshot) -> Result<(), RestoreError> {
        let (calls, ended) = (snapshot.calls(), snapshot.ended());
        let mut restored = Vec::with_capacity(calls.len().min(self.config.max_calls));
        let mut ids = std::collections::HashSet::new();
        for snapshot in calls {
            let call = Call::restore(snapshot, self.config.call.clone())?;
            if !ids.insert(call.id().clone()) {
                return Err(RestoreError::DuplicateCall(call.id().clone()));
            }
            if restored.len() == self.config.max_calls {
                return Err(RestoreError::TooManyCalls {
                    limit: self.config.max_calls,
                });
            }
            restored.push(call);
        }
        for id in ended {
            id.check().map_err(|reason| RestoreError::InvalidEndedId {
                id: id.clone(),
                reason,
            })?;
        }
        // Every shard's map, in order: no call comes or goes meanwhile, so
        // the checks still hold when the calls go in.
        let mut maps: Vec<_> = self.shards.iter().map(|s| s.calls.lock()).collect();
        let mut adding = vec![0usize; self.shards.len()];
        for call in &restored {
            let index = self.shard_of(call.id());
            if maps[index].knows(call.id()) {
                return Err(RestoreError::CallExists(call.id().clone()));
            }
            adding[index] = adding[index].saturating_add(call.pending_outputs());
        }
        for (index, adding) in adding.into_iter().enumerate() {
            self.shard_room(index, adding)
                .map_err(|(pending, limit)| RestoreError::OutputsBacklogged { pending, limit })?;
        }
        let limit = self.config.max_calls;
        let held = self.calls.load(Ordering::Acquire);
        if held.saturating_add(restored.len()) > limit {
            return Err(RestoreError::TooManyCalls { limit });
        }
        self.calls.fetch_add(restored.len(), Ordering::AcqRel);
        for id in ended {
            let map = &mut maps[self.shard_of(id)];
            self.remember_ended_in(map, id);
        }
        // In under the locks, still arriving (an input meanwhile gets
        // CallMoving); made ready once the other calls can go on again.
        let mut arriving = Vec::with_capacity(restored.len());
        for call in restored {
            let id = call.id().clone();
            let index = self.shard_of(&id);
            let slot = self.arriving(index, call);
            maps[index].calls.insert(slot.clone());
            arriving.push(slot);
        }
        drop(maps);
        for slot in &arriving {
            self.make_ready(slot);
        }
        Ok(())
    }
}
