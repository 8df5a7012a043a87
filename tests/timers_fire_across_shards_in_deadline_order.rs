//! Each shard keeps its own calls' deadlines; `handle_timeout` still fires
//! every due timer of every shard in deadline order, ties in the order the
//! calls were established, and `poll_timeout` names the earliest of all.

use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, IdSource, Instant, Notification, Output,
    Record, Request,
};

const CALLS: usize = 120;

/// A record with no beep: its initial-silence timer runs from the start.
fn record() -> Request {
    Request::new(
        ApiVersion::V1,
        Action::Record(Record {
            play_beep: false,
            initial_silence_timeout_secs: 5,
            ..Record::default()
        }),
    )
}

#[test]
fn due_timers_fire_in_deadline_then_establishment_order_whatever_the_shards() {
    for shards in [1, 4, 64] {
        let engine = Engine::new(EngineConfig {
            ids: IdSource::seeded(3),
            shards,
            ..EngineConfig::default()
        })
        .unwrap();
        // Established in an order unrelated to their names or shards.
        let established: Vec<CallId> = (0..CALLS)
            .map(|i| CallId::new(&format!("c{}", i * 37 % CALLS)))
            .collect();
        for call in &established {
            engine.handle_call_established(Instant::ZERO, call).unwrap();
        }
        // Started at four different times: deadlines tie in four groups.
        for (i, call) in established.iter().enumerate().rev() {
            let started = Instant::from_millis((i % 4) as u64);
            engine.handle_request(started, call, record()).unwrap();
        }
        engine.drain_outputs(&mut Vec::new());
        let first = Instant::from_millis(5_000);
        assert_eq!(engine.poll_timeout(), Some(first), "{shards} shards");

        engine.handle_timeout(Instant::from_millis(60_000));
        let mut drained = Vec::new();
        engine.drain_outputs(&mut drained);
        let fired: Vec<(Instant, &CallId)> = drained
            .iter()
            .filter(|output| {
                matches!(
                    output.output,
                    Output::Notification(Notification::OperationEnded(_))
                )
            })
            .map(|output| (output.at, &output.call))
            .collect();
        let rank = |call: &CallId| established.iter().position(|c| c == call).unwrap();
        let mut expected = fired.clone();
        expected.sort_by_key(|(at, call)| (*at, rank(call)));
        assert_eq!(fired.len(), CALLS, "{shards} shards");
        assert_eq!(fired, expected, "{shards} shards");
        assert_eq!(fired[0].0, first);
        assert_eq!(engine.poll_timeout(), None, "{shards} shards");
    }
}
