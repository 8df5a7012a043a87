//! `ivr-replay` streams: each scenario line's output is written (and
//! flushed) before the next line is read, in both output formats, so a
//! program feeding a pipe sees the answer to a line before it sends the next.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::cell::RefCell;
use std::io::{self, BufWriter, Read, Write};
use std::rc::Rc;

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, OutputFormat, ReplayOptions, StreamOptions};

const LINES: [&str; 6] = [
    r#"{"at_ms":0,"event":"callEstablished","call":"c1"}"#,
    r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone"}}"#,
    r#"{"at_ms":5,"request":{"method":"GET","url":"/communications/calls/c1/operations/$op1"}}"#,
    r#"{"at_ms":7,"event":"tone","call":"c1","tone":"5"}"#,
    r#"{"at_ms":9,"request":{"url":"/communications/calls/c1/playPrompt","body":{"prompts":[{"mediaInfo":{"uri":"https://x/a.wav"}}]}}}"#,
    r#"{"at_ms":12,"event":"playbackFinished","call":"c1"}"#,
];

/// What the output holds, shared between the writer and the reader.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serves one line per read, noting how many output lines had arrived
/// each time it was asked for more.
struct OneLineAtATime {
    next: usize,
    output: Shared,
    seen: Rc<RefCell<Vec<usize>>>,
}

impl Read for OneLineAtATime {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let lines = self
            .output
            .0
            .borrow()
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.seen.borrow_mut().push(lines);
        let Some(line) = LINES.get(self.next) else {
            return Ok(0);
        };
        self.next += 1;
        let line = format!("{line}\n");
        buf[..line.len()].copy_from_slice(line.as_bytes());
        Ok(line.len())
    }
}

/// Output lines of the first `k` lines, run all at once.
fn lines_of_prefix(k: usize, format: OutputFormat) -> usize {
    let run = replay::run(&LINES[..k].join("\n"), IdSource::seeded(1));
    let mut out = Vec::new();
    match format {
        OutputFormat::Jsonl { pretty } => {
            replay::write_jsonl(&mut out, &run.records, &run.config, pretty).unwrap();
        }
        _ => replay::write_timeline(&mut out, &run.records).unwrap(),
    }
    out.iter().filter(|b| **b == b'\n').count()
}

fn check(format: OutputFormat) {
    let output = Shared::default();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let input = OneLineAtATime {
        next: 0,
        output: output.clone(),
        seen: seen.clone(),
    };
    // Buffered, as the binary's stdout is: only a flush lets bytes through.
    let mut out = BufWriter::new(output);
    let options = StreamOptions {
        replay: ReplayOptions {
            ids: IdSource::seeded(1),
            ..ReplayOptions::default()
        },
        format,
        max_line_bytes: replay::DEFAULT_MAX_LINE_BYTES,
    };
    replay::stream(input, &mut out, options).unwrap();
    // Read k (0-based) comes after lines 1..=k ran: their output is out.
    let expected: Vec<usize> = (0..=LINES.len())
        .map(|k| lines_of_prefix(k, format))
        .collect();
    assert_eq!(*seen.borrow(), expected, "{format:?}");
    assert!(
        expected[1..].windows(2).all(|w| w[0] < w[1]),
        "every line after the first says something: {expected:?}"
    );
}

#[test]
fn jsonl_output_of_a_line_is_out_before_the_next_line_is_read() {
    check(OutputFormat::Jsonl { pretty: false });
}

#[test]
fn timeline_output_of_a_line_is_out_before_the_next_line_is_read() {
    check(OutputFormat::Timeline);
}
