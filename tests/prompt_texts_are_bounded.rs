//! A prompt's `mediaInfo.uri` and `resourceId` are at most 4096 bytes, so
//! what a queued operation holds has a stated size (Graph states no limit;
//! no real prompt URL comes near it). Over HTTP and in the typed API alike.

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, Engine, EngineConfig, Instant, MAX_PROMPT_TEXT_BYTES, MediaPrompt,
    PlayPrompt, Request, RequestError,
};

fn play(uri: &str, resource_id: Option<&str>) -> Request {
    Request::new(
        ApiVersion::V1,
        Action::PlayPrompt(PlayPrompt {
            prompts: vec![
                MediaPrompt::new("https://x.test/ok.wav"),
                MediaPrompt {
                    uri: uri.into(),
                    resource_id: resource_id.map(Into::into),
                },
            ],
            loop_forever: false,
        }),
    )
}

#[test]
fn a_prompt_text_over_4096_bytes_is_refused_naming_the_field() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let call = CallId::new("c1");
    engine
        .handle_call_established(Instant::ZERO, &call)
        .unwrap();
    let edge = format!("https://x.test/{}", "a".repeat(MAX_PROMPT_TEXT_BYTES - 15));
    assert_eq!(edge.len(), MAX_PROMPT_TEXT_BYTES);
    let long = format!("{edge}b");
    engine
        .handle_request(Instant::ZERO, &call, play(&edge, Some(&"r".repeat(4096))))
        .unwrap();
    for (request, field) in [
        (play(&long, None), "prompts[1].mediaInfo.uri"),
        (
            play(&edge, Some(&"r".repeat(4097))),
            "prompts[1].mediaInfo.resourceId",
        ),
    ] {
        match engine.handle_request(Instant::ZERO, &call, request) {
            Err(RequestError::Invalid(error)) => {
                assert_eq!(error.field, field);
                assert!(
                    error
                        .rule
                        .starts_with("must be at most 4096 bytes, got 4097"),
                    "{error}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        engine.view(&call).unwrap().queued.len(),
        0,
        "only the first is held"
    );
    let body = format!(r#"{{"prompts":[{{"mediaInfo":{{"uri":"{long}"}}}}]}}"#);
    let url = "/communications/calls/c1/playPrompt";
    let response = wire::handle_http(
        &engine,
        &WireConfig::default(),
        Instant::ZERO,
        "POST",
        url,
        body.as_bytes(),
    );
    assert_eq!(response.status, 400);
    assert!(
        response
            .body
            .unwrap()
            .contains("prompts[0].mediaInfo.uri: must be at most 4096 bytes")
    );
}
