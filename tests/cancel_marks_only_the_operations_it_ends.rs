//! A cancel moves the queued operations into the call's outputs at once and
//! marks each ended where it lies. What was already waiting to be polled
//! (an earlier operation's end, a tone) stays exactly as it was, and each
//! operation the cancel ends gets its own final state: failed, cancelled
//! while queued, ended by the cancel, with the etags that follow the last
//! one given, in queue order.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, EndReason, IdSource, Instant, MediaInput,
    MediaPrompt, Notification, Operation, OperationEnded, OperationStatus, Output, PlayPrompt,
    Request, Tone,
};

fn play(context: &str) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new("https://x.test/p.wav")],
            loop_forever: false,
        }),
    )
    .with_client_context(context)
}

fn ended(output: &Output) -> Option<&OperationEnded> {
    match output {
        Output::Notification(Notification::OperationEnded(ended)) => Some(ended),
        _ => None,
    }
}

#[test]
fn earlier_outputs_stay_and_each_ended_operation_gets_its_own_end() {
    let config = CallConfig {
        not_started_for_queued: true,
        ..CallConfig::default()
    };
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(config),
        IdSource::seeded(5),
        Instant::ZERO,
    )
    .unwrap();
    let now = Instant::from_millis(10);
    call.handle_request(now, Request::new(ApiVersion::V1, Action::SubscribeToTone))
        .unwrap();
    // The first play ends on its own; its notification is not polled.
    let first = call.handle_request(now, play("first")).unwrap();
    let second = call.handle_request(now, play("second")).unwrap();
    let queued: Vec<Operation> = ["third", "fourth", "fifth"]
        .into_iter()
        .map(|context| call.handle_request(now, play(context)).unwrap())
        .collect();
    call.handle_media(now, None, MediaInput::PlaybackFinished)
        .unwrap();
    call.handle_media(now, None, MediaInput::Tone(Tone::Pound))
        .unwrap();
    let before: Vec<Output> = {
        // What waits now, read from a copy so that nothing is polled.
        let mut copy = call.clone();
        std::iter::from_fn(|| copy.poll_output()).collect()
    };
    let first_end = before
        .iter()
        .filter_map(ended)
        .find(|e| e.operation.id == first.id)
        .expect("the first play's end waits")
        .clone();
    let last_etag = call.operation(second.id).map(|op| op.etag).unwrap();

    let cancel = call
        .handle_request(
            Instant::from_millis(20),
            Request::new(ApiVersion::V1, Action::CancelMediaProcessing),
        )
        .unwrap();

    let outputs: Vec<Output> = std::iter::from_fn(|| call.poll_output()).collect();
    assert_eq!(
        outputs[..before.len()],
        before[..],
        "what waited before the cancel is unchanged"
    );
    assert_eq!(
        outputs.iter().filter_map(ended).next(),
        Some(&first_end),
        "the earlier end is not marked again"
    );
    let after: Vec<&OperationEnded> = outputs[before.len()..].iter().filter_map(ended).collect();
    let ids: Vec<_> = after.iter().map(|e| e.operation.id).collect();
    let expected: Vec<_> = std::iter::once(second.id)
        .chain(queued.iter().map(|op| op.id))
        .collect();
    assert_eq!(ids, expected, "the active one, then the queue in order");
    for e in &after[1..] {
        assert_eq!(e.operation.status, OperationStatus::Failed);
        assert_eq!(e.reason, EndReason::CancelledWhileQueued);
        assert_eq!(e.operation.end, Some(EndReason::CancelledWhileQueued));
        assert_eq!(e.ended_by, Some(cancel.id));
        assert!(e.partial_recording.is_none() && e.digits.0.is_empty());
    }
    for (e, op) in after[1..].iter().zip(&queued) {
        assert_eq!(e.operation.client_context, op.client_context);
        assert_eq!(e.operation.kind, op.kind);
    }
    let etags: Vec<u64> = after.iter().map(|e| e.operation.etag).collect();
    assert!(etags[0] > last_etag);
    assert!(
        etags.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive etags in queue order: {etags:?}"
    );
    assert_eq!(call.queued_len(), 0);
}
