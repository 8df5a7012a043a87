//! `reject` ends an incoming call with 202; the `deleted` notification
//! (state `terminated`) goes to `--bot-callback` with the resultInfo the
//! reason maps to (emulator-decisions.md): none 603/0, busy 486/0,
//! forbidden 403/0; no reason (or no body) counts as none; any other
//! reason is 400 naming `reason` and leaves the call incoming.

use serde_json::{Value, json};

use super::support::{BOT, assert_bad_field, call_state, drain, graph, offer, world};

/// Offers `id`, rejects it with `body`, and returns the one notification
/// that followed the offer.
fn rejected(body: &str, id: &str) -> (u16, Value, String) {
    let mut w = world(&["--bot-callback", BOT, "--seed", "4"]);
    let call = offer(&mut w, 0, id);
    let url = format!("/v1.0/communications/calls/{id}/reject");
    let reply = graph(&mut w, 50, "POST", &url, body);
    assert_eq!(reply.body, "");
    assert_eq!(call_state(&mut w, 60, id), "404", "a rejected call is gone");
    let sent = drain(&mut w, 60, &call);
    assert_eq!(sent.len(), 2, "the offer and the end: {sent:?}");
    let end = &sent[1];
    assert_eq!(end.number, 2);
    let body: Value = serde_json::from_str(&end.body).expect("JSON");
    (reply.status, body, end.url.clone())
}

#[track_caller]
fn assert_ended_with(body: &str, code: u64, message: &str) {
    let (status, notification, url) = rejected(body, "r1");
    assert_eq!(status, 202);
    assert_eq!(url, BOT, "the end of an offer goes to --bot-callback");
    assert_eq!(
        notification["@odata.type"],
        json!("#microsoft.graph.commsNotifications")
    );
    let items = notification["value"].as_array().expect("value");
    assert_eq!(items.len(), 1, "{notification}");
    let item = &items[0];
    assert_eq!(item["changeType"], json!("deleted"));
    assert_eq!(item["resourceUrl"], json!("/communications/calls/r1"));
    let call = &item["resourceData"];
    assert_eq!(call["@odata.type"], json!("#microsoft.graph.call"));
    assert_eq!(call["id"], json!("r1"));
    assert_eq!(call["state"], json!("terminated"));
    assert_eq!(call["direction"], json!("incoming"));
    assert_eq!(
        call["resultInfo"],
        json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": code,
            "subcode": 0,
            "message": message,
        }),
        "for {body}"
    );
}

#[test]
fn reject_reasons_give_result_codes() {
    assert_ended_with(r#"{"reason": "none"}"#, 603, "The call was rejected.");
    assert_ended_with(r#"{"reason": "busy"}"#, 486, "The call was rejected: busy.");
    assert_ended_with(
        r#"{"reason": "forbidden"}"#,
        403,
        "The call was rejected: forbidden.",
    );
    assert_ended_with("{}", 603, "The call was rejected.");
    assert_ended_with("", 603, "The call was rejected.");
}

#[test]
fn an_unknown_reason_is_400_naming_reason() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "4"]);
    let call = offer(&mut w, 0, "r2");
    for body in [r#"{"reason": "later"}"#, r#"{"reason": 486}"#] {
        let reply = graph(
            &mut w,
            10,
            "POST",
            "/v1.0/communications/calls/r2/reject",
            body,
        );
        assert_bad_field(&reply, "reason");
    }
    assert_eq!(call_state(&mut w, 20, "r2"), "incoming");
    assert_eq!(drain(&mut w, 20, &call).len(), 1, "only the offer was sent");
}
