//! Graph's JSON resources as typed values, one field per JSON property, in
//! the order the service writes them.
//!
//! The engine's typed outputs become these to be written ([`CommsNotification::new`],
//! [`OperationResource::new`]), and a bot parses what it receives into them
//! ([`crate::wire::parse_notifications`]). Writing one and parsing it back
//! gives the same value; parsing Graph's JSON and writing it gives the same
//! bytes. Strings borrow when writing and own when parsed.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::id::{CallId, OperationId};
use crate::model::{ApiVersion, Operation, OperationKind, OperationStatus, ResultInfo, Tone};

mod notification;
pub use notification::{
    CallResource, CallState, ChangeType, CommsNotification, CommsNotifications, ResourceData,
    ToneInfoResource,
};

/// A JSON property that is left out, written as `null`, or has a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Property<T> {
    /// Not in the object.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Property<T> {
    /// Whether the property is left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }
}

impl<T: Serialize> Serialize for Property<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => v.serialize(s),
            Self::Absent | Self::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Property<T> {
    /// A present property: `null` or a value (absence is the field default).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// Deserialize for types read with `FromStr`.
macro_rules! deserialize_from_str {
    ($ty:ty, $what:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = Cow::<str>::deserialize(d)?;
                text.parse()
                    .map_err(|_| de::Error::custom(format_args!("not {}: {:?}", $what, text)))
            }
        }
    };
}

deserialize_from_str!(OperationId, "an operation id");
deserialize_from_str!(Etag, "an etag W/\"n\"");
deserialize_from_str!(Tone, "a tone");
deserialize_from_str!(OperationKind, "a media operation @odata.type");

// Written as the `&str` each already has, not through `Display`: these are
// on every response and notification.
impl Serialize for OperationId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.encode(&mut [0; 36]))
    }
}

impl Serialize for Tone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for OperationKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.odata_type())
    }
}

impl Serialize for Etag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Tone {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::parse(s).ok_or(())
    }
}

impl OperationKind {
    /// The `@odata.type` (`#microsoft.graph.playPromptOperation`, ...).
    pub const fn odata_type(self) -> &'static str {
        match self {
            Self::PlayPrompt => "#microsoft.graph.playPromptOperation",
            Self::Record => "#microsoft.graph.recordOperation",
            Self::SubscribeToTone => "#microsoft.graph.subscribeToToneOperation",
            Self::CancelMediaProcessing => "#microsoft.graph.cancelMediaProcessingOperation",
            // Extension: never written by the Graph wire (see
            // `wire::extension_notification_json`); named outside Graph's
            // namespace so a stray one cannot pass for Graph.
            Self::CollectDigits => "#ivrMediaQueue.collectDigitsOperation",
        }
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.odata_type())
    }
}

impl FromStr for OperationKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        [
            Self::PlayPrompt,
            Self::Record,
            Self::SubscribeToTone,
            Self::CancelMediaProcessing,
        ]
        .into_iter()
        .find(|kind| kind.odata_type().eq_ignore_ascii_case(s))
        .ok_or(())
    }
}

impl Serialize for OperationStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OperationStatus {
    /// Any case: the SDKs' models spell them PascalCase.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        [
            Self::NotStarted,
            Self::Running,
            Self::Completed,
            Self::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str().eq_ignore_ascii_case(&text))
        .ok_or_else(|| de::Error::custom(format_args!("not an operationStatus: {text:?}")))
    }
}

/// `@odata.etag`, `W/"n"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Etag(pub u64);

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "W/\"{}\"", self.0)
    }
}

impl FromStr for Etag {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let inner = s
            .strip_prefix("W/\"")
            .and_then(|s| s.strip_suffix('"'))
            .ok_or(())?;
        inner.parse().map(Self).map_err(|_| ())
    }
}

/// Which path form a resource URL uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// `/communications/calls/...`.
    Communications,
    /// The legacy `/app/calls/...` (the `resource` field).
    App,
}

/// `/communications/calls/{call}` (or `/app/...`), optionally
/// `/operations/{operation}`: a notification's `resourceUrl`, `resource` and
/// an operation's `@odata.id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourcePath<'a> {
    /// The path form.
    pub root: PathRoot,
    /// The call id.
    pub call: Cow<'a, str>,
    /// The operation id, for an operation.
    pub operation: Option<OperationId>,
}

impl<'a> ResourcePath<'a> {
    fn of(root: PathRoot, call: &'a CallId, operation: Option<OperationId>) -> Self {
        Self {
            root,
            call: Cow::Borrowed(call.as_str()),
            operation,
        }
    }
}

impl ResourcePath<'_> {
    /// The path's pieces, in order, to `piece`.
    fn pieces<E>(&self, mut piece: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
        piece(match self.root {
            PathRoot::Communications => "/communications/calls/",
            PathRoot::App => "/app/calls/",
        })?;
        piece(&super::route::encode(&self.call))?;
        if let Some(op) = self.operation {
            piece("/operations/")?;
            piece(op.encode(&mut [0; 36]))?;
        }
        Ok(())
    }
}

impl fmt::Display for ResourcePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces(|piece| f.write_str(piece))
    }
}

impl FromStr for ResourcePath<'static> {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let mut segments = s.strip_prefix('/').ok_or(())?.split('/');
        let root = match segments.next() {
            Some(r) if r.eq_ignore_ascii_case("communications") => PathRoot::Communications,
            Some(r) if r.eq_ignore_ascii_case("app") => PathRoot::App,
            _ => return Err(()),
        };
        if !segments
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case("calls"))
        {
            return Err(());
        }
        let call = segments.next().filter(|c| !c.is_empty()).ok_or(())?;
        let operation = match (segments.next(), segments.next(), segments.next()) {
            (None, ..) => None,
            (Some(ops), Some(id), None) if ops.eq_ignore_ascii_case("operations") => {
                Some(id.parse().map_err(|_| ())?)
            }
            _ => return Err(()),
        };
        Ok(Self {
            root,
            call: Cow::Owned(super::route::decode(call).map_err(|_| ())?.into_owned()),
            operation,
        })
    }
}

impl Serialize for ResourcePath<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Whole, then escaped in one pass: `collect_str` escapes each piece
        // through the formatter, at three times the cost (a notification
        // writes two of these).
        let mut path = String::with_capacity(self.call.len() + 64);
        let Ok(()) = self.pieces(|piece| {
            path.push_str(piece);
            Ok::<(), Infallible>(())
        });
        s.serialize_str(&path)
    }
}

impl<'de> Deserialize<'de> for ResourcePath<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        text.parse::<ResourcePath<'static>>()
            .map_err(|_| de::Error::custom(format_args!("not a call or operation path: {text:?}")))
    }
}

/// Graph's `resultInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultInfoResource<'a> {
    /// `#microsoft.graph.resultInfo`.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<Cow<'a, str>>,
    /// HTTP-like code.
    pub code: i32,
    /// Detail code.
    pub subcode: i32,
    /// Text.
    pub message: Cow<'a, str>,
}

impl<'a> ResultInfoResource<'a> {
    fn new(info: &'a ResultInfo) -> Self {
        Self {
            odata_type: Some(Cow::Borrowed("#microsoft.graph.resultInfo")),
            code: info.code,
            subcode: info.subcode,
            message: Cow::Borrowed(&info.message),
        }
    }

    fn owned(info: ResultInfo) -> Self {
        Self {
            odata_type: Some(Cow::Borrowed("#microsoft.graph.resultInfo")),
            code: info.code,
            subcode: info.subcode,
            message: info.message,
        }
    }
}

/// How an operation is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationStyle {
    /// The body of the POST response, as the Graph docs show it.
    Response,
    /// A resource (`GET`, notification `resourceData`): with `@odata.id` and
    /// `@odata.etag`.
    Resource,
}

/// A media operation: `playPromptOperation`, `recordOperation`,
/// `subscribeToToneOperation` or `cancelMediaProcessingOperation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResource<'a> {
    /// `@odata.type`.
    #[serde(rename = "@odata.type")]
    pub kind: OperationKind,
    /// `@odata.id`.
    #[serde(rename = "@odata.id", default, skip_serializing_if = "Option::is_none")]
    pub odata_id: Option<ResourcePath<'a>>,
    /// `@odata.etag`.
    #[serde(
        rename = "@odata.etag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub etag: Option<Etag>,
    /// `id`.
    pub id: OperationId,
    /// `clientContext`.
    #[serde(
        rename = "clientContext",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_context: Option<Cow<'a, str>>,
    /// `status`.
    pub status: OperationStatus,
    /// `resultInfo`.
    #[serde(
        rename = "resultInfo",
        default,
        skip_serializing_if = "Property::is_absent"
    )]
    pub result_info: Property<ResultInfoResource<'a>>,
    /// `recordingLocation` (records).
    #[serde(
        rename = "recordingLocation",
        default,
        skip_serializing_if = "Property::is_absent"
    )]
    pub recording_location: Property<Cow<'a, str>>,
    /// `recordingAccessToken` (records).
    #[serde(
        rename = "recordingAccessToken",
        default,
        skip_serializing_if = "Property::is_absent"
    )]
    pub recording_access_token: Property<Cow<'a, str>>,
    /// `completionReason` (beta; and v1.0 record cancellations).
    #[serde(
        rename = "completionReason",
        default,
        skip_serializing_if = "Property::is_absent"
    )]
    pub completion_reason: Property<Cow<'a, str>>,
}

impl<'a> OperationResource<'a> {
    /// How the service shows `op` of `call`, in the API version that
    /// created it.
    pub fn new(call: &'a CallId, op: &'a Operation, style: OperationStyle) -> Self {
        let beta = op.api == ApiVersion::Beta;
        let result = op.end.map(|end| super::graph_result(end, op.kind));
        let ended = result.is_some();
        let completion = result.as_ref().map(|r| r.completion_reason);
        let result_info = match (result, op.kind) {
            (Some(r), _) => Property::Value(ResultInfoResource::owned(r.result_info)),
            (None, OperationKind::Record) => Property::Null,
            (None, OperationKind::SubscribeToTone) if beta => Property::Null,
            (None, _) => Property::Absent,
        };
        let (recording_location, recording_access_token) = match (op.kind, &op.recording) {
            (OperationKind::Record, Some(rec)) => (
                Property::Value(Cow::Borrowed(&*rec.location)),
                Property::Value(Cow::Borrowed(&*rec.access_token)),
            ),
            (OperationKind::Record, None) if ended => (
                Property::Value(Cow::Borrowed("")),
                Property::Value(Cow::Borrowed("")),
            ),
            (OperationKind::Record, None) => (Property::Null, Property::Absent),
            _ => (Property::Absent, Property::Absent),
        };
        // v1.0 has no completionReason, but the service sends it on record
        // cancellations all the same (Graph's own v1.0 example shows it).
        let completion_reason = match (op.kind, op.end, completion) {
            (OperationKind::Record, Some(end), Some(reason)) if beta || end.is_cancellation() => {
                Property::Value(Cow::Borrowed(reason))
            }
            (OperationKind::PlayPrompt, Some(_), Some(reason)) if beta => {
                Property::Value(Cow::Borrowed(reason))
            }
            (OperationKind::Record, None, _) if beta => Property::Null,
            _ => Property::Absent,
        };
        let resource = style == OperationStyle::Resource;
        Self {
            kind: op.kind,
            odata_id: resource
                .then(|| ResourcePath::of(PathRoot::Communications, call, Some(op.id))),
            etag: resource.then_some(Etag(op.etag)),
            id: op.id,
            client_context: op.client_context.as_deref().map(Cow::Borrowed),
            status: op.status,
            result_info,
            recording_location,
            recording_access_token,
            completion_reason,
        }
    }
}
