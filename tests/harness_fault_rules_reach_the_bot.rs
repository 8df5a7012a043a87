//! A harness's fault rules act between the engine and the bot as in a
//! scenario: a duplicated notification reaches the bot twice, a request
//! rule answers 500, and the printed scenario holds the rules, so it
//! replays the same. A rule that is not one, or one more than the
//! replayer holds of its kind, is refused, naming what is wrong.

#![cfg(feature = "testing")]

#[path = "common/bots.rs"]
mod bots;

use ivr_media_queue::replay::{self, ReplayRecord};
use ivr_media_queue::testing::{Caller, Harness, Heard, Observation, Outbox};
use ivr_media_queue::{Action, ApiVersion, IdSource, Instant, Notification, Request};

fn greeter(heard: &mut Vec<String>) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) + '_ {
    move |_now, what, outbox: &mut Outbox| match what {
        Heard::Answered => {
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox.send(bots::play_one("https://prompts.example/hello.wav"));
        }
        Heard::Response { response, .. } => heard.push(format!("response {}", response.status)),
        Heard::Notification(Notification::OperationEnded(ended)) => {
            heard.push(format!("ended {:?}", ended.reason))
        }
        _ => {}
    }
}

fn run(harness: &Harness) -> (Vec<String>, Vec<ReplayRecord>, String) {
    let mut heard = Vec::new();
    let transcript = harness
        .run(
            &Caller::default(),
            &mut greeter(&mut heard),
            &mut |_: &Observation<'_, _>| Ok(()),
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    (heard, transcript.records, transcript.scenario)
}

#[test]
fn a_duplicated_notification_reaches_the_bot_twice() {
    let plain = run(&Harness::new()).0;
    assert_eq!(plain, ["response 200", "response 200", "ended Completed"]);
    let harness = Harness::new()
        .fault(r#"{"notifications": "duplicate", "kind": "operationEnded"}"#)
        .expect("a rule");
    let (heard, records, scenario) = run(&harness);
    assert_eq!(
        heard,
        [
            "response 200",
            "response 200",
            "ended Completed",
            "ended Completed"
        ]
    );
    assert!(
        scenario.contains(r#""fault":{"kind":"operationEnded","notifications":"duplicate"}"#),
        "{scenario}"
    );
    let replayed = replay::run(&scenario, IdSource::seeded(1));
    assert_eq!(replayed.records, records);
}

#[test]
fn a_request_rule_answers_500() {
    let harness = Harness::new()
        .fault(r#"{"requests": "serverError", "action": "subscribeToTone"}"#)
        .expect("a rule");
    assert_eq!(
        run(&harness).0,
        ["response 500", "response 200", "ended Completed"]
    );
}

#[test]
fn a_rule_that_is_not_one_is_refused() {
    let error = Harness::new()
        .fault(r#"{"notifications": "lose"}"#)
        .expect_err("no such fault");
    assert!(error.contains("lose"), "{error}");
    assert!(Harness::new().fault("{").is_err());
    // Repeated keys, as in a scenario line.
    let error = Harness::new()
        .fault(r#"{"notifications": "drop", "notifications": "duplicate"}"#)
        .expect_err("a repeated key");
    assert!(error.contains("notifications"), "{error}");
}

#[test]
fn more_rules_of_one_kind_than_the_replayer_holds_are_refused() {
    let rule = r#"{"notifications": "drop", "kind": "tone"}"#;
    let harness = (0..64)
        .try_fold(Harness::new(), |h, _| h.fault(rule))
        .expect("64 rules");
    let error = harness.clone().fault(rule).expect_err("a 65th");
    assert!(error.contains("at most 64"), "{error}");
    // Another kind still has room.
    assert!(
        harness
            .fault(r#"{"requests": "serverError", "action": "playPrompt"}"#)
            .is_ok()
    );
}
