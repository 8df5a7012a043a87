//! `DELETE` of a call not yet established (incoming, or answered and
//! establishing) is 204 and ends it as the engine ends a call the bot
//! deletes: a `deleted` / `terminated` notification with resultInfo
//! 200/5001, to `--bot-callback` before the answer and to the answer's
//! `callbackUri` after; the call is then 404 and its export holds no
//! establishment.

use serde_json::{Value, json};

use super::support::{APP, BOT, answer_body, call_state, control, drain, graph, offer, world};

#[track_caller]
fn assert_deleted(body: &str, id: &str) {
    let body: Value = serde_json::from_str(body).expect("JSON");
    let item = &body["value"][0];
    assert_eq!(item["changeType"], json!("deleted"), "{body}");
    assert_eq!(
        item["resourceUrl"],
        json!(format!("/communications/calls/{id}"))
    );
    assert_eq!(item["resourceData"]["state"], json!("terminated"));
    assert_eq!(
        item["resourceData"]["resultInfo"],
        json!({"@odata.type": "#microsoft.graph.resultInfo", "code": 200, "subcode": 5001,
            "message": "The conversation has ended."})
    );
}

#[test]
fn delete_before_establishment_ends_the_call() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "31"]);

    let incoming = offer(&mut w, 0, "d1");
    drain(&mut w, 0, &incoming);
    let deleted = graph(&mut w, 10, "DELETE", "/v1.0/communications/calls/d1", "");
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    let sent = drain(&mut w, 10, &incoming);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, BOT);
    assert_deleted(&sent[0].body, "d1");
    assert_eq!(call_state(&mut w, 20, "d1"), "404");
    let again = graph(&mut w, 20, "DELETE", "/v1.0/communications/calls/d1", "");
    assert_eq!(again.status, 404, "{}", again.body);

    let answered = offer(&mut w, 100, "d2");
    let url = "/v1.0/communications/calls/d2/answer";
    assert_eq!(
        graph(&mut w, 110, "POST", url, &answer_body(APP)).status,
        202
    );
    drain(&mut w, 110, &answered);
    let deleted = graph(&mut w, 150, "DELETE", "/v1.0/communications/calls/d2", "");
    assert_eq!(deleted.status, 204);
    let sent = drain(&mut w, 150, &answered);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, APP);
    assert_deleted(&sent[0].body, "d2");
    // The establishment it was waiting for never comes.
    w.run_due(super::support::ms(1_000));
    assert_eq!(call_state(&mut w, 1_000, "d2"), "404");
    assert!(drain(&mut w, 1_000, &answered).is_empty());
    assert_eq!(w.next_deadline(), None);
    let scenario = control(&mut w, 1_000, "GET", "/emulator/calls/d2/scenario", "");
    assert!(
        !scenario.body.contains("callEstablished"),
        "{}",
        scenario.body
    );
}
