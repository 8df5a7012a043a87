//! Running a scenario as a stream: read a line, run it, write what it
//! caused, forget it. Memory stays flat however long the input is; a line
//! longer than the limit is refused before it is read whole.

use std::io::{self, BufRead, BufReader, Read, Write};

use super::{
    HtmlWriter, ReplayOptions, ReplayRecord, Replayer, ScenarioError, TimelineWriter, write_jsonl,
};

/// The longest scenario line [`LineReader`] takes by default, in bytes, not
/// counting its line ending: 1 MiB, room for a request body at the default
/// 64 KiB limit however its JSON string is escaped. `ivr-replay
/// --max-line-bytes N` changes it.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// How many bytes [`LineReader`] asks its input for at once.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// A scenario line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub kind: LineErrorKind,
}

/// What is wrong with a line that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineErrorKind {
    /// The line is longer than the limit; it was not read further.
    #[error("longer than {limit} bytes, the longest line a scenario may have (--max-line-bytes)")]
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The line is not UTF-8.
    #[error("not valid UTF-8 (byte {byte} of the line is where it breaks)")]
    NotUtf8 {
        /// 1-based position in the line of the first byte that is not.
        byte: usize,
    },
    /// The input failed.
    #[error("cannot be read: {0}")]
    Read(#[source] io::Error),
}

impl From<LineError> for ScenarioError {
    fn from(error: LineError) -> Self {
        Self {
            line: error.line,
            message: error.kind.to_string(),
        }
    }
}

/// Splits input into lines, one at a time, holding at most one line (of at
/// most `max_line_bytes`) and a read buffer. A line ends at `\n`; a `\r`
/// before it is dropped.
#[derive(Debug)]
pub struct LineReader<R> {
    input: BufReader<R>,
    max_line_bytes: usize,
    line: Vec<u8>,
    number: usize,
}

impl<R: Read> LineReader<R> {
    /// Reads `input`; a line longer than `max_line_bytes` is an error.
    pub fn new(input: R, max_line_bytes: usize) -> Self {
        Self {
            input: BufReader::with_capacity(READ_BUFFER_BYTES, input),
            max_line_bytes,
            line: Vec::new(),
            number: 0,
        }
    }

    /// The input back (bytes read ahead into the buffer are lost).
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }

    /// The number of the last line returned (1-based; 0 before the first).
    pub fn line_number(&self) -> usize {
        self.number
    }

    /// The next line without its line ending, or `None` at the end of the
    /// input. `before_wait` runs whenever the reader is about to ask the
    /// input for more bytes, a read that may block: the place to flush
    /// output, so that whoever feeds the input sees what it caused. After
    /// an error, stop reading.
    pub fn next_line(&mut self, mut before_wait: impl FnMut()) -> Result<Option<&str>, LineError> {
        self.line.clear();
        let number = self.number + 1;
        let fail = |kind| LineError { line: number, kind };
        // One byte of room for a `\r` before the `\n`.
        let room = self.max_line_bytes.saturating_add(1);
        let ended = loop {
            if self.input.buffer().is_empty() {
                before_wait();
            }
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(fail(LineErrorKind::Read(e))),
            };
            if available.is_empty() {
                if self.line.is_empty() {
                    return Ok(None);
                }
                break false;
            }
            let (take, ended) = match available.iter().position(|b| *b == b'\n') {
                Some(end) => (end, true),
                None => (available.len(), false),
            };
            if self.line.len() + take > room {
                return Err(fail(LineErrorKind::TooLong {
                    limit: self.max_line_bytes,
                }));
            }
            self.line.extend_from_slice(&available[..take]);
            self.input.consume(take + usize::from(ended));
            if ended {
                break true;
            }
        };
        if ended && self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.len() > self.max_line_bytes {
            return Err(fail(LineErrorKind::TooLong {
                limit: self.max_line_bytes,
            }));
        }
        self.number = number;
        match std::str::from_utf8(&self.line) {
            Ok(text) => Ok(Some(text)),
            Err(e) => Err(fail(LineErrorKind::NotUtf8 {
                byte: e.valid_up_to() + 1,
            })),
        }
    }
}

/// How [`stream`] writes what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// JSON Lines ([`write_jsonl`]); `pretty`: indented.
    Jsonl {
        /// Indent the JSON.
        pretty: bool,
    },
    /// A story for people ([`super::write_timeline`]).
    Timeline,
    /// One self-contained HTML page with a sequence diagram
    /// ([`super::HtmlWriter`]).
    Html,
}

/// How to [`stream`] a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOptions {
    /// How to run it.
    pub replay: ReplayOptions,
    /// How to write it.
    pub format: OutputFormat,
    /// The longest line taken, in bytes ([`DEFAULT_MAX_LINE_BYTES`]).
    pub max_line_bytes: usize,
}

/// Why [`stream`] stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// A line could not be read: too long, not UTF-8, or the input failed.
    #[error(transparent)]
    Line(#[from] LineError),
    /// A line is malformed (or, with `--snapshot-at`, moving the calls
    /// failed there).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The output could not be written.
    #[error("cannot write output: {0}")]
    Write(#[source] io::Error),
}

/// Runs the scenario on `input` line by line, writing each line's output
/// before the next line is read and flushing `output` whenever the input
/// has nothing more at hand. Nothing of a line is kept once its output is
/// written; nothing is written for a line that stops the run.
pub fn stream(
    input: impl Read,
    output: &mut impl Write,
    options: StreamOptions,
) -> Result<(), StreamError> {
    let mut writer = Writer::new(options.format);
    writer.begin(output).map_err(StreamError::Write)?;
    let ran = run_lines(input, output, options, &mut writer);
    // What earlier lines caused is written even when a later one fails, and
    // a page is closed whole.
    let closed = writer.end(output).map_err(StreamError::Write);
    let flushed = output.flush().map_err(StreamError::Write);
    ran.and(closed).and(flushed)
}

/// An output format with what it keeps between lines.
enum Writer {
    Jsonl { pretty: bool },
    Timeline(TimelineWriter),
    Html(HtmlWriter),
}

impl Writer {
    fn new(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Jsonl { pretty } => Self::Jsonl { pretty },
            OutputFormat::Timeline => Self::Timeline(TimelineWriter::default()),
            OutputFormat::Html => Self::Html(HtmlWriter::default()),
        }
    }

    fn begin(&mut self, output: &mut impl Write) -> io::Result<()> {
        match self {
            Self::Html(html) => html.begin(output),
            Self::Jsonl { .. } | Self::Timeline(_) => Ok(()),
        }
    }

    fn write(
        &mut self,
        output: &mut impl Write,
        records: &[ReplayRecord],
        replayer: &Replayer,
    ) -> io::Result<()> {
        match self {
            Self::Jsonl { pretty } => write_jsonl(output, records, replayer.config(), *pretty),
            Self::Timeline(timeline) => timeline.write(output, records),
            Self::Html(html) => html.write(output, records),
        }
    }

    fn end(&mut self, output: &mut impl Write) -> io::Result<()> {
        match self {
            Self::Html(html) => html.end(output),
            Self::Jsonl { .. } | Self::Timeline(_) => Ok(()),
        }
    }
}

fn run_lines(
    input: impl Read,
    output: &mut impl Write,
    options: StreamOptions,
    writer: &mut Writer,
) -> Result<(), StreamError> {
    let mut lines = LineReader::new(input, options.max_line_bytes);
    let mut replayer = Replayer::new(options.replay);
    let mut records: Vec<ReplayRecord> = Vec::new();
    let mut write = |records: &mut Vec<ReplayRecord>, replayer: &Replayer, output: &mut _| {
        let written = writer.write(output, records, replayer);
        records.clear();
        written.map_err(StreamError::Write)
    };
    loop {
        let mut flushed = Ok(());
        let line = lines.next_line(|| {
            if flushed.is_ok() {
                flushed = output.flush();
            }
        });
        flushed.map_err(StreamError::Write)?;
        let Some(text) = line? else {
            break;
        };
        let ran = replayer.run_line(text, &mut records);
        write(&mut records, &replayer, output)?;
        ran?;
    }
    replayer.finish(&mut records);
    write(&mut records, &replayer, output)
}
