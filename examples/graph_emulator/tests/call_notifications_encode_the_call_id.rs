//! The emulator's own call notifications (the offer, `establishing`, the
//! end of a call never established) write `resourceUrl` (and the legacy
//! `resource`) as the engine's notifications do: the call id
//! percent-encoded as a path segment, so a bot can follow it. For call
//! `a%b c` that is `/communications/calls/a%25b%20c`, which a GET under
//! `/v1.0` finds; the raw `/communications/calls/a%b c` is a 400.

use serde_json::{Value, json};

use super::support::{APP, BOT, answer_body, drain, graph, ms, offer, world};

const ID: &str = "a%b c";
const ENCODED: &str = "a%25b%20c";

fn urls(body: &str) -> (Value, Value) {
    let body: Value = serde_json::from_str(body).expect("JSON");
    let item = &body["value"][0];
    (item["resourceUrl"].clone(), item["resource"].clone())
}

#[test]
fn call_notifications_encode_the_call_id() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "33"]);
    let call = offer(&mut w, 0, ID);
    let url = format!("/v1.0/communications/calls/{ENCODED}/answer");
    assert_eq!(
        graph(&mut w, 10, "POST", &url, &answer_body(APP)).status,
        202
    );
    w.run_due(ms(110));
    let sent = drain(&mut w, 110, &call);
    assert_eq!(sent.len(), 3, "offer, establishing, established");
    let want = (
        json!(format!("/communications/calls/{ENCODED}")),
        json!(format!("/app/calls/{ENCODED}")),
    );
    // The engine's own `established`: the reference.
    assert_eq!(urls(&sent[2].body), want, "the engine's");
    for (what, outgoing) in ["the offer", "establishing"].iter().zip(&sent) {
        assert_eq!(urls(&outgoing.body), want, "{what}");
    }
    let followed = graph(
        &mut w,
        120,
        "GET",
        &format!("/v1.0{}", want.0.as_str().unwrap_or("")),
        "",
    );
    assert_eq!(followed.status, 200, "{}", followed.body);

    // A rejected offer's end.
    let call = offer(&mut w, 200, "r%1");
    drain(&mut w, 200, &call);
    let url = "/v1.0/communications/calls/r%251/reject";
    assert_eq!(graph(&mut w, 210, "POST", url, "").status, 202);
    let sent = drain(&mut w, 210, &call);
    assert_eq!(
        urls(&sent[0].body),
        (
            json!("/communications/calls/r%251"),
            json!("/app/calls/r%251")
        )
    );
}
