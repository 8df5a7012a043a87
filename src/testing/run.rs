//! One run of the harness: the replayer, the caller's acts, the bot's
//! requests and wake-ups on their way, stepped in time order.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::{Value, json};

use crate::id::{IdSource, OperationId};
use crate::replay::{DEFAULT_MAX_LINE_BYTES, ReplayOptions, ReplayRecord, Replayer};
use crate::time::Instant;
use crate::wire::GraphResponse;

use super::caller::Caller;
use super::harness::{Bot, BotRequest, Harness, Heard, Observation, Outbox, Step};

/// What the bot set going: a request on its way, or a wake-up.
#[derive(Debug)]
enum Pending {
    Request(BotRequest),
    Wake(u64),
}

/// One run's state.
pub(super) struct Run<'h> {
    harness: &'h Harness,
    caller: &'h Caller,
    replayer: Replayer,
    pub(super) scenario: String,
    pub(super) history: Vec<ReplayRecord>,
    /// The bot's requests and wake-ups, by when they come due, then in the
    /// order the bot set them.
    pending: BTreeMap<(Instant, u64), Pending>,
    /// How many the bot has set going.
    set: u64,
    /// The playPrompt and record operations the bot created, oldest first:
    /// what a late media report can name.
    media_operations: Vec<OperationId>,
    /// The caller's next act.
    next_act: usize,
    pub(super) now: Instant,
    /// Steps taken, the end not counted.
    pub(super) steps: usize,
    /// Whether the end has come.
    pub(super) ended: bool,
    /// When the last step before the end fired timers, its time: those
    /// records come from no line, so the scenario needs one there.
    timers_last_at: Option<Instant>,
}

impl<'h> Run<'h> {
    pub(super) fn new(harness: &'h Harness, caller: &'h Caller) -> Self {
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
            pending: BTreeMap::new(),
            set: 0,
            media_operations: Vec::new(),
            next_act: 0,
            now: Instant::ZERO,
            steps: 0,
            ended: false,
            timers_last_at: None,
        }
    }

    pub(super) fn go<B, P>(&mut self, bot: &mut B, property: &mut P) -> Result<(), String>
    where
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        let harness = self.harness;
        self.feed(&format!("{{\"config\":{}}}", harness.settings))?;
        for rule in &harness.faults {
            self.feed(&format!("{{\"at_ms\":0,\"fault\":{rule}}}"))?;
        }
        self.step(Step::Answered, bot, property)?;
        // No later than the engine's clock goes: past it, timers would
        // come due before the lines already written.
        let end = Instant::from_millis(self.caller.last_ms().saturating_add(harness.settle_ms))
            .min(Instant::LATEST);
        while let Some(at) = self.next_time() {
            if at > end {
                // Cut: what is still due never happens, and the end is
                // at the run's end.
                self.now = end;
                break;
            }
            self.now = at;
            let Some(step) = self.take_step(at) else {
                break;
            };
            self.step(step, bot, property)?;
        }
        self.step(Step::End, bot, property)
    }

    /// When the next step is due, if anything is.
    fn next_time(&self) -> Option<Instant> {
        let act = self.next_act_time();
        let pending = self.pending.keys().next().map(|(at, _)| *at);
        [self.replayer.poll_timeout(), act, pending]
            .into_iter()
            .flatten()
            .min()
    }

    fn next_act_time(&self) -> Option<Instant> {
        let (at_ms, _) = self.caller.acts().get(self.next_act)?;
        Some(Instant::from_millis(*at_ms))
    }

    /// The step due at `at` ([`Run::next_time`]): timers first, then the
    /// caller, then what the bot set going. (A line fires the timers due
    /// at its time before itself anyway.)
    fn take_step(&mut self, at: Instant) -> Option<Step> {
        if self.replayer.poll_timeout() == Some(at) {
            return Some(Step::Timers);
        }
        if self.next_act_time() == Some(at) {
            let (_, act) = self.caller.acts().get(self.next_act)?;
            self.next_act += 1;
            return Some(Step::Caller(act.clone()));
        }
        match self.pending.pop_first()? {
            (_, Pending::Request(request)) => Some(Step::Bot(request)),
            (_, Pending::Wake(tag)) => Some(Step::Wake { tag }),
        }
    }

    fn step<B, P>(&mut self, step: Step, bot: &mut B, property: &mut P) -> Result<(), String>
    where
        B: Bot,
        P: FnMut(&Observation<'_, B>) -> Result<(), String>,
    {
        if step == Step::End {
            self.ended = true;
        } else {
            self.steps += 1;
            if self.steps > self.harness.max_steps {
                return Err(format!(
                    "the run took more than {} steps: does the bot answer every \
                     response with another request?",
                    self.harness.max_steps
                ));
            }
            self.timers_last_at = (step == Step::Timers).then_some(self.now);
        }
        let start = self.history.len();
        let now = self.now;
        let call = &self.harness.call;
        match &step {
            Step::Answered => {
                let line = json!({"at_ms": 0, "event": "callEstablished", "call": call.as_str()});
                self.feed(&line.to_string())?;
            }
            Step::Caller(act) => {
                let line = act.line(now.as_millis(), call, &self.media_operations);
                self.feed(&line)?;
            }
            Step::Bot(request) => self.feed(&request.line(now.as_millis(), call))?,
            Step::Timers => {
                self.replayer.handle_timeout(now, &mut self.history);
                if let Some(error) = self.replayer.stopped() {
                    return Err(format!("the replayer stopped: {error}"));
                }
            }
            Step::Wake { .. } => {}
            // As at the end of a scenario: what a fault rule still holds.
            Step::End => self.replayer.finish(&mut self.history),
        }
        let mut outbox = Outbox::new(call.clone());
        let records = &self.history[start..];
        let heard = catch_unwind(AssertUnwindSafe(|| {
            match &step {
                Step::Answered => bot.hear(now, Heard::Answered, &mut outbox),
                Step::Wake { tag } => bot.hear(now, Heard::Wake { tag: *tag }, &mut outbox),
                _ => {}
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
        heard.map_err(|panic| format!("the bot panicked: {}", panic_message(panic)))?;
        self.media_operations
            .extend(records.iter().filter_map(created_media_operation));
        if step != Step::End {
            self.set_going(outbox)?;
        }
        let records = &self.history[start..];
        let observation = Observation {
            now,
            step: &step,
            call,
            records,
            history: &self.history,
            view: self.replayer.view(call),
            bot: &*bot,
        };
        catch_unwind(AssertUnwindSafe(|| property(&observation)))
            .unwrap_or_else(|panic| Err(format!("the property panicked: {}", panic_message(panic))))
    }

    /// Puts what the bot sent on its way: requests arrive after the bot's
    /// latency, wake-ups come when asked.
    fn set_going(&mut self, outbox: Outbox) -> Result<(), String> {
        let latency = Duration::from_millis(self.harness.bot_latency_ms);
        let (requests, wakes) = outbox.into_parts();
        let requests = requests
            .into_iter()
            .map(|request| (self.now.saturating_add(latency), Pending::Request(request)));
        let wakes = wakes.into_iter().map(|(after_ms, tag)| {
            let at = self.now.saturating_add(Duration::from_millis(after_ms));
            (at, Pending::Wake(tag))
        });
        for (at, pending) in requests.chain(wakes) {
            self.set += 1;
            self.pending.insert((at, self.set), pending);
        }
        if self.pending.len() > self.harness.max_steps {
            return Err(format!(
                "the bot has {} requests and wake-ups pending, more than the run's {} steps",
                self.pending.len(),
                self.harness.max_steps
            ));
        }
        Ok(())
    }

    /// Runs one scenario line and keeps it for the report.
    fn feed(&mut self, line: &str) -> Result<(), String> {
        if line.len() > DEFAULT_MAX_LINE_BYTES {
            return Err(format!(
                "a line of {} bytes: ivr-replay takes at most {DEFAULT_MAX_LINE_BYTES} \
                 a line, so the run would not replay (a request body this large?)",
                line.len()
            ));
        }
        self.scenario.push_str(line);
        self.scenario.push('\n');
        self.replayer
            .run_line(line, &mut self.history)
            .map_err(|e| format!("the harness wrote a line ivr-replay refuses: {e}"))
    }

    /// Ends the scenario: a line that fires the timers of a last step that
    /// was timers (they come from no line), and for a failed run what
    /// failed, as a comment. A failed run's records get what a fault rule
    /// still held, as the scenario's end brings it.
    pub(super) fn close(&mut self, failure: Option<&str>) {
        if let Some(at) = self.timers_last_at {
            self.scenario
                .push_str(&format!("{{\"at_ms\":{}}}\n", at.as_millis()));
        }
        if let Some(message) = failure {
            self.replayer.finish(&mut self.history);
            // One short comment line: ivr-replay refuses a line over 1 MiB.
            let mut quoted: String = message
                .chars()
                .take(COMMENT_CHARS)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if quoted.len() < message.len() {
                quoted.push_str("...");
            }
            self.scenario
                .push_str(&format!("// the property failed here: {quoted}\n"));
        }
    }
}

/// The playPrompt or record operation a response says was created.
fn created_media_operation(record: &ReplayRecord) -> Option<OperationId> {
    let ReplayRecord::Response {
        response:
            GraphResponse {
                created: Some(id),
                body: Some(body),
                ..
            },
        ..
    } = record
    else {
        return None;
    };
    let body: Value = serde_json::from_str(body).ok()?;
    let kind = body.get("@odata.type")?.as_str()?;
    kind.ends_with("playPromptOperation")
        .then_some(*id)
        .or_else(|| kind.ends_with("recordOperation").then_some(*id))
}

/// The longest failure message the scenario's closing comment quotes.
const COMMENT_CHARS: usize = 1_000;

/// The text of a panic's payload. The payload is dropped under
/// `catch_unwind` too: a payload whose drop panics stays caught.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
    message
}
