//! `POST /emulator/calls/{id}/events` gives the event to the call's run,
//! now: a tone reaches a tone subscription (a `toneReceived` notification
//! with `toneInfo`), the run goes on answering requests, the export holds
//! the event as a line naming the call, and `callTerminated` (the caller
//! hangs up) ends the call.

use ivr_media_queue::CallId;
use serde_json::{Value, json};

use super::support::{
    BOT, control, drain, established, graph, json_of, log_lines, prompt_body, world,
};

#[test]
fn caller_events_reach_the_call() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "8"]);
    let at = established(&mut w, 0, "ev");
    let id = CallId::new("ev");
    assert_eq!(
        drain(&mut w, at, &id).len(),
        3,
        "offer, establishing, established"
    );
    let base = "/v1.0/communications/calls/ev";
    let subscribed = graph(
        &mut w,
        200,
        "POST",
        &format!("{base}/subscribeToTone"),
        r#"{"clientContext": "t"}"#,
    );
    assert_eq!(subscribed.status, 200, "{}", subscribed.body);
    drain(&mut w, 200, &id);

    let tone = control(
        &mut w,
        300,
        "POST",
        "/emulator/calls/ev/events",
        r#"{"event": "tone", "tone": "5"}"#,
    );
    assert_eq!((tone.status, tone.body.as_str()), (202, ""));
    let sent = drain(&mut w, 300, &id);
    assert_eq!(sent.len(), 1, "one tone notification: {sent:?}");
    let body: Value = serde_json::from_str(&sent[0].body).expect("JSON");
    let call = &body["value"][0]["resourceData"];
    assert_eq!(call["toneInfo"]["tone"], json!("tone5"), "{body}");
    assert_eq!(call["toneInfo"]["sequenceId"], json!(1), "{body}");

    // The run goes on.
    let played = graph(
        &mut w,
        400,
        "POST",
        &format!("{base}/playPrompt"),
        &prompt_body("p", "https://cdn.example/p.wav"),
    );
    assert_eq!(played.status, 200, "{}", played.body);
    assert_eq!(json_of(&played)["clientContext"], json!("p"));

    // The export names the call on the event's line.
    let scenario = control(&mut w, 500, "GET", "/emulator/calls/ev/scenario", "");
    let lines = log_lines(&scenario.body);
    let event = lines
        .iter()
        .find(|l| l["event"] == json!("tone"))
        .expect("the tone's line");
    assert_eq!(
        event,
        &json!({"at_ms": 300, "event": "tone", "tone": "5", "call": "ev"})
    );

    // The caller hangs up.
    let hang_up = control(
        &mut w,
        600,
        "POST",
        "/emulator/calls/ev/events",
        r#"{"event": "callTerminated"}"#,
    );
    assert_eq!(hang_up.status, 202, "{}", hang_up.body);
    assert_eq!(super::support::call_state(&mut w, 600, "ev"), "404");
    let log = control(&mut w, 600, "GET", "/emulator/calls/ev/log", "");
    for line in log_lines(&log.body) {
        assert!(line["emulator"].get("error").is_none(), "{line}");
    }
}
