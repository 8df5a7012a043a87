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

use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, IdSource, Instant, MediaPrompt, PlayPrompt,
    Request, ResultInfo,
};

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
    // Ids as Teams gives them (36 characters), made as a call arrives: the
    // engine keeps the id, so it counts as the call's.
    let id = |i: usize| CallId::new(&format!("{i:08x}-894c-409a-b240-bd8beae78896"));
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_calls: calls,
        ..EngineConfig::default()
    })
    .expect("settings in range");
    // Requests as a bot sends them, parsed afresh for each call: a GUID
    // clientContext and the prompt's URI are each the call's own strings.
    let subscribe = |i: usize| {
        Request::new(ApiVersion::V1, Action::SubscribeToTone)
            .with_client_context(&format!("{i:08x}-0000-4000-8000-000000000001"))
    };
    let play = |i: usize| {
        Request::new(
            ApiVersion::V1,
            Action::PlayPrompt(PlayPrompt {
                prompts: vec![MediaPrompt::new(
                    "https://cdn.contoso.com/ivr/en-US/menu.wav",
                )],
                loop_forever: false,
            }),
        )
        .with_client_context(&format!("{i:08x}-0000-4000-8000-000000000002"))
    };
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
        engine.handle_request(now, &call, subscribe(i)).unwrap();
        engine.handle_request(now, &call, play(i)).unwrap();
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
