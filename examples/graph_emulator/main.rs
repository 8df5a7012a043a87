//! `graph_emulator`: a Microsoft Graph calling service on localhost, built
//! on the crate's public API, for real bots and the official Graph SDKs.
//! The interface is `EMULATOR.md`; the guide's emulator chapter
//! (`src/guide/emulator.md`) shows a bot.
//!
//! ```text
//! cargo run --release --example graph_emulator -- --bot-callback http://127.0.0.1:3978/api/calls
//! ```
//!
//! - `world/`: every call, its `ivr-replay` run (engine, simulated media
//!   layer, fault rules), log, export and outbox; the Graph surface and the
//!   control surface. No I/O, no clock.
//! - `server.rs`: HTTP in (hyper 1 on tokio) and the timer task.
//! - `delivery.rs`: notifications out, in order, with retries.
//! - `clock.rs`: the virtual clock (`--speed`); `options.rs`: the command line.

mod clock;
mod delivery;
mod options;
mod server;
mod world;

#[cfg(test)]
mod tests;

use std::io::Write as _;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::server::Shared;
use crate::world::{World, WorldConfig};

fn main() {
    let options = match options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            let usage = message == options::USAGE;
            eprint!("{message}");
            if !message.ends_with('\n') {
                eprintln!();
            }
            std::process::exit(if usage { 0 } else { 2 });
        }
    };
    let world = match world_config(&options).and_then(World::new) {
        Ok(world) => world,
        Err(message) => {
            eprintln!("graph_emulator: {message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(error) = runtime.block_on(serve(options, world)) {
        eprintln!("graph_emulator: {error}");
        std::process::exit(1);
    }
}

/// The engine and media settings every call's run uses.
fn world_config(options: &options::Options) -> Result<WorldConfig, String> {
    let mut settings = match &options.config {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => match object.get("config") {
                // A whole config line is fine too.
                Some(Value::Object(inner)) if object.len() == 1 => inner.clone(),
                _ => object,
            },
            Ok(_) => return Err("--config: must hold a JSON object of settings".to_owned()),
            Err(e) => return Err(format!("--config: not valid JSON: {e}")),
        },
        None => Map::new(),
    };
    // A flag wins over the file; the file over the emulator's defaults.
    for (key, flag, default) in [
        ("beepMs", options.beep_ms, 400),
        ("storeMs", options.store_ms, 0),
        ("promptMs", options.prompt_ms, 1000),
    ] {
        match flag {
            Some(ms) => {
                settings.insert(key.to_owned(), Value::from(ms));
            }
            None => {
                settings.entry(key).or_insert(Value::from(default));
            }
        }
    }
    // Always a seed, so that every export replays exactly: a random one
    // unless given.
    let seed = options
        .seed
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    if options.seed.is_none() {
        eprintln!("graph_emulator: --seed {seed} (random; give --seed to choose)");
    }
    Ok(WorldConfig {
        bot_callback: options.bot_callback.clone(),
        outbox: options.outbox,
        answer_ms: options.answer_ms,
        seed: Some(seed),
        settings,
    })
}

async fn serve(options: options::Options, world: World) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.listen).await?;
    let address = listener.local_addr()?;
    let shared = Shared::new(Clock::new(options.speed), world);
    tokio::spawn(server::run_timers(Arc::clone(&shared)));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")?;
        stdout.flush()?;
    }
    eprintln!(
        "graph_emulator: speed {}x, bot callback {}",
        options.speed,
        options.bot_callback.as_deref().unwrap_or("(none)")
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: go on.
                    eprintln!("graph_emulator: accept: {error}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |request| server::handle(Arc::clone(&shared), request));
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                // A client that never finishes its headers gives its
                // connection back.
                .header_read_timeout(std::time::Duration::from_secs(30))
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    eprintln!("graph_emulator: stopped");
    Ok(())
}
