//! Invariant 3.7: a refused request leaves the call exactly as it was: same
//! queue, same timers, same id source position (the next accepted operation
//! gets the id it would have had), no output. (Only time moves: a request
//! at a later `now` first fires the timers due by then, as any input does;
//! these refusals come at the time of the last input.)

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, IdSource, Instant, MediaPrompt, PlayPrompt,
    Record, Request, RequestError, ResultInfo,
};

fn config(capacity: usize) -> Arc<CallConfig> {
    let mut config = CallConfig::default();
    config.queue_capacity(capacity);
    Arc::new(config)
}

fn play(uris: usize) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: (0..uris)
                .map(|i| MediaPrompt::new(&format!("https://x.test/{i}.wav")))
                .collect(),
            loop_forever: false,
        }),
    )
}

fn busy_call(capacity: usize) -> Call {
    let mut call = Call::new(
        CallId::new("c1"),
        config(capacity),
        IdSource::seeded(9),
        Instant::ZERO,
    )
    .unwrap();
    let record = Record {
        play_beep: false,
        ..Record::default()
    };
    call.handle_request(
        Instant::ZERO,
        Request::new(ApiVersion::V1, Action::Record(record)),
    )
    .unwrap();
    call.handle_request(Instant::ZERO, play(1)).unwrap();
    while call.poll_output().is_some() {}
    call
}

fn assert_refusal_changes_nothing(
    mut call: Call,
    request: Request,
    expected: fn(&RequestError) -> bool,
) {
    let before = format!("{call:?}");
    let twin = call.clone();
    let error = call
        .handle_request(Instant::ZERO, request)
        .expect_err("the request is refused");
    assert!(expected(&error), "unexpected refusal: {error}");
    assert_eq!(
        format!("{call:?}"),
        before,
        "a refused request changed the call"
    );
    assert!(call.poll_output().is_none());
    // The id source did not move: the next accepted operation matches the twin's.
    let mut twin = twin;
    let mut call = call;
    let cancel = || Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
    assert_eq!(
        call.handle_request(Instant::from_millis(2), cancel())
            .unwrap()
            .id,
        twin.handle_request(Instant::from_millis(2), cancel())
            .unwrap()
            .id
    );
}

#[test]
fn invalid_body_changes_nothing() {
    assert_refusal_changes_nothing(busy_call(10), play(21), |e| {
        matches!(e, RequestError::Invalid(_))
    });
    assert_refusal_changes_nothing(busy_call(10), play(0), |e| {
        matches!(e, RequestError::Invalid(_))
    });
    let too_long = play(1).with_client_context(&"x".repeat(257));
    assert_refusal_changes_nothing(busy_call(10), too_long, |e| {
        matches!(e, RequestError::Invalid(_))
    });
    let bad_timer = Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            max_record_duration_secs: 121,
            ..Record::default()
        }),
    );
    assert_refusal_changes_nothing(busy_call(10), bad_timer, |e| {
        matches!(e, RequestError::Invalid(_))
    });
}

#[test]
fn full_queue_changes_nothing() {
    assert_refusal_changes_nothing(busy_call(2), play(1), |e| {
        matches!(e, RequestError::QueueFull { capacity: 2, .. })
    });
}

#[test]
fn terminated_call_changes_nothing() {
    let mut call = busy_call(10);
    call.handle_terminated(Instant::ZERO, ResultInfo::conversation_ended())
        .unwrap();
    while call.poll_output().is_some() {}
    let before = format!("{call:?}");
    let error = call.handle_request(Instant::ZERO, play(1)).unwrap_err();
    assert!(matches!(error, RequestError::CallTerminated(_)));
    assert_eq!(format!("{call:?}"), before);
}
