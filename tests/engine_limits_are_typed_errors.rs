//! The engine's limits are configuration, and reaching one is a typed error
//! that changes nothing: too many calls, and outputs left undrained (which
//! the wire answers with 503 until they are drained).

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, CancelScope, CollectDigits, Engine, EngineConfig, EstablishError,
    IdSource, InputIgnored, Instant, MediaInput, Request, RequestError, Tone,
};

#[path = "common/fixtures.rs"]
mod fixtures;

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

/// An engine whose calls are each subscribed to tones, with a tone waiting
/// undrained in every shard that holds one of them: each such shard has
/// reached its share of `max_pending_outputs` (one output a shard), so the
/// other calls' tones were held back.
fn backlogged(shards: usize, calls: usize) -> (Engine, Vec<CallId>) {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        max_pending_outputs: shards,
        shards,
        ..EngineConfig::default()
    })
    .unwrap();
    let calls = fixtures::subscribed_calls(&engine, calls);
    for call in &calls {
        let tone = MediaInput::Tone(Tone::Pound);
        match engine.handle_media(Instant::ZERO, call, None, tone) {
            Ok(_) | Err(InputIgnored::OutputsBacklogged { .. }) => {}
            Err(other) => panic!("{call}: {other}"),
        }
    }
    (engine, calls)
}

fn subscribe(engine: &Engine, call: &CallId) -> Result<(), RequestError> {
    let request = Request::new(ApiVersion::V1, Action::SubscribeToTone);
    engine
        .handle_request(Instant::ZERO, call, request)
        .map(|_| ())
}

#[test]
fn polling_an_output_frees_its_room_as_draining_does() {
    let (engine, calls) = backlogged(1, 1);
    assert!(matches!(
        subscribe(&engine, &calls[0]),
        Err(RequestError::OutputsBacklogged {
            pending: 1,
            limit: 1
        })
    ));
    assert!(engine.poll_output().is_some());
    assert_eq!(engine.pending_outputs(), 0);
    subscribe(&engine, &calls[0]).unwrap();
}

#[test]
fn a_drain_of_many_shards_frees_the_room_of_each() {
    // 40 calls in 2 shards: both hold some (a call's shard is a fixed hash
    // of its id; the count of 2 below checks it).
    let (engine, calls) = backlogged(2, 40);
    assert_eq!(engine.pending_outputs(), 2);
    for call in &calls {
        assert!(matches!(
            subscribe(&engine, call),
            Err(RequestError::OutputsBacklogged { limit: 1, .. })
        ));
    }
    assert_eq!(engine.drain_outputs(&mut Vec::new()), 2);
    assert_eq!(engine.pending_outputs(), 0);
    for call in &calls {
        subscribe(&engine, call).unwrap();
        engine.drain_outputs(&mut Vec::new());
    }
}
