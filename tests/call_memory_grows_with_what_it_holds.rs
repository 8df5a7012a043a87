//! A call's memory is bounded by what it holds, not by its limits: a call
//! that subscribed to tones and played one prompt to its end, outputs
//! drained, holds at most 512 bytes in all (the idle call included), counted
//! by a global allocator over many calls. The `GET` memory is allowed 64
//! operations; it holds two, and is sized for two.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, Engine, EngineConfig, IdSource, Instant, MediaInput,
    MediaPrompt, PlayPrompt, Request, ResultInfo,
};

#[path = "common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

const CALLS: usize = 20_000;

/// An engine of one shard (the room each shard's queue keeps is then
/// counted once) whose calls hold `queue_capacity` operations.
fn one_shard_engine(queue_capacity: usize) -> Engine {
    Engine::new(EngineConfig {
        call: Arc::new(CallConfig {
            queue_capacity,
            ..CallConfig::default()
        }),
        ids: IdSource::seeded(1),
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap()
}

/// A playPrompt of one prompt.
fn play() -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new("https://cdn.contoso.com/welcome.wav")],
            loop_forever: false,
        }),
    )
}

#[test]
fn a_call_that_played_a_prompt_holds_at_most_512_bytes() {
    let _serial = held_bytes::one_at_a_time();
    let ids: Vec<CallId> = (0..CALLS)
        .map(|i| CallId::new(&format!("{i:08x}-894c-409a-b240-bd8beae78896")))
        .collect();
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        ..EngineConfig::default()
    })
    .unwrap();
    let subscribe = Request::new(ApiVersion::V1, Action::SubscribeToTone);
    let play = play();
    let mut outputs = Vec::with_capacity(16);
    // One call first, so that the engine's own buffers are warm.
    let mut run = |call: &CallId| {
        engine.handle_call_established(Instant::ZERO, call).unwrap();
        engine
            .handle_request(Instant::ZERO, call, subscribe.clone())
            .unwrap();
        let op = engine
            .handle_request(Instant::ZERO, call, play.clone())
            .unwrap();
        engine
            .handle_media(
                Instant::from_millis(1),
                call,
                Some(op.id),
                MediaInput::PlaybackFinished,
            )
            .unwrap();
        outputs.clear();
        engine.drain_outputs(&mut outputs);
        assert_eq!(outputs.len(), 2, "the play command and the completion");
        op
    };
    run(&CallId::new("warm-up"));
    let baseline = held_bytes::held();
    let mut last = None;
    for id in &ids {
        last = Some((id, run(id)));
    }
    let per_call = (held_bytes::held() - baseline) / CALLS as isize;
    println!("held per call after a subscription and one prompt: {per_call} bytes");
    assert!(per_call <= 512, "{per_call} bytes per call");
    // And the call still remembers both operations for GET.
    let (call, op) = last.unwrap();
    assert!(engine.operation(call, op.id).unwrap().is_ended());
}

#[test]
fn a_burst_gives_its_room_back() {
    let _serial = held_bytes::one_at_a_time();
    let engine = one_shard_engine(10_000);
    let play = play();
    let mut outputs = Vec::new();
    let mut burst = |name: &str| {
        let call = CallId::new(name);
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        for _ in 0..10_000 {
            engine
                .handle_request(Instant::ZERO, &call, play.clone())
                .unwrap();
        }
        let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        engine.handle_request(Instant::ZERO, &call, cancel).unwrap();
        engine
            .handle_call_terminated(Instant::ZERO, &call, ResultInfo::conversation_ended())
            .unwrap();
        engine.drain_outputs(&mut outputs);
        outputs = Vec::new();
    };
    burst("warm-up");
    let baseline = held_bytes::held();
    burst("c1");
    let kept = held_bytes::held() - baseline;
    println!("held after a burst of 10 000 operations: {kept} bytes");
    // The queue (1.5 MB), the outputs (2 MB) and the GET memory went back;
    // what stays is the remembered id and a little room.
    assert!(kept <= 1024, "{kept} bytes kept after the burst");
}

#[test]
fn a_live_call_gives_back_its_emptied_queue() {
    let _serial = held_bytes::one_at_a_time();
    let engine = one_shard_engine(1_000);
    let play = play();
    let mut outputs = Vec::new();
    let mut queue_and_cancel = |call: &CallId| {
        for _ in 0..1_000 {
            engine
                .handle_request(Instant::ZERO, call, play.clone())
                .unwrap();
        }
        let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        engine.handle_request(Instant::ZERO, call, cancel).unwrap();
        engine.drain_outputs(&mut outputs);
        outputs = Vec::new();
    };
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    queue_and_cancel(&call);
    let baseline = held_bytes::held();
    queue_and_cancel(&call);
    let kept = held_bytes::held() - baseline;
    println!("a live call held {kept} more bytes after a second queue of 1000");
    // Its emptied queue (1000 slots, some 150 KB) went back; the GET memory
    // is full either way.
    assert!(
        kept <= 1024,
        "{kept} bytes kept by a call whose queue is empty"
    );
}

#[test]
fn a_lone_call_gives_back_its_room_when_asked() {
    let _serial = held_bytes::one_at_a_time();
    let config = CallConfig {
        queue_capacity: 1_000,
        max_pending_outputs: 2_048,
        ..CallConfig::default()
    };
    let mut call = ivr_media_queue::Call::new(
        CallId::new("c1"),
        Arc::new(config),
        IdSource::seeded(1),
        Instant::ZERO,
    )
    .unwrap();
    let play = play();
    for _ in 0..1_000 {
        call.handle_request(Instant::ZERO, play.clone()).unwrap();
    }
    let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
    call.handle_request(Instant::ZERO, cancel).unwrap();
    while call.poll_output().is_some() {}
    let before = held_bytes::held();
    call.shrink_to_fit();
    let freed = before - held_bytes::held();
    println!("shrink_to_fit gave back {freed} bytes");
    // The emptied queue (1000 slots) and the drained output buffer (1001).
    assert!(freed > 300_000, "only {freed} bytes given back");
}
