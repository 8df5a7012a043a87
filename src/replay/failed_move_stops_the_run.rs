//! `--snapshot-at`: a move of the calls to a fresh engine that fails stops
//! the run at the line where it was due, with a message that says the move
//! failed and why; the run never goes on in the old engine. (A unit test:
//! no scenario can spoil the snapshot bytes, so the test does it.)

use super::{ReplayOptions, Replayer};
use crate::id::IdSource;
use crate::time::Instant;

#[test]
fn a_move_whose_snapshot_does_not_read_back_stops_the_run() {
    let mut replayer = Replayer::new(ReplayOptions {
        ids: IdSource::seeded(1),
        snapshot_at: Some(Instant::from_millis(500)),
    });
    let mut out = Vec::new();
    for line in [
        r#"{"at_ms":0,"event":"callEstablished","call":"c1"}"#,
        r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone"}}"#,
    ] {
        replayer.run_line(line, &mut out).unwrap();
    }
    let replay = replayer.replay.as_mut().expect("running");
    // The bytes arrive cut in half.
    replay.carry = |mut bytes| {
        bytes.truncate(bytes.len() / 2);
        bytes
    };
    let before = out.len();
    let error = replayer
        .run_line(
            r#"{"at_ms":1000,"request":{"url":"/communications/calls/c1/subscribeToTone"}}"#,
            &mut out,
        )
        .unwrap_err();
    assert_eq!(error.line, 3);
    assert!(
        error.message.starts_with(
            "--snapshot-at 500: moving the calls to a fresh engine failed: the snapshot does not read back: not a snapshot: EOF while parsing"
        ),
        "{}",
        error.message
    );
    assert_eq!(out.len(), before, "nothing of the line that failed");
    // The run has stopped: no old engine goes on.
    assert_eq!(replayer.run_line(r#"{"at_ms":2000}"#, &mut out), Err(error));
    replayer.finish(&mut out);
    assert_eq!(out.len(), before);
}
