//! From one thread, `Engine::drain_outputs` hands over the outputs of many
//! calls, whatever shards they live in, in exactly the order the inputs
//! gave them: runs of inputs on one call, single inputs alternating between
//! calls, and calls that share a shard.

use ivr_media_queue::{CallId, Instant, MediaInput, Notification, Output, Tone};

#[path = "common/fixtures.rs"]
mod fixtures;

const CALLS: usize = 12;

/// Which call each input goes to: runs of one to four tones on one call,
/// the calls picked by a fixed pseudo-random walk.
fn schedule() -> Vec<usize> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut inputs = Vec::new();
    while inputs.len() < 400 {
        let call = (next() % CALLS as u64) as usize;
        let run = 1 + (next() % 4) as usize;
        inputs.extend(std::iter::repeat_n(call, run));
    }
    inputs
}

#[test]
fn outputs_of_many_calls_drain_in_the_order_their_inputs_came() {
    // One shard (every call shares it), a few (some share), many (most
    // alone): the order is the same.
    for shards in [1, 4, 64] {
        let (engine, calls) = fixtures::engine_with_subscribed_calls(CALLS, shards);
        let inputs = schedule();
        for (i, &call) in inputs.iter().enumerate() {
            let now = Instant::from_millis(1 + i as u64);
            let tone = MediaInput::Tone(Tone::Tone1);
            engine.handle_media(now, &calls[call], None, tone).unwrap();
        }
        let mut drained = Vec::new();
        engine.drain_outputs(&mut drained);

        let order: Vec<&CallId> = drained.iter().map(|output| &output.call).collect();
        let expected: Vec<&CallId> = inputs.iter().map(|&call| &calls[call]).collect();
        assert_eq!(order, expected, "with {shards} shards");
        // And each is the tone it says, numbered in its call.
        for output in &drained {
            assert!(matches!(
                output.output,
                Output::Notification(Notification::Tone {
                    tone: Tone::Tone1,
                    ..
                })
            ));
        }
    }
}
