//! Snapshots: a call's whole state as a versioned serde value, to move it to
//! another engine, process or machine, where it goes on exactly as if it had
//! never moved.
//!
//! The format is self-describing: every snapshot carries a `format` tag
//! ([`CALL_FORMAT`], [`ENGINE_FORMAT`]), and one with a tag this version does
//! not know is refused with [`SnapshotError::UnknownFormat`]. Timers are
//! absolute deadlines on the embedder's clock, so the receiving side must
//! share that clock (or translate it) for them to fire on time.

use serde::{Deserialize, Serialize};

use crate::call::Call;
use crate::id::CallId;

/// The format tag of a [`CallSnapshot`].
pub const CALL_FORMAT: &str = "ivr-media-queue/call/1";
/// The format tag of an [`EngineSnapshot`].
pub const ENGINE_FORMAT: &str = "ivr-media-queue/engine/1";

/// One call's whole state: its queue, the active operation and its phase,
/// its timers as absolute deadlines, the tone subscription and sequence,
/// the etag counter, the id source's position, the `GET` memory and any
/// output not yet polled.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "format")]
pub enum CallSnapshot {
    /// Format 1.
    #[serde(rename = "ivr-media-queue/call/1")]
    V1(Box<Call>),
}

/// Every call of an engine, in establishment order, and the ids of the
/// calls that ended (so requests to them still get "terminated").
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "format")]
pub enum EngineSnapshot {
    /// Format 1.
    #[serde(rename = "ivr-media-queue/engine/1")]
    V1 {
        /// The calls.
        calls: Vec<CallSnapshot>,
        /// Calls that ended, oldest first.
        ended: Vec<CallId>,
    },
}

/// Why a snapshot could not be read or restored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot was written by a version that uses another format.
    #[error("unknown snapshot format {found:?}; this version reads {supported:?}")]
    UnknownFormat {
        /// The snapshot's `format`.
        found: String,
        /// The format this version reads.
        supported: &'static str,
    },
    /// The bytes are not a snapshot.
    #[error("not a snapshot: {0}")]
    Malformed(String),
}

impl CallSnapshot {
    /// The call's id.
    pub fn call_id(&self) -> &CallId {
        match self {
            Self::V1(call) => call.id(),
        }
    }

    /// As JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // A call holds strings, numbers and ids only: it always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads JSON bytes written by [`CallSnapshot::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        from_json(bytes, CALL_FORMAT)
    }
}

impl EngineSnapshot {
    /// As JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads JSON bytes written by [`EngineSnapshot::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        from_json(bytes, ENGINE_FORMAT)
    }
}

/// Checks the format tag first, so a snapshot from another version gets a
/// clear error instead of a field-by-field complaint.
fn from_json<T: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    supported: &'static str,
) -> Result<T, SnapshotError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(format) if format == supported => {}
        Some(found) => {
            return Err(SnapshotError::UnknownFormat {
                found: found.to_owned(),
                supported,
            });
        }
        None => return Err(SnapshotError::Malformed("no \"format\" tag".to_owned())),
    }
    serde_json::from_value(value).map_err(|e| SnapshotError::Malformed(e.to_string()))
}
