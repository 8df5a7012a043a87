//! `Engine::restore` takes every call of a snapshot or none, within the
//! engine's `max_calls`: a duplicate call, a call the engine holds already,
//! or one call too many refuses the whole snapshot and changes nothing.

use ivr_media_queue::{
    CallId, Engine, EngineConfig, EngineSnapshot, IdSource, Instant, RestoreError,
};

fn engine(max_calls: usize) -> Engine {
    Engine::new(EngineConfig {
        ids: IdSource::seeded(2),
        max_calls,
        ..EngineConfig::default()
    })
    .unwrap()
}

/// An engine snapshot of `n` calls, c0 .. c{n-1}.
fn snapshot_of(n: usize) -> EngineSnapshot {
    let source = engine(100);
    for i in 0..n {
        source
            .handle_call_established(Instant::ZERO, &CallId::new(&format!("c{i}")))
            .unwrap();
    }
    source.snapshot()
}

fn calls_of(snapshot: EngineSnapshot) -> Vec<ivr_media_queue::CallSnapshot> {
    snapshot.calls().to_vec()
}

#[test]
fn a_duplicate_call_refuses_the_whole_snapshot() {
    let mut calls = calls_of(snapshot_of(10));
    calls.push(calls[3].clone());
    let target = engine(100);
    assert_eq!(
        target.restore(&EngineSnapshot::new(calls, vec![])),
        Err(RestoreError::DuplicateCall(CallId::new("c3")))
    );
    assert_eq!(target.call_count(), 0, "not one went in");
}

#[test]
fn a_call_held_already_refuses_the_whole_snapshot() {
    let target = engine(100);
    target
        .handle_call_established(Instant::ZERO, &CallId::new("c7"))
        .unwrap();
    assert_eq!(
        target.restore(&snapshot_of(10)),
        Err(RestoreError::CallExists(CallId::new("c7")))
    );
    assert_eq!(target.call_count(), 1);
    assert!(target.view(&CallId::new("c0")).is_none());
}

#[test]
fn max_calls_holds_for_restores_too() {
    let target = engine(12);
    for i in 0..3 {
        target
            .handle_call_established(Instant::ZERO, &CallId::new(&format!("here{i}")))
            .unwrap();
    }
    assert_eq!(
        target.restore(&snapshot_of(10)),
        Err(RestoreError::TooManyCalls { limit: 12 })
    );
    assert_eq!(target.call_count(), 3);
    target.restore(&snapshot_of(9)).unwrap();
    assert_eq!(target.call_count(), 12);
    // One at a time, too.
    let one = snapshot_of(10);
    let last = calls_of(one).pop().unwrap();
    assert_eq!(
        target.restore_call(&last),
        Err(RestoreError::TooManyCalls { limit: 12 })
    );
}

#[test]
fn remembered_ended_ids_come_along() {
    let source = engine(100);
    let gone = CallId::new("gone");
    source
        .handle_call_established(Instant::ZERO, &gone)
        .unwrap();
    source
        .handle_delete(Instant::from_millis(1), &gone)
        .unwrap();
    let target = engine(100);
    target.restore(&source.snapshot()).unwrap();
    assert_eq!(
        target.handle_call_established(Instant::from_millis(2), &gone),
        Err(ivr_media_queue::EstablishError::CallTerminated(gone))
    );
}
