//! The scenario format of `ivr-replay` (JSON Lines), parsed line by line.

use serde_json::{Map, Value};

use crate::id::{CallId, OperationId};
use crate::io::MediaInput;

use super::fault_line::{FaultRule, parse_fault};
use crate::model::{CollectDigits, MediaPrompt, PromptFailure, ResultInfo, Tone};

/// One scenario line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// Blank or a `//` comment.
    Skip,
    /// `{"config": {...}}` (only valid first).
    Config(Map<String, Value>),
    /// A step at a time.
    Step { at_ms: u64, step: Step },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// Only moves the clock.
    Advance,
    /// A bot request.
    Request {
        method: String,
        /// May hold `$opN`.
        url: String,
        body: Vec<u8>,
    },
    /// Extension: print a picture of the call's queue.
    Inspect { call: CallId },
    /// Extension: a cancel of only some operations, with its receipt.
    Cancel {
        call: CallId,
        scope: ScopeRef,
        client_context: Option<String>,
    },
    /// Extension: queue a collect-digits operation.
    CollectDigits {
        call: CallId,
        client_context: Option<String>,
        collect: CollectDigits,
    },
    /// Extension: a fault rule.
    Fault(FaultRule),
    /// A caller or media-layer event.
    Event {
        call: CallId,
        event: Event,
        operation: Option<OpRef>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Event {
    CallEstablished,
    CallTerminated(Option<ResultInfo>),
    Media(MediaInput),
}

/// Which operations a scenario's extension cancel ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ScopeRef {
    All,
    Current,
    Operation(OpRef),
    ClientContextPrefix(String),
}

/// How a scenario names an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OpRef {
    /// `$opN`: the N-th operation the scenario created (1-based).
    Created(usize),
    /// A literal id.
    Id(OperationId),
}

const LINE_KEYS: [&str; 13] = [
    "at_ms",
    "fault",
    "request",
    "event",
    "inspect",
    "cancel",
    "collectDigits",
    "call",
    "tone",
    "reason",
    "operation",
    "resultInfo",
    "comment",
];

/// Parses one line; `Err` is the message for a malformed line.
pub(super) fn parse_line(text: &str) -> Result<Line, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.starts_with("//") {
        return Ok(Line::Skip);
    }
    // Duplicate keys are refused at any depth; see `strict`.
    let value = super::strict::parse(trimmed)?;
    let Value::Object(mut object) = value else {
        return Err("a line must be a JSON object".to_owned());
    };
    if let Some(config) = object.remove("config") {
        if !object.is_empty() {
            return Err("a config line holds only \"config\"".to_owned());
        }
        let Value::Object(config) = config else {
            return Err("config: must be an object".to_owned());
        };
        return Ok(Line::Config(config));
    }
    if let Some(key) = object.keys().find(|k| !LINE_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key \"{key}\" (a line has at_ms and one request, event, inspect, cancel, collectDigits or fault)"
        ));
    }
    let at_ms = match object.get("at_ms") {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            format!("at_ms: must be a whole number of milliseconds >= 0, got {n}")
        })?,
        Some(other) => return Err(format!("at_ms: must be a number, got {other}")),
        None => return Err("at_ms: is required".to_owned()),
    };
    let kinds = [
        "request",
        "event",
        "inspect",
        "cancel",
        "collectDigits",
        "fault",
    ];
    if kinds.iter().filter(|k| object.contains_key(**k)).count() > 1 {
        return Err(
            "a line holds one request, event, inspect, cancel, collectDigits or fault, not more"
                .to_owned(),
        );
    }
    let step = if let Some(request) = object.get("request") {
        parse_request(request)?
    } else if let Some(event) = object.get("event") {
        parse_event(event, &object)?
    } else if let Some(inspect) = object.get("inspect") {
        match inspect {
            Value::String(call) if !call.is_empty() => Step::Inspect {
                call: CallId::new(call),
            },
            other => return Err(format!("inspect: must name a call, got {other}")),
        }
    } else if let Some(cancel) = object.get("cancel") {
        parse_cancel(cancel)?
    } else if let Some(collect) = object.get("collectDigits") {
        parse_collect_digits(collect)?
    } else if let Some(fault) = object.get("fault") {
        Step::Fault(parse_fault(fault)?)
    } else {
        Step::Advance
    };
    Ok(Line::Step { at_ms, step })
}

fn parse_request(request: &Value) -> Result<Step, String> {
    let Value::Object(request) = request else {
        return Err("request: must be an object".to_owned());
    };
    let method = match request.get("method") {
        None => "POST".to_owned(),
        Some(Value::String(m)) => m.clone(),
        Some(other) => return Err(format!("request.method: must be a string, got {other}")),
    };
    let url = match request.get("url") {
        Some(Value::String(url)) => url.clone(),
        Some(other) => return Err(format!("request.url: must be a string, got {other}")),
        None => return Err("request.url: is required".to_owned()),
    };
    let body = match (request.get("body"), request.get("rawBody")) {
        (Some(_), Some(_)) => return Err("request: give body or rawBody, not both".to_owned()),
        (Some(body), None) => serde_json::to_vec(body).map_err(|e| format!("request.body: {e}"))?,
        (None, Some(Value::String(raw))) => raw.clone().into_bytes(),
        (None, Some(other)) => {
            return Err(format!("request.rawBody: must be a string, got {other}"));
        }
        (None, None) => Vec::new(),
    };
    Ok(Step::Request { method, url, body })
}

fn parse_event(event: &Value, line: &Map<String, Value>) -> Result<Step, String> {
    let Value::String(name) = event else {
        return Err(format!("event: must be a string, got {event}"));
    };
    let call = match line.get("call") {
        Some(Value::String(call)) if !call.is_empty() => CallId::new(call),
        Some(other) => return Err(format!("call: must be a non-empty string, got {other}")),
        None => return Err(format!("call: is required on a {name} event")),
    };
    let event = match name.as_str() {
        "callEstablished" => Event::CallEstablished,
        "callTerminated" => {
            Event::CallTerminated(line.get("resultInfo").map(result_info).transpose()?)
        }
        "playbackFinished" => Event::Media(MediaInput::PlaybackFinished),
        "playbackFailed" => Event::Media(MediaInput::PlaybackFailed(match line.get("reason") {
            None => PromptFailure::Download,
            Some(Value::String(r)) if r == "download" => PromptFailure::Download,
            Some(Value::String(r)) if r == "format" => PromptFailure::Format,
            Some(other) => {
                return Err(format!(
                    "reason: must be \"download\" or \"format\", got {other}"
                ));
            }
        })),
        "beepFinished" => Event::Media(MediaInput::BeepFinished),
        "beepFailed" => Event::Media(MediaInput::BeepFailed),
        "tone" => Event::Media(MediaInput::Tone(match line.get("tone") {
            Some(Value::String(t)) => Tone::parse(t).ok_or_else(|| {
                format!("tone: must be 0-9, *, #, A-D or a tone name, got \"{t}\"")
            })?,
            Some(other) => return Err(format!("tone: must be a string, got {other}")),
            None => return Err("tone: is required on a tone event".to_owned()),
        })),
        "speechStarted" => Event::Media(MediaInput::SpeechStarted),
        "speechStopped" => Event::Media(MediaInput::SpeechStopped),
        "mediaReceiveTimeout" => Event::Media(MediaInput::MediaReceiveTimeout),
        "recordingFailed" => Event::Media(MediaInput::RecordingFailed),
        other => return Err(format!("event: unknown event \"{other}\"")),
    };
    let operation = match line.get("operation") {
        None | Some(Value::Null) => None,
        Some(_) if !matches!(event, Event::Media(ref m) if !matches!(m, MediaInput::Tone(_))) => {
            return Err(format!("operation: not allowed on a {name} event"));
        }
        Some(Value::String(op)) => Some(op_ref(op)?),
        Some(other) => return Err(format!("operation: must be a string, got {other}")),
    };
    Ok(Step::Event {
        call,
        event,
        operation,
    })
}

/// `{"call": .., "scope": "all" | "current" | {"operation": ..} |
/// {"clientContextPrefix": ..}, "clientContext"?: ..}`.
fn parse_cancel(cancel: &Value) -> Result<Step, String> {
    let Value::Object(cancel) = cancel else {
        return Err("cancel: must be an object".to_owned());
    };
    let call = call_of(cancel, "cancel")?;
    let scope = match cancel.get("scope") {
        None => ScopeRef::All,
        Some(Value::String(s)) if s == "all" => ScopeRef::All,
        Some(Value::String(s)) if s == "current" => ScopeRef::Current,
        Some(Value::Object(o)) if o.len() == 1 => match o.iter().next() {
            Some((k, Value::String(op))) if k == "operation" => ScopeRef::Operation(op_ref(op)?),
            Some((k, Value::String(prefix))) if k == "clientContextPrefix" => {
                ScopeRef::ClientContextPrefix(prefix.clone())
            }
            _ => {
                return Err(
                    "cancel.scope: {\"operation\": ..} or {\"clientContextPrefix\": ..}".to_owned(),
                );
            }
        },
        Some(other) => {
            return Err(format!(
                "cancel.scope: \"all\", \"current\", {{\"operation\": ..}} or {{\"clientContextPrefix\": ..}}, got {other}"
            ));
        }
    };
    let client_context = client_context_of(cancel, "cancel")?;
    Ok(Step::Cancel {
        call,
        scope,
        client_context,
    })
}

/// `{"call": .., "clientContext"?, "prompts"?: [uri, ..], "minDigits"?,
/// "maxDigits"?, "terminators"?: [key, ..], "firstDigitTimeoutMs"?,
/// "interDigitTimeoutMs"?, "bargeIn"?}`; what is left out takes
/// [`CollectDigits::default`]. The engine checks the ranges.
fn parse_collect_digits(collect: &Value) -> Result<Step, String> {
    const KEYS: [&str; 9] = [
        "call",
        "clientContext",
        "prompts",
        "minDigits",
        "maxDigits",
        "terminators",
        "firstDigitTimeoutMs",
        "interDigitTimeoutMs",
        "bargeIn",
    ];
    let Value::Object(object) = collect else {
        return Err("collectDigits: must be an object".to_owned());
    };
    if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("collectDigits: unknown key \"{key}\""));
    }
    let call = call_of(object, "collectDigits")?;
    let client_context = client_context_of(object, "collectDigits")?;
    let fields = CollectFields(object);
    let mut collect = CollectDigits::default();
    if let Some(prompts) = fields.strings("prompts")? {
        collect.prompts = prompts.into_iter().map(MediaPrompt::new).collect();
    }
    if let Some(keys) = fields.strings("terminators")? {
        collect.terminators = keys
            .into_iter()
            .map(|k| {
                Tone::parse(k)
                    .ok_or_else(|| format!("collectDigits.terminators: \"{k}\" is not a key"))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(n) = fields.number("minDigits", u8::MAX.into())? {
        collect.min_digits = n;
    }
    if let Some(n) = fields.number("maxDigits", u8::MAX.into())? {
        collect.max_digits = n;
    }
    if let Some(n) = fields.number("firstDigitTimeoutMs", u32::MAX.into())? {
        collect.first_digit_timeout_ms = n;
    }
    if let Some(n) = fields.number("interDigitTimeoutMs", u32::MAX.into())? {
        collect.inter_digit_timeout_ms = n;
    }
    if let Some(barge_in) = fields.flag("bargeIn")? {
        collect.barge_in = barge_in;
    }
    Ok(Step::CollectDigits {
        call,
        client_context,
        collect,
    })
}

/// The optional fields of a `collectDigits` line, each read by its type;
/// an error names the field and what it must be.
struct CollectFields<'a>(&'a serde_json::Map<String, Value>);

impl CollectFields<'_> {
    fn strings(&self, key: &str) -> Result<Option<Vec<&str>>, String> {
        self.0
            .get(key)
            .map(|v| {
                v.as_array()
                    .and_then(|items| items.iter().map(Value::as_str).collect())
                    .ok_or_else(|| {
                        format!("collectDigits.{key}: must be an array of strings, got {v}")
                    })
            })
            .transpose()
    }

    /// A whole number from 0 to `max`, the largest `T` holds (`u8` key
    /// counts, `u32` milliseconds).
    fn number<T: TryFrom<u64>>(&self, key: &str, max: u64) -> Result<Option<T>, String> {
        self.0
            .get(key)
            .map(|v| {
                v.as_u64()
                    .filter(|n| *n <= max)
                    .and_then(|n| T::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("collectDigits.{key}: must be a whole number 0 to {max}, got {v}")
                    })
            })
            .transpose()
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(format!(
                "collectDigits.{key}: must be true or false, got {other}"
            )),
        }
    }
}

pub(super) fn check_keys(object: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!("fault: unknown key \"{key}\" for this fault")),
        None => Ok(()),
    }
}

/// The `call` an extension line's object names.
fn call_of(object: &Map<String, Value>, line: &str) -> Result<CallId, String> {
    match object.get("call") {
        Some(Value::String(call)) if !call.is_empty() => Ok(CallId::new(call)),
        other => Err(format!(
            "{line}.call: must name a call, got {}",
            other.unwrap_or(&Value::Null)
        )),
    }
}

/// The optional `clientContext` of an extension line's object.
fn client_context_of(object: &Map<String, Value>, line: &str) -> Result<Option<String>, String> {
    match object.get("clientContext") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(c)) => Ok(Some(c.clone())),
        Some(other) => Err(format!(
            "{line}.clientContext: must be a string, got {other}"
        )),
    }
}

fn op_ref(text: &str) -> Result<OpRef, String> {
    if let Some(n) = text.strip_prefix("$op") {
        return match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(OpRef::Created(n)),
            _ => Err(format!("operation: \"{text}\" is not $op1, $op2, ...")),
        };
    }
    text.parse()
        .map(OpRef::Id)
        .map_err(|_| format!("operation: \"{text}\" is neither $opN nor an operation id"))
}

fn result_info(value: &Value) -> Result<ResultInfo, String> {
    let Value::Object(info) = value else {
        return Err("resultInfo: must be an object".to_owned());
    };
    let default = ResultInfo::conversation_ended();
    // Graph's own examples write these numbers as strings; take both.
    let number = |key: &str, default: i32| -> Result<i32, String> {
        match info.get(key) {
            None => Ok(default),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| format!("resultInfo.{key}: must be a 32-bit integer, got {n}")),
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| format!("resultInfo.{key}: must be an integer, got \"{s}\"")),
            Some(other) => Err(format!("resultInfo.{key}: must be an integer, got {other}")),
        }
    };
    let message = match info.get("message") {
        None => default.message.clone(),
        Some(Value::String(m)) => m.clone().into(),
        Some(other) => return Err(format!("resultInfo.message: must be a string, got {other}")),
    };
    Ok(ResultInfo {
        code: number("code", default.code)?,
        subcode: number("subcode", default.subcode)?,
        message,
    })
}
