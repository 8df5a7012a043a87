//! URL and method → what the request is about.

use crate::id::{CallId, OperationId};
use crate::model::ApiVersion;

use super::GraphError;

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

/// Parses the method and URL. Accepts `https://graph.microsoft.com/{v1.0|beta}/...`,
/// any other host (an emulator's own), and bare paths (v1.0); the
/// `/communications/calls` and deprecated `/app/calls` forms; action
/// segments with or without `microsoft.graph.`.
pub(super) fn parse(method: &str, url: &str) -> Result<Route, GraphError> {
    let (has_host, path) = strip_origin(url);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segments: Vec<&str> = path.split('/').collect();
    // A leading slash and trailing slashes carry no segment.
    if segments.first() == Some(&"") {
        segments.remove(0);
    }
    while segments.len() > 1 && segments.last() == Some(&"") {
        segments.pop();
    }
    let mut rest = &segments[..];
    let api = match rest.first() {
        Some(s) if s.eq_ignore_ascii_case("v1.0") => {
            rest = &rest[1..];
            ApiVersion::V1
        }
        Some(s) if s.eq_ignore_ascii_case("beta") => {
            rest = &rest[1..];
            ApiVersion::Beta
        }
        Some(s) if has_host => return Err(unknown_segment(s)),
        _ => ApiVersion::V1,
    };
    let rest = match rest {
        [root, calls, rest @ ..]
            if (root.eq_ignore_ascii_case("communications")
                || root.eq_ignore_ascii_case("app"))
                && calls.eq_ignore_ascii_case("calls") =>
        {
            rest
        }
        [first, ..] => return Err(unknown_segment(first)),
        [] => return Err(unknown_segment("")),
    };
    let method = method.trim();
    match rest {
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
                    "operation '{operation}' was not found on call '{call}'"
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
    let Some((scheme, rest)) = url.split_once("://") else {
        return (false, url);
    };
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return (false, url);
    }
    match rest.find('/') {
        Some(slash) => (true, &rest[slash..]),
        None => (true, ""),
    }
}

fn call_id(segment: &str) -> Result<CallId, GraphError> {
    if segment.trim().is_empty() {
        Err(GraphError::not_found("the call id is missing from the URL"))
    } else {
        Ok(CallId::new(segment))
    }
}

fn action_name(segment: &str, api: ApiVersion) -> Result<ActionName, GraphError> {
    let name = match segment.get(..16) {
        Some(prefix) if prefix.eq_ignore_ascii_case("microsoft.graph.") => &segment[16..],
        _ => segment,
    };
    let lower = name.to_ascii_lowercase();
    match (lower.as_str(), api) {
        ("playprompt", _) => Ok(ActionName::PlayPrompt),
        ("recordresponse", _) | ("record", ApiVersion::Beta) => Ok(ActionName::RecordResponse),
        ("subscribetotone", _) => Ok(ActionName::SubscribeToTone),
        ("cancelmediaprocessing", _) => Ok(ActionName::CancelMediaProcessing),
        _ => Err(unknown_segment(segment)),
    }
}

fn unknown_segment(segment: &str) -> GraphError {
    GraphError::bad_request(format!("resource not found for the segment '{segment}'"))
}

fn method_not_allowed(method: &str, allowed: &str) -> GraphError {
    GraphError {
        status: 405,
        code: "MethodNotAllowed",
        message: format!("method '{method}' is not allowed on this resource; use {allowed}"),
    }
}
