//! Path segments are percent-decoded, as Graph's SDKs encode path
//! parameters: `c%31` is call `c1`, and the action and operation id decode
//! too. An encoded '/' (`%2F`, `%2f`), a '%' without two hex digits and an
//! escape that decodes to bytes that are not UTF-8 are 400 BadRequest,
//! naming the rule.

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{CallId, Engine, EngineConfig, Instant};

fn engine() -> Engine {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    engine
        .handle_call_established(Instant::ZERO, &CallId::new("c1"))
        .unwrap();
    engine
}

fn post(engine: &Engine, url: &str) -> wire::GraphResponse {
    wire::handle_http(
        engine,
        &WireConfig::default(),
        Instant::ZERO,
        "POST",
        url,
        b"",
    )
}

#[test]
fn encoded_call_ids_actions_and_operation_ids_are_decoded() {
    let engine = engine();
    for url in [
        "/communications/calls/c%31/subscribeToTone",
        "/communications/calls/%63%31/subscribeToTone",
        "/communications/calls/C%31/%73ubscribe%54o%54one",
        "https://graph.microsoft.com/v1.0/communications/calls/c1/microsoft%2Egraph%2EsubscribeToTone",
    ] {
        let response = post(&engine, url);
        assert_eq!(response.status, 200, "{url}: {:?}", response.body);
        let location = response.location.expect("a Location");
        assert!(location.contains("/calls/c1/operations/"), "{location}");
    }
    let op = post(&engine, "/communications/calls/c1/subscribeToTone")
        .created
        .expect("an operation");
    let encoded = op.to_string().replace('-', "%2D");
    let url = format!("/communications/calls/c%31/operations/{encoded}");
    let response = wire::handle_http(
        &engine,
        &WireConfig::default(),
        Instant::ZERO,
        "GET",
        &url,
        b"",
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
}

#[test]
fn bad_escapes_are_400_naming_the_rule() {
    let engine = engine();
    for (url, rule) in [
        (
            "/communications/calls/c1%2Fx/subscribeToTone",
            "path segment 'c1%2Fx': an encoded '/' (%2F) is not allowed: a path segment cannot hold a '/'",
        ),
        (
            "/communications/calls/c1%2fx/subscribeToTone",
            "path segment 'c1%2fx': an encoded '/' (%2F) is not allowed: a path segment cannot hold a '/'",
        ),
        (
            "/communications/calls/c1/subscribe%2FToTone",
            "path segment 'subscribe%2FToTone': an encoded '/' (%2F) is not allowed: a path segment cannot hold a '/'",
        ),
        (
            "/communications/calls/c%3/subscribeToTone",
            "path segment 'c%3': '%' must be followed by two hex digits",
        ),
        (
            "/communications/calls/c%zz/subscribeToTone",
            "path segment 'c%zz': '%' must be followed by two hex digits",
        ),
        (
            "/communications/calls/c%+1/subscribeToTone",
            "path segment 'c%+1': '%' must be followed by two hex digits",
        ),
        (
            "/communications/calls/c1/subscribeToTone%",
            "path segment 'subscribeToTone%': '%' must be followed by two hex digits",
        ),
        (
            "/communications/calls/c%FF/subscribeToTone",
            "path segment 'c%FF': percent-decoded, it is not UTF-8",
        ),
    ] {
        let response = post(&engine, url);
        assert_eq!(response.status, 400, "{url}");
        let body: serde_json::Value =
            serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "BadRequest", "{url}");
        assert_eq!(body["error"]["message"], rule, "{url}");
    }
}
