//! The Graph wire: HTTP requests in, Graph responses and notification JSON
//! out. The only module that knows JSON.
//!
//! - [`parse_request`]: `(method, url, body)` → a typed [`ParsedRequest`] or
//!   a [`GraphError`].
//! - [`handle_http`]: parse, apply to an [`Engine`], and answer, as the
//!   service would.
//! - [`notification_json`], [`operation_json`]: typed values → exact JSON.
//! - [`parse_notifications`]: what a bot receives → typed [`resource`]s.
//! - [`request_body`], [`action_url`]: a typed request → what a bot sends.

mod body;
#[cfg(test)]
mod body_oracle;
mod json;
pub mod resource;
mod result;
mod route;

#[cfg(feature = "replay")]
pub(crate) use body::truncate;

use std::fmt;

use crate::engine::Engine;
use crate::error::{RequestError, ValidationError};
use crate::id::{CallId, OperationId};
use crate::io::Notification;
use crate::model::{Action, ApiVersion, EndReason, Operation, Request};
use crate::time::Instant;

use resource::{CommsNotifications, OperationStyle};
pub use result::{GraphResult, graph_result};
use route::Route;

/// Settings of the wire layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireConfig {
    /// Larger request bodies get 413. Default 64 KiB.
    pub max_body_bytes: usize,
    /// Also write the legacy `resource` field (`/app/calls/...`) on
    /// notifications, as the real service does. Default true.
    pub legacy_resource_field: bool,
}

impl Default for WireConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            legacy_resource_field: true,
        }
    }
}

/// A request the wire understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedRequest {
    /// `POST .../calls/{call}/{action}`.
    Action {
        /// The call.
        call: CallId,
        /// The typed request.
        request: Request,
    },
    /// `GET .../calls/{call}/operations/{operation}`.
    GetOperation {
        /// The call.
        call: CallId,
        /// The operation.
        operation: OperationId,
    },
    /// `DELETE .../calls/{call}`.
    DeleteCall {
        /// The call.
        call: CallId,
    },
}

/// A Graph error: an HTTP status and `{"error":{"code","message"}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    /// The HTTP status.
    pub status: u16,
    /// Graph's error code (`BadRequest`, `NotFound`, ...).
    pub code: &'static str,
    /// What is wrong, naming the field and the rule.
    pub message: String,
}

impl GraphError {
    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "BadRequest",
            message: message.into(),
        }
    }

    /// 404 `NotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            code: "NotFound",
            message: message.into(),
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for GraphError {}

impl From<ValidationError> for GraphError {
    fn from(e: ValidationError) -> Self {
        Self::bad_request(e.to_string())
    }
}

impl From<RequestError> for GraphError {
    fn from(e: RequestError) -> Self {
        let message = e.to_string();
        match e {
            RequestError::Invalid(_) => Self::bad_request(message),
            RequestError::QueueFull { .. } => Self {
                status: 429,
                code: "TooManyRequests",
                message,
            },
            RequestError::CallFailed(_) => Self {
                status: 500,
                code: "InternalServerError",
                message,
            },
            RequestError::OutputsBacklogged { .. } | RequestError::CallMoving(_) => Self {
                status: 503,
                code: "ServiceUnavailable",
                message,
            },
            _ => Self::not_found(message),
        }
    }
}

/// An HTTP response as the service would send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header, pointing at a created operation.
    pub location: Option<String>,
    /// The JSON body, if any.
    pub body: Option<String>,
    /// The operation the request created (not part of the HTTP response;
    /// for tools that refer to operations later).
    pub created: Option<OperationId>,
}

impl GraphResponse {
    /// The response for a Graph error.
    pub fn error(error: &GraphError) -> Self {
        let mut body = Vec::new();
        json::write_error(&mut body, error.code, &error.message);
        Self {
            status: error.status,
            location: None,
            body: Some(into_string(body)),
            created: None,
        }
    }
}

/// Parses an HTTP request. Errors come in Graph's order: route and method,
/// then body size, then body.
pub fn parse_request(
    config: &WireConfig,
    method: &str,
    url: &str,
    body: &[u8],
) -> Result<ParsedRequest, GraphError> {
    match route::parse(method, url)? {
        Route::Action { api, call, action } => {
            if body.len() > config.max_body_bytes {
                return Err(GraphError {
                    status: 413,
                    code: "RequestEntityTooLarge",
                    message: format!(
                        "body: the request body is {} bytes, more than the limit of {} bytes",
                        body.len(),
                        config.max_body_bytes
                    ),
                });
            }
            let request = body::parse(body, api, action)?;
            Ok(ParsedRequest::Action { call, request })
        }
        Route::Operation { call, operation } => Ok(ParsedRequest::GetOperation { call, operation }),
        Route::DeleteCall { call } => Ok(ParsedRequest::DeleteCall { call }),
    }
}

/// A URL as the wire reads it: see [`call_path_segments`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPath {
    /// `/v1.0` or `/beta` (a bare path is v1.0).
    pub api: ApiVersion,
    /// The percent-decoded segments after `/communications/calls`: empty for
    /// the collection, `[call]`, `[call, action]`, ... An empty segment
    /// where the call id goes (`/calls//playPrompt`) stays, as `""`: the
    /// wire answers it "the call id is missing"; other empty segments are
    /// skipped, as Graph skips them.
    pub segments: Vec<String>,
}

/// How the wire reads a URL: its API version and the percent-decoded path
/// segments after `/communications/calls` (or `/app/calls`). For an
/// embedder that serves more of the call resource than the media actions
/// (an emulator's `answer`, `reject` or `GET` of a call) and wants to read
/// paths exactly as [`parse_request`] does.
pub fn call_path_segments(url: &str) -> Result<CallPath, GraphError> {
    let path = route::calls_path(url)?;
    Ok(CallPath {
        api: path.api,
        segments: path.rest.into_iter().map(|s| s.into_owned()).collect(),
    })
}

/// Serves one HTTP request against `engine`, as the Graph service would:
/// 200 with `Location` and the operation for an action, 200 with the
/// operation for `GET`, 204 for `DELETE`, or a Graph error. The request's
/// notifications and media commands are then waiting in
/// [`Engine::poll_output`].
pub fn handle_http(
    engine: &Engine,
    config: &WireConfig,
    now: Instant,
    method: &str,
    url: &str,
    body: &[u8],
) -> GraphResponse {
    match parse_request(config, method, url, body) {
        Ok(parsed) => handle_parsed(engine, now, parsed),
        Err(error) => GraphResponse::error(&error),
    }
}

/// [`handle_http`] for a request already parsed (for an embedder that looks
/// at it first, to apply `crate::fault` rules for instance).
pub fn handle_parsed(engine: &Engine, now: Instant, parsed: ParsedRequest) -> GraphResponse {
    serve(engine, now, parsed).unwrap_or_else(|error| GraphResponse::error(&error))
}

fn serve(
    engine: &Engine,
    now: Instant,
    parsed: ParsedRequest,
) -> Result<GraphResponse, GraphError> {
    match parsed {
        ParsedRequest::Action { call, request } => {
            let op = engine.handle_request(now, &call, request)?;
            Ok(created_response(&call, &op))
        }
        ParsedRequest::GetOperation { call, operation } => {
            let op = engine.operation(&call, operation)?;
            if !op.kind.is_graph() {
                // Extension operations never show on a Graph path.
                return Err(RequestError::OperationNotFound { call, operation }.into());
            }
            Ok(operation_response(&call, &op, OperationStyle::Resource))
        }
        ParsedRequest::DeleteCall { call } => {
            engine.handle_delete(now, &call)?;
            Ok(GraphResponse {
                status: 204,
                location: None,
                body: None,
                created: None,
            })
        }
    }
}

/// The operation's JSON as a `GET` (or a notification's `resourceData`)
/// shows it, in the API version that created it.
pub fn operation_json(call: &CallId, op: &Operation) -> String {
    let mut out = Vec::new();
    json::write_operation(&mut out, call, op, OperationStyle::Resource);
    into_string(out)
}

/// Extension: the JSON of a notification that is not Graph's (the end of a
/// collect-digits operation), to deliver apart from Graph's
/// `commsNotifications`; `None` for a Graph notification. Its shape is
/// clearly not Graph's: `{"extension": "ivr-media-queue", "type":
/// "collectDigitsEnded", "callId", "operationId", "clientContext",
/// "status", "reason", "digits", "resultInfo": {code, subcode, message},
/// "endedBy"?}`.
pub fn extension_notification_json(call: &CallId, note: &Notification) -> Option<String> {
    let Notification::OperationEnded(ended) = note else {
        return None;
    };
    if ended.operation.kind.is_graph() {
        return None;
    }
    let op = &ended.operation;
    let reason = ended.reason();
    let result = graph_result(reason, op.kind).result_info;
    let json = ExtensionNotification {
        extension: "ivr-media-queue",
        kind: "collectDigitsEnded",
        call_id: call.as_str(),
        operation_id: op.id.to_string(),
        client_context: op.client_context.as_deref(),
        status: op.status.as_str(),
        reason: match reason {
            EndReason::DigitsCollected(end) | EndReason::TooFewDigits(end) => end.name(),
            other => other.name(),
        },
        digits: ended.digits.to_string(),
        result_info: ExtensionResult {
            code: result.code,
            subcode: result.subcode,
            message: &result.message,
        },
        ended_by: ended.ended_by.map(|id| id.to_string()),
    };
    serde_json::to_string(&json).ok()
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtensionNotification<'a> {
    extension: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    call_id: &'a str,
    operation_id: String,
    client_context: Option<&'a str>,
    status: &'static str,
    reason: &'static str,
    digits: String,
    result_info: ExtensionResult<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_by: Option<String>,
}

#[derive(serde::Serialize)]
struct ExtensionResult<'a> {
    code: i32,
    subcode: i32,
    message: &'a str,
}

/// One `commsNotifications` envelope holding one notification; for an
/// extension notification (see [`Notification::is_graph`]), its own JSON
/// instead ([`extension_notification_json`]), so a run loop can post
/// whatever comes.
pub fn notification_json(call: &CallId, note: &Notification, config: &WireConfig) -> String {
    if let Some(json) = extension_notification_json(call, note) {
        return json;
    }
    let mut out = Vec::new();
    write_notifications(&mut out, call, [note], config);
    into_string(out)
}

/// Appends one `commsNotifications` envelope holding `notes` to `out`.
/// Only Graph notifications go in it: an extension one (see
/// [`Notification::is_graph`]) is left out, for
/// [`extension_notification_json`].
pub fn write_notifications<'a>(
    out: &mut Vec<u8>,
    call: &'a CallId,
    notes: impl IntoIterator<Item = &'a Notification>,
    config: &WireConfig,
) {
    let graph = notes.into_iter().filter(|note| note.is_graph());
    json::write_envelope(out, call, graph, config.legacy_resource_field);
}

/// Parses a `commsNotifications` POST body, as a bot receives it.
pub fn parse_notifications(body: &[u8]) -> Result<CommsNotifications<'static>, ValidationError> {
    serde_json::from_slice(body)
        .map_err(|e| ValidationError::new("commsNotifications", e.to_string()))
}

/// The JSON body a bot POSTs for `request` (all properties explicit; `loop`
/// only on beta). [`parse_request`] reads it back as the same request.
pub fn request_body(request: &Request) -> Vec<u8> {
    let mut out = Vec::new();
    json::write_request(&mut out, request);
    out
}

/// `https://graph.microsoft.com/{version}/communications/calls/{call}/{action}`
/// for `request` (`recordResponse` for records).
pub fn action_url(call: &CallId, request: &Request) -> String {
    let action = match request.action {
        Action::PlayPrompt(_) => "playPrompt",
        Action::Record(_) => "recordResponse",
        Action::SubscribeToTone => "subscribeToTone",
        Action::CancelMediaProcessing => "cancelMediaProcessing",
    };
    call_url_then(request.api, call, format_args!("/{action}"))
}

/// `https://graph.microsoft.com/{version}/communications/calls/{call}`: the
/// call itself, which a `DELETE` hangs up.
pub fn call_url(api: ApiVersion, call: &CallId) -> String {
    call_url_then(api, call, format_args!(""))
}

/// `https://graph.microsoft.com/{version}/communications/calls/{call}/operations/{op}`.
pub fn operation_location(api: ApiVersion, call: &CallId, op: OperationId) -> String {
    call_url_then(api, call, format_args!("/operations/{op}"))
}

/// The call's URL followed by `rest`, in one allocation sized for an
/// operation's URL (a `Location` header is written for every operation
/// created).
fn call_url_then(api: ApiVersion, call: &CallId, rest: fmt::Arguments<'_>) -> String {
    use std::fmt::Write as _;
    let call = route::encode(call.as_str());
    // The prefix, the call, `/operations/` and an operation id.
    let mut url = String::with_capacity(56 + call.len() + 48);
    // Writing to a String cannot fail.
    let _ = write!(
        url,
        "https://graph.microsoft.com/{}/communications/calls/{call}{rest}",
        api.segment()
    );
    url
}

/// The 200 response to a POST that created `op`: `Location` and the
/// operation, as the Graph docs show it.
pub fn created_response(call: &CallId, op: &Operation) -> GraphResponse {
    let mut response = operation_response(call, op, OperationStyle::Response);
    response.location = Some(operation_location(op.api, call, op.id));
    response.created = Some(op.id);
    response
}

fn operation_response(call: &CallId, op: &Operation, style: OperationStyle) -> GraphResponse {
    // Room for the usual operation JSON and its clientContext, so that it is
    // written without growing the buffer step by step; a resource also names
    // its path (call and operation ids) and etag.
    let room = match style {
        OperationStyle::Response => 192,
        OperationStyle::Resource => 320 + call.as_str().len(),
    };
    let mut body = Vec::with_capacity(room + op.client_context.as_deref().map_or(0, str::len));
    json::write_operation(&mut body, call, op, style);
    GraphResponse {
        status: 200,
        location: None,
        body: Some(into_string(body)),
        created: None,
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    // serde_json writes UTF-8 only.
    String::from_utf8(bytes).unwrap_or_default()
}
