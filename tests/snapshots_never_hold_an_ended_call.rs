//! A call that ends is gone for everyone at once: a snapshot of the engine
//! taken while calls hang up never holds an ended call (so it always
//! restores), and a move never freezes one. Before, a hang-up ended the call
//! and only then took it out of the engine, and a snapshot in between could
//! not be restored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ivr_media_queue::{
    CallId, Engine, EngineConfig, IdSource, Instant, MoveError, RestoreError, ResultInfo,
};

#[test]
fn snapshots_and_moves_racing_hang_ups_see_no_ended_call() {
    let engine = Arc::new(
        Engine::new(EngineConfig {
            ids: IdSource::seeded(1),
            remembered_ended_calls: 0,
            ..EngineConfig::default()
        })
        .unwrap(),
    );
    let done = Arc::new(AtomicBool::new(false));
    let churn = {
        let (engine, done) = (engine.clone(), done.clone());
        std::thread::spawn(move || {
            for round in 0..100_000 {
                let call = CallId::new(&format!("c{}", round % 8));
                let _ = engine.handle_call_established(Instant::ZERO, &call);
                let _ = engine.handle_call_terminated(
                    Instant::ZERO,
                    &call,
                    ResultInfo::conversation_ended(),
                );
            }
            done.store(true, Ordering::Release);
        })
    };
    let mut checked = 0;
    while !done.load(Ordering::Acquire) || checked < 100 {
        let snapshot = engine.snapshot();
        let fresh = Engine::new(EngineConfig::default()).unwrap();
        match fresh.restore(&snapshot) {
            Ok(()) => {}
            Err(error) => panic!("an engine snapshot did not restore: {error}"),
        }
        let call = CallId::new(&format!("c{}", checked % 8));
        match engine.move_call(&call) {
            Ok(moving) => {
                let restored = Engine::new(EngineConfig::default()).unwrap();
                assert!(
                    !matches!(
                        restored.restore_call(moving.snapshot()),
                        Err(RestoreError::Snapshot(_))
                    ),
                    "a move froze an ended call"
                );
                moving.abort();
            }
            Err(MoveError::CallNotFound(_)) => {}
            Err(other) => panic!("{other}"),
        }
        checked += 1;
    }
    churn.join().unwrap();
}
