//! Extension ([`CollectDigits`]): a collect-digits operation's steps
//! (prompts → collecting) and their transitions.

use std::time::Duration;

use super::active::{Cx, Outcome};
use crate::io::{MediaCommand, MediaInput};
use crate::model::{CollectDigits, DigitsEnd, EndReason, Tone};
use crate::time::Instant;

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

impl CollectStep {
    /// Its first prompt, or collecting if it has none.
    pub(super) fn first(cx: &mut Cx<'_>, collect: &CollectDigits) -> Self {
        match collect.prompts.first() {
            Some(prompt) => {
                cx.play(0, prompt);
                Self::Prompt { index: 0 }
            }
            None => Self::collecting(collect, cx.now),
        }
    }

    /// The prompts are over: wait for the first key.
    fn collecting(collect: &CollectDigits, now: Instant) -> Self {
        let (digits, deadline) = first_digit(collect, now);
        Self::Collecting { digits, deadline }
    }

    /// The prompts play in order, then collecting starts. `Err` gives back
    /// an input that does not fit the step (ruling 10).
    pub(super) fn handle_input(
        &mut self,
        cx: &mut Cx<'_>,
        collect: &CollectDigits,
        input: MediaInput,
    ) -> Result<Outcome, MediaInput> {
        let Self::Prompt { index } = *self else {
            return Err(input);
        };
        match input {
            MediaInput::PlaybackFinished => {
                *self = match super::active::next_prompt(&collect.prompts, index, false) {
                    Some(next) => {
                        cx.play(next, &collect.prompts[next]);
                        Self::Prompt { index: next }
                    }
                    None => Self::collecting(collect, cx.now),
                };
                cx.step_began();
                Ok(Outcome::Continues)
            }
            MediaInput::PlaybackFailed(failure) => {
                Ok(Outcome::Ends(EndReason::PromptFailed(failure)))
            }
            input => Err(input),
        }
    }

    /// A key, while collecting (a barge-in operation listens during its
    /// prompts too, and stops them). `None`: the step does not take keys.
    pub(super) fn collect_key(
        &mut self,
        cx: &mut Cx<'_>,
        collect: &CollectDigits,
        tone: Tone,
    ) -> Option<Outcome> {
        match self {
            Self::Collecting { digits, deadline } => {
                Some(take_key(collect, digits, deadline, cx.now, tone))
            }
            Self::Prompt { .. } if collect.barge_in => {
                cx.command(MediaCommand::StopPlayback { operation: cx.id() });
                let (mut digits, mut deadline) = first_digit(collect, cx.now);
                let taken = take_key(collect, &mut digits, &mut deadline, cx.now, tone);
                *self = Self::Collecting { digits, deadline };
                cx.step_began();
                Some(taken)
            }
            Self::Prompt { .. } => None,
        }
    }

    /// The running timeout's deadline, while collecting.
    #[inline]
    pub(super) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Collecting { deadline, .. } => Some(*deadline),
            Self::Prompt { .. } => None,
        }
    }

    /// No key in time: the collection ends at its deadline, if that is due
    /// by `cx.now`.
    pub(super) fn fire_due(
        &self,
        cx: &Cx<'_>,
        collect: &CollectDigits,
    ) -> Option<(Instant, Outcome)> {
        let Self::Collecting { digits, deadline } = self else {
            return None;
        };
        if *deadline > cx.now {
            return None;
        }
        let end = if digits.is_empty() {
            DigitsEnd::FirstDigitTimeout
        } else {
            DigitsEnd::InterDigitTimeout
        };
        Some((*deadline, Outcome::Ends(digits_end(collect, digits, end))))
    }
}

/// No key yet, and the first-digit timeout running.
fn first_digit(collect: &CollectDigits, now: Instant) -> (Vec<Tone>, Instant) {
    let timeout = Duration::from_millis(u64::from(collect.first_digit_timeout_ms));
    // Bounded by validation (at most 64 keys).
    let digits = Vec::with_capacity(usize::from(collect.max_digits));
    (digits, now.saturating_add(timeout))
}

/// A key while collecting: a terminator ends the collection; a digit is
/// kept, and ends it at `maxDigits` or restarts the inter-digit timeout.
fn take_key(
    collect: &CollectDigits,
    digits: &mut Vec<Tone>,
    deadline: &mut Instant,
    now: Instant,
    tone: Tone,
) -> Outcome {
    if collect.terminators.contains(tone) {
        return Outcome::Ends(digits_end(collect, digits, DigitsEnd::Terminator(tone)));
    }
    digits.push(tone);
    if digits.len() >= usize::from(collect.max_digits) {
        return Outcome::Ends(digits_end(collect, digits, DigitsEnd::MaxDigits));
    }
    let inter_digit = Duration::from_millis(u64::from(collect.inter_digit_timeout_ms));
    *deadline = now.saturating_add(inter_digit);
    Outcome::Continues
}

/// A collection that ends with `digits` completes with at least
/// `minDigits` of them, and fails with fewer.
fn digits_end(collect: &CollectDigits, digits: &[Tone], end: DigitsEnd) -> EndReason {
    if digits.len() >= usize::from(collect.min_digits) {
        EndReason::DigitsCollected(end)
    } else {
        EndReason::TooFewDigits(end)
    }
}
