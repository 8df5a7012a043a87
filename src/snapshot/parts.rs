//! A call's state in plain values: what every snapshot format reads into
//! and writes from, what restoring checks, and what [`crate::Call`] is
//! rebuilt from. Independent of the call's private types, so those can
//! change without touching any format.

use crate::id::{CallId, IdSource};
use crate::io::Output;
use crate::model::{EndReason, MediaRequest, Operation, Tone};
use crate::time::Instant;

/// One call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CallParts {
    pub(crate) id: CallId,
    /// Where the next operation id comes from.
    pub(crate) ids: IdSource,
    /// The latest `now` the call has seen.
    pub(crate) clock: Instant,
    /// The last etag given out.
    pub(crate) etag: u64,
    /// Outputs polled so far.
    pub(crate) polled: u64,
    /// Outputs not polled yet, oldest first.
    pub(crate) outputs: Vec<Output>,
    /// Ended operations kept for `GET`, oldest first.
    pub(crate) remembered: Vec<Operation>,
    /// The media queue; `None` once the call has ended.
    pub(crate) media: Option<MediaParts>,
}

/// A live call's media queue and tones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MediaParts {
    pub(crate) active: Option<ActiveParts>,
    /// Waiting, in the order they will start.
    pub(crate) queued: Vec<QueuedParts>,
    pub(crate) tones_subscribed: bool,
    /// The `sequenceId` of the last delivered tone (0: none yet).
    pub(crate) tones_delivered: u64,
}

/// An accepted media operation and what it was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueuedParts {
    pub(crate) operation: Operation,
    pub(crate) request: MediaRequest,
}

/// The operation that plays, records or collects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ActiveParts {
    pub(crate) queued: QueuedParts,
    pub(crate) phase: PhaseParts,
    /// When the phase began.
    pub(crate) since: Instant,
}

/// Where the active operation is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PhaseParts {
    /// Playing prompt `index` (0-based) of the operation.
    Prompt { index: usize },
    /// Playing the record beep.
    Beep,
    /// Recording, with the record's timers as deadlines.
    Recording {
        initial_silence: Option<Instant>,
        max_duration: Instant,
        max_silence: Option<Instant>,
        store_failed: bool,
    },
    /// Stopped for `reason` after `recorded_ms`; waiting for the store.
    Storing { reason: EndReason, recorded_ms: u64 },
    /// Collecting keys until `deadline`.
    Collecting {
        digits: Vec<Tone>,
        deadline: Instant,
    },
}
