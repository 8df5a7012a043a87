//! After percent-decoding, a call id in a URL must be one a URL can name
//! (`CallId::parse`: 1 to 256 bytes, not blank, no control character):
//! anything else is 400 BadRequest naming the rule, before any call is
//! looked up. A missing id (an empty segment) stays 404.

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{Engine, EngineConfig, Instant, MAX_CALL_ID_BYTES};

fn answer(method: &str, url: &str) -> (u16, serde_json::Value) {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let response = wire::handle_http(
        &engine,
        &WireConfig::default(),
        Instant::ZERO,
        method,
        url,
        b"",
    );
    let body = serde_json::from_str(response.body.as_deref().unwrap_or("null")).unwrap();
    (response.status, body)
}

#[test]
fn an_unnameable_call_id_is_400_naming_the_rule() {
    let long = "a".repeat(MAX_CALL_ID_BYTES + 1);
    for (id, rule) in [
        ("%20%20", "a call id must not be blank"),
        ("%09", "a call id must not be blank"),
        ("c%01", "a call id must not contain control characters"),
        (
            "c%1B%5B31m",
            "a call id must not contain control characters",
        ),
        ("c%C2%9B", "a call id must not contain control characters"),
        (long.as_str(), "a call id is at most 256 bytes, got 257"),
    ] {
        for (method, url) in [
            ("POST", format!("/communications/calls/{id}/playPrompt")),
            (
                "GET",
                format!(
                    "/communications/calls/{id}/operations/00000000-0000-0000-0000-000000000001"
                ),
            ),
            ("DELETE", format!("/communications/calls/{id}")),
        ] {
            let (status, body) = answer(method, &url);
            assert_eq!(status, 400, "{method} {url}");
            assert_eq!(body["error"]["code"], "BadRequest");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with("call id '") && message.ends_with(rule),
                "{method} {url}: {message}"
            );
        }
    }
    // The longest nameable id is only not found.
    let longest = "a".repeat(MAX_CALL_ID_BYTES);
    let (status, _) = answer("DELETE", &format!("/communications/calls/{longest}"));
    assert_eq!(status, 404);
}

#[test]
fn a_missing_call_id_stays_404() {
    let (status, body) = answer("POST", "/communications/calls//playPrompt");
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["message"],
        "the call id is missing from the URL"
    );
}
