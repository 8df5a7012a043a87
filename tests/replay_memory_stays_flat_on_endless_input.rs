//! Memory stays flat however long the scenario: the streaming runner keeps
//! nothing of a line once its output is written. A global allocator that
//! counts the bytes held shows it: after 20,000 more lines, each with
//! output, no more is held than after the first 1,000.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, OutputFormat, ReplayOptions, StreamOptions};

#[path = "common/held_bytes.rs"]
mod held_bytes;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

const WARM: usize = 1_000;
const MORE: usize = 20_000;

/// A call with a tone subscription, then lines that each cause output (a
/// tone notification, a GET answer, a trace) without creating operations.
struct Endless {
    line: usize,
    samples: Rc<RefCell<Vec<isize>>>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.line += 1;
        let n = self.line;
        if n == WARM || n == WARM + MORE {
            self.samples.borrow_mut().push(held_bytes::held());
        }
        let line = match n {
            1 => r#"{"at_ms":0,"event":"callEstablished","call":"c1"}"#.to_owned(),
            2 => r#"{"at_ms":0,"request":{"url":"/communications/calls/c1/subscribeToTone"}}"#
                .to_owned(),
            n if n > WARM + MORE => return Ok(0),
            n => match n % 3 {
                0 => format!(
                    r#"{{"at_ms":{n},"event":"tone","call":"c1","tone":"{}"}}"#,
                    n % 10
                ),
                1 => format!(
                    r#"{{"at_ms":{n},"request":{{"method":"GET","url":"/communications/calls/c1/operations/$op1"}}}}"#
                ),
                _ => format!(r#"{{"at_ms":{n},"event":"playbackFinished","call":"c1"}}"#),
            },
        };
        let line = format!("{line}\n");
        buf[..line.len()].copy_from_slice(line.as_bytes());
        Ok(line.len())
    }
}

/// Counts what is written, keeps none of it.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.iter().filter(|b| **b == b'\n').count();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn twenty_thousand_more_lines_hold_no_more_memory() {
    let _alone = held_bytes::one_at_a_time();
    for format in [
        OutputFormat::Jsonl { pretty: false },
        OutputFormat::Timeline,
    ] {
        let samples = Rc::new(RefCell::new(Vec::new()));
        let input = Endless {
            line: 0,
            samples: samples.clone(),
        };
        let mut out = Count(0);
        let options = StreamOptions {
            replay: ReplayOptions {
                ids: IdSource::seeded(1),
                ..ReplayOptions::default()
            },
            format,
            max_line_bytes: replay::DEFAULT_MAX_LINE_BYTES,
        };
        replay::stream(input, &mut out, options).unwrap();
        assert!(
            out.0 > MORE,
            "{format:?}: the lines had output, {} lines",
            out.0
        );
        let samples = samples.borrow();
        let [warm, later] = samples[..] else {
            panic!("two samples, got {samples:?}");
        };
        // Slack for a buffer that happens to grow once; 20,000 kept records
        // would be megabytes.
        assert!(
            later - warm < 16 * 1024,
            "{format:?}: {warm} bytes alive after {WARM} lines, {later} after {} lines",
            WARM + MORE
        );
    }
}
