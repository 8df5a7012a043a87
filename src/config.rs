//! Engine settings and the limits they impose.

use std::sync::Arc;

use crate::error::ValidationError;
use crate::id::IdSource;
use crate::model::{Action, CollectDigits, MediaPrompt, Record, Request};

/// Graph's limit on `clientContext`, in characters.
pub const MAX_CLIENT_CONTEXT_CHARS: usize = 256;
/// Graph's limit on prompts per playPrompt.
pub const MAX_PLAY_PROMPTS: usize = 20;
/// Extension: the most keys one collect-digits operation may ask for.
pub const MAX_COLLECT_DIGITS: u8 = 64;
/// Extension: the longest first-digit or inter-digit timeout, in ms.
pub const MAX_DIGIT_TIMEOUT_MS: u32 = 120_000;
/// Graph's range for the three record timeouts, in seconds.
pub const RECORD_TIMEOUT_SECS: std::ops::RangeInclusive<i64> = 1..=120;

/// Settings of one call. Shared by every call of an engine.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallConfig {
    /// Operations a call's media queue holds, the active one included;
    /// one more is refused with [`crate::RequestError::QueueFull`] (429).
    /// Default 100.
    pub queue_capacity: usize,
    /// Ended operations a call remembers for `GET` (oldest forgotten first).
    /// Default 64.
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
    /// `established`, or to duplicate it with [`crate::fault`].
    #[serde(default)]
    pub notify_established: bool,
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

    /// Checks a request against Graph's rules and these settings.
    pub fn validate(&self, request: &Request) -> Result<(), ValidationError> {
        validate_client_context(request.client_context.as_deref())?;
        match &request.action {
            Action::PlayPrompt(play) => {
                match play.prompts.len() {
                    0 => {
                        return Err(ValidationError::new(
                            "prompts",
                            "at least 1 prompt is required",
                        ));
                    }
                    n if n > MAX_PLAY_PROMPTS => {
                        return Err(ValidationError::new(
                            "prompts",
                            format!("at most {MAX_PLAY_PROMPTS} prompts are allowed, got {n}"),
                        ));
                    }
                    _ => {}
                }
                for (i, prompt) in play.prompts.iter().enumerate() {
                    self.validate_prompt(i, prompt)?;
                }
                Ok(())
            }
            Action::Record(record) => self.validate_record(record),
            Action::SubscribeToTone | Action::CancelMediaProcessing => Ok(()),
        }
    }

    /// Checks a request for a cancel with a receipt or a scope (extension):
    /// a valid cancelMediaProcessing.
    pub(crate) fn validate_cancel(&self, request: &Request) -> Result<(), ValidationError> {
        if request.action != Action::CancelMediaProcessing {
            let rule = "a cancel receipt comes only from cancelMediaProcessing";
            return Err(ValidationError::new("action", rule));
        }
        self.validate(request)
    }

    /// Checks a collect-digits operation (extension) against its rules and
    /// these settings.
    pub fn validate_collect_digits(
        &self,
        client_context: Option<&str>,
        collect: &CollectDigits,
    ) -> Result<(), ValidationError> {
        validate_client_context(client_context)?;
        if collect.prompts.len() > MAX_PLAY_PROMPTS {
            return Err(ValidationError::new(
                "prompts",
                format!(
                    "at most {MAX_PLAY_PROMPTS} prompts are allowed, got {}",
                    collect.prompts.len()
                ),
            ));
        }
        for (i, prompt) in collect.prompts.iter().enumerate() {
            self.validate_prompt(i, prompt)?;
        }
        if !(1..=MAX_COLLECT_DIGITS).contains(&collect.max_digits) {
            return Err(ValidationError::new(
                "maxDigits",
                format!(
                    "must be 1 to {MAX_COLLECT_DIGITS}, got {}",
                    collect.max_digits
                ),
            ));
        }
        if collect.min_digits > collect.max_digits {
            return Err(ValidationError::new(
                "minDigits",
                format!(
                    "must be at most maxDigits ({}), got {}",
                    collect.max_digits, collect.min_digits
                ),
            ));
        }
        for (field, ms) in [
            ("firstDigitTimeoutMs", collect.first_digit_timeout_ms),
            ("interDigitTimeoutMs", collect.inter_digit_timeout_ms),
        ] {
            if !(1..=MAX_DIGIT_TIMEOUT_MS).contains(&ms) {
                return Err(ValidationError::new(
                    field,
                    format!("must be 1 to {MAX_DIGIT_TIMEOUT_MS} ms, got {ms}"),
                ));
            }
        }
        Ok(())
    }

    fn validate_record(&self, record: &Record) -> Result<(), ValidationError> {
        if let Some(prompt) = &record.prompt {
            self.validate_prompt(0, prompt)?;
        }
        for (field, secs) in [
            (
                "initialSilenceTimeoutInSeconds",
                record.initial_silence_timeout_secs,
            ),
            (
                "maxSilenceTimeoutInSeconds",
                record.max_silence_timeout_secs,
            ),
            (
                "maxRecordDurationInSeconds",
                record.max_record_duration_secs,
            ),
        ] {
            record_timeout(field, i64::from(secs))?;
        }
        Ok(())
    }

    fn validate_prompt(&self, index: usize, prompt: &MediaPrompt) -> Result<(), ValidationError> {
        let field = || format!("prompts[{index}].mediaInfo.uri");
        let uri = prompt.uri.trim();
        if uri.is_empty() {
            return Err(ValidationError::new(field(), "must not be empty"));
        }
        let scheme = uri.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
        if !self
            .allowed_uri_schemes
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(scheme))
        {
            return Err(ValidationError::new(
                field(),
                format!(
                    "must be an absolute URI with scheme {}, got '{uri}'",
                    self.allowed_uri_schemes.join(" or ")
                ),
            ));
        }
        Ok(())
    }
}

/// Checks one record timeout against Graph's 1..=120 seconds (out of range
/// is refused, never clamped).
pub fn record_timeout(field: &'static str, secs: i64) -> Result<u32, ValidationError> {
    if RECORD_TIMEOUT_SECS.contains(&secs) {
        // The range fits in u32.
        Ok(secs as u32)
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "must be between {} and {} seconds, got {secs}",
                RECORD_TIMEOUT_SECS.start(),
                RECORD_TIMEOUT_SECS.end()
            ),
        ))
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
    /// An engine with these call settings and ids, and default limits.
    pub fn new(call: CallConfig, ids: IdSource) -> Self {
        Self {
            call: Arc::new(call),
            ids,
            ..Self::default()
        }
    }
}

fn validate_client_context(client_context: Option<&str>) -> Result<(), ValidationError> {
    let chars = client_context.map_or(0, |c| c.chars().count());
    if chars > MAX_CLIENT_CONTEXT_CHARS {
        return Err(ValidationError::new(
            "clientContext",
            format!("must be at most {MAX_CLIENT_CONTEXT_CHARS} characters, got {chars}"),
        ));
    }
    Ok(())
}
