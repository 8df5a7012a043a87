//! Over real sockets on loopback: a bot that takes the connection and
//! never answers costs each attempt 5 s (virtual), then the back-off; after
//! 5 attempts the notification is dropped ("no answer within 5000 ms").
//! Another call's bot gets its notifications long before that.

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::support::{Receiver, Served, create_body, eventually, log_lines};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_bot_holds_up_only_its_call() {
    // Takes connections, reads nothing, answers nothing.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("http://{}/api/calls", silent.local_addr().expect("address"));
    let held = Arc::new(Mutex::new(Vec::new()));
    let holding = Arc::clone(&held);
    let silent_task = tokio::spawn(async move {
        while let Ok((stream, _)) = silent.accept().await {
            holding.lock().push(stream);
        }
    });
    let bot = Receiver::start(0).await;
    // Speed 50: the 25 s of attempts and 15 s of back-off take 0.8 s.
    let emulator = Served::start(&["--speed", "50", "--seed", "32", "--answer-ms", "60000"]).await;
    let mut ids = Vec::new();
    for callback in [&silent_url, &bot.url] {
        let (status, call) = emulator
            .json("POST", "/v1.0/communications/calls", &create_body(callback))
            .await;
        assert_eq!(status, 201, "{call}");
        ids.push(call["id"].as_str().expect("an id").to_owned());
    }
    let (a, b) = (ids[0].clone(), ids[1].clone());
    eventually("the silent bot's notification is dropped", || {
        let (emulator, a) = (&emulator, a.clone());
        async move { emulator.state(&a).await["delivery"]["dropped"] == json!(1) }
    })
    .await;
    assert_eq!(
        emulator.state(&a).await["delivery"],
        json!({"sent": 0, "retried": 4, "dropped": 1, "pending": 0})
    );
    assert!(held.lock().len() >= 5, "each attempt connected");

    let (_, log) = emulator
        .send("GET", &format!("/emulator/calls/{a}/log"), "")
        .await;
    let tried: Vec<(u64, Value)> = log_lines(&log)
        .iter()
        .filter_map(|l| {
            Some((
                l["at_ms"].as_u64()?,
                l.get("emulator")?.get("delivery")?.clone(),
            ))
        })
        .collect();
    let results: Vec<&Value> = tried.iter().map(|t| &t.1["result"]).collect();
    let mut want = vec![json!("no answer within 5000 ms"); 4];
    want.push(json!("no answer within 5000 ms; dropped after 5 attempts"));
    assert_eq!(results, want.iter().collect::<Vec<_>>());
    // Each attempt waited its 5 s, then the back-off.
    let created = log_lines(&log)[0]["at_ms"].as_u64().expect("at_ms");
    let mut earliest = created + 5_000;
    for ((at, _), back_off) in tried.iter().zip([1_000, 2_000, 4_000, 8_000, 0]) {
        assert!(
            *at >= earliest,
            "an attempt ended at {at}, before {earliest}"
        );
        earliest = at + back_off + 5_000;
    }
    let first_drop = tried[4].0;

    // The other call: its `establishing` delivered long before.
    let (_, log) = emulator
        .send("GET", &format!("/emulator/calls/{b}/log"), "")
        .await;
    let delivered: Vec<u64> = log_lines(&log)
        .iter()
        .filter(|l| l["emulator"]["delivery"]["result"] == json!(200))
        .filter_map(|l| l["at_ms"].as_u64())
        .collect();
    assert_eq!(delivered.len(), 1, "{log}");
    assert!(delivered[0] < first_drop, "{delivered:?} vs {first_drop}");
    assert!(
        delivered[0] < created + 5_000,
        "not behind the silent bot's first attempt"
    );
    silent_task.abort();
}
