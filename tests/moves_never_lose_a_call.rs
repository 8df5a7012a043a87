//! A move never loses a call: `move_call` freezes it where it is (inputs
//! refused, timers held) until the move commits or aborts; a refused restore
//! leaves the snapshot with the caller, who can put the call back.

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, IdSource, InputIgnored, Instant, MediaInput,
    MoveError, Record, Request, RequestError, RestoreError, Tone,
};

fn engine(max_calls: usize) -> Engine {
    Engine::new(EngineConfig {
        ids: IdSource::seeded(4),
        max_calls,
        ..EngineConfig::default()
    })
    .unwrap()
}

fn record() -> Request {
    let record = Record {
        play_beep: false,
        stop_tones: [Tone::Pound].into_iter().collect(),
        initial_silence_timeout_secs: 2,
        ..Record::default()
    };
    Request::new(ApiVersion::Beta, Action::Record(record))
}

fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

/// A call recording (initial silence due at 2 s), in `engine`.
fn recording(engine: &Engine, call: &CallId) {
    engine.handle_call_established(Instant::ZERO, call).unwrap();
    engine
        .handle_request(Instant::ZERO, call, record())
        .unwrap();
}

/// What happens next to a call: a tone at 1 s, then time up to 5 s.
fn go_on(engine: &Engine, call: &CallId) -> Vec<String> {
    let mut out = Vec::new();
    engine.drain_outputs(&mut out);
    out.clear();
    let _ = engine.handle_request(Instant::from_millis(1_000), call, subscribe());
    let _ = engine.handle_media(
        Instant::from_millis(1_000),
        call,
        None,
        MediaInput::Tone(Tone::Star),
    );
    engine.handle_timeout(Instant::from_millis(5_000));
    engine.drain_outputs(&mut out);
    out.iter()
        .map(|o| format!("{} {:?} {} {:?}", o.call, o.at, o.seq, o.output))
        .collect()
}

#[test]
fn a_frozen_call_refuses_inputs_and_fires_no_timer() {
    let engine = engine(10);
    let call = CallId::new("c1");
    recording(&engine, &call);
    let mut out = Vec::new();
    engine.drain_outputs(&mut out);
    out.clear();
    let moving = engine.move_call(&call).unwrap();
    assert_eq!(engine.poll_timeout(), None, "its timer waits for the move");
    assert_eq!(
        engine.handle_request(Instant::from_millis(100), &call, subscribe()),
        Err(RequestError::CallMoving(call.clone()))
    );
    assert_eq!(
        engine.handle_media(
            Instant::from_millis(100),
            &call,
            None,
            MediaInput::SpeechStarted
        ),
        Err(InputIgnored::CallMoving(call.clone()))
    );
    let url = "/communications/calls/c1/subscribeToTone";
    let response = wire::handle_http(
        &engine,
        &WireConfig::default(),
        Instant::from_millis(100),
        "POST",
        url,
        b"{}",
    );
    assert_eq!(response.status, 503);
    assert_eq!(
        engine.handle_delete(Instant::from_millis(100), &call),
        Err(RequestError::CallMoving(call.clone()))
    );
    assert_eq!(
        engine.move_call(&call).err(),
        Some(MoveError::AlreadyMoving(call.clone()))
    );
    engine.handle_timeout(Instant::from_millis(3_000));
    engine.drain_outputs(&mut out);
    assert!(out.is_empty(), "nothing ran while frozen: {out:?}");
    drop(moving);
    assert_eq!(
        engine.poll_timeout(),
        Some(Instant::from_millis(3_000)),
        "due, and still there"
    );
}

#[test]
fn an_aborted_move_goes_on_as_if_never_frozen() {
    let (moved, twin) = (engine(10), engine(10));
    let call = CallId::new("c1");
    recording(&moved, &call);
    recording(&twin, &call);
    moved.move_call(&call).unwrap().abort();
    assert_eq!(go_on(&moved, &call), go_on(&twin, &call));
    // Dropping the move aborts it too.
    let (moved, twin) = (engine(10), engine(10));
    recording(&moved, &call);
    recording(&twin, &call);
    {
        let _moving = moved.move_call(&call).unwrap();
    }
    assert_eq!(go_on(&moved, &call), go_on(&twin, &call));
}

#[test]
fn a_committed_move_goes_on_in_the_other_engine_only() {
    let (here, there, twin) = (engine(10), engine(10), engine(10));
    let call = CallId::new("c1");
    recording(&here, &call);
    recording(&twin, &call);
    let moving = here.move_call(&call).unwrap();
    there.restore_call(moving.snapshot()).unwrap();
    moving.commit();
    assert_eq!(here.call_count(), 0);
    assert_eq!(
        here.handle_request(Instant::from_millis(10), &call, subscribe()),
        Err(RequestError::CallNotFound(call.clone()))
    );
    assert_eq!(go_on(&there, &call), go_on(&twin, &call));
}

#[test]
fn a_refused_restore_leaves_the_call_with_the_caller() {
    let (here, full, twin) = (engine(10), engine(1), engine(10));
    let call = CallId::new("c1");
    recording(&here, &call);
    recording(&twin, &call);
    full.handle_call_established(Instant::ZERO, &CallId::new("other"))
        .unwrap();
    let snapshot = here.take_call(&call).unwrap();
    assert_eq!(
        full.restore_call(&snapshot),
        Err(RestoreError::TooManyCalls { limit: 1 })
    );
    assert_eq!(full.call_count(), 1, "nothing went in");
    // The snapshot is still the call: back where it came from, it goes on.
    here.restore_call(&snapshot).unwrap();
    assert_eq!(go_on(&here, &call), go_on(&twin, &call));
    assert_eq!(
        here.restore_call(&snapshot),
        Err(RestoreError::CallExists(call.clone()))
    );
    assert_eq!(
        here.take_call(&CallId::new("nobody")).err(),
        Some(MoveError::CallNotFound(CallId::new("nobody")))
    );
}
