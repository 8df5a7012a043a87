//! JSON request bodies → typed requests.
//!
//! Type errors are found here; rules on values (counts, lengths, ranges)
//! belong to [`crate::CallConfig::validate`], so the typed API enforces them
//! too. Unknown properties are ignored, `@odata.type` may be present or not,
//! and enum values match in any case.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::route::ActionName;
use crate::error::ValidationError;
use crate::model::{Action, ApiVersion, MediaPrompt, PlayPrompt, Record, Request, Tone, ToneSet};
use crate::validate::record_timeout;

type Object = Map<String, Value>;

/// Parses the body of a POST action. An empty body means `{}`.
pub(super) fn parse(
    body: &[u8],
    api: ApiVersion,
    action: ActionName,
) -> Result<Request, ValidationError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Object::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ValidationError::new("body", format!("not valid JSON: {e}")))?
    };
    let Value::Object(object) = value else {
        return Err(ValidationError::new(
            "body",
            format!("must be a JSON object, got {}", kind(&value)),
        ));
    };
    let client_context = string(&object, "clientContext")?.map(Arc::from);
    let action = match action {
        ActionName::PlayPrompt => Action::PlayPrompt(play_prompt(&object, api)?),
        ActionName::RecordResponse => Action::Record(record(&object)?),
        ActionName::SubscribeToTone => Action::SubscribeToTone,
        ActionName::CancelMediaProcessing => Action::CancelMediaProcessing,
    };
    Ok(Request {
        api,
        client_context,
        action,
    })
}

fn play_prompt(object: &Object, api: ApiVersion) -> Result<PlayPrompt, ValidationError> {
    let prompts = array(object, "prompts")?.unwrap_or_default();
    let prompts = prompts
        .iter()
        .enumerate()
        .map(|(i, prompt)| media_prompt(prompt, i, false))
        .collect::<Result<Vec<_>, _>>()?;
    // v1.0 has no `loop`: whatever is there is ignored.
    let loop_forever = match api {
        ApiVersion::Beta => boolean(object, "loop")?.unwrap_or(false),
        ApiVersion::V1 => false,
    };
    Ok(PlayPrompt {
        prompts,
        loop_forever,
    })
}

fn record(object: &Object) -> Result<Record, ValidationError> {
    let defaults = Record::default();
    let prompts = array(object, "prompts")?.unwrap_or_default();
    if prompts.len() > 1 {
        return Err(ValidationError::new(
            "prompts",
            format!(
                "at most 1 prompt is allowed for record, got {}",
                prompts.len()
            ),
        ));
    }
    let prompt = prompts
        .first()
        .map(|p| media_prompt(p, 0, true))
        .transpose()?;
    let timeout = |field: &'static str, default: u32| -> Result<u32, ValidationError> {
        integer(object, field)?.map_or(Ok(default), |secs| record_timeout(field, secs))
    };
    let mut stop_tones = ToneSet::EMPTY;
    for (i, tone) in array(object, "stopTones")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = || format!("stopTones[{i}]");
        let Value::String(text) = tone else {
            return Err(ValidationError::new(
                field(),
                format!("must be a string, got {}", kind(tone)),
            ));
        };
        let tone = Tone::parse(text).ok_or_else(|| {
            ValidationError::new(
                field(),
                format!("must be one of 0-9, *, #, A-D or a tone name such as pound, got '{text}'"),
            )
        })?;
        stop_tones.insert(tone);
    }
    // Beta `streamWhileRecording` is accepted and ignored, but must be a boolean.
    boolean(object, "streamWhileRecording")?;
    Ok(Record {
        prompt,
        barge_in_allowed: boolean(object, "bargeInAllowed")?.unwrap_or(defaults.barge_in_allowed),
        initial_silence_timeout_secs: timeout(
            "initialSilenceTimeoutInSeconds",
            defaults.initial_silence_timeout_secs,
        )?,
        max_silence_timeout_secs: timeout(
            "maxSilenceTimeoutInSeconds",
            defaults.max_silence_timeout_secs,
        )?,
        max_record_duration_secs: timeout(
            "maxRecordDurationInSeconds",
            defaults.max_record_duration_secs,
        )?,
        play_beep: boolean(object, "playBeep")?.unwrap_or(defaults.play_beep),
        stop_tones,
    })
}

fn media_prompt(
    value: &Value,
    index: usize,
    for_record: bool,
) -> Result<MediaPrompt, ValidationError> {
    let at = |field: &str| format!("prompts[{index}]{field}");
    let Value::Object(prompt) = value else {
        return Err(ValidationError::new(
            at(""),
            format!("must be an object, got {}", kind(value)),
        ));
    };
    odata_type(prompt, "#microsoft.graph.mediaPrompt", || {
        at(".@odata.type")
    })?;
    if for_record && prompt.get("loop").is_some_and(|l| !l.is_null()) {
        return Err(ValidationError::new(
            at(".loop"),
            "loop not supported for record",
        ));
    }
    let Some(info) = prompt.get("mediaInfo").filter(|v| !v.is_null()) else {
        return Err(ValidationError::new(at(".mediaInfo"), "is required"));
    };
    let Value::Object(info) = info else {
        return Err(ValidationError::new(
            at(".mediaInfo"),
            format!("must be an object, got {}", kind(info)),
        ));
    };
    odata_type(info, "#microsoft.graph.mediaInfo", || {
        at(".mediaInfo.@odata.type")
    })?;
    let uri = match info.get("uri") {
        Some(Value::String(uri)) => uri,
        None | Some(Value::Null) => {
            return Err(ValidationError::new(at(".mediaInfo.uri"), "is required"));
        }
        Some(other) => {
            return Err(ValidationError::new(
                at(".mediaInfo.uri"),
                format!("must be a string, got {}", kind(other)),
            ));
        }
    };
    let resource_id = match info.get("resourceId") {
        Some(Value::String(id)) => Some(Arc::from(id.as_str())),
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(ValidationError::new(
                at(".mediaInfo.resourceId"),
                format!("must be a string, got {}", kind(other)),
            ));
        }
    };
    Ok(MediaPrompt {
        uri: Arc::from(uri.as_str()),
        resource_id,
    })
}

/// An `@odata.type`, when present, must name `expected` (any case, `#` optional).
fn odata_type(
    object: &Object,
    expected: &str,
    field: impl Fn() -> String,
) -> Result<(), ValidationError> {
    match object.get("@odata.type") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(t))
            if t.trim_start_matches('#')
                .eq_ignore_ascii_case(&expected[1..]) =>
        {
            Ok(())
        }
        Some(other) => Err(ValidationError::new(
            field(),
            format!("must be {expected}, got {other}"),
        )),
    }
}

fn string<'a>(object: &'a Object, field: &'static str) -> Result<Option<&'a str>, ValidationError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ValidationError::new(
            field,
            format!("must be a string, got {}", kind(other)),
        )),
    }
}

fn boolean(object: &Object, field: &'static str) -> Result<Option<bool>, ValidationError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(ValidationError::new(
            field,
            format!("must be true or false, got {}", kind(other)),
        )),
    }
}

fn integer(object: &Object, field: &'static str) -> Result<Option<i64>, ValidationError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            // A whole number written as 5.0 is still a whole number.
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
                _ => Err(ValidationError::new(
                    field,
                    format!("must be a whole number of seconds, got {n}"),
                )),
            },
        },
        Some(other) => Err(ValidationError::new(
            field,
            format!("must be a whole number of seconds, got {}", kind(other)),
        )),
    }
}

fn array<'a>(
    object: &'a Object,
    field: &'static str,
) -> Result<Option<&'a [Value]>, ValidationError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(ValidationError::new(
            field,
            format!("must be an array, got {}", kind(other)),
        )),
    }
}

/// How a JSON value is described in a message.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string '{}'", truncate(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The start of `s` that an error message quotes: at most 40 characters, so
/// a huge input never comes back whole in an answer. The route's messages
/// use it too, and so do `ivr-replay`'s messages.
pub(crate) fn truncate(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}
