//! Graph skips empty path segments, and the official Python SDK relies on it:
//! its default base URL ends in `/`, so it sends `/v1.0//communications/...`.
//! Only the empty segment where the call id goes stays (a lost call id).

use ivr_media_queue::ApiVersion;
use ivr_media_queue::wire::{self, ParsedRequest, WireConfig};

const BODY: &[u8] = br#"{"prompts":[{"mediaInfo":{"uri":"https://a.test/b.wav"}}]}"#;

fn parse(method: &str, url: &str) -> Result<ParsedRequest, (u16, String)> {
    wire::parse_request(&WireConfig::default(), method, url, BODY)
        .map_err(|e| (e.status, e.message))
}

#[test]
fn the_sdk_default_double_slash_reads_as_one() {
    for url in [
        "/v1.0//communications/calls/c1/playPrompt",
        "https://graph.microsoft.com/v1.0//communications/calls/c1/playPrompt",
        "//v1.0///communications//calls/c1//playPrompt/",
    ] {
        let single = parse("POST", "/v1.0/communications/calls/c1/playPrompt");
        assert_eq!(parse("POST", url), single, "{url}");
        assert!(matches!(single, Ok(ParsedRequest::Action { .. })));
    }
    assert_eq!(
        parse("GET", "/beta//communications/calls/c1/operations//x"),
        parse("GET", "/beta/communications/calls/c1/operations/x"),
    );
    assert_eq!(
        parse("DELETE", "/v1.0//communications/calls//c1"),
        Err((404, "the call id is missing from the URL".to_owned())),
        "an empty segment where the call id goes is a missing id"
    );
}

#[test]
fn an_empty_call_id_is_still_missing() {
    let (status, message) = parse("POST", "/v1.0//communications/calls//playPrompt").unwrap_err();
    assert_eq!(status, 404);
    assert_eq!(message, "the call id is missing from the URL");
}

#[test]
fn embedders_read_paths_as_the_wire_does() {
    let path =
        wire::call_path_segments("http://127.0.0.1:8790/beta//communications/calls/c%31//answer")
            .unwrap();
    assert_eq!(path.api, ApiVersion::Beta);
    assert_eq!(path.segments, ["c1", "answer"]);
    let path = wire::call_path_segments("/v1.0//communications/calls").unwrap();
    assert_eq!(path.api, ApiVersion::V1);
    assert!(path.segments.is_empty());
    let path = wire::call_path_segments("/v1.0/communications/calls//playPrompt").unwrap();
    assert_eq!(
        path.segments,
        ["", "playPrompt"],
        "a missing call id stays visible"
    );
    let error = wire::call_path_segments("/v1.0/communications/meetings").unwrap_err();
    assert_eq!(error.status, 400);
}
