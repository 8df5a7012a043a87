//! proptest strategies: random callers, and Graph requests valid and not.
//!
//! Each shrinks toward the simple: fewer acts, earlier times, the first
//! alternatives (a key before a media failure), fewer prompts, smaller
//! numbers.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::Union;
use serde_json::Value;

use crate::id::{CallId, OperationId};
use crate::model::{
    Action, ApiVersion, MediaPrompt, PlayPrompt, PromptFailure, Record, Request, Tone, ToneSet,
};
use crate::wire;

use super::caller::{Caller, CallerAct, LateEvent};
use super::harness::BotRequest;

/// What a random caller may do, for [`callers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerOptions {
    /// At most this many acts (default 8; at most [`MAX_ACTS`]), not
    /// counting those that come in the same millisecond as another (one
    /// act in six brings one).
    pub max_acts: usize,
    /// Every act comes within this many ms of the answer (default
    /// 12 000): the shorter, the denser the acts, and the likelier a race
    /// with the bot or a prompt's end.
    pub within_ms: u64,
    /// The keys the caller presses (default `0`-`9`, `*`, `#`). Empty: the
    /// caller presses none.
    pub keys: Vec<Tone>,
    /// Whether the caller speaks (default true).
    pub speech: bool,
    /// Whether the caller hangs up (default true).
    pub hang_ups: bool,
    /// Whether the media layer fails: prompts, beeps, recordings, the
    /// audio stream (default true).
    pub media_failures: bool,
    /// Whether the media layer reports early ([`CallerAct::PromptEnds`])
    /// and late ([`CallerAct::Late`]) (default true).
    pub odd_reports: bool,
}

impl Default for CallerOptions {
    fn default() -> Self {
        Self {
            max_acts: 8,
            within_ms: 12_000,
            keys: "0123456789*#"
                .chars()
                .filter_map(|key| Tone::parse(&key.to_string()))
                .collect(),
            speech: true,
            hang_ups: true,
            media_failures: true,
            odd_reports: true,
        }
    }
}

/// The most acts [`callers`] draws, whatever [`CallerOptions::max_acts`]
/// says: a caller's memory, and a run's steps, stay bounded.
pub const MAX_ACTS: usize = 1_024;

/// Random callers: up to [`CallerOptions::max_acts`] acts, each at its
/// own time, some with a second act in the same millisecond. Options that
/// allow no act at all give silent callers.
///
/// Times are absolute, not pauses: a shrinker that drops an act leaves the
/// others where they were, and lowers each time to the earliest that
/// still fails.
pub fn callers(options: CallerOptions) -> BoxedStrategy<Caller> {
    let choices = act_choices(&options);
    if choices.is_empty() {
        return Just(Caller::default()).boxed();
    }
    let acts = Union::new_weighted(choices).boxed();
    let same_ms = prop_oneof![5 => Just(None), 1 => acts.clone().prop_map(Some)];
    vec(
        (0..=options.within_ms, acts, same_ms),
        0..=options.max_acts.min(MAX_ACTS),
    )
    .prop_map(|acts| {
        Caller::new(
            acts.into_iter()
                .flat_map(|(at_ms, act, also)| {
                    std::iter::once((at_ms, act)).chain(also.map(|also| (at_ms, also)))
                })
                .collect(),
        )
    })
    .boxed()
}

/// The acts `options` allow, weighted: keys most often.
fn act_choices(options: &CallerOptions) -> Vec<(u32, BoxedStrategy<CallerAct>)> {
    let mut acts: Vec<(u32, BoxedStrategy<CallerAct>)> = Vec::new();
    if !options.keys.is_empty() {
        acts.push((
            8,
            select(options.keys.clone())
                .prop_map(CallerAct::Press)
                .boxed(),
        ));
    }
    if options.speech {
        acts.push((1, Just(CallerAct::StartSpeaking).boxed()));
        acts.push((1, Just(CallerAct::StopSpeaking).boxed()));
    }
    if options.odd_reports {
        acts.push((2, Just(CallerAct::PromptEnds).boxed()));
        acts.push((
            2,
            (any::<u8>().prop_map(|n| n % 4), late_events())
                .prop_map(|(about, event)| CallerAct::Late { about, event })
                .boxed(),
        ));
    }
    if options.hang_ups {
        acts.push((1, Just(CallerAct::HangUp).boxed()));
    }
    if options.media_failures {
        acts.push((
            1,
            prompt_failures().prop_map(CallerAct::PromptFails).boxed(),
        ));
        acts.push((1, Just(CallerAct::BeepFails).boxed()));
        acts.push((1, Just(CallerAct::RecordingFails).boxed()));
        acts.push((1, Just(CallerAct::MediaTimeout).boxed()));
    }
    acts
}

fn prompt_failures() -> impl Strategy<Value = PromptFailure> {
    prop_oneof![Just(PromptFailure::Download), Just(PromptFailure::Format)]
}

fn late_events() -> impl Strategy<Value = LateEvent> {
    prop_oneof![
        Just(LateEvent::PlaybackFinished),
        prompt_failures().prop_map(LateEvent::PlaybackFailed),
        Just(LateEvent::BeepFinished),
        Just(LateEvent::RecordingFailed),
    ]
}

/// Prompt URIs: plain, with a length (`durationMs`), and ones the
/// simulated media layer fails to play.
const PROMPT_URIS: [&str; 5] = [
    "https://prompts.example/hello.wav",
    "https://prompts.example/short.wav?durationMs=200",
    "https://prompts.example/long.wav?durationMs=9000",
    "https://prompts.example/missing.wav?fail=download",
    "https://prompts.example/broken.wav?fail=format",
];

fn prompts() -> impl Strategy<Value = MediaPrompt> {
    (select(&PROMPT_URIS[..]), any::<bool>()).prop_map(|(uri, cached)| MediaPrompt {
        uri: Arc::from(uri),
        resource_id: cached.then(|| Arc::from("prompt-cache-key")),
    })
}

fn tone_sets() -> impl Strategy<Value = ToneSet> {
    vec(select(&Tone::ALL[..12]), 0..=3).prop_map(|tones| {
        let mut set = ToneSet::EMPTY;
        tones.into_iter().for_each(|tone| set.insert(tone));
        set
    })
}

/// Record timeouts: short ones most often, any of Graph's 1..=120 s.
fn record_secs() -> impl Strategy<Value = u32> {
    prop_oneof![3 => 1..=10u32, 1 => 1..=120u32]
}

fn records() -> impl Strategy<Value = Record> {
    (
        proptest::option::of(prompts()),
        any::<bool>(),
        record_secs(),
        record_secs(),
        record_secs(),
        any::<bool>(),
        tone_sets(),
    )
        .prop_map(
            |(prompt, barge_in_allowed, initial, silence, duration, play_beep, stop_tones)| {
                Record {
                    prompt,
                    barge_in_allowed,
                    initial_silence_timeout_secs: initial,
                    max_silence_timeout_secs: silence,
                    max_record_duration_secs: duration,
                    play_beep,
                    stop_tones,
                }
            },
        )
}

/// Valid media requests: playPrompt (1 to 3 prompts; `loop` on beta),
/// record, subscribeToTone and cancelMediaProcessing, on v1.0 or beta,
/// with or without a `clientContext`.
pub fn requests() -> impl Strategy<Value = Request> {
    let actions = prop_oneof![
        3 => (vec(prompts(), 1..=3), any::<bool>()).prop_map(|(prompts, loop_forever)| {
            Action::PlayPrompt(PlayPrompt {
                prompts,
                loop_forever,
            })
        }),
        2 => records().prop_map(Action::Record),
        1 => Just(Action::SubscribeToTone),
        2 => Just(Action::CancelMediaProcessing),
    ];
    let contexts = proptest::option::of(select(&["menu", "sales", "message", "bye"][..]));
    (
        prop_oneof![Just(ApiVersion::V1), Just(ApiVersion::Beta)],
        contexts,
        actions,
    )
        .prop_map(|(api, context, action)| {
            let request = Request::new(api, action);
            match context {
                Some(context) => request.with_client_context(context),
                None => request,
            }
        })
}

/// Valid requests on `call` as raw HTTP: [`requests`] as the SDK sends
/// them. On a live call with room in its queue, each gets a 2xx.
pub fn valid_wire_requests(call: CallId) -> impl Strategy<Value = BotRequest> {
    requests().prop_map(move |request| raw(&call, &request))
}

/// Requests on `call` that each break one rule, as raw HTTP: a field of
/// the wrong type or out of range, or a required one left out; a body that
/// is not a JSON object; an action or a call that does not exist; the
/// wrong method; an operation that was never created. Each gets a Graph
/// error (4xx) and changes nothing.
pub fn invalid_wire_requests(call: CallId) -> impl Strategy<Value = BotRequest> {
    let broken_field = {
        let call = call.clone();
        (requests(), any::<Index>(), any::<Index>()).prop_map(move |(request, which, how)| {
            let mut body: Value =
                serde_json::from_slice(&wire::request_body(&request)).unwrap_or(Value::Null);
            let play = matches!(request.action, Action::PlayPrompt(_));
            break_one_field(&mut body, play, which, how);
            BotRequest::Raw {
                method: "POST".to_owned(),
                url: wire::action_url(&call, &request),
                body: Some(body.to_string()),
            }
        })
    };
    let broken_body = {
        let call = call.clone();
        (requests(), select(&NOT_OBJECTS[..])).prop_map(move |(request, body)| BotRequest::Raw {
            method: "POST".to_owned(),
            url: wire::action_url(&call, &request),
            body: Some(body.to_owned()),
        })
    };
    let broken_route = (requests(), route_breaks()).prop_map(move |(request, broken)| {
        let mut sent = raw(&call, &request);
        if let BotRequest::Raw { method, url, .. } = &mut sent {
            match broken {
                RouteBreak::Method(wrong) => *method = wrong.to_owned(),
                RouteBreak::Action(wrong) => {
                    let cut = url.rfind('/').map_or(url.len(), |slash| slash + 1);
                    url.replace_range(cut.., wrong);
                }
                RouteBreak::OtherCall => {
                    *url = wire::action_url(&CallId::new("no-such-call"), &request);
                }
                RouteBreak::UnknownOperation => {
                    *method = "GET".to_owned();
                    *url = wire::operation_location(
                        request.api,
                        &call,
                        OperationId::from_uuid(uuid::Uuid::nil()),
                    );
                }
            }
        }
        sent
    });
    prop_oneof![
        3 => broken_field,
        1 => broken_body,
        1 => broken_route,
    ]
}

/// Requests on `call` as raw HTTP, [valid](valid_wire_requests) and
/// [not](invalid_wire_requests), half and half: for rigs that turn HTTP
/// into inputs, and bots that build their own JSON.
pub fn wire_requests(call: CallId) -> impl Strategy<Value = BotRequest> {
    prop_oneof![
        valid_wire_requests(call.clone()),
        invalid_wire_requests(call),
    ]
}

/// `request` as the SDK sends it, as raw HTTP.
fn raw(call: &CallId, request: &Request) -> BotRequest {
    BotRequest::Raw {
        method: "POST".to_owned(),
        url: wire::action_url(call, request),
        body: Some(String::from_utf8_lossy(&wire::request_body(request)).into_owned()),
    }
}

/// Bodies that are not a JSON object (an empty one reads as `{}`).
const NOT_OBJECTS: [&str; 6] = ["{", "[]", "null", "42", "\"playPrompt\"", "{\"prompts\":[}"];

/// Breaks the `which`-th field of `body` (every property and array item,
/// depth first; `loop`, which v1.0 ignores, left alone) the `how`-th way
/// its rule allows: another JSON type, a value out of range, or, for the
/// properties a prompt needs, none (and a playPrompt's `prompts`, empty).
/// A body with no field (subscribe, cancel) gets a `clientContext` that is
/// not a string.
fn break_one_field(body: &mut Value, play: bool, which: Index, how: Index) {
    let mut fields = Vec::new();
    collect_fields(body, "", "", &mut fields);
    let Some((pointer, name)) = fields.get(which.index(fields.len().max(1))).cloned() else {
        if let Value::Object(object) = body {
            object.insert("clientContext".to_owned(), Value::from(42));
        }
        return;
    };
    let current = body.pointer(&pointer).cloned().unwrap_or(Value::Null);
    let mut choices: Vec<Option<Value>> = wrong_values(&current, &name)
        .into_iter()
        .map(Some)
        .collect();
    if play && pointer == "/prompts" {
        choices.push(Some(Value::Array(Vec::new())));
    }
    if name == "mediaInfo" || name == "uri" {
        choices.push(None);
    }
    match &choices[how.index(choices.len())] {
        Some(wrong) => {
            if let Some(field) = body.pointer_mut(&pointer) {
                *field = wrong.clone();
            }
        }
        None => {
            let (parent, _) = pointer.rsplit_once('/').unwrap_or(("", ""));
            if let Some(Value::Object(parent)) = body.pointer_mut(parent) {
                parent.remove(&name);
            }
        }
    }
}

/// Every field under `value` as `(JSON pointer, name)`; an array's items
/// are named for the array.
fn collect_fields(value: &Value, at: &str, name: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                if key == "loop" {
                    continue;
                }
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push((pointer.clone(), key.clone()));
                collect_fields(inner, &pointer, key, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let pointer = format!("{at}/{i}");
                out.push((pointer.clone(), name.to_owned()));
                collect_fields(item, &pointer, name, out);
            }
        }
        _ => {}
    }
}

/// Values `current` (a field named `name`) may not take.
fn wrong_values(current: &Value, name: &str) -> Vec<Value> {
    let empty_array = || Value::Array(Vec::new());
    let empty_object = || Value::Object(serde_json::Map::new());
    let mut wrong = match current {
        Value::String(_) => vec![
            Value::from(42),
            Value::from(true),
            empty_array(),
            empty_object(),
        ],
        Value::Bool(_) => vec![
            Value::from("yes"),
            Value::from(1),
            empty_array(),
            empty_object(),
        ],
        // Every number in these bodies is a timeout of 1 to 120 seconds.
        Value::Number(_) => vec![
            Value::from("5"),
            Value::from(true),
            Value::from(0),
            Value::from(-1),
            Value::from(121),
            Value::from(1e12),
        ],
        Value::Array(_) => vec![empty_object(), Value::from("x"), Value::from(42)],
        Value::Object(_) => vec![empty_array(), Value::from("x"), Value::from(42)],
        Value::Null => vec![Value::from(42)],
    };
    match name {
        "clientContext" => wrong.push(Value::from("x".repeat(300))),
        "uri" => wrong.push(Value::from("ftp://prompts.example/a.wav")),
        "stopTones" if current.is_string() => wrong.push(Value::from("tone99")),
        _ => {}
    }
    wrong
}

/// What a broken route gets wrong.
#[derive(Clone, Copy, Debug)]
enum RouteBreak {
    /// The method.
    Method(&'static str),
    /// The action's name.
    Action(&'static str),
    /// The call: one that was never established.
    OtherCall,
    /// A `GET` of an operation that was never created.
    UnknownOperation,
}

fn route_breaks() -> impl Strategy<Value = RouteBreak> {
    prop_oneof![
        select(&["GET", "PUT", "PATCH", "DELETE"][..]).prop_map(RouteBreak::Method),
        select(&["playprompts", "recordresponses", "answer", ""][..]).prop_map(RouteBreak::Action),
        Just(RouteBreak::OtherCall),
        Just(RouteBreak::UnknownOperation),
    ]
}
