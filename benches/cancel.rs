//! The hot path: cancelMediaProcessing against its physical floor, measured
//! in one group so the ratio comes from one run.
//!
//! - `cancel/engine/N`: cancel on a call holding 1 active and N-1 queued
//!   operations (plays and records with realistic clientContexts and URIs),
//!   producing N typed notifications into a warm output queue.
//! - `cancel/floor/N`: the same records moved and created, nothing else:
//!   N records the size of an ended operation (its state and its request)
//!   moved at once (`VecDeque::append`, block copies) out of a `VecDeque`
//!   into a warm one after one more (the command that stops the active
//!   one's media), and one record the size of an operation (the cancel
//!   itself) into a full, warm `GET` memory, whose oldest goes and frees
//!   its string (as an operation's clientContext). (Until the engine moved
//!   its queue at once too, the floor moved the records one by one into a
//!   `Vec`; the engine then ran at 0.56x of that floor for N = 100.)
//!
//! Setting up the queue is outside the measured time, and cancels are
//! timed a batch at once, each on its own input in place ([`in_batches`]):
//! timed one by one (`iter_batched` per iteration), each took with it the
//! cost of reading the clock, about 22 ns here, which narrowed the ratio
//! for short queues (2.7 at N = 1, against 3.6 to 3.8 in batches).

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ivr_media_queue::{CallConfig, Operation, OperationEnded};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

const SIZES: [usize; 4] = [1, 3, 16, 100];

/// `iters` runs of `routine`, each on its own input from `setup`, timed a
/// batch at once: enough runs that reading the clock is noise, few enough
/// that a batch's inputs stay in the L2 cache (about 256 KiB, at some 300
/// bytes an operation of the queue and 8 KiB for the full `GET` memory),
/// as one input's do when timed alone.
/// Inputs are made before and dropped after the timed loop.
fn in_batches<I>(
    iters: u64,
    n: usize,
    mut setup: impl FnMut() -> I,
    mut routine: impl FnMut(&mut I),
) -> Duration {
    let per_batch = (256 * 1024 / (300 * n + 8 * 1024)).clamp(8, 64) as u64;
    let mut elapsed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let size = left.min(per_batch);
        let mut inputs: Vec<I> = (0..size).map(|_| setup()).collect();
        let start = Instant::now();
        for input in &mut inputs {
            routine(input);
        }
        elapsed += start.elapsed();
        black_box(&inputs);
        left -= size;
    }
    elapsed
}

/// A record the size of an operation in the queue.
#[derive(Clone, Copy)]
#[expect(dead_code, reason = "only its size matters")]
struct Record([u64; size_of::<OperationEnded>().div_ceil(8)]);

/// A record the size of an operation in the `GET` memory, owning a string
/// as the operation owns its clientContext: forgetting one frees it.
#[expect(dead_code, reason = "only its size and its string matter")]
struct Remembered(
    [u64; (size_of::<Operation>() - size_of::<Box<str>>()).div_ceil(8)],
    Box<str>,
);

fn remembered(i: usize) -> Remembered {
    Remembered(
        [i as u64; _],
        format!("d45324c1-fcb5-430a-902c-{i:012x}").into(),
    )
}

fn cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("cancel");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    for n in SIZES {
        let template = fixtures::warm_call_with_queue(n);
        group.bench_with_input(BenchmarkId::new("engine", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                in_batches(
                    iters,
                    n,
                    || {
                        let mut call = template.clone();
                        call.reserve_outputs(n + 1);
                        (call, Some(fixtures::cancel_request()))
                    },
                    |(call, request)| {
                        if let Some(request) = request.take() {
                            black_box(call.handle_request(fixtures::NOW, request).is_ok());
                        }
                    },
                )
            });
        });
        group.bench_with_input(BenchmarkId::new("floor", n), &n, |b, &n| {
            let retained = CallConfig::default().retained_operations;
            b.iter_custom(|iters| {
                in_batches(
                    iters,
                    n,
                    || {
                        let queue: VecDeque<Record> =
                            (0..n).map(|i| Record([i as u64; _])).collect();
                        let memory: VecDeque<Remembered> = (0..retained).map(remembered).collect();
                        // The cancel's own record, made with its request.
                        let cancel = remembered(retained);
                        let out = VecDeque::<Record>::with_capacity(n + 1);
                        (queue, out, memory, Some(cancel))
                    },
                    |(queue, out, memory, cancel)| {
                        if let Some(cancel) = cancel.take() {
                            out.push_back(Record([u64::MAX; _]));
                            out.append(queue);
                            drop(memory.pop_front());
                            memory.push_back(cancel);
                            black_box((&*out, &*memory));
                        }
                    },
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, cancel);
criterion_main!(benches);
