//! The HTTP side: hyper 1 on tokio. Every request reads the virtual clock
//! and is answered from what the world returns (the world locks the one call
//! a request is about, and keeps each call's time moving forward).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ivr_media_queue::CallId;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::delivery;
use crate::world::{Reply, World};

/// Request bodies larger than this get 413 before the wire sees them (the
/// wire's own limit, `maxBodyBytes`, is lower by default).
pub const MAX_HTTP_BODY_BYTES: usize = 1 << 20;

/// What every task shares.
pub struct Shared {
    pub clock: Clock,
    pub world: World,
    /// Wakes the timer task when a deadline earlier than its own appears.
    pub timer: Notify,
    pub client: Client<HttpConnector, Full<Bytes>>,
}

impl Shared {
    pub fn new(clock: Clock, world: World) -> Arc<Self> {
        // Small POSTs, one at a time per call: Nagle would hold a body back
        // for the bot's delayed ACK.
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Arc::new(Self {
            clock,
            world,
            timer: Notify::new(),
            client,
        })
    }

    /// Runs `f` on the world at the current virtual time, then starts the
    /// deliveries it asked for and wakes the timer task if it must.
    pub fn with_world<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&World, ivr_media_queue::Instant) -> T,
    ) -> T {
        let result = f(&self.world, self.clock.now());
        self.start_deliveries(self.world.take_kicks());
        if self.world.take_wake() {
            self.timer.notify_one();
        }
        result
    }

    fn start_deliveries(self: &Arc<Self>, kicks: Vec<CallId>) {
        for id in kicks {
            tokio::spawn(delivery::deliver(Arc::clone(self), id));
        }
    }
}

/// Fires what comes due, sleeping until the next deadline or until a new
/// earlier one appears.
pub async fn run_timers(shared: Arc<Shared>) {
    loop {
        let world = &shared.world;
        world.run_due(shared.clock.now());
        let next = world.next_deadline();
        world.arm(next);
        shared.start_deliveries(world.take_kicks());
        match next {
            Some(deadline) => {
                // A hair past the start of the deadline's millisecond, so
                // the clock reads it as come.
                let wall = shared.clock.wall_at(deadline) + std::time::Duration::from_micros(50);
                tokio::select! {
                    () = tokio::time::sleep_until(wall.into()) => {}
                    () = shared.timer.notified() => {}
                }
            }
            None => shared.timer.notified().await,
        }
    }
}

/// Serves one request.
pub async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().as_str().to_owned();
    let url = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let body = match Limited::new(request.into_body(), MAX_HTTP_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let reply = Reply::error(
                413,
                format!("body: larger than {MAX_HTTP_BODY_BYTES} bytes, or cut off"),
            );
            return Ok(response(reply));
        }
    };
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let control = path == "/emulator" || path.starts_with("/emulator/");
    let reply = shared.with_world(|world, now| {
        if control {
            world.control(now, &method, path, query, &body)
        } else {
            world.graph(now, &method, &url, &body)
        }
    });
    Ok(response(reply))
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(reply.status);
    if !reply.body.is_empty() {
        let content_type = if reply.content_type == "application/json" {
            "application/json; charset=utf-8"
        } else {
            reply.content_type
        };
        builder = builder.header("content-type", content_type);
    }
    if let Some(location) = &reply.location {
        builder = builder.header("location", location);
    }
    if let Some(seconds) = reply.retry_after {
        builder = builder.header("retry-after", seconds.to_string());
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
