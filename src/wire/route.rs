//! URL and method → what the request is about.
//!
//! Path segments are percent-decoded (Graph's SDKs encode path parameters):
//! `c%31` is `c1`. An encoded `/` (`%2F`), a `%` without two hex digits
//! after it, and an escape that decodes to bytes that are not UTF-8 are
//! refused (400). After decoding, a call id must be one a URL can name
//! ([`CallId::parse`]): 400 otherwise. Messages quote at most the start of
//! what they echo ([`truncate`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::id::{CallId, OperationId};
use crate::model::ApiVersion;

use super::GraphError;
use super::body::truncate;

/// The resource a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// `POST .../calls/{id}/{action}`.
    Action {
        api: ApiVersion,
        call: CallId,
        action: ActionName,
    },
    /// `GET .../calls/{id}/operations/{opId}`.
    Operation {
        call: CallId,
        operation: OperationId,
    },
    /// `DELETE .../calls/{id}`.
    DeleteCall { call: CallId },
}

/// The action segments Graph knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ActionName {
    PlayPrompt,
    RecordResponse,
    SubscribeToTone,
    CancelMediaProcessing,
}

/// A URL under `.../communications/calls`, split into its decoded segments.
pub(super) struct CallsPath<'a> {
    pub(super) api: ApiVersion,
    /// The segments after `calls` (none for the collection itself).
    pub(super) rest: Vec<Cow<'a, str>>,
}

/// Splits a URL into its API version and the decoded segments after
/// `/communications/calls` (or the deprecated `/app/calls`). Accepts
/// `https://graph.microsoft.com/{v1.0|beta}/...`, any other host (an
/// emulator's own), and bare paths (v1.0).
///
/// Empty segments are skipped, as Graph skips them (the official Python
/// SDK's default base URL ends in `/`, so it sends
/// `/v1.0//communications/calls/...`), with one exception: an empty segment
/// where the call id goes (`/calls//playPrompt`) stays, so that a bot that
/// lost its call id hears "the call id is missing", not about a call named
/// `playPrompt`.
pub(super) fn calls_path(url: &str) -> Result<CallsPath<'_>, GraphError> {
    let (has_host, path) = strip_origin(url);
    // The query and fragment are not the path (bytes: both are ASCII).
    let end = path.bytes().position(|b| b == b'?' || b == b'#');
    let path = end.map_or(path, |end| &path[..end]);
    let mut segments = path.split('/').peekable();
    let mut next_segment = || segments.find(|s| !s.is_empty()).map(decode).transpose();
    let mut first = next_segment()?;
    let api = match &first {
        Some(s) if s.eq_ignore_ascii_case("v1.0") => {
            first = next_segment()?;
            ApiVersion::V1
        }
        Some(s) if s.eq_ignore_ascii_case("beta") => {
            first = next_segment()?;
            ApiVersion::Beta
        }
        Some(s) if has_host => return Err(unknown_segment(s)),
        _ => ApiVersion::V1,
    };
    let calls = next_segment()?;
    match (first, calls) {
        (Some(root), Some(calls))
            if (root.eq_ignore_ascii_case("communications")
                || root.eq_ignore_ascii_case("app"))
                && calls.eq_ignore_ascii_case("calls") => {}
        (Some(first), _) => return Err(unknown_segment(&first)),
        (None, _) => return Err(unknown_segment("")),
    }
    let mut rest = Vec::new();
    if segments.peek() == Some(&"") {
        segments.next();
        if segments.clone().any(|s| !s.is_empty()) {
            rest.push(Cow::Borrowed(""));
        }
    }
    for segment in segments.filter(|s| !s.is_empty()) {
        rest.push(decode(segment)?);
    }
    Ok(CallsPath { api, rest })
}

/// Parses the method and URL (see [`calls_path`]); action segments may
/// carry `microsoft.graph.` or not.
pub(super) fn parse(method: &str, url: &str) -> Result<Route, GraphError> {
    let CallsPath { api, rest } = calls_path(url)?;
    let method = method.trim();
    match rest.as_slice() {
        [call] => {
            let call = call_id(call)?;
            if method.eq_ignore_ascii_case("DELETE") {
                Ok(Route::DeleteCall { call })
            } else {
                Err(method_not_allowed(method, "DELETE"))
            }
        }
        [call, action] => {
            let call = call_id(call)?;
            let action = action_name(action, api)?;
            if method.eq_ignore_ascii_case("POST") {
                Ok(Route::Action { api, call, action })
            } else {
                Err(method_not_allowed(method, "POST"))
            }
        }
        [call, operations, operation] if operations.eq_ignore_ascii_case("operations") => {
            let call = call_id(call)?;
            if !method.eq_ignore_ascii_case("GET") {
                return Err(method_not_allowed(method, "GET"));
            }
            let operation = operation.parse().map_err(|_| {
                GraphError::not_found(format!(
                    "operation '{}' was not found on call '{call}'",
                    truncate(operation)
                ))
            })?;
            Ok(Route::Operation { call, operation })
        }
        [_, other, ..] => Err(unknown_segment(other)),
        [] => Err(GraphError::not_found("the call id is missing from the URL")),
    }
}

/// Splits `scheme://host` off; says whether there was one.
fn strip_origin(url: &str) -> (bool, &str) {
    let url = url.trim();
    let Some(rest) = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))
    else {
        return (false, url);
    };
    match rest.find('/') {
        Some(slash) => (true, &rest[slash..]),
        None => (true, ""),
    }
}

/// `text` after `prefix`, if it starts with it in any case.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.get(..prefix.len())?;
    start
        .eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A call id as a path segment of the URLs the service writes (`Location`,
/// `resourceUrl`, `@odata.id`): what [`decode`] reads back. Bytes a path
/// segment may hold as they are (RFC 3986 `pchar`) stay; the others are
/// percent-encoded, so an id like `a%b` or `a b` is still reachable. Graph's
/// own ids (GUIDs, `19:...@thread.v2`) need none.
pub(super) fn encode(segment: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
    if segment.bytes().all(plain) {
        return Cow::Borrowed(segment);
    }
    let mut encoded = String::with_capacity(segment.len() + 8);
    for byte in segment.bytes() {
        if plain(byte) {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    Cow::Owned(encoded)
}

/// Percent-decodes a path segment; refuses an encoded `/`, a malformed
/// escape, or bytes that are not UTF-8.
pub(super) fn decode(segment: &str) -> Result<Cow<'_, str>, GraphError> {
    if !segment.contains('%') {
        return Ok(Cow::Borrowed(segment));
    }
    let refuse = |rule: &str| {
        GraphError::bad_request(format!("path segment '{}': {rule}", truncate(segment)))
    };
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte != b'%' {
            decoded.push(byte);
            i += 1;
            continue;
        }
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
            return Err(refuse("'%' must be followed by two hex digits"));
        };
        // Both are below 16.
        let byte = (high * 16 + low) as u8;
        if byte == b'/' {
            return Err(refuse(
                "an encoded '/' (%2F) is not allowed: a path segment cannot hold a '/'",
            ));
        }
        decoded.push(byte);
        i += 3;
    }
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|_| refuse("percent-decoded, it is not UTF-8"))
}

/// The call a (decoded) segment names: empty is a missing id (404); one no
/// URL can name (blank, too long, control characters) is 400.
fn call_id(segment: &str) -> Result<CallId, GraphError> {
    if segment.is_empty() {
        return Err(GraphError::not_found("the call id is missing from the URL"));
    }
    CallId::parse(segment).map_err(|reason| {
        GraphError::bad_request(format!("call id '{}': {reason}", truncate(segment)))
    })
}

fn action_name(segment: &str, api: ApiVersion) -> Result<ActionName, GraphError> {
    let name = match segment.get(..16) {
        Some(prefix) if prefix.eq_ignore_ascii_case("microsoft.graph.") => &segment[16..],
        _ => segment,
    };
    let is = |known: &str| name.eq_ignore_ascii_case(known);
    if is("playPrompt") {
        Ok(ActionName::PlayPrompt)
    } else if is("recordResponse") || (is("record") && api == ApiVersion::Beta) {
        Ok(ActionName::RecordResponse)
    } else if is("subscribeToTone") {
        Ok(ActionName::SubscribeToTone)
    } else if is("cancelMediaProcessing") {
        Ok(ActionName::CancelMediaProcessing)
    } else {
        Err(unknown_segment(segment))
    }
}

fn unknown_segment(segment: &str) -> GraphError {
    GraphError::bad_request(format!(
        "resource not found for the segment '{}'",
        truncate(segment)
    ))
}

fn method_not_allowed(method: &str, allowed: &str) -> GraphError {
    GraphError {
        status: 405,
        code: "MethodNotAllowed",
        message: format!(
            "method '{}' is not allowed on this resource; use {allowed}",
            truncate(method)
        ),
    }
}
