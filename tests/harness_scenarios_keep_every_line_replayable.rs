//! Every line a harness writes is one `ivr-replay` takes: a request whose
//! line would be longer than 1 MiB fails the run, saying so, rather than
//! pass with a scenario that does not replay; a long failure message is
//! quoted short; a `$` in a URL (a call id, a raw request) is sent as
//! written, not read as an `$opN` reference.

#![cfg(feature = "testing")]

use ivr_media_queue::replay::{self, ReplayRecord};
use ivr_media_queue::testing::{Caller, Harness, Heard, Observation, Outbox, Transcript};
use ivr_media_queue::{Action, ApiVersion, IdSource, Instant, Request};

fn replays(scenario: &str, records: &[ReplayRecord]) {
    let run = replay::run(scenario, IdSource::seeded(1));
    assert_eq!(run.error, None, "{scenario}");
    assert_eq!(run.records, records, "{scenario}");
}

fn run(harness: &Harness, bot: impl FnMut(Instant, Heard<'_>, &mut Outbox)) -> Transcript {
    let mut bot = bot;
    harness
        .run(&Caller::default(), &mut bot, &mut |_: &Observation<
            '_,
            _,
        >| Ok(()))
        .unwrap_or_else(|failure| panic!("{failure}"))
}

#[test]
fn a_request_longer_than_a_scenario_line_fails_the_run() {
    let body = format!("{{\"clientContext\":\"{}\"}}", "x".repeat(2 << 20));
    let mut bot = |_: Instant, heard: Heard<'_>, outbox: &mut Outbox| {
        if let Heard::Answered = heard {
            outbox.send_raw(
                "POST",
                "/communications/calls/c1/subscribeToTone",
                Some(&body),
            );
        }
    };
    let failure = Harness::new()
        .run(&Caller::default(), &mut bot, &mut |_: &Observation<
            '_,
            _,
        >| Ok(()))
        .expect_err("too long to replay");
    assert!(
        failure.message.contains("ivr-replay takes at most 1048576"),
        "{}",
        failure.message
    );
    assert!(
        failure.scenario.len() < 1 << 20,
        "the line is not in the scenario"
    );
    replays(&failure.scenario, &failure.records);
}

#[test]
fn a_long_failure_message_is_quoted_short() {
    let long = "m".repeat(2 << 20);
    let failure = Harness::new()
        .run(
            &Caller::default(),
            &mut |_: Instant, _: Heard<'_>, _: &mut Outbox| {},
            &mut |_: &Observation<'_, _>| Err(long.clone()),
        )
        .expect_err("the property fails");
    assert_eq!(failure.message, long);
    let comment = failure.scenario.lines().last().unwrap_or_default();
    assert!(
        comment.starts_with("// the property failed here: mmm"),
        "{comment:.80}"
    );
    assert!(comment.ends_with("..."), "{comment:.80}");
    assert!(comment.len() < 1_100, "{} bytes", comment.len());
    replays(&failure.scenario, &failure.records);
}

#[test]
fn a_dollar_in_a_call_id_is_no_reference() {
    let harness = Harness::new().call("x$op1").expect("a valid call id");
    let transcript = run(&harness, |_, heard, outbox| {
        if let Heard::Answered = heard {
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
        }
    });
    let ok = transcript.records.iter().any(|record| {
        matches!(record, ReplayRecord::Response { response, .. } if response.status == 200)
    });
    assert!(ok, "{}", transcript.scenario);
    replays(&transcript.scenario, &transcript.records);
}

#[test]
fn a_dollar_in_a_raw_url_is_sent_as_written() {
    let transcript = run(&Harness::new(), |_, heard, outbox| {
        if let Heard::Answered = heard {
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox.send_raw("GET", "/communications/calls/c1/operations/$op1", None);
        }
    });
    // `$op1` is no operation's id: not found (not the subscribe, which a
    // scenario's `$op1` would name).
    let statuses: Vec<u16> = transcript
        .records
        .iter()
        .filter_map(|record| match record {
            ReplayRecord::Response { response, .. } => Some(response.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses[0], 200);
    assert!((400..500).contains(&statuses[1]), "{statuses:?}");
    replays(&transcript.scenario, &transcript.records);
}
