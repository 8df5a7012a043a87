//! `Harness::check` searches random callers and reports the simplest one
//! that still fails: one act, at the earliest time it fails, with the
//! report naming the seed and holding the scenario.

#![cfg(feature = "testing")]

use ivr_media_queue::testing::{CallerAct, Harness, Observation, Step, strategy};
use ivr_media_queue::{Instant, Tone};

#[path = "common/bots.rs"]
mod bots;

/// Fails when the caller presses `#` at 5 s or later.
fn no_late_pound<B>() -> impl FnMut(&Observation<'_, B>) -> Result<(), String> {
    |seen| match seen.step {
        Step::Caller(CallerAct::Press(Tone::Pound)) if seen.now >= Instant::from_millis(5_000) => {
            Err("# after 5 s".to_owned())
        }
        _ => Ok(()),
    }
}

#[test]
fn a_failure_shrinks_to_one_act_at_its_earliest_time() {
    let failure = Harness::new()
        .seed(7)
        .check(
            strategy::callers(strategy::CallerOptions::default()),
            bots::busy_bot,
            no_late_pound,
        )
        .expect_err("random callers press # late");
    assert_eq!(
        failure.caller.acts,
        [(5_000, CallerAct::Press(Tone::Pound))],
        "{failure}"
    );
    assert_eq!(failure.message, "# after 5 s");
    assert_eq!(failure.at, Instant::from_millis(5_000));
    let report = failure.to_string();
    assert!(report.contains("--seed 7"), "{report}");
    assert!(report.contains(&failure.scenario), "{report}");
    assert!(
        failure
            .scenario
            .contains(r##"{"at_ms":5000,"call":"c1","event":"tone","tone":"#"}"##),
        "{report}"
    );
}

#[test]
fn the_same_seed_finds_the_same_failure() {
    let check = || {
        Harness::new()
            .seed(3)
            .check(
                strategy::callers(strategy::CallerOptions::default()),
                bots::busy_bot,
                no_late_pound,
            )
            .expect_err("random callers press # late")
    };
    assert_eq!(check(), check());
}

#[test]
fn a_property_that_holds_passes_every_case() {
    let checked = Harness::new()
        .cases(40)
        .check(
            strategy::callers(strategy::CallerOptions {
                keys: vec![Tone::Tone1, Tone::Tone2],
                ..strategy::CallerOptions::default()
            }),
            bots::busy_bot,
            no_late_pound,
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(checked.cases, 40);
}
