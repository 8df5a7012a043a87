//! The harness: a bot, a scripted caller and the replayer in a closed loop
//! on the virtual clock, with the developer's property checked after every
//! step.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::{Value, json};

use crate::call::CallView;
use crate::error::InvalidCallId;
use crate::id::{CallId, IdSource, OperationId};
use crate::io::Notification;
use crate::model::{ApiVersion, Request};
use crate::replay::{ReplayConfig, ReplayOptions, ReplayRecord, Replayer};
use crate::time::Instant;
use crate::wire::{self, GraphResponse};

use super::caller::{Caller, CallerAct};

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
}

/// A request a bot sends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BotRequest {
    /// A media action, POSTed as the Graph SDK would (every property
    /// written, `clientContext` when set).
    Graph(Request),
    /// `GET` an operation.
    GetOperation(OperationId),
    /// `DELETE` the call: the bot hangs up.
    HangUp,
    /// Any request at all, the body sent byte for byte: for bots that build
    /// their own JSON, and for invalid requests.
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
    fn line(&self, at_ms: u64, call: &CallId) -> String {
        let request = match self {
            Self::Graph(request) => {
                // `request_body` writes valid JSON; the line carries it as
                // a value, the way a scenario author would.
                let body: Value = serde_json::from_slice(&wire::request_body(request))
                    .unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
                json!({"url": wire::action_url(call, request), "body": body})
            }
            Self::GetOperation(operation) => json!({
                "method": "GET",
                "url": wire::operation_location(ApiVersion::V1, call, *operation),
            }),
            Self::HangUp => json!({
                "method": "DELETE",
                "url": wire::call_url(ApiVersion::V1, call),
            }),
            Self::Raw { method, url, body } => {
                let mut request = json!({"method": method, "url": url});
                if let Some(body) = body {
                    request["rawBody"] = Value::from(body.as_str());
                }
                request
            }
        };
        json!({"at_ms": at_ms, "request": request}).to_string()
    }
}

/// Where a bot puts the requests it sends.
#[derive(Debug)]
pub struct Outbox {
    call: CallId,
    requests: Vec<BotRequest>,
}

impl Outbox {
    /// The bot's call.
    pub fn call(&self) -> &CallId {
        &self.call
    }

    /// Sends a media action.
    pub fn send(&mut self, request: Request) {
        self.requests.push(BotRequest::Graph(request));
    }

    /// Asks for an operation (`GET .../operations/{id}`).
    pub fn get_operation(&mut self, operation: OperationId) {
        self.requests.push(BotRequest::GetOperation(operation));
    }

    /// Hangs up (`DELETE` the call).
    pub fn hang_up(&mut self) {
        self.requests.push(BotRequest::HangUp);
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
    /// Timers came due: a beep or a prompt ended, a record timed out.
    Timers,
    /// Nothing more happens: the caller is done, no request is in flight,
    /// no timer is due before the run's end. Checked once, last, so a
    /// property can say what must have happened by then.
    End,
}

/// What the property sees after each step.
#[derive(Debug)]
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
pub struct Failure {
    /// What the property (or the harness) said.
    pub message: String,
    /// When.
    pub at: Instant,
    /// Which step, from 1 (the answer).
    pub step: usize,
    /// The caller.
    pub caller: Caller,
    /// Every record up to and including the failing step.
    pub records: Vec<ReplayRecord>,
    /// The `ivr-replay` scenario that reproduces `records` with `--seed`
    /// [`Failure::seed`].
    pub scenario: String,
    /// The id seed.
    pub seed: u64,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "at {} ms (step {}): {}",
            self.at.as_millis(),
            self.step,
            self.message
        )?;
        match self.caller.acts.len() {
            0 => writeln!(f, "the caller does nothing")?,
            1 => writeln!(f, "the caller (1 act):")?,
            n => writeln!(f, "the caller ({n} acts):")?,
        }
        for (at_ms, act) in &self.caller.acts {
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
    /// settle, 10 000 steps, 256 cases.
    fn default() -> Self {
        Self {
            settings: DEFAULT_SETTINGS.to_owned(),
            faults: Vec::new(),
            call: CallId::new("c1"),
            seed: 1,
            bot_latency_ms: 30,
            settle_ms: 30_000,
            max_steps: 10_000,
            cases: 256,
        }
    }
}

impl Harness {
    /// The default harness.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the replayer's settings: the object of an `ivr-replay`
    /// config line (`{"promptMs": 4000, "queueCapacity": 5}`). The error
    /// names the setting and its rule.
    pub fn settings(mut self, settings: &str) -> Result<Self, String> {
        ReplayConfig::from_settings_json(settings)?;
        let value: Value = serde_json::from_str(settings).map_err(|e| format!("config: {e}"))?;
        self.settings = value.to_string();
        Ok(self)
    }

    /// Adds a fault rule (the `fault` feature): the object of an
    /// `ivr-replay` `fault` line, set before the call is answered.
    /// Notification rules drop, duplicate, delay or reorder what the bot
    /// hears (`{"notifications": "duplicate", "kind": "operationEnded"}`),
    /// request rules answer a request with HTTP 500, prompt rules fail a
    /// prompt or play it twice. The error says what is wrong with the rule.
    pub fn fault(mut self, rule: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(rule).map_err(|e| format!("fault: {e}"))?;
        let line = json!({"at_ms": 0, "fault": value}).to_string();
        Replayer::check_line(&line)?;
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
    /// (default 1): the same seed, bot and property find the same failure.
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

    /// How many callers [`Harness::check`] tries (default 256).
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
                run.close_scenario(None);
                Ok(Transcript {
                    records: run.history,
                    scenario: run.scenario,
                    seed: self.seed,
                })
            }
            Err(message) => {
                run.close_scenario(Some(&message));
                Err(Failure {
                    message,
                    at: run.now,
                    step: run.steps,
                    caller: caller.clone(),
                    records: run.history,
                    scenario: run.scenario,
                    seed: self.seed,
                })
            }
        }
    }
}

/// One run's state.
struct Run<'h> {
    harness: &'h Harness,
    caller: &'h Caller,
    replayer: Replayer,
    scenario: String,
    history: Vec<ReplayRecord>,
    /// The bot's requests on their way, each with when it arrives.
    in_flight: VecDeque<(Instant, BotRequest)>,
    /// The operations the bot's requests created, oldest first.
    created: Vec<OperationId>,
    /// The caller's next act.
    next_act: usize,
    now: Instant,
    steps: usize,
    /// Whether the last step fired timers: its records come from no line,
    /// so a scenario that stops there needs a line at its time.
    last_was_timers: bool,
}

impl<'h> Run<'h> {
    fn new(harness: &'h Harness, caller: &'h Caller) -> Self {
        let replayer = Replayer::new(ReplayOptions {
            ids: IdSource::seeded(harness.seed),
            snapshot_at: None,
        });
        Self {
            harness,
            caller,
            replayer,
            scenario: String::new(),
            history: Vec::new(),
            in_flight: VecDeque::new(),
            created: Vec::new(),
            next_act: 0,
            now: Instant::ZERO,
            steps: 0,
            last_was_timers: false,
        }
    }

    fn go<B, P>(&mut self, bot: &mut B, property: &mut P) -> Result<(), String>
    where
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        let config = format!("{{\"config\":{}}}", self.harness.settings);
        self.feed(&config)?;
        let harness = self.harness;
        for rule in &harness.faults {
            self.feed(&format!("{{\"at_ms\":0,\"fault\":{rule}}}"))?;
        }
        self.step(Step::Answered, bot, property)?;
        let end =
            Instant::from_millis(self.caller.last_ms().saturating_add(self.harness.settle_ms));
        while let Some((at, step)) = self.next_step() {
            if at > end {
                break;
            }
            self.now = at;
            self.step(step, bot, property)?;
        }
        self.step(Step::End, bot, property)
    }

    /// What happens next, and when: timers first, then the caller, then
    /// the bot, among those due at one millisecond. (A line fires the
    /// timers due at its time before itself anyway.)
    fn next_step(&mut self) -> Option<(Instant, Step)> {
        let act = self
            .caller
            .acts
            .get(self.next_act)
            .map(|(at_ms, _)| Instant::from_millis(*at_ms).max(self.now));
        let request = self.in_flight.front().map(|(at, _)| *at);
        let timer = self.replayer.poll_timeout();
        let at = [timer, act, request].into_iter().flatten().min()?;
        if timer == Some(at) {
            Some((at, Step::Timers))
        } else if act == Some(at) {
            let (_, act) = &self.caller.acts[self.next_act];
            self.next_act += 1;
            Some((at, Step::Caller(act.clone())))
        } else {
            let (_, request) = self.in_flight.pop_front()?;
            Some((at, Step::Bot(request)))
        }
    }

    fn step<B, P>(&mut self, step: Step, bot: &mut B, property: &mut P) -> Result<(), String>
    where
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        self.steps += 1;
        if self.steps > self.harness.max_steps {
            return Err(format!(
                "the run took more than {} steps: does the bot answer every \
                 response with another request?",
                self.harness.max_steps
            ));
        }
        let start = self.history.len();
        let now = self.now;
        let call = &self.harness.call;
        if step != Step::End {
            self.last_was_timers = step == Step::Timers;
        }
        match &step {
            Step::Answered => {
                let line = json!({"at_ms": 0, "event": "callEstablished", "call": call.as_str()});
                self.feed(&line.to_string())?;
            }
            Step::Caller(act) => {
                let line = act.line(now.as_millis(), call, &self.created);
                self.feed(&line)?;
            }
            Step::Bot(request) => self.feed(&request.line(now.as_millis(), call))?,
            Step::Timers => {
                self.replayer.handle_timeout(now, &mut self.history);
                if let Some(error) = self.replayer.stopped() {
                    return Err(format!("the replayer stopped: {error}"));
                }
            }
            Step::End => {}
        }
        let mut outbox = Outbox {
            call: call.clone(),
            requests: Vec::new(),
        };
        let records = &self.history[start..];
        let heard = catch_unwind(AssertUnwindSafe(|| {
            if step == Step::Answered {
                bot.hear(now, Heard::Answered, &mut outbox);
            }
            for record in records {
                match record {
                    ReplayRecord::Notification {
                        at, notification, ..
                    } => bot.hear(*at, Heard::Notification(notification), &mut outbox),
                    ReplayRecord::Response { at, response } => {
                        if let Step::Bot(request) = &step {
                            bot.hear(*at, Heard::Response { request, response }, &mut outbox);
                        }
                    }
                    _ => {}
                }
            }
        }));
        heard.map_err(|panic| format!("the bot panicked: {}", panic_message(&*panic)))?;
        for record in records {
            if let ReplayRecord::Response {
                response:
                    GraphResponse {
                        created: Some(id), ..
                    },
                ..
            } = record
            {
                self.created.push(*id);
            }
        }
        let arrives = now.saturating_add(Duration::from_millis(self.harness.bot_latency_ms));
        self.in_flight.extend(
            outbox
                .requests
                .into_iter()
                .map(|request| (arrives, request)),
        );
        if self.in_flight.len() > self.harness.max_steps {
            return Err(format!(
                "the bot has {} requests in flight, more than the run's {} steps",
                self.in_flight.len(),
                self.harness.max_steps
            ));
        }
        let observation = Observation {
            now,
            step: &step,
            call,
            records,
            history: &self.history,
            view: self.replayer.view(call),
            bot: &*bot,
        };
        catch_unwind(AssertUnwindSafe(|| property(&observation))).unwrap_or_else(|panic| {
            Err(format!("the property panicked: {}", panic_message(&*panic)))
        })
    }

    /// Runs one scenario line and keeps it for the report.
    fn feed(&mut self, line: &str) -> Result<(), String> {
        self.scenario.push_str(line);
        self.scenario.push('\n');
        self.replayer
            .run_line(line, &mut self.history)
            .map_err(|e| format!("the harness wrote a line ivr-replay refuses: {e}"))
    }

    /// Ends the scenario: a line that fires the timers of a last step that
    /// was timers (they come from no line), and for a failed run what
    /// failed, as a comment.
    fn close_scenario(&mut self, failure: Option<&str>) {
        if self.last_was_timers {
            self.scenario
                .push_str(&format!("{{\"at_ms\":{}}}\n", self.now.as_millis()));
        }
        if let Some(message) = failure {
            let message = message.replace(['\n', '\r'], " ");
            self.scenario
                .push_str(&format!("// the property failed here: {message}\n"));
        }
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
