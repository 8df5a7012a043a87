//! A call id no Graph URL can name is refused where calls come in: at
//! establishment (and, see the snapshot tests, at restore).

use ivr_media_queue::{
    CallId, Engine, EngineConfig, EstablishError, Instant, InvalidCallId, MAX_CALL_ID_BYTES,
};

#[test]
fn establishing_an_unreachable_id_is_refused_and_changes_nothing() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let long = "x".repeat(MAX_CALL_ID_BYTES + 1);
    for (id, reason) in [
        ("", InvalidCallId::Blank),
        ("  ", InvalidCallId::Blank),
        ("a/b", InvalidCallId::Slash),
        ("a\u{1b}[31mb", InvalidCallId::ControlCharacter),
        ("a\nb", InvalidCallId::ControlCharacter),
        (
            long.as_str(),
            InvalidCallId::TooLong {
                bytes: MAX_CALL_ID_BYTES + 1,
            },
        ),
    ] {
        let call = CallId::new(id);
        assert_eq!(
            engine.handle_call_established(Instant::ZERO, &call),
            Err(EstablishError::InvalidCallId {
                id: call.clone(),
                reason
            }),
            "{id:?}"
        );
        assert_eq!(CallId::parse(id), Err(reason));
    }
    assert_eq!(engine.call_count(), 0);
}

#[test]
fn ids_a_url_can_name_are_taken_lowercased() {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    for id in [
        "C1",
        "19:meeting_abc@thread.v2",
        "a b?#%",
        &"y".repeat(MAX_CALL_ID_BYTES),
    ] {
        let call = CallId::parse(id).unwrap();
        assert_eq!(call.as_str(), id.to_ascii_lowercase());
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
    }
    assert_eq!(engine.call_count(), 4);
}
