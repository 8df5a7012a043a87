//! The URLs the service writes name their call so that they can be
//! followed: a call id with a byte a path segment cannot hold as it is
//! (`%`, a space, `?`, `#`, non-ASCII) is percent-encoded in `Location`,
//! `@odata.id` and a notification's `resourceUrl`, and reads back as the
//! same call. Graph's own ids are written as they are.

use ivr_media_queue::wire::{self, WireConfig};
use ivr_media_queue::{CallId, Engine, EngineConfig, IdSource, Instant, MediaInput, Tone};

#[test]
fn a_location_can_be_followed_whatever_the_call_id() {
    for (id, written) in [
        ("a%b c?#é", "a%25b%20c%3F%23%C3%A9"),
        ("19:meeting_x@thread.v2", "19:meeting_x@thread.v2"),
    ] {
        let engine = Engine::new(EngineConfig {
            ids: IdSource::seeded(1),
            ..EngineConfig::default()
        })
        .unwrap();
        let call = CallId::parse(id).unwrap();
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        let url = format!("/communications/calls/{written}/subscribeToTone");
        let http = |method: &str, url: &str| {
            wire::handle_http(
                &engine,
                &WireConfig::default(),
                Instant::ZERO,
                method,
                url,
                b"{}",
            )
        };
        let created = http("POST", &url);
        assert_eq!(created.status, 200, "{:?}", created.body);
        let location = created.location.expect("a Location");
        assert!(
            location.contains(&format!("/calls/{written}/operations/")),
            "{location}"
        );
        let read = http("GET", &location);
        assert_eq!(read.status, 200, "{id}: {location}: {:?}", read.body);
        assert!(
            read.body
                .unwrap()
                .contains(&format!("/calls/{written}/operations/"))
        );

        // A notification's resourceUrl names the call the same way, and a
        // bot parsing it gets the call back.
        engine
            .handle_media(Instant::ZERO, &call, None, MediaInput::Tone(Tone::Pound))
            .unwrap();
        let note = engine.poll_output().expect("the tone");
        let ivr_media_queue::Output::Notification(note) = note.output else {
            panic!("a notification");
        };
        let json = wire::notification_json(&call, &note, &WireConfig::default());
        assert!(
            json.contains(&format!("\"/communications/calls/{written}\"")),
            "{json}"
        );
        let parsed = wire::parse_notifications(json.as_bytes()).unwrap();
        assert_eq!(parsed.value[0].resource_url.call, call.as_str());
    }
}

/// RFC 3986 `pchar`, less the percent-encoded form: what a path segment
/// may hold as it is.
const PLAIN: &[u8] = b"-._~!$&'()*+,;=:@";

#[test]
fn each_printable_byte_is_written_as_it_is_exactly_when_a_segment_may_hold_it() {
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        ..EngineConfig::default()
    })
    .unwrap();
    // Upper-case letters are left out: ids are kept in lower case.
    for byte in (b'!'..=b'~').filter(|b| !b.is_ascii_uppercase()) {
        let Ok(call) = CallId::parse(&format!("a{}b", char::from(byte))) else {
            continue;
        };
        engine
            .handle_call_established(Instant::ZERO, &call)
            .unwrap();
        let created = wire::handle_http(
            &engine,
            &WireConfig::default(),
            Instant::ZERO,
            "POST",
            &format!("/communications/calls/a%{byte:02X}b/subscribeToTone"),
            b"{}",
        );
        let location = created.location.expect("a Location");
        let written = if byte.is_ascii_alphanumeric() || PLAIN.contains(&byte) {
            format!("/calls/a{}b/", char::from(byte))
        } else {
            format!("/calls/a%{byte:02X}b/")
        };
        assert!(location.contains(&written), "{byte}: {location}");
    }
}
