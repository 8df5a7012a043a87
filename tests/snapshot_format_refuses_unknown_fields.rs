//! Format 2 is exact: a field it does not define, anywhere, is refused as
//! malformed rather than dropped (a snapshot that says more than this
//! version understands is not silently cut down). Format 1 ignores unknown
//! fields, as the releases that wrote it did.

#[path = "common/snapshots.rs"]
mod snapshots;

use ivr_media_queue::{CallSnapshot, SnapshotError};
use serde_json::{Value, json};
use snapshots::{json, playing};

fn read(value: &Value) -> Result<CallSnapshot, SnapshotError> {
    CallSnapshot::from_json(&serde_json::to_vec(value).unwrap())
}

#[test]
fn format_2_refuses_fields_it_does_not_define() {
    let value = json(&playing());
    assert!(read(&value).is_ok());
    for path in [
        "",
        "/media",
        "/media/active",
        "/media/active/phase",
        "/media/active/request",
        "/media/queued/0/operation",
        "/remembered/0",
        "/operationIds",
    ] {
        let mut forged = value.clone();
        forged
            .pointer_mut(path)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{path} is an object"))
            .insert("extra".into(), json!(1));
        match read(&forged) {
            Err(SnapshotError::Malformed(message)) => {
                assert!(message.contains("extra"), "{path}: {message}")
            }
            other => panic!("{path}: expected Malformed, got {other:?}"),
        }
    }
}

#[test]
fn format_1_ignores_fields_as_its_releases_did() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/call-1/play_second_prompt.snapshot.json"
    );
    let mut value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["extra"] = json!(1);
    value["ledger"]["extra"] = json!(1);
    let snapshot = read(&value).expect("format 1 reads");
    // Read, it is written in format 2.
    let again: Value = serde_json::from_slice(&snapshot.to_json()).unwrap();
    assert_eq!(again["format"], "ivr-media-queue/call/2");
}

#[test]
fn an_engine_in_format_1_ignores_fields_too() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/engine-1/engine_three_calls.snapshot.json"
    );
    let mut value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["extra"] = json!(1);
    let bytes = serde_json::to_vec(&value).unwrap();
    let engine = ivr_media_queue::EngineSnapshot::from_json(&bytes).expect("format 1 reads");
    assert!(!engine.calls().is_empty());
    // Format 2 refuses the same field.
    let mut two: Value = serde_json::from_slice(&engine.to_json()).unwrap();
    two["extra"] = json!(1);
    assert!(matches!(
        ivr_media_queue::EngineSnapshot::from_json(&serde_json::to_vec(&two).unwrap()),
        Err(SnapshotError::Malformed(_))
    ));
}
