//! Engine settings and the limits they impose.

use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::error::ConfigError;
use crate::id::IdSource;

/// Graph's limit on `clientContext`, in characters.
pub const MAX_CLIENT_CONTEXT_CHARS: usize = 256;
/// Graph's limit on prompts per playPrompt.
pub const MAX_PLAY_PROMPTS: usize = 20;
/// The longest `mediaInfo.uri` or `mediaInfo.resourceId`, in bytes. Graph
/// states none; a URL longer than this is no real prompt, and the bound
/// keeps what a queued operation holds within a stated size.
pub const MAX_PROMPT_TEXT_BYTES: usize = 4096;
/// Extension: the most keys one collect-digits operation may ask for.
pub const MAX_COLLECT_DIGITS: u8 = 64;
/// Extension: the longest first-digit or inter-digit timeout, in ms.
pub const MAX_DIGIT_TIMEOUT_MS: u32 = 120_000;
/// Graph's range for the three record timeouts, in seconds.
pub const RECORD_TIMEOUT_SECS: RangeInclusive<i64> = 1..=120;

/// The valid range of every numeric setting, and of the lists. Each bound
/// keeps what one call or one engine can hold within a stated amount of
/// memory; a value outside is refused with a [`ConfigError`] naming the
/// setting and its range (never clamped).
pub mod ranges {
    use std::ops::RangeInclusive;

    /// [`crate::CallConfig::queue_capacity`]: a queue slot holds an
    /// operation and its request, as the notification that will end it:
    /// 208 bytes and its strings (at most
    /// 20 prompts of two [`crate::MAX_PROMPT_TEXT_BYTES`] strings, and the
    /// clientContext).
    pub const QUEUE_CAPACITY: RangeInclusive<usize> = 1..=10_000;
    /// [`crate::CallConfig::retained_operations`]: about 80 bytes each.
    pub const RETAINED_OPERATIONS: RangeInclusive<usize> = 0..=10_000;
    /// [`crate::CallConfig::max_pending_outputs`]: about 220 bytes each.
    pub const CALL_PENDING_OUTPUTS: RangeInclusive<usize> = 16..=65_536;
    /// [`crate::CallConfig::allowed_uri_schemes`]: how many schemes.
    pub const URI_SCHEMES: RangeInclusive<usize> = 1..=16;
    /// The length of one URI scheme, in bytes.
    pub const URI_SCHEME_BYTES: RangeInclusive<usize> = 1..=32;
    /// [`crate::EngineConfig::max_calls`].
    pub const MAX_CALLS: RangeInclusive<usize> = 1..=10_000_000;
    /// [`crate::EngineConfig::max_pending_outputs`]: about 250 bytes each
    /// (an operation's end holds its request). Shared among the shards:
    /// each gets this divided by [`crate::EngineConfig::shards`], rounded
    /// up, so the engine may hold up to `shards` times that.
    pub const ENGINE_PENDING_OUTPUTS: RangeInclusive<usize> = 1..=16_777_216;
    /// [`crate::EngineConfig::remembered_ended_calls`]: an id each, shared
    /// among the shards like the pending outputs (rounded up per shard).
    pub const REMEMBERED_ENDED_CALLS: RangeInclusive<usize> = 0..=1_000_000;
    /// [`crate::EngineConfig::shards`].
    pub const SHARDS: RangeInclusive<usize> = 1..=1024;
    /// [`crate::wire::WireConfig::max_body_bytes`]: `{}` is 2 bytes.
    pub const MAX_BODY_BYTES: RangeInclusive<usize> = 2..=16 * 1024 * 1024;
}

/// `Ok` when `value` is in `range`, else an error naming `setting` and the
/// range.
pub fn check_range<T>(
    setting: &'static str,
    value: T,
    range: &RangeInclusive<T>,
) -> Result<(), ConfigError>
where
    T: PartialOrd + std::fmt::Display,
{
    if range.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            setting,
            format!("must be {} to {}, got {value}", range.start(), range.end()),
        ))
    }
}

/// Settings of one call. Shared by every call of an engine.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallConfig {
    /// Operations a call's media queue holds, the active one included;
    /// one more is refused with [`crate::RequestError::QueueFull`] (429).
    /// Default 100.
    pub queue_capacity: usize,
    /// Ended operations a call remembers for `GET` (oldest forgotten first).
    /// Default 64. The memory grows with what is remembered, not with this.
    pub retained_operations: usize,
    /// Emit a `failed` 8528 notification for each media operation pending
    /// when the call ends. The real service sends none (default false).
    pub notify_on_termination: bool,
    /// Show queued operations as `notStarted` (POST response and GET)
    /// instead of Graph's `running`. Default false.
    pub not_started_for_queued: bool,
    /// URI schemes a prompt may use (lowercase). Default `["https"]`.
    pub allowed_uri_schemes: Vec<String>,
    /// Emit the call's `established` state notification (`updated`, `state:
    /// established`) when the call is established, as the service does
    /// before any media request. Default false: the engine starts from an
    /// established call and says nothing of it (the output of earlier
    /// versions). Turn it on to test a bot that starts its IVR on
    /// `established`, or to duplicate it with `crate::fault`.
    #[serde(default)]
    pub notify_established: bool,
    /// Outputs a [`crate::Call`] driven on its own lets wait undrained; at
    /// that many it refuses requests ([`crate::RequestError::OutputsBacklogged`])
    /// and media inputs ([`crate::InputIgnored::OutputsBacklogged`]) until
    /// polled. An [`crate::Engine`] moves every output to its own queues
    /// after each input and applies [`EngineConfig::max_pending_outputs`]
    /// instead. Default 1024.
    #[serde(default = "default_call_pending_outputs")]
    pub max_pending_outputs: usize,
}

fn default_call_pending_outputs() -> usize {
    1024
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 100,
            retained_operations: 64,
            notify_on_termination: false,
            not_started_for_queued: false,
            allowed_uri_schemes: vec!["https".to_owned()],
            notify_established: false,
            max_pending_outputs: default_call_pending_outputs(),
        }
    }
}

impl CallConfig {
    /// Sets [`Self::queue_capacity`].
    pub fn queue_capacity(&mut self, capacity: usize) -> &mut Self {
        self.queue_capacity = capacity;
        self
    }

    /// Sets [`Self::notify_on_termination`].
    pub fn notify_on_termination(&mut self, on: bool) -> &mut Self {
        self.notify_on_termination = on;
        self
    }

    /// Sets [`Self::not_started_for_queued`].
    pub fn not_started_for_queued(&mut self, on: bool) -> &mut Self {
        self.not_started_for_queued = on;
        self
    }

    /// Checks every setting against its range (see [`ranges`]).
    pub fn check(&self) -> Result<(), ConfigError> {
        check_range(
            "queue_capacity",
            self.queue_capacity,
            &ranges::QUEUE_CAPACITY,
        )?;
        check_range(
            "retained_operations",
            self.retained_operations,
            &ranges::RETAINED_OPERATIONS,
        )?;
        check_range(
            "max_pending_outputs",
            self.max_pending_outputs,
            &ranges::CALL_PENDING_OUTPUTS,
        )?;
        check_uri_schemes("allowed_uri_schemes", &self.allowed_uri_schemes)
    }
}

/// Settings of an [`crate::Engine`].
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Settings every call gets.
    pub call: Arc<CallConfig>,
    /// Where operation ids come from (split per call).
    pub ids: IdSource,
    /// Calls held at once; one more is refused with
    /// [`crate::EstablishError::TooManyCalls`]. Default 1 000 000.
    pub max_calls: usize,
    /// Undrained outputs above which requests are refused with
    /// [`crate::RequestError::OutputsBacklogged`] (503) until drained,
    /// shared evenly among the shards (each holds its calls' outputs). Media
    /// inputs and timers still run, each adding a bounded few. Default 65 536.
    pub max_pending_outputs: usize,
    /// Ended calls whose ids are remembered, so requests to them get
    /// "terminated" rather than "not found". Default 10 000.
    pub remembered_ended_calls: usize,
    /// Lock shards of the call map (a power of two is best). Default 64.
    pub shards: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            call: Arc::new(CallConfig::default()),
            ids: IdSource::Random,
            max_calls: 1_000_000,
            max_pending_outputs: 65_536,
            remembered_ended_calls: 10_000,
            shards: 64,
        }
    }
}

impl EngineConfig {
    /// Checks every setting, the call settings' too, against its range (see
    /// [`ranges`]).
    pub fn check(&self) -> Result<(), ConfigError> {
        self.call.check()?;
        check_range("max_calls", self.max_calls, &ranges::MAX_CALLS)?;
        check_range(
            "max_pending_outputs",
            self.max_pending_outputs,
            &ranges::ENGINE_PENDING_OUTPUTS,
        )?;
        check_range(
            "remembered_ended_calls",
            self.remembered_ended_calls,
            &ranges::REMEMBERED_ENDED_CALLS,
        )?;
        check_range("shards", self.shards, &ranges::SHARDS)
    }

    /// An engine with these call settings and ids, and default limits.
    pub fn new(call: CallConfig, ids: IdSource) -> Self {
        Self {
            call: Arc::new(call),
            ids,
            ..Self::default()
        }
    }
}

/// Checks a list of URI schemes: 1 to 16, each 1 to 32 bytes of RFC 3986
/// scheme syntax (a letter, then letters, digits, `+`, `-` or `.`).
/// `setting` names it in the error.
pub(crate) fn check_uri_schemes(
    setting: &'static str,
    schemes: &[String],
) -> Result<(), ConfigError> {
    if !ranges::URI_SCHEMES.contains(&schemes.len()) {
        return Err(ConfigError::new(
            setting,
            format!(
                "must list {} to {} schemes, got {}",
                ranges::URI_SCHEMES.start(),
                ranges::URI_SCHEMES.end(),
                schemes.len()
            ),
        ));
    }
    for scheme in schemes {
        let well_formed = ranges::URI_SCHEME_BYTES.contains(&scheme.len())
            && scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !well_formed {
            return Err(ConfigError::new(
                setting,
                format!(
                    "each scheme is 1 to 32 characters, a letter then letters, digits, '+', '-' or '.', got {scheme:?}"
                ),
            ));
        }
    }
    Ok(())
}
