//! No false refusals: whatever a live call went through (every request
//! kind, extension included, media inputs fitting or not, timers, keys,
//! hang-ups, outputs drained or left waiting, under assorted configs), its
//! snapshot at any step reads back from JSON and restores under the same
//! config (unless the call has ended, or holds more undrained outputs than
//! [`pending_output_limit`]), snapshots again to the same bytes, and from
//! one random step on goes on exactly as the call that never moved.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256).

use std::sync::Arc;

use ivr_media_queue::snapshot::pending_output_limit;
use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, CallSnapshot, CancelScope, CollectDigits,
    IdSource, Instant, MediaInput, MediaPrompt, OperationId, PlayPrompt, PromptFailure, Record,
    Recording, Request, ResultInfo, SnapshotError, Tone,
};
use proptest::prelude::*;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }
}

fn prompts(n: u8) -> Vec<MediaPrompt> {
    (0..n)
        .map(|i| MediaPrompt::new(&format!("https://x.test/{i}.wav")))
        .collect()
}

fn tone(b: u8) -> Tone {
    Tone::ALL[usize::from(b) % Tone::ALL.len()]
}

/// One step from the bytes: an input to the call at `now` (which may move),
/// then (mostly) its outputs drained, which it returns.
fn step(
    call: &mut Call,
    now: &mut u64,
    ops: &mut Vec<OperationId>,
    bytes: &mut Bytes,
) -> Vec<String> {
    let tag = bytes.next();
    let at = Instant::from_millis(*now);
    let api = if tag & 0x80 != 0 {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    let context = (tag & 0x40 != 0).then_some("ctx");
    let with_context = |r: Request| match context {
        Some(c) => r.with_client_context(c),
        None => r,
    };
    let accepted = match tag % 12 {
        0 => {
            let play = PlayPrompt {
                prompts: prompts(1 + bytes.next() % 3),
                loop_forever: bytes.next() % 4 == 0,
            };
            call.handle_request(
                at,
                with_context(Request::new(api, Action::PlayPrompt(play))),
            )
            .ok()
        }
        1 => {
            let flags = bytes.next();
            let record = Record {
                prompt: (flags & 1 != 0).then(|| MediaPrompt::new("https://x.test/q.wav")),
                play_beep: flags & 2 != 0,
                barge_in_allowed: flags & 4 == 4 && flags & 8 == 8,
                initial_silence_timeout_secs: 1 + u32::from(bytes.next() % 3),
                max_silence_timeout_secs: 1 + u32::from(bytes.next() % 3),
                max_record_duration_secs: 1 + u32::from(bytes.next() % 4),
                stop_tones: [Tone::Pound, Tone::Star]
                    .into_iter()
                    .filter(|t| flags & (16 << (*t as u8 % 2)) != 0)
                    .collect(),
            };
            call.handle_request(at, with_context(Request::new(api, Action::Record(record))))
                .ok()
        }
        2 => {
            let flags = bytes.next();
            let max = 1 + bytes.next() % 4;
            let collect = CollectDigits {
                prompts: prompts(flags % 3),
                min_digits: bytes.next() % (max + 1),
                max_digits: max,
                terminators: [Tone::Pound]
                    .into_iter()
                    .filter(|_| flags & 8 != 0)
                    .collect(),
                first_digit_timeout_ms: 1 + u32::from(bytes.next()) * 20,
                inter_digit_timeout_ms: 1 + u32::from(bytes.next()) * 10,
                barge_in: flags & 4 != 0,
            };
            call.handle_collect_digits(at, context.map(Arc::from), collect)
                .ok()
        }
        3 => call
            .handle_request(at, Request::new(api, Action::SubscribeToTone))
            .ok(),
        4 => {
            let request = with_context(Request::new(api, Action::CancelMediaProcessing));
            let pick = bytes.next();
            let scope = match pick % 4 {
                0 => CancelScope::All,
                1 => CancelScope::Current,
                2 => match ops.get(usize::from(pick) % ops.len().max(1)) {
                    Some(op) => CancelScope::Operation(*op),
                    None => CancelScope::All,
                },
                _ => CancelScope::ClientContextPrefix("ct".into()),
            };
            call.cancel_scoped(at, request, scope)
                .ok()
                .map(|r| r.cancel)
        }
        5..=7 => {
            let pick = bytes.next();
            let token = match pick % 3 {
                0 => None,
                1 => call.active_operation().map(|op| op.id),
                _ => ops.get(usize::from(pick) % ops.len().max(1)).copied(),
            };
            let input = match bytes.next() % 11 {
                0 => MediaInput::PlaybackFinished,
                1 => MediaInput::PlaybackFailed(PromptFailure::Download),
                2 => MediaInput::PlaybackFailed(PromptFailure::Format),
                3 => MediaInput::BeepFinished,
                4 => MediaInput::BeepFailed,
                5 => MediaInput::SpeechStarted,
                6 => MediaInput::SpeechStopped,
                7 => MediaInput::MediaReceiveTimeout,
                8 => MediaInput::RecordingFailed,
                9 => MediaInput::RecordingStored(Recording {
                    location: "https://r.test/1.wav".into(),
                    access_token: "t".into(),
                }),
                _ => MediaInput::PlaybackFinished,
            };
            let _ = call.handle_media(at, token, input);
            None
        }
        8 | 9 => {
            let _ = call.handle_media(at, None, MediaInput::Tone(tone(bytes.next())));
            None
        }
        10 => {
            *now += u64::from(bytes.next()) * 37;
            call.handle_timeout(Instant::from_millis(*now));
            None
        }
        _ if bytes.next() == 0 => {
            let _ = call.handle_terminated(at, ResultInfo::conversation_ended());
            None
        }
        _ => {
            // Time passes with nothing said.
            *now += u64::from(bytes.next()) * 53;
            None
        }
    };
    ops.extend(accepted.map(|op| op.id));
    if tag & 0x20 == 0 {
        outputs(call)
    } else {
        Vec::new()
    }
}

fn through_json(call: &Call, config: &Arc<CallConfig>) -> Result<Call, SnapshotError> {
    let snapshot = CallSnapshot::from_json(&call.snapshot().to_json())?;
    Call::restore(&snapshot, config.clone())
}

fn outputs(call: &mut Call) -> Vec<String> {
    std::iter::from_fn(|| call.poll_sequenced())
        .map(|(seq, output)| format!("{seq} {output:?}"))
        .collect()
}

fn config() -> impl Strategy<Value = CallConfig> {
    (1usize..5, 0usize..5, any::<[bool; 3]>()).prop_map(|(capacity, retained, flags)| CallConfig {
        queue_capacity: capacity,
        retained_operations: retained,
        notify_on_termination: flags[0],
        not_started_for_queued: flags[1],
        notify_established: flags[2],
        ..CallConfig::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    #[test]
    fn every_reachable_snapshot_restores_and_continues(
        config in config(),
        data in prop::collection::vec(any::<u8>(), 0..400),
        move_at in 0usize..60,
    ) {
        let config = Arc::new(config);
        let limit = pending_output_limit(&config);
        let mut here = Call::new(CallId::new("c1"), config.clone(), IdSource::seeded(11), Instant::ZERO).unwrap();
        let mut there: Option<Call> = None;
        let (mut now, mut ops, mut bytes) = (0u64, Vec::new(), Bytes(&data));
        let mut steps = 0;
        while !bytes.0.is_empty() {
            let moved = there.as_mut().map(|there| {
                let (mut now, mut ops) = (now, ops.clone());
                step(there, &mut now, &mut ops, &mut Bytes(bytes.0))
            });
            let outputs = step(&mut here, &mut now, &mut ops, &mut bytes);
            steps += 1;
            if let Some(moved) = moved {
                prop_assert_eq!(moved, outputs);
            }
            match through_json(&here, &config) {
                Ok(restored) => {
                    prop_assert_eq!(restored.snapshot().to_json(), here.snapshot().to_json());
                }
                Err(SnapshotError::CallTerminated(_)) => prop_assert!(here.is_terminated()),
                Err(SnapshotError::TooManyOutputs { held, .. }) => prop_assert!(held > limit),
                Err(e) => prop_assert!(false, "a reachable state was refused: {e}"),
            }
            if steps == move_at && there.is_none() && !here.is_terminated()
                && here.pending_outputs() <= limit
            {
                there = Some(through_json(&here, &config).expect("checked above"));
            }
            if let Some(there) = &there {
                prop_assert_eq!(there.snapshot(), here.snapshot());
                prop_assert_eq!(there.poll_timeout(), here.poll_timeout());
                prop_assert_eq!(there.view(), here.view());
            }
        }
    }
}
