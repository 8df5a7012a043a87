//! A bot that panics, or answers every response with another request at
//! no latency (the clock never moves), fails its run with a message that
//! says so, and the scenario up to there; a property that panics fails it
//! the same way (a panic whose payload panics when dropped, too), and so
//! does a bot factory that panics in a check. None of them takes the test
//! process down.

#![cfg(feature = "testing")]

use ivr_media_queue::testing::{Caller, CallerAct, Harness, Heard, Observation, Outbox};
use ivr_media_queue::{Action, ApiVersion, Instant, Notification, Request, Tone};

fn pressing(tone: Tone) -> Caller {
    Caller::new(vec![(500, CallerAct::Press(tone))])
}

fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

/// Subscribes on the answer, and again on every response.
fn resubscriber(_now: Instant, heard: Heard<'_>, outbox: &mut Outbox) {
    if let Heard::Answered | Heard::Response { .. } = heard {
        outbox.send(subscribe());
    }
}

fn no_property<B>(_: &Observation<'_, B>) -> Result<(), String> {
    Ok(())
}

#[test]
fn a_bot_that_panics_fails_the_run_at_that_step() {
    let mut bot = |_now: Instant, heard: Heard<'_>, outbox: &mut Outbox| match heard {
        Heard::Answered => outbox.send(subscribe()),
        Heard::Notification(Notification::Tone { .. }) => panic!("no menu for this key"),
        _ => {}
    };
    let failure = Harness::new()
        .run(&pressing(Tone::Tone7), &mut bot, &mut no_property)
        .expect_err("the bot panics");
    assert_eq!(failure.message, "the bot panicked: no menu for this key");
    assert_eq!(failure.at, Instant::from_millis(500));
    assert!(failure.scenario.contains(r#""tone":"7""#), "{failure}");
}

#[test]
fn a_bot_that_never_lets_time_move_fails_after_the_step_limit() {
    let mut bot = resubscriber;
    let failure = Harness::new()
        .bot_latency_ms(0)
        .max_steps(200)
        .run(&Caller::default(), &mut bot, &mut no_property)
        .expect_err("the bot loops");
    assert!(
        failure
            .message
            .starts_with("the run took more than 200 steps"),
        "{failure}"
    );
    assert_eq!(failure.at, Instant::ZERO);
    assert_eq!(failure.step, 201);
    // Every step but the answer sent one request.
    assert_eq!(failure.scenario.matches("subscribeToTone").count(), 199);
}

#[test]
fn a_bot_with_latency_that_loops_ends_with_the_run() {
    let mut bot = resubscriber;
    // With latency, the loop moves the clock, and the run's end stops it.
    let transcript = Harness::new()
        .bot_latency_ms(100)
        .settle_ms(2_000)
        .run(&Caller::default(), &mut bot, &mut no_property)
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(transcript.scenario.matches("subscribeToTone").count(), 20);
}

#[test]
fn a_property_that_panics_fails_the_run() {
    let mut bot = |_: Instant, _: Heard<'_>, _: &mut Outbox| {};
    let mut property = |seen: &Observation<'_, _>| {
        assert!(seen.now < Instant::from_millis(500), "too late");
        Ok(())
    };
    let failure = Harness::new()
        .run(&pressing(Tone::Tone1), &mut bot, &mut property)
        .expect_err("the property panics at the key");
    assert_eq!(failure.message, "the property panicked: too late");
}

#[test]
fn a_panic_whose_payload_panics_when_dropped_is_caught_too() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop");
        }
    }
    let mut bot = |_: Instant, _: Heard<'_>, _: &mut Outbox| std::panic::panic_any(Bomb);
    let failure = Harness::new()
        .run(&Caller::default(), &mut bot, &mut no_property)
        .expect_err("the bot panics");
    assert_eq!(
        failure.message,
        "the bot panicked: a panic without a message"
    );
}

#[test]
fn a_bot_factory_that_panics_fails_the_check() {
    use ivr_media_queue::testing::strategy;
    let failure = Harness::new()
        .cases(4)
        .check(
            strategy::callers(strategy::CallerOptions::default()),
            || -> fn(Instant, Heard<'_>, &mut Outbox) { panic!("no bot today") },
            || no_property,
        )
        .expect_err("the factory panics");
    assert!(failure.message.contains("no bot today"), "{failure}");
}
