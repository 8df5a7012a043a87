//! The typed fault-injection API (extension, `ivr_media_queue::fault`):
//! rules change only what they match, as often as they say, hold back at
//! most their capacity, and leave the engine alone.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::time::Duration;

use ivr_media_queue::fault::{
    FaultError, Faults, MAX_FAULT_RULES, NotificationFault, NotificationKind, NotificationRule,
    PromptFault, PromptRule, RequestRule,
};
use ivr_media_queue::{
    CallId, EngineOutput, Instant, MediaCommand, MediaPrompt, Notification, OperationId,
    OperationKind, Output, PromptFailure, Tone,
};

fn tone(call: &str, seq: u64, at: u64) -> EngineOutput {
    EngineOutput {
        call: CallId::new(call),
        at: Instant::from_millis(at),
        seq,
        output: Output::Notification(Notification::Tone {
            sequence_id: seq,
            tone: Tone::Tone1,
        }),
    }
}

fn media(seq: u64, at: u64) -> EngineOutput {
    EngineOutput {
        call: CallId::new("c1"),
        at: Instant::from_millis(at),
        seq,
        output: Output::Media(MediaCommand::StopPlayback {
            operation: OperationId::from_uuid(Default::default()),
        }),
    }
}

/// Feeds outputs at their times and returns what comes out by `until`, as
/// (seq, delivery ms).
fn run(faults: &mut Faults, outputs: Vec<EngineOutput>, until: u64) -> Vec<(u64, u64)> {
    let mut got = Vec::new();
    for output in outputs {
        let at = output.at;
        faults.handle_output(at, output).expect("room to hold");
        while let Some(out) = faults.poll_output(at) {
            got.push((out.seq, out.at.as_millis()));
        }
    }
    while let Some(out) = faults.poll_output(Instant::from_millis(until)) {
        got.push((out.seq, out.at.as_millis()));
    }
    got
}

#[test]
fn without_rules_everything_passes_in_order() {
    let mut faults = Faults::default();
    let got = run(
        &mut faults,
        vec![tone("c1", 1, 0), media(2, 0), tone("c1", 3, 5)],
        10,
    );
    assert_eq!(got, [(1, 0), (2, 0), (3, 5)]);
}

#[test]
fn media_commands_are_never_faulted() {
    let mut faults = Faults::default();
    let rule = NotificationRule {
        times: None,
        ..NotificationRule::once(NotificationFault::Drop, NotificationKind::Any)
    };
    faults.add_notification_rule(rule).unwrap();
    let got = run(&mut faults, vec![tone("c1", 1, 0), media(2, 0)], 0);
    assert_eq!(got, [(2, 0)]);
}

#[test]
fn a_rule_applies_as_many_times_as_it_says_to_what_it_matches() {
    let mut faults = Faults::default();
    let rule = NotificationRule {
        call: Some(CallId::new("c2")),
        times: Some(2),
        ..NotificationRule::once(NotificationFault::Duplicate, NotificationKind::Tone)
    };
    faults.add_notification_rule(rule).unwrap();
    let outputs = vec![
        tone("c1", 1, 0),
        tone("c2", 1, 0),
        tone("c2", 2, 0),
        tone("c2", 3, 0),
    ];
    let got = run(&mut faults, outputs, 0);
    assert_eq!(got, [(1, 0), (1, 0), (1, 0), (2, 0), (2, 0), (3, 0)]);
}

#[test]
fn a_delayed_notification_is_due_at_its_release_and_overtaken_meanwhile() {
    let mut faults = Faults::default();
    let rule = NotificationRule::once(
        NotificationFault::Delay(Duration::from_millis(100)),
        NotificationKind::Tone,
    );
    faults.add_notification_rule(rule).unwrap();
    faults
        .handle_output(Instant::from_millis(10), tone("c1", 1, 10))
        .unwrap();
    assert_eq!(faults.poll_timeout(), Some(Instant::from_millis(110)));
    assert!(faults.poll_output(Instant::from_millis(109)).is_none());
    let got = run(&mut faults, vec![tone("c1", 2, 50)], 200);
    assert_eq!(got, [(2, 50), (1, 110)]);
    assert_eq!(faults.poll_timeout(), None);
}

#[test]
fn a_reordered_notification_waits_for_the_next_or_for_flush() {
    let mut faults = Faults::default();
    let rule = NotificationRule {
        times: Some(3),
        ..NotificationRule::once(NotificationFault::Reorder, NotificationKind::Any)
    };
    faults.add_notification_rule(rule).unwrap();
    let got = run(
        &mut faults,
        vec![tone("c1", 1, 0), media(2, 1), tone("c1", 3, 2)],
        2,
    );
    // The media command does not overtake; the next notification does (and
    // when it matches the rule too, it is not held: two in a row swap).
    assert_eq!(got, [(2, 1), (3, 2), (1, 2)]);
    let got = run(&mut faults, vec![tone("c1", 4, 3)], 3);
    assert!(got.is_empty());
    assert_eq!(faults.held(), 1);
    faults.flush(Instant::from_millis(9));
    assert_eq!(
        faults.poll_output(Instant::from_millis(9)).map(|o| o.seq),
        Some(4)
    );
}

#[test]
fn holding_beyond_capacity_is_a_typed_error_that_returns_the_output() {
    let mut faults = Faults::new(1);
    let rule = NotificationRule {
        times: None,
        ..NotificationRule::once(
            NotificationFault::Delay(Duration::from_secs(1)),
            NotificationKind::Any,
        )
    };
    faults.add_notification_rule(rule).unwrap();
    faults
        .handle_output(Instant::ZERO, tone("c1", 1, 0))
        .unwrap();
    match faults.handle_output(Instant::ZERO, tone("c1", 2, 0)) {
        Err(FaultError::Full { capacity, output }) => {
            assert_eq!(capacity, 1);
            assert_eq!(output.seq, 2);
        }
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(faults.held(), 1);
}

#[test]
fn rules_are_bounded() {
    let mut faults = Faults::default();
    let rule = RequestRule {
        action: None,
        call: None,
        times: Some(1),
    };
    for _ in 0..MAX_FAULT_RULES {
        faults.add_request_rule(rule.clone()).unwrap();
    }
    assert!(matches!(
        faults.add_request_rule(rule),
        Err(FaultError::TooManyRules {
            limit: MAX_FAULT_RULES
        })
    ));
}

#[test]
fn a_request_rule_fails_only_its_action_and_call_with_500_9999() {
    let mut faults = Faults::default();
    faults
        .add_request_rule(RequestRule {
            action: Some(OperationKind::SubscribeToTone),
            call: Some(CallId::new("c1")),
            times: Some(1),
        })
        .unwrap();
    let (c1, c2) = (CallId::new("c1"), CallId::new("c2"));
    assert!(
        faults
            .intercept_request(&c2, OperationKind::SubscribeToTone)
            .is_none()
    );
    assert!(
        faults
            .intercept_request(&c1, OperationKind::PlayPrompt)
            .is_none()
    );
    let error = faults
        .intercept_request(&c1, OperationKind::SubscribeToTone)
        .expect("the rule applies");
    assert_eq!((error.status, error.code), (500, "9999"));
    assert!(
        faults
            .intercept_request(&c1, OperationKind::SubscribeToTone)
            .is_none()
    );
}

#[test]
fn a_prompt_rule_spoils_the_prompts_it_names() {
    let mut faults = Faults::default();
    faults
        .add_prompt_rule(PromptRule {
            fault: PromptFault::Fail(PromptFailure::Format),
            uri_contains: "bad".into(),
            times: None,
        })
        .unwrap();
    faults
        .add_prompt_rule(PromptRule {
            fault: PromptFault::PlayTwice,
            uri_contains: "".into(),
            times: Some(1),
        })
        .unwrap();
    let bad = MediaPrompt::new("https://x.test/bad.wav");
    let good = MediaPrompt::new("https://x.test/good.wav");
    assert_eq!(
        faults.on_play(&bad),
        Some(PromptFault::Fail(PromptFailure::Format))
    );
    assert_eq!(faults.on_play(&good), Some(PromptFault::PlayTwice));
    assert_eq!(faults.on_play(&good), None);
    assert_eq!(
        faults.on_play(&bad),
        Some(PromptFault::Fail(PromptFailure::Format))
    );
}
