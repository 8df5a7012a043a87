//! The multi-call engine:
//! - `engine/ops/1thread`, `engine/ops/2threads`: the same number of mixed
//!   operations on disjoint calls, from one thread and split over two (the
//!   ratio of the two is the scaling);
//! - `engine/ops/1thread_handles`, `engine/ops/2threads_handles`: the same,
//!   each input sent through a `CallHandle` (no look-up by id);
//! - `engine/ops/1thread_own_shards`, `engine/ops/2threads_own_shards`:
//!   the same, each thread's calls in shards it owns
//!   (`Engine::shard_of`), each thread draining only those
//!   (`Engine::drain_shard_outputs`): how an embedder whose threads own
//!   shards scales (the clock stands still: deadlines move, none fires);
//! - `engine/ops/bare_calls`: the floor of `1thread`, the same operations on
//!   bare `Call`s held in a `Vec` (no locks, no shards, no map);
//! - `engine/ops/ceiling_1thread`, `engine/ops/ceiling_2threads`: the
//!   machine's own scaling, the same amount of pure integer work on one
//!   thread and split over two;
//! - `engine/timeout/1000`, `engine/timeout/100000`: one due timer fired
//!   (and one record started) among that many calls, each with a timer
//!   pending;
//! - `engine/snapshot`, `engine/restore`: one call with 10 queued
//!   operations, to JSON and back into an engine.

use std::hint::black_box;
use std::time::{Duration, Instant as Clock};

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallHandle, CallId, CallSnapshot, Engine, EngineConfig,
    IdSource, Instant, MediaInput, Record, Request, Tone,
};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

/// Operations per measured iteration of `engine/ops/*`.
const OPS: usize = 4_000;
const CALLS_PER_THREAD: usize = 64;

fn engine() -> Engine {
    Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_pending_outputs: 1 << 22,
        ..EngineConfig::default()
    })
    .unwrap()
}

/// The prompt and the record of a cycle: a record with no beep that `#`
/// stops.
fn cycle_requests() -> (Request, Request) {
    let record = Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            play_beep: false,
            stop_tones: [Tone::Pound].into_iter().collect(),
            ..Record::default()
        }),
    );
    (fixtures::operation(1), record)
}

/// One cycle of mixed operations on a call, leaving it as it found it:
/// a prompt queued and played to its end, a tone, a record stopped by a
/// tone, an empty cancel (6 inputs).
fn cycle(engine: &Engine, call: &CallId, now: Instant) {
    let (play, record) = cycle_requests();
    let _ = engine.handle_request(now, call, play);
    let _ = engine.handle_media(now, call, None, MediaInput::PlaybackFinished);
    let _ = engine.handle_media(now, call, None, MediaInput::PlaybackFinished);
    let _ = engine.handle_request(now, call, record);
    let _ = engine.handle_media(now, call, None, MediaInput::Tone(Tone::Pound));
    let _ = engine.handle_request(now, call, fixtures::cancel_request());
}

/// [`cycle`] through a [`CallHandle`]: the same inputs, no look-up by id.
fn cycle_via(engine: &Engine, call: &CallHandle, now: Instant) {
    let (play, record) = cycle_requests();
    let _ = engine.handle_request_via(now, call, play);
    let _ = engine.handle_media_via(now, call, None, MediaInput::PlaybackFinished);
    let _ = engine.handle_media_via(now, call, None, MediaInput::PlaybackFinished);
    let _ = engine.handle_request_via(now, call, record);
    let _ = engine.handle_media_via(now, call, None, MediaInput::Tone(Tone::Pound));
    let _ = engine.handle_request_via(now, call, fixtures::cancel_request());
}

/// [`cycle`] on a bare call, with the same inputs in the same order.
fn cycle_call(call: &mut Call, now: Instant) {
    let (play, record) = cycle_requests();
    let _ = call.handle_request(now, play);
    let _ = call.handle_media(now, None, MediaInput::PlaybackFinished);
    let _ = call.handle_media(now, None, MediaInput::PlaybackFinished);
    let _ = call.handle_request(now, record);
    let _ = call.handle_media(now, None, MediaInput::Tone(Tone::Pound));
    let _ = call.handle_request(now, fixtures::cancel_request());
}

/// Pure integer work, `rounds` of it: what two cores do with nothing
/// shared (xorshift, kept in a register).
fn integer_work(seed: u64, rounds: usize) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// Rounds of [`integer_work`] per measured iteration: about as long as one
/// iteration of `engine/ops/bare_calls` on this machine (0.7 ms), a span
/// of work of the same order as the engine's.
const INTEGER_ROUNDS: usize = 400_000;

fn ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine/ops");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    for (name, threads, via_handles, own_shards) in [
        ("1thread", 1usize, false, false),
        ("2threads", 2, false, false),
        ("1thread_handles", 1, true, false),
        ("2threads_handles", 2, true, false),
        ("1thread_own_shards", 1, false, true),
        ("2threads_own_shards", 2, false, true),
    ] {
        let engine = engine();
        // Thread `t` owns the shards `t`, `t + threads`, ...
        let owns = |t: usize, shard: usize| shard % threads == t;
        let calls: Vec<Vec<CallId>> = (0..threads)
            .map(|t| {
                (0..)
                    .map(|i| CallId::new(&format!("t{t}-call-{i}")))
                    .filter(|id| !own_shards || owns(t, engine.shard_of(id)))
                    .take(CALLS_PER_THREAD)
                    .inspect(|id| {
                        engine.handle_call_established(Instant::ZERO, id).unwrap();
                        engine
                            .handle_request(
                                Instant::ZERO,
                                id,
                                Request::new(ApiVersion::V1, Action::SubscribeToTone),
                            )
                            .unwrap();
                    })
                    .collect()
            })
            .collect();
        let handles: Vec<Vec<CallHandle>> = calls
            .iter()
            .map(|mine| {
                mine.iter()
                    .map(|id| engine.call_handle(id).unwrap())
                    .collect()
            })
            .collect();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Clock::now();
                std::thread::scope(|s| {
                    for (t, (mine, my_handles)) in calls.iter().zip(&handles).enumerate() {
                        let engine = &engine;
                        s.spawn(move || {
                            let mut drained = Vec::with_capacity(4096);
                            let cycles = OPS / 6 / threads;
                            for _ in 0..iters {
                                for k in 0..cycles {
                                    let i = k % mine.len();
                                    if via_handles {
                                        cycle_via(engine, &my_handles[i], Instant::ZERO);
                                    } else {
                                        cycle(engine, &mine[i], Instant::ZERO);
                                    }
                                    if k % 64 == 63 {
                                        if own_shards {
                                            for shard in (0..engine.shard_count())
                                                .filter(|shard| owns(t, *shard))
                                            {
                                                engine.drain_shard_outputs(shard, &mut drained);
                                            }
                                        } else {
                                            engine.drain_outputs(&mut drained);
                                        }
                                        drained.clear();
                                    }
                                }
                            }
                        });
                    }
                });
                engine.drain_outputs(&mut Vec::new());
                start.elapsed()
            });
        });
    }
    group.bench_function("bare_calls", |b| {
        let config = std::sync::Arc::new(CallConfig::default());
        let mut calls: Vec<Call> = (0..CALLS_PER_THREAD)
            .map(|i| {
                let id = CallId::new(&format!("t0-call-{i}"));
                let ids = IdSource::seeded(1).for_call(&id);
                let mut call = Call::new(id, config.clone(), ids, Instant::ZERO).unwrap();
                call.handle_request(
                    Instant::ZERO,
                    Request::new(ApiVersion::V1, Action::SubscribeToTone),
                )
                .unwrap();
                while call.poll_output().is_some() {}
                call
            })
            .collect();
        // As `1thread` runs: one scoped thread per sample, `iters` rounds
        // in it, so that only the engine differs.
        b.iter_custom(|iters| {
            let start = Clock::now();
            std::thread::scope(|s| {
                s.spawn(|| {
                    for _ in 0..iters {
                        for k in 0..OPS / 6 {
                            let n = calls.len();
                            let call = &mut calls[k % n];
                            cycle_call(call, Instant::ZERO);
                            while let Some(output) = call.poll_output() {
                                black_box(&output);
                            }
                        }
                    }
                });
            });
            start.elapsed()
        });
    });
    for threads in [1usize, 2] {
        let name = if threads == 1 {
            "ceiling_1thread"
        } else {
            "ceiling_2threads"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Clock::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        s.spawn(move || {
                            for i in 0..iters {
                                let seed = i ^ t as u64;
                                black_box(integer_work(seed, INTEGER_ROUNDS / threads));
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
}

/// n calls, each recording with a timer 120 s away, and 1001 probe calls.
fn timeout_engine(n: usize) -> Engine {
    let engine = engine();
    let long = Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            play_beep: false,
            initial_silence_timeout_secs: 120,
            max_record_duration_secs: 120,
            ..Record::default()
        }),
    );
    for i in 0..n {
        let id = CallId::new(&format!("bg-{i}"));
        engine.handle_call_established(Instant::ZERO, &id).unwrap();
        engine
            .handle_request(Instant::ZERO, &id, long.clone())
            .unwrap();
        if i % 1024 == 0 {
            engine.drain_outputs(&mut Vec::new());
        }
    }
    for p in 0..PROBES {
        engine
            .handle_call_established(Instant::ZERO, &probe(p))
            .unwrap();
    }
    engine.drain_outputs(&mut Vec::new());
    engine
}

const PROBES: u64 = 1_001;

fn probe(p: u64) -> CallId {
    CallId::new(&format!("probe-{p}"))
}

fn timeout(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine/timeout");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    let short = Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            play_beep: false,
            initial_silence_timeout_secs: 1,
            ..Record::default()
        }),
    );
    let probes: Vec<CallId> = (0..PROBES).map(probe).collect();
    for n in [1_000usize, 100_000] {
        // Steady state: each iteration is 1 ms of virtual time, starts a 1 s
        // record on a probe call and fires the one started 1000 iterations
        // before, the only timer due among all. The others stay 120 s away;
        // the engine is rebuilt (untimed) before virtual time reaches them.
        let mut engine = timeout_engine(n);
        let mut k = 0u64;
        let mut drained = Vec::with_capacity(64);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_custom(|iters| {
                // At most 100 000 iterations per engine; more are scaled.
                let done = iters.min(100_000);
                if k + done > 110_000 {
                    engine = timeout_engine(n);
                    k = 0;
                }
                let start = Clock::now();
                for _ in 0..done {
                    let now = Instant::from_millis(k);
                    engine.handle_timeout(now);
                    engine
                        .handle_request(now, &probes[(k % PROBES) as usize], short.clone())
                        .unwrap();
                    engine.drain_outputs(&mut drained);
                    black_box(drained.len());
                    drained.clear();
                    k += 1;
                }
                start.elapsed().mul_f64(iters as f64 / done as f64)
            });
        });
    }
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let engine = engine();
    let call = CallId::new("19:meeting_c1");
    engine
        .handle_call_established(fixtures::NOW, &call)
        .unwrap();
    for i in 0..11 {
        engine
            .handle_request(fixtures::NOW, &call, fixtures::operation(i))
            .unwrap();
    }
    engine.drain_outputs(&mut Vec::new());
    let bytes = engine.snapshot_call(&call).unwrap().to_json();
    let mut group = c.benchmark_group("engine");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    group.bench_function("snapshot", |b| {
        b.iter(|| black_box(engine.snapshot_call(&call).unwrap().to_json()));
    });
    group.bench_function("restore", |b| {
        b.iter_batched(
            self::engine,
            |fresh| {
                fresh
                    .restore_call(&CallSnapshot::from_json(&bytes).unwrap())
                    .unwrap();
                fresh
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, ops, timeout, snapshot);
criterion_main!(benches);
