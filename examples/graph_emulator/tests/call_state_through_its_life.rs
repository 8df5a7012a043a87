//! `GET /communications/calls/{id}` answers 200 with the call resource and
//! its current `state` through the call's life, and 404 once it ended:
//! an offered call (incoming, establishing, established, deleted by the
//! bot), an outgoing one (establishing until `--answer-ms`, established,
//! ended by the caller), and a call the emulator never held.

use serde_json::{Value, json};

use super::support::{
    APP, BOT, answer_body, call_state, control, create_body, graph, json_of, ms, offer, world,
};

fn get(w: &mut crate::world::World, now: u64, id: &str) -> (u16, Value) {
    let reply = graph(
        w,
        now,
        "GET",
        &format!("/v1.0/communications/calls/{id}"),
        "",
    );
    (reply.status, json_of(&reply))
}

#[test]
fn an_offered_call_through_its_life() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "6"]);
    let (status, body) = get(&mut w, 0, "o1");
    assert_eq!((status, &body["error"]["code"]), (404, &json!("NotFound")));

    offer(&mut w, 0, "o1");
    let (status, call) = get(&mut w, 5, "o1");
    assert_eq!(status, 200);
    assert_eq!(call["@odata.type"], json!("#microsoft.graph.call"));
    assert_eq!(call["id"], json!("o1"));
    assert_eq!(call["state"], json!("incoming"));
    assert_eq!(call["direction"], json!("incoming"));
    assert_eq!(
        call["mediaConfig"]["@odata.type"],
        json!("#microsoft.graph.serviceHostedMediaConfig")
    );
    assert_eq!(
        call["source"]["identity"]["phone"]["id"],
        json!("+15555550100"),
        "the default caller is a PSTN number"
    );
    assert!(call.get("callbackUri").is_none(), "{call}");

    let url = "/v1.0/communications/calls/o1/answer";
    assert_eq!(
        graph(&mut w, 10, "POST", url, &answer_body(APP)).status,
        202
    );
    let (status, call) = get(&mut w, 10, "o1");
    assert_eq!(status, 200);
    assert_eq!(call["state"], json!("establishing"));
    assert_eq!(call["callbackUri"], json!(APP));

    w.run_due(ms(109));
    assert_eq!(call_state(&mut w, 109, "o1"), "establishing");
    w.run_due(ms(110));
    assert_eq!(call_state(&mut w, 110, "o1"), "established");
    assert_eq!(get(&mut w, 110, "o1").1["direction"], json!("incoming"));

    let deleted = graph(&mut w, 200, "DELETE", "/v1.0/communications/calls/o1", "");
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    let (status, body) = get(&mut w, 200, "o1");
    assert_eq!((status, &body["error"]["code"]), (404, &json!("NotFound")));
}

#[test]
fn an_outgoing_call_through_its_life() {
    let mut w = world(&["--seed", "6", "--answer-ms", "250"]);
    let created = graph(
        &mut w,
        1_000,
        "POST",
        "/v1.0/communications/calls",
        &create_body(APP),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let call = json_of(&created);
    let id = call["id"].as_str().expect("an id").to_owned();
    assert_eq!(call["state"], json!("establishing"));
    assert_eq!(call["direction"], json!("outgoing"));
    assert_eq!(call["callbackUri"], json!(APP));
    assert_eq!(
        created.location.as_deref(),
        Some(format!("https://graph.microsoft.com/v1.0/communications/calls/{id}").as_str())
    );
    assert_eq!(get(&mut w, 1_000, &id), (200, call.clone()));

    w.run_due(ms(1_249));
    assert_eq!(call_state(&mut w, 1_249, &id), "establishing");
    w.run_due(ms(1_250));
    assert_eq!(call_state(&mut w, 1_250, &id), "established");

    // The caller hangs up (a script: its event comes due at once).
    let hang_up = control(
        &mut w,
        2_000,
        "POST",
        &format!("/emulator/calls/{id}/script"),
        r#"[{"at_ms": 0, "event": "callTerminated"}]"#,
    );
    assert_eq!(hang_up.status, 202, "{}", hang_up.body);
    w.run_due(ms(2_000));
    assert_eq!(call_state(&mut w, 2_000, &id), "404");
}
