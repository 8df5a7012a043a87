//! A call's media queue: the active operation, the queued ones, and the
//! tone subscription (§2.3: outside the queue). The active operation is in
//! [`active`], with the steps of a record in [`record`] and of a
//! collect-digits operation in [`collect`]; the conversion to and from a
//! snapshot's plain parts is in [`parts`].

mod active;
mod collect;
mod parts;
mod record;
mod waiting;

use std::num::NonZeroU64;

use super::ledger::Notice;
use super::{ActiveView, CancelledAt, CancelledOperation, Ledger, MediaResults};
use crate::error::InputIgnored;
use crate::id::{CallId, OperationId};
use crate::io::{MediaInput, Notification, Output};
use crate::model::{EndReason, MediaRequest, Operation, OperationStatus, Tone};
use crate::time::Instant;

use active::{Active, Outcome, Started, elapsed_ms};
pub(super) use waiting::{QueueEnd, Waiting};

/// An accepted media operation and what it was asked to do.
#[derive(Clone, Debug)]
pub(super) struct Queued {
    pub(super) op: Operation,
    pub(super) request: MediaRequest,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Media {
    active: Option<Box<Active>>,
    queue: Waiting,
    tones: Tones,
}

/// §2.3: the tone subscription and the tones it has delivered, in one
/// word with 0 left free, where the call keeps its `Terminated` state (a
/// flag beside a count would take two words, and the state a third):
/// 1 before the bot subscribes, then 2 + the tones delivered, so the next
/// tone's `sequenceId` (the first is 1) is the word - 1.
#[derive(Clone, Copy, Debug)]
struct Tones(NonZeroU64);

impl Default for Tones {
    fn default() -> Self {
        Self(NonZeroU64::MIN)
    }
}

impl Tones {
    /// A subscription that has delivered `delivered` tones, or none.
    /// (Restoring refuses tones without a subscription, and counts past
    /// 2^53 - 1, so the word never saturates.)
    fn new(subscribed: bool, delivered: u64) -> Self {
        if subscribed {
            Self(NonZeroU64::MIN.saturating_add(1).saturating_add(delivered))
        } else {
            Self::default()
        }
    }

    fn subscribed(self) -> bool {
        self.0 > NonZeroU64::MIN
    }

    fn delivered(self) -> u64 {
        self.0.get().saturating_sub(2)
    }

    /// The `sequenceId` of a tone delivered now, if subscribed.
    fn deliver(&mut self) -> Option<u64> {
        if !self.subscribed() {
            return None;
        }
        let sequence_id = self.0.get() - 1;
        self.0 = self.0.saturating_add(1);
        Some(sequence_id)
    }
}

impl Media {
    /// Active plus queued operations.
    pub(super) fn len(&self) -> usize {
        self.queue.len() + usize::from(self.active.is_some())
    }

    pub(super) fn tones_subscribed(&self) -> bool {
        self.tones.subscribed()
    }

    pub(super) fn tones_delivered(&self) -> u64 {
        self.tones.delivered()
    }

    /// Subscribing again changes nothing.
    pub(super) fn subscribe_to_tones(&mut self) {
        if !self.tones_subscribed() {
            self.tones = Tones::new(true, 0);
        }
    }

    /// The active operation, what it has the media layer doing, and since
    /// when.
    pub(super) fn active_view(&self) -> Option<ActiveView> {
        self.active.as_deref().map(Active::view)
    }

    pub(super) fn active_operation(&self) -> Option<&Operation> {
        self.active.as_ref().map(|a| &a.op)
    }

    pub(super) fn queued(&self) -> impl Iterator<Item = &Operation> {
        self.queue.operations()
    }

    pub(super) fn find(&self, id: OperationId) -> Option<&Operation> {
        self.active
            .iter()
            .map(|a| &a.op)
            .chain(self.queue.operations())
            .find(|op| op.id == id)
    }

    /// The next timer deadline.
    #[inline]
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.active.as_deref()?.deadline()
    }

    /// Queues an operation, or starts it at once if nothing is active (then
    /// the queue is not touched: a call that never queues holds no queue).
    pub(super) fn enqueue(&mut self, ledger: &mut Ledger, now: Instant, queued: Queued) {
        if self.active.is_none() && self.queue.is_empty() {
            self.start(ledger, now, queued);
        } else {
            self.queue.push_back(queued);
            self.start_next(ledger, now);
        }
    }

    /// Gives back the queue's room once it is empty.
    pub(super) fn shrink_to_fit(&mut self) {
        self.queue.free_if_empty();
    }

    /// Ends the active operation, then every queued one in FIFO order, on
    /// account of operation `by` (if one). §2.4: the tone subscription is
    /// untouched.
    pub(super) fn end_all(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        reasons: EndReasons,
        by: Option<OperationId>,
        notice: Notice,
    ) {
        if let Some(active) = self.active.take() {
            finish_active(ledger, active, now, reasons.running, by, notice);
        }
        ledger.finish_queue(&mut self.queue, reasons.queued, by, notice);
    }

    /// Cancels the operations `wanted` picks (extension: Graph cancels all),
    /// each reported as a Graph cancel reports it; the queue then goes on
    /// with what is left. Gives back what it ended and where each was.
    pub(super) fn cancel_where(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        by: OperationId,
        wanted: impl Fn(&Operation) -> bool,
    ) -> Vec<CancelledOperation> {
        let mut ended = Vec::new();
        let mut report = |operation: &Operation, was: CancelledAt| {
            ended.push(CancelledOperation {
                operation: operation.clone(),
                was,
            });
        };
        if let Some(active) = self.active.take_if(|a| wanted(&a.op)) {
            let was = CancelledAt::Running {
                phase: active.phase(),
                position_ms: elapsed_ms(active.since, now),
            };
            if let Some(command) = active.stop_media() {
                ledger.emit(Output::Media(command));
            }
            let reason = EndReason::CancelledWhileRunning;
            let (queued, results) = active.into_results(now, reason);
            ledger.finish_shown(queued, reason, Some(by), results, Notice::Notify, |op| {
                report(op, was);
            });
        }
        let mut kept = Waiting::default();
        for (i, queued) in self.queue.drain().enumerate() {
            if !wanted(&queued.op) {
                kept.push_back(queued);
                continue;
            }
            let was = CancelledAt::Queued { position: i + 1 };
            let reason = EndReason::CancelledWhileQueued;
            let results = MediaResults::default();
            ledger.finish_shown(queued, reason, Some(by), results, Notice::Notify, |op| {
                report(op, was);
            });
        }
        self.queue = kept;
        self.start_next(ledger, now);
        ended
    }

    /// Fires the earliest timer if it is due by `now`, at its own deadline,
    /// and gives back that deadline.
    #[inline]
    pub(super) fn fire_due(&mut self, ledger: &mut Ledger, now: Instant) -> Option<Instant> {
        let (deadline, outcome) = self.active.as_deref_mut()?.fire_due(ledger, now)?;
        self.after(ledger, deadline, outcome);
        Some(deadline)
    }

    pub(super) fn handle_input(
        &mut self,
        ledger: &mut Ledger,
        call: &CallId,
        now: Instant,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        if let MediaInput::Tone(tone) = input {
            return self.handle_tone(ledger, call, now, tone);
        }
        // §2.4: an input that names another operation (one a cancel ended,
        // say) is never applied to this one.
        let active = match (self.active.as_deref_mut(), token) {
            (Some(active), Some(operation)) if operation != active.op.id => None,
            (active, _) => active,
        };
        let Some(active) = active else {
            return Err(match token {
                Some(operation) => InputIgnored::StaleToken {
                    call: call.clone(),
                    operation,
                },
                None => phase_mismatch(call, &input),
            });
        };
        match active.handle_input(ledger, now, input) {
            Ok(outcome) => {
                self.after(ledger, now, outcome);
                Ok(())
            }
            Err(input) => Err(phase_mismatch(call, &input)),
        }
    }

    /// §2.3: a tone goes to the subscription (if any); then it may stop a
    /// recording (§2.2) or be a key for a collection (extension).
    fn handle_tone(
        &mut self,
        ledger: &mut Ledger,
        call: &CallId,
        now: Instant,
        tone: Tone,
    ) -> Result<(), InputIgnored> {
        let sequence_id = self.tones.deliver();
        if let Some(sequence_id) = sequence_id {
            ledger.emit(Output::Notification(Notification::Tone {
                sequence_id,
                tone,
            }));
        }
        let delivered = sequence_id.is_some();
        let stop = self
            .active
            .as_deref_mut()
            .and_then(|a| a.stop_tone(ledger, now, tone));
        if let Some(outcome) = stop {
            self.after(ledger, now, outcome);
        }
        // Asked of the operation active now: a stop tone that ended a
        // record (its store had failed) may start a collection at once.
        let key = self
            .active
            .as_deref_mut()
            .and_then(|a| a.collect_key(ledger, now, tone));
        if let Some(outcome) = key {
            self.after(ledger, now, outcome);
        }
        if delivered || stop.is_some() || key.is_some() {
            Ok(())
        } else {
            Err(InputIgnored::NoToneSubscription(call.clone()))
        }
    }

    /// What a transition of the active operation leads to: an end is
    /// reported, and the next operation starts.
    fn after(&mut self, ledger: &mut Ledger, now: Instant, outcome: Outcome) {
        match outcome {
            Outcome::Continues => {}
            Outcome::Ends(reason) => {
                if let Some(active) = self.active.take() {
                    let (queued, results) = active.into_results(now, reason);
                    ledger.finish(queued, reason, None, results, Notice::Notify);
                }
                self.start_next(ledger, now);
            }
        }
    }

    /// Starts queued operations until one is active (or the queue is empty).
    fn start_next(&mut self, ledger: &mut Ledger, now: Instant) {
        while self.active.is_none() {
            let Some(queued) = self.queue.pop_front() else {
                return;
            };
            self.start(ledger, now, queued);
        }
    }

    /// Starts an operation, with nothing active: it becomes the active one,
    /// or, with nothing to play, ends at once.
    fn start(&mut self, ledger: &mut Ledger, now: Instant, mut queued: Queued) {
        if queued.op.status == OperationStatus::NotStarted {
            queued.op.status = OperationStatus::Running;
            queued.op.etag = ledger.next_etag();
        }
        match Active::start(ledger, now, queued) {
            Started::Active(active) => self.active = Some(Box::new(active)),
            Started::NothingToPlay(queued) => {
                let results = MediaResults::default();
                ledger.finish(queued, EndReason::Completed, None, results, Notice::Notify);
            }
        }
    }
}

/// §2.4: stops what the media layer does for the operation, then ends it
/// with what it had recorded or collected.
#[inline]
fn finish_active(
    ledger: &mut Ledger,
    active: Box<Active>,
    now: Instant,
    reason: EndReason,
    by: Option<OperationId>,
    notice: Notice,
) {
    if let Some(command) = active.stop_media() {
        ledger.emit(Output::Media(command));
    }
    let (queued, results) = active.into_results(now, reason);
    ledger.finish(queued, reason, by, results, notice);
}

/// Why an input does not fit the active operation's phase.
fn phase_mismatch(call: &CallId, input: &MediaInput) -> InputIgnored {
    let call = call.clone();
    match input {
        MediaInput::PlaybackFinished | MediaInput::PlaybackFailed(_) => {
            InputIgnored::NothingPlaying(call)
        }
        MediaInput::BeepFinished | MediaInput::BeepFailed => InputIgnored::NoBeep(call),
        MediaInput::RecordingStored(_) => InputIgnored::NotStoring(call),
        MediaInput::Tone(_) => InputIgnored::NoToneSubscription(call),
        MediaInput::SpeechStarted
        | MediaInput::SpeechStopped
        | MediaInput::MediaReceiveTimeout
        | MediaInput::RecordingFailed => InputIgnored::NotRecording(call),
    }
}

/// Why `end_all` ends the active operation, and why the queued ones.
#[derive(Clone, Copy, Debug)]
pub(super) struct EndReasons {
    pub(super) running: EndReason,
    pub(super) queued: EndReason,
}

impl EndReasons {
    /// The same reason for all.
    pub(super) const fn all(reason: EndReason) -> Self {
        Self {
            running: reason,
            queued: reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_count_from_one_once_subscribed_and_read_back_as_written() {
        let mut tones = Tones::default();
        assert!(!tones.subscribed());
        assert_eq!(tones.deliver(), None, "no subscription, no sequenceId");
        assert_eq!(tones.delivered(), 0);

        let mut tones = Tones::new(true, 0);
        assert!(tones.subscribed());
        assert_eq!([tones.deliver(), tones.deliver()], [Some(1), Some(2)]);
        assert_eq!(tones.delivered(), 2);

        let restored = Tones::new(tones.subscribed(), tones.delivered());
        assert_eq!(restored.0, tones.0);
        let largest = (1 << 53) - 1;
        assert_eq!(Tones::new(true, largest).delivered(), largest);
    }

    #[test]
    fn a_call_that_ended_costs_no_word_beyond_its_media() {
        // The tone word leaves 0 free, so the call's Terminated state needs
        // no tag of its own.
        assert_eq!(size_of::<Option<Media>>(), size_of::<Media>());
    }
}
