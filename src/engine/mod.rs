//! Many calls, driven from many threads: one lock per call, and a sharded
//! call map with an output queue and an ordered map of deadlines per shard.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::call::{Call, CallView, CancelReceipt, CancelScope};
use crate::config::EngineConfig;
use crate::error::{ConfigError, EstablishError, InputIgnored, RequestError};
use crate::id::{CallId, OperationId, fnv1a};
use crate::io::{MediaInput, Output};
use crate::model::{CollectDigits, Operation, Request, ResultInfo};
use crate::thin_deque::ThinDeque;
use crate::time::Instant;

mod handle;
mod map;
mod moves;
mod outputs;
mod slot;
mod timers;

pub use handle::CallHandle;
use map::CallMap;
pub use moves::CallMove;
use slot::{Gone, Held, Room, Slot, SlotState, Unavailable};

thread_local! {
    /// The output buffer lent to whichever call runs on this thread: calls
    /// at rest hold none (their outputs move to the shard queues after every
    /// input), and a warm one here keeps inputs such as a cancel from
    /// allocating.
    static OUTPUT_BUFFER: Cell<ThinDeque<Output>> = const { Cell::new(ThinDeque::new()) };
}

/// Room the output buffer lent to a thread's inputs keeps (a cancel of a
/// default queue of 100 emits 101 outputs).
const KEPT_INPUT_BUFFER_ROOM: usize = 128;

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
/// call that order is exact). Each shard keeps its calls' deadlines in an
/// ordered map: [`Engine::poll_timeout`] is the earliest of all, and
/// [`Engine::handle_timeout`] fires the due ones in deadline order across
/// shards (ties in establishment order), each at its own deadline: per
/// timer, one lock and O(log n) in its shard's map, and a read of every
/// shard's first deadline (two atomics a shard; `poll_timeout` reads one).
///
/// Threads that each take the inputs of the calls in their own shards
/// ([`Engine::shard_of`]) and drain only those shards
/// ([`Engine::drain_shard_outputs`]) share no call map, output queue or
/// deadline map: two of them ran as fast as two independent loops. They
/// still share a few engine-wide counters, the word of bits that marks
/// shards with outputs (64 shards a word), and whichever thread calls
/// [`Engine::handle_timeout`] fires the due timers of every shard.
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
///
/// # Undrained outputs
/// Outputs wait in the shards' queues until drained. When a shard holds its
/// share of [`EngineConfig::max_pending_outputs`], it takes nothing that
/// could add more: requests get [`RequestError::OutputsBacklogged`] (503),
/// media inputs [`InputIgnored::OutputsBacklogged`], new and restored calls
/// [`EstablishError::OutputsBacklogged`] and [`RestoreError::OutputsBacklogged`](crate::RestoreError::OutputsBacklogged),
/// and none of them changes anything (send them again after draining).
/// Timers and call ends still run: they only end operations the calls
/// already hold, so a shard holds at most its share plus, per call, a few
/// outputs per queued operation (see [`Engine::pending_outputs_bound`]).
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    shards: Box<[CachePadded<Shard>]>,
    /// Each shard's share of [`EngineConfig::max_pending_outputs`]
    /// (rounded up, at least 1), worked out once: every input checks it.
    shard_output_limit: usize,
    /// One bit per shard, set when its output queue stops being empty: a
    /// drain visits those shards only (see [`Engine::drain_outputs`]).
    /// Each word alone on its lines, wherever the heap puts it.
    waiting: Box<[CachePadded<AtomicU64>]>,
    /// Establishment order, for timer ties.
    next_seq: AtomicU64,
    calls: AtomicUsize,
    last_now: AtomicU64,
    /// Which engine this is, for the handles it gives (see [`CallHandle`]).
    identity: u64,
}

/// Engines made so far in this process: each takes the next number as its
/// identity, so a handle knows the engine that made it.
static ENGINES: AtomicU64 = AtomicU64::new(0);

/// A shard's deadlines: (deadline, establishment order) to the call's slot.
type Deadlines = BTreeMap<(Instant, u64), Arc<Slot>>;

/// A value alone on its cache lines (128 bytes: two lines, as the
/// adjacent-line prefetcher pairs them): a lock that one thread takes does
/// not evict what another thread reads or locks beside it.
#[derive(Debug, Default)]
#[repr(align(128))]
struct CachePadded<T>(T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[derive(Debug)]
struct Shard {
    calls: Mutex<CallMap>,
    /// Outputs of this shard's calls in the order they happened, each with
    /// its batch's stamp (see [`next_stamp`]).
    outputs: Mutex<VecDeque<(u64, EngineOutput)>>,
    /// `outputs`' length, stored under its lock after each change: the
    /// room check before an input reads it without taking the lock.
    pending: AtomicUsize,
    /// This shard's calls' deadlines, keyed by (deadline, establishment
    /// order): a map per shard, so that threads whose calls are in
    /// different shards share no lock when a deadline moves.
    timers: Mutex<Deadlines>,
    /// The first key in `timers`: its deadline in milliseconds
    /// ([`NO_DEADLINE`] if none) and its call's establishment order, both
    /// stored under the map's lock after each change, so that the first of
    /// all shards is found without taking their locks.
    earliest: AtomicU64,
    earliest_seq: AtomicU64,
}

/// [`Shard::earliest`] of a shard without deadlines.
const NO_DEADLINE: u64 = u64::MAX;

impl Shard {
    fn new() -> Self {
        Self {
            calls: Mutex::default(),
            outputs: Mutex::default(),
            pending: AtomicUsize::new(0),
            timers: Mutex::default(),
            earliest: AtomicU64::new(NO_DEADLINE),
            earliest_seq: AtomicU64::new(0),
        }
    }
}

impl Engine {
    /// An engine with no calls, or the first setting outside its range.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let shards = (0..config.shards)
            .map(|_| CachePadded(Shard::new()))
            .collect();
        let waiting = (0..config.shards.div_ceil(64))
            .map(|_| CachePadded::default())
            .collect();
        let shard_output_limit = config.max_pending_outputs.div_ceil(config.shards).max(1);
        Ok(Self {
            config,
            shards,
            shard_output_limit,
            waiting,
            next_seq: AtomicU64::new(0),
            calls: AtomicUsize::new(0),
            last_now: AtomicU64::new(0),
            identity: ENGINES.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// The media layer reports a call established: from now on it takes
    /// requests.
    pub fn handle_call_established(
        &self,
        now: Instant,
        call: &CallId,
    ) -> Result<(), EstablishError> {
        let now = self.clock(now);
        call.check()
            .map_err(|reason| EstablishError::InvalidCallId {
                id: call.clone(),
                reason,
            })?;
        let index = self.shard_of(call);
        let mut map = self.shards[index].calls.lock();
        if map.calls.contains(call) {
            return Err(EstablishError::AlreadyEstablished(call.clone()));
        }
        if map.ended.contains(call) {
            return Err(EstablishError::CallTerminated(call.clone()));
        }
        // A new call could add outputs (its end, at least): none while the
        // shard is backlogged.
        self.shard_room(index, 0)
            .map_err(|(pending, limit)| EstablishError::OutputsBacklogged { pending, limit })?;
        self.count_call()
            .map_err(|limit| EstablishError::TooManyCalls { limit })?;
        let ids = self.config.ids.for_call(call);
        let new = Call::with_checked_config(call.clone(), self.config.call.clone(), ids, now);
        let slot = self.arriving(index, new);
        self.make_ready(&slot);
        map.calls.insert(slot);
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
        let request = self.config.call.check_request(request)?;
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
        let request = self.config.call.check_cancel(request)?;
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
        let checked = self
            .config
            .call
            .check_collect_digits(client_context, collect)?;
        self.serve(now, call, |c| c.handle_valid_collect_digits(now, checked))
    }

    /// The bot deletes the call (`DELETE /communications/calls/{id}`).
    pub fn handle_delete(&self, now: Instant, call: &CallId) -> Result<(), RequestError> {
        self.handle_call_terminated(now, call, ResultInfo::conversation_ended())
            .map_err(|ignored| match ignored {
                InputIgnored::CallTerminated(id) => RequestError::CallTerminated(id),
                InputIgnored::CallFailed(id) => RequestError::CallFailed(id),
                InputIgnored::CallMoving(id) => RequestError::CallMoving(id),
                _ => RequestError::CallNotFound(call.clone()),
            })
    }

    /// The call ended (the caller hung up, or the network dropped it). It is
    /// removed once its last outputs are queued. Of two hang-ups that race,
    /// one ends the call and the other gets
    /// [`InputIgnored::CallTerminated`]; neither touches a call established
    /// afterwards under the same id.
    pub fn handle_call_terminated(
        &self,
        now: Instant,
        call: &CallId,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        let now = self.clock(now);
        let slot = self.find_for_input(call)?;
        self.terminated_on(now, &slot, result)
    }

    /// The call in `slot` ended, at a `now` already noted.
    fn terminated_on(
        &self,
        now: Instant,
        slot: &Arc<Slot>,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        match self.run(slot, now, Room::Exempt, |c| {
            c.handle_terminated(now, result)
        }) {
            Ok(ended) => {
                // Only the input that ended the call removes it; a second
                // hang-up finds it terminated and leaves it to the first.
                if ended.is_ok() {
                    self.retire(slot, Gone::Ended);
                }
                ended
            }
            Err(Unavailable::Failed) => {
                // A failed call is done: the hang-up frees it.
                self.retire(slot, Gone::Ended);
                Err(InputIgnored::CallFailed(slot.id.clone()))
            }
            Err(unavailable) => Err(unavailable.input_ignored(&slot.id)),
        }
    }

    /// A media-layer input for `call` (see [`Call::handle_media`]).
    pub fn handle_media(
        &self,
        now: Instant,
        call: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        let now = self.clock(now);
        let slot = self.find_for_input(call)?;
        self.media_on(now, &slot, token, input)
    }

    /// A media input on the call in `slot`, at a `now` already noted.
    fn media_on(
        &self,
        now: Instant,
        slot: &Arc<Slot>,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        self.run(slot, now, Room::Needed, |c| {
            c.handle_media(now, token, input)
        })
        .unwrap_or_else(|unavailable| Err(unavailable.input_ignored(&slot.id)))
    }

    /// An operation as `GET .../calls/{call}/operations/{id}` shows it.
    pub fn operation(&self, call: &CallId, id: OperationId) -> Result<Operation, RequestError> {
        let slot = self.find_for_request(call)?;
        let mut state = slot.state.lock();
        let found = state
            .held
            .live()
            .map_err(|unavailable| unavailable.request_error(call))?;
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
        state.held.call().map(Call::view)
    }

    /// The shard a call with this id lives in (or would): `0` to
    /// [`Engine::shard_count`]` - 1`, the same for the engine's whole life.
    /// Threads that each own a set of shards, and drain only theirs with
    /// [`Engine::drain_shard_outputs`], share no output queue.
    ///
    /// It comes from a hash that is the same in every run and build, so
    /// that replays stay byte-identical (which ended ids a shard forgets
    /// depends on it); each shard's own map keeps a random hasher against
    /// collisions.
    pub fn shard_of(&self, call: &CallId) -> usize {
        // The modulo keeps the index in range whatever the hash.
        (fnv1a(call.as_str().as_bytes()) % self.shards.len() as u64) as usize
    }

    /// How many shards the engine has ([`EngineConfig::shards`](crate::EngineConfig::shards)).
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The number of calls held.
    pub fn call_count(&self) -> usize {
        self.calls.load(Ordering::Acquire)
    }

    /// Serves a request that passed validation: the call must exist and its
    /// shard must have room for outputs, then `request` runs on it.
    fn serve<T>(
        &self,
        now: Instant,
        call: &CallId,
        request: impl FnOnce(&mut Call) -> Result<T, RequestError>,
    ) -> Result<T, RequestError> {
        let now = self.clock(now);
        let slot = self.find_for_request(call)?;
        self.serve_slot(now, &slot, request)
    }

    /// [`Engine::serve`] on the call in `slot`, at a `now` already noted.
    fn serve_slot<T>(
        &self,
        now: Instant,
        slot: &Arc<Slot>,
        request: impl FnOnce(&mut Call) -> Result<T, RequestError>,
    ) -> Result<T, RequestError> {
        self.run(slot, now, Room::Needed, request)
            .unwrap_or_else(|unavailable| Err(unavailable.request_error(&slot.id)))
    }

    /// Notes `now` as seen; returns it, no later than [`Instant::LATEST`].
    fn clock(&self, now: Instant) -> Instant {
        let now = now.min(Instant::LATEST);
        // Read first: the common case (time already seen) writes nothing, so
        // threads do not fight over this line.
        let ms = now.as_millis();
        let mut seen = self.last_now.load(Ordering::Acquire);
        while ms > seen {
            match self
                .last_now
                .compare_exchange_weak(seen, ms, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(current) => seen = current,
            }
        }
        now
    }

    /// Runs one input on one call under its lock: first the call's timers
    /// due by `at` (their outputs carry their own deadlines), then the
    /// input, its outputs into its shard's queue, its deadline into the map.
    /// `Err` when the slot holds no live call (it is moving, failed, or gone:
    /// the input found the slot before that happened), or the input hit a
    /// bug (the call fails).
    fn run<T>(
        &self,
        slot: &Arc<Slot>,
        at: Instant,
        room: Room,
        input: impl FnOnce(&mut Call) -> T,
    ) -> Result<T, Unavailable> {
        let mut state = slot.state.lock();
        let call = state.held.live()?;
        if room == Room::Needed {
            // Under the call's lock: of the inputs racing for one call, only
            // the one running can pass, so the backlog overshoots by at most
            // one input per call.
            self.shard_room(slot.shard, 0)
                .map_err(|(pending, limit)| Unavailable::Backlogged { pending, limit })?;
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            // Parked buffers are drained ones.
            call.lend_output_buffer(OUTPUT_BUFFER.take());
            // Timers due at `at` itself fire here too, before the input, as
            // the call would fire them: an input refused before it reaches
            // the call's clock leaves none behind.
            call.fire_due_each(at, |call, deadline| {
                self.queue_outputs(slot, call, deadline);
            });
            let result = input(call);
            // Every input fires what is due by its time (ENGINE.md 3.6); a
            // deadline left at or before it would make the timer loop spin.
            if let Some(next) = call.poll_timeout().filter(|next| *next <= at) {
                panic!(
                    "call {}: deadline {next} is still due after an input at {at}",
                    slot.id
                );
            }
            self.queue_outputs(slot, call, at);
            park_output_buffer(call);
            result
        }));
        match outcome {
            Ok(result) => {
                // A call that ended is gone from here on for whoever holds
                // the slot (a second hang-up, a move, a snapshot), before its
                // slot leaves the map.
                if state.held.call().is_some_and(Call::is_terminated) {
                    state.held = Held::Gone(Gone::Ended);
                }
                self.schedule(slot, &mut state);
                Ok(result)
            }
            Err(_) => {
                // The call may be half-changed: drop it, keep the others.
                state.held = Held::Failed;
                self.unschedule(slot, &mut state);
                Err(Unavailable::Failed)
            }
        }
    }
}

/// Takes the call's (drained) output buffer, keeping the roomier of it and
/// this thread's: a call at rest holds no buffer.
fn park_output_buffer(call: &mut Call) {
    let mut buffer = call.take_output_buffer();
    call.shrink_to_fit();
    // Room for a cancel of a default queue; a rarer burst gives back the rest.
    buffer.shrink_to(KEPT_INPUT_BUFFER_ROOM);
    if buffer.capacity() > 0 {
        // One look-up of the thread's slot; mostly it is empty (its buffer
        // was lent to this call), and this call's goes back.
        OUTPUT_BUFFER.with(|parked| {
            let other = parked.take();
            parked.set(if buffer.capacity() >= other.capacity() {
                buffer
            } else {
                other
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Notification;
    use crate::model::{Action, ApiVersion};

    #[test]
    fn a_panicking_call_fails_alone() {
        let engine = Engine::new(EngineConfig::default()).unwrap();
        let (a, b) = (CallId::new("a"), CallId::new("b"));
        engine.handle_call_established(Instant::ZERO, &a).unwrap();
        engine.handle_call_established(Instant::ZERO, &b).unwrap();
        let slot = engine.find(&a).unwrap();
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let outcome = engine.run(&slot, Instant::ZERO, Room::Exempt, |_| {
            panic!("a bug in the call")
        });
        panic::set_hook(hook);
        assert_eq!(outcome, Err(Unavailable::Failed));

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
