//! Many calls, driven from many threads: one lock per call, a sharded call
//! map, one deadline heap and one output queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::call::{Call, CallView};
use crate::config::EngineConfig;
use crate::error::{EstablishError, InputIgnored, RequestError};
use crate::id::{CallId, OperationId};
use crate::io::{MediaInput, Output};
use crate::model::{Operation, Request, ResultInfo};
use crate::snapshot::{CallSnapshot, EngineSnapshot, SnapshotError};
use crate::time::Instant;

/// Room the output queue keeps after a drain.
const KEPT_OUTPUT_ROOM: usize = 1024;

/// An output of one call, with when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineOutput {
    /// The call it belongs to.
    pub call: CallId,
    /// When it happened: the input's `now`, or a timer's own deadline.
    pub at: Instant,
    /// What happened.
    pub output: Output,
}

/// The calls of a bot: `Send + Sync`, driven from any number of threads.
///
/// Every input locks its own call only (after a short look-up in one shard
/// of the call map), so calls on different threads do not wait for each
/// other. One deadline heap serves every call: [`Engine::poll_timeout`] is
/// the earliest deadline of all, and [`Engine::handle_timeout`] fires the
/// due ones in deadline order (ties in establishment order), each at its
/// own deadline, at O(log n) per timer. Outputs of every call wait in one
/// queue, each tagged with its call, in the order they happened; per call
/// that order is exact.
///
/// Drive it like a [`Call`]: feed `handle_*` inputs with `now`, drain
/// [`Engine::drain_outputs`] (or [`Engine::poll_output`]), and call
/// [`Engine::handle_timeout`] when [`Engine::poll_timeout`] says so. An
/// input only moves its own call's clock: timers of other calls fire when
/// `handle_timeout` is called.
///
/// A panic inside one call's processing (a bug) marks that call failed: its
/// later requests get [`RequestError::CallFailed`] (500); the engine and the
/// other calls go on. A call that ends is removed at once (its outputs are
/// already queued); its id is remembered so later requests get "terminated".
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    timers: Mutex<Timers>,
    outputs: Mutex<VecDeque<EngineOutput>>,
    /// Establishment order, for timer ties.
    next_seq: AtomicU64,
    calls: AtomicUsize,
    last_now: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    calls: HashMap<CallId, Arc<Slot>>,
    /// Ids of calls that ended, oldest first (bounded).
    ended: VecDeque<CallId>,
}

#[derive(Debug)]
struct Slot {
    id: CallId,
    seq: u64,
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    /// `None` once a bug stopped the call.
    call: Option<Call>,
    /// The deadline this call has in the heap.
    scheduled: Option<Instant>,
}

/// Deadlines of every call. Entries go stale when a call's deadline moves
/// or the call goes; they are skipped when popped, and the heap is rebuilt
/// when they outnumber the live ones, so it stays within about twice the
/// number of calls with a timer.
#[derive(Debug, Default)]
struct Timers {
    heap: BinaryHeap<Reverse<Deadline>>,
    live: usize,
}

/// One call's deadline; ordered by time, then establishment.
#[derive(Debug)]
struct Deadline {
    at: Instant,
    seq: u64,
    slot: Weak<Slot>,
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Deadline {}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl Engine {
    /// An engine with no calls.
    pub fn new(config: EngineConfig) -> Self {
        let shards = (0..config.shards.max(1))
            .map(|_| Mutex::new(Shard::default()))
            .collect();
        Self {
            config,
            shards,
            hasher: Default::default(),
            timers: Mutex::new(Timers::default()),
            outputs: Mutex::new(VecDeque::new()),
            next_seq: AtomicU64::new(0),
            calls: AtomicUsize::new(0),
            last_now: AtomicU64::new(0),
        }
    }

    /// The media layer reports a call established: from now on it takes
    /// requests.
    pub fn handle_call_established(
        &self,
        now: Instant,
        call: &CallId,
    ) -> Result<(), EstablishError> {
        self.clock(now);
        let mut shard = self.shard(call).lock();
        if shard.calls.contains_key(call) {
            return Err(EstablishError::AlreadyEstablished(call.clone()));
        }
        if shard.ended.contains(call) {
            return Err(EstablishError::CallTerminated(call.clone()));
        }
        let limit = self.config.max_calls;
        if self
            .calls
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_err()
        {
            return Err(EstablishError::TooManyCalls { limit });
        }
        let ids = self.config.ids.for_call(call);
        let new = Call::new(call.clone(), self.config.call.clone(), ids, now);
        shard.calls.insert(call.clone(), self.slot(call, new));
        Ok(())
    }

    /// A bot request on `call`. Checked in Graph's order: the body first,
    /// then the call, then the queue's room.
    pub fn handle_request(
        &self,
        now: Instant,
        call: &CallId,
        request: Request,
    ) -> Result<Operation, RequestError> {
        self.config.call.validate(&request)?;
        self.clock(now);
        let pending = self.outputs.lock().len();
        let slot = self.find(call).map_err(|ended| match ended {
            true => RequestError::CallTerminated(call.clone()),
            false => RequestError::CallNotFound(call.clone()),
        })?;
        if pending >= self.config.max_pending_outputs {
            return Err(RequestError::OutputsBacklogged {
                pending,
                limit: self.config.max_pending_outputs,
            });
        }
        self.run(&slot, now, |c| c.handle_valid_request(now, request))
            .unwrap_or_else(|| Err(RequestError::CallFailed(call.clone())))
    }

    /// The bot deletes the call (`DELETE /communications/calls/{id}`).
    pub fn handle_delete(&self, now: Instant, call: &CallId) -> Result<(), RequestError> {
        self.handle_call_terminated(now, call, ResultInfo::conversation_ended())
            .map_err(|ignored| match ignored {
                InputIgnored::CallTerminated(id) => RequestError::CallTerminated(id),
                InputIgnored::CallFailed(id) => RequestError::CallFailed(id),
                _ => RequestError::CallNotFound(call.clone()),
            })
    }

    /// The call ended (the caller hung up, or the network dropped it). It is
    /// removed once its last outputs are queued.
    pub fn handle_call_terminated(
        &self,
        now: Instant,
        call: &CallId,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        self.clock(now);
        let slot = self.find(call).map_err(|ended| match ended {
            true => InputIgnored::CallTerminated(call.clone()),
            false => InputIgnored::UnknownCall(call.clone()),
        })?;
        let outcome = self.run(&slot, now, |c| c.handle_terminated(now, result));
        // Ended or failed: either way the call is done.
        self.remove(call);
        outcome.unwrap_or_else(|| Err(InputIgnored::CallFailed(call.clone())))
    }

    /// A media-layer input for `call` (see [`Call::handle_media`]).
    pub fn handle_media(
        &self,
        now: Instant,
        call: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        self.clock(now);
        let slot = self.find(call).map_err(|ended| match ended {
            true => InputIgnored::CallTerminated(call.clone()),
            false => InputIgnored::UnknownCall(call.clone()),
        })?;
        self.run(&slot, now, |c| c.handle_media(now, token, input))
            .unwrap_or_else(|| Err(InputIgnored::CallFailed(call.clone())))
    }

    /// Fires every timer due at or before `now`, across calls, in deadline
    /// order (ties in establishment order), each at its own deadline.
    /// Calling it early, or twice, does nothing.
    pub fn handle_timeout(&self, now: Instant) {
        self.clock(now);
        loop {
            let entry = {
                let mut timers = self.timers.lock();
                match timers.heap.peek() {
                    Some(Reverse(next)) if next.at <= now => timers.heap.pop(),
                    _ => None,
                }
            };
            let Some(Reverse(Deadline { at, slot, .. })) = entry else {
                return;
            };
            let Some(slot) = slot.upgrade() else { continue };
            // A stale entry (the deadline moved) is skipped; the live one is
            // in the heap too.
            if slot.state.lock().scheduled != Some(at) {
                continue;
            }
            self.run(&slot, at, |c| c.handle_timeout(at));
        }
    }

    /// The next output of any call, in the order things happened.
    #[must_use]
    pub fn poll_output(&self) -> Option<EngineOutput> {
        self.outputs.lock().pop_front()
    }

    /// Moves every waiting output into `out`, in the order things happened.
    /// Returns how many. The queue keeps room for a usual burst and gives
    /// back what a rare one took.
    pub fn drain_outputs(&self, out: &mut Vec<EngineOutput>) -> usize {
        let mut outputs = self.outputs.lock();
        let n = outputs.len();
        out.extend(outputs.drain(..));
        outputs.shrink_to(KEPT_OUTPUT_ROOM);
        n
    }

    /// When [`Engine::handle_timeout`] must be called next: the earliest
    /// deadline of all calls, never earlier than the latest `now` seen.
    /// (It may be a deadline that has since moved; calling
    /// `handle_timeout` then does nothing but drop it.)
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timers = self.timers.lock();
        let Reverse(next) = timers.heap.peek()?;
        Some(
            next.at
                .max(Instant::from_millis(self.last_now.load(Ordering::Acquire))),
        )
    }

    /// An operation as `GET .../calls/{call}/operations/{id}` shows it.
    pub fn operation(&self, call: &CallId, id: OperationId) -> Result<Operation, RequestError> {
        let slot = self.find(call).map_err(|ended| match ended {
            true => RequestError::CallTerminated(call.clone()),
            false => RequestError::CallNotFound(call.clone()),
        })?;
        let state = slot.state.lock();
        let found = state
            .call
            .as_ref()
            .ok_or_else(|| RequestError::CallFailed(call.clone()))?;
        found
            .operation(id)
            .ok_or_else(|| RequestError::OperationNotFound {
                call: call.clone(),
                operation: id,
            })
    }

    /// A read-only picture of a call.
    pub fn view(&self, call: &CallId) -> Option<CallView> {
        let slot = self.find(call).ok()?;
        let state = slot.state.lock();
        state.call.as_ref().map(Call::view)
    }

    /// The number of calls held.
    pub fn call_count(&self) -> usize {
        self.calls.load(Ordering::Acquire)
    }

    /// Outputs waiting to be drained.
    pub fn pending_outputs(&self) -> usize {
        self.outputs.lock().len()
    }

    /// A call's whole state, to restore elsewhere; the call stays here.
    pub fn snapshot_call(&self, call: &CallId) -> Option<CallSnapshot> {
        let slot = self.find(call).ok()?;
        let state = slot.state.lock();
        state.call.as_ref().map(Call::snapshot)
    }

    /// Takes a call out of this engine (to move it to another): its
    /// snapshot, and it is gone from here, its id not remembered.
    pub fn take_call(&self, call: &CallId) -> Option<CallSnapshot> {
        let slot = {
            let mut shard = self.shard(call).lock();
            shard.calls.remove(call)?
        };
        self.calls.fetch_sub(1, Ordering::AcqRel);
        let mut state = slot.state.lock();
        if state.scheduled.take().is_some() {
            self.timers.lock().live -= 1;
        }
        state.call.as_ref().map(Call::snapshot)
    }

    /// Adds a call from a snapshot; it goes on exactly where it was.
    pub fn restore_call(&self, snapshot: CallSnapshot) -> Result<CallId, SnapshotError> {
        let call = Call::restore(snapshot);
        let id = call.id().clone();
        {
            let mut shard = self.shard(&id).lock();
            if shard.calls.contains_key(&id) || shard.ended.contains(&id) {
                return Err(SnapshotError::CallExists(id));
            }
            self.calls.fetch_add(1, Ordering::AcqRel);
            shard.calls.insert(id.clone(), self.slot(&id, call));
        }
        let slot = self
            .find(&id)
            .map_err(|_| SnapshotError::CallExists(id.clone()))?;
        self.schedule(&slot, &mut slot.state.lock());
        Ok(id)
    }

    /// Every call (in establishment order) and the remembered ended ids.
    pub fn snapshot(&self) -> EngineSnapshot {
        let mut calls: Vec<(u64, CallSnapshot)> = Vec::new();
        let mut ended = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock();
            ended.extend(shard.ended.iter().cloned());
            for slot in shard.calls.values() {
                if let Some(call) = &slot.state.lock().call {
                    calls.push((slot.seq, call.snapshot()));
                }
            }
        }
        calls.sort_by_key(|(seq, _)| *seq);
        EngineSnapshot::V1 {
            calls: calls.into_iter().map(|(_, c)| c).collect(),
            ended,
        }
    }

    /// Restores every call of a snapshot, in its order, and its ended ids.
    pub fn restore(&self, snapshot: EngineSnapshot) -> Result<(), SnapshotError> {
        let EngineSnapshot::V1 { calls, ended } = snapshot;
        for id in ended {
            self.remember_ended(&id);
        }
        for call in calls {
            self.restore_call(call)?;
        }
        Ok(())
    }

    fn shard(&self, call: &CallId) -> &Mutex<Shard> {
        // The modulo keeps the index in range whatever the hash.
        &self.shards[(self.hasher.hash_one(call) % self.shards.len() as u64) as usize]
    }

    fn slot(&self, id: &CallId, call: Call) -> Arc<Slot> {
        Arc::new(Slot {
            id: id.clone(),
            seq: self.next_seq.fetch_add(1, Ordering::AcqRel),
            state: Mutex::new(SlotState {
                call: Some(call),
                scheduled: None,
            }),
        })
    }

    /// The call's slot; `Err(true)` when it ended, `Err(false)` when unknown.
    fn find(&self, call: &CallId) -> Result<Arc<Slot>, bool> {
        let shard = self.shard(call).lock();
        match shard.calls.get(call) {
            Some(slot) => Ok(slot.clone()),
            None => Err(shard.ended.contains(call)),
        }
    }

    fn clock(&self, now: Instant) {
        self.last_now.fetch_max(now.as_millis(), Ordering::AcqRel);
    }

    /// Runs one input on one call under its lock: the input, then its
    /// outputs into the queue, then its deadline into the heap. `None` when
    /// the call failed (now or before).
    fn run<T>(
        &self,
        slot: &Arc<Slot>,
        at: Instant,
        input: impl FnOnce(&mut Call) -> T,
    ) -> Option<T> {
        let mut state = slot.state.lock();
        let call = state.call.as_mut()?;
        match panic::catch_unwind(AssertUnwindSafe(|| input(call))) {
            Ok(result) => {
                let mut outputs = self.outputs.lock();
                while let Some(output) = call.poll_output() {
                    outputs.push_back(EngineOutput {
                        call: slot.id.clone(),
                        at,
                        output,
                    });
                }
                drop(outputs);
                self.schedule(slot, &mut state);
                Some(result)
            }
            Err(_) => {
                // The call may be half-changed: drop it, keep the others.
                state.call = None;
                if state.scheduled.take().is_some() {
                    self.timers.lock().live -= 1;
                }
                None
            }
        }
    }

    /// Puts the call's deadline into the heap if it moved.
    fn schedule(&self, slot: &Arc<Slot>, state: &mut SlotState) {
        let deadline = state.call.as_ref().and_then(Call::poll_timeout);
        if deadline == state.scheduled {
            return;
        }
        let mut timers = self.timers.lock();
        match (state.scheduled.is_some(), deadline.is_some()) {
            (false, true) => timers.live += 1,
            (true, false) => timers.live -= 1,
            _ => {}
        }
        state.scheduled = deadline;
        if let Some(at) = deadline {
            timers.heap.push(Reverse(Deadline {
                at,
                seq: slot.seq,
                slot: Arc::downgrade(slot),
            }));
        }
        if timers.heap.len() > 2 * timers.live + 64 {
            timers.compact(slot, deadline);
        }
    }

    /// Removes an ended call; its id is remembered. Memory goes back: the
    /// shard's map shrinks when mostly empty, and stale deadlines (which
    /// keep a removed call's allocation) are swept when they pile up.
    fn remove(&self, call: &CallId) {
        let removed = {
            let mut shard = self.shard(call).lock();
            let removed = shard.calls.remove(call);
            if shard.calls.capacity() > 64 && shard.calls.len() < shard.calls.capacity() / 4 {
                shard.calls.shrink_to_fit();
            }
            removed
        };
        if let Some(slot) = removed {
            self.calls.fetch_sub(1, Ordering::AcqRel);
            let mut state = slot.state.lock();
            let mut timers = self.timers.lock();
            if state.scheduled.take().is_some() {
                timers.live -= 1;
            }
            if timers.heap.len() > 2 * timers.live + 64 {
                timers.compact(&slot, None);
            }
        }
        self.remember_ended(call);
    }

    fn remember_ended(&self, call: &CallId) {
        let per_shard = self
            .config
            .remembered_ended_calls
            .div_ceil(self.shards.len());
        let mut shard = self.shard(call).lock();
        if per_shard == 0 {
            return;
        }
        while shard.ended.len() >= per_shard {
            shard.ended.pop_front();
        }
        shard.ended.push_back(call.clone());
    }
}

impl Timers {
    /// Drops stale entries: calls gone, or whose deadline moved. `current`
    /// is the call whose lock the caller holds, with its `deadline`; other
    /// calls are only tried, and kept when busy.
    fn compact(&mut self, current: &Arc<Slot>, deadline: Option<Instant>) {
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries
            .into_iter()
            .filter(|Reverse(entry)| {
                let Some(slot) = entry.slot.upgrade() else {
                    return false;
                };
                if Arc::ptr_eq(&slot, current) {
                    return deadline == Some(entry.at);
                }
                slot.state
                    .try_lock()
                    .is_none_or(|state| state.scheduled == Some(entry.at))
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Notification;
    use crate::model::{Action, ApiVersion};

    #[test]
    fn a_panicking_call_fails_alone() {
        let engine = Engine::new(EngineConfig::default());
        let (a, b) = (CallId::new("a"), CallId::new("b"));
        engine.handle_call_established(Instant::ZERO, &a).unwrap();
        engine.handle_call_established(Instant::ZERO, &b).unwrap();
        let slot = engine.find(&a).unwrap();
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let outcome = engine.run(&slot, Instant::ZERO, |_| panic!("a bug in the call"));
        panic::set_hook(hook);
        assert!(outcome.is_none());

        let subscribe = || Request::new(ApiVersion::V1, Action::SubscribeToTone);
        assert_eq!(
            engine.handle_request(Instant::ZERO, &a, subscribe()),
            Err(RequestError::CallFailed(a.clone()))
        );
        assert!(
            engine
                .handle_request(Instant::ZERO, &b, subscribe())
                .is_ok()
        );
        engine
            .handle_media(
                Instant::ZERO,
                &b,
                None,
                MediaInput::Tone(crate::Tone::Pound),
            )
            .unwrap();
        assert!(matches!(
            engine.poll_output().map(|o| o.output),
            Some(Output::Notification(Notification::Tone {
                sequence_id: 1,
                ..
            }))
        ));
        // Deleting the failed call frees it.
        assert_eq!(
            engine.handle_delete(Instant::ZERO, &a),
            Err(RequestError::CallFailed(a.clone()))
        );
        assert_eq!(engine.call_count(), 1);
    }
}
