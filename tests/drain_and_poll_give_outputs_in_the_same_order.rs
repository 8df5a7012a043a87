//! `Engine::drain_outputs` (all at once) and `Engine::poll_output` (one at
//! a time) hand over the same outputs in the same order, also when several
//! threads fed the calls: each thread counts its own stamps from the same
//! start, so ties between shards are common, and both break them alike.

use std::thread;

use ivr_media_queue::{CallId, Engine, Instant, MediaInput, Tone};

#[path = "common/fixtures.rs"]
mod fixtures;

const CALLS: usize = 8;

/// Three threads, one after another, each sending tones to its own calls
/// (in runs), so that their stamps overlap.
fn feed(engine: &Engine, calls: &[CallId]) {
    for t in 0..3 {
        thread::scope(|s| {
            s.spawn(|| {
                for k in 0..12 {
                    let call = &calls[(t * 3 + k / 3) % calls.len()];
                    let tone = MediaInput::Tone(Tone::ALL[k % Tone::ALL.len()]);
                    engine
                        .handle_media(Instant::from_millis(1), call, None, tone)
                        .unwrap();
                }
            });
        });
    }
}

#[test]
fn drain_and_poll_agree_on_the_order() {
    let (drained_engine, calls) = fixtures::engine_with_subscribed_calls(CALLS, 4);
    let (polled_engine, _) = fixtures::engine_with_subscribed_calls(CALLS, 4);
    feed(&drained_engine, &calls);
    feed(&polled_engine, &calls);

    let mut drained = Vec::new();
    drained_engine.drain_outputs(&mut drained);
    let polled: Vec<_> = std::iter::from_fn(|| polled_engine.poll_output()).collect();

    assert_eq!(drained.len(), polled.len());
    // 36 tones, one output each.
    assert!(drained.len() >= 36, "{}", drained.len());
    assert_eq!(drained, polled);
}
