//! Typed values → the exact Graph JSON.
//!
//! Borrowing structs with a fixed field order: nothing is copied into an
//! intermediate `Value`, and the output is the same bytes every time.

use std::borrow::Cow;
use std::fmt;

use serde::ser::{Serialize, Serializer};

use crate::id::{CallId, OperationId};
use crate::io::Notification;
use crate::model::{ApiVersion, Operation, OperationKind, ResultInfo, Tone};

/// A property that can be left out, written as `null`, or carry a value.
enum Field<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => v.serialize(s),
            Self::Absent | Self::Null => s.serialize_none(),
        }
    }
}

/// Writes a `Display` value as a JSON string without allocating.
struct Text<T>(T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// `/communications/calls/{call}` or `/app/calls/{call}`, with an optional
/// operation.
struct ResourcePath<'a> {
    root: &'static str,
    call: &'a CallId,
    operation: Option<OperationId>,
}

impl fmt::Display for ResourcePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/calls/{}", self.root, self.call)?;
        if let Some(op) = self.operation {
            write!(f, "/operations/{op}")?;
        }
        Ok(())
    }
}

struct Etag(u64);

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "W/\"{}\"", self.0)
    }
}

#[derive(serde::Serialize)]
struct ResultInfoJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    code: i32,
    subcode: i32,
    message: Cow<'a, str>,
}

impl<'a> From<&'a ResultInfo> for ResultInfoJson<'a> {
    fn from(r: &'a ResultInfo) -> Self {
        Self {
            odata_type: "#microsoft.graph.resultInfo",
            code: r.code,
            subcode: r.subcode,
            message: Cow::Borrowed(&r.message),
        }
    }
}

impl ResultInfoJson<'_> {
    fn owned(r: ResultInfo) -> Self {
        Self {
            odata_type: "#microsoft.graph.resultInfo",
            code: r.code,
            subcode: r.subcode,
            message: r.message,
        }
    }
}

/// Which form of an operation to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OperationStyle {
    /// The body of the POST response, as the Graph docs show it.
    Response,
    /// A resource (`GET`, notification `resourceData`): with `@odata.id`
    /// and `@odata.etag`.
    Resource,
}

#[derive(serde::Serialize)]
pub(super) struct OperationJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "@odata.id", skip_serializing_if = "Option::is_none")]
    odata_id: Option<Text<ResourcePath<'a>>>,
    #[serde(rename = "@odata.etag", skip_serializing_if = "Option::is_none")]
    odata_etag: Option<Text<Etag>>,
    id: Text<OperationId>,
    #[serde(rename = "clientContext", skip_serializing_if = "Option::is_none")]
    client_context: Option<&'a str>,
    status: &'static str,
    #[serde(rename = "resultInfo", skip_serializing_if = "Field::is_absent")]
    result_info: Field<ResultInfoJson<'a>>,
    #[serde(rename = "recordingLocation", skip_serializing_if = "Field::is_absent")]
    recording_location: Field<&'a str>,
    #[serde(
        rename = "recordingAccessToken",
        skip_serializing_if = "Field::is_absent"
    )]
    recording_access_token: Field<&'a str>,
    #[serde(rename = "completionReason", skip_serializing_if = "Field::is_absent")]
    completion_reason: Field<&'static str>,
}

impl<'a> OperationJson<'a> {
    pub(super) fn new(call: &'a CallId, op: &'a Operation, style: OperationStyle) -> Self {
        let beta = op.api == ApiVersion::Beta;
        let result = op.end.map(|end| end.graph_result(op.kind));
        let ended = result.is_some();
        let completion = result.as_ref().map(|r| r.completion_reason);
        let odata_type = match op.kind {
            OperationKind::PlayPrompt => "#microsoft.graph.playPromptOperation",
            OperationKind::Record => "#microsoft.graph.recordOperation",
            OperationKind::SubscribeToTone => "#microsoft.graph.subscribeToToneOperation",
            OperationKind::CancelMediaProcessing => {
                "#microsoft.graph.cancelMediaProcessingOperation"
            }
        };
        let result_info = match (result, op.kind) {
            (Some(r), _) => Field::Value(ResultInfoJson::owned(r.result_info)),
            (None, OperationKind::Record) => Field::Null,
            (None, OperationKind::SubscribeToTone) if beta => Field::Null,
            (None, _) => Field::Absent,
        };
        let (recording_location, recording_access_token) = match (op.kind, &op.recording) {
            (OperationKind::Record, Some(rec)) => (
                Field::Value(&*rec.location),
                Field::Value(&*rec.access_token),
            ),
            (OperationKind::Record, None) if ended => (Field::Value(""), Field::Value("")),
            (OperationKind::Record, None) => (Field::Null, Field::Absent),
            _ => (Field::Absent, Field::Absent),
        };
        // v1.0 has no completionReason, but the service sends it on record
        // cancellations all the same (Graph's own v1.0 example shows it).
        let completion_reason = match (op.kind, op.end, completion) {
            (OperationKind::Record, Some(end), Some(reason)) if beta || end.is_cancellation() => {
                Field::Value(reason)
            }
            (OperationKind::PlayPrompt, Some(_), Some(reason)) if beta => Field::Value(reason),
            (OperationKind::Record, None, _) if beta => Field::Null,
            _ => Field::Absent,
        };
        let resource = style == OperationStyle::Resource;
        Self {
            odata_type,
            odata_id: resource.then_some(Text(ResourcePath {
                root: "communications",
                call,
                operation: Some(op.id),
            })),
            odata_etag: resource.then_some(Text(Etag(op.etag))),
            id: Text(op.id),
            client_context: op.client_context.as_deref(),
            status: op.status.as_str(),
            result_info,
            recording_location,
            recording_access_token,
            completion_reason,
        }
    }
}

#[derive(serde::Serialize)]
struct ToneInfoJson {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "sequenceId")]
    sequence_id: u64,
    tone: &'static str,
}

#[derive(serde::Serialize)]
struct CallJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    state: &'static str,
    #[serde(rename = "toneInfo", skip_serializing_if = "Option::is_none")]
    tone_info: Option<ToneInfoJson>,
    #[serde(rename = "resultInfo", skip_serializing_if = "Option::is_none")]
    result_info: Option<ResultInfoJson<'a>>,
}

impl CallJson<'_> {
    fn tone(sequence_id: u64, tone: Tone) -> Self {
        Self {
            odata_type: "#microsoft.graph.call",
            state: "established",
            tone_info: Some(ToneInfoJson {
                odata_type: "#microsoft.graph.toneInfo",
                sequence_id,
                tone: tone.as_str(),
            }),
            result_info: None,
        }
    }
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum ResourceData<'a> {
    Operation(OperationJson<'a>),
    Call(CallJson<'a>),
}

#[derive(serde::Serialize)]
struct NotificationJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "changeType")]
    change_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<Text<ResourcePath<'a>>>,
    #[serde(rename = "resourceUrl")]
    resource_url: Text<ResourcePath<'a>>,
    #[serde(rename = "resourceData")]
    resource_data: ResourceData<'a>,
}

impl<'a> NotificationJson<'a> {
    fn new(call: &'a CallId, note: &'a Notification, legacy_resource: bool) -> Self {
        let (change_type, operation, resource_data) = match note {
            Notification::OperationEnded(ended) => (
                "deleted",
                Some(ended.operation.id),
                ResourceData::Operation(OperationJson::new(
                    call,
                    &ended.operation,
                    OperationStyle::Resource,
                )),
            ),
            Notification::Tone { sequence_id, tone } => (
                "updated",
                None,
                ResourceData::Call(CallJson::tone(*sequence_id, *tone)),
            ),
            Notification::CallTerminating => (
                "updated",
                None,
                ResourceData::Call(CallJson {
                    odata_type: "#microsoft.graph.call",
                    state: "terminating",
                    tone_info: None,
                    result_info: None,
                }),
            ),
            Notification::CallTerminated { result } => (
                "deleted",
                None,
                ResourceData::Call(CallJson {
                    odata_type: "#microsoft.graph.call",
                    state: "terminated",
                    tone_info: None,
                    result_info: Some(ResultInfoJson::from(result)),
                }),
            ),
        };
        let path = |root| {
            Text(ResourcePath {
                root,
                call,
                operation,
            })
        };
        Self {
            odata_type: "#microsoft.graph.commsNotification",
            change_type,
            resource: legacy_resource.then(|| path("app")),
            resource_url: path("communications"),
            resource_data,
        }
    }
}

#[derive(serde::Serialize)]
struct EnvelopeJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    value: Vec<NotificationJson<'a>>,
}

/// Writes one `commsNotifications` envelope holding `notes`.
pub(super) fn write_envelope<'a>(
    out: &mut Vec<u8>,
    call: &'a CallId,
    notes: impl IntoIterator<Item = &'a Notification>,
    legacy_resource: bool,
) {
    let envelope = EnvelopeJson {
        odata_type: "#microsoft.graph.commsNotifications",
        value: notes
            .into_iter()
            .map(|note| NotificationJson::new(call, note, legacy_resource))
            .collect(),
    };
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
    let _ = serde_json::to_writer(out, &OperationJson::new(call, op, style));
}

#[derive(serde::Serialize)]
struct ErrorJson<'a> {
    error: ErrorBody<'a>,
}

#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

/// Writes `{"error":{"code":..,"message":..}}`.
pub(super) fn write_error(out: &mut Vec<u8>, code: &str, message: &str) {
    let _ = serde_json::to_writer(
        out,
        &ErrorJson {
            error: ErrorBody { code, message },
        },
    );
}
