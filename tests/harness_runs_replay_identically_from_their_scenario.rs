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

/// The step limit met on a step of timers right after another: the
/// scenario's last line is the time of the timers that ran, not of those
/// the limit refused.
#[test]
fn a_run_stopped_by_the_step_limit_replays_up_to_its_last_step() {
    use ivr_media_queue::Instant;
    use ivr_media_queue::testing::{Caller, Heard, Outbox};

    let mut bot = |_: Instant, heard: Heard<'_>, outbox: &mut Outbox| {
        if let Heard::Answered = heard {
            outbox.send(bots::play_one("https://prompts.example/a.wav"));
            outbox.send(bots::play_one("https://prompts.example/b.wav"));
        }
    };
    let failure = Harness::new()
        .max_steps(4)
        .run(&Caller::default(), &mut bot, &mut |_: &Observation<
            '_,
            _,
        >| Ok(()))
        .expect_err("the step limit");
    assert!(failure.message.contains("more than 4 steps"), "{failure}");
    assert_eq!(replayed(&failure.scenario, failure.seed), failure.records);
}

/// Times past the engine's latest instant never come: the run ends there,
/// and replays.
#[test]
fn acts_past_the_latest_instant_never_happen() {
    use ivr_media_queue::testing::{Caller, CallerAct};
    use ivr_media_queue::{Instant, Tone};

    let late = Instant::LATEST.as_millis();
    let caller = Caller::new(vec![
        (late - 1_000, CallerAct::Press(Tone::Tone1)),
        (late + 5_000, CallerAct::Press(Tone::Tone2)),
        (u64::MAX, CallerAct::HangUp),
    ]);
    let mut acts = 0;
    // The key cancels the menu and plays sales, whose end (2 s on) would
    // come after the latest instant.
    let transcript = Harness::new()
        .run(&caller, &mut bots::busy_bot(), &mut |seen: &Observation<
            '_,
            _,
        >| {
            acts += usize::from(matches!(
                seen.step,
                ivr_media_queue::testing::Step::Caller(_)
            ));
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(acts, 1, "only the act before the latest instant");
    assert_eq!(
        replayed(&transcript.scenario, transcript.seed),
        transcript.records
    );
}
