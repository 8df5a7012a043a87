//! The typed Graph media vocabulary: requests, operations, tones, results.
//!
//! These are plain values. The [`crate::wire`] layer turns JSON into them and
//! them into JSON; everything in between works on these types alone.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::id::OperationId;

/// The Graph API version a request came in on. It decides what the JSON of
/// its operation carries (beta adds `completionReason`) and which actions
/// exist (`record` is beta only).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ApiVersion {
    /// `https://graph.microsoft.com/v1.0`, and bare paths.
    #[default]
    V1,
    /// `https://graph.microsoft.com/beta`.
    Beta,
}

impl ApiVersion {
    /// The URL segment: `v1.0` or `beta`.
    pub const fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// A DTMF tone, as Graph's `tone` enum names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tone {
    /// `0`
    Tone0,
    /// `1`
    Tone1,
    /// `2`
    Tone2,
    /// `3`
    Tone3,
    /// `4`
    Tone4,
    /// `5`
    Tone5,
    /// `6`
    Tone6,
    /// `7`
    Tone7,
    /// `8`
    Tone8,
    /// `9`
    Tone9,
    /// `*`
    Star,
    /// `#`
    Pound,
    /// `A`
    A,
    /// `B`
    B,
    /// `C`
    C,
    /// `D`
    D,
    /// Hook flash.
    Flash,
}

impl Tone {
    /// Every tone, in Graph's declared order.
    pub const ALL: [Self; 17] = [
        Self::Tone0,
        Self::Tone1,
        Self::Tone2,
        Self::Tone3,
        Self::Tone4,
        Self::Tone5,
        Self::Tone6,
        Self::Tone7,
        Self::Tone8,
        Self::Tone9,
        Self::Star,
        Self::Pound,
        Self::A,
        Self::B,
        Self::C,
        Self::D,
        Self::Flash,
    ];

    /// Parses a key (`0-9 * # A-D`, any case) or a Graph enum name (`tone5`,
    /// `pound`, `star`, `flash`, any case).
    pub fn parse(text: &str) -> Option<Self> {
        if let [key] = text.as_bytes() {
            return match key.to_ascii_uppercase() {
                b @ b'0'..=b'9' => Some(Self::ALL[usize::from(b - b'0')]),
                b'*' => Some(Self::Star),
                b'#' => Some(Self::Pound),
                b'A' => Some(Self::A),
                b'B' => Some(Self::B),
                b'C' => Some(Self::C),
                b'D' => Some(Self::D),
                _ => None,
            };
        }
        Self::ALL
            .into_iter()
            .find(|tone| tone.as_str().eq_ignore_ascii_case(text))
    }

    /// The key on the keypad (`0-9 * # A-D`; `F` for a hook flash).
    pub const fn key(self) -> char {
        match self {
            Self::Tone0 => '0',
            Self::Tone1 => '1',
            Self::Tone2 => '2',
            Self::Tone3 => '3',
            Self::Tone4 => '4',
            Self::Tone5 => '5',
            Self::Tone6 => '6',
            Self::Tone7 => '7',
            Self::Tone8 => '8',
            Self::Tone9 => '9',
            Self::Star => '*',
            Self::Pound => '#',
            Self::A => 'A',
            Self::B => 'B',
            Self::C => 'C',
            Self::D => 'D',
            Self::Flash => 'F',
        }
    }

    /// The Graph enum name (`tone5`, `pound`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tone0 => "tone0",
            Self::Tone1 => "tone1",
            Self::Tone2 => "tone2",
            Self::Tone3 => "tone3",
            Self::Tone4 => "tone4",
            Self::Tone5 => "tone5",
            Self::Tone6 => "tone6",
            Self::Tone7 => "tone7",
            Self::Tone8 => "tone8",
            Self::Tone9 => "tone9",
            Self::Star => "star",
            Self::Pound => "pound",
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
            Self::D => "d",
            Self::Flash => "flash",
        }
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of tones (a record's `stopTones`), stored as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ToneSet(u32);

impl ToneSet {
    /// No tones.
    pub const EMPTY: Self = Self(0);

    /// Adds a tone.
    pub fn insert(&mut self, tone: Tone) {
        self.0 |= tone.bit();
    }

    /// Whether the tone is in the set.
    pub const fn contains(self, tone: Tone) -> bool {
        self.0 & tone.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The tones, in Graph's order.
    pub fn iter(self) -> impl Iterator<Item = Tone> {
        Tone::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl FromIterator<Tone> for ToneSet {
    fn from_iter<I: IntoIterator<Item = Tone>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        iter.into_iter().for_each(|t| set.insert(t));
        set
    }
}

impl fmt::Debug for ToneSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A prompt to play: Graph's `mediaPrompt` with its `mediaInfo`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaPrompt {
    /// `mediaInfo.uri`: where the WAV file is.
    pub uri: Arc<str>,
    /// `mediaInfo.resourceId`: the cache key, when the bot gave one.
    pub resource_id: Option<Arc<str>>,
}

impl MediaPrompt {
    /// A prompt for `uri`, without a cache key.
    pub fn new(uri: &str) -> Self {
        Self {
            uri: Arc::from(uri),
            resource_id: None,
        }
    }
}

/// The body of `playPrompt`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlayPrompt {
    /// The prompts, played in order (1 to 20).
    pub prompts: Vec<MediaPrompt>,
    /// Beta `loop`: play the prompts again and again until cancelled, barged
    /// or the call ends. Ignored on v1.0.
    pub loop_forever: bool,
}

/// The body of `recordResponse` (beta also `record`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// The prompt played before the beep, if any.
    pub prompt: Option<MediaPrompt>,
    /// Whether this record ends every other media operation and starts at once.
    pub barge_in_allowed: bool,
    /// Seconds of silence from the start of recording before it fails (1..=120).
    pub initial_silence_timeout_secs: u32,
    /// Seconds of silence after speech before it completes (1..=120).
    pub max_silence_timeout_secs: u32,
    /// Seconds of recording before it completes (1..=120).
    pub max_record_duration_secs: u32,
    /// Whether a beep plays before recording.
    pub play_beep: bool,
    /// Tones that end the recording.
    pub stop_tones: ToneSet,
}

impl Default for Record {
    /// Graph's documented defaults: no prompt, no barge-in, 5 s timers, a beep.
    fn default() -> Self {
        Self {
            prompt: None,
            barge_in_allowed: false,
            initial_silence_timeout_secs: 5,
            max_silence_timeout_secs: 5,
            max_record_duration_secs: 5,
            play_beep: true,
            stop_tones: ToneSet::EMPTY,
        }
    }
}

/// One of the four media actions a bot can POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `playPrompt`.
    PlayPrompt(PlayPrompt),
    /// `recordResponse` or beta `record`.
    Record(Record),
    /// `subscribeToTone`.
    SubscribeToTone,
    /// `cancelMediaProcessing`.
    CancelMediaProcessing,
}

impl Action {
    /// The kind of operation it creates.
    pub const fn kind(&self) -> OperationKind {
        match self {
            Self::PlayPrompt(_) => OperationKind::PlayPrompt,
            Self::Record(_) => OperationKind::Record,
            Self::SubscribeToTone => OperationKind::SubscribeToTone,
            Self::CancelMediaProcessing => OperationKind::CancelMediaProcessing,
        }
    }
}

/// A bot's request on a call, as typed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The API version it came in on.
    pub api: ApiVersion,
    /// The bot's correlation string, echoed on the operation (at most 256
    /// characters).
    pub client_context: Option<Arc<str>>,
    /// What to do.
    pub action: Action,
}

impl Request {
    /// A request with no `clientContext`.
    pub fn new(api: ApiVersion, action: Action) -> Self {
        Self {
            api,
            client_context: None,
            action,
        }
    }

    /// Sets the `clientContext`.
    pub fn with_client_context(mut self, client_context: &str) -> Self {
        self.client_context = Some(Arc::from(client_context));
        self
    }
}

/// Extension: collect digits, as peers offer it (Twilio `<Gather>`,
/// FreeSWITCH `play_and_get_digits`, ACS recognize). Not a Graph action: it
/// is queued with playPrompt and record, in order, and ends with a
/// non-Graph notification (see [`crate::wire::extension_notification_json`]).
///
/// The prompts play first. Keys pressed while they play are not collected,
/// unless `barge_in`: then the first key stops the prompt and counts. Once
/// the prompts are over (or barged), the first key must come within
/// `first_digit_timeout_ms`, and each further key within
/// `inter_digit_timeout_ms` of the one before. A terminator ends it and is
/// not collected; so does the `max_digits`-th key. It completes with at
/// least `min_digits` keys, else it fails.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollectDigits {
    /// Played in order before collecting (0 to 20).
    pub prompts: Vec<MediaPrompt>,
    /// Fewest keys for success (0 to `max_digits`).
    pub min_digits: u8,
    /// Keys that end the collection at once (1 to 64).
    pub max_digits: u8,
    /// Keys that end the collection and are not collected.
    pub terminators: ToneSet,
    /// How long to wait for the first key after the prompts (1 to 120000).
    pub first_digit_timeout_ms: u32,
    /// How long to wait for each further key (1 to 120000).
    pub inter_digit_timeout_ms: u32,
    /// Whether the first key stops the prompt (and counts).
    pub barge_in: bool,
}

impl Default for CollectDigits {
    /// One to 32 keys ended by `#`, 5 s for the first and 3 s between keys,
    /// no prompt, barge-in on (what peers default to, roughly).
    fn default() -> Self {
        Self {
            prompts: Vec::new(),
            min_digits: 1,
            max_digits: 32,
            terminators: [Tone::Pound].into_iter().collect(),
            first_digit_timeout_ms: 5000,
            inter_digit_timeout_ms: 3000,
            barge_in: true,
        }
    }
}

/// Extension: the keys a collect-digits operation collected, in order
/// (terminator excluded). Displays as the keys, `"1234"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Digits(pub Vec<Tone>);

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .iter()
            .try_for_each(|tone| fmt::Write::write_char(f, tone.key()))
    }
}

/// The queued part of a media operation: what it plays and records.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaRequest {
    /// A playPrompt.
    PlayPrompt(PlayPrompt),
    /// A recordResponse.
    Record(Record),
    /// Extension: a collect-digits operation.
    CollectDigits(CollectDigits),
}

impl MediaRequest {
    /// The kind of operation it makes.
    pub const fn kind(&self) -> OperationKind {
        match self {
            Self::PlayPrompt(_) => OperationKind::PlayPrompt,
            Self::Record(_) => OperationKind::Record,
            Self::CollectDigits(_) => OperationKind::CollectDigits,
        }
    }
}

/// Which Graph operation type an operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// `playPromptOperation`.
    PlayPrompt,
    /// `recordOperation`.
    Record,
    /// `subscribeToToneOperation`.
    SubscribeToTone,
    /// `cancelMediaProcessingOperation`.
    CancelMediaProcessing,
    /// Extension: a collect-digits operation (no Graph type).
    CollectDigits,
}

impl OperationKind {
    /// Its name in messages, `ivr-replay` records and the timeline
    /// (`playPrompt`, `record`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::PlayPrompt => "playPrompt",
            Self::Record => "record",
            Self::SubscribeToTone => "subscribeToTone",
            Self::CancelMediaProcessing => "cancelMediaProcessing",
            Self::CollectDigits => "collectDigits",
        }
    }

    /// Whether Graph has it (all but the extension collect-digits).
    pub const fn is_graph(self) -> bool {
        !matches!(self, Self::CollectDigits)
    }

    /// Whether it is queued with the media (playPrompt, record,
    /// collect-digits).
    pub const fn is_media(self) -> bool {
        matches!(self, Self::PlayPrompt | Self::Record | Self::CollectDigits)
    }
}

/// Graph's `operationStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationStatus {
    /// Waiting in the queue (shown only with `not_started_for_queued`).
    NotStarted,
    /// Accepted and not ended.
    Running,
    /// Ended successfully.
    Completed,
    /// Ended with an error.
    Failed,
}

impl OperationStatus {
    /// The wire value (`notStarted`, `running`, `completed`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "notStarted",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// Which part of a prompt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PromptFailure {
    /// The file could not be downloaded (subcode 8536).
    Download,
    /// The file is not a valid WAV (subcode 8535).
    Format,
}

impl PromptFailure {
    /// Its name in `ivr-replay` scenarios and records.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Download => "download",
            Self::Format => "format",
        }
    }
}

/// Why an operation ended. Every ended media operation has exactly one; the
/// wire layer maps it to Graph's status, `resultInfo` and `completionReason`
/// (see [`EndReason::graph_result`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EndReason {
    /// A playPrompt played all its prompts.
    Completed,
    /// A record heard one of its stop tones.
    StopToneDetected(Tone),
    /// A record reached its maximum duration.
    MaxRecordDuration,
    /// A record heard no speech before the initial-silence timeout.
    InitialSilenceTimeout,
    /// A record heard silence after speech for the max-silence timeout.
    MaxSilenceTimeout,
    /// cancelMediaProcessing ended it while it was running.
    CancelledWhileRunning,
    /// cancelMediaProcessing ended it before it started.
    CancelledWhileQueued,
    /// A barge-in record ended it (running or queued).
    DisplacedByBargeIn,
    /// The call ended while it was running or queued.
    CallTerminated,
    /// A prompt (of a playPrompt, or of a record) failed to play.
    PromptFailed(PromptFailure),
    /// A record's beep failed to play.
    BeepFailed,
    /// The media layer stopped receiving audio while recording.
    MediaReceiveTimeout,
    /// The media layer could not store the recording.
    RecordingStoreFailed,
    /// Extension: a collect-digits operation got at least `min_digits`.
    DigitsCollected(DigitsEnd),
    /// Extension: a collect-digits operation ended with fewer than
    /// `min_digits`.
    TooFewDigits(DigitsEnd),
}

/// Extension: what ended a collect-digits operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DigitsEnd {
    /// The `max_digits`-th key.
    MaxDigits,
    /// A terminator key (not collected).
    Terminator(Tone),
    /// No further key within the inter-digit timeout.
    InterDigitTimeout,
    /// No key at all within the first-digit timeout.
    FirstDigitTimeout,
}

impl DigitsEnd {
    /// Its name in extension records, camelCase.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MaxDigits => "maxDigits",
            Self::Terminator(_) => "terminator",
            Self::InterDigitTimeout => "interDigitTimeout",
            Self::FirstDigitTimeout => "firstDigitTimeout",
        }
    }
}

impl EndReason {
    /// Its name in extension records (`ivr-replay` outcomes), camelCase.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::StopToneDetected(_) => "stopToneDetected",
            Self::MaxRecordDuration => "maxRecordDuration",
            Self::InitialSilenceTimeout => "initialSilenceTimeout",
            Self::MaxSilenceTimeout => "maxSilenceTimeout",
            Self::CancelledWhileRunning => "cancelledWhileRunning",
            Self::CancelledWhileQueued => "cancelledWhileQueued",
            Self::DisplacedByBargeIn => "displacedByBargeIn",
            Self::CallTerminated => "callTerminated",
            Self::PromptFailed(_) => "promptFailed",
            Self::BeepFailed => "beepFailed",
            Self::MediaReceiveTimeout => "mediaReceiveTimeout",
            Self::RecordingStoreFailed => "recordingStoreFailed",
            Self::DigitsCollected(_) => "digitsCollected",
            Self::TooFewDigits(_) => "tooFewDigits",
        }
    }

    /// Whether a cancel (or a barge-in) ended the operation.
    pub const fn is_cancellation(self) -> bool {
        matches!(
            self,
            Self::CancelledWhileRunning | Self::CancelledWhileQueued | Self::DisplacedByBargeIn
        )
    }

    /// `completed` for the ends Graph counts as success, else `failed`.
    pub const fn status(self) -> OperationStatus {
        match self {
            Self::Completed
            | Self::StopToneDetected(_)
            | Self::MaxRecordDuration
            | Self::MaxSilenceTimeout
            | Self::DigitsCollected(_) => OperationStatus::Completed,
            _ => OperationStatus::Failed,
        }
    }

    /// What Graph reports for an operation of `kind` that ended this way.
    pub fn graph_result(self, kind: OperationKind) -> GraphResult {
        use GraphResult as G;
        let record = kind == OperationKind::Record;
        match self {
            Self::Completed => G::completed(
                200,
                0,
                "Action completed successfully.",
                "completedSuccessfully",
            ),
            Self::StopToneDetected(_) => G::completed(
                200,
                8514,
                "Action completed as stop tone was detected.",
                "stopToneDetected",
            ),
            Self::MaxRecordDuration => G::completed(
                200,
                8515,
                "Action completed, max record duration reached.",
                "maxRecordDurationReached",
            ),
            Self::MaxSilenceTimeout => G::completed(
                200,
                8509,
                "Action completed, max silence timeout reached.",
                "maxSilenceTimeout",
            ),
            Self::InitialSilenceTimeout => G::failed(
                400,
                8510,
                "Action failed, initial silence timeout reached.",
                "initialSilenceTimeout",
            ),
            Self::CancelledWhileRunning | Self::CancelledWhileQueued | Self::DisplacedByBargeIn => {
                G::failed(
                    400,
                    8508,
                    "Action failed, the operation was cancelled.",
                    if record {
                        "operationCanceled"
                    } else {
                        "mediaOperationCanceled"
                    },
                )
            }
            Self::CallTerminated => G::failed(
                400,
                8528,
                "Action failed, call terminated.",
                if record {
                    "unspecifiedError"
                } else {
                    "unknown"
                },
            ),
            Self::PromptFailed(_) if record => G::failed(
                500,
                8511,
                "Action failed, encountered failure while trying to play the prompt.",
                "playPromptFailed",
            ),
            Self::PromptFailed(PromptFailure::Download) => G::failed(
                400,
                8536,
                "Action failed, file could not be downloaded.",
                "unknown",
            ),
            Self::PromptFailed(PromptFailure::Format) => G::failed(
                400,
                8535,
                "Action failed, file format is invalid.",
                "unknown",
            ),
            Self::BeepFailed => G::failed(
                500,
                8512,
                "Action failed, encountered failure while trying to play the beep.",
                "playBeepFailed",
            ),
            Self::MediaReceiveTimeout => G::failed(
                500,
                8513,
                "Action failed, media receive timeout.",
                "mediaReceiveTimeout",
            ),
            Self::RecordingStoreFailed => G::failed(
                500,
                9999,
                "Unknown internal server error.",
                if record {
                    "unspecifiedError"
                } else {
                    "unknown"
                },
            ),
            // Extension: ACS recognize's subcodes where it has one; the
            // completion reason is the DigitsEnd name.
            Self::DigitsCollected(end) => match end {
                DigitsEnd::MaxDigits => G::completed(
                    200,
                    8531,
                    "Action completed, max digits received.",
                    end.name(),
                ),
                DigitsEnd::Terminator(_) => G::completed(
                    200,
                    8514,
                    "Action completed as stop tone was detected.",
                    end.name(),
                ),
                DigitsEnd::InterDigitTimeout => G::completed(
                    200,
                    8532,
                    "Action completed, inter-digit timeout reached.",
                    end.name(),
                ),
                DigitsEnd::FirstDigitTimeout => G::completed(
                    200,
                    8510,
                    "Action completed, initial silence timeout reached.",
                    end.name(),
                ),
            },
            Self::TooFewDigits(end) => match end {
                DigitsEnd::FirstDigitTimeout => G::failed(
                    400,
                    8510,
                    "Action failed, initial silence timeout reached.",
                    end.name(),
                ),
                DigitsEnd::InterDigitTimeout => G::failed(
                    400,
                    8532,
                    "Action failed, inter-digit timeout reached.",
                    end.name(),
                ),
                DigitsEnd::Terminator(_) | DigitsEnd::MaxDigits => G::failed(
                    400,
                    8534,
                    "Action failed, fewer digits than required.",
                    end.name(),
                ),
            },
        }
    }
}

/// Graph's `resultInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ResultInfo {
    /// HTTP-like code (200, 400, 500).
    pub code: i32,
    /// Graph's detail code (8508, 5001, ...).
    pub subcode: i32,
    /// The human text.
    pub message: Cow<'static, str>,
}

impl ResultInfo {
    /// A result with a fixed message.
    pub const fn new(code: i32, subcode: i32, message: &'static str) -> Self {
        Self {
            code,
            subcode,
            message: Cow::Borrowed(message),
        }
    }

    /// `{200, 5001, "The conversation has ended."}`: how a call ends by default.
    pub const fn conversation_ended() -> Self {
        Self::new(200, 5001, "The conversation has ended.")
    }
}

/// What Graph shows for an ended operation: its status, `resultInfo`, and
/// the beta `completionReason` value for its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphResult {
    /// `completed` or `failed`.
    pub status: OperationStatus,
    /// The `resultInfo`.
    pub result_info: ResultInfo,
    /// The beta `completionReason` (a `playPromptCompletionReason` or a
    /// `recordCompletionReason`, by operation type).
    pub completion_reason: &'static str,
}

impl GraphResult {
    const fn completed(
        code: i32,
        subcode: i32,
        message: &'static str,
        reason: &'static str,
    ) -> Self {
        Self {
            status: OperationStatus::Completed,
            result_info: ResultInfo::new(code, subcode, message),
            completion_reason: reason,
        }
    }

    const fn failed(code: i32, subcode: i32, message: &'static str, reason: &'static str) -> Self {
        Self {
            status: OperationStatus::Failed,
            result_info: ResultInfo::new(code, subcode, message),
            completion_reason: reason,
        }
    }
}

/// Where the media layer stored a recording.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Recording {
    /// `recordingLocation`.
    pub location: Arc<str>,
    /// `recordingAccessToken`.
    pub access_token: Arc<str>,
}

/// The state of one operation, as Graph would show it.
///
/// This is what `POST` answers, what `GET` returns, and what an ended
/// operation's notification carries. Cloning is cheap.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Operation {
    /// Its id.
    pub id: OperationId,
    /// Its type.
    pub kind: OperationKind,
    /// The API version that created it.
    pub api: ApiVersion,
    /// The bot's `clientContext`.
    pub client_context: Option<Arc<str>>,
    /// Its status.
    pub status: OperationStatus,
    /// Why it ended, once it has (media operations only).
    pub end: Option<EndReason>,
    /// The stored recording of a completed record.
    pub recording: Option<Recording>,
    /// Changes whenever the operation changes (`@odata.etag`).
    pub etag: u64,
}

impl Operation {
    /// Whether it has ended.
    pub const fn is_ended(&self) -> bool {
        matches!(
            self.status,
            OperationStatus::Completed | OperationStatus::Failed
        )
    }
}
