//! Runs the `ivr-replay` binary. Each test file declares it:
//!
//! ```ignore
//! #[path = "common/ivr_replay.rs"]
//! mod ivr_replay;
//! ```

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `ivr-replay args` on `stdin` and waits for it to end. The input is
/// written from a thread: ivr-replay streams, so it may write output before
/// it has read all of its input, or stop reading early.
pub fn run(args: &[&str], stdin: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivr-replay"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ivr-replay runs");
    let mut pipe = child.stdin.take().expect("piped stdin");
    let input = stdin.as_ref().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("ivr-replay finishes");
    writer.join().expect("the writer ends");
    output
}
