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

/// A call established at time zero, with seeded ids.
fn new_call() -> Call {
    Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(3),
        Instant::ZERO,
    )
    .unwrap()
}

#[test]
fn cancel_ends_active_then_queued_with_typed_reasons() {
    let mut call = new_call();
    let now = Instant::from_millis(10);
    assert!(!call.has_tone_subscription());
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
    let mut call = new_call();
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

/// Extension: the receipt names what a cancel ended and where each was,
/// and the outputs are the same as a plain cancel's.
#[test]
fn cancel_receipt_names_running_and_queued_operations() {
    use ivr_media_queue::{CancelledAt, MediaInput, MediaPhase, RequestError};
    let new_call = || {
        let mut call = new_call();
        let two = Request::new(
            ApiVersion::V1,
            Action::PlayPrompt(PlayPrompt {
                prompts: vec![
                    MediaPrompt::new("https://x.test/1.wav"),
                    MediaPrompt::new("https://x.test/2.wav"),
                ],
                loop_forever: false,
            }),
        );
        let first = call.handle_request(Instant::ZERO, two).unwrap();
        let second = call
            .handle_request(Instant::ZERO, play("https://x.test/3.wav"))
            .unwrap();
        call.handle_media(
            Instant::from_millis(800),
            None,
            MediaInput::PlaybackFinished,
        )
        .unwrap();
        while call.poll_output().is_some() {}
        (call, first.id, second.id)
    };
    let cancel = || Request::new(ApiVersion::V1, Action::CancelMediaProcessing);

    let (mut with_receipt, first, second) = new_call();
    let receipt = with_receipt
        .cancel_with_receipt(Instant::from_millis(1_100), cancel())
        .unwrap();
    let ended: Vec<_> = receipt
        .ended
        .iter()
        .map(|e| (e.operation.id, e.operation.status, e.was))
        .collect();
    assert_eq!(
        ended,
        vec![
            (
                first,
                OperationStatus::Failed,
                CancelledAt::Running {
                    phase: MediaPhase::Prompt { index: 1, count: 2 },
                    position_ms: 300
                }
            ),
            (
                second,
                OperationStatus::Failed,
                CancelledAt::Queued { position: 1 }
            ),
        ]
    );

    let (mut plain, ..) = new_call();
    plain
        .handle_request(Instant::from_millis(1_100), cancel())
        .unwrap();
    let outputs = |call: &mut Call| std::iter::from_fn(|| call.poll_output()).collect::<Vec<_>>();
    assert_eq!(
        outputs(&mut with_receipt),
        outputs(&mut plain),
        "the receipt adds nothing to the outputs"
    );

    let not_a_cancel =
        with_receipt.cancel_with_receipt(Instant::from_millis(1_200), play("https://x.test/4.wav"));
    assert!(matches!(not_a_cancel, Err(RequestError::Invalid(_))));
}
