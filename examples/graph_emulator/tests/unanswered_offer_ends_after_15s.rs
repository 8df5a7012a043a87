//! An offer nobody answers ends 15 s (virtual) after it was made, not a
//! millisecond sooner: `deleted` / `terminated` to `--bot-callback` with
//! resultInfo 408/1106 "The call was not answered within 15 seconds.".
//! The offer itself is a `created` notification of an incoming call.

use serde_json::{Value, json};

use super::support::{BOT, call_state, drain, ms, offer, world};

#[test]
fn unanswered_offer_ends_after_15s() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "5"]);
    let call = offer(&mut w, 1_000, "u1");
    assert_eq!(w.next_deadline(), Some(ms(16_000)));

    let sent = drain(&mut w, 1_000, &call);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, BOT);
    let offered: Value = serde_json::from_str(&sent[0].body).expect("JSON");
    let item = &offered["value"][0];
    assert_eq!(item["changeType"], json!("created"));
    assert_eq!(item["resourceUrl"], json!("/communications/calls/u1"));
    assert_eq!(item["resourceData"]["id"], json!("u1"));
    assert_eq!(item["resourceData"]["state"], json!("incoming"));
    assert_eq!(item["resourceData"]["direction"], json!("incoming"));
    assert!(item["resourceData"]["source"].is_object(), "{item}");
    assert!(
        item["resourceData"].get("callbackUri").is_none(),
        "no callbackUri before the answer: {item}"
    );

    w.run_due(ms(15_999));
    assert_eq!(call_state(&mut w, 15_999, "u1"), "incoming");
    assert!(drain(&mut w, 15_999, &call).is_empty());

    w.run_due(ms(16_000));
    assert_eq!(call_state(&mut w, 16_000, "u1"), "404");
    let sent = drain(&mut w, 16_000, &call);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].url, BOT);
    let ended: Value = serde_json::from_str(&sent[0].body).expect("JSON");
    let item = &ended["value"][0];
    assert_eq!(item["changeType"], json!("deleted"));
    assert_eq!(item["resourceData"]["state"], json!("terminated"));
    assert_eq!(
        item["resourceData"]["resultInfo"],
        json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": 408,
            "subcode": 1106,
            "message": "The call was not answered within 15 seconds.",
        })
    );
    assert_eq!(w.next_deadline(), None, "nothing left to do");
}
