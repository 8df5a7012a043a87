//! The end of a collect-digits operation (extension) never travels as
//! Graph: Graph envelopes leave it out, it has its own JSON, and a Graph
//! `GET` of the operation answers 404.

use ivr_media_queue::{
    Action, ApiVersion, CallConfig, CallId, CollectDigits, Engine, EngineConfig, IdSource, Instant,
    MediaInput, Notification, Output, Request, Tone, wire,
};

#[test]
fn a_collect_digits_end_is_written_apart_from_graph_notifications() {
    let engine = Engine::new(EngineConfig::new(
        CallConfig::default(),
        IdSource::seeded(3),
    ))
    .unwrap();
    let call = CallId::new("c1");
    let now = Instant::ZERO;
    engine.handle_call_established(now, &call).unwrap();
    let subscribe = Request::new(ApiVersion::V1, Action::SubscribeToTone);
    engine.handle_request(now, &call, subscribe).unwrap();
    let collect = CollectDigits {
        max_digits: 1,
        ..CollectDigits::default()
    };
    let op = engine
        .handle_collect_digits(now, &call, Some("pin".into()), collect)
        .unwrap();
    engine
        .handle_media(now, &call, None, MediaInput::Tone(Tone::Tone7))
        .unwrap();
    let notes: Vec<Notification> = std::iter::from_fn(|| engine.poll_output())
        .filter_map(|out| match out.output {
            Output::Notification(note) => Some(note),
            _ => None,
        })
        .collect();
    let [tone, end] = &notes[..] else {
        panic!("a tone and the collection's end, got {notes:?}");
    };
    assert!(tone.is_graph());
    assert!(!end.is_graph());

    let config = wire::WireConfig::default();
    let mut envelope = Vec::new();
    wire::write_notifications(&mut envelope, &call, [tone, end], &config);
    let parsed = wire::parse_notifications(&envelope).expect("a Graph envelope");
    assert_eq!(parsed.value.len(), 1, "only the tone is Graph's");
    assert!(!String::from_utf8_lossy(&envelope).contains("collectDigits"));

    let json: serde_json::Value =
        serde_json::from_str(&wire::notification_json(&call, end, &config)).unwrap();
    assert_eq!(json["extension"], "ivr-media-queue");
    assert_eq!(json["type"], "collectDigitsEnded");
    assert_eq!(json["operationId"], op.id.to_string());
    assert_eq!(json["digits"], "7");
    assert_eq!(json["status"], "completed");
    assert!(json.get("@odata.type").is_none());
    assert_eq!(wire::extension_notification_json(&call, tone), None);

    let url = format!("/communications/calls/c1/operations/{}", op.id);
    let response = wire::handle_http(&engine, &config, now, "GET", &url, b"");
    assert_eq!(response.status, 404);
    assert!(
        engine.operation(&call, op.id).is_ok(),
        "the typed API has it"
    );
}
