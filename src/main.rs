//! `ivr-replay`: runs a scenario through the engine and prints the Graph
//! traffic a bot would see. See `ivr-replay --help`.

use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::process::ExitCode;

use ivr_media_queue::replay::{
    self, LineError, LineErrorKind, OutputFormat, ReplayOptions, StreamError, StreamOptions,
    terminal_safe,
};
use ivr_media_queue::{IdSource, Instant};

const HELP: &str = include_str!("help.txt");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Timeline,
    Html,
}

struct Options {
    seed: Option<u64>,
    snapshot_at: Option<u64>,
    pretty: bool,
    format: Format,
    max_line_bytes: usize,
    scenario: Option<String>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        seed: None,
        snapshot_at: None,
        pretty: false,
        format: Format::Jsonl,
        max_line_bytes: replay::DEFAULT_MAX_LINE_BYTES,
        scenario: None,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("ivr-replay {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "--seed" => {
                let seed = value("--seed")?;
                options.seed = Some(
                    seed.parse()
                        .map_err(|_| format!("--seed: '{seed}' is not a whole number"))?,
                );
            }
            "--snapshot-at" => {
                let ms = value("--snapshot-at")?;
                options.snapshot_at =
                    Some(ms.parse().map_err(|_| {
                        format!("--snapshot-at: '{ms}' is not a whole number of ms")
                    })?);
            }
            "--max-line-bytes" => {
                let bytes = value("--max-line-bytes")?;
                options.max_line_bytes =
                    bytes.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("--max-line-bytes: '{bytes}' is not a whole number >= 1")
                    })?;
            }
            "--pretty" => options.pretty = true,
            "--format" => {
                options.format = match value("--format")?.as_str() {
                    "jsonl" | "json" => Format::Jsonl,
                    "timeline" => Format::Timeline,
                    "html" => Format::Html,
                    other => {
                        return Err(format!(
                            "--format: '{other}' is not jsonl, timeline or html"
                        ));
                    }
                }
            }
            "--timeline" => options.format = Format::Timeline,
            "-" => options.scenario = Some("-".to_owned()),
            other if other.starts_with('-') => {
                return Err(format!("unknown option '{other}' (see --help)"));
            }
            path => {
                if options.scenario.replace(path.to_owned()).is_some() {
                    return Err("give one scenario at most".to_owned());
                }
            }
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            // The message quotes the argument, which may hold anything.
            eprintln!("ivr-replay: {}", terminal_safe(&message));
            return ExitCode::from(2);
        }
    };
    let input: Box<dyn Read> = match options.scenario.as_deref() {
        None => Box::new(replay::DEMO.as_bytes()),
        Some("-") => Box::new(io::stdin()),
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("ivr-replay: cannot read {}: {e}", terminal_safe(path));
                return ExitCode::from(2);
            }
        },
    };
    // The demo is deterministic too, so its output can be compared.
    let seed = options.seed.or(options.scenario.is_none().then_some(1));
    let ids = seed.map_or(IdSource::Random, IdSource::seeded);
    let stream_options = StreamOptions {
        replay: ReplayOptions {
            ids,
            snapshot_at: options.snapshot_at.map(Instant::from_millis),
        },
        format: match options.format {
            Format::Jsonl => OutputFormat::Jsonl {
                pretty: options.pretty,
            },
            Format::Timeline => OutputFormat::Timeline,
            Format::Html => OutputFormat::Html,
        },
        max_line_bytes: options.max_line_bytes,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match replay::stream(input, &mut out, stream_options) {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read the output has gone: nothing is left to do.
        Err(StreamError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(StreamError::Write(e)) => {
            eprintln!("ivr-replay: cannot write output: {e}");
            ExitCode::from(1)
        }
        Err(StreamError::Line(LineError {
            line,
            kind: LineErrorKind::Read(e),
        })) => {
            let name = match options.scenario.as_deref() {
                Some("-") => "stdin",
                Some(path) => path,
                None => "the demo",
            };
            eprintln!(
                "ivr-replay: cannot read {} (line {line}): {e}",
                terminal_safe(name)
            );
            ExitCode::from(2)
        }
        Err(error) => {
            // Messages quote the input: keep its control characters off the terminal.
            eprintln!("ivr-replay: {}", terminal_safe(&error.to_string()));
            ExitCode::from(2)
        }
    }
}
