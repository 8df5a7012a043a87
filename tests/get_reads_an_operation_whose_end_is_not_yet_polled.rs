//! ENGINE.md 2.5: GET reads an operation while the engine holds it, which
//! includes the moment between its end and the poll of its notification.
//! Each GET finds its own operation among several ended ones.

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, IdSource, Instant, MediaInput, MediaPrompt,
    OperationStatus, PlayPrompt, Request,
};

fn play(context: &str) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![MediaPrompt::new("https://x.test/a.wav")],
            loop_forever: false,
        }),
    )
    .with_client_context(context)
}

#[test]
fn get_finds_each_ended_operation_before_its_notification_is_polled() {
    let mut call = Call::new(
        CallId::new("c1"),
        Arc::new(CallConfig::default()),
        IdSource::seeded(1),
        Instant::ZERO,
    )
    .unwrap();
    let ops: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|context| call.handle_request(Instant::ZERO, play(context)).unwrap())
        .collect();
    let now = Instant::from_millis(10);
    call.handle_media(now, Some(ops[0].id), MediaInput::PlaybackFinished)
        .unwrap();
    call.handle_media(now, Some(ops[1].id), MediaInput::PlaybackFinished)
        .unwrap();
    // Nothing polled: both ends wait among the outputs.
    assert!(call.pending_outputs() >= 2);
    for (op, status) in [
        (&ops[0], OperationStatus::Completed),
        (&ops[1], OperationStatus::Completed),
        (&ops[2], OperationStatus::Running),
    ] {
        let got = call.operation(op.id).expect("held");
        assert_eq!(
            (got.id, &got.client_context, got.status),
            (op.id, &op.client_context, status)
        );
    }
    // Polled, they are in the GET memory, still each its own.
    while call.poll_output().is_some() {}
    for op in &ops[..2] {
        assert_eq!(call.operation(op.id).map(|got| got.id), Some(op.id));
    }
}
