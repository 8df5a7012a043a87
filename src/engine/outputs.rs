//! Outputs: each shard's queue, stamped so that a drain hands them over in
//! the order they happened, and the room each shard keeps.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::mem;
use std::sync::atomic::Ordering;

use crate::call::Call;
use crate::time::Instant;

use super::{Engine, EngineOutput, Slot};

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

/// Room each shard's output queue keeps after a drain that found it
/// holding more than four times this (a rare burst); otherwise it keeps
/// the room it had.
const KEPT_OUTPUT_ROOM: usize = 16;

/// Gives back the room of a drained queue that a rare burst took.
fn keep_usual_room<T>(queue: &mut VecDeque<T>) {
    if queue.capacity() > KEPT_OUTPUT_ROOM * 4 {
        queue.shrink_to(KEPT_OUTPUT_ROOM);
    }
}

impl Engine {
    /// Moves every waiting output into `out`, in the order things happened.
    /// Returns how many.
    ///
    /// Only the shards whose bit says they have outputs are visited, so a
    /// drain after every input costs that input's shard, not all of them.
    /// Outputs queued while a drain runs may wait for the next one, and of
    /// two drains at once, each takes what it finds first.
    pub fn drain_outputs(&self, out: &mut Vec<EngineOutput>) -> usize {
        let mut waiting = self.take_waiting();
        let Some(first) = waiting.next() else {
            return 0;
        };
        let Some(second) = waiting.next() else {
            // One shard (a drain after each input): moved out under its
            // lock, and its queue keeps its room.
            return self.drain_queue(first, out);
        };
        // Each shard's queue is taken whole (a `VecDeque::new()` in its place
        // allocates nothing), merged, and given back with its room below.
        let mut queues: Vec<(usize, VecDeque<(u64, EngineOutput)>)> = Vec::new();
        for index in [first, second].into_iter().chain(waiting) {
            let shard = &self.shards[index];
            let mut outputs = shard.outputs.lock();
            if !outputs.is_empty() {
                queues.push((index, mem::take(&mut *outputs)));
                shard.pending.store(0, Ordering::Release);
            }
        }
        let n = queues.iter().map(|(_, queue)| queue.len()).sum();
        out.reserve(n);
        // Merge the shards' queues by stamp, each queue kept in its order:
        // a call's outputs stay in order whatever thread stamped them. The
        // queue with the earliest front gives every output up to the next
        // queue's front in one run (a call's inputs often come in a row),
        // so the heap works once a run, not once an output.
        let mut fronts: BinaryHeap<Reverse<(u64, usize)>> = queues
            .iter()
            .enumerate()
            .filter_map(|(i, (_, queue))| Some(Reverse((queue.front()?.0, i))))
            .collect();
        while let Some(Reverse((_, i))) = fronts.pop() {
            // Up to the next front, ties going to the lower shard: the very
            // order the heap gives one output at a time (and `poll_output`
            // gives). The front itself is always taken: it was the earliest.
            let next = fronts
                .peek()
                .map_or((u64::MAX, usize::MAX), |Reverse(front)| *front);
            let queue = &mut queues[i].1;
            let run = queue
                .iter()
                .take_while(|(stamp, _)| (*stamp, i) < next)
                .count()
                .max(1);
            out.extend(queue.drain(..run).map(|(_, output)| output));
            if let Some((stamp, _)) = queue.front() {
                fronts.push(Reverse((*stamp, i)));
            }
        }
        // Each shard gets its emptied queue back, so that its next burst
        // of the same size neither allocates nor grows; a shard that has
        // queued again meanwhile keeps the queue it started.
        for (index, mut queue) in queues {
            let mut outputs = self.shards[index].outputs.lock();
            if outputs.capacity() == 0 {
                keep_usual_room(&mut queue);
                *outputs = queue;
            }
        }
        n
    }

    /// Moves the waiting outputs of one shard into `out`, in the order they
    /// happened, and returns how many (none for a shard past the last).
    ///
    /// For an embedder whose threads each own a set of shards
    /// ([`Engine::shard_of`] says where a call lives): each thread drains
    /// its own, so outputs never cross to another thread's cache, and two
    /// threads scale as two engines would. Per call the order is exact, as
    /// in [`Engine::drain_outputs`]; across shards drained one after the
    /// other it is not merged.
    pub fn drain_shard_outputs(&self, shard: usize, out: &mut Vec<EngineOutput>) -> usize {
        if shard >= self.shards.len() {
            return 0;
        }
        let word = &self.waiting[shard / 64];
        let bit = 1u64 << (shard % 64);
        // Read first: a shard with nothing waiting is not written to.
        if word.load(Ordering::Acquire) & bit == 0 {
            return 0;
        }
        // Cleared before the queue is locked, as in `take_waiting`.
        word.fetch_and(!bit, Ordering::AcqRel);
        self.drain_queue(shard, out)
    }

    /// Moves shard `index`'s outputs into `out` under its lock; the queue
    /// keeps its room, but for what a rare burst took.
    fn drain_queue(&self, index: usize, out: &mut Vec<EngineOutput>) -> usize {
        let shard = &self.shards[index];
        let mut outputs = shard.outputs.lock();
        let n = outputs.len();
        out.extend(outputs.drain(..).map(|(_, output)| output));
        shard.pending.store(0, Ordering::Release);
        keep_usual_room(&mut outputs);
        n
    }

    /// The shards whose outputs wait, their bits cleared: whatever a shard
    /// queues from now on sets its bit again (see [`Engine::queue_outputs`]).
    fn take_waiting(&self) -> impl Iterator<Item = usize> + '_ {
        self.waiting.iter().enumerate().flat_map(|(word, bits)| {
            // Read first: an idle word is not written, so its line stays shared.
            let mut bits = match bits.load(Ordering::Acquire) {
                0 => 0,
                _ => bits.swap(0, Ordering::AcqRel),
            };
            std::iter::from_fn(move || {
                let bit = bits.trailing_zeros();
                (bits != 0).then(|| {
                    bits &= bits - 1;
                    word * 64 + bit as usize
                })
            })
        })
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
        let shard = &self.shards[first.1];
        let mut outputs = shard.outputs.lock();
        let output = outputs.pop_front().map(|(_, output)| output);
        shard.pending.store(outputs.len(), Ordering::Release);
        output
    }

    /// Outputs waiting to be drained.
    pub fn pending_outputs(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.pending.load(Ordering::Acquire))
            .sum()
    }

    /// The most outputs that can wait undrained in a shard that holds
    /// `calls` calls when it reaches its share of
    /// [`EngineConfig::max_pending_outputs`](crate::EngineConfig::max_pending_outputs): from then on no call joins it
    /// and no request or media input runs, and each call it held adds at
    /// most one input that was running, then what its timers and its end
    /// may add: an end and a few media commands per operation its queue can
    /// hold, and its own `terminating` and `terminated`. For the whole
    /// engine, the calls are all it held; at most [`EngineConfig::max_calls`](crate::EngineConfig::max_calls).
    pub fn pending_outputs_bound(&self, calls: usize) -> usize {
        let per_call = self.config.call.queue_capacity.saturating_mul(4) + 8;
        self.shard_output_limit
            .saturating_mul(self.shards.len())
            .saturating_add(calls.saturating_mul(per_call))
    }

    /// `Err((pending, limit))` unless shard `index` has room for `adding`
    /// more outputs (for `adding == 0`: unless it is below its share).
    pub(super) fn shard_room(&self, index: usize, adding: usize) -> Result<(), (usize, usize)> {
        // Read without the queue's lock: a drain or another call may change
        // it the moment after, as it could once the lock was let go.
        let pending = self.shards[index].pending.load(Ordering::Acquire);
        let limit = self.shard_output_limit;
        if pending >= limit || pending.saturating_add(adding) > limit {
            Err((pending, limit))
        } else {
            Ok(())
        }
    }

    /// Moves a call's outputs into its shard's queue, as one stamped batch.
    pub(super) fn queue_outputs(&self, slot: &Slot, call: &mut Call, at: Instant) {
        if call.pending_outputs() == 0 {
            return;
        }
        let stamp = next_stamp();
        let shard = &self.shards[slot.shard];
        let mut outputs = shard.outputs.lock();
        if outputs.is_empty() {
            // Under the queue's lock: a drain clears the bits before it
            // locks the queues, so what is queued after its visit finds the
            // queue empty and sets the bit again.
            self.waiting[slot.shard / 64].fetch_or(1 << (slot.shard % 64), Ordering::AcqRel);
        }
        while let Some((seq, output)) = call.poll_sequenced() {
            let output = EngineOutput {
                call: slot.id.clone(),
                at,
                seq,
                output,
            };
            outputs.push_back((stamp, output));
        }
        shard.pending.store(outputs.len(), Ordering::Release);
    }
}
