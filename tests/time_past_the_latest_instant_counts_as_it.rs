//! Time near the end of `u64` milliseconds cannot wedge a call: a `now`
//! past `Instant::LATEST` counts as `LATEST`, so every timer (at most
//! 120 s after an input) still lies ahead of its start, and the timers due
//! after `LATEST` never come (292 million years after the epoch). Before, a record
//! that started within 120 s of `u64::MAX` had its deadline saturate onto
//! its start: a lone call panicked, and in an engine the call failed and an
//! accepted record never ended.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, Engine, EngineConfig, IdSource, Instant,
    MediaInput, MediaPrompt, Notification, Output, PlayPrompt, Record, Request, ResultInfo,
};

fn record() -> Request {
    let record = Record {
        play_beep: false,
        ..Record::default()
    };
    Request::new(ApiVersion::V1, Action::Record(record))
}

fn play() -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new("https://x.test/a.wav")],
            loop_forever: false,
        }),
    )
}

const END: Instant = Instant::from_millis(u64::MAX);

fn ended(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .filter(|o| {
            matches!(
                o,
                Output::Notification(Notification::OperationEnded(_)) | Output::Abandoned(_)
            )
        })
        .count()
}

#[test]
fn a_lone_call_at_the_end_of_time_goes_on() {
    let near = Instant::from_millis(u64::MAX - 1_000);
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(1),
        near,
    )
    .unwrap();
    call.handle_request(near, record()).unwrap();
    call.handle_request(near, record()).unwrap();
    call.handle_timeout(END);
    // Its timers lie after the latest time there is: they never come, and
    // nothing spins waiting for them.
    let due = call.poll_timeout().expect("the record's timers");
    assert!(due > Instant::LATEST);
    call.handle_timeout(due);
    assert_eq!(call.queued_len(), 2);
    call.handle_terminated(END, ResultInfo::conversation_ended())
        .unwrap();
    let outputs: Vec<_> = std::iter::from_fn(|| call.poll_output()).collect();
    assert_eq!(ended(&outputs), 2, "each record ends once, with the call");
}

#[test]
fn an_engine_at_the_end_of_time_ends_every_operation() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let op = engine.handle_request(Instant::ZERO, &call, play()).unwrap();
    engine
        .handle_request(Instant::ZERO, &call, record())
        .unwrap();
    engine
        .handle_media(END, &call, Some(op.id), MediaInput::PlaybackFinished)
        .unwrap();
    if let Some(due) = engine.poll_timeout() {
        engine.handle_timeout(due);
    }
    engine
        .handle_call_terminated(END, &call, ResultInfo::conversation_ended())
        .unwrap();
    let mut outputs = Vec::new();
    engine.drain_outputs(&mut outputs);
    let outputs: Vec<_> = outputs.into_iter().map(|o| o.output).collect();
    assert_eq!(ended(&outputs), 2, "the play and the record, each once");
}
