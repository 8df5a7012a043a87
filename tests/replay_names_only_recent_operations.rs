//! `$opN` names one of the last `KEPT_OPERATION_IDS` (65,536) operations a
//! scenario created: the replay keeps no more ids than that, so an endless
//! scenario's memory stays flat. Naming an older one is a malformed line
//! that says which can still be named.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{KEPT_OPERATION_IDS, ReplayOptions, Replayer};

fn get(n: usize) -> String {
    format!(
        r#"{{"at_ms":1,"request":{{"method":"GET","url":"/communications/calls/c1/operations/$op{n}"}}}}"#
    )
}

#[test]
fn op_n_reaches_back_over_the_last_65536_operations_only() {
    assert_eq!(KEPT_OPERATION_IDS, 65_536);
    let mut replayer = Replayer::new(ReplayOptions {
        ids: IdSource::seeded(1),
        snapshot_at: None,
    });
    let mut out = Vec::new();
    let mut run = |replayer: &mut Replayer, line: &str| {
        out.clear();
        replayer.run_line(line, &mut out)
    };
    run(
        &mut replayer,
        r#"{"at_ms":0,"event":"callEstablished","call":"c1"}"#,
    )
    .unwrap();
    // Each cancel (extension line) creates an operation.
    let cancel = r#"{"at_ms":0,"cancel":{"call":"c1"}}"#;
    for _ in 0..KEPT_OPERATION_IDS {
        run(&mut replayer, cancel).unwrap();
    }
    // All 65,536 can be named: $op1 resolves (GET answers, 404 or not).
    run(&mut replayer, &get(1)).unwrap();
    run(&mut replayer, r#"{"at_ms":1,"cancel":{"call":"c1"}}"#).unwrap();
    // The 65,537th pushed the first out.
    run(&mut replayer, &get(2)).unwrap();
    let error = run(&mut replayer, &get(1)).unwrap_err();
    assert_eq!(error.line, 2 + KEPT_OPERATION_IDS + 3);
    assert_eq!(
        error.message,
        "$op1: only the last 65536 operations created can be named, $op2 to $op65537"
    );
}
