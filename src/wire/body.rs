//! JSON request bodies → typed requests.
//!
//! Type errors are found here; rules on values (counts, lengths, ranges)
//! belong to [`crate::CallConfig::validate`], so the typed API enforces them
//! too. Unknown properties are ignored, `@odata.type` may be present or not,
//! and enum values match in any case.
//!
//! The body is read straight into the shapes the rules want ([`Got`]), not
//! into a JSON tree first: a request's usual body then costs its strings,
//! its prompts and their array. Whatever has another type than its rule
//! wants, and every unknown property, is still read as a whole [`Value`],
//! so what is refused and what a message says are as they were with a tree
//! (a `null` is as good as absent, the last of repeated properties counts,
//! an unknown property's JSON is checked to the same depth).
//!
//! Memory: subscribeToTone and cancelMediaProcessing read only their
//! clientContext into a shape, and an array's objects are boxed, so an item
//! of a hostile array of scalars holds no more than a JSON value would (an
//! item of an array of empty objects in `prompts` about 3.3 times more: 32
//! bytes and a 72-byte box, against 32); the body's size bounds both.
//! `body_oracle` (tests) keeps the tree-based reader this replaced, and
//! checks that both answer every body alike.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use super::route::ActionName;
use crate::error::ValidationError;
use crate::model::{Action, ApiVersion, MediaPrompt, PlayPrompt, Record, Request, Tone, ToneSet};
use crate::validate::record_timeout;

/// Parses the body of a POST action. An empty body means `{}`.
pub(super) fn parse(
    body: &[u8],
    api: ApiVersion,
    action: ActionName,
) -> Result<Request, ValidationError> {
    // The clientContext is checked first, whatever the action.
    let (client_context, action) = match action {
        ActionName::PlayPrompt => {
            let (context, body) = take_context(read_body(body)?)?;
            (context, Action::PlayPrompt(play_prompt(body, api)?))
        }
        ActionName::RecordResponse => {
            let (context, body) = take_context(read_body(body)?)?;
            (context, Action::Record(record(body)?))
        }
        ActionName::SubscribeToTone => (context_only(body)?, Action::SubscribeToTone),
        ActionName::CancelMediaProcessing => (context_only(body)?, Action::CancelMediaProcessing),
    };
    let client_context = client_context.map(|s| Arc::from(&*s.0));
    Ok(Request {
        api,
        client_context,
        action,
    })
}

/// A playPrompt's or record's clientContext, checked, and the rest.
fn take_context(
    mut body: PlayOrRecordBody<'_>,
) -> Result<(Option<Text<'_>>, PlayOrRecordBody<'_>), ValidationError> {
    let context = string("clientContext", body.client_context.take())?;
    Ok((context, body))
}

/// The clientContext of an action that reads nothing else: whatever else
/// its body holds is read as JSON and dropped.
fn context_only(body: &[u8]) -> Result<Option<Text<'_>>, ValidationError> {
    let body: ContextOnly = read_body(body)?;
    string("clientContext", body.client_context)
}

/// Reads a body into `T`. An empty body means `{}`.
fn read_body<'de, T: Want<'de> + Default>(body: &'de [u8]) -> Result<T, ValidationError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    // A body that is UTF-8 (checked once, in one pass) is read as text, so
    // serde_json does not check each string again; any other is read as
    // bytes, for serde_json's own message about where it is not.
    let read = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    match read {
        Ok(Got::Is(object)) => Ok(object),
        Ok(Got::Else(value)) => Err(ValidationError::new(
            "body",
            format!("must be a JSON object, got {}", kind(&value)),
        )),
        Err(e) => Err(ValidationError::new("body", format!("not valid JSON: {e}"))),
    }
}

/// A value where a rule wants a `T`: the `T`, or what was there instead
/// (kept whole, for the message). Where a property may be absent it is an
/// `Option<Got<T>>`, and `null` reads as `None`.
enum Got<T> {
    Is(T),
    Else(Value),
}

/// A JSON string, borrowed from the body unless it had escapes.
struct Text<'de>(Cow<'de, str>);

/// A shape a rule wants. Each reader takes one kind of JSON value; the
/// defaults keep a value of any other kind whole, as [`Got::Else`].
trait Want<'de>: Sized {
    fn from_bool(b: bool) -> Got<Self> {
        Got::Else(Value::Bool(b))
    }

    fn from_number(n: Number) -> Got<Self> {
        Got::Else(Value::Number(n))
    }

    fn from_text(text: Text<'de>) -> Got<Self> {
        Got::Else(Value::String(text.0.into_owned()))
    }

    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Got<Self>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Got::Else)
    }

    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Got::Else)
    }
}

impl Want<'_> for bool {
    fn from_bool(b: bool) -> Got<Self> {
        Got::Is(b)
    }
}

impl Want<'_> for Number {
    fn from_number(n: Number) -> Got<Self> {
        Got::Is(n)
    }
}

impl<'de> Want<'de> for Text<'de> {
    fn from_text(text: Text<'de>) -> Got<Self> {
        Got::Is(text)
    }
}

impl<'de, T: Deserialize<'de>> Want<'de> for Vec<T> {
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Got<Self>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Got::Is(items))
    }
}

/// An object read into a box: what an array of objects holds, so that
/// each of its items takes little more room than a JSON value would.
impl<'de, T: Want<'de>> Want<'de> for Box<T> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        Ok(match T::from_map(map)? {
            Got::Is(object) => Got::Is(Box::new(object)),
            Got::Else(other) => Got::Else(other),
        })
    }
}

impl<'de, T: Want<'de>> Deserialize<'de> for Got<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(GotVisitor(PhantomData))
    }
}

struct GotVisitor<T>(PhantomData<T>);

impl<'de, T: Want<'de>> Visitor<'de> for GotVisitor<T> {
    type Value = Got<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Got<T>, E> {
        Ok(Got::Else(Value::Null))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Got<T>, E> {
        Ok(T::from_bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Got<T>, E> {
        Ok(T::from_number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Got<T>, E> {
        Ok(T::from_number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Got<T>, E> {
        // serde_json refuses a number out of range before it gets here; the
        // fallback is its own tree's (a non-finite number is null).
        Ok(Number::from_f64(n).map_or(Got::Else(Value::Null), T::from_number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Got<T>, E> {
        Ok(T::from_text(Text(Cow::Borrowed(s))))
    }

    fn visit_str<E>(self, s: &str) -> Result<Got<T>, E> {
        Ok(T::from_text(Text(Cow::Owned(s.to_owned()))))
    }

    fn visit_string<E>(self, s: String) -> Result<Got<T>, E> {
        Ok(T::from_text(Text(Cow::Owned(s))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Got<T>, A::Error> {
        T::from_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Got<T>, A::Error> {
        T::from_map(map)
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Reads an object's properties into `object`, one `read` per property:
/// `read` takes the ones it knows and returns false for the others, which
/// are read as JSON and dropped.
fn read_object<'de, A: MapAccess<'de>, T>(
    mut map: A,
    mut object: T,
    mut read: impl FnMut(&mut T, &str, &mut A) -> Result<bool, A::Error>,
) -> Result<Got<T>, A::Error> {
    while let Some(key) = map.next_key::<Text<'de>>()? {
        if !read(&mut object, &key.0, &mut map)? {
            map.next_value::<Value>()?;
        }
    }
    Ok(Got::Is(object))
}

type Field<T> = Option<Got<T>>;

/// The body of a playPrompt or a recordResponse: the properties either
/// reads (each reads its own and ignores the other's).
#[derive(Default)]
struct PlayOrRecordBody<'de> {
    client_context: Field<Text<'de>>,
    prompts: Field<Vec<Got<Box<Prompt<'de>>>>>,
    loop_forever: Field<bool>,
    barge_in_allowed: Field<bool>,
    initial_silence_timeout: Field<Number>,
    max_silence_timeout: Field<Number>,
    max_record_duration: Field<Number>,
    play_beep: Field<bool>,
    stop_tones: Field<Vec<Got<Text<'de>>>>,
    stream_while_recording: Field<bool>,
}

impl<'de> Want<'de> for PlayOrRecordBody<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        read_object(map, PlayOrRecordBody::default(), |body, key, map| {
            match key {
                "clientContext" => body.client_context = map.next_value()?,
                "prompts" => body.prompts = map.next_value()?,
                "loop" => body.loop_forever = map.next_value()?,
                "bargeInAllowed" => body.barge_in_allowed = map.next_value()?,
                "initialSilenceTimeoutInSeconds" => {
                    body.initial_silence_timeout = map.next_value()?;
                }
                "maxSilenceTimeoutInSeconds" => body.max_silence_timeout = map.next_value()?,
                "maxRecordDurationInSeconds" => body.max_record_duration = map.next_value()?,
                "playBeep" => body.play_beep = map.next_value()?,
                "stopTones" => body.stop_tones = map.next_value()?,
                "streamWhileRecording" => body.stream_while_recording = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

/// The body of an action that reads only its clientContext.
#[derive(Default)]
struct ContextOnly<'de> {
    client_context: Field<Text<'de>>,
}

impl<'de> Want<'de> for ContextOnly<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        read_object(map, ContextOnly::default(), |body, key, map| {
            if key != "clientContext" {
                return Ok(false);
            }
            body.client_context = map.next_value()?;
            Ok(true)
        })
    }
}

/// A `mediaPrompt`.
#[derive(Default)]
struct Prompt<'de> {
    odata_type: Field<Text<'de>>,
    /// Whether a non-null `loop` is there: a record's prompt may not have
    /// one, whatever its value; a playPrompt's prompts ignore it.
    has_loop: bool,
    media_info: Field<Box<MediaInfo<'de>>>,
}

impl<'de> Want<'de> for Prompt<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        read_object(map, Prompt::default(), |prompt, key, map| {
            match key {
                "@odata.type" => prompt.odata_type = map.next_value()?,
                "loop" => prompt.has_loop = map.next_value::<Option<Value>>()?.is_some(),
                "mediaInfo" => prompt.media_info = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

/// A `mediaInfo`.
#[derive(Default)]
struct MediaInfo<'de> {
    odata_type: Field<Text<'de>>,
    uri: Field<Text<'de>>,
    resource_id: Field<Text<'de>>,
}

impl<'de> Want<'de> for MediaInfo<'de> {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Got<Self>, A::Error> {
        read_object(map, MediaInfo::default(), |info, key, map| {
            match key {
                "@odata.type" => info.odata_type = map.next_value()?,
                "uri" => info.uri = map.next_value()?,
                "resourceId" => info.resource_id = map.next_value()?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

fn play_prompt(body: PlayOrRecordBody<'_>, api: ApiVersion) -> Result<PlayPrompt, ValidationError> {
    let prompts = array("prompts", body.prompts)?.unwrap_or_default();
    let prompts = prompts
        .into_iter()
        .enumerate()
        .map(|(i, prompt)| media_prompt(prompt, i, false))
        .collect::<Result<Vec<_>, _>>()?;
    // v1.0 has no `loop`: whatever is there is ignored.
    let loop_forever = match api {
        ApiVersion::Beta => boolean("loop", body.loop_forever)?.unwrap_or(false),
        ApiVersion::V1 => false,
    };
    Ok(PlayPrompt {
        prompts,
        loop_forever,
    })
}

fn record(body: PlayOrRecordBody<'_>) -> Result<Record, ValidationError> {
    let defaults = Record::default();
    let prompts = array("prompts", body.prompts)?.unwrap_or_default();
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
        .into_iter()
        .next()
        .map(|p| media_prompt(p, 0, true))
        .transpose()?;
    let timeout = |field: &'static str, got, default: u32| -> Result<u32, ValidationError> {
        integer(field, got)?.map_or(Ok(default), |secs| record_timeout(field, secs))
    };
    let mut stop_tones = ToneSet::EMPTY;
    let tones = array("stopTones", body.stop_tones)?.unwrap_or_default();
    for (i, tone) in tones.into_iter().enumerate() {
        let field = || format!("stopTones[{i}]");
        let text = match tone {
            Got::Is(text) => text,
            Got::Else(other) => {
                return Err(ValidationError::new(
                    field(),
                    format!("must be a string, got {}", kind(&other)),
                ));
            }
        };
        let tone = Tone::parse(&text.0).ok_or_else(|| {
            ValidationError::new(
                field(),
                format!(
                    "must be one of 0-9, *, #, A-D or a tone name such as pound, got '{}'",
                    text.0
                ),
            )
        })?;
        stop_tones.insert(tone);
    }
    // Beta `streamWhileRecording` is accepted and ignored, but must be a boolean.
    boolean("streamWhileRecording", body.stream_while_recording)?;
    Ok(Record {
        prompt,
        barge_in_allowed: boolean("bargeInAllowed", body.barge_in_allowed)?
            .unwrap_or(defaults.barge_in_allowed),
        initial_silence_timeout_secs: timeout(
            "initialSilenceTimeoutInSeconds",
            body.initial_silence_timeout,
            defaults.initial_silence_timeout_secs,
        )?,
        max_silence_timeout_secs: timeout(
            "maxSilenceTimeoutInSeconds",
            body.max_silence_timeout,
            defaults.max_silence_timeout_secs,
        )?,
        max_record_duration_secs: timeout(
            "maxRecordDurationInSeconds",
            body.max_record_duration,
            defaults.max_record_duration_secs,
        )?,
        play_beep: boolean("playBeep", body.play_beep)?.unwrap_or(defaults.play_beep),
        stop_tones,
    })
}

fn media_prompt(
    prompt: Got<Box<Prompt<'_>>>,
    index: usize,
    for_record: bool,
) -> Result<MediaPrompt, ValidationError> {
    let at = |field: &str| format!("prompts[{index}]{field}");
    let prompt = match prompt {
        Got::Is(prompt) => prompt,
        Got::Else(other) => {
            return Err(ValidationError::new(
                at(""),
                format!("must be an object, got {}", kind(&other)),
            ));
        }
    };
    odata_type(prompt.odata_type, "#microsoft.graph.mediaPrompt", || {
        at(".@odata.type")
    })?;
    if for_record && prompt.has_loop {
        return Err(ValidationError::new(
            at(".loop"),
            "loop not supported for record",
        ));
    }
    let info = match prompt.media_info {
        None => return Err(ValidationError::new(at(".mediaInfo"), "is required")),
        Some(Got::Is(info)) => info,
        Some(Got::Else(other)) => {
            return Err(ValidationError::new(
                at(".mediaInfo"),
                format!("must be an object, got {}", kind(&other)),
            ));
        }
    };
    odata_type(info.odata_type, "#microsoft.graph.mediaInfo", || {
        at(".mediaInfo.@odata.type")
    })?;
    let uri = match info.uri {
        Some(Got::Is(uri)) => uri,
        None => return Err(ValidationError::new(at(".mediaInfo.uri"), "is required")),
        Some(Got::Else(other)) => {
            return Err(ValidationError::new(
                at(".mediaInfo.uri"),
                format!("must be a string, got {}", kind(&other)),
            ));
        }
    };
    let resource_id = match info.resource_id {
        Some(Got::Is(id)) => Some(Arc::from(&*id.0)),
        None => None,
        Some(Got::Else(other)) => {
            return Err(ValidationError::new(
                at(".mediaInfo.resourceId"),
                format!("must be a string, got {}", kind(&other)),
            ));
        }
    };
    Ok(MediaPrompt {
        uri: Arc::from(&*uri.0),
        resource_id,
    })
}

/// An `@odata.type`, when present, must name `expected` (any case, `#`
/// optional). The message shows what was there as JSON.
fn odata_type(
    got: Field<Text<'_>>,
    expected: &str,
    field: impl Fn() -> String,
) -> Result<(), ValidationError> {
    let other = match got {
        None => return Ok(()),
        Some(Got::Is(t))
            if t.0
                .trim_start_matches('#')
                .eq_ignore_ascii_case(&expected[1..]) =>
        {
            return Ok(());
        }
        Some(Got::Is(t)) => Value::String(t.0.into_owned()),
        Some(Got::Else(other)) => other,
    };
    Err(ValidationError::new(
        field(),
        format!("must be {expected}, got {other}"),
    ))
}

/// A property's value, if it is present and has the type its rule wants;
/// `must be {wanted}, got ...` if it has another.
fn typed<T>(
    field: &'static str,
    got: Field<T>,
    wanted: &str,
) -> Result<Option<T>, ValidationError> {
    match got {
        None => Ok(None),
        Some(Got::Is(value)) => Ok(Some(value)),
        Some(Got::Else(other)) => Err(ValidationError::new(
            field,
            format!("must be {wanted}, got {}", kind(&other)),
        )),
    }
}

fn string<'de>(
    field: &'static str,
    got: Field<Text<'de>>,
) -> Result<Option<Text<'de>>, ValidationError> {
    typed(field, got, "a string")
}

fn boolean(field: &'static str, got: Field<bool>) -> Result<Option<bool>, ValidationError> {
    typed(field, got, "true or false")
}

fn array<T>(field: &'static str, got: Field<Vec<T>>) -> Result<Option<Vec<T>>, ValidationError> {
    typed(field, got, "an array")
}

fn integer(field: &'static str, got: Field<Number>) -> Result<Option<i64>, ValidationError> {
    let Some(n) = typed(field, got, "a whole number of seconds")? else {
        return Ok(None);
    };
    match n.as_i64() {
        Some(i) => Ok(Some(i)),
        // A whole number written as 5.0 is still a whole number.
        None => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
            _ => Err(ValidationError::new(
                field,
                format!("must be a whole number of seconds, got {n}"),
            )),
        },
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
