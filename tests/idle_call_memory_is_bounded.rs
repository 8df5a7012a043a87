//! Memory per idle established call, its id included (made as the call
//! arrives, kept by the engine), counted by a global allocator over 100 000
//! calls: at most 256 bytes each (issue 12's goal; about 245 now).
//! And it all goes back once the calls end, but for the bounded memory of
//! ended ids.

use ivr_media_queue::{Engine, EngineConfig, IdSource, Instant, ResultInfo};

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

const CALLS: usize = 100_000;
const REMEMBERED: usize = 1_000;

#[test]
fn idle_calls_cost_at_most_256_bytes_each_and_give_it_back() {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        remembered_ended_calls: REMEMBERED,
        ..EngineConfig::default()
    })
    .unwrap();
    let baseline = held_bytes::held();
    for i in 0..CALLS {
        engine
            .handle_call_established(Instant::ZERO, &fixtures::teams_call_id(i))
            .unwrap();
    }
    let per_call = (held_bytes::held() - baseline) / CALLS as isize;
    println!("held per idle established call: {per_call} bytes");
    assert!(per_call <= 256, "{per_call} bytes per idle call");

    for i in 0..CALLS {
        engine
            .handle_call_terminated(
                Instant::from_millis(1),
                &fixtures::teams_call_id(i),
                ResultInfo::conversation_ended(),
            )
            .unwrap();
    }
    let mut outputs = Vec::new();
    engine.drain_outputs(&mut outputs);
    assert_eq!(
        outputs.len(),
        2 * CALLS,
        "terminating and terminated per call"
    );
    drop(outputs);
    assert_eq!(engine.call_count(), 0);
    // What stays: the remembered ended ids (an id each), the room the output
    // queue keeps for the next burst (1024 outputs), the maps' spare room:
    // a fixed amount, not a per-call one.
    let left = held_bytes::held() - baseline;
    println!("held after every call ended: {left} bytes");
    assert!(left <= 512 * 1024, "{left} bytes still held");
}
