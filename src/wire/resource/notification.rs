//! The `commsNotifications` envelope and what it carries besides
//! operations: the call resource, its state and tone info, and the change
//! types.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{OperationResource, OperationStyle, PathRoot, ResourcePath, ResultInfoResource};
use crate::id::CallId;
use crate::io::Notification;
use crate::model::Tone;

/// Graph's `callState` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum CallState {
    Incoming,
    Establishing,
    Ringing,
    Established,
    Hold,
    Transferring,
    TransferAccepted,
    Redirecting,
    Terminating,
    Terminated,
    UnknownFutureValue,
}

/// Graph's `toneInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToneInfoResource<'a> {
    /// `#microsoft.graph.toneInfo`.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<Cow<'a, str>>,
    /// 1, 2, 3, ... per call.
    #[serde(rename = "sequenceId")]
    pub sequence_id: u64,
    /// The key.
    pub tone: Tone,
}

/// The parts of a `call` that media notifications carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallResource<'a> {
    /// `#microsoft.graph.call`.
    #[serde(rename = "@odata.type")]
    pub odata_type: Cow<'a, str>,
    /// `state`.
    pub state: CallState,
    /// `toneInfo`, on tone notifications.
    #[serde(rename = "toneInfo", default, skip_serializing_if = "Option::is_none")]
    pub tone_info: Option<ToneInfoResource<'a>>,
    /// `resultInfo`, on the `terminated` notification.
    #[serde(
        rename = "resultInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub result_info: Option<ResultInfoResource<'a>>,
}

impl<'a> CallResource<'a> {
    fn new(state: CallState) -> Self {
        Self {
            odata_type: Cow::Borrowed("#microsoft.graph.call"),
            state,
            tone_info: None,
            result_info: None,
        }
    }
}

/// A notification's `resourceData`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceData<'a> {
    /// An operation (`.../operations/{id}`).
    Operation(OperationResource<'a>),
    /// The call.
    Call(CallResource<'a>),
}

/// `changeType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum ChangeType {
    Created,
    Updated,
    Deleted,
}

/// One `commsNotification`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommsNotification<'a> {
    /// `#microsoft.graph.commsNotification`.
    #[serde(rename = "@odata.type")]
    pub odata_type: Cow<'a, str>,
    /// `changeType`.
    #[serde(rename = "changeType")]
    pub change_type: ChangeType,
    /// The legacy `resource` (`/app/calls/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourcePath<'a>>,
    /// `resourceUrl`.
    #[serde(rename = "resourceUrl")]
    pub resource_url: ResourcePath<'a>,
    /// `resourceData`.
    #[serde(rename = "resourceData")]
    pub resource_data: ResourceData<'a>,
}

impl<'a> CommsNotification<'a> {
    /// How the service posts `note` about `call`; `legacy_resource` adds the
    /// `resource` field.
    pub fn new(call: &'a CallId, note: &'a Notification, legacy_resource: bool) -> Self {
        let (change_type, operation, resource_data) = match note {
            Notification::OperationEnded(ended) => (
                ChangeType::Deleted,
                Some(ended.operation.id),
                ResourceData::Operation(OperationResource::new(
                    call,
                    &ended.operation,
                    OperationStyle::Resource,
                )),
            ),
            Notification::Tone { sequence_id, tone } => (
                ChangeType::Updated,
                None,
                ResourceData::Call(CallResource {
                    tone_info: Some(ToneInfoResource {
                        odata_type: Some(Cow::Borrowed("#microsoft.graph.toneInfo")),
                        sequence_id: *sequence_id,
                        tone: *tone,
                    }),
                    ..CallResource::new(CallState::Established)
                }),
            ),
            Notification::CallEstablished => (
                ChangeType::Updated,
                None,
                ResourceData::Call(CallResource::new(CallState::Established)),
            ),
            Notification::CallTerminating => (
                ChangeType::Updated,
                None,
                ResourceData::Call(CallResource::new(CallState::Terminating)),
            ),
            Notification::CallTerminated { result } => (
                ChangeType::Deleted,
                None,
                ResourceData::Call(CallResource {
                    result_info: Some(ResultInfoResource::new(result)),
                    ..CallResource::new(CallState::Terminated)
                }),
            ),
        };
        Self {
            odata_type: Cow::Borrowed("#microsoft.graph.commsNotification"),
            change_type,
            resource: legacy_resource.then(|| ResourcePath::of(PathRoot::App, call, operation)),
            resource_url: ResourcePath::of(PathRoot::Communications, call, operation),
            resource_data,
        }
    }
}

/// The `commsNotifications` envelope: one POST to the bot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommsNotifications<'a> {
    /// `#microsoft.graph.commsNotifications`.
    #[serde(rename = "@odata.type")]
    pub odata_type: Cow<'a, str>,
    /// The notifications.
    pub value: Vec<CommsNotification<'a>>,
}

impl<'a> CommsNotifications<'a> {
    /// An envelope around `value`.
    pub fn new(value: Vec<CommsNotification<'a>>) -> Self {
        Self {
            odata_type: Cow::Borrowed("#microsoft.graph.commsNotifications"),
            value,
        }
    }
}
