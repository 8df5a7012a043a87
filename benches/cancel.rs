//! The hot path: cancelMediaProcessing against its physical floor, measured
//! in one group so the ratio comes from one run.
//!
//! - `cancel/engine/N`: cancel on a call holding 1 active and N-1 queued
//!   operations (plays and records with realistic clientContexts and URIs),
//!   producing N typed notifications into a warm output queue.
//! - `cancel/floor/N`: moving N records of the size of an operation (its
//!   state and its request) out of a `VecDeque` into a warm `Vec`.
//!
//! Setting up the queue is outside the measured time (`iter_batched`).

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use ivr_media_queue::OperationEnded;

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

const SIZES: [usize; 4] = [1, 3, 16, 100];

/// A record the size of an operation in the queue.
#[derive(Clone, Copy)]
#[expect(dead_code, reason = "only its size matters")]
struct Record([u64; size_of::<OperationEnded>().div_ceil(8)]);

fn cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("cancel");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    for n in SIZES {
        let template = fixtures::warm_call_with_queue(n);
        group.bench_with_input(BenchmarkId::new("engine", n), &n, |b, &n| {
            b.iter_batched(
                || {
                    let mut call = template.clone();
                    call.reserve_outputs(n + 1);
                    (call, fixtures::cancel_request())
                },
                |(mut call, request)| {
                    black_box(call.handle_request(fixtures::NOW, request).is_ok());
                    call
                },
                BatchSize::PerIteration,
            );
        });
        group.bench_with_input(BenchmarkId::new("floor", n), &n, |b, &n| {
            b.iter_batched(
                || {
                    let queue: VecDeque<Record> = (0..n).map(|i| Record([i as u64; _])).collect();
                    (queue, Vec::<Record>::with_capacity(n + 1))
                },
                |(mut queue, mut out)| {
                    out.extend(queue.drain(..));
                    black_box(&out);
                    (queue, out)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, cancel);
criterion_main!(benches);
