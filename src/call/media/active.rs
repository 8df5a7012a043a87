//! The operation at the head of a call's queue.
//!
//! One variant per kind ([`Stage`]), each with the steps only that kind
//! has ([`RecordStep`], [`CollectStep`]): a beep belongs to a record, a
//! collecting step to a collect-digits operation, and no other pair can be
//! built. A transition returns what became of the operation ([`Outcome`]);
//! the queue ([`super::Media`]) reports the end and starts the next. Arms
//! cite the rule of `../shared/spec/ENGINE.md` they implement (§ section;
//! "ruling N" for §2.7).

use super::Queued;
use super::collect::CollectStep;
use super::record::RecordStep;
use crate::call::ledger::{Ledger, MediaResults};
use crate::call::{ActiveView, MediaPhase};
use crate::id::OperationId;
use crate::io::{MediaCommand, MediaInput, Output, PartialRecording};
use crate::model::{
    ApiVersion, CollectDigits, Digits, EndReason, MediaPrompt, MediaRequest, Operation, PlayPrompt,
    Record, Tone,
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

/// What a transition did to the active operation.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
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
        let Queued { mut op, request } = queued;
        let mut since = now;
        let mut cx = Cx {
            ledger,
            op: &mut op,
            since: &mut since,
            now,
        };
        let stage = match request {
            // §2.1: prompts play in order.
            MediaRequest::PlayPrompt(play) => match play.prompts.first() {
                Some(prompt) => {
                    cx.play(0, prompt);
                    Stage::Play { play, index: 0 }
                }
                None => {
                    let request = MediaRequest::PlayPrompt(play);
                    return Started::NothingToPlay(Queued { op, request });
                }
            },
            // §2.2: its prompt (if any), then the beep or the recording.
            MediaRequest::Record(record) => {
                let step = RecordStep::first(&mut cx, &record);
                Stage::Record { record, step }
            }
            MediaRequest::CollectDigits(collect) => {
                let step = CollectStep::first(&mut cx, &collect);
                Stage::Collect { collect, step }
            }
        };
        Started::Active(Self { op, since, stage })
    }

    /// What a transition works with: the context (the ledger, the
    /// operation, when its step began, `now`) and, apart, the stage it
    /// moves.
    fn split<'a>(&'a mut self, ledger: &'a mut Ledger, now: Instant) -> (Cx<'a>, &'a mut Stage) {
        let cx = Cx {
            ledger,
            op: &mut self.op,
            since: &mut self.since,
            now,
        };
        (cx, &mut self.stage)
    }

    /// A media input for this operation (its token matched, or it carried
    /// none). `Err` gives back an input that does not fit the step
    /// (ruling 10: ignored, and nothing changes).
    pub(super) fn handle_input(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        input: MediaInput,
    ) -> Result<Outcome, MediaInput> {
        let (mut cx, stage) = self.split(ledger, now);
        match stage {
            Stage::Play { play, index } => play_input(&mut cx, play, index, input),
            Stage::Record { record, step } => step.handle_input(&mut cx, record, input),
            Stage::Collect { collect, step } => step.handle_input(&mut cx, collect, input),
        }
    }

    /// §2.2: a stop tone ends a record's recording. `None`: this operation
    /// does not take the tone.
    pub(super) fn stop_tone(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        tone: Tone,
    ) -> Option<Outcome> {
        let (mut cx, stage) = self.split(ledger, now);
        let Stage::Record { record, step } = stage else {
            return None;
        };
        step.stop_tone(&mut cx, record, tone)
    }

    /// Extension: a key for a collect-digits operation. `None`: this
    /// operation does not take the key.
    pub(super) fn collect_key(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
        tone: Tone,
    ) -> Option<Outcome> {
        let (mut cx, stage) = self.split(ledger, now);
        let Stage::Collect { collect, step } = stage else {
            return None;
        };
        step.collect_key(&mut cx, collect, tone)
    }

    /// The next timer deadline, if a step has one running.
    #[inline]
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.stage {
            Stage::Play { .. } => None,
            Stage::Record { step, .. } => step.deadline(),
            Stage::Collect { step, .. } => step.deadline(),
        }
    }

    /// Fires the earliest timer if it is due by `now`, at its own deadline;
    /// gives back that deadline and what it did.
    #[inline]
    pub(super) fn fire_due(
        &mut self,
        ledger: &mut Ledger,
        now: Instant,
    ) -> Option<(Instant, Outcome)> {
        let (mut cx, stage) = self.split(ledger, now);
        match stage {
            Stage::Play { .. } => None,
            Stage::Record { step, .. } => step.fire_due(&mut cx),
            Stage::Collect { collect, step } => step.fire_due(&cx, collect),
        }
    }

    /// §2.4: the command that stops what the media layer is doing for this
    /// operation, if it is doing anything.
    #[inline]
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
        ActiveView {
            operation: self.op.clone(),
            phase: self.phase(),
            phase_since: self.since,
        }
    }

    /// What it has the media layer doing.
    pub(super) fn phase(&self) -> MediaPhase {
        match &self.stage {
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
        }
    }

    /// The operation as the queue held it, and what it got before it ended
    /// for `reason` at `now`: the digits it collected, or (a record) what
    /// it had recorded without storing.
    #[inline]
    #[expect(
        clippy::boxed_local,
        reason = "the active operation lives in a box: taken whole, its fields move out once, \
                  not the whole of it to the stack first (callgrind: a cancel of 1, 29 \
                  instructions fewer)"
    )]
    pub(super) fn into_results(
        self: Box<Self>,
        now: Instant,
        reason: EndReason,
    ) -> (Queued, MediaResults) {
        let Self { op, since, stage } = *self;
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

/// What a transition may touch besides its own step.
pub(super) struct Cx<'a> {
    ledger: &'a mut Ledger,
    pub(super) op: &'a mut Operation,
    /// When the current step began.
    since: &'a mut Instant,
    /// The time of the transition (a timer's own deadline when one fires).
    pub(super) now: Instant,
}

impl Cx<'_> {
    pub(super) fn id(&self) -> OperationId {
        self.op.id
    }

    /// Asks the media layer to do something for this operation.
    pub(super) fn command(&mut self, command: MediaCommand) {
        self.ledger.emit(Output::Media(command));
    }

    /// Asks the media layer to play prompt `index` of this operation.
    pub(super) fn play(&mut self, index: usize, prompt: &MediaPrompt) {
        self.command(MediaCommand::Play {
            operation: self.op.id,
            index,
            prompt: prompt.clone(),
        });
    }

    /// A new step begins now (positions count from here).
    pub(super) fn step_began(&mut self) {
        *self.since = self.now;
    }

    /// How long the current step has run.
    pub(super) fn elapsed_ms(&self) -> u64 {
        elapsed_ms(*self.since, self.now)
    }
}

/// §2.1: the next prompt, or (a beta `loop`) the first again, or done.
fn play_input(
    cx: &mut Cx<'_>,
    play: &PlayPrompt,
    index: &mut usize,
    input: MediaInput,
) -> Result<Outcome, MediaInput> {
    match input {
        MediaInput::PlaybackFinished => {
            let looping = play.loop_forever && cx.op.api == ApiVersion::Beta;
            let Some(next) = next_prompt(&play.prompts, *index, looping) else {
                return Ok(Outcome::Ends(EndReason::Completed));
            };
            *index = next;
            cx.step_began();
            cx.play(next, &play.prompts[next]);
            Ok(Outcome::Continues)
        }
        // "A prompt that fails to play" (400/8536 or 8535).
        MediaInput::PlaybackFailed(failure) => Ok(Outcome::Ends(EndReason::PromptFailed(failure))),
        input => Err(input),
    }
}

/// The prompt after `index`, if any; with `looping`, the first again after
/// the last.
pub(super) fn next_prompt(prompts: &[MediaPrompt], index: usize, looping: bool) -> Option<usize> {
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

/// Milliseconds from `since` to `now` (0 if `now` is earlier).
pub(super) fn elapsed_ms(since: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(since).as_millis()).unwrap_or(u64::MAX)
}
