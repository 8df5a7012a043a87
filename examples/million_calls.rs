//! A million live calls on one engine: what each holds, counted by a global
//! allocator, and how long establishing and ending them all takes.
//!
//! ```text
//! cargo run --release --example million_calls            # 1 000 000 calls
//! cargo run --release --example million_calls -- 100000 # fewer
//! ```
//!
//! Each call is in the typical IVR state: established, subscribed to tones,
//! one prompt playing, its outputs drained. The figures are bytes the heap
//! holds for the calls (allocated minus freed), not the process's RSS.

use std::time::Instant as Clock;

use ivr_media_queue::{Engine, EngineConfig, IdSource, Instant, ResultInfo};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;
#[path = "../tests/common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("the number of calls"))
        .unwrap_or(1_000_000);
    if calls == 0 {
        eprintln!("million_calls: the number of calls must be at least 1");
        std::process::exit(2);
    }
    // Ids and requests as they arrive, each call's strings its own (the
    // engine keeps what it needs of them, so they count as the call's).
    let id = fixtures::teams_call_id;
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_calls: calls,
        ..EngineConfig::default()
    })
    .expect("settings in range");
    let mut outputs = Vec::with_capacity(4096);
    let now = Instant::ZERO;

    let baseline = held_bytes::held();
    let start = Clock::now();
    for i in 0..calls {
        engine.handle_call_established(now, &id(i)).expect("room");
    }
    engine.drain_outputs(&mut outputs);
    outputs.clear();
    let established = start.elapsed();
    let idle = (held_bytes::held() - baseline) / calls as isize;

    let start = Clock::now();
    for i in 0..calls {
        let call = id(i);
        engine
            .handle_request(now, &call, fixtures::subscribe_request(i))
            .unwrap();
        engine
            .handle_request(now, &call, fixtures::menu_request(i))
            .unwrap();
        if i % 1024 == 1023 {
            engine.drain_outputs(&mut outputs);
            outputs.clear();
        }
    }
    engine.drain_outputs(&mut outputs);
    outputs.clear();
    let playing_took = start.elapsed();
    let playing = (held_bytes::held() - baseline) / calls as isize;

    let start = Clock::now();
    for i in 0..calls {
        engine
            .handle_call_terminated(now, &id(i), ResultInfo::conversation_ended())
            .unwrap();
        if i % 1024 == 1023 {
            engine.drain_outputs(&mut outputs);
            outputs.clear();
        }
    }
    engine.drain_outputs(&mut outputs);
    outputs.clear();
    let ended = start.elapsed();
    let left = held_bytes::held() - baseline;

    println!("calls: {calls}");
    println!("idle bytes per call: {idle}");
    println!("bytes per call: {playing}");
    println!(
        "established in {established:.2?}, subscribed and playing in {playing_took:.2?}, ended in {ended:.2?}"
    );
    println!("held after all ended: {left} bytes (the remembered ended ids and spare room)");
}
