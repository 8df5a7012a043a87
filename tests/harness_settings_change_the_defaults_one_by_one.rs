//! `Harness::settings` changes the replayer's settings one by one over the
//! defaults: what it does not name stays (prompts still end by
//! themselves), `null` takes a setting out, and a setting out of its range
//! is refused by name.

#![cfg(feature = "testing")]

#[path = "common/bots.rs"]
mod bots;

use ivr_media_queue::testing::{Caller, Harness, Heard, Observation, Outbox};
use ivr_media_queue::{Instant, Notification};

/// Plays one prompt; counts the operations that end.
fn player(ended: &mut usize) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) + '_ {
    move |_now, heard, outbox: &mut Outbox| match heard {
        Heard::Answered => outbox.send(bots::play_one("https://prompts.example/hello.wav")),
        Heard::Notification(Notification::OperationEnded(_)) => *ended += 1,
        _ => {}
    }
}

fn ended_prompts(harness: &Harness) -> usize {
    let mut ended = 0;
    harness
        .run(
            &Caller::default(),
            &mut player(&mut ended),
            &mut |_: &Observation<'_, _>| Ok(()),
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    ended
}

#[test]
fn a_setting_changes_only_itself() {
    let harness = Harness::new()
        .settings(r#"{"queueCapacity": 5}"#)
        .expect("valid");
    assert_eq!(
        ended_prompts(&harness),
        1,
        "promptMs stayed: the prompt ended by itself"
    );
}

#[test]
fn null_takes_a_setting_out() {
    let harness = Harness::new()
        .settings(r#"{"promptMs": null}"#)
        .expect("valid");
    assert_eq!(
        ended_prompts(&harness),
        0,
        "no promptMs: the prompt plays until told"
    );
}

#[test]
fn a_setting_out_of_range_is_refused_by_name() {
    let error = Harness::new()
        .settings(r#"{"queueCapacity": 0}"#)
        .expect_err("out of range");
    assert!(error.starts_with("config.queueCapacity"), "{error}");
    let error = Harness::new()
        .settings(r#"{"volume": 11}"#)
        .expect_err("unknown");
    assert!(error.contains("volume"), "{error}");
}
