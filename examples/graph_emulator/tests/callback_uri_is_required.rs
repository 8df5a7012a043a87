//! `answer` and create need a `callbackUri`, an http(s) URL with a host:
//! without one (or with a number, `ftp://...`, `http://`) they are 400
//! naming `callbackUri` and change nothing. A create also needs `targets`.

use serde_json::{Value, json};

use super::support::{
    APP, BOT, answer_body, assert_bad_field, call_state, create_body, drain, graph, offer, world,
};

fn with_callback(body: &str, callback: Option<Value>) -> String {
    let mut body: Value = serde_json::from_str(body).expect("JSON");
    match callback {
        Some(callback) => body["callbackUri"] = callback,
        None => {
            body.as_object_mut()
                .expect("an object")
                .remove("callbackUri");
        }
    }
    body.to_string()
}

fn refused() -> Vec<Option<Value>> {
    vec![
        None,
        Some(Value::Null),
        Some(json!(42)),
        Some(json!("")),
        Some(json!("ftp://127.0.0.1/calls")),
        Some(json!("http://")),
        Some(json!("https:///calls")),
        Some(json!("/calls")),
    ]
}

#[test]
fn callback_uri_is_required_to_answer() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "10"]);
    let call = offer(&mut w, 0, "b1");
    drain(&mut w, 0, &call);
    for callback in refused() {
        let body = with_callback(&answer_body(APP), callback.clone());
        let reply = graph(
            &mut w,
            10,
            "POST",
            "/v1.0/communications/calls/b1/answer",
            &body,
        );
        assert_bad_field(&reply, "callbackUri");
    }
    assert_eq!(call_state(&mut w, 20, "b1"), "incoming");
    assert!(drain(&mut w, 20, &call).is_empty(), "nothing sent");
    // https is fine.
    let body = answer_body("https://bot.example/calls");
    let reply = graph(
        &mut w,
        30,
        "POST",
        "/v1.0/communications/calls/b1/answer",
        &body,
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    let sent = drain(&mut w, 30, &call);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].url, "https://bot.example/calls",
        "establishing goes to the answer's callbackUri"
    );
}

#[test]
fn callback_uri_and_targets_are_required_to_create() {
    let mut w = world(&["--seed", "10"]);
    for callback in refused() {
        let body = with_callback(&create_body(APP), callback);
        let reply = graph(&mut w, 10, "POST", "/v1.0/communications/calls", &body);
        assert_bad_field(&reply, "callbackUri");
    }
    for targets in [None, Some(json!([])), Some(json!("+1555"))] {
        let mut body: Value = serde_json::from_str(&create_body(APP)).expect("JSON");
        match targets {
            Some(targets) => body["targets"] = targets,
            None => {
                body.as_object_mut().expect("an object").remove("targets");
            }
        }
        let reply = graph(
            &mut w,
            10,
            "POST",
            "/v1.0/communications/calls",
            &body.to_string(),
        );
        assert_bad_field(&reply, "targets");
    }
    for body in ["", "[]", "{"] {
        let reply = graph(&mut w, 10, "POST", "/v1.0/communications/calls", body);
        assert_bad_field(&reply, "body");
    }
    assert_eq!(w.next_deadline(), None, "no call was created");
    assert!(w.take_kicks().is_empty(), "nothing to deliver");
}
