//! The wire layer on arbitrary `(method, url, body)`: never panics, answers
//! with a status Graph uses, every body is JSON of the right shape.
//!
//! Input: the method on the first line, the URL on the second, the body
//! after (seeds in `fuzz/corpus/wire_request` read that way).

#![no_main]

use ivr_media_queue::wire::{self, resource::OperationResource};
use ivr_media_queue::{CallId, Engine, EngineConfig, IdSource, Instant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let url = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();

    let mut engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(0),
        ..Default::default()
    })
    .unwrap();
    let _ = engine.handle_call_established(Instant::ZERO, &CallId::new("c1"));
    let config = wire::WireConfig {
        max_body_bytes: 2048,
        ..Default::default()
    };
    for now in [0, 1] {
        let response = wire::handle_http(
            &mut engine,
            &config,
            Instant::from_millis(now),
            &method,
            &url,
            body,
        );
        assert!(
            matches!(response.status, 200 | 204 | 400 | 404 | 405 | 413 | 429),
            "status {}",
            response.status
        );
        match (response.status, &response.body) {
            (204, None) => {}
            (200, Some(body)) => {
                let op: OperationResource<'_> =
                    serde_json::from_str(body).expect("a 200 body is an operation");
                assert_eq!(response.location.is_some(), response.created.is_some());
                assert!(response.created.is_none_or(|id| id == op.id));
            }
            (_, Some(body)) => {
                let error: serde_json::Value =
                    serde_json::from_str(body).expect("an error body is JSON");
                assert!(
                    error["error"]["code"].is_string() && error["error"]["message"].is_string()
                );
            }
            (status, body) => panic!("status {status} with body {body:?}"),
        }
        while engine.poll_output().is_some() {}
    }
});
