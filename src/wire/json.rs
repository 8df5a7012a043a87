//! Writing JSON: resources (via [`super::resource`]), errors, and request
//! bodies. Borrowing structs with a fixed field order: nothing goes through
//! an intermediate `Value`, and the output is the same bytes every time.

use std::borrow::Cow;

use serde::Serialize;

use super::resource::{CommsNotification, CommsNotifications, OperationResource, OperationStyle};
use crate::id::CallId;
use crate::io::Notification;
use crate::model::{Action, ApiVersion, MediaPrompt, Operation, Request};

/// Writes one `commsNotifications` envelope holding `notes`.
pub(super) fn write_envelope<'a>(
    out: &mut Vec<u8>,
    call: &'a CallId,
    notes: impl IntoIterator<Item = &'a Notification>,
    legacy_resource: bool,
) {
    let envelope = CommsNotifications::new(
        notes
            .into_iter()
            .map(|note| CommsNotification::new(call, note, legacy_resource))
            .collect(),
    );
    // Writing borrowed strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(out, &envelope);
}

/// Writes an operation.
pub(super) fn write_operation(
    out: &mut Vec<u8>,
    call: &CallId,
    op: &Operation,
    style: OperationStyle,
) {
    let _ = serde_json::to_writer(out, &OperationResource::new(call, op, style));
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

/// Writes `{"error":{"code":..,"message":..}}`.
pub(super) fn write_error(out: &mut Vec<u8>, code: &str, message: &str) {
    let error = ErrorJson {
        error: ErrorBody { code, message },
    };
    let _ = serde_json::to_writer(out, &error);
}

#[derive(Serialize)]
struct MediaInfoJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    uri: &'a str,
    #[serde(rename = "resourceId", skip_serializing_if = "Option::is_none")]
    resource_id: Option<&'a str>,
}

#[derive(Serialize)]
struct PromptJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "mediaInfo")]
    media_info: MediaInfoJson<'a>,
}

impl<'a> PromptJson<'a> {
    fn new(prompt: &'a MediaPrompt) -> Self {
        Self {
            odata_type: "#microsoft.graph.mediaPrompt",
            media_info: MediaInfoJson {
                odata_type: "#microsoft.graph.mediaInfo",
                uri: &prompt.uri,
                resource_id: prompt.resource_id.as_deref(),
            },
        }
    }
}

#[derive(Serialize)]
struct RequestJson<'a> {
    #[serde(rename = "clientContext", skip_serializing_if = "Option::is_none")]
    client_context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompts: Option<Vec<PromptJson<'a>>>,
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    loop_forever: Option<bool>,
    #[serde(rename = "bargeInAllowed", skip_serializing_if = "Option::is_none")]
    barge_in_allowed: Option<bool>,
    #[serde(
        rename = "initialSilenceTimeoutInSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    initial_silence: Option<u32>,
    #[serde(
        rename = "maxSilenceTimeoutInSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    max_silence: Option<u32>,
    #[serde(
        rename = "maxRecordDurationInSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    max_duration: Option<u32>,
    #[serde(rename = "playBeep", skip_serializing_if = "Option::is_none")]
    play_beep: Option<bool>,
    #[serde(rename = "stopTones", skip_serializing_if = "Option::is_none")]
    stop_tones: Option<Vec<Cow<'static, str>>>,
}

/// Writes the body a bot POSTs for `request`: every property explicit,
/// `loop` only on beta (v1.0 has none).
pub(super) fn write_request(out: &mut Vec<u8>, request: &Request) {
    let mut body = RequestJson {
        client_context: request.client_context.as_deref(),
        prompts: None,
        loop_forever: None,
        barge_in_allowed: None,
        initial_silence: None,
        max_silence: None,
        max_duration: None,
        play_beep: None,
        stop_tones: None,
    };
    match &request.action {
        Action::PlayPrompt(play) => {
            body.prompts = Some(play.prompts.iter().map(PromptJson::new).collect());
            body.loop_forever = (request.api == ApiVersion::Beta).then_some(play.loop_forever);
        }
        Action::Record(record) => {
            body.prompts = Some(record.prompt.iter().map(PromptJson::new).collect());
            body.barge_in_allowed = Some(record.barge_in_allowed);
            body.initial_silence = Some(record.initial_silence_timeout_secs);
            body.max_silence = Some(record.max_silence_timeout_secs);
            body.max_duration = Some(record.max_record_duration_secs);
            body.play_beep = Some(record.play_beep);
            body.stop_tones = Some(
                record
                    .stop_tones
                    .iter()
                    .map(|t| Cow::Borrowed(t.as_str()))
                    .collect(),
            );
        }
        Action::SubscribeToTone | Action::CancelMediaProcessing => {}
    }
    let _ = serde_json::to_writer(out, &body);
}
