//! `bare_http`: the floor of the emulator's load benchmark.
//!
//! A hyper 1 server on the same stack and settings as `graph_emulator`
//! (tokio's multi-thread runtime, hyper's HTTP/1.1 server with keep-alive,
//! `hyper_util::rt::TokioIo`, `TCP_NODELAY`) that reads each request's body
//! and answers every request `200` with a small fixed JSON body. Whatever the
//! emulator costs beyond this server is the cost of the emulator itself; the
//! benchmark (`benches/emulator_load.sh`) runs the same load against both.
//!
//! ```text
//! cargo run --release --example bare_http -- --listen 127.0.0.1:0
//! ```
//!
//! `--listen ADDR` (default `127.0.0.1:8791`; port 0 picks a free port). When
//! ready it prints exactly one line on stdout, `listening on http://HOST:PORT`,
//! and flushes it. Ctrl-C or SIGTERM stops it.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The fixed answer: a small JSON object, about the size of a short Graph
/// operation without its ids.
const BODY: &[u8] = br##"{"@odata.type":"#microsoft.graph.operation","status":"completed"}"##;

const USAGE: &str = "usage: bare_http [--listen ADDR]";

fn main() {
    let listen = match parse_args(std::env::args().skip(1)) {
        Ok(listen) => listen,
        Err(message) => {
            eprintln!("bare_http: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(message) = runtime.block_on(serve(listen)) {
        eprintln!("bare_http: {message}");
        std::process::exit(1);
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SocketAddr, String> {
    let mut listen: SocketAddr = "127.0.0.1:8791".parse().expect("a valid default address");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args.next().ok_or("--listen needs an address")?;
                listen = value
                    .parse()
                    .map_err(|e| format!("--listen {value:?}: {e}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(listen)
}

async fn serve(listen: SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{local}").map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
    }
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: wait a little, keep serving.
                    eprintln!("bare_http: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut stop => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer));
            // A client that goes away mid-request is not the server's error.
            let _ = connection.await;
        });
    }
}

/// Reads the whole body (as the emulator must) and answers the fixed 200.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = request.into_body().collect().await;
    let response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(BODY)))
        .expect("a valid fixed response");
    Ok(response)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
