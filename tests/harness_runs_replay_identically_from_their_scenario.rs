//! A harness run's scenario is the run: `ivr-replay` with the run's seed
//! gives every record again, the same, whether the run passed or its
//! property failed at some step (a timer step, too, whose records come
//! from no line of the scenario), and with fault rules that hold
//! notifications back (reorder, delay) or add some (duplicate).

#![cfg(feature = "testing")]

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, ReplayRecord};
use ivr_media_queue::testing::proptest::prelude::*;
use ivr_media_queue::testing::{Harness, Observation, strategy};

#[path = "common/bots.rs"]
mod bots;

fn replayed(scenario: &str, seed: u64) -> Vec<ReplayRecord> {
    let run = replay::run(scenario, IdSource::seeded(seed));
    assert_eq!(run.error, None, "the scenario does not replay:\n{scenario}");
    run.records
}

fn any_caller() -> impl Strategy<Value = ivr_media_queue::testing::Caller> {
    strategy::callers(strategy::CallerOptions {
        max_acts: 12,
        ..strategy::CallerOptions::default()
    })
}

/// No rule, or one that holds back or adds notifications.
fn faults() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec![
            r#"{"notifications": "reorder", "kind": "operationEnded"}"#,
            r#"{"notifications": "delay", "delayMs": 700, "kind": "tone", "times": "all"}"#,
            r#"{"notifications": "delay", "delayMs": 100000, "kind": "operationEnded"}"#,
            r#"{"notifications": "duplicate", "kind": "operationEnded", "times": "all"}"#,
            r#"{"notifications": "drop", "kind": "tone"}"#,
        ]),
        0..=2,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_passing_run_replays_identically(
        caller in any_caller(),
        latency in 0u64..80,
        seed in 1u64..4,
        faults in faults(),
    ) {
        let harness = faults
            .iter()
            .try_fold(Harness::new().bot_latency_ms(latency).seed(seed), |h, rule| h.fault(rule))
            .expect("valid rules");
        let transcript = harness
            .run(&caller, &mut bots::busy_bot(), &mut |_: &Observation<'_, _>| Ok(()))
            .map_err(|failure| TestCaseError::fail(failure.to_string()))?;
        prop_assert!(transcript.records.len() > 4, "the run did something");
        prop_assert_eq!(replayed(&transcript.scenario, seed), transcript.records);
    }

    #[test]
    fn a_failed_run_replays_up_to_its_failing_step(
        caller in any_caller(),
        fail_at in 1usize..40,
        faults in faults(),
    ) {
        let mut steps = 0;
        let mut property = |_: &Observation<'_, _>| {
            steps += 1;
            if steps == fail_at { Err(format!("step {steps}")) } else { Ok(()) }
        };
        let harness = faults
            .iter()
            .try_fold(Harness::new(), |h, rule| h.fault(rule))
            .expect("valid rules");
        match harness.run(&caller, &mut bots::busy_bot(), &mut property) {
            // A short run ends before the step that would fail.
            Ok(transcript) => prop_assert!(steps < fail_at, "{}", transcript.scenario),
            Err(failure) => {
                prop_assert_eq!(failure.step, fail_at);
                prop_assert_eq!(replayed(&failure.scenario, failure.seed), failure.records);
            }
        }
    }
}
