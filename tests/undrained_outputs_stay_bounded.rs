//! An embedder that stops draining cannot make the engine grow without a
//! bound: once a shard holds its share of `max_pending_outputs`, requests
//! get 503 and media inputs are refused (typed, changing nothing); only
//! timers and call ends still add outputs, a bounded few per call. Proven
//! by the outputs counted and by the bytes held (a counting allocator). A
//! `Call` driven alone does the same with `CallConfig::max_pending_outputs`.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, Engine, EngineConfig, IdSource, InputIgnored,
    Instant, MediaInput, MediaPrompt, Notification, Output, PlayPrompt, Record, Request,
    RequestError, Tone,
};

#[path = "common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

fn play() -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new("https://x.test/menu.wav")],
            loop_forever: false,
        }),
    )
}

/// A call driven alone that lets at most `max_pending_outputs` wait.
fn lone_call(id: &str, max_pending_outputs: usize) -> Call {
    let config = CallConfig {
        max_pending_outputs,
        ..CallConfig::default()
    };
    Call::new(
        CallId::new(id),
        Arc::new(config),
        IdSource::seeded(1),
        Instant::ZERO,
    )
    .unwrap()
}

fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

const CALLS: usize = 100;

#[test]
fn an_engine_nobody_drains_stops_growing() {
    let _serial = held_bytes::one_at_a_time();
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_pending_outputs: 1024,
        shards: 8,
        ..EngineConfig::default()
    })
    .unwrap();
    let calls: Vec<CallId> = (0..CALLS).map(|i| CallId::new(&format!("c{i}"))).collect();
    for call in &calls {
        engine.handle_call_established(Instant::ZERO, call).unwrap();
    }
    let (mut refused_requests, mut refused_inputs) = (0, 0);
    let mut round = |n: u64| {
        let now = Instant::from_millis(n);
        for call in &calls {
            for request in [play(), subscribe()] {
                match engine.handle_request(now, call, request) {
                    Ok(_) => {}
                    Err(RequestError::OutputsBacklogged { .. }) => refused_requests += 1,
                    Err(other) => panic!("{other}"),
                }
            }
            for input in [MediaInput::PlaybackFinished, MediaInput::Tone(Tone::Tone1)] {
                match engine.handle_media(now, call, None, input) {
                    Ok(()) | Err(InputIgnored::NothingPlaying(_)) => {}
                    Err(InputIgnored::OutputsBacklogged { .. }) => refused_inputs += 1,
                    Err(other) => panic!("{other}"),
                }
            }
        }
    };
    for n in 0..100 {
        round(n);
    }
    // This thread's count: the harness's thread may record a finished
    // test meanwhile (see `held_here`).
    let (pending, held) = (engine.pending_outputs(), held_bytes::held_here());
    for n in 100..400 {
        round(n);
    }
    assert!(refused_requests > 0 && refused_inputs > 0);
    assert_eq!(
        engine.pending_outputs(),
        pending,
        "300 more rounds added outputs"
    );
    let grown = held_bytes::held_here() - held;
    assert!(grown <= 0, "300 more rounds held {grown} more bytes");
    assert!(pending <= engine.pending_outputs_bound(CALLS));
    // Drained, it takes inputs again.
    let mut drained = Vec::new();
    assert_eq!(engine.drain_outputs(&mut drained), pending);
    engine
        .handle_request(Instant::from_millis(400), &calls[0], subscribe())
        .unwrap();
}

#[test]
fn a_call_nobody_polls_refuses_inputs_until_polled() {
    let _serial = held_bytes::one_at_a_time();
    let mut call = lone_call("c1", 16);
    call.handle_request(Instant::ZERO, subscribe()).unwrap();
    let mut refused = 0;
    for _ in 0..100 {
        match call.handle_media(Instant::ZERO, None, MediaInput::Tone(Tone::Star)) {
            Ok(()) => {}
            Err(InputIgnored::OutputsBacklogged {
                pending: 16,
                limit: 16,
            }) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((call.pending_outputs(), refused), (16, 84));
    assert_eq!(
        call.handle_request(Instant::ZERO, play()),
        Err(RequestError::OutputsBacklogged {
            pending: 16,
            limit: 16
        })
    );
    // A refused tone consumed nothing: the next one delivered is the 17th.
    while call.poll_output().is_some() {}
    call.handle_media(Instant::ZERO, None, MediaInput::Tone(Tone::Star))
        .unwrap();
    assert!(matches!(
        call.poll_output(),
        Some(Output::Notification(Notification::Tone {
            sequence_id: 17,
            ..
        }))
    ));
}

#[test]
fn timers_still_end_operations_when_backlogged() {
    let _serial = held_bytes::one_at_a_time();
    let mut call = lone_call("c1", 16);
    let record = Record {
        play_beep: false,
        ..Record::default()
    };
    call.handle_request(Instant::ZERO, subscribe()).unwrap();
    call.handle_request(
        Instant::ZERO,
        Request::new(ApiVersion::V1, Action::Record(record)),
    )
    .unwrap();
    while call
        .handle_media(Instant::ZERO, None, MediaInput::Tone(Tone::Star))
        .is_ok()
    {}
    let pending = call.pending_outputs();
    // The record's initial silence runs out: it ends, backlog or not.
    call.handle_timeout(Instant::from_millis(5_000));
    assert!(call.pending_outputs() > pending);
    assert_eq!(call.queued_len(), 0);
}

#[test]
fn calls_that_come_and_go_cannot_grow_a_backlog() {
    let _serial = held_bytes::one_at_a_time();
    let engine = Engine::new(EngineConfig {
        max_pending_outputs: 64,
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    let mut refused = 0;
    for i in 0..10_000 {
        let call = CallId::new(&format!("c{i}"));
        match engine.handle_call_established(Instant::ZERO, &call) {
            Ok(()) => {
                let _ = engine.handle_call_terminated(
                    Instant::ZERO,
                    &call,
                    ivr_media_queue::ResultInfo::conversation_ended(),
                );
            }
            Err(ivr_media_queue::EstablishError::OutputsBacklogged { .. }) => refused += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert!(refused > 9_000);
    assert!(
        engine.pending_outputs() <= engine.pending_outputs_bound(1),
        "{} pending",
        engine.pending_outputs()
    );
}

#[test]
fn a_restore_waits_for_room_like_any_call() {
    let _serial = held_bytes::one_at_a_time();
    let mut lone = lone_call("lone", 64);
    lone.handle_request(Instant::ZERO, subscribe()).unwrap();
    for _ in 0..40 {
        lone.handle_media(Instant::ZERO, None, MediaInput::Tone(Tone::Tone1))
            .unwrap();
    }
    let engine = Engine::new(EngineConfig {
        max_pending_outputs: 32,
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    assert_eq!(
        engine.restore_call(&lone.snapshot()),
        Err(ivr_media_queue::RestoreError::OutputsBacklogged {
            pending: 0,
            limit: 32
        }),
        "40 undrained outputs do not fit in room for 32"
    );
    while lone.pending_outputs() > 20 {
        let _ = lone.poll_output();
    }
    lone.handle_timeout(Instant::from_millis(7));
    engine.restore_call(&lone.snapshot()).unwrap();
    let mut drained = Vec::new();
    engine.drain_outputs(&mut drained);
    assert_eq!(drained.len(), 20);
    // They carry the time the call had reached.
    assert!(drained.iter().all(|o| o.at == Instant::from_millis(7)));
}

#[test]
fn racing_inputs_overshoot_by_at_most_one_input_per_call() {
    let _serial = held_bytes::one_at_a_time();
    let engine = Arc::new(
        Engine::new(EngineConfig {
            max_pending_outputs: 16,
            shards: 1,
            call: Arc::new(CallConfig {
                queue_capacity: 1,
                ..CallConfig::default()
            }),
            ..EngineConfig::default()
        })
        .unwrap(),
    );
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    engine
        .handle_request(Instant::ZERO, &call, subscribe())
        .unwrap();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (engine, call) = (engine.clone(), call.clone());
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let _ = engine.handle_media(
                        Instant::ZERO,
                        &call,
                        None,
                        MediaInput::Tone(Tone::Tone1),
                    );
                    // A slow reader of the same call widens the window.
                    let _ = engine.snapshot_call(&call);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        engine.pending_outputs() <= 16 + 1,
        "{} pending against 16",
        engine.pending_outputs()
    );
}
