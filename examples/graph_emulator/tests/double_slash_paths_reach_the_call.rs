//! `/v1.0//communications/calls/{id}/...` (the Python SDK's default base
//! URL) reaches the call as the single-slash path does: answer, GET of the
//! call, a media action, GET of its operation; in the world and over HTTP.

use serde_json::json;

use super::support::{
    APP, Receiver, Served, answer_body, call_state, graph, json_of, ms, offer, prompt_body, world,
};

#[test]
fn double_slash_paths_reach_the_call_in_the_world() {
    let mut w = world(&["--bot-callback", super::support::BOT, "--seed", "1"]);
    offer(&mut w, 0, "c1");
    let answered = graph(
        &mut w,
        10,
        "POST",
        "/v1.0//communications/calls/c1/answer",
        &answer_body(APP),
    );
    assert_eq!((answered.status, answered.body.as_str()), (202, ""));
    let got = graph(&mut w, 20, "GET", "/v1.0//communications/calls/c1", "");
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(json_of(&got)["id"], json!("c1"));
    assert_eq!(json_of(&got)["state"], json!("establishing"));
    w.run_due(ms(110));
    assert_eq!(call_state(&mut w, 110, "c1"), "established");

    let played = graph(
        &mut w,
        120,
        "POST",
        "/v1.0//communications/calls/c1/playPrompt",
        &prompt_body("hi", "https://cdn.example/hi.wav"),
    );
    assert_eq!(played.status, 200, "{}", played.body);
    let operation = json_of(&played)["id"].as_str().expect("an id").to_owned();
    assert_eq!(json_of(&played)["status"], json!("running"));
    let location = played.location.as_deref().expect("a Location");
    assert!(
        location.ends_with(&format!("/communications/calls/c1/operations/{operation}")),
        "{location}"
    );
    // The same operation, read back through a double slash on beta too.
    for version in ["v1.0", "beta"] {
        let url = format!("/{version}//communications//calls/c1/operations/{operation}");
        let read = graph(&mut w, 130, "GET", &url, "");
        assert_eq!(read.status, 200, "{url}: {}", read.body);
        assert_eq!(json_of(&read)["id"], json!(operation));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_slash_paths_reach_the_call_over_http() {
    let bot = Receiver::start(0).await;
    let emulator = Served::start(&["--bot-callback", &bot.url, "--seed", "2"]).await;
    let (status, offered) = emulator
        .json("POST", "/emulator/calls", r#"{"callId": "h1"}"#)
        .await;
    assert_eq!((status, offered), (201, json!({"callId": "h1"})));
    let (status, body) = emulator
        .send(
            "POST",
            "/v1.0//communications/calls/h1/answer",
            &answer_body(&bot.url),
        )
        .await;
    assert_eq!((status, body.as_str()), (202, ""));
    let (status, call) = emulator
        .json("GET", "/v1.0//communications/calls/h1", "")
        .await;
    assert_eq!(status, 200, "{call}");
    assert_eq!(call["id"], json!("h1"));
    assert!(
        ["establishing", "established"].contains(&call["state"].as_str().unwrap_or("")),
        "{call}"
    );
}
