//! The control surface's errors (emulator-decisions.md): 400
//! `{"error": {"code": "BadRequest", "message": "<field>: ..."}}` naming
//! the field, 404 `NotFound` for an unknown call or resource, 409
//! `Conflict` for a call id in use, an offer without `--bot-callback`, and
//! caller events or scripts for a call that is not established.

use super::support::{
    APP, BOT, answer_body, assert_bad_field, control, drain, error_of, graph, offer, world,
};

#[track_caller]
fn assert_status(reply: &crate::world::Reply, status: u16, code: &str, field: &str) {
    let (got, got_code, message) = error_of(reply);
    assert_eq!((got, got_code.as_str()), (status, code), "{message}");
    assert!(
        message.starts_with(&format!("{field}: ")) || message.contains(&format!("'{field}'")),
        "should name {field:?}: {message:?}"
    );
}

#[test]
fn bad_offers_are_400_naming_the_field() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "12"]);
    for (body, field) in [
        ("[]", "body"),
        ("{", "body"),
        (r#"{"callId": 5}"#, "callId"),
        (r#"{"callId": ""}"#, "callId"),
        (r#"{"callId": "a\u0007b"}"#, "callId"),
        (r#"{"caller": "x"}"#, "caller"),
        (r#"{"source": "+1555"}"#, "source"),
        (r#"{"script": {}}"#, "script"),
        (r#"{"script": [5]}"#, "script[0]"),
        (
            r#"{"script": [{"event": "tone", "tone": "1"}]}"#,
            "script[0].at_ms",
        ),
        (
            r#"{"script": [{"at_ms": -1, "event": "tone", "tone": "1"}]}"#,
            "script[0].at_ms",
        ),
        (
            r#"{"script": [{"at_ms": 0, "event": "dance"}]}"#,
            "script[0].event",
        ),
        (
            r#"{"script": [{"at_ms": 0, "event": "callEstablished"}]}"#,
            "script[0].event",
        ),
        (
            r#"{"script": [{"at_ms": 0, "event": "tone", "tone": "Z"}]}"#,
            "script[0].tone",
        ),
        (
            r#"{"script": [{"at_ms": 0, "event": "tone"}]}"#,
            "script[0].tone",
        ),
        (
            r#"{"script": [{"at_ms": 0, "event": "tone", "tone": "1", "call": "x"}]}"#,
            "script[0].call",
        ),
    ] {
        let reply = control(&mut w, 0, "POST", "/emulator/calls", body);
        assert_bad_field(&reply, field);
    }
    assert_eq!(w.next_deadline(), None, "no call was offered");
}

#[test]
fn conflicts_are_409() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "12"]);
    offer(&mut w, 0, "c1");
    let again = control(&mut w, 1, "POST", "/emulator/calls", r#"{"callId": "c1"}"#);
    assert_status(&again, 409, "Conflict", "callId");

    // Caller events and scripts need an established call: not incoming,
    // not establishing, not ended.
    let events = |w: &mut crate::world::World, now| {
        let tone = r#"{"event": "tone", "tone": "1"}"#;
        let script = r#"[{"at_ms": 0, "event": "tone", "tone": "1"}]"#;
        [
            control(w, now, "POST", "/emulator/calls/c1/events", tone),
            control(w, now, "POST", "/emulator/calls/c1/script", script),
        ]
    };
    for reply in events(&mut w, 10) {
        assert_status(&reply, 409, "Conflict", "call");
    }
    let url = "/v1.0/communications/calls/c1/answer";
    assert_eq!(
        graph(&mut w, 20, "POST", url, &answer_body(APP)).status,
        202
    );
    for reply in events(&mut w, 30) {
        assert_status(&reply, 409, "Conflict", "call");
    }
    w.run_due(super::support::ms(120));
    let deleted = graph(&mut w, 200, "DELETE", "/v1.0/communications/calls/c1", "");
    assert_eq!(deleted.status, 204);
    for reply in events(&mut w, 300) {
        assert_status(&reply, 409, "Conflict", "call");
    }
    // An ended call is still known: its id stays in use.
    let again = control(
        &mut w,
        400,
        "POST",
        "/emulator/calls",
        r#"{"callId": "c1"}"#,
    );
    assert_status(&again, 409, "Conflict", "callId");

    // No --bot-callback: nowhere to offer a call.
    let mut alone = world(&["--seed", "12"]);
    let reply = control(&mut alone, 0, "POST", "/emulator/calls", "{}");
    assert_status(&reply, 409, "Conflict", "bot-callback");
}

#[test]
fn unknown_calls_and_resources_are_404() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "12"]);
    for (method, path, body) in [
        ("GET", "/emulator/calls/nobody", ""),
        ("GET", "/emulator/calls/nobody/log", ""),
        ("GET", "/emulator/calls/nobody/scenario", ""),
        (
            "POST",
            "/emulator/calls/nobody/events",
            r#"{"event": "tone", "tone": "1"}"#,
        ),
        ("POST", "/emulator/calls/nobody/script", "[]"),
    ] {
        let reply = control(&mut w, 0, method, path, body);
        assert_status(&reply, 404, "NotFound", "nobody");
    }
    let call = offer(&mut w, 0, "k1");
    for (method, path) in [
        ("GET", "/emulator/nothing"),
        ("GET", "/emulator/calls"),
        ("DELETE", "/emulator/calls/k1"),
        ("GET", "/emulator/calls/k1/recording"),
        ("GET", "/emulator/faults"),
    ] {
        let reply = control(&mut w, 0, method, path, "");
        let (status, code, _) = error_of(&reply);
        assert_eq!(
            (status, code.as_str()),
            (404, "NotFound"),
            "{method} {path}"
        );
    }
    let rule = r#"{"notifications": "drop", "call": "nobody"}"#;
    let reply = control(&mut w, 0, "POST", "/emulator/faults", rule);
    assert_status(&reply, 404, "NotFound", "rules[0].call");
    // Nothing of that reached the call that exists.
    let sent = drain(&mut w, 0, &call);
    assert_eq!(sent.len(), 1, "only the offer");
    assert_eq!(w.next_deadline(), Some(super::support::ms(15_000)));
}

#[test]
fn bad_events_scripts_faults_and_formats_are_400_naming_the_field() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "12"]);
    let at = super::support::established(&mut w, 0, "e1");
    for (body, field) in [
        ("[]", "body"),
        ("{", "body"),
        (r#"{"event": null}"#, "event"),
        (r#"{"event": "dance"}"#, "event"),
        (r#"{"event": "callEstablished"}"#, "event"),
        (r#"{"event": "tone"}"#, "tone"),
        (r#"{"event": "tone", "tone": "Z"}"#, "tone"),
        (r#"{"event": "tone", "tone": "1", "at_ms": 5}"#, "at_ms"),
        (r#"{"event": "tone", "tone": "1", "call": "e1"}"#, "call"),
    ] {
        let reply = control(&mut w, at, "POST", "/emulator/calls/e1/events", body);
        assert_bad_field(&reply, field);
    }
    for (body, field) in [
        ("{", "body"),
        ("{}", "script"),
        (r#"[{"event": "speechStarted"}]"#, "script[0].at_ms"),
        (
            r#"[{"at_ms": 1.5, "event": "speechStarted"}]"#,
            "script[0].at_ms",
        ),
        (
            r#"[{"at_ms": 0, "event": "speechStarted"}, {"at_ms": 1, "event": "tone"}]"#,
            "script[1].tone",
        ),
    ] {
        let reply = control(&mut w, at, "POST", "/emulator/calls/e1/script", body);
        assert_bad_field(&reply, field);
    }
    for (body, field) in [
        ("5", "body"),
        ("{", "body"),
        (r#"{"notifications": "explode"}"#, "rules[0]"),
        (
            r#"[{"notifications": "drop"}, {"colour": "red"}]"#,
            "rules[1]",
        ),
    ] {
        let reply = control(&mut w, at, "POST", "/emulator/faults", body);
        assert_bad_field(&reply, field);
    }
    let reply = control(&mut w, at, "GET", "/emulator/calls/e1/log?format=xml", "");
    assert_bad_field(&reply, "format");
    // None of it reached the call: its scenario is still the config line,
    // its establishment and the clock.
    let scenario = control(&mut w, at, "GET", "/emulator/calls/e1/scenario", "");
    assert_eq!(scenario.status, 200);
    let lines = scenario.body.lines().filter(|l| !l.starts_with("//"));
    assert_eq!(lines.count(), 3, "{}", scenario.body);
}
