//! The engine's limits are configuration, and reaching one is a typed error
//! that changes nothing: too many calls, and outputs left undrained (which
//! the wire answers with 503 until they are drained).

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, CancelScope, CollectDigits, Engine, EngineConfig, EstablishError,
    IdSource, Instant, MediaInput, Request, RequestError, Tone,
};

#[test]
fn one_call_too_many_is_refused() {
    let engine = Engine::new(EngineConfig {
        max_calls: 2,
        ..EngineConfig::default()
    })
    .unwrap();
    engine
        .handle_call_established(Instant::ZERO, &CallId::new("a"))
        .unwrap();
    engine
        .handle_call_established(Instant::ZERO, &CallId::new("b"))
        .unwrap();
    assert_eq!(
        engine.handle_call_established(Instant::ZERO, &CallId::new("c")),
        Err(EstablishError::TooManyCalls { limit: 2 })
    );
    assert_eq!(engine.call_count(), 2);
    // Room again once a call ends.
    engine
        .handle_delete(Instant::ZERO, &CallId::new("a"))
        .unwrap();
    engine
        .handle_call_established(Instant::ZERO, &CallId::new("c"))
        .unwrap();
    assert_eq!(engine.call_count(), 2);
}

#[test]
fn undrained_outputs_hold_requests_back_until_drained() {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_pending_outputs: 4,
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let subscribe = || Request::new(ApiVersion::V1, Action::SubscribeToTone);
    engine
        .handle_request(Instant::ZERO, &call, subscribe())
        .unwrap();
    // Media inputs still run: the tones pile up as outputs.
    for _ in 0..4 {
        engine
            .handle_media(Instant::ZERO, &call, None, MediaInput::Tone(Tone::Pound))
            .unwrap();
    }
    assert_eq!(engine.pending_outputs(), 4);
    assert_eq!(
        engine.handle_request(Instant::ZERO, &call, subscribe()),
        Err(RequestError::OutputsBacklogged {
            pending: 4,
            limit: 4
        })
    );
    // The extensions' requests wait for room the same way.
    let backlogged = RequestError::OutputsBacklogged {
        pending: 4,
        limit: 4,
    };
    let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
    assert_eq!(
        engine.cancel_scoped(Instant::ZERO, &call, cancel, CancelScope::Current),
        Err(backlogged.clone())
    );
    assert_eq!(
        engine.handle_collect_digits(Instant::ZERO, &call, None, CollectDigits::default()),
        Err(backlogged)
    );
    let subscribe_over_http = || {
        let url = "/communications/calls/c1/subscribeToTone";
        wire::handle_http(
            &engine,
            &WireConfig::default(),
            Instant::ZERO,
            "POST",
            url,
            b"{}",
        )
    };
    let response = subscribe_over_http();
    assert_eq!(response.status, 503);
    assert!(response.body.unwrap().contains("ServiceUnavailable"));

    let mut drained = Vec::new();
    assert_eq!(engine.drain_outputs(&mut drained), 4);
    assert_eq!(subscribe_over_http().status, 200);
}
