//! `answer` (and `reject`) only for a call in state `incoming`: 400 for a
//! call establishing or established (outgoing ones too), 404 for a call
//! that ended or was never there.

use super::support::{
    APP, BOT, answer_body, assert_bad_field, create_body, error_of, established, graph, json_of,
    offer, world,
};

fn answer(w: &mut crate::world::World, now: u64, id: &str) -> crate::world::Reply {
    let url = format!("/v1.0/communications/calls/{id}/answer");
    graph(w, now, "POST", &url, &answer_body(APP))
}

fn reject(w: &mut crate::world::World, now: u64, id: &str) -> crate::world::Reply {
    let url = format!("/v1.0/communications/calls/{id}/reject");
    graph(w, now, "POST", &url, r#"{"reason": "busy"}"#)
}

#[track_caller]
fn assert_not_found(reply: &crate::world::Reply) {
    let (status, code, _) = error_of(reply);
    assert_eq!((status, code.as_str()), (404, "NotFound"), "{}", reply.body);
}

#[track_caller]
fn assert_wrong_state(reply: &crate::world::Reply, state: &str) {
    assert_bad_field(reply, "call");
    let (_, _, message) = error_of(reply);
    assert!(
        message.ends_with(&format!("this one is {state}")),
        "{message}"
    );
}

#[test]
fn answer_only_for_an_incoming_call() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "3"]);

    // Never there.
    assert_not_found(&answer(&mut w, 0, "nobody"));
    assert_not_found(&reject(&mut w, 0, "nobody"));

    // Incoming: answered once; then it is establishing, and established.
    offer(&mut w, 0, "a");
    assert_eq!(answer(&mut w, 10, "a").status, 202);
    assert_wrong_state(&answer(&mut w, 20, "a"), "establishing");
    assert_wrong_state(&reject(&mut w, 20, "a"), "establishing");
    w.run_due(super::support::ms(110));
    assert_wrong_state(&answer(&mut w, 120, "a"), "established");
    assert_wrong_state(&reject(&mut w, 120, "a"), "established");

    // Ended by the bot: 404.
    let deleted = graph(&mut w, 130, "DELETE", "/v1.0/communications/calls/a", "");
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    w.run_due(super::support::ms(10_000));
    assert_not_found(&answer(&mut w, 10_000, "a"));
    assert_not_found(&reject(&mut w, 10_000, "a"));

    // Rejected: ended, 404 for a second answer or reject.
    offer(&mut w, 10_000, "r");
    assert_eq!(reject(&mut w, 10_010, "r").status, 202);
    assert_not_found(&answer(&mut w, 10_020, "r"));
    assert_not_found(&reject(&mut w, 10_020, "r"));

    // Outgoing: establishing, then established; never answerable.
    let created = graph(
        &mut w,
        20_000,
        "POST",
        "/v1.0/communications/calls",
        &create_body(APP),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let out = json_of(&created)["id"].as_str().expect("an id").to_owned();
    assert_wrong_state(&answer(&mut w, 20_010, &out), "establishing");
    w.run_due(super::support::ms(20_500));
    assert_wrong_state(&answer(&mut w, 20_510, &out), "established");

    // An established call made the usual way is not answerable either.
    let at = established(&mut w, 30_000, "e");
    assert_wrong_state(&answer(&mut w, at, "e"), "established");
}
