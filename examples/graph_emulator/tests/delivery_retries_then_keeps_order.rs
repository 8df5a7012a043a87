//! Over real sockets on loopback: a bot whose first two answers are 500
//! gets every notification of its call, once each after the retries, in
//! the engine's order (the emulator's `establishing`, then the engine's
//! notifications exactly as the log records them, byte for byte); the
//! retried one is the same body each time; `GET /emulator/calls/{id}`
//! counts 2 retried and none dropped, and the log notes each attempt.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::support::{Receiver, Served, create_body, eventually, log_lines, prompt_body};

/// A log line's `notification`, as written.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    notification: Option<&'a RawValue>,
}

/// The deliveries the log notes: (notification, attempt, result).
fn attempts(log: &[Value]) -> Vec<(u64, u64, Value)> {
    log.iter()
        .filter_map(|line| {
            let delivery = line.get("emulator")?.get("delivery")?;
            Some((
                delivery["notification"].as_u64()?,
                delivery["attempt"].as_u64()?,
                delivery["result"].clone(),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_retries_then_keeps_order() {
    let bot = Receiver::start(2).await;
    // Speed 10: the 1 and 2 s back-offs take 0.3 s; an attempt may take
    // 0.5 s (wall) before it counts as unanswered.
    let emulator = Served::start(&["--speed", "10", "--seed", "21", "--answer-ms", "200"]).await;
    let (status, call) = emulator
        .json("POST", "/v1.0/communications/calls", &create_body(&bot.url))
        .await;
    assert_eq!(status, 201, "{call}");
    let id = call["id"].as_str().expect("an id").to_owned();
    let base = format!("/v1.0/communications/calls/{id}");

    let state_is = |want: &'static str| {
        let (emulator, id) = (&emulator, id.clone());
        move || {
            let id = id.clone();
            async move { emulator.state(&id).await["state"] == json!(want) }
        }
    };
    eventually("the call is established", state_is("established")).await;
    let (status, _) = emulator
        .send("POST", &format!("{base}/subscribeToTone"), "{}")
        .await;
    assert_eq!(status, 200);
    let prompt = prompt_body("hello", "https://cdn.example/hello.wav?durationMs=1000");
    let (status, _) = emulator
        .send("POST", &format!("{base}/playPrompt"), &prompt)
        .await;
    assert_eq!(status, 200);
    let tones = r#"[{"at_ms": 0, "event": "tone", "tone": "3"}, {"at_ms": 10, "event": "tone", "tone": "4"}]"#;
    let (status, _) = emulator
        .send("POST", &format!("/emulator/calls/{id}/script"), tones)
        .await;
    assert_eq!(status, 202);
    eventually("the prompt ends", || {
        let emulator = &emulator;
        let id = id.clone();
        async move {
            let state = emulator.state(&id).await;
            state["queue"]["found"] == json!(true)
                && state["queue"]["active"].is_null()
                && state["queue"]["tonesDelivered"] == json!(2)
        }
    })
    .await;
    let (status, _) = emulator.send("DELETE", &base, "").await;
    assert_eq!(status, 204);
    eventually("every notification is delivered", || {
        let emulator = &emulator;
        let id = id.clone();
        async move {
            let state = emulator.state(&id).await;
            state["state"] == json!("terminated") && state["delivery"]["pending"] == json!(0)
        }
    })
    .await;

    let (status, log) = emulator
        .send("GET", &format!("/emulator/calls/{id}/log"), "")
        .await;
    assert_eq!(status, 200);
    let engine: Vec<String> = log
        .lines()
        .filter_map(|line| {
            let line: Line = serde_json::from_str(line).expect("a log line");
            line.notification.map(|raw| raw.get().to_owned())
        })
        .collect();
    // established, tone 3, tone 4, the prompt's end, terminating, terminated
    assert_eq!(engine.len(), 6, "{log}");

    let posts = bot.posts();
    let statuses: Vec<u16> = posts.iter().map(|p| p.status).collect();
    let mut want = vec![500, 500];
    want.extend([200; 7]);
    assert_eq!(statuses, want);
    assert!(posts.iter().all(|p| p.path == "/api/calls"));
    assert_eq!(posts[0].body, posts[2].body, "a retry sends the same body");
    assert_eq!(posts[1].body, posts[2].body, "a retry sends the same body");
    let first: Value = serde_json::from_str(&posts[2].body).expect("JSON");
    assert_eq!(first["value"][0]["changeType"], json!("updated"));
    assert_eq!(
        first["value"][0]["resourceData"]["state"],
        json!("establishing")
    );
    assert_eq!(first["value"][0]["resourceData"]["id"], json!(id));
    let delivered: Vec<&str> = posts[3..].iter().map(|p| p.body.as_str()).collect();
    assert_eq!(delivered, engine, "the engine's notifications in its order");

    let state = emulator.state(&id).await;
    assert_eq!(
        state["delivery"],
        json!({"sent": 7, "retried": 2, "dropped": 0, "pending": 0})
    );
    let mut want = vec![
        (1, 1, json!("HTTP 500")),
        (1, 2, json!("HTTP 500")),
        (1, 3, json!(200)),
    ];
    want.extend((2..=7).map(|n| (n, 1, json!(200))));
    assert_eq!(attempts(&log_lines(&log)), want);
}
