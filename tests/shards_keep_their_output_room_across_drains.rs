//! A shard's output queue keeps its room across drains: once a burst of
//! outputs has been queued and drained, the same burst again is queued
//! without allocating, however the outputs were drained (all shards at
//! once, one shard, or the engine's only shard). A counting global
//! allocator proves it.

use ivr_media_queue::{Engine, EngineOutput, Instant, MediaInput, Tone};

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/held_bytes.rs"]
mod held_bytes;

use held_bytes::allocations_here;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

/// Tones per call per round: more than a queue keeps after a rare burst
/// is given back (16); a shard's burst stays within what makes a burst
/// rare (more than 64) while it holds at most two of the calls.
const TONES: usize = 30;

/// How a round's outputs are drained.
#[derive(Clone, Copy, Debug)]
enum Drain {
    AllShards,
    ShardByShard,
}

/// Queues `TONES` tone notifications on each call, then drains them all.
/// Returns the allocations made while queueing them.
fn round(engine: &Engine, calls: &[ivr_media_queue::CallId], drain: Drain) -> usize {
    let before = allocations_here();
    for call in calls {
        for _ in 0..TONES {
            engine
                .handle_media(Instant::ZERO, call, None, MediaInput::Tone(Tone::Pound))
                .unwrap();
        }
    }
    let queueing = allocations_here() - before;
    let mut out: Vec<EngineOutput> = Vec::new();
    match drain {
        Drain::AllShards => {
            engine.drain_outputs(&mut out);
        }
        Drain::ShardByShard => {
            for shard in 0..engine.shard_count() {
                engine.drain_shard_outputs(shard, &mut out);
            }
        }
    }
    assert_eq!(out.len(), calls.len() * TONES, "every tone drained");
    assert_eq!(engine.pending_outputs(), 0);
    queueing
}

#[test]
fn a_second_burst_allocates_nothing_however_drained() {
    for (calls, shards, drain) in [
        (8, 64, Drain::AllShards),
        (8, 64, Drain::ShardByShard),
        (2, 1, Drain::AllShards),
    ] {
        let (engine, calls) = fixtures::engine_with_subscribed_calls(calls, shards);
        let mut per_shard = vec![0; shards];
        for call in &calls {
            per_shard[engine.shard_of(call)] += 1;
        }
        // With 64 shards, calls in several of them, so that a drain of
        // all shards merges; never more than two in one.
        assert!(per_shard.iter().all(|&n| n <= 2), "{per_shard:?}");
        assert!(shards == 1 || per_shard.iter().filter(|&&n| n > 0).count() > 1);
        round(&engine, &calls, drain);
        let second = round(&engine, &calls, drain);
        assert_eq!(
            second, 0,
            "{shards} shards, drained {drain:?}: the second burst allocated {second} times"
        );
    }
}

#[test]
fn a_first_burst_does_allocate() {
    // The counter sees the queues grow: the first burst after the calls'
    // setup needs more room than their shards kept.
    let (engine, calls) = fixtures::engine_with_subscribed_calls(8, 64);
    assert!(round(&engine, &calls, Drain::AllShards) > 0);
}
