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
    /// At most this many acts (default 8), not counting those that come
    /// in the same millisecond as another (one act in six brings one).
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
    vec((0..=options.within_ms, acts, same_ms), 0..=options.max_acts)
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

/// Requests on `call` as raw HTTP, valid and not, for rigs and for bots
/// that build their own JSON: half are [`requests`] as the SDK sends them;
/// the others break one thing: a field removed or of the wrong type or out
/// of range, a body that is not a JSON object, an action or call that does
/// not exist, the wrong method, an operation that was never created.
pub fn wire_requests(call: CallId) -> impl Strategy<Value = BotRequest> {
    let sent_as_is = {
        let call = call.clone();
        requests().prop_map(move |request| raw(&call, &request))
    };
    let broken_field = {
        let call = call.clone();
        (requests(), any::<Index>(), field_breaks()).prop_map(move |(request, which, broken)| {
            let mut body: Value =
                serde_json::from_slice(&wire::request_body(&request)).unwrap_or(Value::Null);
            break_one_field(&mut body, which, &broken);
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
        4 => sent_as_is,
        2 => broken_field,
        1 => broken_body,
        1 => broken_route,
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

/// Bodies that are not a JSON object.
const NOT_OBJECTS: [&str; 7] = [
    "",
    "{",
    "[]",
    "null",
    "42",
    "\"playPrompt\"",
    "{\"prompts\":[}",
];

/// What a broken field becomes.
#[derive(Clone, Debug)]
enum FieldBreak {
    /// It is left out.
    Removed,
    /// It holds this instead.
    Replaced(Value),
}

fn field_breaks() -> impl Strategy<Value = FieldBreak> {
    prop_oneof![
        Just(FieldBreak::Removed),
        select(vec![
            Value::Null,
            Value::from(true),
            Value::from("yes"),
            Value::from(0),
            Value::from(-1),
            Value::from(121),
            Value::from(1e12),
            Value::from("tone99"),
            Value::from("ftp://prompts.example/a.wav"),
            Value::Array(Vec::new()),
            Value::Object(serde_json::Map::new()),
        ])
        .prop_map(FieldBreak::Replaced),
    ]
}

/// Breaks the `which`-th field of `body`, counting every field of every
/// object in it, depth first.
fn break_one_field(body: &mut Value, which: Index, broken: &FieldBreak) {
    let count = count_fields(body);
    if count == 0 {
        // `{}` (subscribe, cancel): a field it does not know.
        if let Value::Object(object) = body {
            object.insert("unexpected".to_owned(), Value::from(1));
        }
        return;
    }
    let mut target = which.index(count);
    visit_field(body, &mut target, broken);
}

fn count_fields(value: &Value) -> usize {
    match value {
        Value::Object(object) => object.len() + object.values().map(count_fields).sum::<usize>(),
        Value::Array(items) => items.iter().map(count_fields).sum(),
        _ => 0,
    }
}

/// Breaks field number `target` (counting down); true once done.
fn visit_field(value: &mut Value, target: &mut usize, broken: &FieldBreak) -> bool {
    match value {
        Value::Object(object) => {
            let keys: Vec<String> = object.keys().cloned().collect();
            for key in keys {
                if *target == 0 {
                    match broken {
                        FieldBreak::Removed => {
                            object.remove(&key);
                        }
                        FieldBreak::Replaced(with) => {
                            object.insert(key, with.clone());
                        }
                    }
                    return true;
                }
                *target -= 1;
                if let Some(inner) = object.get_mut(&key) {
                    if visit_field(inner, target, broken) {
                        return true;
                    }
                }
            }
            false
        }
        Value::Array(items) => items
            .iter_mut()
            .any(|item| visit_field(item, target, broken)),
        _ => false,
    }
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
