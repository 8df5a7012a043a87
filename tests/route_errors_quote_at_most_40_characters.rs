//! A route error quotes at most the first 40 characters of what it echoes
//! (an unknown segment, an action, an operation id, a call id, a method),
//! as body errors do: a URL segment of megabytes does not come back whole
//! (a 50 MB one came back as a 50 MB answer).

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{CallId, Engine, EngineConfig, Instant};

#[test]
fn huge_segments_and_methods_come_back_cut() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    engine
        .handle_call_established(Instant::ZERO, &CallId::new("c1"))
        .unwrap();
    let huge = "z".repeat(4 * 1024 * 1024);
    let forty = "z".repeat(40);
    for (method, url, message) in [
        (
            "POST",
            format!("/{huge}/calls/c1/playPrompt"),
            format!("resource not found for the segment '{forty}'"),
        ),
        (
            "POST",
            format!("/communications/calls/c1/{huge}"),
            format!("resource not found for the segment '{forty}'"),
        ),
        (
            "GET",
            format!("/communications/calls/c1/operations/{huge}"),
            format!("operation '{forty}' was not found on call 'c1'"),
        ),
        (
            "POST",
            format!("/communications/calls/{huge}/playPrompt"),
            format!("call id '{forty}': a call id is at most 256 bytes, got 4194304"),
        ),
        (
            "POST",
            format!("/communications/calls/c1/{huge}%zz"),
            format!("path segment '{forty}': '%' must be followed by two hex digits"),
        ),
        (
            huge.as_str(),
            "/communications/calls/c1/playPrompt".to_owned(),
            format!("method '{forty}' is not allowed on this resource; use POST"),
        ),
    ] {
        let response = wire::handle_http(
            &engine,
            &WireConfig::default(),
            Instant::ZERO,
            method,
            &url,
            b"",
        );
        let body = response.body.expect("an error body");
        assert!(body.len() < 300, "{} bytes", body.len());
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["message"], message.as_str());
    }
}
