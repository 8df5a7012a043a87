//! Issue 9, finding 4: undrained outputs in a snapshot are checked against
//! the call they belong to. An end for an operation still held, an end
//! given twice, a media command for no operation, a broken tone sequence,
//! something only a call's end gives, or a counter no call reaches is
//! refused, naming the output.

#[path = "common/snapshots.rs"]
mod snapshots;

use ivr_media_queue::snapshot::{Counter, OperationFault, OutputFault, Place};
use ivr_media_queue::{OperationId, OperationStatus, SnapshotError};
use serde_json::{Value, json};
use snapshots::{active_id, forged, json, undrained};

fn id(value: &Value) -> OperationId {
    value.as_str().unwrap().parse().unwrap()
}

/// `undrained()`'s outputs: play A, stop A, A's end, play B, tone 1.
fn outputs() -> Vec<Value> {
    let value = json(&undrained());
    let outputs = value["pendingOutputs"].as_array().unwrap().clone();
    let types: Vec<&str> = outputs
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["play", "stopPlayback", "operationEnded", "play", "tone"]
    );
    outputs
}

fn with_outputs(outputs: Vec<Value>) -> Result<ivr_media_queue::Call, SnapshotError> {
    forged(&undrained(), |v| {
        v["pendingOutputs"] = Value::Array(outputs)
    })
}

fn output_fault(outputs: Vec<Value>) -> (usize, OutputFault) {
    match with_outputs(outputs) {
        Err(SnapshotError::InvalidOutput { index, fault }) => (index, fault),
        other => panic!("expected InvalidOutput, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn unforged_outputs_restore() {
    assert!(with_outputs(outputs()).is_ok());
}

#[test]
fn an_end_for_an_operation_still_active_is_refused() {
    let active = active_id(&json(&undrained()));
    let mut forged = outputs();
    let mut end = forged[2].clone();
    end["operation"]["id"] = json!(active);
    forged.push(end);
    assert_eq!(
        with_outputs(forged).err(),
        Some(SnapshotError::DuplicateOperation {
            operation: id(&json!(active)),
            first: Place::Active,
            again: Place::EndedInOutput
        })
    );
}

#[test]
fn an_operation_that_ends_twice_is_refused() {
    let mut forged = outputs();
    let end = forged[2].clone();
    forged.push(end.clone());
    assert_eq!(
        with_outputs(forged).err(),
        Some(SnapshotError::DuplicateOperation {
            operation: id(&end["operation"]["id"]),
            first: Place::EndedInOutput,
            again: Place::EndedInOutput
        })
    );
}

#[test]
fn an_end_of_an_operation_that_has_not_ended_is_refused() {
    let mut forged = outputs();
    forged[2]["operation"]["status"] = json!("running");
    assert!(matches!(
        with_outputs(forged),
        Err(SnapshotError::InvalidOperation {
            fault: OperationFault::NotEnded {
                status: OperationStatus::Running,
                place: Place::EndedInOutput
            },
            ..
        })
    ));
}

#[test]
fn a_media_command_after_its_operations_end_or_for_none_is_refused() {
    let original = outputs();
    let a = id(&original[0]["operation"]);
    // play A moved after A's end.
    let forged = vec![
        original[1].clone(),
        original[2].clone(),
        original[0].clone(),
        original[3].clone(),
        original[4].clone(),
    ];
    assert_eq!(
        output_fault(forged),
        (2, OutputFault::CommandWithoutOperation(a))
    );
    let mut forged = original.clone();
    let stranger = "00000000-0000-4000-8000-000000000001";
    forged[3]["operation"] = json!(stranger);
    assert_eq!(
        output_fault(forged),
        (
            3,
            OutputFault::CommandWithoutOperation(id(&json!(stranger)))
        )
    );
}

#[test]
fn tones_out_of_the_calls_sequence_are_refused() {
    let mut forged = outputs();
    forged[4]["sequenceId"] = json!(2);
    assert_eq!(
        output_fault(forged),
        (
            4,
            OutputFault::ToneOutOfSequence {
                found: 2,
                delivered: 1
            }
        )
    );
    // Two numbered 1: the earlier one does not fit.
    let mut forged = outputs();
    forged.insert(0, forged[4].clone());
    assert_eq!(
        output_fault(forged),
        (
            0,
            OutputFault::ToneOutOfSequence {
                found: 1,
                delivered: 1
            }
        )
    );
    let refused = forged_call(|v| v["media"]["toneSubscription"] = json!(false));
    assert_eq!(
        refused.err(),
        Some(SnapshotError::TonesWithoutSubscription { delivered: 1 })
    );
}

fn forged_call(forge: impl FnOnce(&mut Value)) -> Result<ivr_media_queue::Call, SnapshotError> {
    forged(&undrained(), forge)
}

#[test]
fn what_only_a_calls_end_gives_is_refused_on_a_live_call() {
    let mut forged = outputs();
    forged.push(json!({"type": "callTerminating"}));
    assert_eq!(
        output_fault(forged),
        (5, OutputFault::AfterCallEnd("terminating"))
    );
    let mut forged = outputs();
    forged.push(json!({"type": "callTerminated", "code": 200, "subcode": 5001, "message": "x"}));
    assert_eq!(
        output_fault(forged),
        (5, OutputFault::AfterCallEnd("terminated"))
    );
    let mut forged = outputs();
    forged[2]["type"] = json!("abandoned");
    assert_eq!(
        output_fault(forged),
        (2, OutputFault::AfterCallEnd("an abandoned operation"))
    );
}

#[test]
fn established_comes_only_first() {
    let established = json!({"type": "callEstablished"});
    let mut first = outputs();
    first.insert(0, established.clone());
    // The tone count now trails the outputs by one more: still reachable.
    assert!(with_outputs(first.clone()).is_ok());
    let mut later = outputs();
    later.insert(1, established);
    assert_eq!(output_fault(later), (1, OutputFault::EstablishedNotFirst));
    let refused = forged(&undrained(), |v| {
        v["pendingOutputs"] = Value::Array(first);
        v["outputsPolled"] = json!(3);
    });
    assert_eq!(
        refused.err(),
        Some(SnapshotError::InvalidOutput {
            index: 0,
            fault: OutputFault::EstablishedNotFirst
        })
    );
}

#[test]
fn counters_no_call_reaches_are_refused() {
    let refused = forged_call(|v| v["outputsPolled"] = json!(1u64 << 60));
    assert_eq!(
        refused.err(),
        Some(SnapshotError::CounterOutOfRange {
            counter: Counter::OutputsGiven,
            value: (1 << 60) + 5,
            limit: (1 << 53) - 1
        })
    );
    // More tones delivered than outputs given (5), and one that would wrap.
    for delivered in [100, u64::MAX] {
        let refused = forged_call(|v| v["media"]["tonesDelivered"] = json!(delivered));
        assert_eq!(
            refused.err(),
            Some(SnapshotError::CounterOutOfRange {
                counter: Counter::TonesDelivered,
                value: delivered,
                limit: 5
            })
        );
    }
}
