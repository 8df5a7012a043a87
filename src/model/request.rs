//! What a bot asks for: prompts, record, the actions, collect digits.

use std::fmt;
use std::sync::Arc;

use super::{ApiVersion, OperationKind, Tone, ToneSet};

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
#[non_exhaustive]
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
    #[inline]
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
#[non_exhaustive]
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
    #[inline]
    pub const fn kind(&self) -> OperationKind {
        match self {
            Self::PlayPrompt(_) => OperationKind::PlayPrompt,
            Self::Record(_) => OperationKind::Record,
            Self::CollectDigits(_) => OperationKind::CollectDigits,
        }
    }
}
