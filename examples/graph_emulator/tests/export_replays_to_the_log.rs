//! `GET /emulator/calls/{id}/scenario`, run through
//! `ivr_media_queue::replay::run` with the emulator's seed and written
//! with `write_jsonl`, gives exactly the call's log lines other than the
//! `emulator` ones, byte for byte, after a call with requests (one failed
//! by a fault rule for every call), caller events from the offer's script
//! and a later script, a fault rule for the call (a duplicated tone), a
//! record stopped by `#`, and the bot's DELETE.

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, write_jsonl};
use serde_json::{Value, json};

use super::support::{
    APP, BOT, answer_body, control, graph, json_of, log_lines, ms, prompt_body, world,
};

const SEED: u64 = 4242;

#[test]
fn export_replays_to_the_log() {
    let mut w = world(&[
        "--bot-callback",
        BOT,
        "--seed",
        &SEED.to_string(),
        "--prompt-ms",
        "700",
    ]);
    let every = r#"{"requests": "serverError", "action": "subscribeToTone", "times": 1}"#;
    assert_eq!(
        control(&mut w, 0, "POST", "/emulator/faults", every).status,
        202
    );
    let script = json!([
        {"at_ms": 500, "event": "tone", "tone": "1"},
        {"at_ms": 3_000, "event": "speechStarted"},
        {"at_ms": 5_000, "event": "speechStopped"},
        {"at_ms": 6_000, "event": "tone", "tone": "#"},
    ]);
    let offer = json!({"callId": "x1", "script": script}).to_string();
    assert_eq!(
        control(&mut w, 10, "POST", "/emulator/calls", &offer).status,
        201
    );
    let base = "/v1.0/communications/calls/x1";
    let at = |w: &mut crate::world::World, t: u64| {
        w.run_due(ms(t));
        t
    };
    let t = at(&mut w, 50);
    assert_eq!(
        graph(
            &mut w,
            t,
            "POST",
            &format!("{base}/answer"),
            &answer_body(APP)
        )
        .status,
        202
    );

    let t = at(&mut w, 200);
    let failed = graph(&mut w, t, "POST", &format!("{base}/subscribeToTone"), "{}");
    assert_eq!(
        failed.status, 500,
        "the rule for every call: {}",
        failed.body
    );
    let t = at(&mut w, 250);
    assert_eq!(
        graph(&mut w, t, "POST", &format!("{base}/subscribeToTone"), "{}").status,
        200
    );
    let t = at(&mut w, 300);
    let rule = r#"{"notifications": "duplicate", "kind": "tone", "call": "x1", "times": 1}"#;
    assert_eq!(
        control(&mut w, t, "POST", "/emulator/faults", rule).status,
        202
    );
    let t = at(&mut w, 400);
    let welcome = prompt_body("welcome", "https://cdn.example/welcome.wav?durationMs=800");
    let played = graph(&mut w, t, "POST", &format!("{base}/playPrompt"), &welcome);
    assert_eq!(played.status, 200);
    let t = at(&mut w, 450);
    let record = json!({"clientContext": "message", "playBeep": true, "stopTones": ["#"],
        "prompts": [{"mediaInfo": {"uri": "https://cdn.example/after-the-beep.wav"}}]});
    let recording = graph(
        &mut w,
        t,
        "POST",
        &format!("{base}/recordResponse"),
        &record.to_string(),
    );
    assert_eq!(recording.status, 200);
    let record_id = json_of(&recording)["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let t = at(&mut w, 7_000);
    let later = r#"[{"at_ms": 0, "event": "tone", "tone": "2"}, {"at_ms": 100, "event": "mediaReceiveTimeout"}]"#;
    assert_eq!(
        control(&mut w, t, "POST", "/emulator/calls/x1/script", later).status,
        202
    );
    let t = at(&mut w, 8_000);
    let read = graph(
        &mut w,
        t,
        "GET",
        &format!("{base}/operations/{record_id}"),
        "",
    );
    assert_eq!(
        json_of(&read)["status"],
        json!("completed"),
        "{}",
        read.body
    );
    let t = at(&mut w, 9_000);
    assert_eq!(graph(&mut w, t, "DELETE", base, "").status, 204);

    let t = at(&mut w, 9_500);
    let scenario = control(&mut w, t, "GET", "/emulator/calls/x1/scenario", "");
    assert_eq!(scenario.status, 200);
    let log = control(&mut w, t, "GET", "/emulator/calls/x1/log", "");
    assert_eq!(log.status, 200);

    // The export: a config line first, the two rules, `{"at_ms": now}` last.
    let lines = log_lines(&scenario.body);
    assert!(lines[0].get("config").is_some(), "{}", lines[0]);
    let faults = lines.iter().filter(|l| l.get("fault").is_some()).count();
    assert_eq!(faults, 2, "{}", scenario.body);
    assert_eq!(lines.last(), Some(&json!({"at_ms": 9_500})));

    let run = replay::run(&scenario.body, IdSource::seeded(SEED));
    assert_eq!(run.error, None);
    let mut replayed = Vec::new();
    write_jsonl(&mut replayed, &run.records, &run.config, false).expect("written");
    let replayed = String::from_utf8(replayed).expect("UTF-8");
    let logged: Vec<&str> = log
        .body
        .lines()
        .filter(|line| {
            let line: Value = serde_json::from_str(line).expect("JSON");
            line.get("emulator").is_none()
        })
        .collect();
    let replayed: Vec<&str> = replayed.lines().collect();
    assert_eq!(replayed, logged);

    // What the rules and events did is in it.
    let text = logged.join("\n");
    assert!(text.contains(r#""status":500"#), "the failed subscribe");
    let tone_1 = logged
        .iter()
        .filter(|l| l.contains(r#""tone":"tone1""#))
        .count();
    assert_eq!(tone_1, 2, "the duplicated tone");
    assert!(text.contains(r#""tone":"pound""#), "the stop tone");
    assert!(
        text.contains(r#""command":"stopRecording""#),
        "the record stopped"
    );
    assert!(text.contains(r#""tone":"tone2""#));
    assert!(text.contains(r#""state":"terminated""#));
}
