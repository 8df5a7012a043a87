//! A bot's own timer: `Outbox::wake_after` wakes it with its tag at the
//! time asked, in order with everything else, and what it sends then
//! replays from the scenario (a wake-up itself is no line).

#![cfg(feature = "testing")]

#[path = "common/bots.rs"]
mod bots;

use ivr_media_queue::replay;
use ivr_media_queue::testing::{Caller, CallerAct, Harness, Heard, Observation, Outbox, Step};
use ivr_media_queue::{Action, ApiVersion, IdSource, Instant, Notification, Request, Tone};

/// Subscribes, then waits 5 s for a key; with none, plays a reminder.
fn reminder(heard: &mut Vec<(u64, String)>) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) + '_ {
    let mut pressed = false;
    move |now, what, outbox: &mut Outbox| match what {
        Heard::Answered => {
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox.wake_after(5_000, 7);
            outbox.wake_after(1_000, 3);
        }
        Heard::Wake { tag } => {
            heard.push((now.as_millis(), format!("wake {tag}")));
            if tag == 7 && !pressed {
                outbox.send(bots::play_one("https://prompts.example/remind.wav"));
            }
        }
        Heard::Notification(Notification::Tone { .. }) => {
            pressed = true;
            heard.push((now.as_millis(), "tone".to_owned()));
        }
        _ => {}
    }
}

#[test]
fn a_wake_up_comes_at_its_time_with_its_tag() {
    let mut heard = Vec::new();
    let mut steps = Vec::new();
    let transcript = Harness::new()
        .run(
            &Caller::default(),
            &mut reminder(&mut heard),
            &mut |seen: &Observation<'_, _>| {
                steps.push((seen.now.as_millis(), seen.step.clone()));
                Ok(())
            },
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(
        heard,
        [(1_000, "wake 3".to_owned()), (5_000, "wake 7".to_owned())]
    );
    assert!(steps.contains(&(5_000, Step::Wake { tag: 7 })), "{steps:?}");
    // The reminder it sent then arrives 30 ms later and plays.
    assert!(
        transcript.scenario.contains(r#"{"at_ms":5030,"request""#),
        "{}",
        transcript.scenario
    );
    assert_eq!(
        replay::run(&transcript.scenario, IdSource::seeded(1)).records,
        transcript.records
    );
}

#[test]
fn a_key_before_the_wake_up_changes_what_the_bot_does_then() {
    let mut heard = Vec::new();
    let caller = Caller::new(vec![(2_000, CallerAct::Press(Tone::Tone5))]);
    let transcript = Harness::new()
        .run(
            &caller,
            &mut reminder(&mut heard),
            &mut |_: &Observation<'_, _>| Ok(()),
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(heard.len(), 3, "{heard:?}");
    assert!(
        !transcript.scenario.contains("remind.wav"),
        "{}",
        transcript.scenario
    );
}
