//! Model-based property test: a reference model of ENGINE.md section 2,
//! written for clarity, and the real `Engine` driven side by side by random
//! sequences of requests (valid and not), media inputs (stale ones too),
//! tones, time steps, hang-ups and DELETEs on two calls. After every step the
//! engine's outputs must be exactly the model's, and the invariants of
//! section 3 must hold.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, EndReason, Engine, EngineConfig, IdSource, Instant,
    MediaCommand, MediaInput, MediaPrompt, Notification, OperationId, OperationStatus, Output,
    PlayPrompt, PromptFailure, Record, Recording, Request, RequestError, ResultInfo, Tone,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

const CALLS: usize = 2;
const CAPACITY: usize = 3;
const STOP_TONE_CHOICES: [Tone; 4] = [Tone::Pound, Tone::Star, Tone::Tone1, Tone::Tone2];
const TONES: [Tone; 5] = [
    Tone::Pound,
    Tone::Star,
    Tone::Tone1,
    Tone::Tone2,
    Tone::Tone5,
];

// ---------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Token {
    None,
    Active,
    /// An operation of the call by creation index (modulo how many exist).
    Op(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum In {
    PlaybackFinished,
    PlaybackFailed(PromptFailure),
    BeepFinished,
    BeepFailed,
    SpeechStarted,
    SpeechStopped,
    MediaReceiveTimeout,
    RecordingStored,
    RecordingFailed,
}

#[derive(Clone, Debug)]
struct PlaySpec {
    beta: bool,
    prompts: usize,
    looping: bool,
    context_len: usize,
    http: bool,
}

#[derive(Clone, Debug)]
struct RecordSpec {
    beta: bool,
    prompt: bool,
    beep: bool,
    initial: i64,
    silence: i64,
    max: i64,
    stop_mask: u8,
    barge: bool,
    context_len: usize,
}

#[derive(Clone, Debug)]
enum Step {
    Establish {
        call: usize,
        dt: u64,
    },
    Play {
        call: usize,
        dt: u64,
        spec: PlaySpec,
    },
    Record {
        call: usize,
        dt: u64,
        spec: RecordSpec,
    },
    Subscribe {
        call: usize,
        dt: u64,
    },
    Cancel {
        call: usize,
        dt: u64,
    },
    Media {
        call: usize,
        dt: u64,
        token: Token,
        input: In,
    },
    Tone {
        call: usize,
        dt: u64,
        tone: Tone,
    },
    /// `handle_timeout` at every deadline up to `now + dt`.
    Tick {
        dt: u64,
    },
    HangUp {
        call: usize,
        dt: u64,
    },
    Delete {
        call: usize,
        dt: u64,
    },
    Get {
        call: usize,
        op: usize,
    },
}

fn dt() -> impl Strategy<Value = u64> {
    prop_oneof![6 => Just(0u64), 3 => 1u64..3_000, 1 => 3_000u64..130_000]
}

fn call() -> impl Strategy<Value = usize> {
    0..CALLS
}

fn context_len() -> impl Strategy<Value = usize> {
    prop_oneof![10 => 0usize..40, 1 => 250usize..260]
}

fn timeout() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 1i64..4, 2 => Just(5i64), 1 => Just(120i64), 1 => Just(0i64), 1 => Just(121i64)]
}

fn play_spec() -> impl Strategy<Value = PlaySpec> {
    (
        any::<bool>(),
        prop_oneof![10 => 1usize..4, 1 => Just(0usize), 1 => 19usize..22],
        prop::bool::weighted(0.2),
        context_len(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(beta, prompts, looping, context_len, http)| PlaySpec {
            beta,
            prompts,
            looping,
            context_len,
            http,
        })
}

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    (
        (
            any::<bool>(),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.3),
        ),
        (timeout(), timeout(), timeout()),
        (any::<u8>(), prop::bool::weighted(0.15), context_len()),
    )
        .prop_map(
            |((beta, prompt, beep), (initial, silence, max), (stop_mask, barge, context_len))| {
                RecordSpec {
                    beta,
                    prompt,
                    beep,
                    initial,
                    silence,
                    max,
                    stop_mask,
                    barge,
                    context_len,
                }
            },
        )
}

fn media_input() -> impl Strategy<Value = In> {
    prop_oneof![
        4 => Just(In::PlaybackFinished),
        1 => Just(In::PlaybackFailed(PromptFailure::Download)),
        1 => Just(In::PlaybackFailed(PromptFailure::Format)),
        2 => Just(In::BeepFinished),
        1 => Just(In::BeepFailed),
        3 => Just(In::SpeechStarted),
        3 => Just(In::SpeechStopped),
        1 => Just(In::MediaReceiveTimeout),
        3 => Just(In::RecordingStored),
        1 => Just(In::RecordingFailed),
    ]
}

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![4 => Just(Token::None), 3 => Just(Token::Active), 1 => any::<usize>().prop_map(Token::Op)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (call(), dt()).prop_map(|(call, dt)| Step::Establish { call, dt }),
        4 => (call(), dt(), play_spec()).prop_map(|(call, dt, spec)| Step::Play { call, dt, spec }),
        4 => (call(), dt(), record_spec()).prop_map(|(call, dt, spec)| Step::Record { call, dt, spec }),
        1 => (call(), dt()).prop_map(|(call, dt)| Step::Subscribe { call, dt }),
        2 => (call(), dt()).prop_map(|(call, dt)| Step::Cancel { call, dt }),
        8 => (call(), dt(), token(), media_input())
            .prop_map(|(call, dt, token, input)| Step::Media { call, dt, token, input }),
        3 => (call(), dt(), prop::sample::select(TONES.to_vec()))
            .prop_map(|(call, dt, tone)| Step::Tone { call, dt, tone }),
        3 => (1u64..20_000).prop_map(|dt| Step::Tick { dt }),
        1 => (call(), dt()).prop_map(|(call, dt)| Step::HangUp { call, dt }),
        1 => (call(), dt()).prop_map(|(call, dt)| Step::Delete { call, dt }),
        2 => (call(), any::<usize>()).prop_map(|(call, op)| Step::Get { call, op }),
    ]
}

// ---------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------

/// An output, with calls and operations named by index.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Out {
    Play {
        call: usize,
        op: usize,
        index: usize,
    },
    StopPlayback {
        call: usize,
        op: usize,
    },
    Beep {
        call: usize,
        op: usize,
    },
    StartRecording {
        call: usize,
        op: usize,
    },
    StopRecording {
        call: usize,
        op: usize,
        store: bool,
    },
    Ended {
        call: usize,
        op: usize,
        reason: EndReason,
    },
    Abandoned {
        call: usize,
        op: usize,
    },
    Tone {
        call: usize,
        sequence_id: u64,
        tone: Tone,
    },
    Terminating {
        call: usize,
    },
    Terminated {
        call: usize,
    },
}

/// What a step answered.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    None,
    Accepted,
    Invalid,
    NotFound,
    Terminated,
    QueueFull,
    Applied,
    Ignored,
    /// GET: the status, or `None` for 404.
    Get(Option<OperationStatus>),
    /// GET of an ended operation: its final status, or 404 once the bounded
    /// GET memory has forgotten it.
    GetEnded(OperationStatus),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Play {
        prompts: usize,
        looping: bool,
    },
    Record {
        prompt: bool,
        beep: bool,
        initial: u64,
        silence: u64,
        max: u64,
        stops: Vec<Tone>,
    },
}

#[derive(Clone, Debug)]
struct Op {
    kind: Kind,
    ended: Option<EndReason>,
}

#[derive(Clone, Debug)]
enum Phase {
    Prompt(usize),
    Beep,
    Recording {
        initial: Option<u64>,
        max: u64,
        silence: Option<u64>,
        store_failed: bool,
    },
    Storing(EndReason),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Life {
    #[default]
    Absent,
    Live,
    Ended,
}

#[derive(Clone, Debug, Default)]
struct ModelCall {
    life: Life,
    subscribed: bool,
    tones: u64,
    ops: Vec<Op>,
    active: Option<(usize, Phase)>,
    queue: VecDeque<usize>,
}

#[derive(Clone, Debug)]
struct Model {
    notify_on_termination: bool,
    now: u64,
    calls: [ModelCall; CALLS],
    /// Calls in the order they were established (timer ties fire in it).
    order: Vec<usize>,
    out: Vec<Out>,
    answer: Answer,
}

impl ModelCall {
    fn len(&self) -> usize {
        self.queue.len() + usize::from(self.active.is_some())
    }

    fn deadline(&self) -> Option<u64> {
        match &self.active {
            Some((
                _,
                Phase::Recording {
                    initial,
                    max,
                    silence,
                    ..
                },
            )) => [*initial, Some(*max), *silence].into_iter().flatten().min(),
            _ => None,
        }
    }
}

impl Model {
    fn new(notify_on_termination: bool) -> Self {
        Self {
            notify_on_termination,
            now: 0,
            calls: Default::default(),
            order: Vec::new(),
            out: Vec::new(),
            answer: Answer::None,
        }
    }

    /// Fires due recording timers, in deadline order across calls; each
    /// fires at its own deadline, which is when what follows it starts.
    fn fire_due(&mut self) {
        let now = self.now;
        loop {
            let next = self
                .order
                .iter()
                .enumerate()
                .filter_map(|(pos, &c)| Some((self.calls[c].deadline()?, pos, c)))
                .min();
            let Some((at, _, c)) = next.filter(|(at, ..)| *at <= now) else {
                self.now = now;
                return;
            };
            self.now = at;
            let Some((_, Phase::Recording { initial, max, .. })) = &self.calls[c].active else {
                unreachable!("only recordings have deadlines");
            };
            // Ruling 2.7.1: initial silence, then max duration, then max silence.
            if *initial == Some(at) {
                self.fail_recording(c, EndReason::InitialSilenceTimeout);
            } else if *max == at {
                self.stop_recording(c, EndReason::MaxRecordDuration);
            } else {
                self.stop_recording(c, EndReason::MaxSilenceTimeout);
            }
        }
    }

    fn end(&mut self, c: usize, op: usize, reason: EndReason, on_wire: bool) {
        self.calls[c].ops[op].ended = Some(reason);
        self.out.push(if on_wire {
            Out::Ended {
                call: c,
                op,
                reason,
            }
        } else {
            Out::Abandoned { call: c, op }
        });
    }

    fn stop_media(&mut self, c: usize, op: usize, phase: &Phase) {
        match phase {
            Phase::Prompt(_) | Phase::Beep => self.out.push(Out::StopPlayback { call: c, op }),
            Phase::Recording { .. } => self.out.push(Out::StopRecording {
                call: c,
                op,
                store: false,
            }),
            Phase::Storing(_) => {}
        }
    }

    fn end_all(&mut self, c: usize, running: EndReason, queued: EndReason, on_wire: bool) {
        if let Some((op, phase)) = self.calls[c].active.take() {
            self.stop_media(c, op, &phase);
            self.end(c, op, running, on_wire);
        }
        while let Some(op) = self.calls[c].queue.pop_front() {
            self.end(c, op, queued, on_wire);
        }
    }

    fn end_active(&mut self, c: usize, reason: EndReason) {
        if let Some((op, _)) = self.calls[c].active.take() {
            self.end(c, op, reason, true);
        }
        self.start_next(c);
    }

    fn start_next(&mut self, c: usize) {
        if self.calls[c].active.is_some() {
            return;
        }
        let Some(op) = self.calls[c].queue.pop_front() else {
            return;
        };
        match self.calls[c].ops[op].kind.clone() {
            Kind::Play { .. } => {
                self.out.push(Out::Play {
                    call: c,
                    op,
                    index: 0,
                });
                self.calls[c].active = Some((op, Phase::Prompt(0)));
            }
            Kind::Record { prompt: true, .. } => {
                self.out.push(Out::Play {
                    call: c,
                    op,
                    index: 0,
                });
                self.calls[c].active = Some((op, Phase::Prompt(0)));
            }
            Kind::Record { .. } => {
                self.calls[c].active = Some((op, Phase::Beep));
                self.after_record_prompt(c);
            }
        }
    }

    fn after_record_prompt(&mut self, c: usize) {
        let Some((op, _)) = self.calls[c].active else {
            return;
        };
        let Kind::Record { beep, .. } = self.calls[c].ops[op].kind else {
            return;
        };
        if beep {
            self.calls[c].active = Some((op, Phase::Beep));
            self.out.push(Out::Beep { call: c, op });
        } else {
            self.start_recording(c);
        }
    }

    fn start_recording(&mut self, c: usize) {
        let Some((op, _)) = self.calls[c].active else {
            return;
        };
        let Kind::Record { initial, max, .. } = self.calls[c].ops[op].kind else {
            return;
        };
        let now = self.now;
        self.calls[c].active = Some((
            op,
            Phase::Recording {
                initial: Some(now + initial * 1000),
                max: now + max * 1000,
                silence: None,
                store_failed: false,
            },
        ));
        self.out.push(Out::StartRecording { call: c, op });
    }

    fn stop_recording(&mut self, c: usize, reason: EndReason) {
        let Some((op, Phase::Recording { store_failed, .. })) = self.calls[c].active.clone() else {
            return;
        };
        self.out.push(Out::StopRecording {
            call: c,
            op,
            store: true,
        });
        if store_failed {
            self.end_active(c, EndReason::RecordingStoreFailed);
        } else {
            self.calls[c].active = Some((op, Phase::Storing(reason)));
        }
    }

    fn fail_recording(&mut self, c: usize, reason: EndReason) {
        let Some((op, _)) = self.calls[c].active else {
            return;
        };
        self.out.push(Out::StopRecording {
            call: c,
            op,
            store: false,
        });
        self.end_active(c, reason);
    }

    fn valid_play(spec: &PlaySpec) -> bool {
        (1..=20).contains(&spec.prompts) && spec.context_len <= 256 && !spec.http
    }

    fn valid_record(spec: &RecordSpec) -> bool {
        [spec.initial, spec.silence, spec.max]
            .iter()
            .all(|t| (1..=120).contains(t))
            && spec.context_len <= 256
    }

    /// Lookup after the body passed: 404 for a call that is not live.
    fn live(&self, c: usize) -> Result<(), Answer> {
        match self.calls[c].life {
            Life::Absent => Err(Answer::NotFound),
            Life::Ended => Err(Answer::Terminated),
            Life::Live => Ok(()),
        }
    }

    fn enqueue(&mut self, c: usize, kind: Kind, barge: bool) -> Answer {
        if let Err(answer) = self.live(c) {
            return answer;
        }
        if !barge && self.calls[c].len() >= CAPACITY {
            return Answer::QueueFull;
        }
        if barge {
            let reason = EndReason::DisplacedByBargeIn;
            self.end_all(c, reason, reason, true);
        }
        self.calls[c].ops.push(Op { kind, ended: None });
        let op = self.calls[c].ops.len() - 1;
        self.calls[c].queue.push_back(op);
        self.start_next(c);
        Answer::Accepted
    }

    /// Which operation a media input names (after the timers due fired, as
    /// the embedder calls `handle_timeout` first).
    fn named(&self, c: usize, token: &Token) -> Option<usize> {
        let ops = self.calls[c].ops.len();
        let active = self.calls[c].active.as_ref().map(|(op, _)| *op);
        match token {
            Token::None => None,
            Token::Active => active.or(ops.checked_sub(1)),
            Token::Op(k) if ops > 0 => Some(k % ops),
            Token::Op(_) => None,
        }
    }

    fn media(&mut self, c: usize, named: Option<usize>, input: In) -> Answer {
        if self.calls[c].life != Life::Live {
            return Answer::Ignored;
        }
        let active = self.calls[c].active.as_ref().map(|(op, _)| *op);
        let Some(op) = active else {
            return Answer::Ignored;
        };
        if named.is_some_and(|n| n != op) {
            return Answer::Ignored;
        }
        let Some((_, phase)) = self.calls[c].active.clone() else {
            return Answer::Ignored;
        };
        let kind = self.calls[c].ops[op].kind.clone();
        match (input, phase) {
            (In::PlaybackFinished, Phase::Prompt(index)) => match kind {
                Kind::Play { prompts, looping } => {
                    let next = if index + 1 == prompts && looping {
                        0
                    } else {
                        index + 1
                    };
                    if next < prompts {
                        self.calls[c].active = Some((op, Phase::Prompt(next)));
                        self.out.push(Out::Play {
                            call: c,
                            op,
                            index: next,
                        });
                    } else {
                        self.end_active(c, EndReason::Completed);
                    }
                }
                Kind::Record { .. } => self.after_record_prompt(c),
            },
            (In::PlaybackFailed(f), Phase::Prompt(_)) => {
                self.end_active(c, EndReason::PromptFailed(f))
            }
            (In::BeepFinished, Phase::Beep) => self.start_recording(c),
            (In::BeepFailed, Phase::Beep) => self.end_active(c, EndReason::BeepFailed),
            (
                In::SpeechStarted,
                Phase::Recording {
                    max, store_failed, ..
                },
            ) => {
                self.calls[c].active = Some((
                    op,
                    Phase::Recording {
                        initial: None,
                        max,
                        silence: None,
                        store_failed,
                    },
                ));
            }
            (
                In::SpeechStopped,
                Phase::Recording {
                    max, store_failed, ..
                },
            ) => {
                let Kind::Record { silence, .. } = kind else {
                    unreachable!()
                };
                let silence = Some(self.now + silence * 1000);
                self.calls[c].active = Some((
                    op,
                    Phase::Recording {
                        initial: None,
                        max,
                        silence,
                        store_failed,
                    },
                ));
            }
            (In::MediaReceiveTimeout, Phase::Recording { .. }) => {
                self.fail_recording(c, EndReason::MediaReceiveTimeout);
            }
            (
                In::RecordingFailed,
                Phase::Recording {
                    initial,
                    max,
                    silence,
                    ..
                },
            ) => {
                self.calls[c].active = Some((
                    op,
                    Phase::Recording {
                        initial,
                        max,
                        silence,
                        store_failed: true,
                    },
                ));
            }
            (In::RecordingFailed, Phase::Storing(_)) => {
                self.end_active(c, EndReason::RecordingStoreFailed)
            }
            (In::RecordingStored, Phase::Storing(reason)) => self.end_active(c, reason),
            _ => return Answer::Ignored,
        }
        Answer::Applied
    }

    fn tone(&mut self, c: usize, tone: Tone) -> Answer {
        if self.calls[c].life != Life::Live {
            return Answer::Ignored;
        }
        let delivered = self.calls[c].subscribed;
        if delivered {
            self.calls[c].tones += 1;
            let sequence_id = self.calls[c].tones;
            self.out.push(Out::Tone {
                call: c,
                sequence_id,
                tone,
            });
        }
        let stops = match &self.calls[c].active {
            Some((op, Phase::Recording { .. })) => {
                matches!(&self.calls[c].ops[*op].kind, Kind::Record { stops, .. } if stops.contains(&tone))
            }
            _ => false,
        };
        if stops {
            self.stop_recording(c, EndReason::StopToneDetected(tone));
        }
        if delivered || stops {
            Answer::Applied
        } else {
            Answer::Ignored
        }
    }

    fn terminate(&mut self, c: usize) {
        let on_wire = self.notify_on_termination;
        let reason = EndReason::CallTerminated;
        self.end_all(c, reason, reason, on_wire);
        self.calls[c].life = Life::Ended;
        self.out.push(Out::Terminating { call: c });
        self.out.push(Out::Terminated { call: c });
    }

    fn get(&self, c: usize, k: usize) -> Answer {
        let call = &self.calls[c];
        if call.life != Life::Live || call.ops.is_empty() {
            return Answer::Get(None);
        }
        match call.ops[k % call.ops.len()].ended {
            Some(reason) => Answer::GetEnded(reason.status()),
            None => Answer::Get(Some(OperationStatus::Running)),
        }
    }
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        any::<bool>().prop_map(Model::new).boxed()
    }

    /// Any step, or, half the time, an input that fits what an active
    /// operation is doing, so long record sequences happen often.
    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let fitting: Vec<(usize, Vec<In>)> = (0..CALLS)
            .filter_map(|c| {
                let inputs = match &model.calls[c].active.as_ref()?.1 {
                    Phase::Prompt(_) => vec![
                        In::PlaybackFinished,
                        In::PlaybackFailed(PromptFailure::Format),
                    ],
                    Phase::Beep => vec![In::BeepFinished, In::BeepFailed],
                    Phase::Recording { .. } => {
                        vec![
                            In::SpeechStarted,
                            In::SpeechStopped,
                            In::MediaReceiveTimeout,
                            In::RecordingFailed,
                        ]
                    }
                    Phase::Storing(_) => vec![In::RecordingStored, In::RecordingFailed],
                };
                Some((c, inputs))
            })
            .collect();
        if fitting.is_empty() {
            return step().boxed();
        }
        let focused = prop::sample::select(fitting).prop_flat_map(|(call, inputs)| {
            (prop::sample::select(inputs), 0u64..2_500).prop_map(move |(input, dt)| Step::Media {
                call,
                dt,
                token: Token::Active,
                input,
            })
        });
        prop_oneof![step(), focused].boxed()
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        model.out.clear();
        let advance = |model: &mut Model, dt: u64| {
            model.now += dt;
            model.fire_due();
        };
        model.answer = match step {
            Step::Establish { call, dt } => {
                advance(&mut model, *dt);
                if model.calls[*call].life == Life::Absent {
                    model.calls[*call].life = Life::Live;
                    model.order.push(*call);
                    Answer::Applied
                } else {
                    Answer::Ignored
                }
            }
            Step::Play { call, dt, spec } => {
                advance(&mut model, *dt);
                if !Model::valid_play(spec) {
                    Answer::Invalid
                } else {
                    let looping = spec.looping && spec.beta;
                    model.enqueue(
                        *call,
                        Kind::Play {
                            prompts: spec.prompts,
                            looping,
                        },
                        false,
                    )
                }
            }
            Step::Record { call, dt, spec } => {
                advance(&mut model, *dt);
                if !Model::valid_record(spec) {
                    Answer::Invalid
                } else {
                    let stops = STOP_TONE_CHOICES
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| spec.stop_mask & (1 << i) != 0)
                        .map(|(_, t)| *t)
                        .collect();
                    let kind = Kind::Record {
                        prompt: spec.prompt,
                        beep: spec.beep,
                        initial: spec.initial as u64,
                        silence: spec.silence as u64,
                        max: spec.max as u64,
                        stops,
                    };
                    model.enqueue(*call, kind, spec.barge)
                }
            }
            Step::Subscribe { call, dt } => {
                advance(&mut model, *dt);
                match model.live(*call) {
                    Ok(()) => {
                        model.calls[*call].subscribed = true;
                        Answer::Accepted
                    }
                    Err(answer) => answer,
                }
            }
            Step::Cancel { call, dt } => {
                advance(&mut model, *dt);
                match model.live(*call) {
                    Ok(()) => {
                        model.end_all(
                            *call,
                            EndReason::CancelledWhileRunning,
                            EndReason::CancelledWhileQueued,
                            true,
                        );
                        Answer::Accepted
                    }
                    Err(answer) => answer,
                }
            }
            Step::Media {
                call,
                dt,
                token,
                input,
            } => {
                advance(&mut model, *dt);
                let named = model.named(*call, token);
                model.media(*call, named, *input)
            }
            Step::Tone { call, dt, tone } => {
                advance(&mut model, *dt);
                model.tone(*call, *tone)
            }
            Step::Tick { dt } => {
                advance(&mut model, *dt);
                Answer::None
            }
            Step::HangUp { call, dt } => {
                advance(&mut model, *dt);
                if model.calls[*call].life == Life::Live {
                    model.terminate(*call);
                    Answer::Applied
                } else {
                    Answer::Ignored
                }
            }
            Step::Delete { call, dt } => {
                advance(&mut model, *dt);
                match model.live(*call) {
                    Ok(()) => {
                        model.terminate(*call);
                        Answer::Accepted
                    }
                    Err(answer) => answer,
                }
            }
            Step::Get { call, op } => model.get(*call, *op),
        };
        model
    }
}

// ---------------------------------------------------------------------------
// The system under test
// ---------------------------------------------------------------------------

struct Sut {
    engine: Engine,
    now: u64,
    /// Media operations of each call, by creation index.
    ops: [Vec<OperationId>; CALLS],
    index: HashMap<OperationId, (usize, usize)>,
    ended: HashSet<OperationId>,
    tones: [u64; CALLS],
}

fn call_id(c: usize) -> CallId {
    CallId::new(&format!("c{c}"))
}

fn play_request(spec: &PlaySpec) -> Request {
    let scheme = if spec.http { "http" } else { "https" };
    let prompts = (0..spec.prompts)
        .map(|i| MediaPrompt::new(&format!("{scheme}://cdn.test/p{i}.wav")))
        .collect();
    let api = if spec.beta {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    Request::new(
        api,
        Action::PlayPrompt(PlayPrompt {
            prompts,
            loop_forever: spec.looping,
        }),
    )
    .with_client_context(&"c".repeat(spec.context_len))
}

fn record_request(spec: &RecordSpec) -> Request {
    let api = if spec.beta {
        ApiVersion::Beta
    } else {
        ApiVersion::V1
    };
    let clamp = |t: i64| u32::try_from(t).unwrap_or(0);
    let record = Record {
        prompt: spec
            .prompt
            .then(|| MediaPrompt::new("https://cdn.test/ask.wav")),
        barge_in_allowed: spec.barge,
        initial_silence_timeout_secs: clamp(spec.initial),
        max_silence_timeout_secs: clamp(spec.silence),
        max_record_duration_secs: clamp(spec.max),
        play_beep: spec.beep,
        stop_tones: STOP_TONE_CHOICES
            .iter()
            .enumerate()
            .filter(|(i, _)| spec.stop_mask & (1 << i) != 0)
            .map(|(_, t)| *t)
            .collect(),
    };
    Request::new(api, Action::Record(record)).with_client_context(&"r".repeat(spec.context_len))
}

fn to_media_input(input: In, call: usize, op: Option<OperationId>) -> MediaInput {
    match input {
        In::PlaybackFinished => MediaInput::PlaybackFinished,
        In::PlaybackFailed(f) => MediaInput::PlaybackFailed(f),
        In::BeepFinished => MediaInput::BeepFinished,
        In::BeepFailed => MediaInput::BeepFailed,
        In::SpeechStarted => MediaInput::SpeechStarted,
        In::SpeechStopped => MediaInput::SpeechStopped,
        In::MediaReceiveTimeout => MediaInput::MediaReceiveTimeout,
        In::RecordingFailed => MediaInput::RecordingFailed,
        In::RecordingStored => MediaInput::RecordingStored(Recording {
            location: Arc::from(format!(
                "https://store.test/c{call}/{}.wav",
                op.map(|o| o.to_string()).unwrap_or_default()
            )),
            access_token: Arc::from("token"),
        }),
    }
}

fn answer_of<E>(result: Result<(), E>) -> Answer {
    if result.is_ok() {
        Answer::Applied
    } else {
        Answer::Ignored
    }
}

fn request_answer<T>(result: Result<T, RequestError>) -> (Answer, Option<T>) {
    match result {
        Ok(value) => (Answer::Accepted, Some(value)),
        Err(RequestError::Invalid(_)) => (Answer::Invalid, None),
        Err(RequestError::CallNotFound(_)) => (Answer::NotFound, None),
        Err(RequestError::CallTerminated(_)) => (Answer::Terminated, None),
        Err(RequestError::QueueFull { .. }) => (Answer::QueueFull, None),
        Err(other) => panic!("unexpected refusal: {other}"),
    }
}

impl Sut {
    /// Moves the clock on and, as a well-behaved embedder does, fires the
    /// timers due by then before the next input.
    fn at(&mut self, dt: u64) -> Instant {
        self.now += dt;
        let now = Instant::from_millis(self.now);
        self.engine.handle_timeout(now);
        now
    }

    /// Drains the engine, turning outputs into the model's terms and checking
    /// the invariants that need no model.
    fn drain(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        let mut drained = Vec::new();
        self.engine.drain_outputs(&mut drained);
        for output in drained {
            let c: usize = output.call.as_str()[1..].parse().expect("c0 or c1");
            let op_of = |sut: &Self, id: OperationId| {
                assert!(
                    !sut.ended.contains(&id),
                    "output about operation {id} after its end: {output:?}"
                );
                sut.index[&id].1
            };
            let abstracted = match &output.output {
                Output::Media(command) => {
                    let op = op_of(self, command.operation());
                    match command {
                        MediaCommand::Play { index, .. } => Out::Play {
                            call: c,
                            op,
                            index: *index,
                        },
                        MediaCommand::StopPlayback { .. } => Out::StopPlayback { call: c, op },
                        MediaCommand::PlayBeep { .. } => Out::Beep { call: c, op },
                        MediaCommand::StartRecording { .. } => Out::StartRecording { call: c, op },
                        MediaCommand::StopRecording { store, .. } => Out::StopRecording {
                            call: c,
                            op,
                            store: *store,
                        },
                        other => panic!("a command this model does not know: {other:?}"),
                    }
                }
                Output::Notification(Notification::OperationEnded(ended))
                | Output::Abandoned(ended) => {
                    let id = ended.operation.id;
                    let op = op_of(self, id);
                    self.ended.insert(id);
                    assert_eq!(ended.operation.status, ended.reason().status());
                    assert_eq!(ended.operation.end, Some(ended.reason));
                    if matches!(output.output, Output::Abandoned(_)) {
                        Out::Abandoned { call: c, op }
                    } else {
                        Out::Ended {
                            call: c,
                            op,
                            reason: ended.reason(),
                        }
                    }
                }
                Output::Notification(Notification::Tone { sequence_id, tone }) => {
                    // Invariant 3.5: 1, 2, 3, ... per call.
                    self.tones[c] += 1;
                    assert_eq!(*sequence_id, self.tones[c], "tone sequence of c{c}");
                    Out::Tone {
                        call: c,
                        sequence_id: *sequence_id,
                        tone: *tone,
                    }
                }
                Output::Notification(Notification::CallEstablished) => {
                    panic!("an established notification with notify_established off")
                }
                Output::Notification(Notification::CallTerminating) => Out::Terminating { call: c },
                Output::Notification(Notification::CallTerminated { .. }) => {
                    Out::Terminated { call: c }
                }
                other => panic!("an output this model does not know: {other:?}"),
            };
            out.push(abstracted);
        }
        // Invariant 3.9: a step's outputs are bounded by the queue capacity.
        assert!(
            out.len() <= 2 * (CAPACITY + 1) * CALLS + 8,
            "{} outputs in one step",
            out.len()
        );
        out
    }

    fn created(&mut self, c: usize, id: OperationId) {
        self.index.insert(id, (c, self.ops[c].len()));
        self.ops[c].push(id);
    }
}

struct EngineTest;

impl StateMachineTest for EngineTest {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(model: &Model) -> Sut {
        let mut config = CallConfig::default();
        config
            .queue_capacity(CAPACITY)
            .notify_on_termination(model.notify_on_termination);
        config.retained_operations = 4;
        Sut {
            engine: Engine::new(EngineConfig::new(config, IdSource::seeded(11))).unwrap(),
            now: 0,
            ops: Default::default(),
            index: HashMap::new(),
            ended: HashSet::new(),
            tones: [0; CALLS],
        }
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        let mut before = String::new();
        let answer = match &step {
            Step::Establish { call, dt } => {
                let now = sut.at(*dt);
                answer_of(sut.engine.handle_call_established(now, &call_id(*call)))
            }
            Step::Play { call, dt, .. } | Step::Record { call, dt, .. } => {
                let request = match &step {
                    Step::Play { spec, .. } => play_request(spec),
                    Step::Record { spec, .. } => record_request(spec),
                    _ => unreachable!("matched above"),
                };
                let now = sut.at(*dt);
                before = format!("{:?}", sut.engine);
                let (answer, op) =
                    request_answer(sut.engine.handle_request(now, &call_id(*call), request));
                if let Some(op) = op {
                    sut.created(*call, op.id);
                }
                answer
            }
            Step::Subscribe { call, dt } => {
                let now = sut.at(*dt);
                let request = Request::new(ApiVersion::V1, Action::SubscribeToTone);
                request_answer(sut.engine.handle_request(now, &call_id(*call), request)).0
            }
            Step::Cancel { call, dt } => {
                let now = sut.at(*dt);
                let request = Request::new(ApiVersion::Beta, Action::CancelMediaProcessing);
                request_answer(sut.engine.handle_request(now, &call_id(*call), request)).0
            }
            Step::Media {
                call,
                dt,
                token,
                input,
            } => {
                let now = sut.at(*dt);
                let id = call_id(*call);
                let active = sut
                    .engine
                    .view(&id)
                    .and_then(|v| v.active)
                    .map(|a| a.operation.id);
                let named = match token {
                    Token::None => None,
                    Token::Active => active.or(sut.ops[*call].last().copied()),
                    Token::Op(k) if !sut.ops[*call].is_empty() => {
                        Some(sut.ops[*call][k % sut.ops[*call].len()])
                    }
                    Token::Op(_) => None,
                };
                let input = to_media_input(*input, *call, named);
                answer_of(sut.engine.handle_media(now, &id, named, input))
            }
            Step::Tone { call, dt, tone } => {
                let now = sut.at(*dt);
                answer_of(sut.engine.handle_media(
                    now,
                    &call_id(*call),
                    None,
                    MediaInput::Tone(*tone),
                ))
            }
            Step::Tick { dt } => {
                let until = sut.at(*dt);
                let mut last = Instant::ZERO;
                while let Some(deadline) = sut.engine.poll_timeout().filter(|d| *d <= until) {
                    // Invariant 3.6: never earlier than before, and progress.
                    assert!(
                        deadline >= last,
                        "poll_timeout went back: {deadline:?} < {last:?}"
                    );
                    sut.engine.handle_timeout(deadline);
                    assert!(
                        sut.engine.poll_timeout().is_none_or(|next| next > deadline),
                        "no progress at {deadline:?}"
                    );
                    last = deadline;
                }
                sut.engine.handle_timeout(until);
                Answer::None
            }
            Step::HangUp { call, dt } => {
                let now = sut.at(*dt);
                answer_of(sut.engine.handle_call_terminated(
                    now,
                    &call_id(*call),
                    ResultInfo::conversation_ended(),
                ))
            }
            Step::Delete { call, dt } => {
                let now = sut.at(*dt);
                request_answer(sut.engine.handle_delete(now, &call_id(*call))).0
            }
            Step::Get { call, op } => {
                let ops = &sut.ops[*call];
                if ops.is_empty() {
                    Answer::Get(None)
                } else {
                    let id = ops[op % ops.len()];
                    Answer::Get(
                        sut.engine
                            .operation(&call_id(*call), id)
                            .ok()
                            .map(|op| op.status),
                    )
                }
            }
        };
        // Invariant 3.7: a request refused for its body changes nothing.
        if answer == Answer::Invalid {
            assert_eq!(
                format!("{:?}", sut.engine),
                before,
                "a refused request changed the engine"
            );
        }
        let outputs = sut.drain();
        match (&model.answer, &answer) {
            // A remembered ended operation must show its end; a forgotten one is 404.
            (Answer::GetEnded(status), Answer::Get(got)) => {
                assert!(
                    got.is_none_or(|s| s == *status),
                    "GET of an ended operation: {got:?}, expected {status:?}"
                );
            }
            (expected, got) => assert_eq!(got, expected, "answer to {step:?}"),
        }
        assert_eq!(outputs, model.out, "outputs of {step:?}");
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        for c in 0..CALLS {
            let id = call_id(c);
            let view = sut.engine.view(&id);
            // Invariant 3.3: at most one active, the rest queued in FIFO order.
            let active = view
                .as_ref()
                .and_then(|v| v.active.as_ref())
                .map(|a| sut.index[&a.operation.id].1);
            let queued: Vec<usize> = view
                .as_ref()
                .map(|v| v.queued.iter().map(|op| sut.index[&op.id].1).collect())
                .unwrap_or_default();
            let m = &model.calls[c];
            assert_eq!(
                active,
                m.active.as_ref().map(|(op, _)| *op),
                "active operation of c{c}"
            );
            assert_eq!(
                queued,
                m.queue.iter().copied().collect::<Vec<_>>(),
                "queue of c{c}"
            );
            assert!(
                queued.windows(2).all(|w| w[0] < w[1]),
                "queue out of FIFO order"
            );
            // Invariant 3.4: cancel and barge-in never touch the subscription.
            assert_eq!(
                view.as_ref().is_some_and(|v| v.tone_subscription),
                m.subscribed && m.life == Life::Live
            );
        }
        // Invariant 3.6: the next deadline is never before the latest now.
        if let Some(deadline) = sut.engine.poll_timeout() {
            assert!(
                deadline >= Instant::from_millis(sut.now),
                "deadline {deadline:?} before {}",
                sut.now
            );
        }
        // Invariant 3.1: every operation that ended, ended once (drain checks
        // "after its end"); those not ended are still held.
        for (c, ops) in sut.ops.iter().enumerate() {
            for (k, id) in ops.iter().enumerate() {
                assert_eq!(
                    sut.ended.contains(id),
                    model.calls[c].ops[k].ended.is_some(),
                    "c{c} op {k} end"
                );
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        max_shrink_iters: 4096,
        .. ProptestConfig::default()
    })]

    #[test]
    fn engine_matches_reference_model(sequential 1..80 => EngineTest);
}
