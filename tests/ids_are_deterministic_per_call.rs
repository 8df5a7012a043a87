//! Determinism: with a seeded id source, a call's operation ids depend only
//! on the seed, the call id and that call's own requests, never on what other
//! calls did; and they are valid v4 UUIDs.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use ivr_media_queue::{CallId, IdSource};

mod common;

const C2_ONLY: &str = r#"{"at_ms":0,"event":"callEstablished","call":"c2"}
{"at_ms":1,"request":{"url":"/communications/calls/c2/subscribeToTone","body":{}}}
{"at_ms":2,"request":{"url":"/communications/calls/c2/cancelMediaProcessing","body":{}}}
"#;

const C1_AND_C2: &str = r#"{"at_ms":0,"event":"callEstablished","call":"c1"}
{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone","body":{}}}
{"at_ms":0,"event":"callEstablished","call":"c2"}
{"at_ms":1,"request":{"url":"/communications/calls/c2/subscribeToTone","body":{}}}
{"at_ms":1,"request":{"url":"/communications/calls/c1/subscribeToTone","body":{}}}
{"at_ms":2,"request":{"url":"/communications/calls/c2/cancelMediaProcessing","body":{}}}
"#;

fn ids_of(output: &[serde_json::Value], call: &str) -> Vec<String> {
    output
        .iter()
        .filter_map(|r| r.get("response"))
        .filter(|r| {
            r["headers"]["Location"]
                .as_str()
                .is_some_and(|l| l.contains(&format!("/calls/{call}/")))
        })
        .map(|r| r["body"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn other_calls_do_not_shift_a_calls_ids() {
    let (_, alone) = common::replay_jsonl(C2_ONLY);
    let (_, together) = common::replay_jsonl(C1_AND_C2);
    assert_eq!(ids_of(&alone, "c2").len(), 2);
    assert_eq!(ids_of(&alone, "c2"), ids_of(&together, "c2"));
    assert_ne!(ids_of(&together, "c1")[0], ids_of(&together, "c2")[0]);
}

#[test]
fn seeded_ids_are_v4_uuids_and_repeat_per_seed() {
    let call = CallId::new("c1");
    let take = |seed| {
        let mut ids = IdSource::seeded(seed).for_call(&call);
        (0..100)
            .map(|_| ids.next_id().as_uuid())
            .collect::<Vec<_>>()
    };
    let first = take(5);
    assert_eq!(first, take(5));
    assert_ne!(first, take(6));
    for id in &first {
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    }
    let unique: std::collections::HashSet<_> = first.iter().collect();
    assert_eq!(unique.len(), first.len());
}
