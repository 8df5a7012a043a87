//! A scenario's `fault` lines: the rules of [`crate::fault`] as JSON.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::fault::{
    NotificationFault, NotificationKind, NotificationRule, PromptFault, PromptRule, RequestRule,
};
use crate::id::CallId;
use crate::model::{OperationKind, PromptFailure};

use super::scenario::check_keys;

/// The Graph actions a `requests` fault names, by their URL names.
const ACTIONS: [(&str, OperationKind); 4] = [
    ("playPrompt", OperationKind::PlayPrompt),
    ("recordResponse", OperationKind::Record),
    ("subscribeToTone", OperationKind::SubscribeToTone),
    (
        "cancelMediaProcessing",
        OperationKind::CancelMediaProcessing,
    ),
];

/// A fault rule of a `fault` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum FaultRule {
    Notifications(NotificationRule),
    Requests(RequestRule),
    Prompts(PromptRule),
}

impl FaultRule {
    /// The rule in words, for the trace that sets it.
    pub(super) fn describe(&self) -> String {
        let times = |times: Option<u32>| match times {
            None => "every".to_owned(),
            Some(n) => format!("the next {n}"),
        };
        let on_call = |call: &Option<CallId>| {
            call.as_ref()
                .map(|c| format!(" on call {c}"))
                .unwrap_or_default()
        };
        match self {
            Self::Notifications(rule) => {
                let fault = match rule.fault {
                    NotificationFault::Drop => "drop".to_owned(),
                    NotificationFault::Duplicate => "duplicate".to_owned(),
                    NotificationFault::Delay(by) => format!("delay by {} ms", by.as_millis()),
                    NotificationFault::Reorder => "reorder".to_owned(),
                };
                let kind = match rule.kind {
                    NotificationKind::Any => "",
                    NotificationKind::OperationEnded => " operationEnded",
                    NotificationKind::Tone => " tone",
                    NotificationKind::CallState => " callState",
                };
                let context = rule
                    .client_context
                    .as_ref()
                    .map(|c| format!(" with clientContext \"{c}\""))
                    .unwrap_or_default();
                format!(
                    "{fault} {}{kind} notification(s){}{context}",
                    times(rule.times),
                    on_call(&rule.call)
                )
            }
            Self::Requests(rule) => format!(
                "answer {} {} request(s){} with 500/9999",
                times(rule.times),
                rule.action
                    .and_then(|kind| ACTIONS.iter().find(|(_, k)| *k == kind))
                    .map_or("media action", |(name, _)| name),
                on_call(&rule.call)
            ),
            Self::Prompts(rule) => format!(
                "{} for {} play(s) of prompts whose URI contains \"{}\"",
                match rule.fault {
                    PromptFault::Fail(PromptFailure::Download) => "fail the download",
                    PromptFault::Fail(PromptFailure::Format) => "fail the format",
                    PromptFault::PlayTwice => "play twice",
                },
                times(rule.times),
                rule.uri_contains
            ),
        }
    }
}

/// `{"notifications": "drop" | "duplicate" | "reorder" | "delay", "delayMs"?,
/// "kind"?: "any" | "operationEnded" | "tone" | "callState", "call"?,
/// "clientContext"?, "times"?}`, `{"requests": "serverError", "action"?,
/// "call"?, "times"?}` or `{"prompts": "downloadFailed" | "formatInvalid" |
/// "playTwice", "uriContains"?, "times"?}`. `times`: a number (default 1)
/// or `"all"`.
pub(super) fn parse_fault(fault: &Value) -> Result<FaultRule, String> {
    let Value::Object(object) = fault else {
        return Err("fault: must be an object".to_owned());
    };
    let times = fault_times(object)?;
    let call = fault_text(object, "call")?.map(CallId::new);
    if let Some(what) = fault_text(object, "notifications")? {
        return notification_rule(object, what, call, times).map(FaultRule::Notifications);
    }
    if let Some(what) = fault_text(object, "requests")? {
        return request_rule(object, what, call, times).map(FaultRule::Requests);
    }
    if let Some(what) = fault_text(object, "prompts")? {
        return prompt_rule(object, what, times).map(FaultRule::Prompts);
    }
    Err("fault: give \"notifications\", \"requests\" or \"prompts\"".to_owned())
}

/// `fault.{key}`, a string if given.
fn fault_text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("fault.{key}: must be a string, got {other}")),
    }
}

/// `fault.times`: 1 or more, or `"all"` (`None`); 1 when left out.
fn fault_times(object: &Map<String, Value>) -> Result<Option<u32>, String> {
    match object.get("times") {
        None => Ok(Some(1)),
        Some(Value::String(all)) if all == "all" => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| format!("fault.times: must be 1 or more, or \"all\", got {n}")),
        Some(other) => Err(format!(
            "fault.times: must be 1 or more, or \"all\", got {other}"
        )),
    }
}

/// `{"notifications": "drop" | "duplicate" | "reorder" | "delay", ...}`.
fn notification_rule(
    object: &Map<String, Value>,
    what: &str,
    call: Option<CallId>,
    times: Option<u32>,
) -> Result<NotificationRule, String> {
    let fault = match what {
        "drop" => NotificationFault::Drop,
        "duplicate" => NotificationFault::Duplicate,
        "reorder" => NotificationFault::Reorder,
        "delay" => {
            let ms = object
                .get("delayMs")
                .and_then(Value::as_u64)
                .ok_or("fault.delayMs: a delay needs a whole number of ms")?;
            NotificationFault::Delay(std::time::Duration::from_millis(ms))
        }
        other => {
            return Err(format!(
                "fault.notifications: \"drop\", \"duplicate\", \"reorder\" or \"delay\", got \"{other}\""
            ));
        }
    };
    let kind = match fault_text(object, "kind")?.unwrap_or("any") {
        "any" => NotificationKind::Any,
        "operationEnded" => NotificationKind::OperationEnded,
        "tone" => NotificationKind::Tone,
        "callState" => NotificationKind::CallState,
        other => {
            return Err(format!(
                "fault.kind: \"any\", \"operationEnded\", \"tone\" or \"callState\", got \"{other}\""
            ));
        }
    };
    check_keys(
        object,
        &[
            "notifications",
            "delayMs",
            "kind",
            "call",
            "clientContext",
            "times",
        ],
    )?;
    Ok(NotificationRule {
        fault,
        kind,
        call,
        client_context: fault_text(object, "clientContext")?.map(Arc::from),
        times,
    })
}

/// `{"requests": "serverError", "action"?: ...}`.
fn request_rule(
    object: &Map<String, Value>,
    what: &str,
    call: Option<CallId>,
    times: Option<u32>,
) -> Result<RequestRule, String> {
    if what != "serverError" {
        return Err(format!(
            "fault.requests: \"serverError\" (HTTP 500, 9999), got \"{what}\""
        ));
    }
    let action = match fault_text(object, "action")? {
        None => None,
        // Beta's `record` is recordResponse too.
        Some("record") => Some(OperationKind::Record),
        Some(name) => Some(
            ACTIONS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, kind)| *kind)
                .ok_or_else(|| format!("fault.action: not a Graph media action: \"{name}\""))?,
        ),
    };
    check_keys(object, &["requests", "action", "call", "times"])?;
    Ok(RequestRule {
        action,
        call,
        times,
    })
}

/// `{"prompts": "downloadFailed" | "formatInvalid" | "playTwice", ...}`.
fn prompt_rule(
    object: &Map<String, Value>,
    what: &str,
    times: Option<u32>,
) -> Result<PromptRule, String> {
    let fault = match what {
        "downloadFailed" => PromptFault::Fail(PromptFailure::Download),
        "formatInvalid" => PromptFault::Fail(PromptFailure::Format),
        "playTwice" => PromptFault::PlayTwice,
        other => {
            return Err(format!(
                "fault.prompts: \"downloadFailed\", \"formatInvalid\" or \"playTwice\", got \"{other}\""
            ));
        }
    };
    check_keys(object, &["prompts", "uriContains", "times"])?;
    Ok(PromptRule {
        fault,
        uri_contains: Arc::from(fault_text(object, "uriContains")?.unwrap_or("")),
        times,
    })
}
