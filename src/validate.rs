//! Graph's rules for requests, checked against a call's settings: the
//! request validator. A refused request gets a [`ValidationError`] naming
//! the field and the rule, and changes nothing.

use std::sync::Arc;

use crate::config::{
    CallConfig, MAX_CLIENT_CONTEXT_CHARS, MAX_COLLECT_DIGITS, MAX_DIGIT_TIMEOUT_MS,
    MAX_PLAY_PROMPTS, MAX_PROMPT_TEXT_BYTES, RECORD_TIMEOUT_SECS,
};
use crate::error::ValidationError;
use crate::model::{Action, CollectDigits, MediaPrompt, MediaRequest, PlayPrompt, Record, Request};

/// A value the validator passed. Only this module makes one, so the inputs
/// that take it (`Call::handle_valid_request` and its kin, which the engine
/// calls under the call's lock after validating outside it) run nothing
/// that was not checked.
#[derive(Debug)]
pub(crate) struct Checked<T>(T);

impl<T> Checked<T> {
    #[inline]
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

/// A collect-digits request that passed its checks: its clientContext and
/// settings.
pub(crate) type CheckedCollect = Checked<(Option<Arc<str>>, CollectDigits)>;

impl CallConfig {
    /// [`Self::validate`], keeping the request as checked.
    #[inline]
    pub(crate) fn check_request(
        &self,
        request: Request,
    ) -> Result<Checked<Request>, ValidationError> {
        self.validate(&request)?;
        Ok(Checked(request))
    }

    /// [`Self::validate_cancel`], keeping the request as checked.
    #[inline]
    pub(crate) fn check_cancel(
        &self,
        request: Request,
    ) -> Result<Checked<Request>, ValidationError> {
        self.validate_cancel(&request)?;
        Ok(Checked(request))
    }

    /// [`Self::validate_collect_digits`], keeping the settings as checked.
    pub(crate) fn check_collect_digits(
        &self,
        client_context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> Result<CheckedCollect, ValidationError> {
        self.validate_collect_digits(client_context.as_deref(), &collect)?;
        Ok(Checked((client_context, collect)))
    }

    /// Checks a request against Graph's rules and these settings.
    pub fn validate(&self, request: &Request) -> Result<(), ValidationError> {
        validate_client_context(request.client_context.as_deref())?;
        match &request.action {
            Action::PlayPrompt(play) => self.validate_play(play),
            Action::Record(record) => self.validate_record(record),
            Action::SubscribeToTone | Action::CancelMediaProcessing => Ok(()),
        }
    }

    /// Checks a queued media operation's request (a restored one's) as
    /// [`Self::validate`] and [`Self::validate_collect_digits`] would.
    pub(crate) fn validate_media(
        &self,
        client_context: Option<&str>,
        request: &MediaRequest,
    ) -> Result<(), ValidationError> {
        match request {
            MediaRequest::PlayPrompt(play) => {
                validate_client_context(client_context)?;
                self.validate_play(play)
            }
            MediaRequest::Record(record) => {
                validate_client_context(client_context)?;
                self.validate_record(record)
            }
            MediaRequest::CollectDigits(collect) => {
                self.validate_collect_digits(client_context, collect)
            }
        }
    }

    fn validate_play(&self, play: &PlayPrompt) -> Result<(), ValidationError> {
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
        for (name, text) in [
            ("uri", Some(&prompt.uri)),
            ("resourceId", prompt.resource_id.as_ref()),
        ] {
            let bytes = text.map_or(0, |text| text.len());
            if bytes > MAX_PROMPT_TEXT_BYTES {
                return Err(ValidationError::new(
                    format!("prompts[{index}].mediaInfo.{name}"),
                    format!("must be at most {MAX_PROMPT_TEXT_BYTES} bytes, got {bytes}"),
                ));
            }
        }
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

fn validate_client_context(client_context: Option<&str>) -> Result<(), ValidationError> {
    // A string has no more characters than bytes: most clientContexts (a
    // GUID) are settled by their length, without counting (a tenth of a
    // cancel's instructions).
    let Some(context) = client_context.filter(|c| c.len() > MAX_CLIENT_CONTEXT_CHARS) else {
        return Ok(());
    };
    let chars = context.chars().count();
    if chars > MAX_CLIENT_CONTEXT_CHARS {
        return Err(ValidationError::new(
            "clientContext",
            format!("must be at most {MAX_CLIENT_CONTEXT_CHARS} characters, got {chars}"),
        ));
    }
    Ok(())
}
