//! Notification delivery (EMULATOR.md, "Notification delivery"): one task
//! per call while its outbox holds something, sending one notification at
//! a time, in order; a failed attempt (refused, no answer within 5 s, not
//! 2xx) is retried 1, 2, 4 and 8 s later (virtual), 5 attempts in all, then
//! the notification is dropped. A slow or dead bot holds up only its own
//! call's task.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use ivr_media_queue::CallId;

use crate::server::Shared;
use crate::world::{Attempt, Outgoing};

/// Attempts per notification.
pub const ATTEMPTS: u32 = 5;
/// Virtual ms to wait after attempt n (1-based) fails.
pub const BACK_OFF_MS: [u64; 4] = [1_000, 2_000, 4_000, 8_000];
/// Virtual ms an attempt may take.
pub const ATTEMPT_TIMEOUT_MS: u64 = 5_000;

/// Delivers the call's outbox until it is empty.
pub async fn deliver(shared: Arc<Shared>, id: CallId) {
    let mut generation = None;
    loop {
        let Some(outgoing) = shared.world.next_delivery(&id) else {
            return;
        };
        if *generation.get_or_insert(outgoing.generation) != outgoing.generation {
            // The call was forgotten and its id reused: the new call's
            // notifications are its own task's.
            return;
        }
        // An https:// callback cannot be reached (no TLS here): no retries.
        let reachable = outgoing.url.starts_with("http://");
        for attempt in 1..=ATTEMPTS {
            let sent = post(&shared, &outgoing).await;
            let last = attempt == ATTEMPTS || !reachable;
            let outcome = match sent {
                Ok(status) if (200..300).contains(&status) => Attempt::Delivered { status },
                Ok(status) => Attempt::Failed {
                    why: format!("HTTP {status}"),
                    last,
                },
                Err(why) => Attempt::Failed { why, last },
            };
            let retry = matches!(outcome, Attempt::Failed { last: false, .. });
            if let Attempt::Failed { why, last: true } = &outcome {
                eprintln!(
                    "graph_emulator: call {id}: notification {} dropped after {attempt} attempts: {why}",
                    outgoing.number
                );
            }
            let now = shared.clock.now();
            shared
                .world
                .delivery_attempted(&id, now, &outgoing, attempt, outcome);
            if !retry {
                break;
            }
            let wait = BACK_OFF_MS[(attempt - 1) as usize];
            tokio::time::sleep(shared.clock.wall(wait)).await;
        }
    }
}

/// One POST; the status, or why there is none.
async fn post(shared: &Shared, outgoing: &Outgoing) -> Result<u16, String> {
    if !outgoing.url.starts_with("http://") {
        return Err(
            "only http:// callbacks are reachable from the emulator (it has no TLS)".to_owned(),
        );
    }
    let request = Request::post(outgoing.url.as_str())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(outgoing.body.clone())))
        .map_err(|e| format!("bad callback URL: {e}"))?;
    let exchange = async {
        let response = shared
            .client
            .request(request)
            .await
            .map_err(|e| format!("no answer: {}", error_chain(&e)))?;
        let status = response.status().as_u16();
        // Read the answer to the end so the connection can carry the next.
        let _ = response.into_body().collect().await;
        Ok(status)
    };
    match tokio::time::timeout(shared.clock.wall(ATTEMPT_TIMEOUT_MS), exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {ATTEMPT_TIMEOUT_MS} ms")),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
