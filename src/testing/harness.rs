//! The harness: a bot, a scripted caller and the replayer in a closed loop
//! on the virtual clock, with the developer's property checked after every
//! step.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::call::CallView;
use crate::error::InvalidCallId;
use crate::id::{CallId, OperationId};
use crate::io::Notification;
use crate::model::{ApiVersion, Request};
use crate::replay::{ReplayConfig, ReplayRecord, Replayer};
use crate::time::Instant;
use crate::wire::{self, GraphResponse};

use super::caller::{Caller, CallerAct};
use super::run::Run;

/// A bot's logic: it hears what happens on its call and answers with
/// requests. Any `FnMut(Instant, Heard<'_>, &mut Outbox)` is one.
pub trait Bot {
    /// `heard` happened at `now`; put the requests to send in `outbox`.
    /// They reach the service [`Harness::bot_latency_ms`] later, in order.
    fn hear(&mut self, now: Instant, heard: Heard<'_>, outbox: &mut Outbox);
}

impl<F> Bot for F
where
    F: FnMut(Instant, Heard<'_>, &mut Outbox),
{
    fn hear(&mut self, now: Instant, heard: Heard<'_>, outbox: &mut Outbox) {
        self(now, heard, outbox);
    }
}

/// What a bot hears.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Heard<'a> {
    /// The call was answered: the bot's first chance to send (a real bot
    /// learns it from the call's `established` notification).
    Answered,
    /// The service answered a request of the bot's.
    Response {
        /// The request, as the bot sent it.
        request: &'a BotRequest,
        /// The answer; [`GraphResponse::created`] names the operation a
        /// media request created.
        response: &'a GraphResponse,
    },
    /// The service POSTed a notification (its JSON:
    /// [`wire::notification_json`]).
    Notification(&'a Notification),
    /// A wake-up the bot asked for with [`Outbox::wake_after`]: a
    /// no-input timeout, a reprompt.
    Wake {
        /// The tag the bot gave it.
        tag: u64,
    },
}

/// A request a bot sends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BotRequest {
    /// A media action, POSTed as the Graph SDK would (every property
    /// written, `clientContext` when set).
    Graph(Request),
    /// `GET` an operation.
    GetOperation {
        /// The API version of the URL.
        api: ApiVersion,
        /// The operation.
        operation: OperationId,
    },
    /// `DELETE` the call: the bot hangs up.
    HangUp {
        /// The API version of the URL.
        api: ApiVersion,
    },
    /// Any request at all, the body sent byte for byte: for bots that build
    /// their own JSON, and for invalid requests. (A `$` in the URL is sent
    /// as `%24`, which the service reads back as `$`: the scenario's
    /// `$opN` references are not for bots.)
    Raw {
        /// The HTTP method.
        method: String,
        /// The URL, absolute or a path.
        url: String,
        /// The body, if any.
        body: Option<String>,
    },
}

impl BotRequest {
    /// The scenario line that sends it at `at_ms` on `call`.
    pub(super) fn line(&self, at_ms: u64, call: &CallId) -> String {
        let mut request = match self {
            Self::Graph(request) => {
                // `request_body` writes valid JSON; the line carries it as
                // a value, the way a scenario author would.
                let body: Value = serde_json::from_slice(&wire::request_body(request))
                    .unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
                json!({"url": wire::action_url(call, request), "body": body})
            }
            Self::GetOperation { api, operation } => json!({
                "method": "GET",
                "url": wire::operation_location(*api, call, *operation),
            }),
            Self::HangUp { api } => json!({
                "method": "DELETE",
                "url": wire::call_url(*api, call),
            }),
            Self::Raw { method, url, body } => {
                let mut request = json!({"method": method, "url": url});
                if let Some(body) = body {
                    request["rawBody"] = Value::from(body.as_str());
                }
                request
            }
        };
        // A `$` in a URL would read as an `$opN` reference: written
        // `%24`, which the service decodes back, the URL says what it says.
        if let Some(url) = request.get_mut("url") {
            if let Some(text) = url.as_str().filter(|text| text.contains('$')) {
                *url = Value::from(text.replace('$', "%24"));
            }
        }
        json!({"at_ms": at_ms, "request": request}).to_string()
    }
}

/// Where a bot puts the requests it sends, and the wake-ups it wants.
#[derive(Debug)]
pub struct Outbox {
    call: CallId,
    requests: Vec<BotRequest>,
    /// `(after_ms, tag)`.
    wakes: Vec<(u64, u64)>,
}

impl Outbox {
    pub(super) fn new(call: CallId) -> Self {
        Self {
            call,
            requests: Vec::new(),
            wakes: Vec::new(),
        }
    }

    pub(super) fn into_parts(self) -> (Vec<BotRequest>, Vec<(u64, u64)>) {
        (self.requests, self.wakes)
    }

    /// The bot's call.
    pub fn call(&self) -> &CallId {
        &self.call
    }

    /// Sends a media action.
    pub fn send(&mut self, request: Request) {
        self.requests.push(BotRequest::Graph(request));
    }

    /// Asks for an operation (`GET .../operations/{id}`).
    pub fn get_operation(&mut self, api: ApiVersion, operation: OperationId) {
        self.requests
            .push(BotRequest::GetOperation { api, operation });
    }

    /// Hangs up (`DELETE` the call).
    pub fn hang_up(&mut self, api: ApiVersion) {
        self.requests.push(BotRequest::HangUp { api });
    }

    /// Sends a request built elsewhere (from
    /// [`strategy::wire_requests`](super::strategy::wire_requests), say).
    pub fn push(&mut self, request: BotRequest) {
        self.requests.push(request);
    }

    /// Wakes the bot `after_ms` from now with [`Heard::Wake`] and `tag`: a
    /// bot's own timer (no input for 5 s: play the menu again). Nothing
    /// reaches the service, so the scenario has no line for it.
    pub fn wake_after(&mut self, after_ms: u64, tag: u64) {
        self.wakes.push((after_ms, tag));
    }

    /// Sends any request, valid or not.
    pub fn send_raw(&mut self, method: &str, url: &str, body: Option<&str>) {
        self.requests.push(BotRequest::Raw {
            method: method.to_owned(),
            url: url.to_owned(),
            body: body.map(str::to_owned),
        });
    }
}

/// What a step of the run was.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The call was answered (the first step).
    Answered,
    /// The caller (or the media layer) did something.
    Caller(CallerAct),
    /// A request of the bot's reached the service.
    Bot(BotRequest),
    /// A wake-up the bot asked for came due.
    Wake {
        /// Its tag.
        tag: u64,
    },
    /// Timers came due: a beep or a prompt ended, a record timed out.
    Timers,
    /// The run is over: nothing more was due, or the run reached
    /// [`Harness::settle_ms`] after the caller's last act (then `now` is
    /// that time, and what was still due never happens; what the bot
    /// sends now goes nowhere). Its records are what a fault rule still
    /// held, released as at a scenario's end. Checked once, last, so a
    /// property can say what must have happened by then.
    End,
}

/// What the property sees after each step.
#[derive(Debug)]
#[non_exhaustive]
pub struct Observation<'a, B> {
    /// When the step happened.
    pub now: Instant,
    /// The step.
    pub step: &'a Step,
    /// The call.
    pub call: &'a CallId,
    /// What the step caused: requests, responses, notifications, media
    /// commands, traces, in order.
    pub records: &'a [ReplayRecord],
    /// Everything so far, this step's records last.
    pub history: &'a [ReplayRecord],
    /// What the engine holds for the call now; `None` once it has ended.
    pub view: Option<CallView>,
    /// The bot, after it heard this step's records.
    pub bot: &'a B,
}

/// A run that passed: what happened, and the scenario that replays it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transcript {
    /// Every record of the run, in order.
    pub records: Vec<ReplayRecord>,
    /// The `ivr-replay` scenario that reproduces `records` with
    /// `--seed` [`Transcript::seed`].
    pub scenario: String,
    /// The id seed.
    pub seed: u64,
}

/// A run in which the property failed (or the bot panicked, or the run
/// would not end). Its `Display` is the report: what failed, when, and the
/// `ivr-replay` scenario that replays the run up to that step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// What the property (or the harness) said.
    pub message: String,
    /// When.
    pub at: Instant,
    /// Which step, from 1 (the answer; the end is one more than the last
    /// step); 0 when no run failed (see [`Harness::check`]).
    pub step: usize,
    /// The caller.
    pub caller: Caller,
    /// Every record up to and including the failing step, then what a
    /// fault rule still held, as the scenario's end releases it.
    pub records: Vec<ReplayRecord>,
    /// The `ivr-replay` scenario that reproduces `records` with `--seed`
    /// [`Failure::seed`].
    pub scenario: String,
    /// The id seed.
    pub seed: u64,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scenario.is_empty() {
            // No run to show (proptest gave up before one failed).
            return f.write_str(&self.message);
        }
        writeln!(
            f,
            "at {} ms (step {}): {}",
            self.at.as_millis(),
            self.step,
            self.message
        )?;
        match self.caller.acts().len() {
            0 => writeln!(f, "the caller does nothing")?,
            1 => writeln!(f, "the caller (1 act):")?,
            n => writeln!(f, "the caller ({n} acts):")?,
        }
        for (at_ms, act) in self.caller.acts() {
            writeln!(f, "  at {at_ms} ms: {act:?}")?;
        }
        writeln!(
            f,
            "replay it: save the lines below as failure.jsonl and run \
             `ivr-replay --seed {} --format timeline failure.jsonl`",
            self.seed
        )?;
        f.write_str(&self.scenario)
    }
}

impl From<Failure> for proptest::test_runner::TestCaseError {
    /// The whole report, so proptest prints the scenario of the case it
    /// shrank to.
    fn from(failure: Failure) -> Self {
        Self::fail(failure.to_string())
    }
}

/// The settings of a run: the replayer's config line, the call, the id
/// seed, the bot's latency and the run's bounds. Build it with the
/// setters; [`Harness::run`] runs one caller, [`Harness::check`] searches
/// many and shrinks the first that fails.
#[derive(Clone, Debug)]
pub struct Harness {
    /// The config line's object, as JSON text.
    pub(super) settings: String,
    /// Fault rules, each a `fault` line's object as JSON text.
    pub(super) faults: Vec<String>,
    pub(super) call: CallId,
    pub(super) seed: u64,
    pub(super) bot_latency_ms: u64,
    pub(super) settle_ms: u64,
    pub(super) max_steps: usize,
    pub(super) cases: u32,
}

/// The replayer settings a harness starts with: prompts end by themselves
/// after 2 s (or their URI's `durationMs=N`), the beep plays 300 ms, and
/// the bot is told when the call ends.
pub const DEFAULT_SETTINGS: &str = r#"{"promptMs":2000,"beepMs":300,"notifyOnTermination":true}"#;

impl Default for Harness {
    /// [`DEFAULT_SETTINGS`], call `c1`, seed 1, a 30 ms bot, 30 s to
    /// settle, 10 000 steps, and 256 cases (or `PROPTEST_CASES`, when the
    /// environment sets it: a long search needs no code change).
    fn default() -> Self {
        Self {
            settings: DEFAULT_SETTINGS.to_owned(),
            faults: Vec::new(),
            call: CallId::new("c1"),
            seed: 1,
            bot_latency_ms: 30,
            settle_ms: 30_000,
            max_steps: 10_000,
            cases: proptest::test_runner::Config::default().cases,
        }
    }
}

impl Harness {
    /// The default harness.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the replayer's settings: the object of an `ivr-replay`
    /// config line (`{"promptMs": 4000, "queueCapacity": 5}`), each
    /// setting over the one it replaces; `null` takes a setting out
    /// (`{"promptMs": null}`: prompts end only when the caller's
    /// [`CallerAct::PromptEnds`] says so). The error names the setting and
    /// its rule.
    pub fn settings(mut self, settings: &str) -> Result<Self, String> {
        let changes: Map<String, Value> =
            serde_json::from_str(settings).map_err(|e| format!("config: {e}"))?;
        let mut merged: Map<String, Value> =
            serde_json::from_str(&self.settings).map_err(|e| format!("config: {e}"))?;
        for (key, value) in changes {
            match value {
                Value::Null => merged.remove(&key),
                value => merged.insert(key, value),
            };
        }
        let merged = Value::Object(merged).to_string();
        ReplayConfig::from_settings_json(&merged)?;
        self.settings = merged;
        Ok(self)
    }

    /// Adds a fault rule (the `fault` feature): the object of an
    /// `ivr-replay` `fault` line, set before the call is answered.
    /// Notification rules drop, duplicate, delay or reorder what the bot
    /// hears (`{"notifications": "duplicate", "kind": "operationEnded"}`),
    /// request rules answer a request with HTTP 500, prompt rules fail a
    /// prompt or play it twice. The error says what is wrong with the rule.
    pub fn fault(mut self, rule: &str) -> Result<Self, String> {
        // One JSON object, checked as the line it becomes (which also
        // refuses repeated keys).
        let value: Value = serde_json::from_str(rule).map_err(|e| format!("fault: {e}"))?;
        Replayer::check_line(&format!("{{\"at_ms\":0,\"fault\":{rule}}}"))?;
        let kind = |rule: &Value| {
            ["notifications", "requests", "prompts"]
                .into_iter()
                .find(|kind| rule.get(kind).is_some())
        };
        let same_kind = self
            .faults
            .iter()
            .filter_map(|held| serde_json::from_str::<Value>(held).ok())
            .filter(|held| kind(held) == kind(&value))
            .count();
        if same_kind == crate::fault::MAX_FAULT_RULES {
            return Err(format!(
                "fault: at most {} rules of one kind may be set",
                crate::fault::MAX_FAULT_RULES
            ));
        }
        self.faults.push(value.to_string());
        Ok(self)
    }

    /// The call's id (default `c1`); refused as [`CallId::parse`] refuses
    /// one no URL can name.
    pub fn call(mut self, call: &str) -> Result<Self, InvalidCallId> {
        self.call = CallId::parse(call)?;
        Ok(self)
    }

    /// The seed of the operation ids, and of [`Harness::check`]'s search
    /// (default 1): the same seed, bot and property find the same failure,
    /// so a test in CI tries the same callers every run. To search wider,
    /// vary the seed (from an environment variable, say) and keep the
    /// seeds that found something as regression tests.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long a request takes from the bot to the service, and a
    /// notification from the service to the bot is taken as instant
    /// (default 30 ms). Races between the caller and the bot live in this
    /// gap; 0 still orders the bot after the caller at one millisecond.
    pub fn bot_latency_ms(mut self, ms: u64) -> Self {
        self.bot_latency_ms = ms;
        self
    }

    /// How long the run goes on after the caller's last act (default 30 s):
    /// a looping prompt or a bot that keeps asking would go on forever.
    pub fn settle_ms(mut self, ms: u64) -> Self {
        self.settle_ms = ms;
        self
    }

    /// The most steps a run may take (default 10 000); a run that needs
    /// more fails, as a bot that answers every response with a request
    /// never lets the clock move.
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps;
        self
    }

    /// How many callers [`Harness::check`] tries (default 256, or
    /// `PROPTEST_CASES`); this wins over the environment.
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// Runs `bot` against `caller`, checking `property` after every step
    /// (and once more at [`Step::End`]). A property returns `Err` with what
    /// is wrong, or panics; a bot that panics fails the run too.
    pub fn run<B, P>(
        &self,
        caller: &Caller,
        bot: &mut B,
        property: &mut P,
    ) -> Result<Transcript, Failure>
    where
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        let mut run = Run::new(self, caller);
        let outcome = run.go(bot, property);
        match outcome {
            Ok(()) => {
                run.close(None);
                Ok(Transcript {
                    records: run.history,
                    scenario: run.scenario,
                    seed: self.seed,
                })
            }
            Err(message) => {
                run.close(Some(&message));
                Err(Failure {
                    message,
                    at: run.now,
                    step: run.steps + usize::from(run.ended),
                    caller: caller.clone(),
                    records: run.history,
                    scenario: run.scenario,
                    seed: self.seed,
                })
            }
        }
    }
}
