//! The command line (EMULATOR.md, "Starting it").

use std::net::SocketAddr;
use std::path::PathBuf;

/// What the emulator was started with.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub bot_callback: Option<String>,
    pub speed: f64,
    /// `None`: the `--config` file's, else the emulator's default.
    pub prompt_ms: Option<u64>,
    pub beep_ms: Option<u64>,
    pub store_ms: Option<u64>,
    pub answer_ms: u64,
    pub seed: Option<u64>,
    pub outbox: usize,
    /// The `--config` file's settings object, as JSON text.
    pub config: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8790)),
            bot_callback: None,
            speed: 1.0,
            prompt_ms: None,
            beep_ms: None,
            store_ms: None,
            answer_ms: 500,
            seed: None,
            outbox: 1000,
            config: None,
        }
    }
}

pub const USAGE: &str = "\
graph_emulator: a Microsoft Graph calling service on localhost, built on ivr-media-queue

USAGE: cargo run --release --example graph_emulator -- [OPTIONS]

  --listen ADDR        where to serve (default 127.0.0.1:8790; port 0 picks one)
  --bot-callback URL   the bot's calling webhook, where incoming calls are offered
  --speed N            the virtual clock runs N times faster than the wall clock (default 1)
  --prompt-ms MS       how long a prompt plays unless its URI says durationMs=N (default 1000)
  --beep-ms MS         how long the record beep plays (default 400)
  --store-ms MS        how long storing a recording takes (default 0)
                       (these three: the flag, else the --config file's promptMs,
                       beepMs, storeMs, else the default)
  --answer-ms MS       how long an outbound call rings before it is answered (default 500)
  --seed N             deterministic ids (default: a random seed, printed on stderr;
                       each call's exported scenario names it)
  --outbox N           notifications a call may hold undelivered (default 1000)
  --config FILE        engine settings, as the ivr-replay config line's object
  --help               this text

It prints `listening on http://HOST:PORT` when ready. See EMULATOR.md and the guide (src/guide/emulator.md).
";

/// Parses the arguments (without the program name). `Err` is the message.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let mut value = || args.next().ok_or_else(|| format!("{flag}: needs a value"));
        let number = |text: String, max: u64| -> Result<u64, String> {
            text.parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{flag}: must be a whole number 0 to {max}, got {text:?}"))
        };
        const HOUR_MS: u64 = ivr_media_queue::sim::MAX_SIMULATED_MS;
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                options.listen = text
                    .parse()
                    .map_err(|_| format!("--listen: must be HOST:PORT, got {text:?}"))?;
            }
            "--bot-callback" => {
                let url = value()?;
                check_http_url(&url).map_err(|e| format!("--bot-callback: {e}"))?;
                options.bot_callback = Some(url);
            }
            "--speed" => {
                let text = value()?;
                options.speed = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.001 && *s <= 10_000.0)
                    .ok_or_else(|| {
                        format!("--speed: must be a number from 0.001 to 10000, got {text:?}")
                    })?;
            }
            "--prompt-ms" => options.prompt_ms = Some(number(value()?, HOUR_MS)?),
            "--beep-ms" => options.beep_ms = Some(number(value()?, HOUR_MS)?),
            "--store-ms" => options.store_ms = Some(number(value()?, HOUR_MS)?),
            "--answer-ms" => options.answer_ms = number(value()?, HOUR_MS)?,
            "--seed" => options.seed = Some(number(value()?, u64::MAX)?),
            "--outbox" => {
                let n = number(value()?, 1_000_000)?;
                if n == 0 {
                    return Err("--outbox: must be at least 1".to_owned());
                }
                options.outbox = usize::try_from(n).unwrap_or(usize::MAX);
            }
            "--config" => {
                let path = PathBuf::from(value()?);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("--config: cannot read {}: {e}", path.display()))?;
                options.config = Some(text);
            }
            other => return Err(format!("unknown option {other:?} (see --help)")),
        }
    }
    Ok(options)
}

/// An `http://` or `https://` URL with a host, that an HTTP client can
/// send to (no spaces, a port that exists).
pub fn check_http_url(url: &str) -> Result<(), String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("not a URL an HTTP client can send to ({e}): {url:?}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!("must be an http:// or https:// URL, got {url:?}"));
    }
    let Some(authority) = uri.authority().filter(|a| !a.host().is_empty()) else {
        return Err(format!("must name a host, got {url:?}"));
    };
    if authority.port().is_some() && authority.port_u16().is_none_or(|port| port == 0) {
        return Err(format!("the port must be 1 to 65535, got {url:?}"));
    }
    Ok(())
}
