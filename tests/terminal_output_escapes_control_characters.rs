//! Nothing from the input reaches the terminal raw: `--format timeline`
//! (ids, URLs, bodies, clientContexts, messages, trace texts) and the error
//! on stderr write control characters (C0, DEL, C1: so every ANSI escape),
//! bidirectional-text controls and line separators as `\n`, `\r`, `\t` or
//! `\u{..}` escapes.
// The `ivr-replay` binary is built with the `replay` feature.
#![cfg(feature = "replay")]

#[path = "common/ivr_replay.rs"]
mod ivr_replay;

// JSON escapes, so the scenario itself is plain text.
const SCENARIO: &str = r##"{"at_ms":0,"event":"callEstablished","call":"c1"}
{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone","body":{"clientContext":"tones\u001b[8m"}}}
{"at_ms":0,"request":{"url":"/communications/calls/c1/playPrompt","body":{"clientContext":"\u001b[31mred\u001b[0m\u202e","prompts":[{"mediaInfo":{"uri":"https://x/\u009b2J\u2028.wav"}}]}}}
{"at_ms":1,"event":"tone","call":"c1","tone":"#"}
{"at_ms":1,"event":"playbackFinished","call":"c1"}
{"at_ms":1,"event":"callEstablished","call":"\u001b]0;title\u0007"}
{"at_ms":1,"request":{"url":"/communications/calls/\u001b[2J\u007f/playPrompt","rawBody":"{\"a\":\"\t\u001b\"}"}}
{"at_ms":1,"inspect":"\u001b[1m"}
{"at_ms":1,"fault":{"prompts":"playTwice","uriContains":"\u001bx"}}
{"at_ms":2,"event":"callTerminated","call":"c1","resultInfo":{"code":200,"subcode":5001,"message":"bye\r\nINJECTED"}}
{"at_ms":3,"event":"\u001b[31mdance","call":"c1"}
"##;

fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[test]
fn timeline_and_stderr_escape_what_came_from_the_input() {
    let output = ivr_replay::run(&["--seed", "1", "--format", "timeline", "-"], SCENARIO);
    assert_eq!(output.status.code(), Some(2), "the last line is malformed");

    let timeline = String::from_utf8(output.stdout).expect("UTF-8");
    let raw: Vec<char> = timeline.chars().filter(|c| unsafe_char(*c)).collect();
    assert!(raw.is_empty(), "raw {raw:?} in:\n{timeline}");
    for shown in [
        r"\u{1b}[31mred\u{1b}[0m\u{202e}",
        r"https://x/\u{9b}2J\u{2028}.wav",
        r"\u{1b}]0;title\u{7}",
        r"\u{1b}[2J\u{7f}",
        r"\t\u{1b}",
        r"bye\r\nINJECTED",
    ] {
        assert!(timeline.contains(shown), "{shown} not in:\n{timeline}");
    }
    assert!(
        timeline.lines().all(|l| l.contains("s  ")),
        "every line starts with a time:\n{timeline}"
    );

    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(!stderr.chars().any(unsafe_char), "{stderr:?}");
    assert!(
        stderr.contains(r#"line 11: event: unknown event "\u{1b}[31mdance""#),
        "{stderr}"
    );
}
