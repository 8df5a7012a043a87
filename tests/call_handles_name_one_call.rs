//! A `CallHandle` sends inputs to the one call it was made for: exactly as
//! the same inputs by id while that call lives, and never to a call
//! established afterwards under the same id (ended, moved away, backlogged:
//! the errors by id).

#[path = "common/fixtures.rs"]
mod fixtures;

use ivr_media_queue::{
    Action, ApiVersion, CallHandle, CallId, Engine, EngineConfig, EngineOutput, IdSource,
    InputIgnored, Instant, MediaInput, Record, Request, RequestError, ResultInfo, Tone,
};

fn engine() -> Engine {
    Engine::new(EngineConfig {
        ids: IdSource::seeded(7),
        ..EngineConfig::default()
    })
    .unwrap()
}

/// An engine that remembers no ended call, so an ended call's id can be
/// established again.
fn forgetful() -> Engine {
    Engine::new(EngineConfig {
        remembered_ended_calls: 0,
        ..EngineConfig::default()
    })
    .unwrap()
}

fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

/// Establishes call `c1` on `engine` and takes its handle.
fn established(engine: &Engine) -> (CallId, CallHandle) {
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let handle = engine.call_handle(&call).unwrap();
    (call, handle)
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
    let (call, handle) = established(&engine);
    // A record waiting for speech: a deadline a moved clock would show.
    let record = Record {
        play_beep: false,
        ..Record::default()
    };
    engine
        .handle_request_via(
            Instant::ZERO,
            &handle,
            Request::new(ApiVersion::V1, Action::Record(record)),
        )
        .unwrap();
    drained(&engine);
    let (before, deadline) = (engine.view(&call), engine.poll_timeout());
    assert!(deadline.is_some());
    let empty = Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(ivr_media_queue::PlayPrompt {
            prompts: Vec::new(),
            loop_forever: false,
        }),
    );
    let late = Instant::from_millis(3_600_000);
    let refused = engine.handle_request_via(late, &handle, empty.clone());
    assert_eq!(refused, engine.handle_request(late, &call, empty));
    assert!(refused.is_err());
    assert_eq!(engine.view(&call), before);
    assert_eq!(engine.poll_timeout(), deadline);
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
    let forgetful = forgetful();
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
    let (call, handle) = established(&engine);
    // A move that aborts leaves the call, and its handle, as they were.
    engine.move_call(&call).unwrap().abort();
    assert!(
        engine
            .handle_request_via(Instant::ZERO, &handle, subscribe())
            .is_ok()
    );
    let moving = engine.move_call(&call).unwrap();
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, subscribe()),
        Err(RequestError::CallMoving(call.clone()))
    );
    let snapshot = moving.commit();
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, subscribe()),
        Err(RequestError::CallNotFound(call.clone()))
    );
    assert_eq!(
        engine.handle_media_via(Instant::ZERO, &handle, None, MediaInput::PlaybackFinished),
        Err(InputIgnored::UnknownCall(call.clone()))
    );
    // Restored here again, the call is a new place: the old handle still
    // finds nothing, a new one finds it.
    engine.restore_call(&snapshot).unwrap();
    assert_eq!(
        engine.handle_request_via(Instant::ZERO, &handle, fixtures::operation(1)),
        Err(RequestError::CallNotFound(call.clone()))
    );
    let again = engine.call_handle(&call).unwrap();
    assert!(
        engine
            .handle_request_via(Instant::ZERO, &again, fixtures::operation(1))
            .is_ok()
    );
}

#[test]
fn a_handle_given_to_another_engine_finds_nothing_there() {
    let a = engine();
    let b = Engine::new(EngineConfig {
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    let call = CallId::new("c1");
    for engine in [&a, &b] {
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        drained(engine);
    }
    let from_a = a.call_handle(&call).unwrap();
    let (view_a, view_b) = (a.view(&call), b.view(&call));
    assert_eq!(
        b.handle_request_via(Instant::ZERO, &from_a, fixtures::operation(0)),
        Err(RequestError::CallNotFound(call.clone()))
    );
    assert_eq!(
        b.handle_media_via(Instant::ZERO, &from_a, None, MediaInput::Tone(Tone::Pound)),
        Err(InputIgnored::UnknownCall(call.clone()))
    );
    assert_eq!(
        b.handle_call_terminated_via(Instant::ZERO, &from_a, ResultInfo::conversation_ended()),
        Err(InputIgnored::UnknownCall(call.clone()))
    );
    assert_eq!((a.view(&call), b.view(&call)), (view_a, view_b));
    assert!(drained(&a).is_empty() && drained(&b).is_empty());
    assert_eq!((a.poll_timeout(), b.poll_timeout()), (None, None));
}

#[test]
fn a_hang_up_through_a_handle_ends_that_call_only() {
    let forgetful = forgetful();
    let (call, old) = established(&forgetful);
    forgetful
        .handle_call_terminated_via(Instant::ZERO, &old, ResultInfo::conversation_ended())
        .unwrap();
    assert!(forgetful.view(&call).is_none());
    forgetful
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    // A late second hang-up of the old call leaves the new one alone.
    assert_eq!(
        forgetful.handle_call_terminated_via(Instant::ZERO, &old, ResultInfo::conversation_ended()),
        Err(InputIgnored::CallTerminated(call.clone()))
    );
    assert!(forgetful.view(&call).is_some());
    assert_eq!(forgetful.call_count(), 1);
}

#[test]
fn a_backlogged_shard_holds_back_inputs_through_handles_too() {
    let engine = Engine::new(EngineConfig {
        max_pending_outputs: 2,
        shards: 1,
        ..EngineConfig::default()
    })
    .unwrap();
    let (_, handle) = established(&engine);
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
