//! Invariant 3.6: `poll_timeout` is never earlier than the latest `now`;
//! after `handle_timeout(t)` with `t >= poll_timeout()`, the next deadline
//! is later than `t` or none (no spinning); time that goes backwards is
//! treated as the latest time seen; a spurious `handle_timeout` does nothing.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, IdSource, Instant, MediaInput, Output, Record,
    Request,
};

fn recording_call(initial_silence: u32, max_duration: u32) -> Call {
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(1),
        Instant::ZERO,
    )
    .unwrap();
    let record = Record {
        play_beep: false,
        initial_silence_timeout_secs: initial_silence,
        max_record_duration_secs: max_duration,
        max_silence_timeout_secs: 1,
        ..Record::default()
    };
    call.handle_request(
        Instant::from_millis(1000),
        Request::new(ApiVersion::V1, Action::Record(record)),
    )
    .unwrap();
    while call.poll_output().is_some() {}
    call
}

#[test]
fn deadline_is_set_when_recording_starts() {
    let call = recording_call(3, 10);
    assert_eq!(call.poll_timeout(), Some(Instant::from_millis(4000)));
}

#[test]
fn spurious_timeout_does_nothing() {
    let mut call = recording_call(3, 10);
    let before = format!("{call:?}");
    call.handle_timeout(Instant::from_millis(3999));
    assert!(call.poll_output().is_none());
    assert_eq!(call.poll_timeout(), Some(Instant::from_millis(4000)));
    // Only the clock moved.
    assert_ne!(format!("{call:?}"), before);
    call.handle_timeout(Instant::from_millis(3999));
    assert!(call.poll_output().is_none());
}

#[test]
fn firing_makes_progress() {
    let mut call = recording_call(3, 10);
    call.handle_media(Instant::from_millis(1500), None, MediaInput::SpeechStarted)
        .unwrap();
    call.handle_media(Instant::from_millis(2000), None, MediaInput::SpeechStopped)
        .unwrap();
    let mut fired = 0;
    while let Some(deadline) = call.poll_timeout() {
        call.handle_timeout(deadline);
        fired += 1;
        assert!(
            call.poll_timeout().is_none_or(|next| next > deadline),
            "spins at {deadline:?}"
        );
        assert!(fired < 10);
    }
    // Max silence (1 s after 2000) ended it; the media layer is asked to store.
    let outputs: Vec<Output> = std::iter::from_fn(|| call.poll_output()).collect();
    assert!(
        matches!(outputs.as_slice(), [Output::Media(_)]),
        "{outputs:?}"
    );
}

#[test]
fn backwards_time_is_clamped() {
    let mut call = recording_call(3, 10);
    call.handle_timeout(Instant::from_millis(3500));
    // An input stamped earlier than what was seen counts as 3500.
    call.handle_media(Instant::from_millis(100), None, MediaInput::SpeechStopped)
        .unwrap();
    assert_eq!(call.poll_timeout(), Some(Instant::from_millis(4500)));
    assert_eq!(call.last_now(), Instant::from_millis(3500));
}

#[test]
fn late_timeout_fires_at_its_own_deadline_and_poll_timeout_never_lies_in_the_past() {
    let mut call = recording_call(3, 10);
    // Nobody called handle_timeout at 4000; an input at 9000 comes first.
    call.handle_media(Instant::from_millis(9000), None, MediaInput::SpeechStarted)
        .unwrap_err();
    // The initial-silence failure happened (at 4000) before the input.
    let outputs: Vec<Output> = std::iter::from_fn(|| call.poll_output()).collect();
    assert_eq!(outputs.len(), 2, "{outputs:?}");
    assert!(call.poll_timeout().is_none());
}

/// An engine with call c1 recording since 0, its initial silence `secs` long.
fn engine_recording(secs: u32) -> (ivr_media_queue::Engine, CallId) {
    use ivr_media_queue::{Engine, EngineConfig};
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let record = Record {
        play_beep: false,
        initial_silence_timeout_secs: secs,
        ..Record::default()
    };
    engine
        .handle_request(
            Instant::ZERO,
            &call,
            Request::new(ApiVersion::V1, Action::Record(record)),
        )
        .unwrap();
    (engine, call)
}

/// Found by fuzzing: an input the engine ignores (a call it does not know)
/// still tells it the time, so `poll_timeout` never names a moment before it.
#[test]
fn ignored_inputs_still_move_the_engine_clock() {
    let (engine, _) = engine_recording(4);
    assert_eq!(engine.poll_timeout(), Some(Instant::from_millis(4000)));
    let late = Instant::from_millis(26_200);
    engine
        .handle_media(
            late,
            &CallId::new("unknown"),
            None,
            MediaInput::SpeechStarted,
        )
        .unwrap_err();
    assert_eq!(engine.poll_timeout(), Some(late));
    let later = Instant::from_millis(30_000);
    engine
        .handle_call_terminated(
            later,
            &CallId::new("unknown"),
            ivr_media_queue::ResultInfo::conversation_ended(),
        )
        .unwrap_err();
    assert_eq!(engine.poll_timeout(), Some(later));
}

/// A timer nobody fired on time fires before the next input of its call,
/// and its outputs say when it was due, not when the input came.
#[test]
fn late_timer_outputs_carry_their_deadline() {
    let (engine, call) = engine_recording(3);
    let mut outputs = Vec::new();
    engine.drain_outputs(&mut outputs);
    outputs.clear();
    engine
        .handle_media(
            Instant::from_millis(9_000),
            &call,
            None,
            MediaInput::SpeechStarted,
        )
        .unwrap_err();
    engine.drain_outputs(&mut outputs);
    let times: Vec<u64> = outputs.iter().map(|o| o.at.as_millis()).collect();
    assert_eq!(
        times,
        vec![3_000, 3_000],
        "stop recording and the 8510 failure, at the deadline"
    );
}

/// Found by fuzzing: an input the call refuses before it reaches the call's
/// clock (a scoped cancel naming no operation it holds), arriving just when
/// a timer is due, neither leaves that timer due nor fails the call: the
/// timer fires first, at its deadline.
#[test]
fn a_refused_input_at_a_deadline_leaves_no_timer_due() {
    use ivr_media_queue::{CancelScope, OperationId, RequestError};
    let (engine, call) = engine_recording(3);
    let due = Instant::from_millis(3_000);
    let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
    let nobody = OperationId::from_uuid(uuid::Uuid::nil());
    assert!(matches!(
        engine.cancel_scoped(due, &call, cancel, CancelScope::Operation(nobody)),
        Err(RequestError::OperationNotFound { .. })
    ));
    // The record's initial silence ran out at 3 s; the call goes on.
    assert_eq!(engine.poll_timeout(), None);
    let subscribe = Request::new(ApiVersion::V1, Action::SubscribeToTone);
    engine.handle_request(due, &call, subscribe).unwrap();
    let mut outputs = Vec::new();
    engine.drain_outputs(&mut outputs);
    assert!(outputs.iter().any(|o| o.at == due
        && matches!(
            &o.output,
            Output::Notification(ivr_media_queue::Notification::OperationEnded(_))
        )));
}
