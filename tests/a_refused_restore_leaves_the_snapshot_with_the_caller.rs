//! Restoring takes the snapshot by reference: when it is refused (the call
//! does not fit this side, or its id is taken), the caller still holds the
//! snapshot, unchanged, and can restore it elsewhere; a move that fails
//! never loses the call.

#[path = "common/snapshots.rs"]
mod snapshots;

use std::sync::Arc;

use ivr_media_queue::{
    Call, CallConfig, CallId, CallSnapshot, Engine, EngineConfig, SnapshotError,
};
use snapshots::playing;

fn engine(queue_capacity: usize) -> Engine {
    Engine::new(EngineConfig::new(
        CallConfig {
            queue_capacity,
            ..CallConfig::default()
        },
        ivr_media_queue::IdSource::seeded(1),
    ))
    .unwrap()
}

#[test]
fn a_call_refused_by_one_side_restores_on_another() {
    // Three operations held.
    let snapshot = playing().snapshot();
    let bytes = snapshot.to_json();
    let small = Arc::new(CallConfig {
        queue_capacity: 2,
        ..CallConfig::default()
    });
    assert_eq!(
        Call::restore(&snapshot, small).err(),
        Some(SnapshotError::QueueOverCapacity {
            held: 3,
            capacity: 2
        })
    );
    let (cramped, roomy) = (engine(2), engine(100));
    assert!(cramped.restore_call(&snapshot).is_err());
    assert_eq!(cramped.call_count(), 0);
    assert_eq!(snapshot.to_json(), bytes, "the refusal changed nothing");
    assert_eq!(roomy.restore_call(&snapshot), Ok(CallId::new("c1")));
    assert_eq!(roomy.view(&CallId::new("c1")).unwrap().queued.len(), 2);
}

#[test]
fn a_call_whose_id_is_taken_stays_with_the_caller() {
    let snapshot = CallSnapshot::from_json(&playing().snapshot().to_json()).unwrap();
    let (busy, free) = (engine(100), engine(100));
    busy.handle_call_established(ivr_media_queue::Instant::ZERO, &CallId::new("c1"))
        .unwrap();
    assert_eq!(
        busy.restore_call(&snapshot),
        Err(ivr_media_queue::RestoreError::CallExists(CallId::new("c1")))
    );
    assert_eq!(free.restore_call(&snapshot), Ok(CallId::new("c1")));
}
