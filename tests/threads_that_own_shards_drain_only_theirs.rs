//! `Engine::drain_shard_outputs` drains one shard: the outputs of exactly
//! the calls `Engine::shard_of` places there, each call's in order, so that
//! threads owning disjoint shards can each drain their own. Draining every
//! shard that way gives what one `drain_outputs` would, and the two mix.

use std::collections::HashMap;
use std::thread;

use ivr_media_queue::{CallId, Engine, EngineOutput, Instant, MediaInput, Tone};

#[path = "common/fixtures.rs"]
mod fixtures;

fn tones(engine: &Engine, calls: &[CallId], rounds: usize) {
    for round in 0..rounds {
        for call in calls {
            let tone = MediaInput::Tone(Tone::ALL[round % Tone::ALL.len()]);
            engine
                .handle_media(Instant::from_millis(round as u64), call, None, tone)
                .unwrap();
        }
    }
}

/// Each call's outputs' sequence numbers, in the order drained.
fn by_call(outputs: &[EngineOutput]) -> HashMap<CallId, Vec<u64>> {
    let mut calls: HashMap<CallId, Vec<u64>> = HashMap::new();
    for output in outputs {
        calls
            .entry(output.call.clone())
            .or_default()
            .push(output.seq);
    }
    calls
}

#[test]
fn a_shard_drain_gives_exactly_its_calls_outputs_in_order() {
    for shards in [1, 3, 64, 65] {
        let (engine, calls) = fixtures::engine_with_subscribed_calls(200, shards);
        assert_eq!(engine.shard_count(), shards);
        tones(&engine, &calls, 3);
        let mut all = Vec::new();
        for shard in 0..shards {
            let mut drained = Vec::new();
            let n = engine.drain_shard_outputs(shard, &mut drained);
            assert_eq!(n, drained.len());
            assert!(
                drained
                    .iter()
                    .all(|output| engine.shard_of(&output.call) == shard)
            );
            all.extend(drained);
        }
        assert_eq!(
            engine.drain_shard_outputs(shards, &mut all),
            0,
            "past the last"
        );
        assert_eq!(all.len(), calls.len() * 3, "{shards} shards");
        for (call, seqs) in by_call(&all) {
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{call}: {seqs:?}");
        }
        assert_eq!(engine.pending_outputs(), 0);
        assert_eq!(engine.drain_outputs(&mut all), 0);
    }
}

#[test]
fn threads_draining_their_own_shards_miss_nothing() {
    let shards = 8;
    let (engine, calls) = fixtures::engine_with_subscribed_calls(64, shards);
    let owned = |t: usize| -> Vec<CallId> {
        calls
            .iter()
            .filter(|call| engine.shard_of(call) % 2 == t)
            .cloned()
            .collect()
    };
    let drained: Vec<Vec<EngineOutput>> = thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|t| {
                let (engine, mine) = (&engine, owned(t));
                s.spawn(move || {
                    let mut drained = Vec::new();
                    for round in 0..50 {
                        tones(engine, &mine, 1);
                        if round % 7 == 0 {
                            for shard in (t..shards).step_by(2) {
                                engine.drain_shard_outputs(shard, &mut drained);
                            }
                        }
                    }
                    for shard in (t..shards).step_by(2) {
                        engine.drain_shard_outputs(shard, &mut drained);
                    }
                    drained
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (t, outputs) in drained.iter().enumerate() {
        assert!(outputs.iter().all(|o| engine.shard_of(&o.call) % 2 == t));
        assert_eq!(outputs.len(), owned(t).len() * 50);
        for (call, seqs) in by_call(outputs) {
            assert_eq!(seqs, (seqs[0]..seqs[0] + 50).collect::<Vec<_>>(), "{call}");
        }
    }
    assert_eq!(engine.drain_outputs(&mut Vec::new()), 0);
}
