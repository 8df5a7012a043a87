//! A call's media queue: the active operation and its phase, the queued
//! ones, and the tone subscription.

use std::collections::VecDeque;
use std::time::Duration;

use super::ledger::Notice;
use super::{ActiveView, Ledger, MediaPhase, MediaResults};
use crate::error::InputIgnored;
use crate::id::{CallId, OperationId};
use crate::io::{MediaCommand, MediaInput, Notification, Output, PartialRecording};
use crate::model::{
    ApiVersion, CollectDigits, Digits, DigitsEnd, EndReason, MediaPrompt, MediaRequest, Operation,
    OperationStatus, Record, Tone,
};
use crate::snapshot::parts::{ActiveParts, MediaParts, PhaseParts, QueuedParts};
use crate::time::Instant;

/// An accepted media operation and what it was asked to do.
#[derive(Clone, Debug)]
pub(super) struct Queued {
    pub(super) op: Operation,
    pub(super) request: MediaRequest,
}

#[derive(Clone, Debug)]
struct Active {
    queued: Queued,
    phase: Phase,
    /// When the current phase began (for positions: ms played or recorded).
    since: Instant,
}

/// Where the active operation is. A playPrompt only ever plays prompts; a
/// record goes prompt → beep → recording → storing, skipping what it lacks;
/// a collect-digits goes prompts → collecting.
#[derive(Clone, Debug)]
enum Phase {
    /// Playing prompt `index` of the operation.
    Prompt { index: usize },
    /// Playing the record beep.
    Beep,
    /// Recording the caller.
    Recording(Recording),
    /// Recording stopped after `recorded_ms`; waiting for the media layer
    /// to store it.
    Storing { reason: EndReason, recorded_ms: u64 },
    /// Extension: collecting keys until `deadline` (the first-digit or the
    /// inter-digit timeout, whichever is running).
    Collecting {
        digits: Vec<Tone>,
        deadline: Instant,
    },
}

impl Phase {
    /// A collect-digits operation's prompts are over: wait for the first
    /// key.
    fn collecting(collect: &CollectDigits, now: Instant) -> Self {
        let first_digit = Duration::from_millis(u64::from(collect.first_digit_timeout_ms));
        Self::Collecting {
            // Bounded by validation (at most 64 keys).
            digits: Vec::with_capacity(usize::from(collect.max_digits)),
            deadline: now.saturating_add(first_digit),
        }
    }
}

/// A recording in progress and its three timers.
#[derive(Clone, Debug)]
struct Recording {
    /// Fails the record unless the caller speaks first.
    initial_silence: Option<Instant>,
    /// Completes the record.
    max_duration: Instant,
    /// Completes the record after silence that follows speech.
    max_silence: Option<Instant>,
    /// The media layer said it cannot store the recording.
    store_failed: bool,
}

/// Which recording timer fired. Declared in ruling 2.7.1's priority order:
/// when two are due at the same instant, the first wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RecordTimer {
    InitialSilence,
    MaxDuration,
    MaxSilence,
}

impl Recording {
    fn start(record: &Record, now: Instant) -> Self {
        Self {
            initial_silence: Some(now.saturating_add(secs(record.initial_silence_timeout_secs))),
            max_duration: now.saturating_add(secs(record.max_record_duration_secs)),
            max_silence: None,
            store_failed: false,
        }
    }

    /// The earliest timer, ties broken by priority.
    fn next_timer(&self) -> (Instant, RecordTimer) {
        [
            self.initial_silence
                .map(|at| (at, RecordTimer::InitialSilence)),
            Some((self.max_duration, RecordTimer::MaxDuration)),
            self.max_silence.map(|at| (at, RecordTimer::MaxSilence)),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or((self.max_duration, RecordTimer::MaxDuration))
    }
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

impl Active {
    /// What the operation got before it ended this way.
    fn into_results(self, now: Instant, reason: EndReason) -> (Queued, MediaResults) {
        let partial_recording = self.partial_recording(now, reason);
        let digits = match self.phase {
            Phase::Collecting { digits, .. } => Digits(digits),
            _ => Digits::default(),
        };
        let results = MediaResults {
            partial_recording,
            digits,
        };
        (self.queued, results)
    }

    /// What an unfinished record had recorded when it ends this way.
    fn partial_recording(&self, now: Instant, reason: EndReason) -> Option<PartialRecording> {
        match &self.phase {
            Phase::Recording(_) => Some(PartialRecording {
                recorded_ms: elapsed_ms(self.since, now),
                kept: false,
            }),
            Phase::Storing { recorded_ms, .. } if self.queued.op.recording.is_none() => {
                Some(PartialRecording {
                    recorded_ms: *recorded_ms,
                    kept: reason != EndReason::RecordingStoreFailed,
                })
            }
            Phase::Prompt { .. }
            | Phase::Beep
            | Phase::Storing { .. }
            | Phase::Collecting { .. } => None,
        }
    }
}

/// Milliseconds from `since` to `now` (0 if `now` is earlier).
pub(super) fn elapsed_ms(since: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(since).as_millis()).unwrap_or(u64::MAX)
}

#[derive(Clone, Debug, Default)]
pub(super) struct Media {
    active: Option<Box<Active>>,
    queue: VecDeque<Queued>,
    tones_subscribed: bool,
    /// The `sequenceId` of the next delivered tone (the first is 1).
    delivered_tones: u64,
}

impl Media {
    /// The queue as plain values, for a snapshot.
    pub(super) fn to_parts(&self) -> MediaParts {
        let queued = |q: &Queued| QueuedParts {
            operation: q.op.clone(),
            request: q.request.clone(),
        };
        MediaParts {
            active: self.active.as_deref().map(|active| ActiveParts {
                queued: queued(&active.queued),
                phase: match &active.phase {
                    Phase::Prompt { index } => PhaseParts::Prompt { index: *index },
                    Phase::Beep => PhaseParts::Beep,
                    Phase::Recording(rec) => PhaseParts::Recording {
                        initial_silence: rec.initial_silence,
                        max_duration: rec.max_duration,
                        max_silence: rec.max_silence,
                        store_failed: rec.store_failed,
                    },
                    Phase::Storing {
                        reason,
                        recorded_ms,
                    } => PhaseParts::Storing {
                        reason: *reason,
                        recorded_ms: *recorded_ms,
                    },
                    Phase::Collecting { digits, deadline } => PhaseParts::Collecting {
                        digits: digits.clone(),
                        deadline: *deadline,
                    },
                },
                since: active.since,
            }),
            queued: self.queue.iter().map(queued).collect(),
            tones_subscribed: self.tones_subscribed,
            tones_delivered: self.delivered_tones,
        }
    }

    /// The queue a snapshot held (checked by the caller).
    pub(super) fn from_parts(parts: MediaParts) -> Self {
        let queued = |q: QueuedParts| Queued {
            op: q.operation,
            request: q.request,
        };
        Self {
            active: parts.active.map(|active| {
                Box::new(Active {
                    queued: queued(active.queued),
                    phase: match active.phase {
                        PhaseParts::Prompt { index } => Phase::Prompt { index },
                        PhaseParts::Beep => Phase::Beep,
                        PhaseParts::Recording {
                            initial_silence,
                            max_duration,
                            max_silence,
                            store_failed,
                        } => Phase::Recording(Recording {
                            initial_silence,
                            max_duration,
                            max_silence,
                            store_failed,
                        }),
                        PhaseParts::Storing {
                            reason,
                            recorded_ms,
                        } => Phase::Storing {
                            reason,
                            recorded_ms,
                        },
                        PhaseParts::Collecting { digits, deadline } => {
                            Phase::Collecting { digits, deadline }
                        }
                    },
                    since: active.since,
                })
            }),
            queue: parts.queued.into_iter().map(queued).collect(),
            tones_subscribed: parts.tones_subscribed,
            delivered_tones: parts.tones_delivered,
        }
    }

    /// Active plus queued operations.
    pub(super) fn len(&self) -> usize {
        self.queue.len() + usize::from(self.active.is_some())
    }

    pub(super) fn tones_subscribed(&self) -> bool {
        self.tones_subscribed
    }

    pub(super) fn tones_delivered(&self) -> u64 {
        self.delivered_tones
    }

    pub(super) fn subscribe_to_tones(&mut self) {
        self.tones_subscribed = true;
    }

    /// The active operation, what it has the media layer doing, and since
    /// when.
    pub(super) fn active_view(&self) -> Option<ActiveView> {
        let active = self.active.as_deref()?;
        let phase = match (&active.phase, &active.queued.request) {
            (Phase::Prompt { index }, MediaRequest::PlayPrompt(play)) => MediaPhase::Prompt {
                index: *index,
                count: play.prompts.len(),
            },
            (Phase::Prompt { index }, MediaRequest::Record(_)) => MediaPhase::Prompt {
                index: *index,
                count: 1,
            },
            (Phase::Prompt { index }, MediaRequest::CollectDigits(collect)) => MediaPhase::Prompt {
                index: *index,
                count: collect.prompts.len(),
            },
            (Phase::Collecting { digits, .. }, _) => MediaPhase::Collecting {
                digits: digits.len(),
            },
            (Phase::Beep, _) => MediaPhase::Beep,
            (Phase::Recording(_), _) => MediaPhase::Recording,
            (Phase::Storing { .. }, _) => MediaPhase::Storing,
        };
        Some(ActiveView {
            operation: active.queued.op.clone(),
            phase,
            phase_since: active.since,
        })
    }

    pub(super) fn active_operation(&self) -> Option<&Operation> {
        self.active.as_ref().map(|a| &a.queued.op)
    }

    pub(super) fn queued(&self) -> impl Iterator<Item = &Operation> {
        self.queue.iter().map(|q| &q.op)
    }

    pub(super) fn find(&self, id: OperationId) -> Option<&Operation> {
        self.active
            .iter()
            .map(|a| &a.queued)
            .chain(&self.queue)
            .map(|q| &q.op)
            .find(|op| op.id == id)
    }

    /// The next timer deadline.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.active.as_ref()?.phase {
            Phase::Recording(rec) => Some(rec.next_timer().0),
            Phase::Collecting { deadline, .. } => Some(*deadline),
            _ => None,
        }
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
        if self.queue.is_empty() && self.queue.capacity() > 0 {
            self.queue = VecDeque::new();
        }
    }

    /// Ends the active operation, then every queued one in FIFO order, on
    /// account of operation `by` (if one). The tone subscription is
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
            stop_media(ledger, &active);
            finish_active(ledger, *active, now, reasons.running, by, notice);
        }
        ledger.finish_all(self.queue.drain(..), reasons.queued, by, notice);
    }

    /// Cancels the operations `wanted` picks (extension: Graph cancels all),
    /// each reported as a Graph cancel reports it; the queue then goes on
    /// with what is left.
    pub(super) fn cancel_where(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        by: OperationId,
        wanted: impl Fn(&Operation) -> bool,
    ) {
        if self.active.as_deref().is_some_and(|a| wanted(&a.queued.op)) {
            if let Some(active) = self.active.take() {
                stop_media(ledger, &active);
                let reason = EndReason::CancelledWhileRunning;
                finish_active(ledger, *active, now, reason, Some(by), Notice::Notify);
            }
        }
        let (cancelled, kept): (VecDeque<Queued>, VecDeque<Queued>) =
            self.queue.drain(..).partition(|q| wanted(&q.op));
        self.queue = kept;
        let reason = EndReason::CancelledWhileQueued;
        ledger.finish_all(cancelled.into_iter(), reason, Some(by), Notice::Notify);
        self.start_next(ledger, now);
    }

    /// Fires the earliest timer, at `deadline`.
    pub(super) fn fire_timer(&mut self, ledger: &mut Ledger, deadline: Instant) {
        let rec = match self.active.as_ref().map(|a| &a.phase) {
            Some(Phase::Recording(rec)) => rec,
            Some(Phase::Collecting { digits, .. }) => {
                let end = if digits.is_empty() {
                    DigitsEnd::FirstDigitTimeout
                } else {
                    DigitsEnd::InterDigitTimeout
                };
                return self.end_collecting(ledger, deadline, end);
            }
            _ => return,
        };
        match rec.next_timer().1 {
            RecordTimer::InitialSilence => {
                self.fail_recording(ledger, deadline, EndReason::InitialSilenceTimeout)
            }
            RecordTimer::MaxDuration => {
                self.stop_recording(ledger, deadline, EndReason::MaxRecordDuration)
            }
            RecordTimer::MaxSilence => {
                self.stop_recording(ledger, deadline, EndReason::MaxSilenceTimeout)
            }
        }
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
        let Some(active) = self.active.as_deref_mut() else {
            return Err(match token {
                Some(operation) => InputIgnored::StaleToken {
                    call: call.clone(),
                    operation,
                },
                None => phase_mismatch(call, &input),
            });
        };
        if let Some(operation) = token.filter(|t| *t != active.queued.op.id) {
            return Err(InputIgnored::StaleToken {
                call: call.clone(),
                operation,
            });
        }
        match (input, &mut active.phase) {
            (MediaInput::PlaybackFinished, Phase::Prompt { index }) => {
                if let Some((next, prompt)) = prompt_after(&active.queued, *index) {
                    *index = next;
                    active.since = now;
                    ledger.emit(Output::Media(MediaCommand::Play {
                        operation: active.queued.op.id,
                        index: next,
                        prompt: prompt.clone(),
                    }));
                    return Ok(());
                }
                match &active.queued.request {
                    MediaRequest::PlayPrompt(_) => {
                        self.end_active(ledger, now, EndReason::Completed);
                    }
                    MediaRequest::Record(_) => self.beep_or_record(ledger, now),
                    MediaRequest::CollectDigits(collect) => {
                        active.phase = Phase::collecting(collect, now);
                        active.since = now;
                    }
                }
            }
            (MediaInput::PlaybackFailed(failure), Phase::Prompt { .. }) => {
                self.end_active(ledger, now, EndReason::PromptFailed(failure));
            }
            (MediaInput::BeepFinished, Phase::Beep) => self.start_recording(ledger, now),
            (MediaInput::BeepFailed, Phase::Beep) => {
                self.end_active(ledger, now, EndReason::BeepFailed)
            }
            (MediaInput::SpeechStarted, Phase::Recording(rec)) => {
                rec.initial_silence = None;
                rec.max_silence = None;
            }
            (MediaInput::SpeechStopped, Phase::Recording(rec)) => {
                // The caller spoke: silence from here on completes the record.
                let max_silence = match &active.queued.request {
                    MediaRequest::Record(record) => record.max_silence_timeout_secs,
                    MediaRequest::PlayPrompt(_) | MediaRequest::CollectDigits(_) => 0,
                };
                rec.initial_silence = None;
                rec.max_silence = Some(now.saturating_add(secs(max_silence)));
            }
            (MediaInput::MediaReceiveTimeout, Phase::Recording(_)) => {
                self.fail_recording(ledger, now, EndReason::MediaReceiveTimeout);
            }
            (MediaInput::RecordingFailed, Phase::Recording(rec)) => rec.store_failed = true,
            (MediaInput::RecordingFailed, Phase::Storing { .. }) => {
                self.end_active(ledger, now, EndReason::RecordingStoreFailed);
            }
            (MediaInput::RecordingStored(recording), Phase::Storing { reason, .. }) => {
                let reason = *reason;
                active.queued.op.recording = Some(recording);
                self.end_active(ledger, now, reason);
            }
            (input, _) => return Err(phase_mismatch(call, &input)),
        }
        Ok(())
    }

    /// A tone goes to the subscription (if any), then may stop a recording.
    fn handle_tone(
        &mut self,
        ledger: &mut Ledger,
        call: &CallId,
        now: Instant,
        tone: Tone,
    ) -> Result<(), InputIgnored> {
        let delivered = self.tones_subscribed;
        if delivered {
            self.delivered_tones = self.delivered_tones.wrapping_add(1);
            ledger.emit(Output::Notification(Notification::Tone {
                sequence_id: self.delivered_tones,
                tone,
            }));
        }
        let stops = self.active.as_deref().is_some_and(|active| {
            matches!(
                (&active.phase, &active.queued.request),
                (Phase::Recording(_), MediaRequest::Record(record)) if record.stop_tones.contains(tone)
            )
        });
        if stops {
            self.stop_recording(ledger, now, EndReason::StopToneDetected(tone));
        }
        let collected = self.collect_key(ledger, now, tone);
        if delivered || stops || collected {
            Ok(())
        } else {
            Err(InputIgnored::NoToneSubscription(call.clone()))
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
        let first_prompt = match &queued.request {
            MediaRequest::PlayPrompt(play) => play.prompts.first(),
            MediaRequest::Record(record) => record.prompt.as_ref(),
            MediaRequest::CollectDigits(collect) => collect.prompts.first(),
        };
        if let Some(prompt) = first_prompt {
            ledger.emit(Output::Media(MediaCommand::Play {
                operation: queued.op.id,
                index: 0,
                prompt: prompt.clone(),
            }));
            self.active = Some(Box::new(Active {
                queued,
                phase: Phase::Prompt { index: 0 },
                since: now,
            }));
        } else if matches!(queued.request, MediaRequest::Record(_)) {
            self.active = Some(Box::new(Active {
                queued,
                phase: Phase::Beep,
                since: now,
            }));
            self.beep_or_record(ledger, now);
        } else if let MediaRequest::CollectDigits(collect) = &queued.request {
            let phase = Phase::collecting(collect, now);
            self.active = Some(Box::new(Active {
                queued,
                phase,
                since: now,
            }));
        } else {
            // A playPrompt without prompts (validation refuses those) has
            // nothing to play: it is done.
            ledger.finish(
                queued,
                EndReason::Completed,
                None,
                MediaResults::default(),
                Notice::Notify,
            );
        }
    }

    /// A record's prompt is over: beep if asked, else record.
    fn beep_or_record(&mut self, ledger: &mut Ledger, now: Instant) {
        let Some(active) = self.active.as_deref_mut() else {
            return;
        };
        let MediaRequest::Record(record) = &active.queued.request else {
            return;
        };
        if record.play_beep {
            active.phase = Phase::Beep;
            active.since = now;
            ledger.emit(Output::Media(MediaCommand::PlayBeep {
                operation: active.queued.op.id,
            }));
        } else {
            self.start_recording(ledger, now);
        }
    }

    fn start_recording(&mut self, ledger: &mut Ledger, now: Instant) {
        let Some(active) = self.active.as_deref_mut() else {
            return;
        };
        let MediaRequest::Record(record) = &active.queued.request else {
            return;
        };
        active.phase = Phase::Recording(Recording::start(record, now));
        active.since = now;
        ledger.emit(Output::Media(MediaCommand::StartRecording {
            operation: active.queued.op.id,
        }));
    }

    /// Stops the recording and keeps it: the record ends once it is stored.
    fn stop_recording(&mut self, ledger: &mut Ledger, now: Instant, reason: EndReason) {
        let Some(active) = self.active.as_deref_mut() else {
            return;
        };
        let Phase::Recording(rec) = &active.phase else {
            return;
        };
        let store_failed = rec.store_failed;
        ledger.emit(Output::Media(MediaCommand::StopRecording {
            operation: active.queued.op.id,
            store: true,
        }));
        if store_failed {
            self.end_active(ledger, now, EndReason::RecordingStoreFailed);
        } else {
            let recorded_ms = elapsed_ms(active.since, now);
            active.phase = Phase::Storing {
                reason,
                recorded_ms,
            };
            active.since = now;
        }
    }

    /// Stops the recording, discards it, and fails the record.
    fn fail_recording(&mut self, ledger: &mut Ledger, now: Instant, reason: EndReason) {
        if let Some(active) = self.active.as_deref() {
            ledger.emit(Output::Media(MediaCommand::StopRecording {
                operation: active.queued.op.id,
                store: false,
            }));
        }
        self.end_active(ledger, now, reason);
    }

    /// A key for a collect-digits operation, if one is active and listening:
    /// collected, or ending it. Returns whether it was taken.
    fn collect_key(&mut self, ledger: &mut Ledger, now: Instant, tone: Tone) -> bool {
        let Some(active) = self.active.as_deref_mut() else {
            return false;
        };
        let MediaRequest::CollectDigits(collect) = &active.queued.request else {
            return false;
        };
        let (max_digits, inter_digit, terminates) = (
            usize::from(collect.max_digits),
            Duration::from_millis(u64::from(collect.inter_digit_timeout_ms)),
            collect.terminators.contains(tone),
        );
        match &active.phase {
            Phase::Prompt { .. } if collect.barge_in => {
                ledger.emit(Output::Media(MediaCommand::StopPlayback {
                    operation: active.queued.op.id,
                }));
                active.phase = Phase::collecting(collect, now);
                active.since = now;
            }
            Phase::Collecting { .. } => {}
            _ => return false,
        }
        let Phase::Collecting { digits, deadline } = &mut active.phase else {
            return false;
        };
        if terminates {
            self.end_collecting(ledger, now, DigitsEnd::Terminator(tone));
        } else {
            digits.push(tone);
            if digits.len() >= max_digits {
                self.end_collecting(ledger, now, DigitsEnd::MaxDigits);
            } else {
                *deadline = now.saturating_add(inter_digit);
            }
        }
        true
    }

    /// Ends the active collect-digits operation: completed with enough keys,
    /// failed with too few.
    fn end_collecting(&mut self, ledger: &mut Ledger, now: Instant, end: DigitsEnd) {
        let enough = self.active.as_deref().is_some_and(|active| {
            match (&active.phase, &active.queued.request) {
                (Phase::Collecting { digits, .. }, MediaRequest::CollectDigits(collect)) => {
                    digits.len() >= usize::from(collect.min_digits)
                }
                _ => false,
            }
        });
        let reason = if enough {
            EndReason::DigitsCollected(end)
        } else {
            EndReason::TooFewDigits(end)
        };
        self.end_active(ledger, now, reason);
    }

    /// Reports the active operation ended and starts the next one.
    fn end_active(&mut self, ledger: &mut Ledger, now: Instant, reason: EndReason) {
        if let Some(active) = self.active.take() {
            finish_active(ledger, *active, now, reason, None, Notice::Notify);
        }
        self.start_next(ledger, now);
    }
}

/// The prompt that follows prompt `index` of an operation, if any (a beta
/// playPrompt with `loop` starts over).
fn prompt_after(queued: &Queued, index: usize) -> Option<(usize, &MediaPrompt)> {
    // Checked: a restored index is checked against the prompts, and this
    // holds even if it were not.
    let next = index.checked_add(1)?;
    let prompts = match &queued.request {
        MediaRequest::PlayPrompt(play) => {
            let looping = play.loop_forever && queued.op.api == ApiVersion::Beta;
            if next == play.prompts.len() && looping {
                return play.prompts.first().map(|prompt| (0, prompt));
            }
            &play.prompts
        }
        MediaRequest::Record(_) => return None,
        MediaRequest::CollectDigits(collect) => &collect.prompts,
    };
    prompts.get(next).map(|prompt| (next, prompt))
}

/// Ends the operation that was active, with what it had recorded or
/// collected.
fn finish_active(
    ledger: &mut Ledger,
    active: Active,
    now: Instant,
    reason: EndReason,
    by: Option<OperationId>,
    notice: Notice,
) {
    let (queued, results) = active.into_results(now, reason);
    ledger.finish(queued, reason, by, results, notice);
}

/// The command that stops whatever the active operation has the media layer
/// doing, if anything.
fn stop_media(ledger: &mut Ledger, active: &Active) {
    let operation = active.queued.op.id;
    let command = match active.phase {
        Phase::Prompt { .. } | Phase::Beep => MediaCommand::StopPlayback { operation },
        Phase::Recording(_) => MediaCommand::StopRecording {
            operation,
            store: false,
        },
        Phase::Storing { .. } | Phase::Collecting { .. } => return,
    };
    ledger.emit(Output::Media(command));
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
