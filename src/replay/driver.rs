//! The run behind a [`super::Replayer`]: the engine, the simulated media
//! layer, the fault rules and the clock, and one method per kind of
//! scenario step.
//!
//! Over 500 lines on purpose: every method works on the one run's state
//! (engine, media layer, faults, clock, the ids `$opN` names); split, they
//! would pass it all around.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::call::{CancelReceipt, CancelScope, MediaPhase};
use crate::config::EngineConfig;
use crate::engine::{Engine, EngineOutput};
use crate::error::{InputIgnored, RequestError};
use crate::fault::{FaultError, Faults};
use crate::id::{CallId, IdSource, OperationId};
use crate::io::{MediaCommand, MediaInput, Notification, Output};
use crate::model::{Action, ApiVersion, CollectDigits, Request, ResultInfo};
use crate::sim::{MediaLayer, MediaReport};
use crate::snapshot::EngineSnapshot;
use crate::time::Instant;
use crate::wire::{self, GraphResponse, ParsedRequest};

use super::fault_line::FaultRule;
use super::scenario::{Event, OpRef, ScopeRef, Step};
use super::{KEPT_OPERATION_IDS, ReplayConfig, ReplayOptions, ReplayRecord};

/// The engine, the simulated media layer and the clock.
pub(super) struct Replay {
    pub(super) config: ReplayConfig,
    ids: IdSource,
    pub(super) engine: Engine,
    /// When to move every call to a fresh engine (once).
    snapshot_at: Option<Instant>,
    pub(super) clock: Instant,
    /// The last [`KEPT_OPERATION_IDS`] operations created, for `$opN`.
    created: VecDeque<OperationId>,
    /// How many operations the scenario created in all.
    created_total: usize,
    /// Test only: spoils the snapshot bytes of `snapshot_at` on their way
    /// to the fresh engine, to see a failed move stop the run.
    #[cfg(test)]
    pub(super) carry: fn(Vec<u8>) -> Vec<u8>,
    /// The simulated media layer: beeps that finish, recordings stored,
    /// prompts that end by themselves (`beepMs`, `storeMs`, `promptMs`).
    media: MediaLayer,
    /// Extension: fault rules between the engine, the bot and the media
    /// layer (`fault` lines).
    faults: Faults,
}

impl Replay {
    pub(super) fn new(config: ReplayConfig, options: &ReplayOptions) -> Result<Self, String> {
        let ids = options.ids.clone();
        let engine = Self::engine(&config, &ids)?;
        let media = MediaLayer::new(config.media_layer());
        Ok(Self {
            config,
            ids,
            engine,
            snapshot_at: options.snapshot_at,
            clock: Instant::ZERO,
            created: VecDeque::new(),
            created_total: 0,
            #[cfg(test)]
            carry: |bytes| bytes,
            media,
            faults: Faults::default(),
        })
    }

    fn engine(config: &ReplayConfig, ids: &IdSource) -> Result<Engine, String> {
        Engine::new(EngineConfig {
            call: Arc::new(config.call.clone()),
            ids: ids.clone(),
            // A replay runs on one thread: one shard is all the locking it
            // needs, and a drain visits one queue instead of 64.
            shards: 1,
            ..EngineConfig::default()
        })
        .map_err(|e| format!("config.{e}"))
    }

    /// Snapshots every call, as JSON bytes, and goes on in a fresh engine
    /// at `at`. A move that fails stops the run: going on in the old engine
    /// would hide the very failure the move is there to find.
    fn move_calls(&mut self, at: Instant) -> Result<(), String> {
        let failed = |why: String| {
            format!(
                "--snapshot-at {}: moving the calls to a fresh engine failed: {why}",
                at.as_millis()
            )
        };
        let bytes = self.engine.snapshot().to_json();
        #[cfg(test)]
        let bytes = (self.carry)(bytes);
        let snapshot = EngineSnapshot::from_json(&bytes)
            .map_err(|e| failed(format!("the snapshot does not read back: {e}")))?;
        let fresh = Self::engine(&self.config, &self.ids).map_err(failed)?;
        fresh
            .restore(&snapshot)
            .map_err(|e| failed(format!("the fresh engine refuses the snapshot: {e}")))?;
        self.engine = fresh;
        Ok(())
    }

    /// Keeps a created operation's id for `$opN`.
    fn remember(&mut self, id: OperationId) {
        if self.created.len() == KEPT_OPERATION_IDS {
            self.created.pop_front();
        }
        self.created.push_back(id);
        self.created_total += 1;
    }

    /// Applies one line: checks it, fires what is due before it, then runs it.
    pub(super) fn step(
        &mut self,
        at: Instant,
        step: Step,
        out: &mut Vec<ReplayRecord>,
    ) -> Result<(), String> {
        if at < self.clock {
            return Err(format!(
                "at_ms: {} is earlier than the previous line's {}",
                at.as_millis(),
                self.clock.as_millis()
            ));
        }
        // Every reference resolves before anything happens for this line.
        let step = self.resolve_step(step)?;
        self.advance(at, out)?;
        match step {
            Step::Advance => {}
            Step::Fault(rule) => self.add_fault(at, rule, out),
            Step::Inspect { call } => {
                let view = self.engine.view(&call);
                out.push(ReplayRecord::Inspect { at, call, view });
            }
            Step::CollectDigits {
                call,
                client_context,
                collect,
            } => self.collect_digits(at, call, client_context, collect, out),
            Step::Cancel {
                call,
                scope,
                client_context,
            } => self.cancel(at, call, scope, client_context, out),
            Step::Request { method, url, body } => self.request_step(at, method, url, body, out),
            Step::Event {
                call,
                event,
                operation,
            } => self.event(at, call, event, operation, out),
        }
        Ok(())
    }

    /// The step with every `$opN` replaced by the id it names.
    fn resolve_step(&self, step: Step) -> Result<Step, String> {
        Ok(match step {
            Step::Request { method, url, body } => Step::Request {
                url: self.resolve_url(&url)?,
                method,
                body,
            },
            Step::Event {
                call,
                event,
                operation,
            } => Step::Event {
                operation: operation
                    .map(|op| self.resolve(op).map(OpRef::Id))
                    .transpose()?,
                call,
                event,
            },
            Step::Cancel {
                call,
                scope: ScopeRef::Operation(op),
                client_context,
            } => Step::Cancel {
                call,
                scope: ScopeRef::Operation(OpRef::Id(self.resolve(op)?)),
                client_context,
            },
            step @ (Step::Advance
            | Step::Inspect { .. }
            | Step::CollectDigits { .. }
            | Step::Fault(_)
            | Step::Cancel { .. }) => step,
        })
    }

    /// A `fault` line: the rule is set, or refused (a trace either way).
    fn add_fault(&mut self, at: Instant, rule: FaultRule, out: &mut Vec<ReplayRecord>) {
        let text = format!("fault rule set (extension): {}", rule.describe());
        let added = match rule {
            FaultRule::Notifications(rule) => self.faults.add_notification_rule(rule),
            FaultRule::Requests(rule) => self.faults.add_request_rule(rule),
            FaultRule::Prompts(rule) => self.faults.add_prompt_rule(rule),
        };
        let text = match added {
            Ok(()) => text,
            Err(error) => format!("fault rule refused: {error}"),
        };
        out.push(ReplayRecord::Trace { at, text });
    }

    /// A `collectDigits` line (extension).
    fn collect_digits(
        &mut self,
        at: Instant,
        call: CallId,
        client_context: Option<String>,
        collect: CollectDigits,
        out: &mut Vec<ReplayRecord>,
    ) {
        let client_context = client_context.map(Arc::from);
        let result = self
            .engine
            .handle_collect_digits(at, &call, client_context, collect)
            .map(|operation| ReplayRecord::CollectDigits {
                at,
                call,
                operation,
            });
        self.record_created(at, result, "collectDigits", out);
    }

    /// A scoped `cancel` line (extension), its references resolved.
    fn cancel(
        &mut self,
        at: Instant,
        call: CallId,
        scope: ScopeRef,
        client_context: Option<String>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let scope = match scope {
            ScopeRef::All => CancelScope::All,
            ScopeRef::Current => CancelScope::Current,
            ScopeRef::Operation(OpRef::Id(id)) => CancelScope::Operation(id),
            ScopeRef::Operation(OpRef::Created(_)) => {
                unreachable!("resolve_step resolves every $opN before the step runs")
            }
            ScopeRef::ClientContextPrefix(prefix) => {
                CancelScope::ClientContextPrefix(Arc::from(prefix))
            }
        };
        let mut request = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        request.client_context = client_context.map(Arc::from);
        let result = self
            .engine
            .cancel_scoped(at, &call, request, scope)
            .map(|receipt| ReplayRecord::CancelReceipt { at, call, receipt });
        self.record_created(at, result, "cancel", out);
    }

    /// An extension step's outcome: the operation it created is kept for
    /// `$opN` and its record written, or the refusal traced; then what it
    /// set off.
    fn record_created(
        &mut self,
        at: Instant,
        result: Result<ReplayRecord, RequestError>,
        step: &str,
        out: &mut Vec<ReplayRecord>,
    ) {
        match result {
            Ok(record) => {
                match &record {
                    ReplayRecord::CollectDigits { operation, .. } => self.remember(operation.id),
                    ReplayRecord::CancelReceipt { receipt, .. } => self.remember(receipt.cancel.id),
                    _ => {}
                }
                out.push(record);
            }
            Err(error) => out.push(ReplayRecord::Trace {
                at,
                text: format!("{step} refused: {error}"),
            }),
        }
        self.drain(out);
    }

    /// A `request` line: the bot's request, the service's answer.
    fn request_step(
        &mut self,
        at: Instant,
        method: String,
        url: String,
        body: Vec<u8>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let (response, receipt) = self.request(at, &method, &url, &body);
        out.push(ReplayRecord::Request {
            at,
            method,
            url,
            body,
        });
        if let Some(id) = response.created {
            self.remember(id);
        }
        out.push(ReplayRecord::Response { at, response });
        if let Some((call, receipt)) = receipt {
            out.push(ReplayRecord::CancelReceipt { at, call, receipt });
        }
        self.drain(out);
    }

    /// An `event` line: the caller or the media layer did something.
    fn event(
        &mut self,
        at: Instant,
        call: CallId,
        event: Event,
        operation: Option<OpRef>,
        out: &mut Vec<ReplayRecord>,
    ) {
        let token = match operation {
            Some(OpRef::Id(id)) => Some(id),
            Some(OpRef::Created(_)) => {
                unreachable!("resolve_step resolves every $opN before the step runs")
            }
            None => None,
        };
        let (name, detail) = describe(&event);
        out.push(ReplayRecord::Event {
            at,
            call: call.clone(),
            name: name.to_owned(),
            detail,
        });
        if matches!(event, Event::Media(MediaInput::PlaybackFinished))
            && self.plays_again(&call, token)
        {
            out.push(ReplayRecord::Trace {
                at,
                text: PLAYS_AGAIN.to_owned(),
            });
            return;
        }
        let result = match event {
            Event::CallEstablished => self
                .engine
                .handle_call_established(at, &call)
                .map_err(|e| e.to_string()),
            Event::CallTerminated(result) => self
                .engine
                .handle_call_terminated(
                    at,
                    &call,
                    result.unwrap_or_else(ResultInfo::conversation_ended),
                )
                .map_err(|e| e.to_string()),
            Event::Media(input) => self
                .engine
                .handle_media(at, &call, token, input)
                .map_err(|e| e.to_string()),
        };
        if let Err(ignored) = result {
            out.push(ReplayRecord::Trace {
                at,
                text: format!("{name} ignored: {ignored}"),
            });
        }
        self.drain(out);
    }

    /// Serves a request; with `cancelReceipts`, a cancel goes through
    /// [`Engine::cancel_with_receipt`] (same response and notifications) and
    /// its receipt comes back too.
    fn request(
        &mut self,
        at: Instant,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> (GraphResponse, Option<(CallId, CancelReceipt)>) {
        let parsed = match wire::parse_request(&self.config.wire, method, url, body) {
            Ok(parsed) => parsed,
            Err(error) => return (GraphResponse::error(&error), None),
        };
        if let ParsedRequest::Action { call, request } = &parsed {
            if let Some(error) = self.faults.intercept_request(call, request.action.kind()) {
                return (GraphResponse::error(&error), None);
            }
        }
        match parsed {
            ParsedRequest::Action { call, request }
                if self.config.cancel_receipts
                    && request.action == Action::CancelMediaProcessing =>
            {
                match self.engine.cancel_with_receipt(at, &call, request) {
                    Ok(receipt) => (
                        wire::created_response(&call, &receipt.cancel),
                        Some((call, receipt)),
                    ),
                    Err(error) => (GraphResponse::error(&error.into()), None),
                }
            }
            parsed => (wire::handle_parsed(&self.engine, at, parsed), None),
        }
    }

    /// Whether the prompt that just finished on `call` plays a second time
    /// (a `playTwice` fault): then this "finished" is the media layer's to
    /// swallow, once.
    fn plays_again(&mut self, call: &CallId, token: Option<OperationId>) -> bool {
        let Some(active) = self.engine.view(call).and_then(|view| view.active) else {
            return false;
        };
        let MediaPhase::Prompt { index, .. } = active.phase else {
            return false;
        };
        let id = active.operation.id;
        if token.is_some_and(|t| t != id) {
            return false;
        }
        self.media.plays_again(call, id, index)
    }

    /// Moves the clock to `at` (not before it): what is due fires, and the
    /// calls move to a fresh engine if `snapshot_at` falls before it.
    pub(super) fn advance(
        &mut self,
        at: Instant,
        out: &mut Vec<ReplayRecord>,
    ) -> Result<(), String> {
        if let Some(move_at) = self.snapshot_at.filter(|t| *t <= at) {
            self.run_until(move_at, out);
            self.snapshot_at = None;
            self.move_calls(move_at)?;
        }
        self.run_until(at, out);
        self.clock = at;
        Ok(())
    }

    /// When the next engine timer, media report or held notification is due.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        [
            self.engine.poll_timeout(),
            self.media.poll_timeout(),
            self.faults.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires engine timers, the media layer's pending reports and the
    /// notifications fault rules delayed, due at or before `until`, in
    /// deadline order (on a tie in that order), each at its own time.
    fn run_until(&mut self, until: Instant, out: &mut Vec<ReplayRecord>) {
        loop {
            let timer = self.engine.poll_timeout();
            let report = self.media.poll_timeout();
            let release = self.faults.poll_timeout();
            let next = [timer, report, release]
                .into_iter()
                .flatten()
                .min()
                .filter(|t| *t <= until);
            match next {
                Some(t) if timer == Some(t) => {
                    self.engine.handle_timeout(t);
                    self.drain(out);
                }
                Some(t) if report == Some(t) => {
                    if let Some(report) = self.media.poll_report(t) {
                        self.feed(report, out);
                    }
                }
                Some(t) => self.release_faults(t, out),
                None => return,
            }
        }
    }

    /// The end of the scenario: what fault rules still hold (a reordered
    /// notification nothing overtook) arrives now.
    pub(super) fn finish(&mut self, out: &mut Vec<ReplayRecord>) {
        if self.faults.held() > 0 {
            self.faults.flush(self.clock);
            self.release_faults(self.clock, out);
        }
    }

    /// Takes the engine's outputs through the fault rules, then delivers
    /// what comes out of them.
    fn drain(&mut self, out: &mut Vec<ReplayRecord>) {
        let mut drained = Vec::new();
        self.engine.drain_outputs(&mut drained);
        let mut delivered = Vec::with_capacity(drained.len());
        for output in drained {
            let at = output.at;
            if let Output::Notification(Notification::OperationEnded(ended))
            | Output::Abandoned(ended) = &output.output
            {
                // The media layer forgets the operation (a prompt marked to
                // play twice, a report still pending), whatever the fault
                // rules then do with the notification.
                self.media.handle_ended(ended.operation.id);
            }
            if let Err(FaultError::Full { output, capacity }) =
                self.faults.handle_output(at, output)
            {
                out.push(ReplayRecord::Trace {
                    at,
                    text: format!(
                        "fault rules hold {capacity} notifications: this one is not faulted"
                    ),
                });
                delivered.push(*output);
            }
            delivered.extend(std::iter::from_fn(|| self.faults.poll_output(at)));
        }
        self.deliver(delivered, out);
    }

    /// Delivers what the fault rules held until `at`.
    fn release_faults(&mut self, at: Instant, out: &mut Vec<ReplayRecord>) {
        let released: Vec<EngineOutput> =
            std::iter::from_fn(|| self.faults.poll_output(at)).collect();
        self.deliver(released, out);
    }

    /// Records outputs as the bot and media layer get them, and plays the
    /// media layer's part: the beep ends by itself, a recording is stored
    /// when stopped, a prompt a fault rule spoils fails or plays twice.
    fn deliver(&mut self, delivered: Vec<EngineOutput>, out: &mut Vec<ReplayRecord>) {
        let mut reactions = Vec::new();
        for output in delivered {
            let (at, call, seq) = (output.at, output.call, output.seq);
            match output.output {
                Output::Notification(notification) => out.push(ReplayRecord::Notification {
                    at,
                    call,
                    seq,
                    notification,
                }),
                Output::Abandoned(ended) => out.push(ReplayRecord::Abandoned {
                    at,
                    call,
                    seq,
                    ended,
                }),
                Output::Media(command) => {
                    let fault = match &command {
                        MediaCommand::Play { prompt, .. } => self.faults.on_play(prompt),
                        _ => None,
                    };
                    if let Some(report) = self.media.handle_command(at, &call, &command, fault) {
                        reactions.push(report);
                    }
                    out.push(ReplayRecord::Media {
                        at,
                        call,
                        seq,
                        command,
                    });
                }
            }
        }
        for report in reactions {
            self.feed(report, out);
        }
    }

    /// Feeds the simulated media layer's own input. One the engine no longer
    /// wants (its operation ended meanwhile) is dropped quietly: a real media
    /// layer's late answer, not the scenario's doing.
    fn feed(&mut self, report: MediaReport, out: &mut Vec<ReplayRecord>) {
        let MediaReport {
            at,
            call,
            operation,
            input,
        } = report;
        // A timed prompt a fault makes play twice never reaches here as
        // finished: the media layer plays it again itself.
        match self.engine.handle_media(at, &call, Some(operation), input) {
            Ok(()) | Err(InputIgnored::StaleToken { .. } | InputIgnored::CallTerminated(_)) => {}
            Err(other) => out.push(ReplayRecord::Trace {
                at,
                text: format!("media layer input ignored: {other}"),
            }),
        }
        self.drain(out);
    }

    fn resolve(&self, op: OpRef) -> Result<OperationId, String> {
        match op {
            OpRef::Id(id) => Ok(id),
            OpRef::Created(n) if n > self.created_total => Err(format!(
                "$op{n}: the scenario has created {} operation(s) so far",
                self.created_total
            )),
            OpRef::Created(n) => {
                // 1-based number of the oldest id kept.
                let oldest = self.created_total - self.created.len() + 1;
                match n.checked_sub(oldest) {
                    Some(i) => Ok(self.created[i]),
                    None => Err(format!(
                        "$op{n}: only the last {KEPT_OPERATION_IDS} operations created can be named, $op{oldest} to $op{}",
                        self.created_total
                    )),
                }
            }
        }
    }

    /// Replaces each `$opN` in a URL by the id of the N-th created operation.
    fn resolve_url(&self, url: &str) -> Result<String, String> {
        let mut resolved = String::with_capacity(url.len());
        let mut rest = url;
        while let Some(start) = rest.find("$op") {
            resolved.push_str(&rest[..start]);
            let digits = rest[start + 3..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let n: usize = rest[start + 3..start + 3 + digits].parse().map_err(|_| {
                "url: $op must be followed by a number ($op1, $op2, ...)".to_owned()
            })?;
            if n == 0 {
                return Err("url: $op0 does not exist; the first operation is $op1".to_owned());
            }
            resolved.push_str(&self.resolve(OpRef::Created(n))?.to_string());
            rest = &rest[start + 3 + digits..];
        }
        resolved.push_str(rest);
        Ok(resolved)
    }
}

/// The trace of a `finished` a `playTwice` fault swallows.
const PLAYS_AGAIN: &str =
    "playbackFinished not reported: the prompt plays again (fault: playTwice, comms-samples #411)";

fn describe(event: &Event) -> (&'static str, String) {
    match event {
        Event::CallEstablished => ("callEstablished", String::new()),
        Event::CallTerminated(result) => (
            "callTerminated",
            result
                .as_ref()
                .map(|r| format!("{}/{} {}", r.code, r.subcode, r.message))
                .unwrap_or_default(),
        ),
        Event::Media(MediaInput::Tone(tone)) => ("tone", tone.to_string()),
        Event::Media(MediaInput::PlaybackFailed(reason)) => {
            ("playbackFailed", format!("{reason:?}").to_ascii_lowercase())
        }
        Event::Media(input) => (input.name(), String::new()),
    }
}
