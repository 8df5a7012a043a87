//! Media actions, `GET` of an operation and `DELETE` on an established
//! call answer byte for byte (status, `Location`, body) what
//! `ivr_media_queue::replay` answers for the same scenario lines: the
//! oracle is a scenario written here by hand (absolute URLs, `body`
//! objects, `$opN`), not the emulator's export. The caller's events come
//! from the offer's script.

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, ReplayRecord};
use serde_json::{Value, json};

use super::support::{BOT, answer_body, control, graph, json_of, log_lines, ms, world};

const SEED: u64 = 77;
const CALL: &str = "m1";

/// One step: at `at_ms`, a Graph request (method, version, path after the
/// call, body) or a caller event.
enum Step {
    Request(u64, &'static str, &'static str, &'static str, Value),
    Event(u64, Value),
}

fn steps() -> Vec<Step> {
    use Step::{Event, Request};
    let prompt = |uri: &str| {
        json!({"@odata.type": "#microsoft.graph.mediaPrompt",
        "mediaInfo": {"@odata.type": "#microsoft.graph.mediaInfo", "uri": uri}})
    };
    vec![
        Request(
            200,
            "POST",
            "v1.0",
            "/subscribeToTone",
            json!({"clientContext": "tones"}),
        ),
        Request(
            300,
            "POST",
            "v1.0",
            "/playPrompt",
            json!({"clientContext": "menu",
            "prompts": [prompt("https://cdn.example/intro.wav?durationMs=700"),
                        prompt("https://cdn.example/options.wav?durationMs=2500")]}),
        ),
        Request(
            400,
            "POST",
            "v1.0",
            "/recordResponse",
            json!({"clientContext": "message",
            "prompts": [prompt("https://cdn.example/beep-after.wav?durationMs=300")],
            "playBeep": true, "stopTones": ["#"], "maxRecordDurationInSeconds": 30}),
        ),
        Request(500, "GET", "v1.0", "/operations/$op2", Value::Null),
        Request(1_200, "GET", "v1.0", "/operations/$op2", Value::Null),
        // A bad body, an unknown action, an unknown operation.
        Request(
            1_300,
            "POST",
            "v1.0",
            "/playPrompt",
            json!({"clientContext": "bad", "prompts": "x"}),
        ),
        Request(1_400, "POST", "v1.0", "/sing", json!({})),
        Request(
            1_500,
            "GET",
            "v1.0",
            "/operations/00000000-0000-4000-8000-000000000000",
            Value::Null,
        ),
        Event(3_000, json!({"event": "tone", "tone": "1"})),
        Request(
            3_100,
            "POST",
            "beta",
            "/record",
            json!({"clientContext": "beta-record",
            "prompts": [], "playBeep": false, "stopTones": ["#"]}),
        ),
        Request(
            3_200,
            "POST",
            "v1.0",
            "/playPrompt",
            json!({"clientContext": "queued",
            "prompts": [prompt("https://cdn.example/later.wav?fail=download")]}),
        ),
        Event(5_000, json!({"event": "speechStarted"})),
        Event(6_000, json!({"event": "tone", "tone": "#"})),
        Request(6_100, "GET", "v1.0", "/operations/$op3", Value::Null),
        Request(
            6_200,
            "POST",
            "v1.0",
            "/cancelMediaProcessing",
            json!({"clientContext": "stop"}),
        ),
        Request(6_300, "GET", "beta", "/operations/$op5", Value::Null),
        Request(7_000, "DELETE", "v1.0", "", Value::Null),
        Request(
            7_100,
            "POST",
            "v1.0",
            "/playPrompt",
            json!({"clientContext": "too-late",
            "prompts": [prompt("https://cdn.example/bye.wav")]}),
        ),
        Request(7_200, "GET", "v1.0", "/operations/$op2", Value::Null),
    ]
}

#[test]
fn media_actions_answer_as_replay() {
    // The emulator, driven as the bot and the timer task would.
    let mut w = world(&["--bot-callback", BOT, "--seed", &SEED.to_string()]);
    // The caller's events: the offer's script, counted from establishment
    // (100 ms after the answer).
    let script: Vec<Value> = steps()
        .into_iter()
        .filter_map(|step| match step {
            Step::Event(at, mut event) => {
                event["at_ms"] = json!(at - 100);
                Some(event)
            }
            Step::Request(..) => None,
        })
        .collect();
    let offer = json!({"callId": CALL, "script": script}).to_string();
    let offered = control(&mut w, 0, "POST", "/emulator/calls", &offer);
    assert_eq!(offered.status, 201, "{}", offered.body);
    let url = format!("/v1.0/communications/calls/{CALL}/answer");
    assert_eq!(
        graph(&mut w, 0, "POST", &url, &answer_body(super::support::APP)).status,
        202
    );
    let mut operations: Vec<String> = Vec::new();
    let mut answers = Vec::new();
    for step in steps() {
        match step {
            Step::Request(at, method, version, rest, body) => {
                w.run_due(ms(at));
                // `$opN`: the N-th operation id the emulator answered with.
                let mut rest = rest.to_owned();
                for (n, id) in operations.iter().enumerate().rev() {
                    rest = rest.replace(&format!("$op{}", n + 1), id);
                }
                let url = format!("/{version}/communications/calls/{CALL}{rest}");
                let body = if body.is_null() {
                    String::new()
                } else {
                    body.to_string()
                };
                let reply = graph(&mut w, at, method, &url, &body);
                if method == "POST" && reply.status == 200 {
                    let id = json_of(&reply)["id"].as_str().expect("an id").to_owned();
                    operations.push(id);
                }
                answers.push((reply.status, reply.location, reply.body));
            }
            Step::Event(..) => {}
        }
    }

    // The same, as an ivr-replay scenario.
    let mut scenario = vec![
        json!({"config": {"beepMs": 400, "storeMs": 0, "promptMs": 1000, "notifyEstablished": true}}),
        json!({"at_ms": 100, "event": "callEstablished", "call": CALL}),
    ];
    for step in steps() {
        scenario.push(match step {
            Step::Request(at, method, version, rest, body) => {
                let url = format!(
                    "https://graph.microsoft.com/{version}/communications/calls/{CALL}{rest}"
                );
                let mut request = json!({"method": method, "url": url});
                if !body.is_null() {
                    request["body"] = body;
                }
                json!({"at_ms": at, "request": request})
            }
            Step::Event(at, mut event) => {
                event["at_ms"] = json!(at);
                event["call"] = json!(CALL);
                event
            }
        });
    }
    let text: Vec<String> = scenario.iter().map(Value::to_string).collect();
    let run = replay::run(&text.join("\n"), IdSource::seeded(SEED));
    assert_eq!(run.error, None);
    let expected: Vec<(u16, Option<String>, String)> = run
        .records
        .into_iter()
        .filter_map(|record| match record {
            ReplayRecord::Response { response, .. } => Some((
                response.status,
                response.location,
                response.body.unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();

    assert_eq!(answers.len(), expected.len());
    for (i, (got, want)) in answers.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "request {i}");
    }
    // The scenario is not trivial: successes and failures of each kind.
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    for status in [200, 204, 400, 404] {
        assert!(statuses.contains(&status), "no {status} in {statuses:?}");
    }
    assert_eq!(operations.len(), 6, "{statuses:?}");
    // And the call's run never stopped.
    let log = control(
        &mut w,
        8_000,
        "GET",
        &format!("/emulator/calls/{CALL}/log"),
        "",
    );
    for line in log_lines(&log.body) {
        assert!(line["emulator"].get("error").is_none(), "{line}");
        assert!(line.get("trace").is_none(), "every event lands: {line}");
    }
}
