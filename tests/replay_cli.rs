//! The `ivr-replay` binary: the demo, the options, and how a malformed
//! scenario line stops the run (exit 2, the line named on stderr, nothing
//! printed for it or after it).
// The `ivr-replay` binary is built with the `replay` feature.
#![cfg(feature = "replay")]

use std::process::Output;

#[path = "common/ivr_replay.rs"]
mod ivr_replay;
use ivr_replay::run as replay;

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

const TWO_LINES: &str = r#"{"at_ms":0,"event":"callEstablished","call":"c1"}
{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone","body":{}}}
"#;

#[test]
fn demo_runs_without_arguments_and_shows_notifications() {
    let output = replay(&[], "");
    assert!(output.status.success());
    let text = stdout(&output);
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(records.iter().any(|r| r.get("notification").is_some()));
    assert!(text.contains("Action completed as stop tone was detected."));
    assert!(text.contains("Action failed, the operation was cancelled."));
    // Deterministic: a second run prints the same bytes.
    assert_eq!(stdout(&replay(&[], "")), text);
}

#[test]
fn malformed_line_stops_with_exit_2_naming_the_line() {
    let scenario =
        format!("{TWO_LINES}{{\"at_ms\":5,\"event\":\"dance\",\"call\":\"c1\"}}\n{TWO_LINES}");
    let output = replay(&["--seed", "1", "-"], &scenario);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 3"), "stderr: {stderr}");
    assert!(
        stderr.contains("unknown event \"dance\""),
        "stderr: {stderr}"
    );
    // Only the first two lines' output: one response.
    assert_eq!(stdout(&output).lines().count(), 1);
}

#[test]
fn clock_going_backwards_is_malformed() {
    let scenario = r#"{"at_ms":10,"event":"callEstablished","call":"c1"}
{"at_ms":9,"event":"callEstablished","call":"c2"}
"#;
    let output = replay(&["-"], scenario);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2: at_ms: 9 is earlier"));
}

#[test]
fn unknown_operation_reference_is_malformed() {
    let scenario = format!(
        "{TWO_LINES}{{\"at_ms\":1,\"request\":{{\"method\":\"GET\",\"url\":\"/communications/calls/c1/operations/$op2\"}}}}\n"
    );
    let output = replay(&["-"], &scenario);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 3: $op2"));
}

#[test]
fn a_graph_error_is_not_a_tool_error() {
    let scenario =
        r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/playPrompt","rawBody":"{"}}"#;
    let output = replay(&["-"], scenario);
    assert!(output.status.success());
    assert!(stdout(&output).contains(r#""status":400"#));
}

#[test]
fn same_seed_same_bytes_and_seeds_differ() {
    let a = stdout(&replay(&["--seed", "42", "-"], TWO_LINES));
    let b = stdout(&replay(&["--seed=42", "-"], TWO_LINES));
    let c = stdout(&replay(&["--seed", "43", "-"], TWO_LINES));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn help_explains_the_format_with_an_example() {
    let output = replay(&["--help"], "");
    assert!(output.status.success());
    let text = stdout(&output);
    for needle in [
        "at_ms",
        "callEstablished",
        "playbackFinished",
        "--seed",
        "--format timeline",
        "$opN",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
    assert!(stdout(&replay(&["--version"], "")).starts_with("ivr-replay "));
}

#[test]
fn help_states_the_limits_and_the_duplicate_key_rule() {
    let text = stdout(&replay(&["--help"], ""));
    for needle in [
        "--max-line-bytes N",
        "default 1048576, 1 MiB",
        "last 65536 created",
        "A key may appear only once",
        "\"rawBody\", a string sent as is",
        "%2F",
        "a failed --snapshot-at move",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn timeline_tells_the_story() {
    let output = replay(&["--format", "timeline"], "");
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("caller    tone pound"));
    assert!(text.contains("notify    record"));
    assert!(
        text.lines().all(|l| l.contains("s  ")),
        "every line starts with a time"
    );
}

#[test]
fn pretty_output_is_the_same_json_indented() {
    let compact = stdout(&replay(&["-"], TWO_LINES));
    let pretty = stdout(&replay(&["--pretty", "-"], TWO_LINES));
    assert!(pretty.lines().count() > compact.lines().count());
    let reparsed: serde_json::Value = serde_json::from_str(&pretty).expect("one pretty record");
    let original: serde_json::Value = serde_json::from_str(compact.trim()).expect("one record");
    // The ids are random without --seed; compare the shape.
    assert_eq!(
        reparsed["response"]["status"],
        original["response"]["status"]
    );
    assert_eq!(
        reparsed["response"]["body"]["@odata.type"],
        original["response"]["body"]["@odata.type"]
    );
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(replay(&["--nope"], "").status.code(), Some(2));
    assert_eq!(replay(&["--seed", "x"], "").status.code(), Some(2));
    assert_eq!(
        replay(&["/does/not/exist.jsonl"], "").status.code(),
        Some(2)
    );
}

#[test]
fn snapshot_at_any_time_changes_no_byte_of_the_demo() {
    let plain = stdout(&replay(&[], ""));
    for at in ["0", "2400", "4300", "10500", "12955", "99999"] {
        let moved = replay(&["--snapshot-at", at], "");
        assert!(moved.status.success());
        assert_eq!(stdout(&moved), plain, "--snapshot-at {at}");
    }
    assert_eq!(
        replay(&["--snapshot-at", "soon"], "").status.code(),
        Some(2)
    );
}
