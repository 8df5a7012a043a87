//! Invariant 3.8: a snapshot at any point, restored into another engine,
//! goes on exactly as if never moved. Random scenarios on two calls are run
//! twice, once moving every call (through JSON bytes) at a random time, and
//! the outputs must be byte-identical. Also: a moved single call, and the
//! refusal of snapshots this version cannot read.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256).
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use ivr_media_queue::replay::{self, ReplayOptions};
use ivr_media_queue::{
    Action, ApiVersion, CallId, CallSnapshot, Engine, EngineConfig, EngineSnapshot, IdSource,
    Instant, MediaInput, Request, RestoreError, SnapshotError, Tone,
};
use proptest::prelude::*;

fn line() -> impl Strategy<Value = (u64, String)> {
    let call = prop::sample::select(vec!["c1", "c2"]);
    let body = prop_oneof![
        Just((
            "playPrompt",
            r#"{"clientContext":"p","prompts":[{"mediaInfo":{"uri":"https://x.test/a.wav"}},{"mediaInfo":{"uri":"https://x.test/b.wav"}}]}"#
        )),
        Just((
            "playPrompt",
            r#"{"loop":true,"prompts":[{"mediaInfo":{"uri":"https://x.test/m.wav"}}]}"#
        )),
        Just((
            "recordResponse",
            r##"{"clientContext":"r","stopTones":["#"],"initialSilenceTimeoutInSeconds":2,"maxRecordDurationInSeconds":4,"maxSilenceTimeoutInSeconds":1}"##
        )),
        Just((
            "recordResponse",
            r#"{"prompts":[{"mediaInfo":{"uri":"https://x.test/q.wav"}}],"bargeInAllowed":true}"#
        )),
        Just(("subscribeToTone", "{}")),
        Just(("cancelMediaProcessing", "{}")),
    ];
    let event = prop::sample::select(vec![
        "playbackFinished",
        "playbackFinished",
        "beepFinished",
        "speechStarted",
        "speechStopped",
        "recordingFailed",
        "mediaReceiveTimeout",
    ]);
    (0u64..3_000, call, prop_oneof![
        4 => body.prop_map(|(action, body)| format!(r#""request":{{"url":"https://graph.microsoft.com/beta/communications/calls/{{call}}/{action}","body":{body}}}"#)),
        5 => event.prop_map(|e| format!(r#""event":"{e}","call":"{{call}}""#)),
        2 => prop::sample::select(vec!["1", "#", "*"]).prop_map(|t| format!(r#""event":"tone","call":"{{call}}","tone":"{t}""#)),
        1 => Just(r#""event":"callTerminated","call":"{call}""#.to_owned()),
        1 => Just(r#""request":{"method":"GET","url":"/communications/calls/{call}/operations/$op1"}"#.to_owned()),
        // Extension: a collection part-way through moves with its keys.
        1 => Just(r#""collectDigits":{"call":"{call}","prompts":["https://x.test/pin.wav"],"minDigits":2,"maxDigits":3,"interDigitTimeoutMs":900}"#.to_owned()),
    ])
        .prop_map(|(dt, call, rest)| (dt, rest.replace("{call}", call)))
}

fn scenario() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(line(), 1..60)).prop_map(|(notify, lines)| {
        // With the extensions' numbering and outcomes, which must move too.
        let mut text = format!("{{\"config\":{{\"beepMs\":300,\"notifyOnTermination\":{notify},\"sequenceNumbers\":true,\"outcomes\":true}}}}\n");
        text.push_str("{\"at_ms\":0,\"event\":\"callEstablished\",\"call\":\"c1\"}\n");
        text.push_str("{\"at_ms\":0,\"event\":\"callEstablished\",\"call\":\"c2\"}\n");
        text.push_str("{\"at_ms\":0,\"request\":{\"url\":\"/communications/calls/c1/subscribeToTone\",\"body\":{}}}\n");
        let mut at = 0;
        for (dt, rest) in lines {
            at += dt;
            text.push_str(&format!("{{\"at_ms\":{at},{rest}}}\n"));
        }
        text
    })
}

fn jsonl(scenario: &str, snapshot_at: Option<u64>) -> String {
    let run = replay::run_with(
        scenario,
        ReplayOptions {
            ids: IdSource::seeded(3),
            snapshot_at: snapshot_at.map(Instant::from_millis),
        },
    );
    assert!(run.error.is_none(), "{:?}", run.error);
    let mut out = Vec::new();
    replay::write_jsonl(&mut out, &run.records, &run.config, false).expect("writing to a Vec");
    String::from_utf8(out).expect("UTF-8")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    #[test]
    fn moving_every_call_changes_no_output(scenario in scenario(), at in 0u64..120_000) {
        prop_assert_eq!(jsonl(&scenario, Some(at)), jsonl(&scenario, None));
    }
}

fn record() -> Request {
    let record = ivr_media_queue::Record {
        play_beep: false,
        stop_tones: [Tone::Pound].into_iter().collect(),
        max_record_duration_secs: 30,
        initial_silence_timeout_secs: 30,
        ..Default::default()
    };
    Request::new(ApiVersion::Beta, Action::Record(record)).with_client_context("moved")
}

fn outputs(engine: &Engine) -> Vec<String> {
    let mut out = Vec::new();
    engine.drain_outputs(&mut out);
    out.iter()
        .map(|o| format!("{} {:?} {:?}", o.call, o.at, o.output))
        .collect()
}

#[test]
fn a_taken_call_goes_on_in_another_engine() {
    let config = || EngineConfig {
        ids: IdSource::seeded(9),
        ..Default::default()
    };
    let (here, there, twin) = (
        Engine::new(config()).unwrap(),
        Engine::new(config()).unwrap(),
        Engine::new(config()).unwrap(),
    );
    let call = CallId::new("c1");
    for engine in [&here, &twin] {
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        engine
            .handle_request(Instant::ZERO, &call, record())
            .unwrap();
        engine
            .handle_media(
                Instant::from_millis(500),
                &call,
                None,
                MediaInput::SpeechStarted,
            )
            .unwrap();
        let _ = outputs(engine);
    }
    let bytes = here.take_call(&call).expect("the call is here").to_json();
    assert_eq!(here.call_count(), 0);
    there
        .restore_call(&CallSnapshot::from_json(&bytes).unwrap())
        .unwrap();
    assert_eq!(
        there.poll_timeout(),
        twin.poll_timeout(),
        "the record's deadline moved with it"
    );
    for engine in [&there, &twin] {
        engine
            .handle_media(
                Instant::from_millis(900),
                &call,
                None,
                MediaInput::Tone(Tone::Pound),
            )
            .unwrap();
        let op = engine
            .view(&call)
            .unwrap()
            .active
            .expect("storing")
            .operation
            .id;
        let stored = ivr_media_queue::Recording {
            location: "https://r.test/1.wav".into(),
            access_token: "t".into(),
        };
        engine
            .handle_media(
                Instant::from_millis(900),
                &call,
                Some(op),
                MediaInput::RecordingStored(stored),
            )
            .unwrap();
        engine
            .handle_request(Instant::from_millis(950), &call, record())
            .unwrap();
    }
    assert_eq!(outputs(&there), outputs(&twin));
    // The id source moved too: the next operation got the same id.
    assert_eq!(there.view(&call), twin.view(&call));
    // The id is taken now.
    let again = there.snapshot_call(&call).unwrap();
    assert_eq!(
        there.restore_call(&again),
        Err(RestoreError::CallExists(call))
    );
}

#[test]
fn snapshots_of_another_format_are_refused() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let bytes = String::from_utf8(engine.snapshot_call(&call).unwrap().to_json()).unwrap();
    assert!(bytes.contains(r#""format":"ivr-media-queue/call/2""#));
    let future = bytes.replace("ivr-media-queue/call/2", "ivr-media-queue/call/3");
    match CallSnapshot::from_json(future.as_bytes()) {
        Err(SnapshotError::UnknownFormat { found, supported }) => {
            assert_eq!(found, "ivr-media-queue/call/3");
            assert_eq!(supported[0], ivr_media_queue::CALL_FORMAT);
            assert!(supported.contains(&"ivr-media-queue/call/1"));
        }
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
    assert!(matches!(
        CallSnapshot::from_json(b"{\"id\":\"c1\"}"),
        Err(SnapshotError::Malformed(_))
    ));
    assert!(matches!(
        CallSnapshot::from_json(b"not json"),
        Err(SnapshotError::Malformed(_))
    ));
    let engine_bytes = engine.snapshot().to_json();
    assert!(EngineSnapshot::from_json(&engine_bytes).is_ok());
    assert!(matches!(
        CallSnapshot::from_json(&engine_bytes),
        Err(SnapshotError::UnknownFormat { .. })
    ));
}
