//! Only service-hosted media is emulated: an `answer` or a create with
//! app-hosted media (or no `mediaConfig`) is 400 naming `mediaConfig`, and
//! changes nothing (the offer stays incoming, no call is created, nothing
//! is sent).

use ivr_media_queue::CallId;
use serde_json::{Value, json};

use super::support::{
    APP, BOT, assert_bad_field, call_state, create_body, drain, error_of, graph, offer, world,
};

fn with_media(body: &str, media: Option<Value>) -> String {
    let mut body: Value = serde_json::from_str(body).expect("JSON");
    match media {
        Some(media) => body["mediaConfig"] = media,
        None => {
            body.as_object_mut()
                .expect("an object")
                .remove("mediaConfig");
        }
    }
    body.to_string()
}

fn refused() -> Vec<Option<Value>> {
    vec![
        Some(
            json!({"@odata.type": "#microsoft.graph.appHostedMediaConfig", "blob": "<media session>"}),
        ),
        Some(json!({"@odata.type": "microsoft.graph.appHostedMediaConfig"})),
        Some(json!({})),
        None,
    ]
}

#[test]
fn app_hosted_media_is_refused_on_answer() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "9"]);
    let call = offer(&mut w, 0, "a1");
    assert_eq!(drain(&mut w, 0, &call).len(), 1);
    let answer = super::support::answer_body(APP);
    for media in refused() {
        let body = with_media(&answer, media);
        let reply = graph(
            &mut w,
            10,
            "POST",
            "/v1.0/communications/calls/a1/answer",
            &body,
        );
        assert_bad_field(&reply, "mediaConfig");
        let (_, _, message) = error_of(&reply);
        assert!(
            message.contains("#microsoft.graph.serviceHostedMediaConfig"),
            "says what to use: {message}"
        );
    }
    assert_eq!(call_state(&mut w, 20, "a1"), "incoming");
    assert!(drain(&mut w, 20, &call).is_empty(), "nothing sent");
}

#[test]
fn app_hosted_media_is_refused_on_create() {
    let mut w = world(&["--seed", "9"]);
    for media in refused() {
        let body = with_media(&create_body(APP), media);
        let reply = graph(&mut w, 10, "POST", "/v1.0/communications/calls", &body);
        assert_bad_field(&reply, "mediaConfig");
    }
    assert_eq!(w.next_deadline(), None, "no call is establishing");
    assert!(w.take_kicks().is_empty(), "nothing to deliver");
    // And it is the media, not the rest of the body: the same body with
    // service-hosted media creates the call.
    let created = graph(
        &mut w,
        20,
        "POST",
        "/v1.0/communications/calls",
        &create_body(APP),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = super::support::json_of(&created)["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(w.take_kicks(), vec![CallId::new(&id)]);
}
