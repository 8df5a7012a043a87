//! `Engine::drain_outputs` (all at once) and `Engine::poll_output` (one at
//! a time) hand over the same outputs in the same order, also when several
//! threads fed the calls: each thread counts its own stamps from the same
//! start, so ties between shards are common, and both break them alike.

use std::thread;

use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, IdSource, Instant, MediaInput, Request, Tone,
};

const CALLS: usize = 8;

fn engine() -> (Engine, Vec<CallId>) {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(3),
        shards: 4,
        ..EngineConfig::default()
    })
    .unwrap();
    let calls: Vec<CallId> = (0..CALLS).map(|i| CallId::new(&format!("c{i}"))).collect();
    for call in &calls {
        engine.handle_call_established(Instant::ZERO, call).unwrap();
        let subscribe = Request::new(ApiVersion::V1, Action::SubscribeToTone);
        engine
            .handle_request(Instant::ZERO, call, subscribe)
            .unwrap();
    }
    (engine, calls)
}

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
    let (drained_engine, calls) = engine();
    let (polled_engine, _) = engine();
    feed(&drained_engine, &calls);
    feed(&polled_engine, &calls);

    let mut drained = Vec::new();
    drained_engine.drain_outputs(&mut drained);
    let polled: Vec<_> = std::iter::from_fn(|| polled_engine.poll_output()).collect();

    assert_eq!(drained.len(), polled.len());
    // Establishment and subscription outputs, then 36 tones.
    assert!(drained.len() >= 36, "{}", drained.len());
    assert_eq!(drained, polled);
}
