//! A request whose scenario line would be longer than `ivr-replay` takes
//! (1 MiB) fails the run, saying so, rather than pass with a scenario
//! that does not replay.

#![cfg(feature = "testing")]

use ivr_media_queue::Instant;
use ivr_media_queue::testing::{Caller, Harness, Heard, Observation, Outbox};

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
}
