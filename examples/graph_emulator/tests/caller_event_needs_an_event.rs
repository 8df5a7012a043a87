//! A caller event without `event` is a bad control request (400 naming
//! `event`), on `/events` and in scripts, not a 202 that does nothing and
//! leaves a line without an event in the call's export.

use super::support::{BOT, assert_bad_field, control, established, world};

#[test]
fn caller_event_needs_an_event() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "13"]);
    let at = established(&mut w, 0, "n1");
    for body in ["{}", r#"{"tone": "1"}"#] {
        let reply = control(&mut w, at, "POST", "/emulator/calls/n1/events", body);
        assert_bad_field(&reply, "event");
    }
    let reply = control(
        &mut w,
        at,
        "POST",
        "/emulator/calls/n1/script",
        r#"[{"at_ms": 0}]"#,
    );
    assert_bad_field(&reply, "script[0].event");
    let offer = r#"{"callId": "n2", "script": [{"at_ms": 0, "tone": "1"}]}"#;
    let reply = control(&mut w, at, "POST", "/emulator/calls", offer);
    assert_bad_field(&reply, "script[0].event");
}
