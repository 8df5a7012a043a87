//! Calls in every phase, and their snapshots as JSON to forge, for the
//! restore tests.

#![allow(dead_code)]

use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, CallSnapshot, CollectDigits, IdSource, Instant,
    MediaInput, MediaPrompt, PlayPrompt, Record, Request, SnapshotError, Tone,
};
use serde_json::Value;

pub fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

pub fn new_call(config: CallConfig) -> Call {
    Call::new(
        CallId::new("c1"),
        Arc::new(config),
        IdSource::seeded(7),
        at(0),
    )
    .unwrap()
}

pub fn drain(call: &mut Call) {
    while call.poll_output().is_some() {}
}

pub fn play(uris: &[&str]) -> Request {
    let prompts = uris.iter().map(|u| MediaPrompt::new(u)).collect();
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts,
            loop_forever: false,
        }),
    )
}

pub fn record(record: Record) -> Request {
    Request::new(ApiVersion::Beta, Action::Record(record))
}

pub fn subscribe() -> Request {
    Request::new(ApiVersion::V1, Action::SubscribeToTone)
}

/// A play of two prompts at its first, a record and a collection queued
/// behind it; one play ended and remembered; tones subscribed, one
/// delivered. Everything polled.
pub fn playing() -> Call {
    let mut call = new_call(CallConfig::default());
    call.handle_request(at(0), subscribe()).unwrap();
    call.handle_media(at(10), None, MediaInput::Tone(Tone::Tone1))
        .unwrap();
    call.handle_request(at(20), play(&["https://x.test/done.wav"]))
        .unwrap();
    call.handle_media(at(30), None, MediaInput::PlaybackFinished)
        .unwrap();
    call.handle_request(
        at(40),
        play(&["https://x.test/a.wav", "https://x.test/b.wav"]),
    )
    .unwrap();
    call.handle_request(at(50), record(Record::default()))
        .unwrap();
    call.handle_collect_digits(at(60), None, CollectDigits::default())
        .unwrap();
    drain(&mut call);
    call
}

/// A record recording after speech (its max-silence timer running), no
/// beep, `#` stops it.
pub fn recording() -> Call {
    let mut call = new_call(CallConfig::default());
    let rec = Record {
        play_beep: false,
        stop_tones: [Tone::Pound].into_iter().collect(),
        max_record_duration_secs: 30,
        ..Record::default()
    };
    call.handle_request(at(0), record(rec)).unwrap();
    call.handle_media(at(500), None, MediaInput::SpeechStarted)
        .unwrap();
    call.handle_media(at(900), None, MediaInput::SpeechStopped)
        .unwrap();
    drain(&mut call);
    call
}

/// A record stopped by `#` after 1 s, waiting for its store.
pub fn storing() -> Call {
    let mut call = recording();
    call.handle_media(at(1000), None, MediaInput::Tone(Tone::Pound))
        .unwrap();
    drain(&mut call);
    call
}

/// A collection (no prompt, `#` ends it, at most 4 keys) holding `1`.
pub fn collecting() -> Call {
    let mut call = new_call(CallConfig::default());
    let collect = CollectDigits {
        max_digits: 4,
        ..CollectDigits::default()
    };
    call.handle_collect_digits(at(0), None, collect).unwrap();
    call.handle_media(at(100), None, MediaInput::Tone(Tone::Tone1))
        .unwrap();
    drain(&mut call);
    call
}

/// A play cancelled and a new one started, with their outputs undrained:
/// play, stopPlayback, the end, play; a tone notification last.
pub fn undrained() -> Call {
    let mut call = new_call(CallConfig::default());
    call.handle_request(at(0), subscribe()).unwrap();
    drain(&mut call);
    call.handle_request(at(10), play(&["https://x.test/a.wav"]))
        .unwrap();
    call.handle_request(
        at(20),
        Request::new(ApiVersion::V1, Action::CancelMediaProcessing),
    )
    .unwrap();
    call.handle_request(at(30), play(&["https://x.test/b.wav"]))
        .unwrap();
    call.handle_media(at(40), None, MediaInput::Tone(Tone::Star))
        .unwrap();
    call
}

/// The call's snapshot as JSON.
pub fn json(call: &Call) -> Value {
    serde_json::from_slice(&call.snapshot().to_json()).unwrap()
}

/// Reads and restores JSON with `config`.
pub fn restore_json(value: &Value, config: CallConfig) -> Result<Call, SnapshotError> {
    let snapshot = CallSnapshot::from_json(&serde_json::to_vec(value).unwrap())?;
    Call::restore(&snapshot, Arc::new(config))
}

/// The call's snapshot, changed by `forge`, restored with the default
/// config.
pub fn forged(call: &Call, forge: impl FnOnce(&mut Value)) -> Result<Call, SnapshotError> {
    let mut value = json(call);
    forge(&mut value);
    restore_json(&value, CallConfig::default())
}

/// The id of the active operation in snapshot JSON.
pub fn active_id(value: &Value) -> String {
    value["media"]["active"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
