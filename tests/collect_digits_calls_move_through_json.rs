//! Issue 9, finding 1: a call that used collect digits (an extension
//! operation kind) restores from its own JSON snapshot, whether the
//! collection is active, queued or ended and remembered for `GET`, for a
//! lone call and through an engine.

#[path = "common/snapshots.rs"]
mod snapshots;

use std::sync::Arc;

use ivr_media_queue::{
    Call, CallConfig, CallId, CallSnapshot, CollectDigits, Engine, EngineConfig, EngineSnapshot,
    IdSource, MediaInput, MediaPhase, OperationKind, Output, Tone,
};
use snapshots::{at, collecting, drain, new_call, play};

/// Through bytes, with the default config.
fn moved(call: &Call) -> Call {
    let bytes = call.snapshot().to_json();
    let snapshot = CallSnapshot::from_json(&bytes).expect("reads");
    Call::restore(&snapshot, Arc::new(CallConfig::default())).expect("restores")
}

fn outputs(call: &mut Call) -> Vec<String> {
    std::iter::from_fn(|| call.poll_sequenced())
        .map(|(seq, output)| format!("{seq} {output:?}"))
        .collect()
}

fn press(call: &mut Call, ms: u64, tone: Tone) {
    call.handle_media(at(ms), None, MediaInput::Tone(tone))
        .unwrap();
}

#[test]
fn an_active_collection_moves_with_its_keys() {
    let mut here = collecting();
    let mut there = moved(&here);
    let phase = there.view().active.map(|a| a.phase);
    assert_eq!(phase, Some(MediaPhase::Collecting { digits: 1 }));
    for call in [&mut here, &mut there] {
        press(call, 200, Tone::Tone2);
        press(call, 300, Tone::Pound);
    }
    let (a, b) = (outputs(&mut here), outputs(&mut there));
    assert!(a.iter().any(|o| o.contains("Terminator(Pound)")), "{a:?}");
    assert_eq!(a, b);
    assert_eq!(here.poll_timeout(), there.poll_timeout());
}

#[test]
fn a_queued_collection_moves_and_starts_after_the_play() {
    let mut here = new_call(CallConfig::default());
    here.handle_request(at(0), play(&["https://x.test/a.wav"]))
        .unwrap();
    here.handle_collect_digits(at(10), None, CollectDigits::default())
        .unwrap();
    drain(&mut here);
    let mut there = moved(&here);
    let queued: Vec<OperationKind> = there.queued_operations().map(|op| op.kind).collect();
    assert_eq!(queued, [OperationKind::CollectDigits]);
    for call in [&mut here, &mut there] {
        call.handle_media(at(100), None, MediaInput::PlaybackFinished)
            .unwrap();
        press(call, 200, Tone::Tone7);
        call.handle_timeout(at(10_000));
    }
    assert_eq!(outputs(&mut here), outputs(&mut there));
}

#[test]
fn an_ended_collection_is_still_remembered_for_get() {
    let mut here = collecting();
    press(&mut here, 200, Tone::Pound);
    let ended = std::iter::from_fn(|| here.poll_output())
        .find_map(|output| match output {
            Output::Notification(ivr_media_queue::Notification::OperationEnded(e)) => Some(e),
            _ => None,
        })
        .expect("the collection ended");
    let there = moved(&here);
    let op = there.operation(ended.operation.id).expect("remembered");
    assert_eq!(op, ended.operation);
    assert_eq!(op.kind, OperationKind::CollectDigits);
}

#[test]
fn an_engine_moves_its_collecting_calls() {
    let engine = || {
        Engine::new(EngineConfig {
            ids: IdSource::seeded(3),
            ..EngineConfig::default()
        })
        .unwrap()
    };
    let (here, there) = (engine(), engine());
    let (c1, c2) = (CallId::new("c1"), CallId::new("c2"));
    for call in [&c1, &c2] {
        here.handle_call_established(at(0), call).unwrap();
        here.handle_collect_digits(at(0), call, None, CollectDigits::default())
            .unwrap();
    }
    here.handle_media(at(50), &c1, None, MediaInput::Tone(Tone::Tone4))
        .unwrap();
    let taken = here.take_call(&c2).expect("held").to_json();
    let bytes = here.snapshot().to_json();
    there
        .restore(&EngineSnapshot::from_json(&bytes).expect("reads"))
        .expect("restores");
    there
        .restore_call(&CallSnapshot::from_json(&taken).expect("reads"))
        .expect("restores");
    let digits = |call: &CallId| match there.view(call).and_then(|v| v.active).map(|a| a.phase) {
        Some(MediaPhase::Collecting { digits }) => digits,
        other => panic!("{call} is not collecting: {other:?}"),
    };
    assert_eq!((digits(&c1), digits(&c2)), (1, 0));
}
