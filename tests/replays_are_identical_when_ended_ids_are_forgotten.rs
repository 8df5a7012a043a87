//! The same scenario and seed give the same bytes even when the engine's
//! memory of ended calls overflows: which ids it forgets must not depend on
//! a random hasher. (Before, the shard of a call came from a randomly keyed
//! hasher, so which ended calls could be established again changed from run
//! to run.)
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use ivr_media_queue::IdSource;
use ivr_media_queue::replay;

fn output(scenario: &str) -> String {
    let run = replay::run(scenario, IdSource::seeded(1));
    assert!(run.error.is_none(), "{:?}", run.error);
    let mut out = Vec::new();
    replay::write_jsonl(&mut out, &run.records, &run.config, false).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn forgetting_ended_calls_is_the_same_in_every_run() {
    // 12 000 calls end (the engine remembers 10 000), then the first 3 000
    // come back: only those forgotten may.
    let mut scenario = String::new();
    for i in 0..12_000 {
        scenario.push_str(&format!(
            "{{\"at_ms\":0,\"event\":\"callEstablished\",\"call\":\"c{i}\"}}\n{{\"at_ms\":0,\"event\":\"callTerminated\",\"call\":\"c{i}\"}}\n"
        ));
    }
    for i in 0..3_000 {
        scenario.push_str(&format!(
            "{{\"at_ms\":1,\"event\":\"callEstablished\",\"call\":\"c{i}\"}}\n"
        ));
    }
    let first = output(&scenario);
    let again: Vec<_> = first
        .lines()
        .filter(|l| l.contains("\"at_ms\":1,"))
        .collect();
    assert!(
        !again.is_empty() && again.len() < 3_000,
        "some come back ignored, some not"
    );
    for _ in 0..3 {
        assert!(output(&scenario) == first, "a run gave other bytes");
    }
}
