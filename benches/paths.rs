//! The paths around cancel, each with its own id:
//! - `enqueue/play_prompt`: a playPrompt queued behind an active operation;
//! - `tone/delivery`: a tone to a subscribed call, polled as a notification;
//! - `wire/request_to_response`: HTTP playPrompt parsed, queued, answered
//!   with the response JSON, on a warm engine (an untimed cancel and drain
//!   between requests); its floor `wire/request_to_response_floor` only
//!   parses the same body with serde_json into a typed request and writes
//!   the same response bytes; `wire/request_to_response_cold_engine` is
//!   the request on a fresh engine each time;
//! - `wire/notification_json`: a record's completion written as Graph JSON
//!   (bytes/s); its floor `wire/notification_json_floor` is serde_json
//!   writing the same value;
//! - `replay/10000_lines`: `ivr-replay` over a 10 000-line scenario; its
//!   floor `replay/10000_lines_floor` only parses the same lines with
//!   serde_json, and `replay/10000_lines_floor_with_output` also writes
//!   the values of the replay's output with serde_json (its lines are
//!   4.3 times the input's bytes).
//!
//! The two wire floors check once, before they are measured, that they
//! write the very bytes the engine writes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, IdSource, MediaInput, Notification, Output,
    Request, Tone, replay,
};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

/// What the floor of `wire/request_to_response` parses: a playPrompt body
/// as serde derives it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed, not read: the floor is the parse")]
struct PlayPromptBody {
    client_context: Option<String>,
    prompts: Vec<PromptBody>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed, not read")]
struct PromptBody {
    media_info: MediaInfoBody,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed, not read")]
struct MediaInfoBody {
    uri: String,
    resource_id: Option<String>,
}

/// The response body the floor writes, as serde derives it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationBody<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'a str,
    id: &'a str,
    client_context: Option<&'a str>,
    status: &'a str,
}

fn short<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    group
}

fn enqueue(c: &mut Criterion) {
    let template = fixtures::warm_call_with_queue(1);
    let mut group = short(c, "enqueue");
    group.bench_function("play_prompt", |b| {
        b.iter_batched(
            || (template.clone(), fixtures::operation(1)),
            |(mut call, request)| {
                black_box(call.handle_request(fixtures::NOW, request).is_ok());
                call
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn tone(c: &mut Criterion) {
    let mut call = fixtures::warm_call_with_queue(1);
    call.handle_request(
        fixtures::NOW,
        Request::new(ApiVersion::V1, Action::SubscribeToTone),
    )
    .unwrap();
    let mut group = short(c, "tone");
    group.bench_function("delivery", |b| {
        b.iter(|| {
            let _ = call.handle_media(fixtures::NOW, None, MediaInput::Tone(Tone::Tone5));
            black_box(call.poll_output())
        });
    });
    group.finish();
}

fn wire_paths(c: &mut Criterion) {
    let config = WireConfig::default();
    let call = CallId::new("19:meeting_c1");
    let url = "https://graph.microsoft.com/v1.0/communications/calls/19:meeting_c1/playPrompt";
    let body = wire::request_body(&fixtures::operation(1));
    let cancel_url =
        "https://graph.microsoft.com/v1.0/communications/calls/19:meeting_c1/cancelMediaProcessing";
    // An engine whose call has served a prompt and a cancel already: the
    // request measured is a call's usual one, not its first.
    let warm_engine = || {
        let engine = Engine::new(EngineConfig {
            ids: IdSource::seeded(1),
            ..Default::default()
        })
        .unwrap();
        engine
            .handle_call_established(fixtures::NOW, &call)
            .unwrap();
        wire::handle_http(&engine, &config, fixtures::NOW, "POST", url, &body);
        wire::handle_http(&engine, &config, fixtures::NOW, "POST", cancel_url, b"{}");
        engine.drain_outputs(&mut Vec::new());
        engine
    };
    // The request both `request_to_response` benchmarks time.
    let play = |engine: &Engine| {
        black_box(wire::handle_http(
            engine,
            &config,
            fixtures::NOW,
            "POST",
            url,
            &body,
        ))
    };
    let mut group = short(c, "wire");
    // Warm, like its floor: one engine, one call. Only the request is
    // timed; an untimed cancel and drain then bring the call back to where
    // the next request finds it (an empty queue, the prompt starts).
    group.bench_function("request_to_response", |b| {
        let engine = warm_engine();
        let mut drained = Vec::new();
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                play(&engine);
                timed += start.elapsed();
                wire::handle_http(&engine, &config, fixtures::NOW, "POST", cancel_url, b"{}");
                engine.drain_outputs(&mut drained);
                drained.clear();
            }
            timed
        });
    });
    // The same request on a fresh engine each time (made untimed): caches
    // cold, as when a bot's request finds its call among many.
    group.bench_function("request_to_response_cold_engine", |b| {
        b.iter_batched(
            warm_engine,
            |engine| {
                play(&engine);
                engine
            },
            BatchSize::SmallInput,
        );
    });

    // The floor: the body into serde's typed request, the same response
    // bytes out (the operation's id and clientContext as the engine wrote
    // them, the Location from them).
    let engine_response =
        wire::handle_http(&warm_engine(), &config, fixtures::NOW, "POST", url, &body);
    // The id as the engine holds it, 16 bytes: the floor writes it out too.
    let id = uuid::Uuid::parse_str(&engine_response.created.expect("created").to_string()).unwrap();
    let floor_response = |id: &uuid::Uuid| {
        let parsed: PlayPromptBody = serde_json::from_slice(&body).unwrap();
        let mut text = [0u8; 36];
        let id = &*id.hyphenated().encode_lower(&mut text);
        let location =
            format!("https://graph.microsoft.com/v1.0/communications/calls/{call}/operations/{id}");
        let body = serde_json::to_string(&OperationBody {
            odata_type: "#microsoft.graph.playPromptOperation",
            id,
            client_context: parsed.client_context.as_deref(),
            status: "running",
        })
        .unwrap();
        (location, body)
    };
    assert_eq!(
        floor_response(&id),
        (
            engine_response.location.clone().unwrap(),
            engine_response.body.clone().unwrap()
        ),
        "the floor writes the engine's bytes"
    );
    group.bench_function("request_to_response_floor", |b| {
        b.iter(|| black_box(floor_response(black_box(&id))));
    });

    // A record completed by a stop tone, with its recording: the largest
    // notification the engine writes.
    let mut call_state = fixtures::warm_call_with_queue(1);
    let op = call_state.active_operation().expect("an active record").id;
    while call_state.poll_output().is_some() {}
    call_state
        .handle_media(fixtures::NOW, Some(op), MediaInput::PlaybackFinished)
        .unwrap();
    call_state
        .handle_media(fixtures::NOW, Some(op), MediaInput::Tone(Tone::Pound))
        .unwrap();
    let recording = ivr_media_queue::Recording {
        location:
            "https://recordings.example/19:meeting_c1/0fe0623f-d628-42ed-b4bd-8ac290072cc5.wav"
                .into(),
        access_token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.recording-access-token".into(),
    };
    call_state
        .handle_media(
            fixtures::NOW,
            Some(op),
            MediaInput::RecordingStored(recording),
        )
        .unwrap();
    let note = std::iter::from_fn(|| call_state.poll_output())
        .find_map(|out| match out {
            Output::Notification(note @ Notification::OperationEnded(_)) => Some(note),
            _ => None,
        })
        .expect("the record completed");
    let mut out = Vec::with_capacity(4096);
    wire::write_notifications(&mut out, call_state.id(), [&note], &config);
    group.throughput(Throughput::Bytes(out.len() as u64));
    group.bench_function("notification_json", |b| {
        b.iter(|| {
            out.clear();
            wire::write_notifications(&mut out, call_state.id(), [&note], &config);
            black_box(out.len())
        });
    });
    // The floor: serde_json writing the same value, already built: the
    // typed `commsNotifications` the engine's bytes parse into.
    let value = wire::parse_notifications(&out).unwrap();
    let mut floor = Vec::with_capacity(4096);
    serde_json::to_writer(&mut floor, &value).unwrap();
    assert_eq!(floor, out, "the floor writes the engine's bytes");
    group.bench_function("notification_json_floor", |b| {
        b.iter(|| {
            floor.clear();
            serde_json::to_writer(&mut floor, black_box(&value)).unwrap();
            black_box(floor.len())
        });
    });
    group.finish();
}

/// A 10 000-line scenario: 100 calls, each subscribing, playing, recording
/// with a stop tone, cancelling a queue and hanging up.
fn scenario() -> String {
    let mut lines = Vec::with_capacity(10_000);
    let mut at = 0u64;
    let mut call = 0;
    while lines.len() < 10_000 {
        let c = format!("c{call}");
        let url = |action: &str| {
            format!("https://graph.microsoft.com/v1.0/communications/calls/{c}/{action}")
        };
        let prompt = r##"{"@odata.type":"#microsoft.graph.mediaPrompt","mediaInfo":{"uri":"https://cdn.contoso.com/menu.wav","resourceId":"menu"}}"##;
        lines.push(format!(
            r#"{{"at_ms":{at},"event":"callEstablished","call":"{c}"}}"#
        ));
        lines.push(format!(
            r#"{{"at_ms":{at},"request":{{"url":"{}","body":{{"clientContext":"tones"}}}}}}"#,
            url("subscribeToTone")
        ));
        for i in 0..30 {
            at += 10;
            lines.push(format!(r#"{{"at_ms":{at},"request":{{"url":"{}","body":{{"clientContext":"p{i}","prompts":[{prompt}]}}}}}}"#, url("playPrompt")));
            lines.push(format!(
                r#"{{"at_ms":{at},"event":"playbackFinished","call":"{c}"}}"#
            ));
            lines.push(format!(
                r#"{{"at_ms":{at},"event":"tone","call":"{c}","tone":"{}"}}"#,
                i % 10
            ));
        }
        lines.push(format!(r##"{{"at_ms":{at},"request":{{"url":"{}","body":{{"clientContext":"r","playBeep":false,"stopTones":["#"]}}}}}}"##, url("recordResponse")));
        at += 500;
        lines.push(format!(
            r#"{{"at_ms":{at},"event":"speechStarted","call":"{c}"}}"#
        ));
        lines.push(format!(
            r##"{{"at_ms":{at},"event":"tone","call":"{c}","tone":"#"}}"##
        ));
        for i in 0..5 {
            lines.push(format!(r#"{{"at_ms":{at},"request":{{"url":"{}","body":{{"clientContext":"q{i}","prompts":[{prompt}]}}}}}}"#, url("playPrompt")));
        }
        lines.push(format!(
            r#"{{"at_ms":{at},"request":{{"url":"{}","body":{{}}}}}}"#,
            url("cancelMediaProcessing")
        ));
        lines.push(format!(
            r#"{{"at_ms":{at},"event":"callTerminated","call":"{c}"}}"#
        ));
        call += 1;
    }
    lines.truncate(10_000);
    lines.join("\n")
}

fn replay_lines(c: &mut Criterion) {
    let text = scenario();
    let mut group = c.benchmark_group("replay");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .throughput(Throughput::Elements(10_000));
    group.bench_function("10000_lines", |b| {
        b.iter(|| {
            let run = replay::run(&text, IdSource::seeded(1));
            assert!(run.error.is_none());
            let mut out = Vec::new();
            replay::write_jsonl(&mut out, &run.records, &run.config, false).unwrap();
            black_box(out.len())
        });
    });
    group.bench_function("10000_lines_floor", |b| {
        b.iter(|| {
            for line in text.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                black_box(value);
            }
        });
    });
    // A floor that also writes: the same parse, then serde_json writing the
    // values of the replay's output lines (built before, keys in
    // serde_json's order: the same bytes but for that order). What is left
    // between it and the replay is the engine, the media layer and the
    // conversions.
    let run = replay::run(&text, IdSource::seeded(1));
    let mut written = Vec::new();
    replay::write_jsonl(&mut written, &run.records, &run.config, false).unwrap();
    let written = String::from_utf8(written).unwrap();
    let output: Vec<serde_json::Value> = written
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let write_output = |out: &mut Vec<u8>| {
        for value in &output {
            serde_json::to_writer(&mut *out, value).unwrap();
            out.push(b'\n');
        }
    };
    let mut floor_out = Vec::with_capacity(written.len());
    write_output(&mut floor_out);
    assert_eq!(
        floor_out.len(),
        written.len(),
        "the floor writes as many bytes"
    );
    group.bench_function("10000_lines_floor_with_output", |b| {
        b.iter(|| {
            for line in text.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                black_box(value);
            }
            let mut out = Vec::new();
            write_output(&mut out);
            black_box(out.len())
        });
    });
    group.finish();
}

criterion_group!(benches, enqueue, tone, wire_paths, replay_lines);
criterion_main!(benches);
