//! Many calls, driven from many threads: one lock per call, a sharded call
//! map with an output queue per shard, and one ordered map of deadlines.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::call::{Call, CallView, CancelReceipt, CancelScope};
use crate::config::EngineConfig;
use crate::error::{EstablishError, InputIgnored, RequestError};
use crate::id::{CallId, OperationId};
use crate::io::{MediaInput, Output};
use crate::model::{CollectDigits, Operation, Request, ResultInfo};
use crate::snapshot::{CallSnapshot, EngineSnapshot, SnapshotError};
use crate::time::Instant;

thread_local! {
    static STAMPS: Cell<u64> = const { Cell::new(0) };
}

/// Stamps order output batches of different shards when they are drained
/// together. Counted per thread, not per engine: a shared counter was the
/// one line every thread fought over. From one thread the stamps give the
/// exact order things happened in; across threads only each call's order is
/// promised, and each shard's queue keeps it.
fn next_stamp() -> u64 {
    STAMPS.with(|stamps| {
        let stamp = stamps.get().wrapping_add(1);
        stamps.set(stamp);
        stamp
    })
}

/// Room each shard's output queue keeps after a drain.
const KEPT_OUTPUT_ROOM: usize = 16;

/// An output of one call, with when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineOutput {
    /// The call it belongs to.
    pub call: CallId,
    /// When it happened: the input's `now`, or a timer's own deadline.
    pub at: Instant,
    /// Its place among the call's outputs: 1, 2, 3, ... with no gaps
    /// (extension: total order, see [`Call::poll_sequenced`]).
    pub seq: u64,
    /// What happened.
    pub output: Output,
}

/// The calls of a bot: `Send + Sync`, driven from any number of threads.
///
/// Every input locks its own call only (after a short look-up in one shard
/// of the call map), so calls on different threads do not wait for each
/// other; outputs wait in a queue per shard, stamped so that
/// [`Engine::drain_outputs`] hands them over in the order they happened (per
/// call that order is exact). One ordered map of deadlines serves every
/// call: [`Engine::poll_timeout`] is the earliest of all, and
/// [`Engine::handle_timeout`] fires the due ones in deadline order (ties in
/// establishment order), each at its own deadline, at O(log n) per timer.
///
/// Drive it like a [`Call`]: feed `handle_*` inputs with `now`, drain
/// [`Engine::drain_outputs`], and call [`Engine::handle_timeout`] when
/// [`Engine::poll_timeout`] says so. An input only moves its own call's
/// clock: timers of other calls fire when `handle_timeout` is called.
///
/// A panic inside one call's processing (a bug) marks that call failed: its
/// later requests get [`RequestError::CallFailed`] (500); the engine and the
/// other calls go on. A call that ends is removed at once (its outputs are
/// already queued); its id is remembered so later requests get "terminated".
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    shards: Box<[Shard]>,
    hasher: std::collections::hash_map::RandomState,
    /// Every call's deadline, keyed by (deadline, establishment order).
    timers: Mutex<BTreeMap<(Instant, u64), Arc<Slot>>>,
    /// Establishment order, for timer ties.
    next_seq: AtomicU64,
    calls: AtomicUsize,
    last_now: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    calls: Mutex<CallMap>,
    /// Outputs of this shard's calls in the order they happened, each with
    /// its batch's stamp (see [`next_stamp`]).
    outputs: Mutex<VecDeque<(u64, EngineOutput)>>,
}

#[derive(Debug, Default)]
struct CallMap {
    calls: HashMap<CallId, Arc<Slot>>,
    /// Ids of calls that ended, oldest first (bounded).
    ended: VecDeque<CallId>,
}

#[derive(Debug)]
struct Slot {
    id: CallId,
    seq: u64,
    shard: usize,
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    /// `None` once a bug stopped the call.
    call: Option<Call>,
    /// The deadline this call has in the timer map.
    scheduled: Option<Instant>,
}

impl Engine {
    /// An engine with no calls.
    pub fn new(config: EngineConfig) -> Self {
        let shards = (0..config.shards.max(1))
            .map(|_| Shard::default())
            .collect();
        Self {
            config,
            shards,
            hasher: Default::default(),
            timers: Mutex::new(BTreeMap::new()),
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
        call.check()
            .map_err(|reason| EstablishError::InvalidCallId {
                id: call.clone(),
                reason,
            })?;
        let index = self.shard_index(call);
        let mut map = self.shards[index].calls.lock();
        if map.calls.contains_key(call) {
            return Err(EstablishError::AlreadyEstablished(call.clone()));
        }
        if map.ended.contains(call) {
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
        let slot = self.slot(index, new);
        // A new call has outputs only with `notify_established`.
        if let Some(new) = slot.state.lock().call.as_mut() {
            self.queue_outputs(&slot, new, now);
        }
        map.calls.insert(call.clone(), slot);
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
        self.serve(now, call, |c| c.handle_valid_request(now, request))
    }

    /// cancelMediaProcessing on `call`, with a receipt of what it ended
    /// (extension; see [`Call::cancel_with_receipt`]).
    pub fn cancel_with_receipt(
        &self,
        now: Instant,
        call: &CallId,
        request: Request,
    ) -> Result<CancelReceipt, RequestError> {
        self.cancel_scoped(now, call, request, CancelScope::All)
    }

    /// A cancel of only some operations of `call` (extension; see
    /// [`Call::cancel_scoped`]).
    pub fn cancel_scoped(
        &self,
        now: Instant,
        call: &CallId,
        request: Request,
        scope: CancelScope,
    ) -> Result<CancelReceipt, RequestError> {
        self.config.call.validate_cancel(&request)?;
        self.serve(now, call, |c| c.cancel_scoped_valid(now, request, scope))
    }

    /// Extension: queues a collect-digits operation on `call` (see
    /// [`Call::handle_collect_digits`]).
    pub fn handle_collect_digits(
        &self,
        now: Instant,
        call: &CallId,
        client_context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> Result<Operation, RequestError> {
        self.config
            .call
            .validate_collect_digits(client_context.as_deref(), &collect)?;
        self.serve(now, call, |c| {
            c.handle_valid_collect_digits(now, client_context, collect)
        })
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
        let slot = self.find_for_input(call)?;
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
        let slot = self.find_for_input(call)?;
        self.run(&slot, now, |c| c.handle_media(now, token, input))
            .unwrap_or_else(|| Err(InputIgnored::CallFailed(call.clone())))
    }

    /// Fires every timer due at or before `now`, across calls, in deadline
    /// order (ties in establishment order), each at its own deadline.
    /// Calling it early, or twice, does nothing.
    pub fn handle_timeout(&self, now: Instant) {
        self.clock(now);
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
                if state.scheduled != Some(at) {
                    continue;
                }
                state.scheduled = None;
            }
            self.run(&slot, at, |c| c.handle_timeout(at));
        }
    }

    /// Moves every waiting output into `out`, in the order things happened.
    /// Returns how many.
    pub fn drain_outputs(&self, out: &mut Vec<EngineOutput>) -> usize {
        let mut queues: Vec<VecDeque<(u64, EngineOutput)>> = Vec::new();
        for shard in self.shards.iter() {
            let mut outputs = shard.outputs.lock();
            if !outputs.is_empty() {
                queues.push(outputs.drain(..).collect());
                // Keep room for a usual burst; give back what a rare one took.
                outputs.shrink_to(KEPT_OUTPUT_ROOM);
            }
        }
        let n = queues.iter().map(VecDeque::len).sum();
        out.reserve(n);
        // Merge the shards' queues by stamp, each queue kept in its order:
        // a call's outputs stay in order whatever thread stamped them.
        let mut fronts: BinaryHeap<Reverse<(u64, usize)>> = queues
            .iter()
            .enumerate()
            .filter_map(|(i, queue)| Some(Reverse((queue.front()?.0, i))))
            .collect();
        while let Some(Reverse((_, i))) = fronts.pop() {
            if let Some((_, output)) = queues[i].pop_front() {
                out.push(output);
            }
            if let Some((stamp, _)) = queues[i].front() {
                fronts.push(Reverse((*stamp, i)));
            }
        }
        n
    }

    /// The next output of any call, in the order things happened.
    /// ([`Engine::drain_outputs`] takes them all at once, cheaper.)
    #[must_use]
    pub fn poll_output(&self) -> Option<EngineOutput> {
        let first = self
            .shards
            .iter()
            .enumerate()
            .filter_map(|(i, shard)| Some((shard.outputs.lock().front()?.0, i)))
            .min()?;
        self.shards[first.1]
            .outputs
            .lock()
            .pop_front()
            .map(|(_, output)| output)
    }

    /// When [`Engine::handle_timeout`] must be called next: the earliest
    /// deadline of all calls, never earlier than the latest `now` seen.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timers = self.timers.lock();
        let ((at, _), _) = timers.first_key_value()?;
        Some((*at).max(Instant::from_millis(self.last_now.load(Ordering::Acquire))))
    }

    /// An operation as `GET .../calls/{call}/operations/{id}` shows it.
    pub fn operation(&self, call: &CallId, id: OperationId) -> Result<Operation, RequestError> {
        let slot = self.find_for_request(call)?;
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
        self.shards
            .iter()
            .map(|shard| shard.outputs.lock().len())
            .sum()
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
        let slot = self.detach(call)?;
        let state = slot.state.lock();
        state.call.as_ref().map(Call::snapshot)
    }

    /// Adds a call from a snapshot, with this engine's call config; it goes
    /// on exactly where it was. A snapshot that does not fit is refused
    /// (see [`Call::restore`]) and stays the caller's.
    pub fn restore_call(&self, snapshot: &CallSnapshot) -> Result<CallId, SnapshotError> {
        let call = Call::restore(snapshot, self.config.call.clone())?;
        let id = call.id().clone();
        let index = self.shard_index(&id);
        let slot = {
            let mut map = self.shards[index].calls.lock();
            if map.calls.contains_key(&id) || map.ended.contains(&id) {
                return Err(SnapshotError::CallExists(id));
            }
            self.calls.fetch_add(1, Ordering::AcqRel);
            let slot = self.slot(index, call);
            map.calls.insert(id.clone(), slot.clone());
            slot
        };
        self.schedule(&slot, &mut slot.state.lock());
        Ok(id)
    }

    /// Every call (in establishment order) and the remembered ended ids.
    pub fn snapshot(&self) -> EngineSnapshot {
        let mut calls: Vec<(u64, CallSnapshot)> = Vec::new();
        let mut ended = Vec::new();
        for shard in self.shards.iter() {
            let slots: Vec<Arc<Slot>> = {
                let map = shard.calls.lock();
                ended.extend(map.ended.iter().cloned());
                map.calls.values().cloned().collect()
            };
            for slot in slots {
                if let Some(call) = &slot.state.lock().call {
                    calls.push((slot.seq, call.snapshot()));
                }
            }
        }
        calls.sort_by_key(|(seq, _)| *seq);
        EngineSnapshot::new(calls.into_iter().map(|(_, c)| c).collect(), ended)
    }

    /// Restores every call of a snapshot, in its order, and its ended ids.
    pub fn restore(&self, snapshot: &EngineSnapshot) -> Result<(), SnapshotError> {
        for id in snapshot.ended() {
            self.remember_ended(id);
        }
        for call in snapshot.calls() {
            self.restore_call(call)?;
        }
        Ok(())
    }

    fn shard_index(&self, call: &CallId) -> usize {
        // The modulo keeps the index in range whatever the hash.
        (self.hasher.hash_one(call) % self.shards.len() as u64) as usize
    }

    fn shard_output_limit(&self) -> usize {
        self.config
            .max_pending_outputs
            .div_ceil(self.shards.len())
            .max(1)
    }

    fn slot(&self, shard: usize, call: Call) -> Arc<Slot> {
        Arc::new(Slot {
            id: call.id().clone(),
            seq: self.next_seq.fetch_add(1, Ordering::AcqRel),
            shard,
            state: Mutex::new(SlotState {
                call: Some(call),
                scheduled: None,
            }),
        })
    }

    /// The call's slot; `Err(true)` when it ended, `Err(false)` when unknown.
    fn find(&self, call: &CallId) -> Result<Arc<Slot>, bool> {
        let map = self.shards[self.shard_index(call)].calls.lock();
        match map.calls.get(call) {
            Some(slot) => Ok(slot.clone()),
            None => Err(map.ended.contains(call)),
        }
    }

    /// Serves a request that passed validation: the call must exist and its
    /// shard must have room for outputs, then `request` runs on it.
    fn serve<T>(
        &self,
        now: Instant,
        call: &CallId,
        request: impl FnOnce(&mut Call) -> Result<T, RequestError>,
    ) -> Result<T, RequestError> {
        self.clock(now);
        let slot = self.find_for_request(call)?;
        let pending = self.shards[slot.shard].outputs.lock().len();
        let limit = self.shard_output_limit();
        if pending >= limit {
            return Err(RequestError::OutputsBacklogged { pending, limit });
        }
        self.run(&slot, now, request)
            .unwrap_or_else(|| Err(RequestError::CallFailed(call.clone())))
    }

    fn find_for_request(&self, call: &CallId) -> Result<Arc<Slot>, RequestError> {
        self.find(call).map_err(|ended| match ended {
            true => RequestError::CallTerminated(call.clone()),
            false => RequestError::CallNotFound(call.clone()),
        })
    }

    fn find_for_input(&self, call: &CallId) -> Result<Arc<Slot>, InputIgnored> {
        self.find(call).map_err(|ended| match ended {
            true => InputIgnored::CallTerminated(call.clone()),
            false => InputIgnored::UnknownCall(call.clone()),
        })
    }

    fn clock(&self, now: Instant) {
        // Read first: the common case (time already seen) writes nothing, so
        // threads do not fight over this line.
        let now = now.as_millis();
        let mut seen = self.last_now.load(Ordering::Acquire);
        while now > seen {
            match self.last_now.compare_exchange_weak(
                seen,
                now,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(current) => seen = current,
            }
        }
    }

    /// Runs one input on one call under its lock: first the call's timers
    /// due before `at` (their outputs carry their own deadlines), then the
    /// input, its outputs into its shard's queue, its deadline into the map.
    /// `None` when the call failed (now or before).
    fn run<T>(
        &self,
        slot: &Arc<Slot>,
        at: Instant,
        input: impl FnOnce(&mut Call) -> T,
    ) -> Option<T> {
        let mut state = slot.state.lock();
        let call = state.call.as_mut()?;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            // Each firing ends a recording, so this ends.
            while let Some(deadline) = call.poll_timeout().filter(|d| *d < at) {
                call.handle_timeout(deadline);
                self.queue_outputs(slot, call, deadline);
            }
            let result = input(call);
            self.queue_outputs(slot, call, at);
            result
        }));
        match outcome {
            Ok(result) => {
                self.schedule(slot, &mut state);
                Some(result)
            }
            Err(_) => {
                // The call may be half-changed: drop it, keep the others.
                state.call = None;
                self.unschedule(slot, &mut state);
                None
            }
        }
    }

    /// Moves a call's outputs into its shard's queue, as one stamped batch.
    fn queue_outputs(&self, slot: &Slot, call: &mut Call, at: Instant) {
        if call.pending_outputs() == 0 {
            return;
        }
        let stamp = next_stamp();
        let mut outputs = self.shards[slot.shard].outputs.lock();
        while let Some((seq, output)) = call.poll_sequenced() {
            let output = EngineOutput {
                call: slot.id.clone(),
                at,
                seq,
                output,
            };
            outputs.push_back((stamp, output));
        }
    }

    /// Moves the call's entry in the deadline map to its current deadline.
    fn schedule(&self, slot: &Arc<Slot>, state: &mut SlotState) {
        let deadline = state.call.as_ref().and_then(Call::poll_timeout);
        if deadline == state.scheduled {
            return;
        }
        let mut timers = self.timers.lock();
        if let Some(old) = state.scheduled {
            timers.remove(&(old, slot.seq));
        }
        if let Some(new) = deadline {
            timers.insert((new, slot.seq), slot.clone());
        }
        state.scheduled = deadline;
    }

    fn unschedule(&self, slot: &Slot, state: &mut SlotState) {
        if let Some(old) = state.scheduled.take() {
            self.timers.lock().remove(&(old, slot.seq));
        }
    }

    /// Removes an ended call; its id is remembered.
    fn remove(&self, call: &CallId) {
        self.detach(call);
        self.remember_ended(call);
    }

    /// Takes a call out of the map and the deadlines. The shard's map
    /// shrinks when mostly empty, so memory goes back.
    fn detach(&self, call: &CallId) -> Option<Arc<Slot>> {
        let slot = {
            let mut map = self.shards[self.shard_index(call)].calls.lock();
            let slot = map.calls.remove(call)?;
            if map.calls.capacity() > 64 && map.calls.len() < map.calls.capacity() / 4 {
                map.calls.shrink_to_fit();
            }
            slot
        };
        self.calls.fetch_sub(1, Ordering::AcqRel);
        self.unschedule(&slot, &mut slot.state.lock());
        Some(slot)
    }

    fn remember_ended(&self, call: &CallId) {
        let per_shard = self
            .config
            .remembered_ended_calls
            .div_ceil(self.shards.len());
        if per_shard == 0 {
            return;
        }
        let mut map = self.shards[self.shard_index(call)].calls.lock();
        while map.ended.len() >= per_shard {
            map.ended.pop_front();
        }
        map.ended.push_back(call.clone());
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
