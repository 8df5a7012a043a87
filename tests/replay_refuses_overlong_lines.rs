//! A scenario line longer than the limit (1 MiB by default,
//! `--max-line-bytes N`) stops the run with exit 2 naming the line, and is
//! not read whole: endless input without a line break stops at the limit.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::io::{self, Read};

#[path = "common/ivr_replay.rs"]
mod ivr_replay;
use ivr_replay::run as replay;

use ivr_media_queue::replay::{DEFAULT_MAX_LINE_BYTES, LineErrorKind, LineReader};

/// Endless bytes with no line break; counts what it served.
struct Endless {
    served: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(0);
        self.served += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn endless_input_stops_at_the_limit_with_the_line_named() {
    let mut lines = LineReader::new(Endless { served: 0 }, 1000);
    let error = lines.next_line(|| {}).unwrap_err();
    assert_eq!(error.line, 1);
    assert!(matches!(error.kind, LineErrorKind::TooLong { limit: 1000 }));
    assert_eq!(
        error.to_string(),
        "line 1: longer than 1000 bytes, the longest line a scenario may have (--max-line-bytes)"
    );

    // The default limit, after a good line: line 2, read no further than
    // the limit and one read buffer.
    let input = b"{\"at_ms\":0}\n".chain(Endless { served: 0 });
    let mut lines = LineReader::new(input, DEFAULT_MAX_LINE_BYTES);
    assert_eq!(lines.next_line(|| {}).unwrap(), Some("{\"at_ms\":0}"));
    let error = lines.next_line(|| {}).unwrap_err();
    assert_eq!(error.line, 2);
    let (_, endless) = lines.into_inner().into_inner();
    assert!(
        endless.served <= DEFAULT_MAX_LINE_BYTES + 64 * 1024,
        "read {} bytes",
        endless.served
    );
}

/// A valid line of exactly `bytes` bytes: a comment padded out.
fn line_of(bytes: usize) -> String {
    let bare = r#"{"at_ms":0,"comment":""}"#;
    let mut line = bare.replace("\"\"", &format!("\"{}\"", "x".repeat(bytes - bare.len())));
    line.push('\n');
    assert_eq!(line.len(), bytes + 1);
    line
}

const ESTABLISH_AND_SUBSCRIBE: &str = r#"{"at_ms":0,"event":"callEstablished","call":"c1"}
{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone"}}
"#;

#[test]
fn the_binary_refuses_a_line_over_the_limit_with_exit_2() {
    let at_limit = format!(
        "{ESTABLISH_AND_SUBSCRIBE}{}",
        line_of(DEFAULT_MAX_LINE_BYTES)
    );
    let output = replay(&["-"], at_limit.as_bytes());
    assert_eq!(output.status.code(), Some(0), "exactly the limit is fine");

    let over = format!(
        "{ESTABLISH_AND_SUBSCRIBE}{}",
        line_of(DEFAULT_MAX_LINE_BYTES + 1)
    );
    let output = replay(&["-"], over.as_bytes());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3: longer than 1048576 bytes"),
        "stderr: {stderr}"
    );
    // The lines before it ran: one response.
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);

    // The limit can be raised.
    let output = replay(&["--max-line-bytes", "2000000", "-"], over.as_bytes());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        replay(&["--max-line-bytes", "0"], b"").status.code(),
        Some(2)
    );
    assert_eq!(replay(&["--max-line-bytes=x"], b"").status.code(), Some(2));
}
