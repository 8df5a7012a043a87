//! The request-body reader as it was before issue 12: the body parsed into
//! a `serde_json::Value` tree, then walked. Kept as the test oracle of
//! [`super::body`], which reads straight into typed fields and must
//! accept, refuse and word its messages exactly as this does.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::route::ActionName;
use crate::error::ValidationError;
use crate::model::{Action, ApiVersion, MediaPrompt, PlayPrompt, Record, Request, Tone, ToneSet};
use crate::validate::record_timeout;

use super::body::truncate;

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

#[cfg(test)]
mod same_as_the_tree {
    use super::super::body;
    use super::*;

    fn check(body: &[u8]) {
        if String::from_utf8_lossy(body).contains("$serde_json::private") {
            return;
        }
        for api in [ApiVersion::V1, ApiVersion::Beta] {
            for action in [
                ActionName::PlayPrompt,
                ActionName::RecordResponse,
                ActionName::SubscribeToTone,
                ActionName::CancelMediaProcessing,
            ] {
                let new = body::parse(body, api, action).map_err(|e| e.to_string());
                let old = parse(body, api, action).map_err(|e| e.to_string());
                assert_eq!(new, old, "{:?}", String::from_utf8_lossy(body));
            }
        }
    }

    #[test]
    fn the_typed_reader_answers_as_the_tree_does() {
        let mut n = 0;
        // The seeds are in the repository, not in the published package:
        // there the edge cases and the generated bodies below still run.
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/wire_request");
        let in_the_repository = corpus.is_dir();
        for entry in std::fs::read_dir(corpus).into_iter().flatten() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            let body = data.splitn(3, |b| *b == b'\n').nth(2).unwrap_or_default();
            check(body);
            n += 1;
        }
        let cases: &[&str] = &[
            r#"{"client\u0043ontext":"x","prompts":[{"mediaInfo":{"uri":"a"}}]}"#,
            r#"{"clientContext":"a","clientContext":5}"#,
            r#"{"clientContext":5,"clientContext":"a"}"#,
            r#"{"clientContext":null,"prompts":null,"loop":null}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"x":1e400}"#,
            r#"{"prompts":[{"mediaInfo":{"uri":"a"},"loop":null}],"loop":"yes"}"#,
            r#"{"prompts":[{"mediaInfo":{"uri":"a"},"loop":false}]}"#,
            r#"{"prompts":[{"@odata.type":{"a":[1,2]},"mediaInfo":{"uri":"a"}}]}"#,
            r#"{"prompts":[{"@odata.type":"mediaprompt","mediaInfo":{"uri":"a"}}]}"#,
            r#"{"prompts":[{"@odata.type":"x\"y","mediaInfo":{"uri":"a"}}]}"#,
            r#"{"prompts":[{"@odata.type":5.0,"mediaInfo":{"uri":"a"}}]}"#,
            r#"{"prompts":[{"mediaInfo":{"@odata.type":true,"uri":"a"}}]}"#,
            r#"{"prompts":[{"mediaInfo":{"uri":"a","resourceId":[]}}]}"#,
            r#"{"prompts":[{"mediaInfo":{"uri":7}}]}"#,
            r#"{"prompts":[{"mediaInfo":[]}]}"#,
            r#"{"prompts":[{"mediaInfo":null}]}"#,
            r#"{"prompts":[5,{"mediaInfo":{"uri":"a"}}]}"#,
            r#"{"prompts":{"a":1}}"#,
            r#"{"prompts":[{"mediaInfo":{"uri":"a"}},{"mediaInfo":{"uri":"b"}}]}"#,
            r##"{"stopTones":["#","pound",5]}"##,
            r##"{"stopTones":["#","nope"]}"##,
            r##"{"stopTones":"#"}"##,
            r#"{"maxRecordDurationInSeconds":5.0,"initialSilenceTimeoutInSeconds":-1}"#,
            r#"{"maxRecordDurationInSeconds":5.5}"#,
            r#"{"maxRecordDurationInSeconds":18446744073709551615}"#,
            r#"{"maxSilenceTimeoutInSeconds":"5"}"#,
            r#"{"playBeep":"true","bargeInAllowed":1}"#,
            r#"{"streamWhileRecording":"no"}"#,
            r#"[1,2]"#,
            r#""str""#,
            r#"null"#,
            r#"5"#,
            r#"true"#,
            r#"{"a":1} x"#,
            r#"{"a":"#,
            r#"{"clientContext":"\u00e9\ud83d\ude00"}"#,
            "   ",
            "",
        ];
        for case in cases {
            check(case.as_bytes());
        }
        let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        check(deep.as_bytes());
        let deep = format!(
            r#"{{"clientContext":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        check(deep.as_bytes());
        let deep = format!(
            r#"{{"prompts":[{{"mediaInfo":{{"uri":{}{}}}}}]}}"#,
            "{\"a\":".repeat(130),
            "}".repeat(130)
        );
        check(deep.as_bytes());
        assert!(
            !in_the_repository || n >= 100,
            "the committed wire_request seeds"
        );
        // Generated bodies also reach the accepting paths, not only errors.
        let (mut plays, mut records) = (0, 0);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let text = if next(&mut seed) % 2 == 0 {
                random_value(&mut seed, 0)
            } else {
                shaped(&mut seed)
            };
            check(text.as_bytes());
            let play = parse(text.as_bytes(), ApiVersion::Beta, ActionName::PlayPrompt);
            if play
                .is_ok_and(|r| matches!(&r.action, Action::PlayPrompt(p) if !p.prompts.is_empty()))
            {
                plays += 1;
            }
            let record = parse(
                text.as_bytes(),
                ApiVersion::Beta,
                ActionName::RecordResponse,
            );
            if record.is_ok_and(|r| matches!(&r.action, Action::Record(r) if r.prompt.is_some())) {
                records += 1;
            }
        }
        assert!(
            plays > 100 && records > 30,
            "{plays} plays, {records} records"
        );
    }

    fn pick<'a>(seed: &mut u64, good: &'a str, bad: &'a str) -> Option<&'a str> {
        match next(seed) % 8 {
            0..=2 => None,
            3..=6 => Some(good),
            _ => Some(bad),
        }
    }

    fn object(seed: &mut u64, fields: &[(&str, String, &str)]) -> String {
        let mut parts = Vec::new();
        for (key, good, bad) in fields {
            let bad = if *bad == "?" {
                random_value(seed, 2)
            } else {
                (*bad).to_owned()
            };
            if let Some(v) = pick(seed, good, &bad) {
                parts.push(format!("\"{key}\":{v}"));
            }
        }
        format!("{{{}}}", parts.join(","))
    }

    fn shaped(seed: &mut u64) -> String {
        let mut prompts = Vec::new();
        for _ in 0..next(seed) % 3 {
            let info = object(
                seed,
                &[
                    ("@odata.type", "\"#microsoft.graph.mediaInfo\"".into(), "?"),
                    ("uri", "\"https://x/a.wav\"".into(), "?"),
                    ("uri", "\"https://x/b.wav\"".into(), "null"),
                    ("resourceId", "\"r1\"".into(), "?"),
                ],
            );
            prompts.push(object(
                seed,
                &[
                    ("@odata.type", "\"microsoft.graph.MEDIAPROMPT\"".into(), "?"),
                    ("mediaInfo", info, "?"),
                    ("loop", "null".into(), "?"),
                ],
            ));
        }
        object(
            seed,
            &[
                ("clientContext", "\"ctx\"".into(), "?"),
                ("prompts", format!("[{}]", prompts.join(",")), "?"),
                ("loop", "true".into(), "?"),
                ("bargeInAllowed", "false".into(), "?"),
                ("initialSilenceTimeoutInSeconds", "5".into(), "?"),
                ("maxSilenceTimeoutInSeconds", "7.0".into(), "?"),
                ("maxRecordDurationInSeconds", "60".into(), "?"),
                ("playBeep", "true".into(), "?"),
                ("stopTones", "[\"#\",\"tone1\",\"*\"]".into(), "?"),
                ("streamWhileRecording", "false".into(), "?"),
                ("other", "{\"a\":[1]}".into(), "?"),
            ],
        )
    }

    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    fn random_value(seed: &mut u64, depth: u32) -> String {
        const KEYS: &[&str] = &[
            "clientContext",
            "prompts",
            "loop",
            "bargeInAllowed",
            "initialSilenceTimeoutInSeconds",
            "maxSilenceTimeoutInSeconds",
            "maxRecordDurationInSeconds",
            "playBeep",
            "stopTones",
            "streamWhileRecording",
            "@odata.type",
            "mediaInfo",
            "uri",
            "resourceId",
            "other",
        ];
        const ATOMS: &[&str] = &[
            "null",
            "true",
            "false",
            "0",
            "5",
            "-3",
            "5.0",
            "5.5",
            "1e3",
            "18446744073709551616",
            "\"\"",
            "\"#\"",
            "\"pound\"",
            "\"x\"",
            "\"#microsoft.graph.mediaPrompt\"",
            "\"MEDIAINFO\"",
            "\"a\\u00e9\"",
            "[]",
            "{}",
        ];
        let roll = next(seed) % 10;
        if depth > 3 || roll < 4 {
            return ATOMS[(next(seed) % ATOMS.len() as u64) as usize].to_owned();
        }
        let len = next(seed) % 4;
        let items: Vec<String> = (0..len)
            .map(|_| {
                let value = random_value(seed, depth + 1);
                if roll < 7 {
                    let key = KEYS[(next(seed) % KEYS.len() as u64) as usize];
                    format!("\"{key}\":{value}")
                } else {
                    value
                }
            })
            .collect();
        if roll < 7 {
            format!("{{{}}}", items.join(","))
        } else {
            format!("[{}]", items.join(","))
        }
    }
}
