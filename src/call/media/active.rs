//! The operation at the head of a call's queue, and its transition table.
//!
//! One variant per kind ([`Stage`]), each with the steps only that kind
//! has: a beep belongs to a record, a collecting step to a collect-digits
//! operation, and no other pair can be built. A transition returns what
//! became of the operation ([`Step`]); the queue ([`super::Media`]) reports
//! the end and starts the next. Arms cite the rule of
//! `../shared/spec/ENGINE.md` they implement (§ section, "ruling" for §2.7).

use std::time::Duration;

use super::Queued;
use crate::call::ledger::{Ledger, MediaResults};
use crate::call::{ActiveView, MediaPhase};
use crate::id::OperationId;
use crate::io::{MediaCommand, MediaInput, Output, PartialRecording};
use crate::model::{
    ApiVersion, CollectDigits, Digits, DigitsEnd, EndReason, MediaPrompt, MediaRequest, Operation,
    PlayPrompt, Record, Tone,
};
use crate::time::Instant;

/// The active operation.
#[derive(Clone, Debug)]
pub(super) struct Active {
    pub(super) op: Operation,
    /// When the current step began (for positions: ms played or recorded).
    pub(super) since: Instant,
    pub(super) stage: Stage,
}

/// What the active operation was asked to do, and how far it has got.
#[derive(Clone, Debug)]
pub(super) enum Stage {
    /// §2.1: a playPrompt playing prompt `index`.
    Play { play: PlayPrompt, index: usize },
    /// §2.2: a record goes prompt → beep → recording → storing, skipping
    /// what it lacks.
    Record { record: Record, step: RecordStep },
    /// Extension ([`CollectDigits`]): prompts, then collecting keys.
    Collect {
        collect: CollectDigits,
        step: CollectStep,
    },
}

/// Where a record is.
#[derive(Clone, Debug)]
pub(super) enum RecordStep {
    /// Playing its one prompt.
    Prompt,
    /// Playing the beep.
    Beep,
    /// Recording the caller.
    Recording(Recording),
    /// Recording stopped after `recorded_ms`; waiting for the media layer
    /// to store it, then ending for `reason`.
    Storing { reason: EndReason, recorded_ms: u64 },
}

/// Where a collect-digits operation is.
#[derive(Clone, Debug)]
pub(super) enum CollectStep {
    /// Playing prompt `index`.
    Prompt { index: usize },
    /// Collecting keys until `deadline` (the first-digit or the inter-digit
    /// timeout, whichever is running).
    Collecting {
        digits: Vec<Tone>,
        deadline: Instant,
    },
}

/// A recording in progress and its three timers.
#[derive(Clone, Debug)]
pub(super) struct Recording {
    /// Fails the record unless the caller speaks first.
    pub(super) initial_silence: Option<Instant>,
    /// Completes the record.
    pub(super) max_duration: Instant,
    /// Completes the record after silence that follows speech.
    pub(super) max_silence: Option<Instant>,
    /// The media layer said it cannot store the recording.
    pub(super) store_failed: bool,
}

/// Which recording timer fired. Declared in ruling 1's priority order: when
/// two are due at the same instant, the first wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RecordTimer {
    InitialSilence,
    MaxDuration,
    MaxSilence,
}

/// What a transition did to the active operation.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// It goes on.
    Continues,
    /// It is over, for this reason: the queue reports it and starts the
    /// next.
    Ends(EndReason),
}

/// What starting an operation gave.
pub(super) enum Started {
    Active(Active),
    /// A playPrompt without prompts (validation refuses those): nothing to
    /// play, so it is done at once.
    NothingToPlay(Queued),
}

impl Active {
    /// Starts an operation at the head of the queue: the first thing it
    /// plays or records goes to the media layer.
    pub(super) fn start(ledger: &mut Ledger, now: Instant, queued: Queued) -> Started {
        let Queued { op, request } = queued;
        let id = op.id;
        let stage = match request {
            // §2.1: prompts play in order.
            MediaRequest::PlayPrompt(play) => match play.prompts.first() {
                Some(prompt) => {
                    play_prompt(ledger, id, 0, prompt);
                    Stage::Play { play, index: 0 }
                }
                None => {
                    let request = MediaRequest::PlayPrompt(play);
                    return Started::NothingToPlay(Queued { op, request });
                }
            },
            // §2.2: its prompt (if any), then the beep or the recording.
            MediaRequest::Record(record) => {
                let step = match &record.prompt {
                    Some(prompt) => {
                        play_prompt(ledger, id, 0, prompt);
                        RecordStep::Prompt
                    }
                    None => RecordStep::after_prompt(ledger, id, &record, now),
                };
                Stage::Record { record, step }
            }
            MediaRequest::CollectDigits(collect) => {
                let step = match collect.prompts.first() {
                    Some(prompt) => {
                        play_prompt(ledger, id, 0, prompt);
                        CollectStep::Prompt { index: 0 }
                    }
                    None => CollectStep::collecting(&collect, now),
                };
                Stage::Collect { collect, step }
            }
        };
        Started::Active(Self {
            op,
            since: now,
            stage,
        })
    }

    /// A media input for this operation (its token matched, or it carried
    /// none). `Err` gives back an input that does not fit the step
    /// (ruling 10: ignored, and nothing changes).
    pub(super) fn handle_input(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        input: MediaInput,
    ) -> Result<Step, MediaInput> {
        let id = self.op.id;
        let looping = self.op.api == ApiVersion::Beta;
        match (input, &mut self.stage) {
            // §2.1: the next prompt; a beta `loop` starts over; else done.
            (MediaInput::PlaybackFinished, Stage::Play { play, index }) => {
                let looping = looping && play.loop_forever;
                let Some(next) = next_prompt(&play.prompts, *index, looping) else {
                    return Ok(Step::Ends(EndReason::Completed));
                };
                *index = next;
                self.since = now;
                play_prompt(ledger, id, next, &play.prompts[next]);
            }
            // §2.2: the record's prompt is over: the beep, or the recording.
            (
                MediaInput::PlaybackFinished,
                Stage::Record {
                    record,
                    step: step @ RecordStep::Prompt,
                },
            ) => {
                *step = RecordStep::after_prompt(ledger, id, record, now);
                self.since = now;
            }
            // Extension: the next prompt, or collecting.
            (MediaInput::PlaybackFinished, Stage::Collect { collect, step }) => {
                let CollectStep::Prompt { index } = *step else {
                    return Err(MediaInput::PlaybackFinished);
                };
                *step = match next_prompt(&collect.prompts, index, false) {
                    Some(next) => {
                        play_prompt(ledger, id, next, &collect.prompts[next]);
                        CollectStep::Prompt { index: next }
                    }
                    None => CollectStep::collecting(collect, now),
                };
                self.since = now;
            }
            // §2.1 and the record's "its prompt failed" row of §2.2.
            (
                MediaInput::PlaybackFailed(failure),
                Stage::Play { .. }
                | Stage::Record {
                    step: RecordStep::Prompt,
                    ..
                }
                | Stage::Collect {
                    step: CollectStep::Prompt { .. },
                    ..
                },
            ) => return Ok(Step::Ends(EndReason::PromptFailed(failure))),
            // §2.2: the beep is over: record.
            (
                MediaInput::BeepFinished,
                Stage::Record {
                    record,
                    step: step @ RecordStep::Beep,
                },
            ) => {
                *step = RecordStep::start_recording(ledger, id, record, now);
                self.since = now;
            }
            // §2.2: "beep failed".
            (
                MediaInput::BeepFailed,
                Stage::Record {
                    step: RecordStep::Beep,
                    ..
                },
            ) => return Ok(Step::Ends(EndReason::BeepFailed)),
            // §2.2, ruling 4: speech counts only while recording; it stops
            // both silence timers.
            (
                MediaInput::SpeechStarted,
                Stage::Record {
                    step: RecordStep::Recording(rec),
                    ..
                },
            ) => {
                rec.initial_silence = None;
                rec.max_silence = None;
            }
            // §2.2: the caller spoke: silence from here on completes it.
            (
                MediaInput::SpeechStopped,
                Stage::Record {
                    record,
                    step: RecordStep::Recording(rec),
                },
            ) => {
                rec.initial_silence = None;
                let window = secs(record.max_silence_timeout_secs);
                rec.max_silence = Some(now.saturating_add(window));
            }
            // §2.2: "media receive timeout" (ruling 4: only while recording).
            (
                MediaInput::MediaReceiveTimeout,
                Stage::Record {
                    step: RecordStep::Recording(_),
                    ..
                },
            ) => return Ok(fail_recording(ledger, id, EndReason::MediaReceiveTimeout)),
            // Ruling 3: a store that fails during the recording is reported
            // when the recording stops.
            (
                MediaInput::RecordingFailed,
                Stage::Record {
                    step: RecordStep::Recording(rec),
                    ..
                },
            ) => rec.store_failed = true,
            // §2.2: "recording store failed" (9999).
            (
                MediaInput::RecordingFailed,
                Stage::Record {
                    step: RecordStep::Storing { .. },
                    ..
                },
            ) => return Ok(Step::Ends(EndReason::RecordingStoreFailed)),
            // §2.2: stored: the record ends for why it stopped, with the
            // recording's location.
            (
                MediaInput::RecordingStored(recording),
                Stage::Record {
                    step: RecordStep::Storing { reason, .. },
                    ..
                },
            ) => {
                let reason = *reason;
                self.op.recording = Some(recording);
                return Ok(Step::Ends(reason));
            }
            (input, _) => return Err(input),
        }
        Ok(Step::Continues)
    }

    /// §2.2: a stop tone ends a recording (ruling 4: only while recording).
    /// `None`: this operation does not take the tone.
    pub(super) fn stop_tone(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        tone: Tone,
    ) -> Option<Step> {
        let Stage::Record { record, step } = &mut self.stage else {
            return None;
        };
        let RecordStep::Recording(rec) = step else {
            return None;
        };
        if !record.stop_tones.contains(tone) {
            return None;
        }
        let (id, store_failed) = (self.op.id, rec.store_failed);
        let reason = EndReason::StopToneDetected(tone);
        let since = &mut self.since;
        Some(stop_recording(
            ledger,
            id,
            step,
            since,
            now,
            reason,
            store_failed,
        ))
    }

    /// Extension: a key for a collect-digits operation that listens (a
    /// barge-in one listens during its prompts too). `None`: this operation
    /// does not take the key.
    pub(super) fn collect_key(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        tone: Tone,
    ) -> Option<Step> {
        let Stage::Collect { collect, step } = &mut self.stage else {
            return None;
        };
        match step {
            CollectStep::Collecting { digits, deadline } => {
                Some(take_key(collect, digits, deadline, now, tone))
            }
            CollectStep::Prompt { .. } if collect.barge_in => {
                ledger.emit(Output::Media(MediaCommand::StopPlayback {
                    operation: self.op.id,
                }));
                let (mut digits, mut deadline) = first_digit(collect, now);
                let taken = take_key(collect, &mut digits, &mut deadline, now, tone);
                *step = CollectStep::Collecting { digits, deadline };
                self.since = now;
                Some(taken)
            }
            CollectStep::Prompt { .. } => None,
        }
    }

    /// The next timer deadline, if a step has one running.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.stage {
            Stage::Record {
                step: RecordStep::Recording(rec),
                ..
            } => Some(rec.next_timer().0),
            Stage::Collect {
                step: CollectStep::Collecting { deadline, .. },
                ..
            } => Some(*deadline),
            Stage::Play { .. } | Stage::Record { .. } | Stage::Collect { .. } => None,
        }
    }

    /// Fires the earliest timer if it is due by `now`, at its own deadline;
    /// gives back that deadline and what it did.
    pub(super) fn fire_due(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
    ) -> Option<(Instant, Step)> {
        let id = self.op.id;
        match &mut self.stage {
            Stage::Record { step, .. } => {
                let RecordStep::Recording(rec) = step else {
                    return None;
                };
                let (at, timer) = rec.next_timer();
                let store_failed = rec.store_failed;
                if at > now {
                    return None;
                }
                // Ruling 1: the timer that wins a tie; §2.2's rows.
                let fired = match timer {
                    RecordTimer::InitialSilence => {
                        fail_recording(ledger, id, EndReason::InitialSilenceTimeout)
                    }
                    RecordTimer::MaxDuration => {
                        let reason = EndReason::MaxRecordDuration;
                        let since = &mut self.since;
                        stop_recording(ledger, id, step, since, at, reason, store_failed)
                    }
                    RecordTimer::MaxSilence => {
                        let reason = EndReason::MaxSilenceTimeout;
                        let since = &mut self.since;
                        stop_recording(ledger, id, step, since, at, reason, store_failed)
                    }
                };
                Some((at, fired))
            }
            // Extension: no key in time.
            Stage::Collect {
                collect,
                step: CollectStep::Collecting { digits, deadline },
            } if *deadline <= now => {
                let end = if digits.is_empty() {
                    DigitsEnd::FirstDigitTimeout
                } else {
                    DigitsEnd::InterDigitTimeout
                };
                Some((*deadline, Step::Ends(digits_end(collect, digits, end))))
            }
            Stage::Play { .. } | Stage::Collect { .. } => None,
        }
    }

    /// §2.4: the command that stops what the media layer is doing for this
    /// operation, if it is doing anything.
    pub(super) fn stop_media(&self) -> Option<MediaCommand> {
        let operation = self.op.id;
        match &self.stage {
            Stage::Play { .. }
            | Stage::Record {
                step: RecordStep::Prompt | RecordStep::Beep,
                ..
            }
            | Stage::Collect {
                step: CollectStep::Prompt { .. },
                ..
            } => Some(MediaCommand::StopPlayback { operation }),
            Stage::Record {
                step: RecordStep::Recording(_),
                ..
            } => Some(MediaCommand::StopRecording {
                operation,
                store: false,
            }),
            Stage::Record {
                step: RecordStep::Storing { .. },
                ..
            }
            | Stage::Collect {
                step: CollectStep::Collecting { .. },
                ..
            } => None,
        }
    }

    /// What the embedder sees of it.
    pub(super) fn view(&self) -> ActiveView {
        let phase = match &self.stage {
            Stage::Play { play, index } => MediaPhase::Prompt {
                index: *index,
                count: play.prompts.len(),
            },
            Stage::Record { step, .. } => match step {
                RecordStep::Prompt => MediaPhase::Prompt { index: 0, count: 1 },
                RecordStep::Beep => MediaPhase::Beep,
                RecordStep::Recording(_) => MediaPhase::Recording,
                RecordStep::Storing { .. } => MediaPhase::Storing,
            },
            Stage::Collect { collect, step } => match step {
                CollectStep::Prompt { index } => MediaPhase::Prompt {
                    index: *index,
                    count: collect.prompts.len(),
                },
                CollectStep::Collecting { digits, .. } => MediaPhase::Collecting {
                    digits: digits.len(),
                },
            },
        };
        ActiveView {
            operation: self.op.clone(),
            phase,
            phase_since: self.since,
        }
    }

    /// The operation as the queue held it, and what it got before it ended
    /// for `reason` at `now`: the digits it collected, or (a record) what
    /// it had recorded without storing.
    pub(super) fn into_results(self, now: Instant, reason: EndReason) -> (Queued, MediaResults) {
        let Self { op, since, stage } = self;
        let mut results = MediaResults::default();
        let request = match stage {
            Stage::Play { play, .. } => MediaRequest::PlayPrompt(play),
            Stage::Record { record, step } => {
                results.partial_recording = match step {
                    RecordStep::Recording(_) => Some(PartialRecording {
                        recorded_ms: elapsed_ms(since, now),
                        kept: false,
                    }),
                    RecordStep::Storing { recorded_ms, .. } if op.recording.is_none() => {
                        Some(PartialRecording {
                            recorded_ms,
                            kept: reason != EndReason::RecordingStoreFailed,
                        })
                    }
                    RecordStep::Prompt | RecordStep::Beep | RecordStep::Storing { .. } => None,
                };
                MediaRequest::Record(record)
            }
            Stage::Collect { collect, step } => {
                if let CollectStep::Collecting { digits, .. } = step {
                    results.digits = Digits(digits);
                }
                MediaRequest::CollectDigits(collect)
            }
        };
        (Queued { op, request }, results)
    }
}

impl RecordStep {
    /// §2.2: the record's prompt is over (or it had none): the beep if it
    /// asks for one, else the recording.
    fn after_prompt(ledger: &mut Ledger, id: OperationId, record: &Record, now: Instant) -> Self {
        if record.play_beep {
            ledger.emit(Output::Media(MediaCommand::PlayBeep { operation: id }));
            Self::Beep
        } else {
            Self::start_recording(ledger, id, record, now)
        }
    }

    /// §2.2: recording starts, and with it the initial-silence and the
    /// max-duration timers.
    fn start_recording(
        ledger: &mut Ledger,
        id: OperationId,
        record: &Record,
        now: Instant,
    ) -> Self {
        ledger.emit(Output::Media(MediaCommand::StartRecording {
            operation: id,
        }));
        Self::Recording(Recording {
            initial_silence: Some(now.saturating_add(secs(record.initial_silence_timeout_secs))),
            max_duration: now.saturating_add(secs(record.max_record_duration_secs)),
            max_silence: None,
            store_failed: false,
        })
    }
}

impl CollectStep {
    /// The prompts are over: wait for the first key.
    fn collecting(collect: &CollectDigits, now: Instant) -> Self {
        let (digits, deadline) = first_digit(collect, now);
        Self::Collecting { digits, deadline }
    }
}

impl Recording {
    /// The earliest timer, ties broken by ruling 1's priority.
    fn next_timer(&self) -> (Instant, RecordTimer) {
        let max_duration = (self.max_duration, RecordTimer::MaxDuration);
        [
            self.initial_silence
                .map(|at| (at, RecordTimer::InitialSilence)),
            self.max_silence.map(|at| (at, RecordTimer::MaxSilence)),
        ]
        .into_iter()
        .flatten()
        .fold(max_duration, Ord::min)
    }
}

/// Asks the media layer to play prompt `index` of operation `id`.
fn play_prompt(ledger: &mut Ledger, id: OperationId, index: usize, prompt: &MediaPrompt) {
    ledger.emit(Output::Media(MediaCommand::Play {
        operation: id,
        index,
        prompt: prompt.clone(),
    }));
}

/// The prompt after `index`, if any; with `looping` (a beta playPrompt's
/// `loop`), the first again after the last.
fn next_prompt(prompts: &[MediaPrompt], index: usize, looping: bool) -> Option<usize> {
    // Checked: a restored index is checked against the prompts, and this
    // holds even if it were not.
    let next = index.checked_add(1)?;
    if next < prompts.len() {
        Some(next)
    } else if looping && !prompts.is_empty() {
        Some(0)
    } else {
        None
    }
}

/// §2.2: stops the recording in `step` and keeps it: the record waits for
/// the store. Ruling 3: if the media layer already said it cannot store it
/// (`store_failed`), the record fails now.
fn stop_recording(
    ledger: &mut Ledger,
    id: OperationId,
    step: &mut RecordStep,
    since: &mut Instant,
    now: Instant,
    reason: EndReason,
    store_failed: bool,
) -> Step {
    ledger.emit(Output::Media(MediaCommand::StopRecording {
        operation: id,
        store: true,
    }));
    if store_failed {
        return Step::Ends(EndReason::RecordingStoreFailed);
    }
    *step = RecordStep::Storing {
        reason,
        recorded_ms: elapsed_ms(*since, now),
    };
    *since = now;
    Step::Continues
}

/// §2.2: stops the recording, discards it, and fails the record.
fn fail_recording(ledger: &mut Ledger, id: OperationId, reason: EndReason) -> Step {
    ledger.emit(Output::Media(MediaCommand::StopRecording {
        operation: id,
        store: false,
    }));
    Step::Ends(reason)
}

/// No key yet, and the first-digit timeout running.
fn first_digit(collect: &CollectDigits, now: Instant) -> (Vec<Tone>, Instant) {
    let timeout = Duration::from_millis(u64::from(collect.first_digit_timeout_ms));
    // Bounded by validation (at most 64 keys).
    let digits = Vec::with_capacity(usize::from(collect.max_digits));
    (digits, now.saturating_add(timeout))
}

/// Extension: a key while collecting: a terminator ends the collection, a
/// digit is kept and ends it at `maxDigits`, else restarts the inter-digit
/// timeout.
fn take_key(
    collect: &CollectDigits,
    digits: &mut Vec<Tone>,
    deadline: &mut Instant,
    now: Instant,
    tone: Tone,
) -> Step {
    if collect.terminators.contains(tone) {
        return Step::Ends(digits_end(collect, digits, DigitsEnd::Terminator(tone)));
    }
    digits.push(tone);
    if digits.len() >= usize::from(collect.max_digits) {
        return Step::Ends(digits_end(collect, digits, DigitsEnd::MaxDigits));
    }
    let inter_digit = Duration::from_millis(u64::from(collect.inter_digit_timeout_ms));
    *deadline = now.saturating_add(inter_digit);
    Step::Continues
}

/// Extension: a collection that ends with `digits` completes with at least
/// `minDigits` of them, and fails with fewer.
fn digits_end(collect: &CollectDigits, digits: &[Tone], end: DigitsEnd) -> EndReason {
    if digits.len() >= usize::from(collect.min_digits) {
        EndReason::DigitsCollected(end)
    } else {
        EndReason::TooFewDigits(end)
    }
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

/// Milliseconds from `since` to `now` (0 if `now` is earlier).
pub(in crate::call) fn elapsed_ms(since: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(since).as_millis()).unwrap_or(u64::MAX)
}
