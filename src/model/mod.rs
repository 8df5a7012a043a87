//! The typed Graph media vocabulary: requests, operations, tones.
//!
//! These are plain values. The [`crate::wire`] layer turns JSON into them and
//! them into JSON (and holds Graph's table of result codes and messages,
//! [`crate::wire::graph_result`]); everything in between works on these
//! types alone.
//!
//! - [`tone`]: the keys (`Tone`), sets of them (`ToneSet`).
//! - [`request`]: what a bot asks for (prompts, record, actions, collect
//!   digits).
//! - [`operation`]: what an operation is and how it ended (kind, status,
//!   end reason, `resultInfo`, the operation itself).

mod operation;
mod request;
mod tone;

pub use operation::{
    DigitsEnd, EndReason, Operation, OperationKind, OperationStatus, PromptFailure, Recording,
    ResultInfo,
};
pub use request::{
    Action, CollectDigits, Digits, MediaPrompt, MediaRequest, PlayPrompt, Record, Request,
};
pub use tone::{Tone, ToneSet};

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
