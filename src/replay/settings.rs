//! The settings of a replay: the scenario's config line.

use serde_json::{Map, Value};

use crate::config::{CallConfig, check_range, check_uri_schemes, ranges};
use crate::sim::{MediaLayerConfig, PromptLengths};
use crate::wire::WireConfig;

/// Settings of one replay: the engine's, the wire's, and the simulated
/// media layer's. The scenario's first line may set them (`{"config": {..}}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayConfig {
    /// Settings of every call.
    pub call: CallConfig,
    /// Settings of the wire.
    pub wire: WireConfig,
    /// How long the simulated beep plays, in ms (0: it finishes at once).
    pub beep_ms: u64,
    /// How long the simulated media layer takes to store a recording, in
    /// ms (0: stored at once).
    pub store_ms: u64,
    /// Extension: prompts end by themselves, after the `durationMs=N` of
    /// their URI's query or else this many ms, and a URI holding
    /// `fail=download` / `fail=format` fails ([`PromptLengths::Timed`], as
    /// in the `graph_emulator` example). `None` (the default): a prompt ends
    /// only when a `playbackFinished` line says so.
    pub prompt_ms: Option<u64>,
    /// Extension: after each cancelMediaProcessing, print a `cancelReceipt`
    /// record naming what it ended and where each operation was.
    pub cancel_receipts: bool,
    /// Extension: give every engine output (notification, media command,
    /// silent end) its per-call sequence number, `"seq"`.
    pub sequence_numbers: bool,
    /// Extension: give every ended operation an `"outcome"`: its typed end
    /// reason, what ended it, and any partial recording.
    pub outcomes: bool,
}

impl ReplayConfig {
    /// Reads the settings of a config line's `"config"` object, given as
    /// JSON text (`{"beepMs": 400, ...}`): the defaults with those set. The
    /// error names the setting and its rule, as a scenario's config line
    /// would.
    pub fn from_settings_json(settings: &str) -> Result<Self, String> {
        let value = super::strict::parse(settings.trim()).map_err(|e| format!("config: {e}"))?;
        let Value::Object(object) = value else {
            return Err("config: must be an object".to_owned());
        };
        let mut config = Self::default();
        apply_config(&mut config, &object)?;
        Ok(config)
    }

    /// The simulated media layer's settings.
    pub fn media_layer(&self) -> MediaLayerConfig {
        MediaLayerConfig {
            beep_ms: self.beep_ms,
            store_ms: self.store_ms,
            prompts: match self.prompt_ms {
                Some(default_ms) => PromptLengths::Timed { default_ms },
                None => PromptLengths::Scripted,
            },
        }
    }
}

/// The range of `beepMs` and `storeMs`: up to an hour.
const SIMULATED_MS: std::ops::RangeInclusive<u64> = 0..=crate::sim::MAX_SIMULATED_MS;

/// `n` when it is in `range`, else the config line's message naming
/// `setting` and the range.
fn in_range<T>(
    setting: &'static str,
    n: T,
    range: &std::ops::RangeInclusive<T>,
) -> Result<T, String>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    check_range(setting, n, range)
        .map(|()| n)
        .map_err(|e| format!("config.{e}"))
}

/// Applies a `{"config": {...}}` object. Each setting is checked against
/// its range (see [`crate::ranges`]) under its config-line name.
pub(super) fn apply_config(
    config: &mut ReplayConfig,
    object: &Map<String, Value>,
) -> Result<(), String> {
    for (key, value) in object {
        let as_bool = || {
            value
                .as_bool()
                .ok_or_else(|| format!("config.{key}: must be true or false, got {value}"))
        };
        let as_u64 = || {
            value
                .as_u64()
                .ok_or_else(|| format!("config.{key}: must be a whole number >= 0, got {value}"))
        };
        let as_usize = || as_u64().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        match key.as_str() {
            "beepMs" => config.beep_ms = in_range("beepMs", as_u64()?, &SIMULATED_MS)?,
            "storeMs" => config.store_ms = in_range("storeMs", as_u64()?, &SIMULATED_MS)?,
            "promptMs" => {
                config.prompt_ms = Some(in_range("promptMs", as_u64()?, &SIMULATED_MS)?);
            }
            "queueCapacity" => {
                config.call.queue_capacity =
                    in_range("queueCapacity", as_usize()?, &ranges::QUEUE_CAPACITY)?;
            }
            "retainedOperations" => {
                config.call.retained_operations = in_range(
                    "retainedOperations",
                    as_usize()?,
                    &ranges::RETAINED_OPERATIONS,
                )?;
            }
            "notifyOnTermination" => config.call.notify_on_termination = as_bool()?,
            "notifyEstablished" => config.call.notify_established = as_bool()?,
            "notStartedForQueued" => config.call.not_started_for_queued = as_bool()?,
            "cancelReceipts" => config.cancel_receipts = as_bool()?,
            "sequenceNumbers" => config.sequence_numbers = as_bool()?,
            "outcomes" => config.outcomes = as_bool()?,
            "legacyResourceField" => config.wire.legacy_resource_field = as_bool()?,
            "maxBodyBytes" => {
                config.wire.max_body_bytes =
                    in_range("maxBodyBytes", as_usize()?, &ranges::MAX_BODY_BYTES)?;
            }
            "allowedUriSchemes" => {
                let schemes = value.as_array().and_then(|items| {
                    items
                        .iter()
                        .map(|s| s.as_str().map(str::to_ascii_lowercase))
                        .collect()
                });
                let schemes: Vec<String> = schemes.ok_or_else(|| {
                    format!("config.{key}: must be an array of strings, got {value}")
                })?;
                check_uri_schemes("allowedUriSchemes", &schemes)
                    .map_err(|e| format!("config.{e}"))?;
                config.call.allowed_uri_schemes = schemes;
            }
            other => return Err(format!("config: unknown setting \"{other}\"")),
        }
    }
    Ok(())
}
