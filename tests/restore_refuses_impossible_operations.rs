//! Issue 9, finding 4: restoring checks what the operations mean, not only
//! their types. An id held twice, an operation of the wrong kind or status,
//! a phase its request does not have, a timer its request would not set or
//! an end its kind cannot have is refused, naming the operation and the
//! fault; nothing is restored that could end twice, stall or overflow.

#[path = "common/snapshots.rs"]
mod snapshots;

use ivr_media_queue::snapshot::{OperationFault, Place, Timer};
use ivr_media_queue::{
    EndReason, Instant, OperationId, OperationKind, OperationStatus, SnapshotError, Tone,
};
use serde_json::{Value, json};
use snapshots::{active_id, collecting, forged, json, playing, recording, storing};

fn id(text: &str) -> OperationId {
    text.parse().unwrap()
}

/// The fault restoring `call`'s forged snapshot gives for its active
/// operation.
fn active_fault(call: &ivr_media_queue::Call, forge: impl FnOnce(&mut Value)) -> OperationFault {
    let active = id(&active_id(&json(call)));
    match forged(call, forge) {
        Err(SnapshotError::InvalidOperation { operation, fault }) => {
            assert_eq!(operation, active);
            fault
        }
        other => panic!("expected InvalidOperation, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn unforged_calls_in_every_phase_restore() {
    for call in [playing(), recording(), storing(), collecting()] {
        assert!(forged(&call, |_| {}).is_ok());
    }
}

#[test]
fn an_operation_id_held_twice_is_refused() {
    let value = json(&playing());
    let active = active_id(&value);
    let queued = value["media"]["queued"][0]["operation"]["id"].clone();
    let refused = forged(&playing(), |v| {
        v["media"]["queued"][1]["operation"]["id"] = queued.clone()
    });
    assert_eq!(
        refused.err(),
        Some(SnapshotError::DuplicateOperation {
            operation: id(queued.as_str().unwrap()),
            first: Place::Queued,
            again: Place::Queued
        })
    );
    let refused = forged(&playing(), |v| v["remembered"][0]["id"] = json!(active));
    assert_eq!(
        refused.err(),
        Some(SnapshotError::DuplicateOperation {
            operation: id(&active),
            first: Place::Active,
            again: Place::Remembered
        })
    );
}

#[test]
fn operations_of_the_wrong_kind_are_refused() {
    assert_eq!(
        active_fault(&playing(), |v| v["media"]["active"]["operation"]["kind"] =
            json!("record")),
        OperationFault::KindMismatch {
            kind: OperationKind::Record,
            request: OperationKind::PlayPrompt
        }
    );
    assert_eq!(
        active_fault(&playing(), |v| {
            v["media"]["active"]["operation"]["kind"] = json!("subscribeToTone")
        }),
        OperationFault::NotMedia(OperationKind::SubscribeToTone)
    );
}

#[test]
fn active_and_queued_operations_must_be_pending() {
    assert_eq!(
        active_fault(
            &playing(),
            |v| v["media"]["active"]["operation"]["status"] = json!("notStarted")
        ),
        OperationFault::NotPending {
            status: OperationStatus::NotStarted,
            place: Place::Active
        }
    );
    let refused = forged(&playing(), |v| {
        v["media"]["queued"][0]["operation"]["status"] = json!("completed")
    });
    assert!(matches!(
        refused,
        Err(SnapshotError::InvalidOperation {
            fault: OperationFault::NotPending {
                status: OperationStatus::Completed,
                place: Place::Queued
            },
            ..
        })
    ));
    // notStarted is fine while queued.
    assert!(
        forged(
            &playing(),
            |v| v["media"]["queued"][0]["operation"]["status"] = json!("notStarted")
        )
        .is_ok()
    );
    assert_eq!(
        active_fault(&playing(), |v| {
            v["media"]["active"]["operation"]["recording"] =
                json!({"location": "https://r.test/x.wav", "accessToken": "t"})
        }),
        OperationFault::ResultWhilePending(Place::Active)
    );
    assert_eq!(
        active_fault(&playing(), |v| {
            v["media"]["active"]["operation"]["end"] = json!({"type": "completed"})
        }),
        OperationFault::ResultWhilePending(Place::Active)
    );
}

#[test]
fn a_prompt_the_operation_does_not_have_is_refused() {
    assert_eq!(
        active_fault(&playing(), |v| v["media"]["active"]["phase"]["index"] =
            json!(2)),
        OperationFault::PromptOutOfRange { index: 2, count: 2 }
    );
    // Today's code would add one to it and overflow.
    assert_eq!(
        active_fault(&playing(), |v| {
            v["media"]["active"]["phase"]["index"] = json!(u64::MAX)
        }),
        OperationFault::PromptOutOfRange {
            index: usize::MAX,
            count: 2
        }
    );
}

#[test]
fn phases_the_request_does_not_have_are_refused() {
    assert_eq!(
        active_fault(&playing(), |v| v["media"]["active"]["phase"] =
            json!({"type": "beep"})),
        OperationFault::BeepWithoutBeep
    );
    // A record that plays no beep.
    assert_eq!(
        active_fault(&recording(), |v| v["media"]["active"]["phase"] =
            json!({"type": "beep"})),
        OperationFault::BeepWithoutBeep
    );
    let recording_phase = json(&recording())["media"]["active"]["phase"].clone();
    assert_eq!(
        active_fault(&playing(), |v| v["media"]["active"]["phase"] =
            recording_phase),
        OperationFault::NotARecord
    );
    let collecting_phase = json(&collecting())["media"]["active"]["phase"].clone();
    assert_eq!(
        active_fault(&recording(), |v| v["media"]["active"]["phase"] =
            collecting_phase),
        OperationFault::NotACollection
    );
}

#[test]
fn a_collection_that_would_have_ended_is_refused() {
    assert_eq!(
        active_fault(&collecting(), |v| {
            v["media"]["active"]["phase"]["digits"] = json!(["tone1", "tone2", "tone3", "tone4"])
        }),
        OperationFault::TooManyDigits { digits: 4, max: 4 }
    );
    assert_eq!(
        active_fault(&collecting(), |v| {
            v["media"]["active"]["phase"]["digits"] = json!(["tone1", "pound"])
        }),
        OperationFault::TerminatorCollected(Tone::Pound)
    );
}

#[test]
fn a_store_the_record_could_not_be_in_is_refused() {
    assert_eq!(
        active_fault(&storing(), |v| {
            v["media"]["active"]["phase"]["reason"] = json!({"type": "beepFailed"})
        }),
        OperationFault::StoringReason(EndReason::BeepFailed)
    );
    assert_eq!(
        active_fault(
            &storing(),
            |v| v["media"]["active"]["phase"]["recordedMs"] = json!(30_001)
        ),
        OperationFault::RecordedTooLong {
            recorded_ms: 30_001,
            max_ms: 30_000
        }
    );
}

#[test]
fn timers_the_request_and_phase_would_not_set_are_refused() {
    // Recording began at 0 for at most 30 s: its max duration is at 30 000.
    assert_eq!(
        active_fault(&recording(), |v| {
            v["media"]["active"]["phase"]["maxDurationDeadlineMs"] = json!(u64::MAX)
        }),
        OperationFault::ImpossibleTimer {
            timer: Timer::MaxDuration,
            at: Instant::from_millis(u64::MAX)
        }
    );
    // Silence after speech can only have begun by the clock (900).
    assert_eq!(
        active_fault(&recording(), |v| {
            v["media"]["active"]["phase"]["maxSilenceDeadlineMs"] = json!(60_000)
        }),
        OperationFault::ImpossibleTimer {
            timer: Timer::MaxSilence,
            at: Instant::from_millis(60_000)
        }
    );
    // A timer already due would have fired before the snapshot.
    let value = json(&collecting());
    let deadline = value["media"]["active"]["phase"]["deadlineMs"]
        .as_u64()
        .unwrap();
    assert_eq!(
        active_fault(&collecting(), |v| v["clockMs"] = json!(deadline)),
        OperationFault::ImpossibleTimer {
            timer: Timer::Digits,
            at: Instant::from_millis(deadline)
        }
    );
    assert_eq!(
        active_fault(&collecting(), |v| v["media"]["active"]["phaseSinceMs"] =
            json!(101)),
        OperationFault::PhaseInFuture {
            since: Instant::from_millis(101),
            clock: Instant::from_millis(100)
        }
    );
}

#[test]
fn remembered_operations_must_have_ended_as_their_kind_can() {
    // remembered[0] is the subscription, [1] the completed play.
    let play = json(&playing())["remembered"][1].clone();
    assert_eq!(play["kind"], "playPrompt");
    let fault = |forge: fn(&mut Value)| match forged(&playing(), forge) {
        Err(SnapshotError::InvalidOperation { fault, .. }) => fault,
        other => panic!("expected InvalidOperation, got {:?}", other.map(|_| ())),
    };
    assert_eq!(
        fault(|v| v["remembered"][1]["status"] = json!("running")),
        OperationFault::NotEnded {
            status: OperationStatus::Running,
            place: Place::Remembered
        }
    );
    assert_eq!(
        fault(|v| v["remembered"][0]["status"] = json!("failed")),
        OperationFault::NotCompleted {
            kind: OperationKind::SubscribeToTone,
            status: OperationStatus::Failed
        }
    );
    assert_eq!(
        fault(|v| v["remembered"][1]["end"] = Value::Null),
        OperationFault::EndPresence {
            kind: OperationKind::PlayPrompt,
            has_end: false
        }
    );
    assert_eq!(
        fault(|v| v["remembered"][0]["end"] = json!({"type": "completed"})),
        OperationFault::EndPresence {
            kind: OperationKind::SubscribeToTone,
            has_end: true
        }
    );
    assert_eq!(
        fault(|v| {
            v["remembered"][1]["end"] = json!({"type": "stopToneDetected", "tone": "pound"})
        }),
        OperationFault::ImpossibleEnd {
            kind: OperationKind::PlayPrompt,
            status: OperationStatus::Completed,
            reason: EndReason::StopToneDetected(Tone::Pound)
        }
    );
    // Only the call's end ends by callTerminated.
    assert_eq!(
        fault(|v| {
            v["remembered"][1]["status"] = json!("failed");
            v["remembered"][1]["end"] = json!({"type": "callTerminated"});
        }),
        OperationFault::ImpossibleEnd {
            kind: OperationKind::PlayPrompt,
            status: OperationStatus::Failed,
            reason: EndReason::CallTerminated
        }
    );
    // A status its end does not give.
    assert_eq!(
        fault(|v| v["remembered"][1]["status"] = json!("failed")),
        OperationFault::ImpossibleEnd {
            kind: OperationKind::PlayPrompt,
            status: OperationStatus::Failed,
            reason: EndReason::Completed
        }
    );
    assert_eq!(
        fault(|v| {
            v["remembered"][1]["recording"] =
                json!({"location": "https://r.test/x.wav", "accessToken": "t"})
        }),
        OperationFault::UnexpectedRecording
    );
}

#[test]
fn an_id_the_calls_id_source_would_give_again_is_refused() {
    // One step back, the source would give the newest operation's id (the
    // queued collection's) to the next one.
    let value = json(&playing());
    let newest = value["media"]["queued"][1]["operation"]["id"].clone();
    let state = value["operationIds"]["state"].as_u64().unwrap();
    let refused = forged(&playing(), |v| {
        v["operationIds"]["state"] = json!(state - 1)
    });
    assert_eq!(
        refused.err(),
        Some(SnapshotError::IdGivenAgain(id(newest.as_str().unwrap())))
    );
    // A random source gives v4 UUIDs: nothing to clash with.
    assert!(
        forged(&playing(), |v| v["operationIds"] =
            json!({"source": "random"}))
        .is_ok()
    );
}
