//! Errors, one small enum per kind of input.

use std::borrow::Cow;

use thiserror::Error;

use crate::id::{CallId, MAX_CALL_ID_BYTES, OperationId};

/// Why a call id cannot be one: no Graph URL could name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvalidCallId {
    /// Empty or only white space.
    #[error("a call id must not be blank")]
    Blank,
    /// Longer than [`MAX_CALL_ID_BYTES`].
    #[error("a call id is at most {MAX_CALL_ID_BYTES} bytes, got {bytes}")]
    TooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// A `/`, which no path segment can hold.
    #[error("a call id must not contain '/'")]
    Slash,
    /// A control character.
    #[error("a call id must not contain control characters")]
    ControlCharacter,
}

/// A request body that breaks a rule. The message names the field (by its
/// Graph JSON name) and the rule: `prompts: at most 20 prompts are allowed, got 21`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    /// The field, as a JSON path (`prompts[0].mediaInfo.uri`).
    pub field: Cow<'static, str>,
    /// The rule it breaks.
    pub rule: String,
}

impl ValidationError {
    /// An error for `field`.
    pub fn new(field: impl Into<Cow<'static, str>>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// A setting outside its valid range (see [`crate::ranges`]). The message
/// names the setting and the range: `queue_capacity: must be 1 to 10000, got 0`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{setting}: {rule}")]
pub struct ConfigError {
    /// The setting, by its Rust field name (or its `ivr-replay` config
    /// name, from there).
    pub setting: &'static str,
    /// The rule it breaks.
    pub rule: String,
}

impl ConfigError {
    /// An error for `setting`.
    pub fn new(setting: &'static str, rule: impl Into<String>) -> Self {
        Self {
            setting,
            rule: rule.into(),
        }
    }
}

/// Why a bot request was refused. A refused request changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body breaks a rule (HTTP 400).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No call with this id was ever established (HTTP 404).
    #[error("call '{0}' was not found")]
    CallNotFound(CallId),
    /// The call has ended (HTTP 404).
    #[error("call '{0}' has been terminated")]
    CallTerminated(CallId),
    /// The call's media queue holds `capacity` operations (active and queued)
    /// already (HTTP 429). Retry once one has ended, or cancel.
    #[error("the media queue of call '{call}' is full: it holds {capacity} operations")]
    QueueFull {
        /// The call.
        call: CallId,
        /// The configured capacity.
        capacity: usize,
    },
    /// A bug hit this call; it takes no more requests (HTTP 500). Other
    /// calls are not affected.
    #[error("call '{0}' failed: an internal error stopped it")]
    CallFailed(CallId),
    /// Outputs are piling up undrained (HTTP 503): drain them, then retry.
    #[error("{pending} outputs wait undrained, the limit is {limit}: drain them, then retry")]
    OutputsBacklogged {
        /// Outputs waiting: in the call's shard of an engine, or in a
        /// [`crate::Call`] driven on its own.
        pending: usize,
        /// The shard's share of [`crate::EngineConfig::max_pending_outputs`],
        /// or [`crate::CallConfig::max_pending_outputs`].
        limit: usize,
    },
    /// The call is being moved to another engine (HTTP 503): retry, there
    /// once the move is committed, here if it is aborted.
    #[error("call '{0}' is being moved: retry")]
    CallMoving(CallId),
    /// The call holds no operation with this id (HTTP 404).
    #[error("operation '{operation}' was not found on call '{call}'")]
    OperationNotFound {
        /// The call.
        call: CallId,
        /// The operation asked for.
        operation: OperationId,
    },
}

/// Why a media-layer input was ignored. Ignoring is the documented outcome
/// for inputs that do not fit (a late "playback finished" that raced a
/// cancel, a tone before subscribing); these say why, for tracing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InputIgnored {
    /// No call with this id exists.
    #[error("call {0} was not found")]
    UnknownCall(CallId),
    /// The call has ended.
    #[error("call {0} has been terminated")]
    CallTerminated(CallId),
    /// A bug hit this call; it takes no more input.
    #[error("call {0} failed: an internal error stopped it")]
    CallFailed(CallId),
    /// The input names an operation that is not the active one.
    #[error("operation {operation} is not the active operation on {call}")]
    StaleToken {
        /// The call.
        call: CallId,
        /// The operation the input named.
        operation: OperationId,
    },
    /// A playback input while no prompt plays.
    #[error("nothing is playing on {0}")]
    NothingPlaying(CallId),
    /// A beep input while no beep plays.
    #[error("no beep is playing on {0}")]
    NoBeep(CallId),
    /// A recording input while nothing records.
    #[error("nothing is recording on {0}")]
    NotRecording(CallId),
    /// A store result while no recording is being stored.
    #[error("no recording is being stored on {0}")]
    NotStoring(CallId),
    /// A tone that neither a subscription nor a stop tone wanted.
    #[error("{0} has no tone subscription")]
    NoToneSubscription(CallId),
    /// Outputs are piling up undrained: the input was refused and changed
    /// nothing. Drain them, then send it again.
    #[error(
        "{pending} outputs wait undrained, the limit is {limit}: drain them, then send the input again"
    )]
    OutputsBacklogged {
        /// Outputs waiting (see [`RequestError::OutputsBacklogged`]).
        pending: usize,
        /// The limit.
        limit: usize,
    },
    /// The call is being moved to another engine: the input changed
    /// nothing; send it where the call ends up.
    #[error("call {0} is being moved")]
    CallMoving(CallId),
}

/// Why an engine did not take a snapshot. Nothing changed; the snapshot is
/// still the caller's.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The snapshot is not a call these settings allow.
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// The engine holds a call with this id, or remembers that it ended.
    #[error("call '{0}' already exists in this engine")]
    CallExists(CallId),
    /// An engine snapshot names this call twice.
    #[error("the snapshot holds call '{0}' twice")]
    DuplicateCall(CallId),
    /// An engine snapshot remembers an ended call no URL could name.
    #[error("the snapshot remembers ended call {id:?}, which no URL can name: {reason}")]
    InvalidEndedId {
        /// The id.
        id: CallId,
        /// Its fault.
        reason: InvalidCallId,
    },
    /// The calls' undrained outputs would take a shard past its share of
    /// [`crate::EngineConfig::max_pending_outputs`]: drain, then restore.
    #[error("{pending} outputs wait undrained, the limit is {limit}: drain them, then restore")]
    OutputsBacklogged {
        /// Outputs waiting in the shard.
        pending: usize,
        /// The shard's share of the limit.
        limit: usize,
    },
    /// The calls would take the engine past
    /// [`crate::EngineConfig::max_calls`].
    #[error("the engine may hold {limit} calls; these would take it past that")]
    TooManyCalls {
        /// The configured limit.
        limit: usize,
    },
}

/// Why a call could not be taken out of an engine to move it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MoveError {
    /// The engine holds no call with this id.
    #[error("call {0} was not found")]
    CallNotFound(CallId),
    /// A bug stopped this call; there is nothing to move.
    #[error("call {0} failed: an internal error stopped it")]
    CallFailed(CallId),
    /// A move of this call is under way already.
    #[error("call {0} is being moved already")]
    AlreadyMoving(CallId),
}

/// Why a call could not be established.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EstablishError {
    /// The call exists already (a second `established`).
    #[error("call {0} is already established")]
    AlreadyEstablished(CallId),
    /// A call with this id ended; ids are not reused.
    #[error("call {0} has been terminated")]
    CallTerminated(CallId),
    /// No Graph URL could name this call.
    #[error("call {id:?} cannot be established: {reason}")]
    InvalidCallId {
        /// The id.
        id: CallId,
        /// Its fault.
        reason: InvalidCallId,
    },
    /// The engine holds its configured maximum of calls.
    #[error("the engine holds {limit} calls, its limit")]
    TooManyCalls {
        /// The configured limit.
        limit: usize,
    },
    /// Outputs wait undrained in the shard this call would join (see
    /// [`RequestError::OutputsBacklogged`]): drain them, then report the
    /// call again.
    #[error(
        "{pending} outputs wait undrained, the limit is {limit}: drain them, then establish the call"
    )]
    OutputsBacklogged {
        /// Outputs waiting in the shard.
        pending: usize,
        /// The shard's share of [`crate::EngineConfig::max_pending_outputs`].
        limit: usize,
    },
}
