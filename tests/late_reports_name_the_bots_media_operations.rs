//! `CallerAct::Late` names the bot's playPrompt and record operations,
//! newest first, never a subscribe or a cancel (no media report can be
//! about those): a report about the prompt that plays ends it; one about
//! an older, cancelled prompt changes nothing.

#![cfg(feature = "testing")]

#[path = "common/bots.rs"]
mod bots;

use ivr_media_queue::testing::{Caller, CallerAct, Harness, Heard, LateEvent, Observation, Outbox};
use ivr_media_queue::{Action, ApiVersion, EndReason, Instant, Notification, Request};

/// Plays a prompt, then subscribes (the newest operation is not media);
/// at 1 s cancels and plays a second prompt, then subscribes again.
fn bot(ended: &mut Vec<(u64, EndReason)>) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) + '_ {
    move |now, heard, outbox: &mut Outbox| match heard {
        Heard::Answered => {
            outbox.send(bots::play_one("https://prompts.example/first.wav"));
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox.wake_after(1_000, 0);
        }
        Heard::Wake { .. } => {
            outbox.send(Request::new(ApiVersion::V1, Action::CancelMediaProcessing));
            outbox.send(bots::play_one("https://prompts.example/second.wav"));
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
        }
        Heard::Notification(Notification::OperationEnded(end)) => {
            ended.push((now.as_millis(), end.reason))
        }
        _ => {}
    }
}

fn run(acts: Vec<(u64, CallerAct)>) -> Vec<(u64, EndReason)> {
    let mut ended = Vec::new();
    Harness::new()
        .settings(r#"{"promptMs": null}"#)
        .expect("valid")
        .run(
            &Caller::new(acts),
            &mut bot(&mut ended),
            &mut |_: &Observation<'_, _>| Ok(()),
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
    ended
}

fn finished(about: u8) -> CallerAct {
    CallerAct::Late {
        about,
        event: LateEvent::PlaybackFinished,
    }
}

#[test]
fn a_report_about_the_newest_media_operation_ends_the_prompt_that_plays() {
    assert_eq!(run(vec![(500, finished(0))]), [(500, EndReason::Completed)]);
}

#[test]
fn a_report_about_a_cancelled_prompt_changes_nothing() {
    // At 2 s the second prompt plays; `about: 1` names the first, which
    // the cancel ended at 1030 ms.
    assert_eq!(
        run(vec![(2_000, finished(1))]),
        [(1_030, EndReason::CancelledWhileRunning)]
    );
    assert_eq!(
        run(vec![(2_000, finished(0))]),
        [
            (1_030, EndReason::CancelledWhileRunning),
            (2_000, EndReason::Completed)
        ]
    );
}
