//! Fault injection for testing bots (extension): what a misbehaving service
//! or media layer does to a bot, as rules a test sets up, so its suite can
//! prove the bot survives what real users report.
//!
//! [`Faults`] sits beside the [`crate::Engine`], never inside it: the engine
//! stays the faithful service, and a test puts the faults where they happen.
//! - Between the engine and the bot: [`Faults::handle_output`] takes each
//!   [`EngineOutput`] and [`Faults::poll_output`] hands over what the bot
//!   gets, after [`NotificationFault`]s dropped, duplicated, delayed or
//!   reordered notifications (Graph promises no order, Telnyx sends
//!   duplicates). Media commands pass untouched.
//! - In front of the engine: [`Faults::intercept_request`] answers a request
//!   with HTTP 500, code `9999`, as the service did for subscribeToTone in
//!   comms-samples #325, before the engine sees it.
//! - In the media layer: [`Faults::on_play`] says whether a prompt fails to
//!   download or is not a valid WAV (8536, 8535), or plays twice
//!   (comms-samples #411).
//!
//! The `established` notification sent twice (Teams-Samples PR #578) is a
//! [`NotificationFault::Duplicate`] of [`NotificationKind::CallState`] with
//! [`crate::CallConfig::notify_established`] on.
//!
//! Rules apply to the first `times` things they match, in the order they
//! were added (the first matching rule with uses left wins); `None` applies
//! forever. At most [`MAX_FAULT_RULES`] rules of each kind and
//! [`Faults::capacity`] held notifications: beyond, a typed error.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::engine::EngineOutput;
use crate::id::CallId;
use crate::io::{Notification, Output};
use crate::model::{MediaPrompt, OperationKind};
use crate::time::Instant;
use crate::wire::GraphError;

/// The most rules of one kind (notification, request, prompt) a [`Faults`]
/// holds.
pub const MAX_FAULT_RULES: usize = 64;

/// What happens to a notification on its way to the bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationFault {
    /// It never arrives.
    Drop,
    /// It arrives twice in a row (same sequence number: a bot can de-dupe).
    Duplicate,
    /// It arrives this much later; what comes meanwhile overtakes it.
    Delay(Duration),
    /// It arrives after the next notification instead of before it (held
    /// until one comes, or until [`Faults::flush`]).
    Reorder,
}

/// Which notifications a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Every notification.
    Any,
    /// The end of an operation.
    OperationEnded,
    /// A tone.
    Tone,
    /// A call state: established, terminating, terminated.
    CallState,
}

impl NotificationKind {
    fn matches(self, note: &Notification) -> bool {
        match self {
            Self::Any => true,
            Self::OperationEnded => matches!(note, Notification::OperationEnded(_)),
            Self::Tone => matches!(note, Notification::Tone { .. }),
            Self::CallState => matches!(
                note,
                Notification::CallEstablished
                    | Notification::CallTerminating
                    | Notification::CallTerminated { .. }
            ),
        }
    }
}

/// A rule for notifications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRule {
    /// What it does.
    pub fault: NotificationFault,
    /// To which notifications.
    pub kind: NotificationKind,
    /// Only this call's (`None`: every call's).
    pub call: Option<CallId>,
    /// Only the end of operations with this clientContext.
    pub client_context: Option<Arc<str>>,
    /// How many it applies to (`None`: all).
    pub times: Option<u32>,
}

impl NotificationRule {
    /// `fault` for the next notification of `kind`, on any call.
    pub fn once(fault: NotificationFault, kind: NotificationKind) -> Self {
        Self {
            fault,
            kind,
            call: None,
            client_context: None,
            times: Some(1),
        }
    }

    fn matches(&self, output: &EngineOutput, note: &Notification) -> bool {
        let context_matches = self.client_context.as_ref().is_none_or(|wanted| {
            matches!(note, Notification::OperationEnded(ended)
                if ended.operation.client_context.as_deref() == Some(&**wanted))
        });
        self.kind.matches(note)
            && self.call.as_ref().is_none_or(|call| *call == output.call)
            && context_matches
    }
}

/// A rule that answers requests with HTTP 500 `9999` before the engine
/// sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRule {
    /// Only requests that create this kind of operation (`None`: all
    /// actions; GET and DELETE are never failed).
    pub action: Option<OperationKind>,
    /// Only this call's (`None`: every call's).
    pub call: Option<CallId>,
    /// How many it fails (`None`: all).
    pub times: Option<u32>,
}

/// What the media layer does wrong with a prompt (defined beside the
/// simulated media layer that carries it out, which is built without the
/// `fault` feature too).
pub use crate::sim::PromptFault;

/// A rule for prompts, by URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptRule {
    /// What goes wrong.
    pub fault: PromptFault,
    /// Prompts whose URI contains this (`""`: every prompt).
    pub uri_contains: Arc<str>,
    /// How many plays it spoils (`None`: all).
    pub times: Option<u32>,
}

/// Why a fault rule or output was not taken.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FaultError {
    /// [`MAX_FAULT_RULES`] rules of this kind are set already.
    #[error("at most {limit} fault rules of one kind may be set")]
    TooManyRules {
        /// The limit.
        limit: usize,
    },
    /// [`Faults::capacity`] notifications are held (delayed or reordered)
    /// already: deliver this one yourself, unfaulted, or poll first.
    #[error("{capacity} notifications are held already")]
    Full {
        /// The limit.
        capacity: usize,
        /// The output that was not taken.
        output: Box<EngineOutput>,
    },
}

/// Fault rules and the notifications they hold back. See the module docs.
#[derive(Debug)]
pub struct Faults {
    notification_rules: Vec<NotificationRule>,
    request_rules: Vec<RequestRule>,
    prompt_rules: Vec<PromptRule>,
    /// Delayed notifications by release time (ties in arrival order).
    delayed: BTreeMap<(Instant, u64), EngineOutput>,
    /// A notification waiting for the next one to overtake it.
    reordered: Option<EngineOutput>,
    ready: VecDeque<EngineOutput>,
    arrivals: u64,
    capacity: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl Faults {
    /// No rules; at most `capacity` notifications held back at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            notification_rules: Vec::new(),
            request_rules: Vec::new(),
            prompt_rules: Vec::new(),
            delayed: BTreeMap::new(),
            reordered: None,
            ready: VecDeque::new(),
            arrivals: 0,
            capacity,
        }
    }

    /// How many notifications may be held back at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds a rule for notifications.
    pub fn add_notification_rule(&mut self, rule: NotificationRule) -> Result<(), FaultError> {
        push_rule(&mut self.notification_rules, rule)
    }

    /// Adds a rule that fails requests.
    pub fn add_request_rule(&mut self, rule: RequestRule) -> Result<(), FaultError> {
        push_rule(&mut self.request_rules, rule)
    }

    /// Adds a rule for prompts.
    pub fn add_prompt_rule(&mut self, rule: PromptRule) -> Result<(), FaultError> {
        push_rule(&mut self.prompt_rules, rule)
    }

    /// The answer for a request that creates an operation of `action` on
    /// `call`, if a rule fails it: HTTP 500, `{"error": {"code": "9999",
    /// ...}}`. `None`: hand the request to the engine.
    pub fn intercept_request(
        &mut self,
        call: &CallId,
        action: OperationKind,
    ) -> Option<GraphError> {
        let rule = self.request_rules.iter_mut().find(|rule| {
            uses_left(rule.times)
                && rule.action.is_none_or(|a| a == action)
                && rule.call.as_ref().is_none_or(|c| c == call)
        })?;
        spend(&mut rule.times);
        Some(GraphError {
            status: 500,
            code: "9999",
            message: "Unknown internal server error.".to_owned(),
        })
    }

    /// What goes wrong when the media layer plays `prompt`, if anything.
    pub fn on_play(&mut self, prompt: &MediaPrompt) -> Option<PromptFault> {
        let rule = self
            .prompt_rules
            .iter_mut()
            .find(|rule| uses_left(rule.times) && prompt.uri.contains(&*rule.uri_contains))?;
        spend(&mut rule.times);
        Some(rule.fault)
    }

    /// An output of the engine at `now`, on its way to the bot. Media
    /// commands and notifications no rule matches go straight through.
    pub fn handle_output(&mut self, now: Instant, output: EngineOutput) -> Result<(), FaultError> {
        self.release_due(now);
        let Output::Notification(note) = &output.output else {
            self.ready.push_back(output);
            return Ok(());
        };
        let fault = self
            .notification_rules
            .iter_mut()
            .find(|rule| uses_left(rule.times) && rule.matches(&output, note))
            .map(|rule| {
                spend(&mut rule.times);
                rule.fault
            });
        let holds = matches!(
            fault,
            Some(NotificationFault::Delay(_) | NotificationFault::Reorder)
        );
        if holds && self.held() >= self.capacity {
            return Err(FaultError::Full {
                capacity: self.capacity,
                output: Box::new(output),
            });
        }
        match fault {
            None => self.deliver_overtaking(output),
            Some(NotificationFault::Drop) => {}
            Some(NotificationFault::Duplicate) => {
                self.deliver_overtaking(output.clone());
                self.ready.push_back(output);
            }
            Some(NotificationFault::Delay(by)) => {
                self.arrivals = self.arrivals.wrapping_add(1);
                let release = now.saturating_add(by);
                self.delayed.insert((release, self.arrivals), output);
            }
            Some(NotificationFault::Reorder) => match self.reordered.take() {
                // Two in a row: the second overtakes the first.
                Some(mut first) => {
                    first.at = output.at;
                    self.ready.push_back(output);
                    self.ready.push_back(first);
                }
                None => self.reordered = Some(output),
            },
        }
        Ok(())
    }

    /// The next output the bot (or media layer) gets by `now`. Its `at` is
    /// when it reaches them (a delayed one: its release time); its `seq` is
    /// still the engine's, so the bot can see what was reordered or
    /// duplicated.
    pub fn poll_output(&mut self, now: Instant) -> Option<EngineOutput> {
        self.release_due(now);
        self.ready.pop_front()
    }

    /// When a delayed notification is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.delayed.keys().next().map(|(at, _)| *at)
    }

    /// Releases everything held, delayed or reordered, in order, as
    /// arriving at `now`, whatever their release times (the end of a test).
    pub fn flush(&mut self, now: Instant) {
        let delayed = std::mem::take(&mut self.delayed);
        let held = delayed.into_values().chain(self.reordered.take());
        self.ready.extend(held.map(|mut output| {
            output.at = output.at.max(now);
            output
        }));
    }

    /// Notifications held back now.
    pub fn held(&self) -> usize {
        self.delayed.len() + usize::from(self.reordered.is_some())
    }

    /// Delivers `output`, then the notification it overtakes, if one waits.
    fn deliver_overtaking(&mut self, output: EngineOutput) {
        let at = output.at;
        self.ready.push_back(output);
        self.ready.extend(self.reordered.take().map(|mut held| {
            held.at = at;
            held
        }));
    }

    fn release_due(&mut self, now: Instant) {
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                return;
            }
            let ((at, _), mut output) = entry.remove_entry();
            output.at = at;
            self.ready.push_back(output);
        }
    }
}

fn push_rule<T>(rules: &mut Vec<T>, rule: T) -> Result<(), FaultError> {
    if rules.len() >= MAX_FAULT_RULES {
        return Err(FaultError::TooManyRules {
            limit: MAX_FAULT_RULES,
        });
    }
    rules.push(rule);
    Ok(())
}

fn uses_left(times: Option<u32>) -> bool {
    times.is_none_or(|n| n > 0)
}

fn spend(times: &mut Option<u32>) {
    if let Some(n) = times {
        *n = n.saturating_sub(1);
    }
}
