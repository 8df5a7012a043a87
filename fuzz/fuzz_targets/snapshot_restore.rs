//! Snapshots are a trust boundary (issue 9): whatever bytes are restored,
//! reading and restoring never panic, and a call that restores keeps
//! ENGINE.md §3's invariants as it is driven afterwards: each media
//! operation ends at most once and, once the call has ended, exactly once
//! (a notification or an abandoned report); nothing is reported about an
//! operation after its end; at most one is active and nothing waits behind
//! none; tone sequenceIds and output sequence numbers go up by one;
//! `poll_timeout` is never before the latest `now` and a timer never fires
//! twice; each step's outputs are bounded; and the driven call's own
//! snapshot restores again (after the first 8 steps whose tag has bits
//! 0x60, and before the final hang-up).
//!
//! Input, two shapes:
//! - starting with `{`: the snapshot's JSON bytes, then optionally a NUL and
//!   the steps (the seeds in `corpus/snapshot_restore` are the goldens of
//!   `tests/snapshots`, as they are and with steps);
//! - otherwise: a golden (the first byte picks it) whose JSON is mutated
//!   by the next bytes (the third says how many times: set a node to an
//!   edge number, a string from the format's vocabulary or null; flip a
//!   flag; drop, clone or multiply array elements; drop a key; copy
//!   another node or operation id over it), then the steps.
//!
//! Restored with the default `CallConfig`.

#![no_main]

use std::collections::HashSet;
use std::sync::Arc;

use ivr_media_queue::snapshot::pending_output_limit;
use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallSnapshot, CancelScope, CollectDigits, Instant,
    MediaInput, MediaPrompt, Notification, OperationId, Output, PlayPrompt, PromptFailure, Record,
    Recording, Request, ResultInfo, SnapshotError, Tone,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Every call golden, format 1 and 2, and the refused terminated one.
const GOLDENS: &[&[u8]] = &[
    include_bytes!("../../tests/snapshots/call-2/collect_collecting.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/collect_prompt.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/ended_in_get_memory.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/every_end_reason.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/play_loop_beta.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/play_second_prompt.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/queued_not_started.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/record_beep_undrained.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/record_prompt.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/record_recording_after_speech.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/record_recording_store_failed.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/record_storing.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-2/undrained_outputs.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/collect_collecting.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/every_end_reason.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/queued_not_started.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/record_recording_after_speech.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/record_storing.snapshot.json"),
    include_bytes!("../../tests/snapshots/call-1/undrained_outputs.snapshot.json"),
    include_bytes!("../../tests/snapshots/refused/call-1-terminated.snapshot.json"),
];

struct Decoder<'a>(&'a [u8]);

impl Decoder<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }
}

// ---------------------------------------------------------------------------
// Mutating a golden's JSON.

const NUMBERS: [i128; 16] = [
    0,
    1,
    2,
    3,
    4,
    21,
    64,
    100,
    999,
    1000,
    120_000,
    u32::MAX as i128,
    (1 << 53) - 1,
    1 << 53,
    u64::MAX as i128,
    -1,
];

const WORDS: [&str; 24] = [
    "prompt",
    "beep",
    "recording",
    "storing",
    "collecting",
    "playPrompt",
    "record",
    "collectDigits",
    "subscribeToTone",
    "running",
    "notStarted",
    "completed",
    "failed",
    "operationEnded",
    "abandoned",
    "callEstablished",
    "callTerminating",
    "tone",
    "pound",
    "tone1",
    "http://x.test/a.wav",
    "",
    "a/b",
    "C1",
];

/// A path to a node, chosen by the bytes.
fn pick(value: &Value, input: &mut Decoder) -> Vec<String> {
    let mut path = Vec::new();
    let mut node = value;
    loop {
        let choice = usize::from(input.byte());
        let next = match node {
            Value::Object(map) if !map.is_empty() && choice % 5 != 0 => map
                .iter()
                .nth(choice % map.len())
                .map(|(k, v)| (k.clone(), v)),
            Value::Array(items) if !items.is_empty() && choice % 5 != 0 => {
                let i = choice % items.len();
                Some((i.to_string(), &items[i]))
            }
            _ => None,
        };
        let Some((key, child)) = next else {
            return path;
        };
        path.push(key);
        node = child;
    }
}

fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Every string in the document that reads as an operation id.
fn ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.parse::<OperationId>().is_ok() => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
        Value::Object(map) => map.values().for_each(|v| ids(v, out)),
        _ => {}
    }
}

fn mutate(value: &mut Value, input: &mut Decoder) {
    let original = value.clone();
    let path = pick(value, input);
    let op = input.byte();
    let arg = input.byte();
    let Some(node) = value.pointer_mut(&pointer(&path)) else {
        return;
    };
    match op % 11 {
        0 => {
            let n = NUMBERS[usize::from(arg) % NUMBERS.len()];
            *node = u64::try_from(n)
                .map(Value::from)
                .unwrap_or_else(|_| json!(n as i64));
        }
        1 => *node = Value::Null,
        2 => *node = json!(WORDS[usize::from(arg) % WORDS.len()]),
        3 => *node = json!(arg % 2 == 0),
        4 | 5 | 6 => {
            if let Value::Array(items) = node {
                if !items.is_empty() {
                    let i = usize::from(arg) % items.len();
                    match op % 11 {
                        4 => items.push(items[i].clone()),
                        5 => {
                            items.remove(i);
                        }
                        _ => {
                            let copy = items[i].clone();
                            items.extend(std::iter::repeat_n(copy, usize::from(arg)));
                        }
                    }
                }
            }
        }
        7 => {
            if let Value::Object(map) = node {
                if let Some(key) = map.keys().nth(usize::from(arg) % map.len().max(1)).cloned() {
                    map.remove(&key);
                }
            }
        }
        8 => {
            if let Some(n) = node.as_u64() {
                let delta = u64::from(arg % 16);
                *node = json!(if arg & 0x80 != 0 {
                    n.saturating_sub(delta)
                } else {
                    n.saturating_add(delta)
                });
            }
        }
        9 => {
            let mut from = Decoder(&[arg, arg / 3, arg / 7, arg / 11]);
            let source = pick(&original, &mut from);
            if let Some(copy) = original.pointer(&pointer(&source)) {
                *node = copy.clone();
            }
        }
        _ => {
            let mut found = Vec::new();
            ids(&original, &mut found);
            if !found.is_empty() {
                *node = json!(found[usize::from(arg) % found.len()]);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Driving the restored call and checking it.

struct Check {
    config: Arc<CallConfig>,
    /// Media operations that must end once the call ends.
    live: HashSet<OperationId>,
    /// Operations that ended (remembered ones included).
    ended: HashSet<OperationId>,
    known: Vec<OperationId>,
    last_tone: Option<u64>,
    last_seq: Option<u64>,
    /// The latest `now` the call was given.
    seen: u64,
    now: u64,
    terminated: bool,
}

impl Check {
    fn new(call: &Call, remembered: Vec<OperationId>, config: Arc<CallConfig>) -> Self {
        let view = call.view();
        let live: HashSet<OperationId> = view
            .active
            .iter()
            .map(|a| a.operation.id)
            .chain(view.queued.iter().map(|op| op.id))
            .collect();
        Self {
            config,
            known: live
                .iter()
                .copied()
                .chain(remembered.iter().copied())
                .collect(),
            live,
            ended: remembered.into_iter().collect(),
            last_tone: None,
            last_seq: None,
            seen: 0,
            now: 0,
            terminated: false,
        }
    }

    /// Drains and checks what came out; `first`: the restored call's
    /// pending outputs, which end at its tone count.
    fn drain(&mut self, call: &mut Call, first: bool) {
        let delivered = call.view().tones_delivered;
        let mut count = 0;
        let mut tones = Vec::new();
        while let Some((seq, output)) = call.poll_sequenced() {
            count += 1;
            assert!(!self.terminated, "{output:?} after the call ended");
            if let Some(last) = self.last_seq {
                assert_eq!(seq, last + 1, "output sequence numbers");
            }
            self.last_seq = Some(seq);
            match &output {
                Output::Media(command) => {
                    let op = command.operation();
                    assert!(!self.ended.contains(&op), "{command:?} after its end");
                }
                Output::Notification(Notification::OperationEnded(e)) | Output::Abandoned(e) => {
                    assert!(
                        self.ended.insert(e.operation.id),
                        "{} ended twice",
                        e.operation.id
                    );
                    self.known.push(e.operation.id);
                }
                Output::Notification(Notification::Tone { sequence_id, .. }) => {
                    tones.push(*sequence_id);
                }
                Output::Notification(Notification::CallTerminated { .. }) => {
                    self.terminated = true;
                }
                Output::Notification(_) => {}
                other => panic!("an output this target does not know: {other:?}"),
            }
        }
        for id in tones {
            match self.last_tone {
                Some(last) => assert_eq!(id, last + 1, "tone sequence"),
                None => assert!(id >= 1, "tone sequence starts at 1"),
            }
            self.last_tone = Some(id);
        }
        if first {
            if let Some(last) = self.last_tone {
                assert_eq!(last, delivered, "pending tones end at the count");
            }
            self.last_tone = Some(delivered);
            assert!(count <= pending_output_limit(&self.config));
        } else {
            let capacity = self.config.queue_capacity;
            assert!(count <= 2 * capacity + 8, "{count} outputs from one step");
        }
        self.state(call);
    }

    fn state(&mut self, call: &Call) {
        let view = call.view();
        if view.active.is_none() {
            assert!(view.queued.is_empty(), "a queue waits behind nothing");
        }
        assert!(call.queued_len() <= self.config.queue_capacity.max(1));
        if let Some(deadline) = call.poll_timeout() {
            assert!(deadline.as_millis() >= self.seen, "deadline in the past");
        }
        if call.is_terminated() {
            self.terminated = true;
            for op in &self.live {
                assert!(self.ended.contains(op), "{op} never ended");
            }
        }
    }

    fn accepted(&mut self, op: Option<ivr_media_queue::Operation>) {
        if let Some(op) = op {
            if !op.is_ended() {
                assert!(!self.known.contains(&op.id), "{} reused", op.id);
                self.live.insert(op.id);
            }
            self.known.push(op.id);
        }
    }
}

fn prompts(n: u8) -> Vec<MediaPrompt> {
    (0..n)
        .map(|i| {
            let scheme = if i == 7 { "http" } else { "https" };
            MediaPrompt::new(&format!("{scheme}://x.test/{i}.wav"))
        })
        .collect()
}

fn step(call: &mut Call, check: &mut Check, input: &mut Decoder) {
    let tag = input.byte();
    let at = Instant::from_millis(check.now);
    let api = if tag & 0x80 != 0 {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    let mut clock = true;
    match tag % 14 {
        0 => {
            let play = PlayPrompt {
                prompts: prompts(input.byte() % 9),
                loop_forever: input.byte() % 4 == 0,
            };
            let result = call.handle_request(at, Request::new(api, Action::PlayPrompt(play)));
            clock = !matches!(result, Err(ivr_media_queue::RequestError::Invalid(_)));
            check.accepted(result.ok());
        }
        1 => {
            let flags = input.byte();
            let record = Record {
                prompt: (flags & 1 != 0).then(|| MediaPrompt::new("https://x.test/q.wav")),
                play_beep: flags & 2 != 0,
                barge_in_allowed: flags & 12 == 12,
                initial_silence_timeout_secs: u32::from(input.byte() % 4),
                max_silence_timeout_secs: u32::from(input.byte() % 4),
                max_record_duration_secs: u32::from(input.byte() % 5),
                stop_tones: [Tone::Pound, Tone::Star]
                    .into_iter()
                    .filter(|t| flags & (16 << (*t as u8 % 2)) != 0)
                    .collect(),
            };
            let result = call.handle_request(at, Request::new(api, Action::Record(record)));
            clock = !matches!(result, Err(ivr_media_queue::RequestError::Invalid(_)));
            check.accepted(result.ok());
        }
        2 => {
            let flags = input.byte();
            let collect = CollectDigits {
                prompts: prompts(flags % 3),
                min_digits: input.byte() % 5,
                max_digits: input.byte() % 5,
                terminators: [Tone::Pound]
                    .into_iter()
                    .filter(|_| flags & 8 != 0)
                    .collect(),
                first_digit_timeout_ms: u32::from(input.byte()) * 20,
                inter_digit_timeout_ms: u32::from(input.byte()) * 10,
                barge_in: flags & 4 != 0,
            };
            let result = call.handle_collect_digits(at, None, collect);
            clock = !matches!(result, Err(ivr_media_queue::RequestError::Invalid(_)));
            check.accepted(result.ok());
        }
        3 => {
            let _ = call.handle_request(at, Request::new(api, Action::SubscribeToTone));
        }
        4 => {
            let request = Request::new(api, Action::CancelMediaProcessing);
            let pick = input.byte();
            let scope = match pick % 4 {
                0 => CancelScope::All,
                1 => CancelScope::Current,
                2 => match check
                    .known
                    .get(usize::from(pick) % check.known.len().max(1))
                {
                    Some(op) => CancelScope::Operation(*op),
                    None => CancelScope::All,
                },
                _ => CancelScope::ClientContextPrefix("c".into()),
            };
            // Naming an operation the call does not hold is refused and
            // changes nothing, the clock included.
            let result = call.cancel_scoped(at, request, scope);
            clock = !matches!(
                result,
                Err(ivr_media_queue::RequestError::OperationNotFound { .. })
            );
        }
        5..=7 => {
            let pick = input.byte();
            let token = match pick % 3 {
                0 => None,
                1 => call.active_operation().map(|op| op.id),
                _ => check
                    .known
                    .get(usize::from(pick) % check.known.len().max(1))
                    .copied(),
            };
            let media = match input.byte() % 10 {
                0 => MediaInput::PlaybackFinished,
                1 => MediaInput::PlaybackFailed(PromptFailure::Download),
                2 => MediaInput::PlaybackFailed(PromptFailure::Format),
                3 => MediaInput::BeepFinished,
                4 => MediaInput::BeepFailed,
                5 => MediaInput::SpeechStarted,
                6 => MediaInput::SpeechStopped,
                7 => MediaInput::MediaReceiveTimeout,
                8 => MediaInput::RecordingFailed,
                _ => MediaInput::RecordingStored(Recording {
                    location: "https://r.test/1.wav".into(),
                    access_token: "t".into(),
                }),
            };
            let _ = call.handle_media(at, token, media);
        }
        8 | 9 => {
            let tone = Tone::ALL[usize::from(input.byte()) % Tone::ALL.len()];
            let _ = call.handle_media(at, None, MediaInput::Tone(tone));
        }
        10 => {
            // The next timer, at its deadline.
            clock = false;
            if let Some(deadline) = call.poll_timeout() {
                call.handle_timeout(deadline);
                check.seen = check.seen.max(deadline.as_millis());
                check.now = check.now.max(deadline.as_millis());
                assert!(
                    call.poll_timeout().is_none_or(|next| next > deadline),
                    "spins at {deadline:?}"
                );
            }
        }
        11 => {
            check.now = check.now.saturating_add(u64::from(input.byte()) * 97);
            clock = false;
        }
        12 => {
            let _ = call.handle_terminated(at, ResultInfo::conversation_ended());
        }
        _ => {
            clock = false;
            if let Some(op) = check.known.get(usize::from(input.byte())) {
                if let Some(shown) = call.operation(*op) {
                    assert_eq!(shown.id, *op);
                }
            }
        }
    }
    if clock {
        check.seen = check.seen.max(check.now);
    }
}

/// What a restored call goes on to is restorable in turn: snapshots it and
/// goes on with the restored copy.
fn move_call(call: &mut Call, config: &Arc<CallConfig>) {
    let moved = CallSnapshot::from_json(&call.snapshot().to_json()).expect("our own JSON reads");
    match Call::restore(&moved, config.clone()) {
        Ok(restored) => *call = restored,
        Err(SnapshotError::CallTerminated(_)) => assert!(call.is_terminated()),
        // A forged count near the end goes past it.
        Err(SnapshotError::CounterOutOfRange { .. }) => {}
        Err(e) => panic!("a state reached from a restored call was refused: {e}"),
    }
}

/// Ids of the remembered operations, in either format.
fn remembered(value: &Value) -> Vec<OperationId> {
    let list = value
        .get("remembered")
        .or_else(|| value.get("ledger").and_then(|l| l.get("finished")));
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|op| op.get("id")?.as_str()?.parse().ok())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Decoder(data);
    let bytes: Vec<u8> = if data.first() == Some(&b'{') {
        let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
        input = Decoder(data.get(end + 1..).unwrap_or(&[]));
        data[..end].to_vec()
    } else {
        let golden = GOLDENS[usize::from(input.byte()) % GOLDENS.len()];
        let mut value: Value = serde_json::from_slice(golden).expect("a golden is JSON");
        for _ in 0..input.byte() % 8 {
            mutate(&mut value, &mut input);
        }
        serde_json::to_vec(&value).expect("JSON writes")
    };
    let Ok(snapshot) = CallSnapshot::from_json(&bytes) else {
        return;
    };
    // What reads writes and reads back the same.
    let again = CallSnapshot::from_json(&snapshot.to_json()).expect("our own JSON reads");
    assert_eq!(again, snapshot);
    let config = Arc::new(CallConfig::default());
    let Ok(mut call) = Call::restore(&snapshot, config.clone()) else {
        return;
    };
    let value: Value = serde_json::from_slice(&bytes).expect("it read");
    let mut check = Check::new(&call, remembered(&value), config.clone());
    // The call's clock is in the snapshot; start from it.
    let clock = value
        .get("clockMs")
        .or_else(|| value.get("last_now"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    check.now = clock;
    check.seen = clock;
    check.drain(&mut call, true);
    let (mut rounds, mut moves) = (0, 0);
    while !input.0.is_empty() && rounds < 200 {
        rounds += 1;
        // Steps whose tag has both 0x20 and 0x40 also move the call (up to
        // 8 times: a move of a full queue is slow).
        let moving = input.0.first().is_some_and(|tag| tag & 0x60 == 0x60);
        step(&mut call, &mut check, &mut input);
        check.drain(&mut call, false);
        if moving && moves < 8 {
            moves += 1;
            move_call(&mut call, &config);
        }
    }
    move_call(&mut call, &config);
    // Ending the call ends every operation exactly once.
    if !call.is_terminated() {
        let at = Instant::from_millis(check.now);
        call.handle_terminated(at, ResultInfo::conversation_ended())
            .expect("a live call ends");
        check.drain(&mut call, false);
    }
    check.state(&call);
});
