//! Realistic calls for the cancel benchmark and the allocation test (also
//! compiled into the benchmarks; each takes what it needs).

#![allow(dead_code)]

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, Engine, EngineConfig, IdSource, Instant,
    MediaPrompt, PlayPrompt, Record, Request, Tone, ToneSet,
};

/// The time of every fixture input.
pub const NOW: Instant = Instant::from_millis(1_000);

/// The `i`-th operation of a realistic IVR queue: every third a record with
/// a prompt and stop tones, the others menu plays of one or two prompts;
/// clientContexts are GUIDs, as bots send them.
pub fn operation(i: usize) -> Request {
    let prompt = |name: &str| MediaPrompt {
        uri: Arc::from(format!("https://cdn.contoso.com/ivr/en-US/{name}-{i}.wav")),
        resource_id: Some(Arc::from(format!("1D6DE2D4-CD51-4309-8DAA-{i:012X}"))),
    };
    let action = if i % 3 == 0 {
        Action::Record(Record {
            prompt: Some(prompt("leave-a-message")),
            play_beep: false,
            stop_tones: [Tone::Pound, Tone::Star].into_iter().collect::<ToneSet>(),
            max_record_duration_secs: 60,
            initial_silence_timeout_secs: 10,
            ..Record::default()
        })
    } else {
        Action::PlayPrompt(PlayPrompt {
            prompts: (0..1 + i % 2).map(|_| prompt("menu")).collect(),
            loop_forever: false,
        })
    };
    Request::new(ApiVersion::V1, action)
        .with_client_context(&format!("d45324c1-fcb5-430a-902c-{i:012x}"))
}

/// cancelMediaProcessing with a clientContext.
pub fn cancel_request() -> Request {
    Request::new(ApiVersion::V1, Action::CancelMediaProcessing)
        .with_client_context("d45324c1-fcb5-430a-902c-f20af696537c")
}

/// A call holding 1 active and `n - 1` queued operations, warmed: its `GET`
/// memory is full and its output queue has held a cancel of `n` before, so
/// cancelling again allocates nothing.
pub fn warm_call_with_queue(n: usize) -> Call {
    let config = Arc::new(CallConfig::default());
    let mut call = Call::new(
        CallId::new("19:meeting_c1"),
        config.clone(),
        IdSource::seeded(1),
        NOW,
    )
    .unwrap();
    let drain = |call: &mut Call| while call.poll_output().is_some() {};
    for _ in 0..config.retained_operations {
        call.handle_request(NOW, operation(1)).expect("accepted");
        call.handle_request(NOW, cancel_request())
            .expect("accepted");
        drain(&mut call);
    }
    for round in 0..2 {
        for i in 0..n {
            call.handle_request(NOW, operation(i)).expect("accepted");
        }
        drain(&mut call);
        if round == 0 {
            call.handle_request(NOW, cancel_request())
                .expect("accepted");
            drain(&mut call);
        }
    }
    assert_eq!(call.queued_len(), n);
    call
}

/// The id of the `i`-th of many calls, 36 characters as Teams gives them,
/// made afresh as the call arrives (the engine keeps it).
pub fn teams_call_id(i: usize) -> CallId {
    CallId::new(&format!("{i:08x}-894c-409a-b240-bd8beae78896"))
}

/// The subscribeToTone the `i`-th call's bot sends, with its own GUID
/// clientContext, as when parsed from HTTP.
pub fn subscribe_request(i: usize) -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
        .with_client_context(&format!("{i:08x}-0000-4000-8000-000000000001"))
}

/// The menu playPrompt the `i`-th call's bot sends: its own GUID
/// clientContext and its own copy of the prompt's URI, as when parsed.
pub fn menu_request(i: usize) -> Request {
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
}

/// An engine of `shards` shards holding `calls` established calls
/// (`call-0`, `call-1`, ...), each subscribed to tones, their outputs so far
/// drained: every tone then gives exactly one output.
pub fn engine_with_subscribed_calls(calls: usize, shards: usize) -> (Engine, Vec<CallId>) {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(7),
        shards,
        ..EngineConfig::default()
    })
    .unwrap();
    let calls = subscribed_calls(&engine, calls);
    (engine, calls)
}

/// Establishes `calls` calls on `engine` (`call-0`, `call-1`, ...) and
/// subscribes each to tones, draining after each call, so that even an
/// engine that lets one output wait per shard takes them all.
pub fn subscribed_calls(engine: &Engine, calls: usize) -> Vec<CallId> {
    let calls: Vec<CallId> = (0..calls)
        .map(|i| CallId::new(&format!("call-{i}")))
        .collect();
    for call in &calls {
        engine.handle_call_established(Instant::ZERO, call).unwrap();
        let subscribe = Request::new(ApiVersion::V1, Action::SubscribeToTone);
        engine
            .handle_request(Instant::ZERO, call, subscribe)
            .unwrap();
        engine.drain_outputs(&mut Vec::new());
    }
    calls
}
