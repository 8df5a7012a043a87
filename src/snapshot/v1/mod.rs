//! Format 1 (`ivr-media-queue/call/1`, `ivr-media-queue/engine/1`), read
//! only: what the releases before format 2 wrote, which was the serde
//! derive of the call's private types. These types spell that shape out
//! (snake_case fields, enums as serde's externally tagged default, tones as
//! Graph names, tone sets as bit sets, operation kinds as `@odata.type`),
//! so a call snapshotted by such a release restores here. Like those
//! releases, unknown fields are ignored; the snapshot's own `config` (and
//! the GET memory size it carried) is read past: the restoring side's
//! config applies.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::id::{CallId, IdSource, OperationId};
use crate::model::{OperationKind, OperationStatus, Tone, ToneSet};

mod read;

/// The format tag of a call in format 1.
pub(super) const CALL: &str = "ivr-media-queue/call/1";
/// The format tag of an engine in format 1.
pub(super) const ENGINE: &str = "ivr-media-queue/engine/1";

/// One call, as `Call`'s derive wrote it.
#[derive(Debug, Deserialize)]
pub(super) struct Call {
    #[serde(rename = "id")]
    id: String,
    /// The snapshotting side's `CallConfig`: not used.
    #[serde(rename = "config")]
    _config: IgnoredAny,
    #[serde(rename = "ids")]
    ids: Ids,
    #[serde(rename = "last_now")]
    last_now: u64,
    #[serde(rename = "ledger")]
    ledger: Ledger,
    #[serde(rename = "state")]
    state: State,
}

#[derive(Debug, Deserialize)]
enum Ids {
    Random,
    Seeded {
        #[serde(rename = "state")]
        state: u64,
    },
}

#[derive(Debug, Deserialize)]
struct Ledger {
    #[serde(rename = "etag")]
    etag: u64,
    /// The GET memory size: the restoring side's config decides it.
    #[serde(rename = "retained", default)]
    _retained: IgnoredAny,
    #[serde(rename = "outputs")]
    outputs: Vec<Output1>,
    #[serde(rename = "polled", default)]
    polled: u64,
    #[serde(rename = "finished")]
    finished: Vec<Operation>,
}

#[derive(Debug, Deserialize)]
enum State {
    Established(Box<Media>),
    Terminated,
}

#[derive(Debug, Deserialize)]
struct Media {
    #[serde(rename = "active")]
    active: Option<Active>,
    #[serde(rename = "queue")]
    queue: Vec<Queued>,
    #[serde(rename = "tones_subscribed")]
    tones_subscribed: bool,
    #[serde(rename = "delivered_tones")]
    delivered_tones: u64,
}

#[derive(Debug, Deserialize)]
struct Queued {
    #[serde(rename = "op")]
    op: Operation,
    #[serde(rename = "request")]
    request: Request,
}

#[derive(Debug, Deserialize)]
struct Active {
    #[serde(rename = "queued")]
    queued: Queued,
    #[serde(rename = "phase")]
    phase: Phase,
    #[serde(rename = "since")]
    since: u64,
}

#[derive(Debug, Deserialize)]
enum Phase {
    Prompt {
        #[serde(rename = "index")]
        index: usize,
    },
    Beep,
    Recording {
        #[serde(rename = "initial_silence")]
        initial_silence: Option<u64>,
        #[serde(rename = "max_duration")]
        max_duration: u64,
        #[serde(rename = "max_silence")]
        max_silence: Option<u64>,
        #[serde(rename = "store_failed")]
        store_failed: bool,
    },
    Storing {
        #[serde(rename = "reason")]
        reason: EndReason,
        #[serde(rename = "recorded_ms")]
        recorded_ms: u64,
    },
    Collecting {
        #[serde(rename = "digits")]
        digits: Vec<Tone>,
        #[serde(rename = "deadline")]
        deadline: u64,
    },
}

#[derive(Debug, Deserialize)]
struct Operation {
    #[serde(rename = "id")]
    id: OperationId,
    #[serde(rename = "kind")]
    kind: KindText,
    #[serde(rename = "api")]
    api: Api,
    #[serde(rename = "client_context")]
    client_context: Option<String>,
    #[serde(rename = "status")]
    status: OperationStatus,
    #[serde(rename = "end")]
    end: Option<EndReason>,
    #[serde(rename = "recording")]
    recording: Option<Recording>,
    #[serde(rename = "etag")]
    etag: u64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum Api {
    V1,
    Beta,
}

#[derive(Debug, Deserialize)]
struct Recording {
    #[serde(rename = "location")]
    location: String,
    #[serde(rename = "access_token")]
    access_token: String,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum EndReason {
    Completed,
    StopToneDetected(Tone),
    MaxRecordDuration,
    InitialSilenceTimeout,
    MaxSilenceTimeout,
    CancelledWhileRunning,
    CancelledWhileQueued,
    DisplacedByBargeIn,
    CallTerminated,
    PromptFailed(Failure),
    BeepFailed,
    MediaReceiveTimeout,
    RecordingStoreFailed,
    DigitsCollected(DigitsEnd1),
    TooFewDigits(DigitsEnd1),
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum DigitsEnd1 {
    MaxDigits,
    Terminator(Tone),
    InterDigitTimeout,
    FirstDigitTimeout,
}

#[derive(Clone, Copy, Debug, Deserialize)]
enum Failure {
    Download,
    Format,
}

#[derive(Debug, Deserialize)]
enum Request {
    PlayPrompt {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "loop_forever")]
        loop_forever: bool,
    },
    Record {
        #[serde(rename = "prompt")]
        prompt: Option<Prompt>,
        #[serde(rename = "barge_in_allowed")]
        barge_in_allowed: bool,
        #[serde(rename = "initial_silence_timeout_secs")]
        initial_silence_timeout_secs: u32,
        #[serde(rename = "max_silence_timeout_secs")]
        max_silence_timeout_secs: u32,
        #[serde(rename = "max_record_duration_secs")]
        max_record_duration_secs: u32,
        #[serde(rename = "play_beep")]
        play_beep: bool,
        #[serde(rename = "stop_tones")]
        stop_tones: ToneBits,
    },
    CollectDigits {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "min_digits")]
        min_digits: u8,
        #[serde(rename = "max_digits")]
        max_digits: u8,
        #[serde(rename = "terminators")]
        terminators: ToneBits,
        #[serde(rename = "first_digit_timeout_ms")]
        first_digit_timeout_ms: u32,
        #[serde(rename = "inter_digit_timeout_ms")]
        inter_digit_timeout_ms: u32,
        #[serde(rename = "barge_in")]
        barge_in: bool,
    },
}

#[derive(Debug, Deserialize)]
struct Prompt {
    #[serde(rename = "uri")]
    uri: String,
    #[serde(rename = "resource_id")]
    resource_id: Option<String>,
}

#[derive(Debug, Deserialize)]
enum Output1 {
    Notification(Notification1),
    Media(Command),
    Abandoned(Box<Ended>),
}

#[derive(Debug, Deserialize)]
enum Notification1 {
    OperationEnded(Box<Ended>),
    Tone {
        #[serde(rename = "sequence_id")]
        sequence_id: u64,
        #[serde(rename = "tone")]
        tone: Tone,
    },
    CallEstablished,
    CallTerminating,
    CallTerminated {
        #[serde(rename = "result")]
        result: ResultInfo1,
    },
}

#[derive(Debug, Deserialize)]
struct ResultInfo1 {
    #[serde(rename = "code")]
    code: i32,
    #[serde(rename = "subcode")]
    subcode: i32,
    #[serde(rename = "message")]
    message: String,
}

#[derive(Debug, Deserialize)]
enum Command {
    Play {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "index")]
        index: usize,
        #[serde(rename = "prompt")]
        prompt: Prompt,
    },
    StopPlayback {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    PlayBeep {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    StartRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    StopRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "store")]
        store: bool,
    },
}

#[derive(Debug, Deserialize)]
struct Ended {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "ended_by", default)]
    ended_by: Option<OperationId>,
    #[serde(rename = "partial_recording", default)]
    partial_recording: Option<Partial>,
    #[serde(rename = "digits", default)]
    digits: Vec<Tone>,
}

#[derive(Debug, Deserialize)]
struct Partial {
    #[serde(rename = "recorded_ms")]
    recorded_ms: u64,
    #[serde(rename = "kept")]
    kept: bool,
}

/// A tone set as format 1 wrote it: bit `i` for the `i`-th of [`Tone::ALL`].
#[derive(Clone, Copy, Debug)]
struct ToneBits(ToneSet);

impl<'de> Deserialize<'de> for ToneBits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bits = u32::deserialize(d)?;
        if bits >> Tone::ALL.len() != 0 {
            return Err(serde::de::Error::custom(format_args!(
                "tone set {bits:#x} has bits beyond the {} tones",
                Tone::ALL.len()
            )));
        }
        Ok(Self(
            Tone::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, tone)| tone)
                .collect(),
        ))
    }
}

/// An operation kind as format 1 wrote it: its `@odata.type`, any case.
#[derive(Clone, Copy, Debug)]
struct KindText(OperationKind);

impl<'de> Deserialize<'de> for KindText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const KINDS: [(&str, OperationKind); 5] = [
            (
                "#microsoft.graph.playPromptOperation",
                OperationKind::PlayPrompt,
            ),
            ("#microsoft.graph.recordOperation", OperationKind::Record),
            (
                "#microsoft.graph.subscribeToToneOperation",
                OperationKind::SubscribeToTone,
            ),
            (
                "#microsoft.graph.cancelMediaProcessingOperation",
                OperationKind::CancelMediaProcessing,
            ),
            // Written by format 1, though its own reader refused it.
            (
                "#ivrMediaQueue.collectDigitsOperation",
                OperationKind::CollectDigits,
            ),
        ];
        let text = Cow::<str>::deserialize(d)?;
        KINDS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&text))
            .map(|(_, kind)| Self(*kind))
            .ok_or_else(|| {
                serde::de::Error::custom(format_args!("not an operation kind: {text:?}"))
            })
    }
}
