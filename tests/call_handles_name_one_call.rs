//! A `CallHandle` sends inputs to the one call it was made for: exactly as
//! the same inputs by id while that call lives, and never to a call
//! established afterwards under the same id (ended, moved away, backlogged:
//! the errors by id).

#[path = "common/fixtures.rs"]
mod fixtures;

use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, EngineOutput, IdSource, InputIgnored,
    Instant, MediaInput, Request, RequestError, ResultInfo, Tone,
};

fn engine() -> Engine {
    Engine::new(EngineConfig {
        ids: IdSource::seeded(7),
        ..EngineConfig::default()
    })
    .unwrap()
}

fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

fn drained(engine: &Engine) -> Vec<EngineOutput> {
    let mut out = Vec::new();
    engine.drain_outputs(&mut out);
    out
}

#[test]
fn inputs_through_a_handle_do_what_they_do_by_id() {
    let call = CallId::new("19:meeting_c1");
    let (by_id, via) = (engine(), engine());
    for engine in [&by_id, &via] {
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
    }
    let handle = via.call_handle(&call).expect("the call is held");
    assert_eq!(handle.id(), &call);

    let at = |ms| Instant::from_millis(ms);
    let mut answers_by_id = Vec::new();
    let mut answers_via = Vec::new();
    for (i, ms) in [(1, 10), (2, 20), (3, 30)] {
        answers_by_id.push(by_id.handle_request(at(ms), &call, fixtures::operation(i)));
        answers_via.push(via.handle_request_via(at(ms), &handle, fixtures::operation(i)));
    }
    answers_by_id.push(by_id.handle_request(at(40), &call, subscribe()));
    answers_via.push(via.handle_request_via(at(40), &handle, subscribe()));
    let media = [
        MediaInput::PlaybackFinished,
        MediaInput::Tone(Tone::Tone1),
        MediaInput::PlaybackFinished,
    ];
    for (k, input) in media.into_iter().enumerate() {
        let now = at(100 + k as u64);
        assert_eq!(
            by_id.handle_media(now, &call, None, input.clone()),
            via.handle_media_via(now, &handle, None, input),
        );
    }
    answers_by_id.push(by_id.handle_request(at(200), &call, fixtures::cancel_request()));
    answers_via.push(via.handle_request_via(at(200), &handle, fixtures::cancel_request()));
    assert_eq!(answers_by_id, answers_via);
    assert!(answers_via.iter().all(Result::is_ok), "{answers_via:?}");

    let outputs = drained(&via);
    assert!(outputs.len() >= 8, "{outputs:?}");
    assert_eq!(drained(&by_id), outputs);
}

#[test]
fn a_bad_request_through_a_handle_is_refused_and_changes_nothing() {
    let engine = engine();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let handle = engine.call_handle(&call).unwrap();
    drained(&engine);
    let before = engine.view(&call);
    let empty = Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(ivr_media_queue::PlayPrompt {
            prompts: Vec::new(),
            loop_forever: false,
        }),
    );
    let refused = engine.handle_request_via(Instant::ZERO, &handle, empty.clone());
    assert_eq!(refused, engine.handle_request(Instant::ZERO, &call, empty));
    assert!(refused.is_err());
    assert_eq!(engine.view(&call), before);
    assert!(drained(&engine).is_empty());
}

#[test]
fn a_handle_outlives_its_call_and_never_reaches_the_next_one() {
    let engine = engine();
    let call = CallId::new("c1");
    assert!(engine.call_handle(&call).is_none(), "unknown call");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let handle = engine.call_handle(&call).unwrap();
    engine
        .handle_call_terminated(Instant::ZERO, &call, ResultInfo::conversation_ended())
        .unwrap();
    assert!(engine.call_handle(&call).is_none(), "ended call");
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, subscribe()),
        Err(RequestError::CallTerminated(call.clone()))
    );
    assert_eq!(
        engine.handle_media_via(Instant::ZERO, &handle, None, MediaInput::PlaybackFinished),
        Err(InputIgnored::CallTerminated(call.clone()))
    );

    // A new call under the same id (an engine that forgets ended ids lets
    // one in): the old handle still names the ended one.
    let forgetful = Engine::new(EngineConfig {
        remembered_ended_calls: 0,
        ..EngineConfig::default()
    })
    .unwrap();
    forgetful
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let old = forgetful.call_handle(&call).unwrap();
    forgetful.handle_delete(Instant::ZERO, &call).unwrap();
    forgetful
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    drained(&forgetful);
    let view = forgetful.view(&call);
    assert_eq!(
        forgetful.handle_request_via(Instant::ZERO, &old, subscribe()),
        Err(RequestError::CallTerminated(call.clone()))
    );
    assert_eq!(
        forgetful.handle_media_via(Instant::ZERO, &old, None, MediaInput::Tone(Tone::Pound)),
        Err(InputIgnored::CallTerminated(call.clone()))
    );
    assert_eq!(forgetful.view(&call), view);
    assert!(drained(&forgetful).is_empty());
    // A fresh handle reaches the new call.
    let new = forgetful.call_handle(&call).unwrap();
    assert!(
        forgetful
            .handle_request_via(Instant::ZERO, &new, subscribe())
            .is_ok()
    );
}

#[test]
fn a_handle_to_a_call_that_moved_away_finds_nothing() {
    let engine = engine();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let handle = engine.call_handle(&call).unwrap();
    let moving = engine.move_call(&call).unwrap();
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, subscribe()),
        Err(RequestError::CallMoving(call.clone()))
    );
    moving.commit();
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, subscribe()),
        Err(RequestError::CallNotFound(call.clone()))
    );
    assert_eq!(
        engine.handle_media_via(Instant::ZERO, &handle, None, MediaInput::PlaybackFinished),
        Err(InputIgnored::UnknownCall(call.clone()))
    );
}

#[test]
fn a_backlogged_shard_holds_back_inputs_through_handles_too() {
    let engine = Engine::new(EngineConfig {
        max_pending_outputs: 2,
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let handle = engine.call_handle(&call).unwrap();
    engine
        .handle_request_via(Instant::ZERO, &handle, subscribe())
        .unwrap();
    for _ in 0..2 {
        engine
            .handle_media_via(Instant::ZERO, &handle, None, MediaInput::Tone(Tone::Pound))
            .unwrap();
    }
    let pending = engine.pending_outputs();
    assert!(pending >= 2, "{pending}");
    assert!(matches!(
        engine.handle_request_via(Instant::ZERO, &handle, fixtures::operation(1)),
        Err(RequestError::OutputsBacklogged { .. })
    ));
    assert!(matches!(
        engine.handle_media_via(Instant::ZERO, &handle, None, MediaInput::Tone(Tone::Pound)),
        Err(InputIgnored::OutputsBacklogged { .. })
    ));
    assert_eq!(engine.pending_outputs(), pending);
    drained(&engine);
    assert!(
        engine
            .handle_request_via(Instant::ZERO, &handle, fixtures::operation(1))
            .is_ok()
    );
}
