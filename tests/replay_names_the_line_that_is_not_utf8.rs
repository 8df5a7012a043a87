//! A scenario line that is not UTF-8 stops the run with exit 2 and a message
//! naming the line (and where in it the bytes break); the lines before it
//! have run and printed.
// The `ivr-replay` binary is built with the `replay` feature.
#![cfg(feature = "replay")]

#[path = "common/ivr_replay.rs"]
mod ivr_replay;

#[test]
fn invalid_utf8_names_its_line_and_stops_there() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"at_ms\":0,\"event\":\"callEstablished\",\"call\":\"c1\"}\n");
    input.extend_from_slice(
        b"{\"at_ms\":0,\"request\":{\"url\":\"/communications/calls/c1/subscribeToTone\"}}\n",
    );
    input.extend_from_slice(b"{\"at_ms\":1,\"comment\":\"caf\xe9\"}\n");
    input.extend_from_slice(
        b"{\"at_ms\":2,\"request\":{\"url\":\"/communications/calls/c1/subscribeToTone\"}}\n",
    );
    let output = ivr_replay::run(&["--seed", "1", "-"], input);

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "ivr-replay: line 3: not valid UTF-8 (byte 26 of the line is where it breaks)"
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert_eq!(
        stdout.lines().count(),
        1,
        "line 2's response only: {stdout}"
    );
    assert!(stdout.contains("\"status\":200"));
}
