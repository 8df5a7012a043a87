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
        failure.caller.acts(),
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

/// Tone notifications count their `sequenceId` 1, 2, 3, ...: a property
/// the engine keeps, so a check of it runs every case and passes.
#[test]
fn a_property_that_holds_runs_every_case() {
    use ivr_media_queue::Notification;
    use ivr_media_queue::replay::ReplayRecord;
    use std::cell::Cell;

    let properties = Cell::new(0);
    let tones = &Cell::new(0);
    let counting = || {
        properties.set(properties.get() + 1);
        let mut last = 0;
        move |seen: &Observation<'_, _>| {
            for record in seen.records {
                if let ReplayRecord::Notification {
                    notification: Notification::Tone { sequence_id, .. },
                    ..
                } = record
                {
                    if *sequence_id != last + 1 {
                        return Err(format!("sequenceId {sequence_id} after {last}"));
                    }
                    last = *sequence_id;
                    tones.set(tones.get() + 1);
                }
            }
            Ok(())
        }
    };
    let checked = Harness::new()
        .cases(40)
        .check(
            strategy::callers(strategy::CallerOptions::default()),
            bots::busy_bot,
            counting,
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(checked.cases, 40);
    assert_eq!(properties.get(), 40);
    assert!(tones.get() > 40, "only {} tones delivered", tones.get());
}
