//! Cancel works on typed values: it stops the media in progress and yields
//! one typed `OperationEnded` per operation, active first then queued, with
//! the reason named, and leaves the tone subscription alone. No JSON is
//! involved anywhere on this path.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, EndReason, IdSource, Instant, MediaCommand,
    MediaPrompt, Notification, OperationStatus, Output, PlayPrompt, Record, Request,
};

fn play(uri: &str) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new(uri)],
            loop_forever: false,
        }),
    )
}

#[test]
fn cancel_ends_active_then_queued_with_typed_reasons() {
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(3),
        Instant::ZERO,
    );
    let now = Instant::from_millis(10);
    call.handle_request(now, Request::new(ApiVersion::V1, Action::SubscribeToTone))
        .unwrap();
    let record = Record {
        play_beep: false,
        ..Record::default()
    };
    let r = call
        .handle_request(
            now,
            Request::new(ApiVersion::Beta, Action::Record(record)).with_client_context("r"),
        )
        .unwrap();
    let p1 = call
        .handle_request(now, play("https://x.test/1.wav"))
        .unwrap();
    let p2 = call
        .handle_request(now, play("https://x.test/2.wav"))
        .unwrap();
    while call.poll_output().is_some() {}
    assert_eq!(call.queued_len(), 3);
    assert_eq!(call.active_operation().map(|op| op.id), Some(r.id));
    let queued: Vec<_> = call.queued_operations().map(|op| op.id).collect();
    assert_eq!(queued, vec![p1.id, p2.id]);

    let cancel = call
        .handle_request(
            Instant::from_millis(20),
            Request::new(ApiVersion::V1, Action::CancelMediaProcessing),
        )
        .unwrap();
    assert_eq!(cancel.status, OperationStatus::Completed);

    let outputs: Vec<Output> = std::iter::from_fn(|| call.poll_output()).collect();
    assert_eq!(
        outputs[0],
        Output::Media(MediaCommand::StopRecording {
            operation: r.id,
            store: false
        })
    );
    let ended: Vec<_> = outputs[1..]
        .iter()
        .map(|output| match output {
            Output::Notification(Notification::OperationEnded(ended)) => {
                (ended.operation.id, ended.reason(), ended.operation.status)
            }
            other => panic!("expected an ended operation, got {other:?}"),
        })
        .collect();
    assert_eq!(
        ended,
        vec![
            (
                r.id,
                EndReason::CancelledWhileRunning,
                OperationStatus::Failed
            ),
            (
                p1.id,
                EndReason::CancelledWhileQueued,
                OperationStatus::Failed
            ),
            (
                p2.id,
                EndReason::CancelledWhileQueued,
                OperationStatus::Failed
            ),
        ]
    );
    assert_eq!(call.queued_len(), 0);
    assert!(call.active_operation().is_none());
    assert!(call.has_tone_subscription());
    assert_eq!(
        call.poll_timeout(),
        None,
        "no record timer survives the cancel"
    );
}

#[test]
fn ended_operation_hands_back_its_request() {
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(3),
        Instant::ZERO,
    );
    call.handle_request(Instant::ZERO, play("https://x.test/welcome.wav"))
        .unwrap();
    call.handle_request(
        Instant::ZERO,
        Request::new(ApiVersion::V1, Action::CancelMediaProcessing),
    )
    .unwrap();
    let ended = std::iter::from_fn(|| call.poll_output())
        .find_map(|output| match output {
            Output::Notification(Notification::OperationEnded(ended)) => Some(ended),
            _ => None,
        })
        .expect("the play ended");
    match ended.request {
        ivr_media_queue::MediaRequest::PlayPrompt(play) => {
            assert_eq!(&*play.prompts[0].uri, "https://x.test/welcome.wav");
        }
        other => panic!("expected the playPrompt back, got {other:?}"),
    }
}
