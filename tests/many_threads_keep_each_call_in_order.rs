//! Stress: four threads drive 2 000 calls at once through one engine, with
//! a fifth draining outputs as they come. Afterwards every operation ended
//! exactly once, and each call's transcript (its outputs, in order, with
//! their times) equals a single-threaded run of the same inputs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, Engine, EngineConfig, EngineOutput, IdSource, Instant,
    MediaInput, MediaPrompt, Notification, OperationId, Output, PlayPrompt, Record, Recording,
    Request, ResultInfo, Tone,
};

const CALLS: usize = 2_000;
const THREADS: usize = 4;
const STEPS: usize = 40;

#[derive(Clone, Debug)]
enum Step {
    Play(usize),
    Record { barge: bool },
    Subscribe,
    Cancel,
    Media(MediaInput),
    Tone(Tone),
}

/// A call's script: (time, step), from a small generator seeded by the call.
fn script(call: usize) -> Vec<(u64, Step)> {
    let mut state = (call as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut at = 0;
    (0..STEPS)
        .map(|_| {
            at += next() % 1_500;
            let step = match next() % 12 {
                0 | 1 => Step::Play(1 + (next() % 3) as usize),
                2 => Step::Record {
                    barge: next() % 5 == 0,
                },
                3 => Step::Subscribe,
                4 => Step::Cancel,
                5 | 6 => Step::Media(MediaInput::PlaybackFinished),
                7 => Step::Media(MediaInput::SpeechStarted),
                8 => Step::Media(MediaInput::SpeechStopped),
                9 => Step::Media(MediaInput::RecordingStored(Recording {
                    location: "https://r.test/x.wav".into(),
                    access_token: "t".into(),
                })),
                _ => Step::Tone(if next() % 2 == 0 {
                    Tone::Pound
                } else {
                    Tone::Tone1
                }),
            };
            (at, step)
        })
        .collect()
}

fn apply(engine: &Engine, call: &CallId, at: u64, step: &Step) {
    let now = Instant::from_millis(at);
    let request = |action| Request::new(ApiVersion::V1, action).with_client_context(call.as_str());
    match step {
        Step::Play(n) => {
            let prompts = (0..*n)
                .map(|i| MediaPrompt::new(&format!("https://x.test/{i}.wav")))
                .collect();
            let _ = engine.handle_request(
                now,
                call,
                request(Action::PlayPrompt(PlayPrompt {
                    prompts,
                    loop_forever: false,
                })),
            );
        }
        Step::Record { barge } => {
            let record = Record {
                barge_in_allowed: *barge,
                play_beep: false,
                initial_silence_timeout_secs: 1,
                max_silence_timeout_secs: 1,
                max_record_duration_secs: 2,
                stop_tones: [Tone::Pound].into_iter().collect(),
                ..Record::default()
            };
            let _ = engine.handle_request(now, call, request(Action::Record(record)));
        }
        Step::Subscribe => {
            let _ = engine.handle_request(now, call, request(Action::SubscribeToTone));
        }
        Step::Cancel => {
            let _ = engine.handle_request(now, call, request(Action::CancelMediaProcessing));
        }
        Step::Media(input) => {
            let _ = engine.handle_media(now, call, None, input.clone());
        }
        Step::Tone(tone) => {
            let _ = engine.handle_media(now, call, None, MediaInput::Tone(*tone));
        }
    }
}

fn engine() -> Engine {
    let mut call = CallConfig::default();
    call.queue_capacity(5);
    Engine::new(EngineConfig {
        max_pending_outputs: *ivr_media_queue::ranges::ENGINE_PENDING_OUTPUTS.end(),
        ..EngineConfig::new(call, IdSource::seeded(21))
    })
    .unwrap()
}

/// Runs every call's script: establish, the steps, hang up; then flush.
fn drive(
    engine: &Engine,
    ids: &[CallId],
    scripts: &[Vec<(u64, Step)>],
    calls: impl Iterator<Item = usize>,
) {
    let calls: Vec<usize> = calls.collect();
    for &c in &calls {
        engine
            .handle_call_established(Instant::ZERO, &ids[c])
            .unwrap();
    }
    // Interleave this thread's calls step by step.
    let mut steps: Vec<_> = calls.iter().map(|&c| scripts[c].iter()).collect();
    for _ in 0..STEPS {
        for (&c, script) in calls.iter().zip(&mut steps) {
            if let Some((at, step)) = script.next() {
                apply(engine, &ids[c], *at, step);
            }
        }
    }
    for &c in &calls {
        let end = scripts[c].last().map_or(0, |(at, _)| *at) + 1;
        engine
            .handle_call_terminated(
                Instant::from_millis(end),
                &ids[c],
                ResultInfo::conversation_ended(),
            )
            .unwrap();
    }
}

type Transcripts = BTreeMap<CallId, Vec<(Instant, Output)>>;

fn transcripts(outputs: Vec<EngineOutput>) -> Transcripts {
    let mut by_call: Transcripts = BTreeMap::new();
    for o in outputs {
        by_call.entry(o.call).or_default().push((o.at, o.output));
    }
    by_call
}

#[test]
fn threads_keep_every_call_in_order() {
    let ids: Vec<CallId> = (0..CALLS)
        .map(|i| CallId::new(&format!("call-{i}")))
        .collect();
    let scripts: Vec<Vec<(u64, Step)>> = (0..CALLS).map(script).collect();

    let shared = Arc::new(engine());
    let done = AtomicBool::new(false);
    let mut drained = Vec::new();
    std::thread::scope(|s| {
        let drainer = s.spawn(|| {
            let mut all = Vec::new();
            while !done.load(Ordering::Acquire) {
                shared.drain_outputs(&mut all);
                std::thread::yield_now();
            }
            shared.drain_outputs(&mut all);
            all
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (shared, ids, scripts) = (&shared, &ids, &scripts);
                s.spawn(move || drive(shared, ids, scripts, (t..CALLS).step_by(THREADS)))
            })
            .collect();
        for worker in workers {
            worker.join().expect("a worker thread");
        }
        done.store(true, Ordering::Release);
        drained = drainer.join().expect("the drainer");
    });
    assert_eq!(shared.call_count(), 0, "every call ended and was removed");

    let alone = engine();
    drive(&alone, &ids, &scripts, 0..CALLS);
    let mut sequential = Vec::new();
    alone.drain_outputs(&mut sequential);

    let mut ended: HashMap<OperationId, usize> = HashMap::new();
    for o in &drained {
        if let Output::Notification(Notification::OperationEnded(e)) | Output::Abandoned(e) =
            &o.output
        {
            *ended.entry(e.operation.id).or_default() += 1;
        }
    }
    assert!(
        ended.len() > CALLS,
        "the scripts ended {} operations",
        ended.len()
    );
    assert!(ended.values().all(|n| *n == 1), "an operation ended twice");

    let (threaded, single) = (transcripts(drained), transcripts(sequential));
    assert_eq!(threaded.len(), CALLS);
    for (call, outputs) in &single {
        assert_eq!(threaded.get(call), Some(outputs), "transcript of {call}");
    }
}
