//! A request body is read straight into typed fields, yet it means what the
//! same JSON means as an object: escaped property names are the names they
//! spell, the last of a repeated property counts, `null` is as good as
//! absent, and an unknown property's JSON is still checked.

use ivr_media_queue::wire::{self, ParsedRequest, WireConfig};
use ivr_media_queue::{Action, Request};

const URL: &str = "https://graph.microsoft.com/v1.0/communications/calls/c1/playPrompt";

fn parse(body: &str) -> Result<Request, String> {
    match wire::parse_request(&WireConfig::default(), "POST", URL, body.as_bytes()) {
        Ok(ParsedRequest::Action { request, .. }) => Ok(request),
        Ok(other) => panic!("not an action: {other:?}"),
        Err(error) => Err(error.message),
    }
}

fn uris(request: &Request) -> Vec<String> {
    match &request.action {
        Action::PlayPrompt(play) => play.prompts.iter().map(|p| p.uri.to_string()).collect(),
        other => panic!("not a playPrompt: {other:?}"),
    }
}

#[test]
fn escaped_property_names_are_the_names_they_spell() {
    let request = parse(
        r#"{"client\u0043ontext":"ctx","prompts":[{"media\u0049nfo":{"ur\u0069":"a.wav"}}]}"#,
    )
    .unwrap();
    assert_eq!(request.client_context.as_deref(), Some("ctx"));
    assert_eq!(uris(&request), ["a.wav"]);
}

#[test]
fn the_last_of_a_repeated_property_counts() {
    let request =
        parse(r#"{"clientContext":5,"clientContext":"second","prompts":[{"mediaInfo":{"uri":"a.wav","uri":"b.wav"}}]}"#)
            .unwrap();
    assert_eq!(request.client_context.as_deref(), Some("second"));
    assert_eq!(uris(&request), ["b.wav"]);
    assert_eq!(
        parse(r#"{"clientContext":"first","clientContext":5}"#).unwrap_err(),
        "clientContext: must be a string, got the number 5"
    );
}

#[test]
fn null_is_as_good_as_absent() {
    let request = parse(r#"{"clientContext":null,"loop":null,"prompts":[{"@odata.type":null,"mediaInfo":{"uri":"a.wav","resourceId":null}}]}"#).unwrap();
    assert_eq!(request.client_context, None);
    assert_eq!(uris(&request), ["a.wav"]);
    assert_eq!(
        parse(r#"{"prompts":[{"mediaInfo":{"uri":null}}]}"#).unwrap_err(),
        "prompts[0].mediaInfo.uri: is required"
    );
}

#[test]
fn an_unknown_property_must_still_be_valid_json() {
    let refused = parse(r#"{"extra":"\ud800","prompts":[]}"#).unwrap_err();
    assert!(refused.starts_with("body: not valid JSON: "), "{refused}");
    let deep = format!(r#"{{"extra":{}{}}}"#, "[".repeat(200), "]".repeat(200));
    let refused = parse(&deep).unwrap_err();
    assert!(refused.contains("recursion limit exceeded"), "{refused}");
    assert!(parse(r#"{"extra":{"any":[1,"two",null]},"prompts":[]}"#).is_ok());
}

#[test]
fn a_value_of_another_type_is_quoted_as_json() {
    assert_eq!(
        parse(r#"{"prompts":[{"@odata.type":{"a":[1,2]},"mediaInfo":{"uri":"a"}}]}"#).unwrap_err(),
        r#"prompts[0].@odata.type: must be #microsoft.graph.mediaPrompt, got {"a":[1,2]}"#
    );
    assert_eq!(
        parse(r#"{"prompts":[{"@odata.type":"x\"y","mediaInfo":{"uri":"a"}}]}"#).unwrap_err(),
        r#"prompts[0].@odata.type: must be #microsoft.graph.mediaPrompt, got "x\"y""#
    );
    assert_eq!(
        parse(r#"{"prompts":{"a":1}}"#).unwrap_err(),
        "prompts: must be an array, got an object"
    );
}

#[test]
fn a_body_that_is_not_utf8_is_refused_where_it_is_not() {
    let body = b"{\"clientContext\":\"caf\xe9\"}";
    let refused = wire::parse_request(&WireConfig::default(), "POST", URL, body).unwrap_err();
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.message,
        "body: not valid JSON: invalid unicode code point at line 1 column 22"
    );
}

fn parse_at(action: &str, body: &str) -> Result<Request, String> {
    let url = format!("https://graph.microsoft.com/v1.0/communications/calls/c1/{action}");
    match wire::parse_request(&WireConfig::default(), "POST", &url, body.as_bytes()) {
        Ok(ParsedRequest::Action { request, .. }) => Ok(request),
        Ok(other) => panic!("not an action: {other:?}"),
        Err(error) => Err(error.message),
    }
}

#[test]
fn actions_without_prompts_read_their_context_and_check_the_rest_as_json() {
    for action in ["subscribeToTone", "cancelMediaProcessing"] {
        assert_eq!(
            parse_at(action, r#"{"clientContext":5}"#).unwrap_err(),
            "clientContext: must be a string, got the number 5"
        );
        let refused = parse_at(action, r#"{"extra":"\ud800"}"#).unwrap_err();
        assert!(refused.starts_with("body: not valid JSON: "), "{refused}");
        // What they do not read is not checked for its type.
        let request = parse_at(action, r#"{"prompts":5,"clientContext":"c"}"#).unwrap();
        assert_eq!(request.client_context.as_deref(), Some("c"));
    }
}

#[test]
fn a_record_reads_its_own_properties() {
    assert_eq!(
        parse_at("recordResponse", r##"{"stopTones":["#",5]}"##).unwrap_err(),
        "stopTones[1]: must be a string, got the number 5"
    );
    let accepted = parse_at(
        "recordResponse",
        r#"{"prompts":[{"mediaInfo":{"uri":"a.wav"},"loop":null}]}"#,
    );
    assert!(accepted.is_ok(), "{accepted:?}");
    assert_eq!(
        parse_at(
            "recordResponse",
            r#"{"prompts":[{"mediaInfo":{"uri":"a.wav"},"loop":false}]}"#
        )
        .unwrap_err(),
        "prompts[0].loop: loop not supported for record"
    );
}
