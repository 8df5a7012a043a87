//! How many shards an engine has changes where its calls, outputs and
//! deadlines live, never what it does: the same inputs from one thread give
//! the same answers and the same outputs, in the same order, with 1, 2, 7 or
//! 64 shards. Calls come, record with timeouts that often tie, hang up,
//! move out and back in, hear tones, and have their timers fired.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256).

use ivr_media_queue::{
    Action, ApiVersion, CallId, CallSnapshot, Engine, EngineConfig, IdSource, Instant, MediaInput,
    Record, Request, ResultInfo, Tone,
};
use proptest::prelude::*;

const CALLS: usize = 12;

#[derive(Clone, Debug)]
enum Step {
    Establish,
    Record { silence_secs: u32 },
    HangUp,
    TakeOut,
    PutBack,
    Tone,
    Timeout,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Establish),
        (1u32..=4).prop_map(|silence_secs| Step::Record { silence_secs }),
        Just(Step::HangUp),
        Just(Step::TakeOut),
        Just(Step::PutBack),
        Just(Step::Tone),
        Just(Step::Timeout),
    ]
}

fn record(silence_secs: u32) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            play_beep: false,
            initial_silence_timeout_secs: silence_secs,
            ..Record::default()
        }),
    )
}

/// Everything the engine answered and emitted, as text, in order.
fn run(shards: usize, steps: &[(Step, usize, u64)]) -> Vec<String> {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(9),
        shards,
        ..EngineConfig::default()
    })
    .unwrap();
    let mut taken: Vec<Option<CallSnapshot>> = vec![None; CALLS];
    let mut now = 0;
    let mut log = Vec::new();
    for (step, call, wait_ms) in steps {
        let id = CallId::new(&format!("k{call}"));
        let at = Instant::from_millis(now);
        log.push(match step {
            Step::Establish => format!("{:?}", engine.handle_call_established(at, &id)),
            Step::Record { silence_secs } => format!(
                "{:?}",
                engine.handle_request(at, &id, record(*silence_secs))
            ),
            Step::HangUp => format!(
                "{:?}",
                engine.handle_call_terminated(at, &id, ResultInfo::conversation_ended())
            ),
            Step::TakeOut => match engine.take_call(&id) {
                Ok(snapshot) => {
                    taken[*call] = Some(snapshot);
                    "taken".to_owned()
                }
                Err(e) => format!("{e:?}"),
            },
            Step::PutBack => match taken[*call].take() {
                Some(snapshot) => format!("{:?}", engine.restore_call(&snapshot)),
                None => "none taken".to_owned(),
            },
            Step::Tone => format!(
                "{:?}",
                engine.handle_media(at, &id, None, MediaInput::Tone(Tone::Pound))
            ),
            Step::Timeout => {
                engine.handle_timeout(at);
                format!("next {:?}", engine.poll_timeout())
            }
        });
        drain(&engine, &mut log);
        now += wait_ms;
    }
    engine.handle_timeout(Instant::from_millis(now + 3_600_000));
    drain(&engine, &mut log);
    log
}

/// The engine's outputs, drained, onto the log.
fn drain(engine: &Engine, log: &mut Vec<String>) {
    let mut out = Vec::new();
    engine.drain_outputs(&mut out);
    log.extend(
        out.iter()
            .map(|o| format!("{} {} {} {:?}", o.call, o.at, o.seq, o.output)),
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    #[test]
    fn any_shard_count_gives_what_one_shard_gives(
        // Waits of 0, 500 or 1000 ms: deadlines tie often.
        steps in prop::collection::vec((step(), 0..CALLS, (0u64..3).prop_map(|w| w * 500)), 1..300),
    ) {
        let one = run(1, &steps);
        for shards in [2, 7, 64] {
            prop_assert_eq!(&run(shards, &steps), &one, "{} shards", shards);
        }
    }
}
