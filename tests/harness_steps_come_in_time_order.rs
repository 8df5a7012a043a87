//! The harness runs a call as time goes: the answer first, every step at
//! or after the one before (within a millisecond: timers, the caller, the
//! bot), each request of the bot's arriving exactly its latency after the
//! step the bot heard it in, and one `End`, last.

#![cfg(feature = "testing")]

use ivr_media_queue::Instant;
use ivr_media_queue::testing::proptest::prelude::*;
use ivr_media_queue::testing::{Harness, Observation, Step, strategy};

#[path = "common/bots.rs"]
mod bots;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn steps_keep_time_and_requests_keep_their_latency(
        caller in strategy::callers(strategy::CallerOptions::default()),
        latency in 0u64..200,
    ) {
        let mut steps: Vec<(Instant, Step, usize)> = Vec::new();
        let mut property = |seen: &Observation<'_, _>| {
            steps.push((seen.now, seen.step.clone(), seen.records.len()));
            Ok(())
        };
        let harness = Harness::new().bot_latency_ms(latency);
        harness
            .run(&caller, &mut bots::busy_bot(), &mut property)
            .map_err(|failure| TestCaseError::fail(failure.to_string()))?;
        prop_assert_eq!(&steps[0].1, &Step::Answered);
        prop_assert_eq!(&steps.last().unwrap().1, &Step::End);
        prop_assert_eq!(steps.iter().filter(|(_, step, _)| *step == Step::End).count(), 1);
        // Within one millisecond: timers, then the caller, then the bot (no
        // prompt or beep of this bot's lasts 0 ms, so no timer comes due
        // at the time of the step that set it).
        let rank = |step: &Step| match step {
            Step::Answered | Step::Timers => 0,
            Step::Caller(_) => 1,
            Step::Bot(_) | Step::Wake { .. } => 2,
            _ => 3,
        };
        for pair in steps.windows(2) {
            prop_assert!(pair[0].0 <= pair[1].0, "time went back: {:?}", pair);
            if pair[0].0 == pair[1].0 {
                prop_assert!(rank(&pair[0].1) <= rank(&pair[1].1), "out of order: {:?}", pair);
            }
        }
        // Every request arrives `latency` after a step whose records the bot
        // heard (or the answer).
        for (at, step, _) in &steps {
            if let Step::Bot(_) = step {
                let sent = Instant::from_millis(at.as_millis() - latency);
                prop_assert!(
                    steps.iter().any(|(when, step, records)| *when == sent
                        && (*step == Step::Answered || *records > 0)),
                    "a request at {:?} that nothing at {:?} caused", at, sent
                );
            }
        }
        // Each act of the caller is one step, at its time.
        let acts: Vec<_> = steps
            .iter()
            .filter_map(|(at, step, _)| match step {
                Step::Caller(act) => Some((at.as_millis(), act.clone())),
                _ => None,
            })
            .collect();
        prop_assert_eq!(acts.as_slice(), caller.acts());
    }
}

/// At one millisecond the prompt's end (a timer) comes first, then the
/// caller's key, then the bot's request.
#[test]
fn within_a_millisecond_timers_then_the_caller_then_the_bot() {
    use ivr_media_queue::testing::{Caller, CallerAct, Heard, Outbox};
    use ivr_media_queue::{Action, ApiVersion, Notification, Request, Tone};

    // Subscribes and plays a 2 s prompt at once: it ends at 2000 ms, where
    // the caller's second key is.
    let mut heard: Vec<&'static str> = Vec::new();
    let mut bot = |_now: Instant, what: Heard<'_>, outbox: &mut Outbox| match what {
        Heard::Answered => {
            heard.push("answered");
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox.send(bots::play_one(
                "https://prompts.example/p.wav?durationMs=2000",
            ));
        }
        Heard::Notification(Notification::Tone { .. }) => heard.push("tone"),
        Heard::Notification(Notification::OperationEnded(_)) => heard.push("prompt ended"),
        _ => {}
    };
    // Latency 0: the requests arrive at 0 ms, where the caller's first key
    // is, and reach the service after it: that key finds no subscription.
    let caller = Caller::new(vec![
        (0, CallerAct::Press(Tone::Tone1)),
        (2_000, CallerAct::Press(Tone::Tone2)),
    ]);
    Harness::new()
        .bot_latency_ms(0)
        .run(&caller, &mut bot, &mut |_: &Observation<'_, _>| Ok(()))
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(heard, ["answered", "prompt ended", "tone"]);
}

/// A caller built with its acts out of order still acts in time order,
/// every act, and the run lasts until its last.
#[test]
fn a_caller_built_out_of_order_acts_in_time_order() {
    use ivr_media_queue::Tone;
    use ivr_media_queue::testing::{Caller, CallerAct};

    let caller = Caller::new(vec![
        (5_000, CallerAct::Press(Tone::Tone1)),
        (100, CallerAct::HangUp),
    ]);
    let mut acts = Vec::new();
    Harness::new()
        .settle_ms(0)
        .run(&caller, &mut bots::busy_bot(), &mut |seen: &Observation<
            '_,
            _,
        >| {
            if let Step::Caller(act) = seen.step {
                acts.push((seen.now.as_millis(), act.clone()));
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(
        acts,
        [
            (100, CallerAct::HangUp),
            (5_000, CallerAct::Press(Tone::Tone1))
        ]
    );
}
