//! The typical IVR state (established, subscribed to tones, one prompt
//! playing, outputs drained) holds at most 1 KiB a call, engine included,
//! counted by a global allocator over 50 000 calls: a million fit in 1 GB.
//! What the engine keeps of the bot's strings counts: each call's id,
//! clientContexts and prompt URI are its own, as when parsed from HTTP.
//! (`examples/million_calls.rs` does the million and prints the figure.)

use ivr_media_queue::{Engine, EngineConfig, IdSource, Instant};

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

const CALLS: usize = 50_000;

#[test]
fn a_call_playing_a_prompt_holds_at_most_1_kib() {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        ..EngineConfig::default()
    })
    .unwrap();
    let mut outputs = Vec::with_capacity(4096);
    let baseline = held_bytes::held();
    for i in 0..CALLS {
        let call = fixtures::teams_call_id(i);
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        engine
            .handle_request(Instant::ZERO, &call, fixtures::subscribe_request(i))
            .unwrap();
        engine
            .handle_request(Instant::ZERO, &call, fixtures::menu_request(i))
            .unwrap();
        if i % 1024 == 1023 {
            engine.drain_outputs(&mut outputs);
            outputs.clear();
        }
    }
    engine.drain_outputs(&mut outputs);
    outputs.clear();
    let per_call = (held_bytes::held() - baseline) / CALLS as isize;
    println!("held per call subscribed and playing a prompt: {per_call} bytes");
    assert!(per_call <= 1024, "{per_call} bytes per call");
    // Each is still playing: a prompt and a subscription each.
    let view = engine.view(&fixtures::teams_call_id(CALLS - 1)).unwrap();
    assert!(view.active.is_some(), "the prompt plays");
    assert!(view.tone_subscription, "subscribed");
}
