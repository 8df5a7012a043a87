//! §2.2: a record's steps (prompt → beep → recording → storing) and their
//! transitions.

use std::time::Duration;

use super::active::{Cx, Outcome};
use crate::io::{MediaCommand, MediaInput};
use crate::model::{EndReason, Record, Tone};
use crate::time::Instant;

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

impl RecordStep {
    /// The record's first step: its prompt if it has one, else what
    /// follows the prompt.
    pub(super) fn first(cx: &mut Cx<'_>, record: &Record) -> Self {
        match &record.prompt {
            Some(prompt) => {
                cx.play(0, prompt);
                Self::Prompt
            }
            None => Self::after_prompt(cx, record),
        }
    }

    /// The beep if the record asks for one, else the recording.
    fn after_prompt(cx: &mut Cx<'_>, record: &Record) -> Self {
        if record.play_beep {
            cx.command(MediaCommand::PlayBeep { operation: cx.id() });
            Self::Beep
        } else {
            Self::start_recording(cx, record)
        }
    }

    /// Recording starts, and with it the initial-silence and the
    /// max-duration timers.
    fn start_recording(cx: &mut Cx<'_>, record: &Record) -> Self {
        cx.command(MediaCommand::StartRecording { operation: cx.id() });
        Self::Recording(Recording {
            initial_silence: Some(
                cx.now
                    .saturating_add(secs(record.initial_silence_timeout_secs)),
            ),
            max_duration: cx.now.saturating_add(secs(record.max_record_duration_secs)),
            max_silence: None,
            store_failed: false,
        })
    }

    /// The record's transition table. `Err` gives back an input that does
    /// not fit the step (ruling 10).
    pub(super) fn handle_input(
        &mut self,
        cx: &mut Cx<'_>,
        record: &Record,
        input: MediaInput,
    ) -> Result<Outcome, MediaInput> {
        match (input, &mut *self) {
            // Its prompt is over: the beep, or the recording.
            (MediaInput::PlaybackFinished, Self::Prompt) => {
                *self = Self::after_prompt(cx, record);
                cx.step_began();
            }
            // "its prompt failed" (500/8511).
            (MediaInput::PlaybackFailed(failure), Self::Prompt) => {
                return Ok(Outcome::Ends(EndReason::PromptFailed(failure)));
            }
            // The beep is over: record.
            (MediaInput::BeepFinished, Self::Beep) => {
                *self = Self::start_recording(cx, record);
                cx.step_began();
            }
            // "beep failed" (500/8512).
            (MediaInput::BeepFailed, Self::Beep) => {
                return Ok(Outcome::Ends(EndReason::BeepFailed));
            }
            // Ruling 4: speech counts only while recording; it stops both
            // silence timers.
            (MediaInput::SpeechStarted, Self::Recording(rec)) => {
                rec.initial_silence = None;
                rec.max_silence = None;
            }
            // The caller spoke: silence from here on completes the record.
            (MediaInput::SpeechStopped, Self::Recording(rec)) => {
                rec.initial_silence = None;
                let window = secs(record.max_silence_timeout_secs);
                rec.max_silence = Some(cx.now.saturating_add(window));
            }
            // "media receive timeout" (500/8513; ruling 4: only while
            // recording).
            (MediaInput::MediaReceiveTimeout, Self::Recording(_)) => {
                return Ok(fail_recording(cx, EndReason::MediaReceiveTimeout));
            }
            // Ruling 3: a store that fails during the recording is reported
            // when the recording stops.
            (MediaInput::RecordingFailed, Self::Recording(rec)) => rec.store_failed = true,
            // "recording store failed" (500/9999).
            (MediaInput::RecordingFailed, Self::Storing { .. }) => {
                return Ok(Outcome::Ends(EndReason::RecordingStoreFailed));
            }
            // Stored: the record ends for why it stopped, with where the
            // recording went.
            (MediaInput::RecordingStored(recording), Self::Storing { reason, .. }) => {
                let reason = *reason;
                cx.op.recording = Some(recording);
                return Ok(Outcome::Ends(reason));
            }
            (input, _) => return Err(input),
        }
        Ok(Outcome::Continues)
    }

    /// A stop tone ends the recording (ruling 4: only while recording).
    /// `None`: the record does not take the tone.
    pub(super) fn stop_tone(
        &mut self,
        cx: &mut Cx<'_>,
        record: &Record,
        tone: Tone,
    ) -> Option<Outcome> {
        let Self::Recording(rec) = self else {
            return None;
        };
        if !record.stop_tones.contains(tone) {
            return None;
        }
        let store_failed = rec.store_failed;
        Some(self.stop_recording(cx, EndReason::StopToneDetected(tone), store_failed))
    }

    /// The running timer's deadline, while recording.
    #[inline]
    pub(super) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Recording(rec) => Some(rec.next_timer().0),
            Self::Prompt | Self::Beep | Self::Storing { .. } => None,
        }
    }

    /// Fires the earliest recording timer if it is due by `cx.now`, at its
    /// own deadline (ruling 1 breaks ties); gives back that deadline.
    pub(super) fn fire_due(&mut self, cx: &mut Cx<'_>) -> Option<(Instant, Outcome)> {
        let Self::Recording(rec) = self else {
            return None;
        };
        let (at, timer) = rec.next_timer();
        if at > cx.now {
            return None;
        }
        cx.now = at;
        let store_failed = rec.store_failed;
        let fired = match timer {
            // "no speech at all" (400/8510).
            RecordTimer::InitialSilence => fail_recording(cx, EndReason::InitialSilenceTimeout),
            // "max duration reached" (200/8515).
            RecordTimer::MaxDuration => {
                self.stop_recording(cx, EndReason::MaxRecordDuration, store_failed)
            }
            // "silence after speech" (200/8509).
            RecordTimer::MaxSilence => {
                self.stop_recording(cx, EndReason::MaxSilenceTimeout, store_failed)
            }
        };
        Some((at, fired))
    }

    /// Stops the recording and keeps it: the record waits for the store.
    /// Ruling 3: if the media layer already said it cannot store it
    /// (`store_failed`), the record fails now.
    fn stop_recording(
        &mut self,
        cx: &mut Cx<'_>,
        reason: EndReason,
        store_failed: bool,
    ) -> Outcome {
        cx.command(MediaCommand::StopRecording {
            operation: cx.id(),
            store: true,
        });
        if store_failed {
            return Outcome::Ends(EndReason::RecordingStoreFailed);
        }
        *self = Self::Storing {
            reason,
            recorded_ms: cx.elapsed_ms(),
        };
        cx.step_began();
        Outcome::Continues
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

/// Stops the recording, discards it, and fails the record.
fn fail_recording(cx: &mut Cx<'_>, reason: EndReason) -> Outcome {
    cx.command(MediaCommand::StopRecording {
        operation: cx.id(),
        store: false,
    });
    Outcome::Ends(reason)
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}
