//! A scenario line that gives a key twice in one object, at any depth, is
//! malformed (exit 2, naming the line, the key and where it is), rather than
//! silently keeping the last. A `rawBody` is a string and stays raw, so a
//! Graph body with duplicate keys can still be sent.
// The `ivr-replay` binary is built with the `replay` feature.
#![cfg(feature = "replay")]

use std::process::Output;

#[path = "common/ivr_replay.rs"]
mod ivr_replay;

fn replay(scenario: &str) -> Output {
    ivr_replay::run(&["--seed", "1", "-"], scenario)
}

const SETUP: &str = r#"{"at_ms":0,"event":"callEstablished","call":"c1"}
"#;

#[test]
fn a_duplicate_key_at_any_depth_is_a_malformed_line() {
    for (line, key, place) in [
        (r#"{"at_ms":0,"at_ms":5}"#, "at_ms", ""),
        (
            r#"{"at_ms":0,"event":"tone","call":"c1","tone":"1","call":"c2"}"#,
            "call",
            "",
        ),
        (
            r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/playPrompt","body":{"clientContext":"a","clientContext":"b"}}}"#,
            "clientContext",
            " in request.body",
        ),
        (
            r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/playPrompt","body":{"prompts":[{"mediaInfo":{"uri":"https://x/1.wav","uri":"https://x/2.wav"}}]}}}"#,
            "uri",
            " in request.body.prompts[0].mediaInfo",
        ),
        (
            r#"{"at_ms":0,"fault":{"notifications":"drop","times":1,"times":"all"}}"#,
            "times",
            " in fault",
        ),
    ] {
        let output = replay(&format!("{SETUP}{line}\n"));
        assert_eq!(output.status.code(), Some(2), "{line}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("ivr-replay: line 2: duplicate key \"{key}\"{place}: ");
        assert!(stderr.starts_with(&expected), "{line}\nstderr: {stderr}");
        assert!(output.stdout.is_empty(), "{line}: nothing printed for it");
    }
    // The config line too.
    let output = replay("{\"config\":{\"beepMs\":1,\"beepMs\":2}}\n");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("ivr-replay: line 1: duplicate key \"beepMs\" in config: "),
        "stderr: {stderr}"
    );
}

#[test]
fn a_raw_body_with_duplicate_keys_is_sent_as_is() {
    let line = r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone","rawBody":"{\"clientContext\":\"a\",\"clientContext\":\"b\"}"}}"#;
    let output = replay(&format!("{SETUP}{line}\n"));
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(r#""status":200"#), "{stdout}");
    // What the service makes of it is the wire's business (the last one).
    assert!(stdout.contains(r#""clientContext":"b""#), "{stdout}");
}
