//! Over real sockets on loopback: a callback where nothing listens gets 5
//! attempts per notification, 1, 2, 4 and 8 s (virtual) apart at least;
//! then the notification is dropped and counted, and the next one is tried
//! in turn, the same way. Meanwhile another call's notifications reach
//! its bot long before the first drop.

use serde_json::{Value, json};

use super::support::{Receiver, Served, closed_port_url, create_body, eventually, log_lines};

/// EMULATOR.md: 5 attempts in all, 1, 2, 4 and 8 s apart (virtual).
const ATTEMPTS: u32 = 5;
const BACK_OFF_MS: [u64; 4] = [1_000, 2_000, 4_000, 8_000];

/// The deliveries the log notes: (at_ms, notification, attempt, result).
fn attempts(log: &[Value]) -> Vec<(u64, u64, u32, Value)> {
    log.iter()
        .filter_map(|line| {
            let delivery = line.get("emulator")?.get("delivery")?;
            Some((
                line["at_ms"].as_u64()?,
                delivery["notification"].as_u64()?,
                u32::try_from(delivery["attempt"].as_u64()?).ok()?,
                delivery["result"].clone(),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_callback_drops_after_five_attempts() {
    let dead = closed_port_url();
    let bot = Receiver::start(0).await;
    // Speed 20: a notification's 15 s of back-off take 0.75 s (wall).
    let emulator = Served::start(&["--speed", "20", "--seed", "22"]).await;
    let create = |callback: String| {
        let emulator = &emulator;
        async move {
            let (status, call) = emulator
                .json(
                    "POST",
                    "/v1.0/communications/calls",
                    &create_body(&callback),
                )
                .await;
            assert_eq!(status, 201, "{call}");
            call["id"].as_str().expect("an id").to_owned()
        }
    };
    let a = create(dead.clone()).await;
    let b = create(bot.url.clone()).await;

    eventually("both of the dead call's notifications are dropped", || {
        let (emulator, a) = (&emulator, a.clone());
        async move { emulator.state(&a).await["delivery"]["dropped"] == json!(2) }
    })
    .await;
    eventually("the live call's notifications are delivered", || {
        let (emulator, b) = (&emulator, b.clone());
        async move { emulator.state(&b).await["delivery"]["sent"] == json!(2) }
    })
    .await;

    let state = emulator.state(&a).await;
    assert_eq!(
        state["delivery"],
        json!({"sent": 0, "retried": 8, "dropped": 2, "pending": 0})
    );
    let (_, log) = emulator
        .send("GET", &format!("/emulator/calls/{a}/log"), "")
        .await;
    let tried = attempts(&log_lines(&log));
    let order: Vec<(u64, u32)> = tried.iter().map(|t| (t.1, t.2)).collect();
    let want: Vec<(u64, u32)> = [1, 2]
        .into_iter()
        .flat_map(|n| (1..=ATTEMPTS).map(move |attempt| (n, attempt)))
        .collect();
    assert_eq!(
        order, want,
        "five attempts each, one notification after the other"
    );
    for (at, number, attempt, result) in &tried {
        let why = result
            .as_str()
            .unwrap_or_else(|| panic!("no status: {result}"));
        assert!(!why.starts_with("HTTP"), "nothing answered: {why}");
        assert_eq!(
            why.ends_with(&format!("; dropped after {ATTEMPTS} attempts")),
            *attempt == ATTEMPTS,
            "notification {number} attempt {attempt} at {at}: {why}"
        );
    }
    for pair in tried.windows(2) {
        let ((at, n, attempt, _), (next_at, next_n, _, _)) = (&pair[0], &pair[1]);
        assert!(next_at >= at, "{pair:?}");
        if n == next_n {
            let wait = BACK_OFF_MS[(*attempt - 1) as usize];
            assert!(
                next_at - at >= wait,
                "attempt {} of {n} came {} ms after the one before, not {wait}",
                attempt + 1,
                next_at - at
            );
        }
    }
    let first_drop = tried[ATTEMPTS as usize - 1].0;

    // The live call: delivered in order to its bot, before the dead call's
    // first drop.
    let (_, log) = emulator
        .send("GET", &format!("/emulator/calls/{b}/log"), "")
        .await;
    let delivered = attempts(&log_lines(&log));
    let last = delivered
        .iter()
        .filter(|t| t.3 == json!(200))
        .map(|t| (t.1, t.0))
        .collect::<Vec<_>>();
    assert_eq!(last.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2]);
    assert!(
        last.iter().all(|(_, at)| *at < first_drop),
        "the live call waited for the dead one: {last:?}, first drop at {first_drop}"
    );
    let states: Vec<Value> = bot
        .posts()
        .iter()
        .filter(|p| p.status == 200)
        .map(|p| {
            let body: Value = serde_json::from_str(&p.body).expect("JSON");
            assert_eq!(
                body["value"][0]["resourceUrl"],
                json!(format!("/communications/calls/{b}"))
            );
            body["value"][0]["resourceData"]["state"].clone()
        })
        .collect();
    assert_eq!(states, vec![json!("establishing"), json!("established")]);
}
