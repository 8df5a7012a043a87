//! `testing::strategy::callers` draws every kind of act, in time order,
//! within its window, some in one millisecond; an option that is off
//! keeps its acts out.

#![cfg(feature = "testing")]

use std::collections::BTreeSet;

use ivr_media_queue::testing::proptest::strategy::{Strategy, ValueTree};
use ivr_media_queue::testing::proptest::test_runner::TestRunner;
use ivr_media_queue::testing::{Caller, CallerAct, strategy};

fn kind(act: &CallerAct) -> &'static str {
    match act {
        CallerAct::Press(_) => "press",
        CallerAct::StartSpeaking => "startSpeaking",
        CallerAct::StopSpeaking => "stopSpeaking",
        CallerAct::HangUp => "hangUp",
        CallerAct::PromptEnds => "promptEnds",
        CallerAct::PromptFails(_) => "promptFails",
        CallerAct::BeepFails => "beepFails",
        CallerAct::RecordingFails => "recordingFails",
        CallerAct::MediaTimeout => "mediaTimeout",
        CallerAct::Late { .. } => "late",
        _ => "other",
    }
}

fn draw(options: strategy::CallerOptions, n: usize) -> Vec<Caller> {
    let strategy = strategy::callers(options);
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("a caller").current())
        .collect()
}

#[test]
fn callers_draw_every_act_in_time_order() {
    let options = strategy::CallerOptions::default();
    let callers = draw(options.clone(), 400);
    let kinds: BTreeSet<&str> = callers
        .iter()
        .flat_map(|c| c.acts().iter().map(|(_, a)| kind(a)))
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "press",
            "startSpeaking",
            "stopSpeaking",
            "hangUp",
            "promptEnds",
            "promptFails",
            "beepFails",
            "recordingFails",
            "mediaTimeout",
            "late",
        ])
    );
    for caller in &callers {
        assert!(
            caller.acts().windows(2).all(|pair| pair[0].0 <= pair[1].0),
            "{caller:?}"
        );
        assert!(caller.last_ms() <= options.within_ms, "{caller:?}");
    }
    let same_ms = callers
        .iter()
        .filter(|c| c.acts().windows(2).any(|pair| pair[0].0 == pair[1].0))
        .count();
    assert!(
        same_ms > 20,
        "only {same_ms} of 400 callers act twice in one millisecond"
    );
    let silent = callers.iter().filter(|c| c.acts().is_empty()).count();
    assert!(silent > 0, "no silent caller");
}

#[test]
fn options_that_are_off_keep_their_acts_out() {
    let callers = draw(only_keys(), 200);
    assert!(callers.iter().any(|c| !c.acts().is_empty()));
    for caller in &callers {
        assert!(
            caller.acts().iter().all(|(_, act)| kind(act) == "press"),
            "{caller:?}"
        );
    }
    let nothing = strategy::CallerOptions {
        keys: Vec::new(),
        ..only_keys()
    };
    assert!(draw(nothing, 20).iter().all(|c| c.acts().is_empty()));
}

/// Keys, and nothing else.
fn only_keys() -> strategy::CallerOptions {
    strategy::CallerOptions {
        speech: false,
        hang_ups: false,
        media_failures: false,
        odd_reports: false,
        ..strategy::CallerOptions::default()
    }
}
