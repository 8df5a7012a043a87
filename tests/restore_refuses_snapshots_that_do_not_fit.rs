//! Issue 9, finding 4: the restoring side's config applies, and a snapshot
//! whose call does not fit it, or that no URL could reach, or whose call
//! has ended, is refused with a typed error that says what is wrong.

#[path = "common/snapshots.rs"]
mod snapshots;

use std::sync::Arc;

use ivr_media_queue::snapshot::pending_output_limit;
use ivr_media_queue::{
    Call, CallConfig, CallId, CallSnapshot, Engine, EngineConfig, InvalidCallId, Output,
    RequestError, ResultInfo, SnapshotError, ValidationError,
};
use serde_json::{Value, json};
use snapshots::{at, forged, json, new_call, play, playing, restore_json, undrained};

fn golden(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/snapshots/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn an_unforged_snapshot_restores() {
    for call in [playing(), undrained()] {
        assert!(forged(&call, |_| {}).is_ok());
    }
}

#[test]
fn call_ids_no_url_can_name_are_refused() {
    let long = "c".repeat(300);
    for (id, reason) in [
        ("", InvalidCallId::Blank),
        ("a/b", InvalidCallId::Slash),
        ("c\u{7}", InvalidCallId::ControlCharacter),
        (long.as_str(), InvalidCallId::TooLong { bytes: 300 }),
    ] {
        assert_eq!(
            forged(&playing(), |v| v["callId"] = json!(id)).err(),
            Some(SnapshotError::InvalidCallId {
                id: CallId::new(id),
                reason
            })
        );
    }
}

#[test]
fn a_terminated_call_is_refused_and_takes_no_slot() {
    // Written by format 1 (ccded62): a hang-up with its outputs undrained.
    let snapshot = CallSnapshot::from_json(&golden("refused/call-1-terminated.snapshot.json"))
        .expect("format 1 reads");
    let refused = Err(SnapshotError::CallTerminated(CallId::new("c1")));
    let config = Arc::new(CallConfig::default());
    assert_eq!(Call::restore(&snapshot, config).map(|_| ()), refused);
    let engine = Engine::new(EngineConfig::default()).unwrap();
    assert_eq!(
        engine.restore_call(&snapshot).map(|_| ()),
        refused
            .clone()
            .map_err(ivr_media_queue::RestoreError::Snapshot)
    );
    assert_eq!(engine.call_count(), 0);
    // In format 2 too.
    let mut call = new_call(CallConfig::default());
    call.handle_terminated(at(5), ResultInfo::conversation_ended())
        .unwrap();
    let snapshot = CallSnapshot::from_json(&call.snapshot().to_json()).unwrap();
    let config = Arc::new(CallConfig::default());
    assert_eq!(Call::restore(&snapshot, config).map(|_| ()), refused);
}

#[test]
fn a_queue_longer_than_this_sides_capacity_is_refused() {
    // 1 active + 2 queued against a capacity of 2.
    let value = json(&playing());
    let config = CallConfig {
        queue_capacity: 2,
        ..CallConfig::default()
    };
    assert_eq!(
        restore_json(&value, config).err(),
        Some(SnapshotError::QueueOverCapacity {
            held: 3,
            capacity: 2
        })
    );
    // 100 000 queued against the default 100: refused before anything
    // walks them.
    let refused = forged(&playing(), |v| {
        let queued = v["media"]["queued"][0].clone();
        v["media"]["queued"] = Value::Array(vec![queued; 100_000]);
    });
    assert_eq!(
        refused.err(),
        Some(SnapshotError::QueueOverCapacity {
            held: 100_001,
            capacity: 100
        })
    );
}

#[test]
fn a_queue_without_an_active_operation_is_refused() {
    let refused = forged(&playing(), |v| v["media"]["active"] = Value::Null);
    assert_eq!(
        refused.err(),
        Some(SnapshotError::QueueWithoutActive { queued: 2 })
    );
}

#[test]
fn a_get_memory_larger_than_this_side_retains_is_refused_not_trimmed() {
    // `playing` remembers the subscription and the ended play.
    let config = CallConfig {
        retained_operations: 1,
        ..CallConfig::default()
    };
    assert_eq!(
        restore_json(&json(&playing()), config).err(),
        Some(SnapshotError::MemoryOverLimit { held: 2, limit: 1 })
    );
}

#[test]
fn more_undrained_outputs_than_the_limit_are_refused() {
    let config = CallConfig::default();
    let limit = pending_output_limit(&config);
    // What a lone call may hold undrained restores (see
    // `a_lone_call_full_of_outputs_restores`); ten thousand do not.
    assert!(limit >= config.max_pending_outputs && limit < 10_000);
    // The same end 10 000 times: refused for the count, before anything
    // walks them.
    let refused = forged(&undrained(), |v| {
        let end = v["pendingOutputs"][2].clone();
        assert_eq!(end["type"], "operationEnded");
        v["pendingOutputs"] = Value::Array(vec![end; 10_000]);
    });
    assert_eq!(
        refused.err(),
        Some(SnapshotError::TooManyOutputs {
            held: 10_000,
            limit
        })
    );
}

#[test]
fn requests_this_sides_rules_refuse_are_refused() {
    type Forge = fn(&mut Value);
    let cases: [(Forge, &str); 5] = [
        (
            |v| v["media"]["active"]["request"]["prompts"][0]["uri"] = json!("http://x.test/a.wav"),
            "prompts[0].mediaInfo.uri",
        ),
        (
            |v| {
                let prompt = v["media"]["active"]["request"]["prompts"][0].clone();
                v["media"]["active"]["request"]["prompts"] = Value::Array(vec![prompt; 21]);
            },
            "prompts",
        ),
        (
            |v| v["media"]["queued"][0]["operation"]["clientContext"] = json!("x".repeat(257)),
            "clientContext",
        ),
        (
            |v| v["media"]["queued"][0]["request"]["maxRecordDurationSecs"] = json!(0),
            "maxRecordDurationInSeconds",
        ),
        (
            |v| v["media"]["queued"][1]["request"]["maxDigits"] = json!(0),
            "maxDigits",
        ),
    ];
    for (forge, field) in cases {
        match forged(&playing(), forge) {
            Err(SnapshotError::InvalidRequest {
                error: ValidationError { field: got, .. },
                ..
            }) => assert_eq!(got, field),
            other => panic!(
                "expected InvalidRequest on {field}, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    // The same snapshot fits a side that allows http.
    let mut value = json(&playing());
    value["media"]["active"]["request"]["prompts"][0]["uri"] = json!("http://x.test/a.wav");
    let lax = CallConfig {
        allowed_uri_schemes: vec!["https".into(), "http".into()],
        ..CallConfig::default()
    };
    assert!(restore_json(&value, lax).is_ok());
}

#[test]
fn the_restoring_sides_config_applies_not_the_snapshots() {
    // A format 1 snapshot carried its side's config: a queue of a million
    // and notifications on termination. Neither applies here.
    let mut value: Value =
        serde_json::from_slice(&golden("call-1/record_storing.snapshot.json")).unwrap();
    assert_eq!(value["config"]["notify_on_termination"], true);
    value["config"]["queue_capacity"] = json!(1_000_000);
    let config = CallConfig {
        queue_capacity: 2,
        ..CallConfig::default()
    };
    let mut call = restore_json(&value, config).expect("fits");
    assert_eq!(call.queued_len(), 2);
    assert_eq!(
        call.handle_request(at(3200), play(&["https://x.test/more.wav"])),
        Err(RequestError::QueueFull {
            call: CallId::new("c1"),
            capacity: 2
        })
    );
    call.handle_terminated(at(3300), ResultInfo::conversation_ended())
        .unwrap();
    let abandoned = std::iter::from_fn(|| call.poll_output())
        .filter(|o| matches!(o, Output::Abandoned(_)))
        .count();
    assert_eq!(abandoned, 2, "no 8528 notifications: this side's default");
}

#[test]
fn a_lone_call_full_of_outputs_restores() {
    let config = CallConfig::default();
    let mut call = ivr_media_queue::Call::new(
        CallId::new("c1"),
        std::sync::Arc::new(config.clone()),
        ivr_media_queue::IdSource::seeded(1),
        ivr_media_queue::Instant::ZERO,
    )
    .unwrap();
    let subscribe = ivr_media_queue::Request::new(
        ivr_media_queue::ApiVersion::V1,
        ivr_media_queue::Action::SubscribeToTone,
    );
    call.handle_request(ivr_media_queue::Instant::ZERO, subscribe)
        .unwrap();
    let tone = ivr_media_queue::MediaInput::Tone(ivr_media_queue::Tone::Tone1);
    while call
        .handle_media(ivr_media_queue::Instant::ZERO, None, tone.clone())
        .is_ok()
    {}
    assert_eq!(call.pending_outputs(), config.max_pending_outputs);
    let restored =
        ivr_media_queue::Call::restore(&call.snapshot(), std::sync::Arc::new(config)).unwrap();
    assert_eq!(restored.pending_outputs(), call.pending_outputs());
}

#[test]
fn a_clock_past_the_latest_instant_is_refused() {
    let refused = forged(&playing(), |v| v["clockMs"] = json!(u64::MAX));
    assert_eq!(
        refused.err(),
        Some(SnapshotError::CounterOutOfRange {
            counter: ivr_media_queue::snapshot::Counter::Clock,
            value: u64::MAX,
            limit: ivr_media_queue::Instant::LATEST.as_millis(),
        })
    );
}
