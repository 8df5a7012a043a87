//! Format 2 (`ivr-media-queue/call/2`, `ivr-media-queue/engine/2`): the
//! format this version writes.
//!
//! Every type here exists only for the format, and every JSON name is
//! spelled out on its field or variant: renaming a Rust item changes no
//! byte. Unknown fields are refused. Names are camelCase; times are
//! milliseconds on the embedder's clock; tones are Graph's enum names
//! (`tone0`...`tone9`, `star`, `pound`, `a`...`d`, `flash`); operation ids
//! are UUIDs with dashes.

mod read;
mod write;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::id::{CallId, OperationId};
use crate::model::{self};

/// The format tag of a call in format 2.
pub(super) const CALL: &str = "ivr-media-queue/call/2";
/// The format tag of an engine in format 2.
pub(super) const ENGINE: &str = "ivr-media-queue/engine/2";

/// One call.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Call {
    /// [`CALL`].
    #[serde(rename = "format")]
    format: Cow<'static, str>,
    #[serde(rename = "callId")]
    call_id: String,
    #[serde(rename = "operationIds")]
    ids: Ids,
    /// The latest `now` the call has seen.
    #[serde(rename = "clockMs")]
    clock_ms: u64,
    /// The last etag given out.
    #[serde(rename = "etagCounter")]
    etag: u64,
    /// Outputs polled so far.
    #[serde(rename = "outputsPolled")]
    polled: u64,
    /// `null` once the call has ended.
    #[serde(rename = "media")]
    media: Option<Media>,
    /// Outputs not polled yet, oldest first.
    #[serde(rename = "pendingOutputs")]
    outputs: Vec<Output2>,
    /// Ended operations kept for `GET`, oldest first.
    #[serde(rename = "remembered")]
    remembered: Vec<Operation>,
}

/// One engine: its calls, each a [`Call`] with its own tag, and the ids of
/// the calls that ended.
#[derive(Debug, Serialize)]
pub(super) struct Engine<'a> {
    #[serde(rename = "format")]
    pub(super) format: &'static str,
    #[serde(rename = "calls")]
    pub(super) calls: &'a [super::CallSnapshot],
    #[serde(rename = "ended")]
    pub(super) ended: &'a [CallId],
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "source", deny_unknown_fields)]
enum Ids {
    #[serde(rename = "random")]
    Random,
    #[serde(rename = "seeded")]
    Seeded {
        #[serde(rename = "state")]
        state: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Media {
    #[serde(rename = "active")]
    active: Option<Active>,
    #[serde(rename = "queued")]
    queued: Vec<Queued>,
    #[serde(rename = "toneSubscription")]
    tones_subscribed: bool,
    /// The `sequenceId` of the last delivered tone (0: none yet).
    #[serde(rename = "tonesDelivered")]
    tones_delivered: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Queued {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Active {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "phase")]
    phase: Phase,
    /// When the phase began.
    #[serde(rename = "phaseSinceMs")]
    since_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Phase {
    #[serde(rename = "prompt")]
    Prompt {
        /// 0-based.
        #[serde(rename = "index")]
        index: usize,
    },
    #[serde(rename = "beep")]
    Beep,
    #[serde(rename = "recording")]
    Recording {
        #[serde(rename = "initialSilenceDeadlineMs")]
        initial_silence_ms: Option<u64>,
        #[serde(rename = "maxDurationDeadlineMs")]
        max_duration_ms: u64,
        #[serde(rename = "maxSilenceDeadlineMs")]
        max_silence_ms: Option<u64>,
        #[serde(rename = "storeFailed")]
        store_failed: bool,
    },
    #[serde(rename = "storing")]
    Storing {
        #[serde(rename = "reason")]
        reason: EndReason,
        #[serde(rename = "recordedMs")]
        recorded_ms: u64,
    },
    #[serde(rename = "collecting")]
    Collecting {
        #[serde(rename = "digits")]
        digits: Vec<Tone>,
        #[serde(rename = "deadlineMs")]
        deadline_ms: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Operation {
    #[serde(rename = "id")]
    id: OperationId,
    #[serde(rename = "kind")]
    kind: Kind,
    #[serde(rename = "api")]
    api: Api,
    #[serde(rename = "clientContext")]
    client_context: Option<String>,
    #[serde(rename = "status")]
    status: Status,
    #[serde(rename = "end")]
    end: Option<EndReason>,
    #[serde(rename = "recording")]
    recording: Option<Recording>,
    #[serde(rename = "etag")]
    etag: u64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "playPrompt")]
    PlayPrompt,
    #[serde(rename = "record")]
    Record,
    #[serde(rename = "subscribeToTone")]
    SubscribeToTone,
    #[serde(rename = "cancelMediaProcessing")]
    CancelMediaProcessing,
    #[serde(rename = "collectDigits")]
    CollectDigits,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Api {
    #[serde(rename = "v1.0")]
    V1,
    #[serde(rename = "beta")]
    Beta,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Status {
    #[serde(rename = "notStarted")]
    NotStarted,
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "failed")]
    Failed,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recording {
    #[serde(rename = "location")]
    location: String,
    #[serde(rename = "accessToken")]
    access_token: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum EndReason {
    #[serde(rename = "completed")]
    Completed,
    #[serde(rename = "stopToneDetected")]
    StopToneDetected {
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "maxRecordDuration")]
    MaxRecordDuration,
    #[serde(rename = "initialSilenceTimeout")]
    InitialSilenceTimeout,
    #[serde(rename = "maxSilenceTimeout")]
    MaxSilenceTimeout,
    #[serde(rename = "cancelledWhileRunning")]
    CancelledWhileRunning,
    #[serde(rename = "cancelledWhileQueued")]
    CancelledWhileQueued,
    #[serde(rename = "displacedByBargeIn")]
    DisplacedByBargeIn,
    #[serde(rename = "callTerminated")]
    CallTerminated,
    #[serde(rename = "promptFailed")]
    PromptFailed {
        #[serde(rename = "failure")]
        failure: Failure,
    },
    #[serde(rename = "beepFailed")]
    BeepFailed,
    #[serde(rename = "mediaReceiveTimeout")]
    MediaReceiveTimeout,
    #[serde(rename = "recordingStoreFailed")]
    RecordingStoreFailed,
    #[serde(rename = "digitsCollected")]
    DigitsCollected {
        #[serde(rename = "end")]
        end: DigitsEnd2,
    },
    #[serde(rename = "tooFewDigits")]
    TooFewDigits {
        #[serde(rename = "end")]
        end: DigitsEnd2,
    },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum DigitsEnd2 {
    #[serde(rename = "maxDigits")]
    MaxDigits,
    #[serde(rename = "terminator")]
    Terminator {
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "interDigitTimeout")]
    InterDigitTimeout,
    #[serde(rename = "firstDigitTimeout")]
    FirstDigitTimeout,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Failure {
    #[serde(rename = "download")]
    Download,
    #[serde(rename = "format")]
    Format,
}

/// A tone as Graph's enum name (`tone0`, `pound`), exactly as written.
#[derive(Clone, Copy, Debug)]
struct Tone(model::Tone);

impl Serialize for Tone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Tone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const NAMES: [&str; 17] = {
            let mut names = [""; 17];
            let mut i = 0;
            while i < names.len() {
                names[i] = model::Tone::ALL[i].as_str();
                i += 1;
            }
            names
        };
        let text = Cow::<str>::deserialize(d)?;
        model::Tone::ALL
            .into_iter()
            .find(|tone| tone.as_str() == text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::unknown_variant(&text, &NAMES))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Request {
    #[serde(rename = "playPrompt")]
    PlayPrompt {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        /// Beta `loop`.
        #[serde(rename = "loop")]
        loop_forever: bool,
    },
    #[serde(rename = "record")]
    Record {
        #[serde(rename = "prompt")]
        prompt: Option<Prompt>,
        #[serde(rename = "bargeInAllowed")]
        barge_in_allowed: bool,
        #[serde(rename = "initialSilenceTimeoutSecs")]
        initial_silence_timeout_secs: u32,
        #[serde(rename = "maxSilenceTimeoutSecs")]
        max_silence_timeout_secs: u32,
        #[serde(rename = "maxRecordDurationSecs")]
        max_record_duration_secs: u32,
        #[serde(rename = "playBeep")]
        play_beep: bool,
        #[serde(rename = "stopTones")]
        stop_tones: Vec<Tone>,
    },
    #[serde(rename = "collectDigits")]
    CollectDigits {
        #[serde(rename = "prompts")]
        prompts: Vec<Prompt>,
        #[serde(rename = "minDigits")]
        min_digits: u8,
        #[serde(rename = "maxDigits")]
        max_digits: u8,
        #[serde(rename = "terminators")]
        terminators: Vec<Tone>,
        #[serde(rename = "firstDigitTimeoutMs")]
        first_digit_timeout_ms: u32,
        #[serde(rename = "interDigitTimeoutMs")]
        inter_digit_timeout_ms: u32,
        #[serde(rename = "bargeIn")]
        barge_in: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    #[serde(rename = "uri")]
    uri: String,
    #[serde(rename = "resourceId")]
    resource_id: Option<String>,
}

/// An undrained output: a notification, a media command or an abandoned
/// operation, told apart by `type`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Output2 {
    #[serde(rename = "operationEnded")]
    OperationEnded(Ended),
    /// The end of an operation the call's end abandoned, without a
    /// notification.
    #[serde(rename = "abandoned")]
    Abandoned(Ended),
    #[serde(rename = "tone")]
    Tone {
        #[serde(rename = "sequenceId")]
        sequence_id: u64,
        #[serde(rename = "tone")]
        tone: Tone,
    },
    #[serde(rename = "callEstablished")]
    CallEstablished,
    #[serde(rename = "callTerminating")]
    CallTerminating,
    #[serde(rename = "callTerminated")]
    CallTerminated {
        #[serde(rename = "code")]
        code: i32,
        #[serde(rename = "subcode")]
        subcode: i32,
        #[serde(rename = "message")]
        message: String,
    },
    #[serde(rename = "play")]
    Play {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "index")]
        index: usize,
        #[serde(rename = "prompt")]
        prompt: Prompt,
    },
    #[serde(rename = "stopPlayback")]
    StopPlayback {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "playBeep")]
    PlayBeep {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "startRecording")]
    StartRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
    },
    #[serde(rename = "stopRecording")]
    StopRecording {
        #[serde(rename = "operation")]
        operation: OperationId,
        #[serde(rename = "store")]
        store: bool,
    },
}

/// An ended operation in an output: its fields sit beside the output's
/// `type`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ended {
    #[serde(rename = "operation")]
    operation: Operation,
    #[serde(rename = "request")]
    request: Request,
    #[serde(rename = "endedBy")]
    ended_by: Option<OperationId>,
    #[serde(rename = "partialRecording")]
    partial_recording: Option<Partial>,
    #[serde(rename = "digits")]
    digits: Vec<Tone>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Partial {
    #[serde(rename = "recordedMs")]
    recorded_ms: u64,
    #[serde(rename = "kept")]
    kept: bool,
}
