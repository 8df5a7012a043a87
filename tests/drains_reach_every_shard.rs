//! A drain visits only the shards marked as holding outputs (one bit per
//! shard, in 64-bit words). Whatever the number of shards, on either side
//! of a word's end, every output reaches a drain: one drain after each
//! input gives that input's outputs, a drain after many gives them all,
//! and a shard left marked but empty by `poll_output` costs nothing wrong.

use ivr_media_queue::{Engine, Instant, MediaInput, Tone};

#[path = "common/fixtures.rs"]
mod fixtures;

/// Shard counts at the ends of the range and of a 64-bit word.
const SHARDS: [usize; 6] = [1, 63, 64, 65, 128, 1024];

fn tone(engine: &Engine, call: &ivr_media_queue::CallId, at: u64) {
    engine
        .handle_media(
            Instant::from_millis(at),
            call,
            None,
            MediaInput::Tone(Tone::Tone1),
        )
        .unwrap();
}

#[test]
fn a_drain_after_each_input_gives_that_inputs_outputs() {
    for shards in SHARDS {
        // Three calls a shard on average: most shards hold one.
        let (engine, calls) = fixtures::engine_with_subscribed_calls(shards * 3, shards);
        let mut drained = Vec::new();
        for (at, call) in (1..).zip(&calls) {
            tone(&engine, call, at);
            assert_eq!(engine.drain_outputs(&mut drained), 1, "{shards} shards");
            assert_eq!(&drained[0].call, call, "{shards} shards");
            drained.clear();
            assert_eq!(engine.drain_outputs(&mut drained), 0, "{shards} shards");
        }
    }
}

#[test]
fn a_drain_after_many_inputs_gives_them_all_in_order() {
    for shards in SHARDS {
        let (engine, calls) = fixtures::engine_with_subscribed_calls(shards * 3, shards);
        for (at, call) in (1..).zip(&calls) {
            tone(&engine, call, at);
        }
        let mut drained = Vec::new();
        assert_eq!(engine.drain_outputs(&mut drained), calls.len());
        let order: Vec<_> = drained.iter().map(|output| &output.call).collect();
        assert_eq!(order, calls.iter().collect::<Vec<_>>(), "{shards} shards");
        assert_eq!(engine.pending_outputs(), 0);
    }
}

#[test]
fn polling_a_shard_empty_leaves_no_output_behind() {
    for shards in SHARDS {
        let (engine, calls) = fixtures::engine_with_subscribed_calls(shards * 3, shards);
        let mut drained = Vec::new();
        for (at, call) in (1..).zip(&calls) {
            // Polled empty, its shard still marked: the next drain finds
            // nothing there, and the shard is marked again when it queues.
            tone(&engine, call, at);
            assert_eq!(
                engine.poll_output().map(|output| output.call),
                Some(call.clone())
            );
            assert_eq!(engine.drain_outputs(&mut drained), 0);
            tone(&engine, call, at);
            assert_eq!(engine.drain_outputs(&mut drained), 1, "{shards} shards");
        }
        assert_eq!(drained.len(), calls.len());
    }
}
