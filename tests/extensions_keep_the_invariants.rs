//! The extensions keep every invariant of ENGINE.md §3. Random interleavings
//! of Graph requests and the extensions (scoped cancels with receipts,
//! collect digits, established notifications) with keys, speech, media
//! reports, time and hang-ups, on two calls, must give: exactly one end per
//! accepted operation (by the end, when every call has hung up) and nothing
//! about it afterwards; starts in FIFO order; whole tone sequences; output
//! sequence numbers 1, 2, 3, ... per call; deadlines never in the past;
//! causes that name a cancel or barge-in of the same call exactly when a
//! cancel or barge-in ended the operation; receipts that list exactly what
//! their cancel ended; digits only on collect-digits operations, partial
//! recordings only on records. (The model-based test covers the Graph
//! surface against a reference model; this one adds the extensions.)
//!
//! A second property covers the fault layer: delays and reorders lose
//! nothing and add nothing, and never reorder media commands.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ivr_media_queue::fault::{Faults, NotificationFault, NotificationKind, NotificationRule};
use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, CancelScope, CancelledAt, CollectDigits, EndReason,
    Engine, EngineConfig, EngineOutput, IdSource, Instant, MediaInput, MediaPrompt, Notification,
    OperationId, OperationKind, Output, PlayPrompt, Record, Request, ResultInfo, Tone, ToneSet,
};
use proptest::prelude::*;

const CALLS: usize = 2;
const CAPACITY: usize = 5;

#[derive(Clone, Debug)]
enum Step {
    Play {
        call: usize,
        prompts: usize,
        context: u8,
    },
    Record {
        call: usize,
        barge_in: bool,
        beep: bool,
        prompt: bool,
    },
    Collect {
        call: usize,
        prompts: usize,
        min: u8,
        max: u8,
        barge_in: bool,
        context: u8,
    },
    Subscribe {
        call: usize,
    },
    Cancel {
        call: usize,
        scope: u8,
        pick: usize,
    },
    Media {
        call: usize,
        input: u8,
        stale: bool,
    },
    Key {
        call: usize,
        key: u8,
    },
    Wait {
        ms: u64,
    },
    HangUp {
        call: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let call = 0..CALLS;
    prop_oneof![
        3 => (call.clone(), 0..3usize, 0..3u8)
            .prop_map(|(call, prompts, context)| Step::Play { call, prompts, context }),
        2 => (call.clone(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(call, barge_in, beep, prompt)| Step::Record { call, barge_in, beep, prompt }
        ),
        3 => (call.clone(), 0..3usize, 0..4u8, 0..5u8, any::<bool>(), 0..3u8).prop_map(
            |(call, prompts, min, max, barge_in, context)| Step::Collect {
                call, prompts, min, max, barge_in, context
            }
        ),
        1 => call.clone().prop_map(|call| Step::Subscribe { call }),
        2 => (call.clone(), 0..5u8, any::<usize>())
            .prop_map(|(call, scope, pick)| Step::Cancel { call, scope, pick }),
        4 => (call.clone(), 0..8u8, any::<bool>())
            .prop_map(|(call, input, stale)| Step::Media { call, input, stale }),
        4 => (call.clone(), 0..14u8).prop_map(|(call, key)| Step::Key { call, key }),
        3 => (0..4000u64).prop_map(|ms| Step::Wait { ms }),
        1 => call.prop_map(|call| Step::HangUp { call }),
    ]
}

/// What the test knows of one operation.
#[derive(Debug)]
struct Known {
    call: usize,
    /// Its place among the call's operations.
    index: usize,
    kind: OperationKind,
    ended: bool,
}

struct Harness {
    engine: Engine,
    now: u64,
    calls: [CallId; CALLS],
    ops: HashMap<OperationId, Known>,
    created: [usize; CALLS],
    /// Cancels and barge-in records, by call: what may be named as a cause.
    causes: [HashSet<OperationId>; CALLS],
    /// The last started operation's place, per call (FIFO starts).
    last_started: [Option<usize>; CALLS],
    started: HashSet<OperationId>,
    tones: [u64; CALLS],
    seq: [u64; CALLS],
    hung_up: [bool; CALLS],
}

impl Harness {
    fn new() -> Self {
        let mut config = CallConfig::default();
        config.queue_capacity(CAPACITY);
        config.notify_established = true;
        let engine = Engine::new(EngineConfig::new(config, IdSource::seeded(9))).unwrap();
        let calls = [CallId::new("c0"), CallId::new("c1")];
        let mut harness = Self {
            engine,
            now: 0,
            calls,
            ops: HashMap::new(),
            created: [0; CALLS],
            causes: Default::default(),
            last_started: [None; CALLS],
            started: HashSet::new(),
            tones: [0; CALLS],
            seq: [0; CALLS],
            hung_up: [false; CALLS],
        };
        for call in harness.calls.clone() {
            harness
                .engine
                .handle_call_established(Instant::ZERO, &call)
                .expect("a new call");
        }
        let outputs = harness.drain();
        // Each call says it is established, once, first.
        assert_eq!(outputs.len(), CALLS);
        assert!(
            outputs
                .iter()
                .all(|o| o.seq == 1
                    && o.output == Output::Notification(Notification::CallEstablished))
        );
        harness.seq = [1; CALLS];
        harness
    }

    fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn accepted(&mut self, call: usize, id: OperationId, kind: OperationKind) {
        let index = self.created[call];
        self.created[call] += 1;
        let known = Known {
            call,
            index,
            kind,
            ended: false,
        };
        assert!(self.ops.insert(id, known).is_none(), "ids are unique");
    }

    fn media_request(&mut self, call: usize, request: Request) {
        let kind = request.action.kind();
        let barge_in = matches!(&request.action, Action::Record(r) if r.barge_in_allowed);
        if let Ok(op) = self
            .engine
            .handle_request(self.at(), &self.calls[call], request)
        {
            self.accepted(call, op.id, kind);
            if barge_in {
                self.causes[call].insert(op.id);
            }
        }
    }

    fn apply(&mut self, step: &Step) {
        let at = self.at();
        match *step {
            Step::Play {
                call,
                prompts,
                context,
            } => {
                let play = PlayPrompt {
                    prompts: (0..prompts).map(prompt).collect(),
                    loop_forever: false,
                };
                let request = Request::new(ApiVersion::V1, Action::PlayPrompt(play))
                    .with_client_context(&format!("ctx-{context}"));
                self.media_request(call, request);
            }
            Step::Record {
                call,
                barge_in,
                beep,
                prompt: with_prompt,
            } => {
                let record = Record {
                    prompt: with_prompt.then(|| prompt(9)),
                    barge_in_allowed: barge_in,
                    play_beep: beep,
                    stop_tones: [Tone::Pound].into_iter().collect::<ToneSet>(),
                    initial_silence_timeout_secs: 2,
                    max_silence_timeout_secs: 1,
                    max_record_duration_secs: 3,
                };
                self.media_request(call, Request::new(ApiVersion::Beta, Action::Record(record)));
            }
            Step::Collect {
                call,
                prompts,
                min,
                max,
                barge_in,
                context,
            } => {
                let collect = CollectDigits {
                    prompts: (0..prompts).map(prompt).collect(),
                    min_digits: min,
                    max_digits: max,
                    terminators: [Tone::Pound].into_iter().collect(),
                    first_digit_timeout_ms: 1500,
                    inter_digit_timeout_ms: 700,
                    barge_in,
                };
                let context = Some(Arc::from(format!("ctx-{context}")));
                let result =
                    self.engine
                        .handle_collect_digits(at, &self.calls[call], context, collect);
                if let Ok(op) = result {
                    self.accepted(call, op.id, OperationKind::CollectDigits);
                }
            }
            Step::Subscribe { call } => {
                let request = Request::new(ApiVersion::V1, Action::SubscribeToTone);
                let _ = self.engine.handle_request(at, &self.calls[call], request);
            }
            Step::Cancel { call, scope, pick } => self.cancel(call, scope, pick),
            Step::Media { call, input, stale } => {
                let input = match input {
                    0 | 1 => MediaInput::PlaybackFinished,
                    2 => MediaInput::BeepFinished,
                    3 => MediaInput::SpeechStarted,
                    4 => MediaInput::SpeechStopped,
                    5 => MediaInput::RecordingStored(ivr_media_queue::Recording {
                        location: Arc::from("https://store.test/r.wav"),
                        access_token: Arc::from("t"),
                    }),
                    6 => MediaInput::PlaybackFailed(ivr_media_queue::PromptFailure::Download),
                    _ => MediaInput::RecordingFailed,
                };
                // A stale token names an operation of the call that has ended.
                let token = stale
                    .then(|| {
                        self.ops
                            .iter()
                            .find(|(_, k)| k.call == call && k.ended)
                            .map(|(id, _)| *id)
                    })
                    .flatten();
                let _ = self
                    .engine
                    .handle_media(at, &self.calls[call], token, input);
            }
            Step::Key { call, key } => {
                let tone = Tone::ALL[usize::from(key) % Tone::ALL.len()];
                let _ =
                    self.engine
                        .handle_media(at, &self.calls[call], None, MediaInput::Tone(tone));
            }
            Step::Wait { ms } => {
                self.now += ms;
                let until = self.at();
                while let Some(deadline) = self.engine.poll_timeout().filter(|d| *d <= until) {
                    self.engine.handle_timeout(deadline);
                    self.check(self.drain(), None);
                }
                // Every due timer fired; none is left behind, none spins.
                assert!(self.engine.poll_timeout().is_none_or(|d| d > until));
            }
            Step::HangUp { call } => {
                let _ = self.engine.handle_call_terminated(
                    at,
                    &self.calls[call],
                    ResultInfo::conversation_ended(),
                );
                self.hung_up[call] = true;
            }
        }
        if !matches!(step, Step::Cancel { .. } | Step::Wait { .. }) {
            self.check(self.drain(), None);
        }
    }

    fn cancel(&mut self, call: usize, scope: u8, pick: usize) {
        let held: Vec<OperationId> = self
            .engine
            .view(&self.calls[call])
            .map(|v| {
                v.active
                    .iter()
                    .map(|a| a.operation.id)
                    .chain(v.queued.iter().map(|o| o.id))
                    .collect()
            })
            .unwrap_or_default();
        let scope = match scope {
            0 => CancelScope::All,
            1 => CancelScope::Current,
            2 if !held.is_empty() => CancelScope::Operation(held[pick % held.len()]),
            2 => CancelScope::Current,
            3 => CancelScope::ClientContextPrefix(Arc::from("ctx-1")),
            _ => CancelScope::ClientContextPrefix(Arc::from("ctx")),
        };
        let request = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        let receipt =
            self.engine
                .cancel_scoped(self.at(), &self.calls[call], request, scope.clone());
        match receipt {
            Ok(receipt) => {
                self.causes[call].insert(receipt.cancel.id);
                let ended: Vec<OperationId> =
                    receipt.ended.iter().map(|e| e.operation.id).collect();
                let outputs = self.drain();
                self.check(outputs, Some((call, receipt)));
                self.check_scope(call, &scope, &held, &ended);
            }
            Err(_) => {
                let outputs = self.drain();
                assert!(outputs.is_empty(), "a refused cancel changes nothing");
            }
        }
    }

    /// A cancel ended exactly what its scope names (`held`: active then
    /// queued, before it).
    fn check_scope(
        &self,
        call: usize,
        scope: &CancelScope,
        held: &[OperationId],
        ended: &[OperationId],
    ) {
        let view = self.engine.view(&self.calls[call]);
        let still: Vec<&ivr_media_queue::Operation> = view
            .iter()
            .flat_map(|v| v.active.iter().map(|a| &a.operation).chain(&v.queued))
            .collect();
        match scope {
            CancelScope::All => assert_eq!(ended, held, "all of c{call}"),
            CancelScope::Current => assert_eq!(ended, &held[..held.len().min(1)]),
            CancelScope::Operation(id) => assert_eq!(ended, [*id]),
            CancelScope::ClientContextPrefix(prefix) => {
                let named = |op: &ivr_media_queue::Operation| {
                    op.client_context
                        .as_deref()
                        .is_some_and(|c| c.starts_with(&**prefix))
                };
                let wanted: Vec<OperationId> = held
                    .iter()
                    .filter(|id| {
                        self.engine
                            .operation(&self.calls[call], **id)
                            .is_ok_and(|op| named(&op))
                    })
                    .copied()
                    .collect();
                assert_eq!(ended, wanted, "prefix {prefix}");
                assert!(!still.iter().any(|op| named(op)), "none named is left");
            }
            other => panic!("a scope this test does not know: {other:?}"),
        }
    }

    fn drain(&self) -> Vec<EngineOutput> {
        let mut out = Vec::new();
        self.engine.drain_outputs(&mut out);
        out
    }

    /// Checks a step's outputs; `receipt`: the cancel they came from.
    fn check(
        &mut self,
        outputs: Vec<EngineOutput>,
        receipt: Option<(usize, ivr_media_queue::CancelReceipt)>,
    ) {
        let mut cancelled_now: Vec<(OperationId, EndReason)> = Vec::new();
        for output in outputs {
            let c = self
                .calls
                .iter()
                .position(|id| *id == output.call)
                .expect("a known call");
            assert_eq!(output.seq, self.seq[c] + 1, "seq of c{c} in {output:?}");
            self.seq[c] = output.seq;
            match &output.output {
                Output::Media(command) => {
                    let id = command.operation();
                    let known = &self.ops[&id];
                    assert!(!known.ended, "a command after the end: {output:?}");
                    if self.started.insert(id) {
                        self.started_now(c, id);
                    }
                }
                Output::Notification(Notification::OperationEnded(ended))
                | Output::Abandoned(ended) => {
                    let id = ended.operation.id;
                    let reason = ended.reason();
                    let known = self.ops.get_mut(&id).expect("an accepted operation");
                    assert!(!known.ended, "{id} ended twice");
                    known.ended = true;
                    let (kind, call) = (known.kind, known.call);
                    assert_eq!(call, c, "ended on its own call");
                    assert_eq!(ended.operation.kind, kind);
                    assert_eq!(ended.operation.status, reason.status());
                    assert_eq!(
                        ended.operation.end,
                        Some(reason),
                        "the resource says why too"
                    );
                    assert!(
                        ended.digits.0.is_empty() || kind == OperationKind::CollectDigits,
                        "digits on collect-digits operations only: {ended:?}"
                    );
                    if ended.partial_recording.is_some() {
                        assert_eq!(kind, OperationKind::Record);
                        assert!(ended.operation.recording.is_none());
                    }
                    match ended.ended_by {
                        Some(by) => {
                            assert!(reason.is_cancellation(), "a cause for {reason:?}");
                            assert!(self.causes[c].contains(&by), "{by} is no cancel of c{c}");
                        }
                        None => assert!(!reason.is_cancellation(), "no cause for {reason:?}"),
                    }
                    assert_eq!(
                        Notification::OperationEnded(ended.clone()).is_graph(),
                        kind != OperationKind::CollectDigits
                    );
                    if matches!(
                        reason,
                        EndReason::CancelledWhileRunning | EndReason::CancelledWhileQueued
                    ) {
                        cancelled_now.push((id, reason));
                    }
                }
                Output::Notification(Notification::Tone { sequence_id, .. }) => {
                    self.tones[c] += 1;
                    assert_eq!(*sequence_id, self.tones[c], "tones of c{c}");
                }
                Output::Notification(Notification::CallEstablished) => {
                    panic!("established is said once, when the call is")
                }
                Output::Notification(_) => {}
                other => panic!("an output this test does not know: {other:?}"),
            }
        }
        // The view's active operation has started (a collect without
        // prompts starts without a media command).
        for c in 0..CALLS {
            let active = self.engine.view(&self.calls[c]).and_then(|v| v.active);
            if let Some(active) = active {
                if self.started.insert(active.operation.id) {
                    self.started_now(c, active.operation.id);
                }
            }
        }
        if let Some((call, receipt)) = receipt {
            let listed: Vec<(OperationId, bool)> = receipt
                .ended
                .iter()
                .map(|e| (e.operation.id, matches!(e.was, CancelledAt::Running { .. })))
                .collect();
            let seen: Vec<(OperationId, bool)> = cancelled_now
                .iter()
                .map(|(id, reason)| (*id, *reason == EndReason::CancelledWhileRunning))
                .collect();
            assert_eq!(
                listed, seen,
                "the receipt of c{call} lists what its cancel ended"
            );
        } else {
            assert!(cancelled_now.is_empty(), "only cancels cancel");
        }
    }

    fn started_now(&mut self, c: usize, id: OperationId) {
        let index = self.ops[&id].index;
        if let Some(last) = self.last_started[c] {
            assert!(index > last, "FIFO: #{index} of c{c} started after #{last}");
        }
        self.last_started[c] = Some(index);
    }

    /// Hangs up every call: then every accepted operation has ended once.
    fn finish(&mut self) {
        for c in 0..CALLS {
            if !self.hung_up[c] {
                self.apply(&Step::HangUp { call: c });
            }
        }
        let open: Vec<_> = self.ops.iter().filter(|(_, k)| !k.ended).collect();
        assert!(open.is_empty(), "never ended: {open:?}");
    }
}

fn prompt(i: usize) -> MediaPrompt {
    MediaPrompt::new(&format!("https://cdn.test/{i}.wav"))
}

proptest! {

    #[test]
    fn extensions_keep_the_engine_invariants(steps in proptest::collection::vec(step(), 1..80)) {
        let mut harness = Harness::new();
        for step in &steps {
            harness.apply(step);
        }
        harness.finish();
    }

    #[test]
    fn delays_and_reorders_lose_and_add_nothing(
        rules in proptest::collection::vec((0..2u8, 0..4u8, 1..500u64, proptest::option::of(1..4u32)), 0..6),
        stream in proptest::collection::vec((any::<bool>(), 0..50u64), 0..60),
    ) {
        let mut faults = Faults::new(1024);
        for (fault, kind, ms, times) in rules {
            let fault = if fault == 0 {
                NotificationFault::Reorder
            } else {
                NotificationFault::Delay(Duration::from_millis(ms))
            };
            let kind = [
                NotificationKind::Any,
                NotificationKind::Tone,
                NotificationKind::OperationEnded,
                NotificationKind::CallState,
            ][usize::from(kind)];
            let rule = NotificationRule { times, ..NotificationRule::once(fault, kind) };
            faults.add_notification_rule(rule).unwrap();
        }
        let call = CallId::new("c1");
        let mut now = 0;
        let mut delivered = Vec::new();
        for (seq, (is_media, gap)) in stream.iter().enumerate() {
            now += gap;
            let seq = seq as u64 + 1;
            let output = if *is_media {
                Output::Media(ivr_media_queue::MediaCommand::StopPlayback {
                    operation: OperationId::from_uuid(Default::default()),
                })
            } else {
                Output::Notification(Notification::Tone { sequence_id: seq, tone: Tone::Tone1 })
            };
            let at = Instant::from_millis(now);
            let output = EngineOutput { call: call.clone(), at, seq, output };
            faults.handle_output(at, output).unwrap();
            delivered.extend(std::iter::from_fn(|| faults.poll_output(at)));
        }
        faults.flush(Instant::from_millis(now));
        delivered.extend(std::iter::from_fn(|| faults.poll_output(Instant::from_millis(now))));
        let mut seqs: Vec<u64> = delivered.iter().map(|o| o.seq).collect();
        let media: Vec<u64> = delivered
            .iter()
            .filter(|o| matches!(o.output, Output::Media(_)))
            .map(|o| o.seq)
            .collect();
        prop_assert!(media.windows(2).all(|w| w[0] < w[1]), "media in order: {media:?}");
        prop_assert_eq!(faults.held(), 0);
        seqs.sort_unstable();
        let all: Vec<u64> = (1..=stream.len() as u64).collect();
        prop_assert_eq!(seqs, all);
    }
}
