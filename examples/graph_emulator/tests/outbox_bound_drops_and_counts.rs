//! `--outbox N`: a call holds at most N undelivered notifications. With no
//! delivery progress, the N+1-th and later are dropped, counted and noted
//! in the log (the engine's record stays), the outbox stays at N, and one
//! delivery task is asked for, once. When one is delivered, room for one
//! more: the next notification is kept, the one after dropped again.

use ivr_media_queue::CallId;
use serde_json::{Value, json};

use super::support::{
    BOT, control, drain, emulator_state, established, graph, log_lines, ms, world,
};
use crate::world::Attempt;

fn tones(w: &mut crate::world::World, now: u64, id: &str, count: usize) {
    let script: Vec<Value> = (0..count)
        .map(|i| json!({"at_ms": i, "event": "tone", "tone": "7"}))
        .collect();
    let path = format!("/emulator/calls/{id}/script");
    let reply = control(w, now, "POST", &path, &json!(script).to_string());
    assert_eq!(reply.status, 202, "{}", reply.body);
    w.run_due(ms(now + count as u64));
}

#[test]
fn outbox_bound_drops_and_counts() {
    let mut w = world(&["--bot-callback", BOT, "--seed", "23", "--outbox", "3"]);
    // The offer, establishing, established: the outbox is full.
    let at = established(&mut w, 0, "q1");
    let id = CallId::new("q1");
    assert_eq!(w.take_kicks(), vec![id.clone()], "one delivery task");
    let subscribed = graph(
        &mut w,
        at,
        "POST",
        "/v1.0/communications/calls/q1/subscribeToTone",
        "{}",
    );
    assert_eq!(subscribed.status, 200);

    // 50 tones: 50 notifications, none kept.
    tones(&mut w, 200, "q1", 50);
    let state = emulator_state(&mut w, 300, "q1");
    assert_eq!(
        state["delivery"],
        json!({"sent": 0, "retried": 0, "dropped": 50, "pending": 3})
    );
    assert!(w.take_kicks().is_empty(), "the task runs already");
    let log = control(&mut w, 300, "GET", "/emulator/calls/q1/log", "");
    let lines = log_lines(&log.body);
    let dropped: Vec<Value> = lines
        .iter()
        .filter_map(|l| l["emulator"].get("delivery").cloned())
        .collect();
    let want: Vec<Value> = (4..=53)
        .map(|n| json!({"notification": n, "dropped": "the outbox holds 3 notifications"}))
        .collect();
    assert_eq!(dropped, want);
    let engine_tones = lines
        .iter()
        .filter(|l| l["notification"]["value"][0]["resourceData"]["toneInfo"].is_object())
        .count();
    assert_eq!(engine_tones, 50, "the log keeps the engine's records");

    // One delivered: room for one.
    let first = w.next_delivery(&id).expect("the offer");
    assert_eq!(first.number, 1);
    w.delivery_attempted(&id, ms(400), &first, 1, Attempt::Delivered { status: 200 });
    tones(&mut w, 500, "q1", 2);
    let state = emulator_state(&mut w, 600, "q1");
    assert_eq!(
        state["delivery"],
        json!({"sent": 1, "retried": 0, "dropped": 51, "pending": 3})
    );
    let rest = drain(&mut w, 600, &id);
    let numbers: Vec<u64> = rest.iter().map(|o| o.number).collect();
    assert_eq!(numbers, vec![2, 3, 54]);
    let kept: Value = serde_json::from_str(&rest[2].body).expect("JSON");
    assert_eq!(
        kept["value"][0]["resourceData"]["toneInfo"]["sequenceId"],
        json!(51),
        "the 51st tone is the one kept: {kept}"
    );
    assert_eq!(w.next_delivery(&id), None, "empty: the task ends");

    // Empty again: the next notification asks for a task.
    tones(&mut w, 700, "q1", 1);
    assert_eq!(w.take_kicks(), vec![id.clone()]);
    assert_eq!(
        emulator_state(&mut w, 800, "q1")["delivery"]["pending"],
        json!(1)
    );
}
