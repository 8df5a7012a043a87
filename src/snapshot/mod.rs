//! Snapshots: a call's whole state as bytes, to move it to another engine,
//! process or machine (a rolling upgrade moves live calls to the new
//! version), where it goes on exactly as if it had never moved.
//!
//! # The format
//!
//! A snapshot is a JSON object whose `format` names its version. The format
//! is its own: types that exist only to be written and read, with every
//! JSON name spelled out, so no change to the call's private state can
//! change a byte of it by accident.
//!
//! - `ivr-media-queue/call/2` ([`CALL_FORMAT`], written by this version):
//!   `callId`; `operationIds` (`{"source": "seeded", "state": n}` or
//!   `{"source": "random"}`); `clockMs`, the latest `now` seen;
//!   `etagCounter`; `outputsPolled`; `media`, `null` once the call has
//!   ended, else `{active, queued, toneSubscription, tonesDelivered}` where
//!   `active` is `null` or the operation with its `request`, its `phase`
//!   (`prompt` with an `index`, `beep`, `recording` with its timers as
//!   absolute deadlines, `storing` with its `reason` and `recordedMs`,
//!   `collecting` with its `digits` and `deadlineMs`) and `phaseSinceMs`;
//!   `pendingOutputs`, the outputs not polled yet, each with a `type`; and
//!   `remembered`, the ended operations `GET` still shows. Operations carry
//!   `id`, `kind`, `api` (`v1.0`, `beta`), `clientContext`, `status`,
//!   `end` (a reason with a `type`), `recording` and `etag`. Unknown
//!   fields are refused.
//! - `ivr-media-queue/engine/2` ([`ENGINE_FORMAT`]): `{"format", "calls":
//!   [a call snapshot each], "ended": [call ids]}`.
//! - `ivr-media-queue/call/1` and `ivr-media-queue/engine/1`, read only: what
//!   earlier releases wrote (the serde derive of their private types, with
//!   the snapshotting side's config in it, which is not used). A call
//!   snapshotted by such a release restores here, collect-digits operations
//!   included.
//!
//! A tag this version does not read is refused with
//! [`SnapshotError::UnknownFormat`]; bytes that do not have the shape of the
//! format their tag names, with [`SnapshotError::Malformed`].
//!
//! The goldens under `tests/snapshots/` hold snapshots of every operation
//! kind and phase in each format, with what the call did next; every later
//! version must restore them and continue byte for byte.
//!
//! A change to what a snapshot holds is a new format: a new module of its
//! own types beside `v2/`, its tag written from then on, the older
//! formats still read (into the same plain state), and goldens of its own
//! (the golden test writes those of new scenarios). Goldens already written
//! are never regenerated.
//!
//! # Restoring checks what the state means
//!
//! Reading checks the shape; [`crate::Call::restore`] checks the meaning,
//! against the restoring side's [`CallConfig`] (a snapshot carries no
//! config: the restoring side's applies, and the state must fit it). A
//! snapshot is a trust boundary: whatever its bytes, restoring never panics
//! and never gives a call that breaks the engine's invariants. What cannot
//! be restored is refused with a [`SnapshotError`] that says what is wrong:
//!
//! - the call id is one a URL can name ([`CallId::parse`]'s rule), and the
//!   call has not ended;
//! - at most [`CallConfig::queue_capacity`] operations are active and
//!   queued (at least one: a barge-in record always gets in), an operation
//!   is active whenever one is queued, the `GET` memory holds at most
//!   [`CallConfig::retained_operations`] (refused, not trimmed), and at most
//!   [`pending_output_limit`] outputs wait;
//! - no operation id appears twice among the active, queued, ended-in-an-
//!   output and remembered operations, nor is one the call's id source
//!   will give again;
//! - active and queued operations are media operations that have not ended
//!   (`running`, or `notStarted` while queued), with no recording, of the
//!   kind of their request, and their request passes this side's
//!   validation ([`CallConfig::validate`],
//!   [`CallConfig::validate_collect_digits`]): URIs, prompt counts,
//!   timeouts, `clientContext` length;
//! - the active operation's phase fits its request (a prompt it has, a beep
//!   only on a record that plays one, recording and storing only on a
//!   record, collecting only on a collect-digits with fewer keys than its
//!   most and no terminator among them), began no later than the call's
//!   clock, and its timers are the ones its request and phase give, later
//!   than the call's clock;
//! - remembered and ended operations have ended, media ones with a reason
//!   their kind can end with and the status it gives; others completed;
//! - the undrained outputs could have come from a live call: an operation
//!   ends at most once and only when it is neither active nor queued, a
//!   media command belongs to the active operation or to one whose end
//!   follows it, tone notifications are numbered one apart ending at the
//!   call's count of delivered tones (and need a subscription), nothing of
//!   a call's end (abandoned operations, `terminating`, `terminated`), and
//!   `established` only as the call's very first output;
//! - counters are ones a call can reach: at most 2^53 - 1 outputs, no
//!   more tones delivered than outputs given, and a clock no later than
//!   [`Instant::LATEST`](crate::Instant::LATEST).
//!
//! Timers are absolute deadlines on the embedder's clock, so the restoring
//! side must share that clock (or translate it) for them to fire on time.

mod check;
mod error;
pub(crate) mod parts;
mod v1;
mod v2;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(doc)]
use crate::config::CallConfig;
use crate::id::CallId;

pub(crate) use check::check;
pub use check::pending_output_limit;
pub use error::{Counter, OperationFault, OutputFault, Place, SnapshotError, Timer};
use parts::CallParts;

/// The format tag this version writes on a [`CallSnapshot`].
pub const CALL_FORMAT: &str = v2::CALL;
/// The format tag this version writes on an [`EngineSnapshot`].
pub const ENGINE_FORMAT: &str = v2::ENGINE;

/// Call formats this version reads, newest first.
const CALL_FORMATS: &[&str] = &[v2::CALL, v1::CALL];
/// Engine formats this version reads, newest first.
const ENGINE_FORMATS: &[&str] = &[v2::ENGINE, v1::ENGINE];

/// One call's whole state: its queue, the active operation and its phase,
/// its timers as absolute deadlines, the tone subscription and sequence,
/// the etag counter, the id source's position, the `GET` memory and any
/// output not yet polled. Not its config: the restoring side's applies.
///
/// Take one with [`crate::Call::snapshot`], restore it with
/// [`crate::Call::restore`]; [`CallSnapshot::to_json`] and
/// [`CallSnapshot::from_json`] make it bytes and back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSnapshot {
    parts: Box<CallParts>,
}

/// Every call of an engine, in establishment order, and the ids of the
/// calls that ended (so requests to them still get "terminated").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSnapshot {
    calls: Vec<CallSnapshot>,
    ended: Vec<CallId>,
}

impl CallSnapshot {
    pub(crate) fn new(parts: CallParts) -> Self {
        Self {
            parts: Box::new(parts),
        }
    }

    pub(crate) fn parts(&self) -> &CallParts {
        &self.parts
    }

    /// The call's id.
    pub fn call_id(&self) -> &CallId {
        &self.parts.id
    }

    /// As JSON bytes, in [`CALL_FORMAT`].
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, numbers and enums only: it always serializes.
        serde_json::to_vec(&v2::Call::write(&self.parts)).unwrap_or_default()
    }

    /// Reads JSON bytes in any format this version reads (format 2, or
    /// format 1 from earlier releases). Only the shape is checked here;
    /// [`crate::Call::restore`] checks the meaning.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        Self::from_value(parse(bytes)?)
    }

    fn from_value(value: Value) -> Result<Self, SnapshotError> {
        let parts = match tag(&value, CALL_FORMATS)? {
            v1::CALL => from_value::<v1::Call>(value)?.read(),
            _ => from_value::<v2::Call>(value)?.read(),
        };
        Ok(Self::new(parts))
    }
}

impl Serialize for CallSnapshot {
    /// As [`CallSnapshot::to_json`] writes it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        v2::Call::write(&self.parts).serialize(s)
    }
}

impl<'de> Deserialize<'de> for CallSnapshot {
    /// As [`CallSnapshot::from_json`] reads it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl EngineSnapshot {
    /// Calls gathered into one snapshot (in the order an engine restores
    /// them), with the ended ids to remember. Nothing is checked until an
    /// engine restores it ([`crate::Engine::restore`]).
    pub fn new(calls: Vec<CallSnapshot>, ended: Vec<CallId>) -> Self {
        Self { calls, ended }
    }

    /// The calls, in establishment order.
    pub fn calls(&self) -> &[CallSnapshot] {
        &self.calls
    }

    /// The ids of calls that ended, oldest first.
    pub fn ended(&self) -> &[CallId] {
        &self.ended
    }

    /// As JSON bytes, in [`ENGINE_FORMAT`].
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_v2()).unwrap_or_default()
    }

    fn to_v2(&self) -> v2::Engine<'_> {
        v2::Engine {
            format: v2::ENGINE,
            calls: &self.calls,
            ended: &self.ended,
        }
    }

    /// Reads JSON bytes in any format this version reads; each call is read
    /// as [`CallSnapshot::from_json`] reads it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        Self::from_value(parse(bytes)?)
    }

    fn from_value(value: Value) -> Result<Self, SnapshotError> {
        /// Format 1, read as its releases read it: other fields ignored.
        #[derive(Deserialize)]
        struct Engine {
            #[serde(rename = "calls")]
            calls: Vec<Value>,
            #[serde(rename = "ended")]
            ended: Vec<String>,
        }
        /// Format 2: exactly these fields.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Engine2 {
            #[serde(rename = "format")]
            _format: String,
            #[serde(rename = "calls")]
            calls: Vec<Value>,
            #[serde(rename = "ended")]
            ended: Vec<String>,
        }
        let engine = match tag(&value, ENGINE_FORMATS)? {
            v1::ENGINE => from_value::<Engine>(value)?,
            _ => {
                let Engine2 { calls, ended, .. } = from_value(value)?;
                Engine { calls, ended }
            }
        };
        Ok(Self {
            calls: engine
                .calls
                .into_iter()
                .map(CallSnapshot::from_value)
                .collect::<Result<_, _>>()?,
            ended: engine.ended.iter().map(|id| CallId::new(id)).collect(),
        })
    }
}

impl Serialize for EngineSnapshot {
    /// As [`EngineSnapshot::to_json`] writes it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_v2().serialize(s)
    }
}

impl<'de> Deserialize<'de> for EngineSnapshot {
    /// As [`EngineSnapshot::from_json`] reads it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn parse(bytes: &[u8]) -> Result<Value, SnapshotError> {
    serde_json::from_slice(bytes).map_err(|e| SnapshotError::Malformed(e.to_string()))
}

/// The format tag, checked first, so a snapshot from another version gets
/// a clear error instead of a field-by-field complaint.
fn tag(value: &Value, supported: &'static [&'static str]) -> Result<&'static str, SnapshotError> {
    match value.get("format").and_then(Value::as_str) {
        Some(found) => supported
            .iter()
            .find(|known| **known == found)
            .copied()
            .ok_or_else(|| SnapshotError::UnknownFormat {
                found: found.to_owned(),
                supported,
            }),
        None => Err(SnapshotError::Malformed("no \"format\" tag".to_owned())),
    }
}

fn from_value<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, SnapshotError> {
    serde_json::from_value(value).map_err(|e| SnapshotError::Malformed(e.to_string()))
}
