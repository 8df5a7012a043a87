//! The engine on arbitrary input sequences with time steps, on two calls,
//! in one shard or 64, drained all at once or shard by shard, extensions
//! included (scoped cancels, collect digits, sequence numbers):
//! never panics, never spins, ends each operation once and says nothing of
//! it afterwards, keeps tone sequences whole and queues within capacity.
//!
//! Input: a byte stream of steps; see `Decoder::step` for the encoding
//! (`fuzz/make_corpus.py` writes seeds from the scenario tests in it).

#![no_main]

use std::collections::HashSet;
use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, CancelScope, CollectDigits, Engine, EngineConfig,
    IdSource, Instant, MediaInput, MediaPrompt, Notification, OperationId, Output, PlayPrompt,
    PromptFailure, Record, Recording, Request, RequestError, ResultInfo, Tone, ToneSet,
};
use libfuzzer_sys::fuzz_target;

const CAPACITY: usize = 4;

struct Decoder<'a>(&'a [u8]);

impl Decoder<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }

    fn call(&mut self) -> CallId {
        CallId::new(if self.byte() & 1 == 0 { "c0" } else { "c1" })
    }

    fn prompt(&mut self) -> MediaPrompt {
        let n = self.byte();
        let scheme = if n == 255 { "http" } else { "https" };
        MediaPrompt::new(&format!("{scheme}://cdn.test/{n}.wav"))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut config = CallConfig::default();
    config
        .queue_capacity(CAPACITY)
        .notify_on_termination(data.first().is_some_and(|b| b & 1 == 1));
    config.retained_operations = 3;
    let first = data.first().copied().unwrap_or(0);
    // The first byte also picks the shards (one, or the two calls likely
    // apart) and how outputs are drained (all at once, or shard by shard).
    let engine = Engine::new(EngineConfig {
        shards: if first & 2 == 0 { 64 } else { 1 },
        ..EngineConfig::new(config, IdSource::seeded(5))
    })
    .unwrap();
    let by_shard = first & 4 != 0;
    let shards_of_calls = [
        engine.shard_of(&CallId::new("c0")),
        engine.shard_of(&CallId::new("c1")),
    ];
    let mut input = Decoder(data);
    let mut now = 0u64;
    // The latest time the engine was given.
    let mut seen = 0u64;
    let mut ops: Vec<OperationId> = Vec::new();
    let mut ended: HashSet<OperationId> = HashSet::new();
    let mut tones = [0u64; 2];
    let mut sequence = [0u64; 2];
    while !input.0.is_empty() {
        let tag = input.byte();
        let api = if tag & 0x80 != 0 {
            ApiVersion::Beta
        } else {
            ApiVersion::V1
        };
        let at = Instant::from_millis(now);
        // Whether this step gives the engine `now` (a body refused as invalid
        // does not reach the engine's clock).
        let mut clock_seen = !matches!(tag % 16, 11 | 12 | 15);
        match tag % 16 {
            0 => {
                let _ = engine.handle_call_established(at, &input.call());
            }
            1 => {
                let call = input.call();
                let count = usize::from(input.byte() % 22);
                let prompts = (0..count).map(|_| input.prompt()).collect();
                let play = PlayPrompt {
                    prompts,
                    loop_forever: input.byte() % 4 == 0,
                };
                let context = "x".repeat(usize::from(input.byte()) * 2);
                let request =
                    Request::new(api, Action::PlayPrompt(play)).with_client_context(&context);
                match engine.handle_request(at, &call, request) {
                    Ok(op) => ops.push(op.id),
                    Err(RequestError::Invalid(_)) => clock_seen = false,
                    Err(_) => {}
                }
            }
            2 => {
                let call = input.call();
                let flags = input.byte();
                let secs = |b: u8| u32::from(b % 8);
                let record = Record {
                    prompt: (flags & 1 != 0).then(|| input.prompt()),
                    play_beep: flags & 2 != 0,
                    barge_in_allowed: flags & 4 != 0,
                    initial_silence_timeout_secs: secs(input.byte()),
                    max_silence_timeout_secs: secs(input.byte()),
                    max_record_duration_secs: secs(input.byte()),
                    stop_tones: Tone::ALL
                        .iter()
                        .filter(|t| flags & (1 << (**t as u8 % 5 + 3)) != 0)
                        .copied()
                        .collect::<ToneSet>(),
                };
                match engine.handle_request(at, &call, Request::new(api, Action::Record(record))) {
                    Ok(op) => ops.push(op.id),
                    Err(RequestError::Invalid(_)) => clock_seen = false,
                    Err(_) => {}
                }
            }
            3 if input.byte() % 2 == 0 => {
                let _ = engine.handle_request(
                    at,
                    &input.call(),
                    Request::new(api, Action::SubscribeToTone),
                );
            }
            3 => {
                // Extension: collect digits, with settings valid or not.
                let call = input.call();
                let flags = input.byte();
                let collect = CollectDigits {
                    prompts: (0..flags % 3).map(|_| input.prompt()).collect(),
                    min_digits: input.byte() % 6,
                    max_digits: input.byte() % 6,
                    terminators: [Tone::Pound, Tone::Star]
                        .into_iter()
                        .filter(|t| flags & (8 << (*t as u8 % 2)) != 0)
                        .collect(),
                    first_digit_timeout_ms: u32::from(input.byte()) * 40,
                    inter_digit_timeout_ms: u32::from(input.byte()) * 40,
                    barge_in: flags & 4 != 0,
                };
                let context = (flags & 32 != 0).then(|| Arc::from("x"));
                match engine.handle_collect_digits(at, &call, context, collect) {
                    Ok(op) => ops.push(op.id),
                    Err(RequestError::Invalid(_)) => clock_seen = false,
                    Err(_) => {}
                }
            }
            4 => {
                // Graph's cancel, or an extension cancel of some operations.
                let call = input.call();
                let request = Request::new(api, Action::CancelMediaProcessing);
                let scope = match input.byte() % 5 {
                    0 | 1 => None,
                    2 => Some(CancelScope::Current),
                    3 => ops
                        .get(usize::from(input.byte()) % ops.len().max(1))
                        .map(|op| CancelScope::Operation(*op)),
                    _ => Some(CancelScope::ClientContextPrefix("x".into())),
                };
                let _ = match scope {
                    None => engine.handle_request(at, &call, request).map(drop),
                    Some(scope) => engine.cancel_scoped(at, &call, request, scope).map(drop),
                };
            }
            5..=9 => {
                let call = input.call();
                let token_byte = input.byte();
                let token = match token_byte {
                    0..=127 => None,
                    b if ops.is_empty() => {
                        Some(OperationId::from_uuid(Default::default())).filter(|_| b % 2 == 0)
                    }
                    b => Some(ops[usize::from(b) % ops.len()]),
                };
                let media = match (tag % 16, input.byte() % 4) {
                    (5, 0) => MediaInput::PlaybackFailed(PromptFailure::Download),
                    (5, 1) => MediaInput::PlaybackFailed(PromptFailure::Format),
                    (5, _) => MediaInput::PlaybackFinished,
                    (6, 0) => MediaInput::BeepFailed,
                    (6, _) => MediaInput::BeepFinished,
                    (7, 0) => MediaInput::SpeechStarted,
                    (7, 1) => MediaInput::SpeechStopped,
                    (7, _) => MediaInput::MediaReceiveTimeout,
                    (8, 0) => MediaInput::RecordingFailed,
                    _ => MediaInput::RecordingStored(Recording {
                        location: Arc::from("https://store.test/r.wav"),
                        access_token: Arc::from("t"),
                    }),
                };
                let _ = engine.handle_media(at, &call, token, media);
            }
            10 => {
                let call = input.call();
                let tone = Tone::ALL[usize::from(input.byte()) % Tone::ALL.len()];
                let _ = engine.handle_media(at, &call, None, MediaInput::Tone(tone));
            }
            11 => {
                // Time passes without handle_timeout: the next input fires what is due.
                now += u64::from(input.byte()) * 100;
            }
            12 => {
                now += u64::from(input.byte()) * 150;
                let until = Instant::from_millis(now);
                let mut rounds = 0;
                while let Some(deadline) = engine.poll_timeout().filter(|d| *d <= until) {
                    engine.handle_timeout(deadline);
                    seen = seen.max(deadline.as_millis());
                    assert!(
                        engine.poll_timeout().is_none_or(|next| next > deadline),
                        "spins at {deadline:?}"
                    );
                    rounds += 1;
                    assert!(rounds < 1000, "too many timer rounds");
                }
            }
            13 => {
                let _ = engine.handle_call_terminated(
                    at,
                    &input.call(),
                    ResultInfo::conversation_ended(),
                );
            }
            14 => {
                let _ = engine.handle_delete(at, &input.call());
            }
            _ => {
                let call = input.call();
                if let Some(op) = ops.get(usize::from(input.byte())) {
                    let _ = engine.operation(&call, *op);
                }
            }
        }
        if clock_seen {
            seen = seen.max(now);
        }
        let mut outputs = 0;
        let mut drained = Vec::new();
        if by_shard {
            for shard in shards_of_calls {
                engine.drain_shard_outputs(shard, &mut drained);
            }
        } else {
            engine.drain_outputs(&mut drained);
        }
        for out in drained {
            outputs += 1;
            let c = usize::from(out.call.as_str() == "c1");
            // Per call, outputs count 1, 2, 3, ... (from 1 again for a call
            // established anew under the same id).
            assert!(
                out.seq == sequence[c] + 1 || out.seq == 1,
                "seq {} after {}",
                out.seq,
                sequence[c]
            );
            sequence[c] = out.seq;
            match out.output {
                Output::Media(command) => assert!(
                    !ended.contains(&command.operation()),
                    "command after the end"
                ),
                Output::Notification(Notification::OperationEnded(e)) | Output::Abandoned(e) => {
                    assert!(ended.insert(e.operation.id), "operation ended twice");
                }
                Output::Notification(Notification::Tone { sequence_id, .. }) => {
                    tones[c] += 1;
                    assert_eq!(sequence_id, tones[c]);
                }
                Output::Notification(_) => {}
                other => panic!("an output this target does not know: {other:?}"),
            }
        }
        assert!(
            outputs <= 4 * CAPACITY + 8,
            "{outputs} outputs from one step"
        );
        assert_eq!(engine.pending_outputs(), 0, "outputs left after a drain");
        if let Some(deadline) = engine.poll_timeout() {
            assert!(
                deadline.as_millis() >= seen,
                "deadline {deadline:?} before {seen}"
            );
        }
        for call in ["c0", "c1"] {
            let queued = engine
                .view(&CallId::new(call))
                .map_or(0, |v| v.queued.len() + usize::from(v.active.is_some()));
            assert!(queued <= CAPACITY, "queue of {call} holds {queued}");
        }
    }
});
