//! Why a snapshot could not be read or restored: what was wrong, and where.

use std::fmt;

#[cfg(doc)]
use crate::config::CallConfig;
use crate::error::{InvalidCallId, ValidationError};
use crate::id::{CallId, OperationId};
use crate::model::{EndReason, OperationKind, OperationStatus, Tone};
use crate::time::Instant;

/// Why a snapshot could not be read or restored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot was written in a format this version does not read.
    #[error("unknown snapshot format {found:?}; this version reads {supported:?}")]
    UnknownFormat {
        /// The snapshot's `format`.
        found: String,
        /// The formats this version reads, newest first.
        supported: &'static [&'static str],
    },
    /// The bytes are not a snapshot in the format they name.
    #[error("not a snapshot: {0}")]
    Malformed(String),
    /// The restoring side's settings are outside their ranges.
    #[error("this side's settings: {0}")]
    InvalidConfig(crate::error::ConfigError),
    /// No Graph URL could name the call.
    #[error("call {id:?} cannot be restored: {reason}")]
    InvalidCallId {
        /// The id.
        id: CallId,
        /// Its fault.
        reason: InvalidCallId,
    },
    /// The call had ended: there is nothing to go on with.
    #[error("call '{0}' has ended; a terminated call is not restored")]
    CallTerminated(CallId),
    /// More operations are active and queued than this side's queue holds.
    #[error(
        "the snapshot holds {held} active and queued operations; this side's queue capacity is {capacity}"
    )]
    QueueOverCapacity {
        /// Active plus queued.
        held: usize,
        /// [`CallConfig::queue_capacity`].
        capacity: usize,
    },
    /// Operations are queued while none is active: the queue would stall.
    #[error("{queued} operations are queued but none is active")]
    QueueWithoutActive {
        /// How many are queued.
        queued: usize,
    },
    /// The `GET` memory holds more than this side remembers.
    #[error(
        "the snapshot remembers {held} ended operations; this side retains {limit} (refused, not trimmed)"
    )]
    MemoryOverLimit {
        /// Remembered operations.
        held: usize,
        /// [`CallConfig::retained_operations`].
        limit: usize,
    },
    /// More undrained outputs than a call is restored with.
    #[error("the snapshot holds {held} undrained outputs; at most {limit} are restored")]
    TooManyOutputs {
        /// Undrained outputs.
        held: usize,
        /// [`pending_output_limit`](super::pending_output_limit).
        limit: usize,
    },
    /// An operation id appears twice.
    #[error("operation {operation} is both {first} and {again}")]
    DuplicateOperation {
        /// The id.
        operation: OperationId,
        /// Where it appears first.
        first: Place,
        /// Where it appears again.
        again: Place,
    },
    /// The call's id source would give this operation's id again, to a
    /// later operation.
    #[error("the call's id source would give operation id {0} again")]
    IdGivenAgain(OperationId),
    /// An active or queued operation's request breaks this side's rules.
    #[error("operation {operation}: its request breaks this side's rules: {error}")]
    InvalidRequest {
        /// The operation.
        operation: OperationId,
        /// The rule, as a request would be refused for it.
        error: ValidationError,
    },
    /// An operation's state is not one it could be in.
    #[error("operation {operation}: {fault}")]
    InvalidOperation {
        /// The operation.
        operation: OperationId,
        /// What is wrong.
        fault: OperationFault,
    },
    /// An undrained output could not have come from a live call in this
    /// state.
    #[error("undrained output {index}: {fault}")]
    InvalidOutput {
        /// Its place among the undrained outputs (0: the next to poll).
        index: usize,
        /// What is wrong.
        fault: OutputFault,
    },
    /// A counter no call can reach.
    #[error("{counter} is {value}, more than {limit}")]
    CounterOutOfRange {
        /// Which.
        counter: Counter,
        /// Its value.
        value: u64,
        /// The most it can be.
        limit: u64,
    },
    /// Tones were delivered though the call has no tone subscription.
    #[error("{delivered} tones were delivered but the call has no tone subscription")]
    TonesWithoutSubscription {
        /// Tones delivered.
        delivered: u64,
    },
}

/// Where an operation is held in a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Place {
    /// The active operation.
    Active,
    /// A queued operation.
    Queued,
    /// Ended in an undrained output.
    EndedInOutput,
    /// In the `GET` memory.
    Remembered,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "active",
            Self::Queued => "queued",
            Self::EndedInOutput => "ended in an undrained output",
            Self::Remembered => "remembered",
        })
    }
}

/// A counter a snapshot carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Counter {
    /// Outputs given so far: polled plus undrained.
    OutputsGiven,
    /// Tones delivered so far (the last `sequenceId`).
    TonesDelivered,
    /// The call's clock, in ms ([`crate::Instant::LATEST`] at most).
    Clock,
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OutputsGiven => "the count of outputs given",
            Self::TonesDelivered => "the count of tones delivered",
            Self::Clock => "the call's clock (ms)",
        })
    }
}

/// A timer of the active operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// A record's initial-silence timeout.
    InitialSilence,
    /// A record's maximum duration.
    MaxDuration,
    /// A record's silence after speech.
    MaxSilence,
    /// A collect-digits' first-digit or inter-digit timeout.
    Digits,
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InitialSilence => "initial-silence",
            Self::MaxDuration => "max-duration",
            Self::MaxSilence => "max-silence",
            Self::Digits => "digit",
        })
    }
}

/// Why an operation's state is not one it could be in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperationFault {
    /// Active, queued or ended in an output, but not a media operation.
    #[error("a {} operation is not a media operation and cannot be queued or end", .0.name())]
    NotMedia(OperationKind),
    /// Its kind is not its request's.
    #[error("a {} operation carries a {} request", .kind.name(), .request.name())]
    KindMismatch {
        /// The operation's kind.
        kind: OperationKind,
        /// The kind its request makes.
        request: OperationKind,
    },
    /// Active or queued with a status that says otherwise.
    #[error(
        "it is {} but is {place}; it must be running (or notStarted while queued)", .status.as_str()
    )]
    NotPending {
        /// Its status.
        status: OperationStatus,
        /// Where it is.
        place: Place,
    },
    /// Active or queued, yet it has an end or a recording.
    #[error("it is {0} yet has an end or a recording")]
    ResultWhilePending(Place),
    /// Remembered or ended in an output, yet not ended.
    #[error("it is {} but is {place}; it must be completed or failed", .status.as_str())]
    NotEnded {
        /// Its status.
        status: OperationStatus,
        /// Where it is.
        place: Place,
    },
    /// A subscribeToTone or cancelMediaProcessing that did not complete:
    /// they complete at once, always.
    #[error("a {} operation only ever completes; it is {}", .kind.name(), .status.as_str())]
    NotCompleted {
        /// Its kind.
        kind: OperationKind,
        /// Its status.
        status: OperationStatus,
    },
    /// An ended media operation without a reason, or another with one.
    #[error(
        "an ended {} operation {}",
        .kind.name(),
        if *.has_end { "has an end reason" } else { "has no end reason" }
    )]
    EndPresence {
        /// Its kind.
        kind: OperationKind,
        /// Whether it has one.
        has_end: bool,
    },
    /// An end its kind cannot have on a live call, or a status the end
    /// does not give.
    #[error(
        "a {} operation cannot be {} by {} on a live call",
        .kind.name(),
        .status.as_str(),
        .reason.name()
    )]
    ImpossibleEnd {
        /// Its kind.
        kind: OperationKind,
        /// Its status.
        status: OperationStatus,
        /// Its end.
        reason: EndReason,
    },
    /// A recording on what is not a record completed by storing one.
    #[error("it carries a recording but is not a record that stored one")]
    UnexpectedRecording,
    /// A prompt phase beyond the operation's prompts.
    #[error("it plays prompt {index} of {count}")]
    PromptOutOfRange {
        /// The phase's prompt (0-based).
        index: usize,
        /// The operation's prompts.
        count: usize,
    },
    /// A beep phase on what does not play one.
    #[error("it plays a beep but is not a record that plays one")]
    BeepWithoutBeep,
    /// A recording or storing phase on what is not a record.
    #[error("it records but is not a record")]
    NotARecord,
    /// A collecting phase on what is not a collect-digits operation.
    #[error("it collects keys but is not a collect-digits operation")]
    NotACollection,
    /// As many keys as it asked for, or more: it would have ended.
    #[error("it holds {digits} keys; it ends at {max}")]
    TooManyDigits {
        /// Keys held.
        digits: usize,
        /// Its `max_digits`.
        max: u8,
    },
    /// A terminator among the collected keys (terminators end, uncollected).
    #[error("its keys hold the terminator {0}")]
    TerminatorCollected(Tone),
    /// A storing phase for a reason that does not store.
    #[error("it stores a recording after {}, which does not keep one", .0.name())]
    StoringReason(EndReason),
    /// More recorded than the record's maximum duration.
    #[error("it recorded {recorded_ms} ms, more than its maximum of {max_ms} ms")]
    RecordedTooLong {
        /// Recorded.
        recorded_ms: u64,
        /// The record's maximum.
        max_ms: u64,
    },
    /// A phase that began after the call's clock.
    #[error("its phase began at {since}, after the call's clock {clock}")]
    PhaseInFuture {
        /// When the phase began.
        since: Instant,
        /// The call's clock.
        clock: Instant,
    },
    /// A timer its request and phase would not have set, or one already
    /// due (every due timer fires before a call's input returns).
    #[error("its {timer} timer at {at} does not follow from its request and phase")]
    ImpossibleTimer {
        /// Which timer.
        timer: Timer,
        /// Its deadline.
        at: Instant,
    },
}

/// Why an undrained output could not have come from a live call in the
/// snapshot's state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputFault {
    /// A media command for an operation that is not active and does not end
    /// after it in the outputs.
    #[error(
        "a media command for operation {0}, which is neither active nor ended later in the outputs"
    )]
    CommandWithoutOperation(OperationId),
    /// A tone notification out of the call's sequence.
    #[error(
        "tone notification {found} does not fit: undrained tones are numbered one apart up to the {delivered} delivered"
    )]
    ToneOutOfSequence {
        /// Its `sequenceId`.
        found: u64,
        /// The call's count of delivered tones.
        delivered: u64,
    },
    /// Something only a call's end gives, on a call that has not ended.
    #[error("{0} on a call that has not ended")]
    AfterCallEnd(&'static str),
    /// `established` after other outputs.
    #[error("established is not the call's first output")]
    EstablishedNotFirst,
}
