//! The wire layer reads back what it writes:
//! - every notification and operation the engine can emit serializes to JSON
//!   that parses back to the same typed resource, and that resource writes
//!   the same bytes again;
//! - every typed request written as a body parses back to the same request;
//! - every request body the engine accepts (here: valid bodies with the
//!   noise clients add), re-serialized, is accepted again as the same
//!   request.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256).

use std::sync::Arc;

use ivr_media_queue::wire::resource::{
    CommsNotification, CommsNotifications, OperationResource, OperationStyle,
};
use ivr_media_queue::wire::{self, ParsedRequest, WireConfig};
use ivr_media_queue::{
    Action, ApiVersion, CallId, EndReason, MediaPrompt, MediaRequest, Notification, Operation,
    OperationEnded, OperationId, OperationKind, OperationStatus, PlayPrompt, PromptFailure, Record,
    Recording, Request, ResultInfo, Tone, ToneSet,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _:.-]{0,40}",
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
        Just("quote \" backslash \\ newline \n tab \t é 🎉".to_owned()),
    ]
}

fn call_id() -> impl Strategy<Value = CallId> {
    "[a-zA-Z0-9:@._-]{1,40}".prop_map(|s| CallId::new(&s))
}

fn operation_id() -> impl Strategy<Value = OperationId> {
    any::<u128>().prop_map(|n| {
        OperationId::from_uuid(uuid::Builder::from_random_bytes(n.to_be_bytes()).into_uuid())
    })
}

fn api() -> impl Strategy<Value = ApiVersion> {
    prop_oneof![Just(ApiVersion::V1), Just(ApiVersion::Beta)]
}

fn tone() -> impl Strategy<Value = Tone> {
    prop::sample::select(Tone::ALL.to_vec())
}

fn end_reason() -> impl Strategy<Value = EndReason> {
    prop_oneof![
        Just(EndReason::Completed),
        tone().prop_map(EndReason::StopToneDetected),
        Just(EndReason::MaxRecordDuration),
        Just(EndReason::InitialSilenceTimeout),
        Just(EndReason::MaxSilenceTimeout),
        Just(EndReason::CancelledWhileRunning),
        Just(EndReason::CancelledWhileQueued),
        Just(EndReason::DisplacedByBargeIn),
        Just(EndReason::CallTerminated),
        Just(EndReason::PromptFailed(PromptFailure::Download)),
        Just(EndReason::PromptFailed(PromptFailure::Format)),
        Just(EndReason::BeepFailed),
        Just(EndReason::MediaReceiveTimeout),
        Just(EndReason::RecordingStoreFailed),
    ]
}

fn prompt() -> impl Strategy<Value = MediaPrompt> {
    ("[a-z0-9/._-]{1,30}", prop::option::of(text())).prop_map(|(path, id)| MediaPrompt {
        uri: Arc::from(format!("https://cdn.test/{path}")),
        resource_id: id.map(Arc::from),
    })
}

fn play() -> impl Strategy<Value = PlayPrompt> {
    (prop::collection::vec(prompt(), 1..=20), any::<bool>()).prop_map(|(prompts, loop_forever)| {
        PlayPrompt {
            prompts,
            loop_forever,
        }
    })
}

fn record() -> impl Strategy<Value = Record> {
    (
        prop::option::of(prompt()),
        any::<bool>(),
        (1u32..=120, 1u32..=120, 1u32..=120),
        any::<bool>(),
        prop::collection::vec(tone(), 0..5),
    )
        .prop_map(
            |(prompt, barge_in_allowed, (initial, silence, max), play_beep, tones)| Record {
                prompt,
                barge_in_allowed,
                initial_silence_timeout_secs: initial,
                max_silence_timeout_secs: silence,
                max_record_duration_secs: max,
                play_beep,
                stop_tones: tones.into_iter().collect::<ToneSet>(),
            },
        )
}

fn media_request() -> impl Strategy<Value = MediaRequest> {
    prop_oneof![
        play().prop_map(MediaRequest::PlayPrompt),
        record().prop_map(MediaRequest::Record)
    ]
}

fn recording() -> impl Strategy<Value = Recording> {
    (text(), text()).prop_map(|(l, t)| Recording {
        location: Arc::from(l),
        access_token: Arc::from(t),
    })
}

/// Any operation state the engine can produce.
fn operation() -> impl Strategy<Value = Operation> {
    let kind = prop_oneof![
        Just(OperationKind::PlayPrompt),
        Just(OperationKind::Record),
        Just(OperationKind::SubscribeToTone),
        Just(OperationKind::CancelMediaProcessing),
    ];
    (
        operation_id(),
        kind,
        api(),
        prop::option::of(text()),
        prop::option::of(end_reason()),
        any::<bool>(),
        prop::option::of(recording()),
        any::<u64>(),
    )
        .prop_map(|(id, kind, api, context, end, queued, recording, etag)| {
            let media = matches!(kind, OperationKind::PlayPrompt | OperationKind::Record);
            let end = end.filter(|_| media);
            let status = match (end, media, queued) {
                (Some(end), ..) => end.status(),
                (None, true, true) => OperationStatus::NotStarted,
                (None, true, false) => OperationStatus::Running,
                (None, false, _) => OperationStatus::Completed,
            };
            let completed = status == OperationStatus::Completed && kind == OperationKind::Record;
            Operation {
                id,
                kind,
                api,
                client_context: context.map(Arc::from),
                status,
                end,
                recording: recording.filter(|_| completed),
                etag,
            }
        })
}

fn notification() -> impl Strategy<Value = Notification> {
    prop_oneof![
        (operation(), media_request(), end_reason()).prop_map(|(mut operation, request, end)| {
            operation.kind = match request {
                MediaRequest::PlayPrompt(_) => OperationKind::PlayPrompt,
                MediaRequest::Record(_) => OperationKind::Record,
                other => unreachable!("media_request() makes Graph ones, not {other:?}"),
            };
            operation.end = Some(end);
            operation.status = end.status();
            // The extension fields never reach the wire, so they cannot
            // come back from it.
            Notification::OperationEnded(OperationEnded {
                operation,
                reason: end,
                request,
                ended_by: None,
                partial_recording: None,
                digits: Default::default(),
            })
        }),
        (1u64..u64::MAX, tone())
            .prop_map(|(sequence_id, tone)| Notification::Tone { sequence_id, tone }),
        Just(Notification::CallTerminating),
        (any::<i32>(), any::<i32>(), text()).prop_map(|(code, subcode, message)| {
            Notification::CallTerminated {
                result: ResultInfo {
                    code,
                    subcode,
                    message: message.into(),
                },
            }
        }),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let action = prop_oneof![
        play().prop_map(Action::PlayPrompt),
        record().prop_map(Action::Record),
        Just(Action::SubscribeToTone),
        Just(Action::CancelMediaProcessing),
    ];
    (api(), prop::option::of("[ -~]{0,256}"), action).prop_map(|(api, context, action)| Request {
        api,
        client_context: context.map(Arc::from),
        action,
    })
}

/// What the wire keeps of a request: v1.0 has no `loop`.
fn as_v1_keeps_it(mut request: Request) -> Request {
    if let (ApiVersion::V1, Action::PlayPrompt(play)) = (request.api, &mut request.action) {
        play.loop_forever = false;
    }
    request
}

fn parse(call: &CallId, request: &Request, body: &[u8]) -> Result<Request, wire::GraphError> {
    match wire::parse_request(
        &WireConfig::default(),
        "POST",
        &wire::action_url(call, request),
        body,
    )? {
        ParsedRequest::Action {
            call: parsed,
            request,
        } => {
            assert_eq!(&parsed, call);
            Ok(request)
        }
        other => panic!("an action URL parsed as {other:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn notifications_parse_back_to_the_same_resource(call in call_id(), note in notification(), legacy in any::<bool>()) {
        let json = wire::notification_json(&call, &note, &WireConfig { legacy_resource_field: legacy, ..WireConfig::default() });
        let parsed = wire::parse_notifications(json.as_bytes()).expect("our own JSON parses");
        let expected = CommsNotifications::new(vec![CommsNotification::new(&call, &note, legacy)]);
        prop_assert_eq!(&parsed, &expected);
        prop_assert_eq!(serde_json::to_string(&parsed).expect("serializes"), json);
    }

    #[test]
    fn operations_parse_back_to_the_same_resource(call in call_id(), op in operation(), resource in any::<bool>()) {
        let style = if resource { OperationStyle::Resource } else { OperationStyle::Response };
        let written = OperationResource::new(&call, &op, style);
        let json = serde_json::to_string(&written).expect("serializes");
        let parsed: OperationResource<'static> = serde_json::from_str(&json).expect("our own JSON parses");
        prop_assert_eq!(&parsed, &written);
        prop_assert_eq!(serde_json::to_string(&parsed).expect("serializes"), json);
        if resource {
            prop_assert_eq!(wire::operation_json(&call, &op), serde_json::to_string(&written).expect("serializes"));
        }
    }

    #[test]
    fn typed_requests_parse_back_from_their_body(call in call_id(), request in request()) {
        let body = wire::request_body(&request);
        let parsed = parse(&call, &request, &body).expect("a valid request's body is accepted");
        prop_assert_eq!(parsed, as_v1_keeps_it(request));
    }

    #[test]
    fn accepted_bodies_are_accepted_again_when_reserialized(call in call_id(), request in request(), noise in body_noise()) {
        // A valid body, then noise a client might add: extra properties,
        // @odata.type with or without '#', enum case, nulls, 5.0 for 5.
        let mut body: Value = serde_json::from_slice(&wire::request_body(&request)).expect("JSON");
        noise.apply(&mut body);
        let bytes = serde_json::to_vec(&body).expect("JSON");
        let accepted = parse(&call, &request, &bytes).expect("a body with client noise is accepted");
        let again = parse(&call, &request, &wire::request_body(&accepted)).expect("re-serialized body accepted");
        prop_assert_eq!(&again, &accepted);
        prop_assert_eq!(again, as_v1_keeps_it(request));
    }
}

/// Changes a client might make to a body.
#[derive(Clone, Debug)]
struct Noise {
    extra: Option<(String, i64)>,
    drop_odata_types: bool,
    bare_odata_type: bool,
    shout_tones: bool,
    nulls: bool,
    float_seconds: bool,
}

fn body_noise() -> impl Strategy<Value = Noise> {
    (
        prop::option::of(("[a-zA-Z]{1,12}", any::<i64>())),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(extra, drop_odata_types, bare_odata_type, shout_tones, nulls, float_seconds)| Noise {
                extra,
                drop_odata_types,
                bare_odata_type,
                shout_tones,
                nulls,
                float_seconds,
            },
        )
}

impl Noise {
    fn apply(&self, body: &mut Value) {
        let Value::Object(object) = body else { return };
        if let Some((key, n)) = &self.extra {
            object.entry(key.clone()).or_insert(json!(n));
        }
        if let Some(Value::Array(prompts)) = object.get_mut("prompts") {
            for prompt in prompts.iter_mut().filter_map(Value::as_object_mut) {
                if self.drop_odata_types {
                    prompt.remove("@odata.type");
                } else if self.bare_odata_type {
                    prompt.insert("@odata.type".into(), json!("microsoft.graph.MediaPrompt"));
                }
            }
        }
        if self.shout_tones {
            if let Some(Value::Array(tones)) = object.get_mut("stopTones") {
                for tone in tones.iter_mut() {
                    *tone = json!(tone.as_str().unwrap_or_default().to_uppercase());
                }
            }
        }
        if self.nulls {
            object.entry("clientContext").or_insert(Value::Null);
            object.insert("streamWhileRecording".into(), Value::Null);
        }
        if self.float_seconds {
            if let Some(secs) = object
                .get("maxRecordDurationInSeconds")
                .and_then(Value::as_u64)
            {
                object.insert("maxRecordDurationInSeconds".into(), json!(secs as f64));
            }
        }
    }
}
