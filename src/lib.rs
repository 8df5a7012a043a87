//! # ivr-media-queue
//!
//! The media queue of a Microsoft Graph cloud-communications call
//! (`playPrompt`, `recordResponse`, `subscribeToTone`,
//! `cancelMediaProcessing`) as a pure, deterministic state machine, and the
//! `commsNotifications` a real service would POST to the bot.
//!
//! - No I/O, no threads, no clock, no randomness of its own: time comes in as
//!   `now` on every input, operation ids from an [`IdSource`] you choose.
//! - Inputs are `handle_*` methods; outputs are drained with `poll_output`
//!   until it returns `None`; `poll_timeout` says when to call
//!   `handle_timeout` next.
//! - Outputs are typed values ([`Output`]): notifications for the bot and
//!   [`MediaCommand`]s for a media layer. JSON exists only at the edge, in
//!   [`wire`].
//!
//! ## A run loop
//!
//! ```
//! use ivr_media_queue::{
//!     wire, ApiVersion, CallId, Engine, EngineConfig, IdSource, Instant, MediaInput, Output,
//! };
//!
//! let engine = Engine::new(EngineConfig { ids: IdSource::seeded(7), ..Default::default() }).unwrap();
//! let wire_config = wire::WireConfig::default();
//! let call = CallId::new("c1");
//! let mut now = Instant::ZERO;
//!
//! // The media layer says the call is up; the bot asks for a prompt.
//! engine.handle_call_established(now, &call).unwrap();
//! let body = br#"{"prompts":[{"mediaInfo":{"uri":"https://example.com/hi.wav"}}]}"#;
//! let url = "https://graph.microsoft.com/v1.0/communications/calls/c1/playPrompt";
//! let response = wire::handle_http(&engine, &wire_config, now, "POST", url, body);
//! assert_eq!(response.status, 200);
//!
//! loop {
//!     // Drain every output after every input.
//!     while let Some(out) = engine.poll_output() {
//!         match out.output {
//!             Output::Media(command) => {
//!                 // A real media layer would play it; ours finishes it at once.
//!                 let token = Some(command.operation());
//!                 let _ = engine.handle_media(now, &out.call, token, MediaInput::PlaybackFinished);
//!             }
//!             Output::Notification(note) => {
//!                 let json = wire::notification_json(&out.call, &note, &wire_config);
//!                 assert!(json.contains("Action completed successfully."));
//!             }
//!             Output::Abandoned(_) => {}
//!             // `Output` is non_exhaustive: a later version may add kinds.
//!             _ => {}
//!         }
//!     }
//!     // Sleep until the next timer (none here), then let it fire.
//!     match engine.poll_timeout() {
//!         Some(deadline) => {
//!             now = deadline;
//!             engine.handle_timeout(now);
//!         }
//!         None => break,
//!     }
//! }
//! ```
//!
//! ## The guide
//! Past this page, [`guide`] has a chapter each on embedding the engine, the
//! Graph emulator, `ivr-replay`, the decisions where Graph is silent, many
//! calls, what is promised, the extensions, the proof, performance and the
//! repository's layout.
//!
//! ## Modules
//! - [`Call`]: one call's state machine. [`Engine`]: many calls, shared
//!   between threads, with one timer loop; snapshots move calls between
//!   engines ([`CallSnapshot`]; the format and what restoring checks:
//!   [`snapshot`]).
//! - [`wire`]: Graph HTTP requests in, Graph JSON out.
//! - [`sim`]: a simulated media layer and caller, for test rigs.
//! - `replay`: the `ivr-replay` scenario runner (feature `replay`).
//! - `fault`: fault injection for testing bots (feature `fault`; extension).
//!
//! ## Features
//! - `replay` (default; turns on `fault`): the scenario runner behind the
//!   `ivr-replay` binary. Its record types follow the binary's output, not
//!   the engine's semver.
//! - `fault`: rules that drop, delay, duplicate or fail what the engine and
//!   the media layer exchange.
//!
//! `replay` is on by default so that `cargo run` and
//! `cargo build --bin ivr-replay` need no flags. A bot runtime that wants
//! the engine alone depends with `default-features = false`:
//! `ivr-media-queue = { version = "0.1", default-features = false }`.
//!
//! ## Extensions
//! Beyond Graph, and never on a Graph path or property: queue views
//! ([`Call::view`]), cancel receipts and scopes ([`Call::cancel_scoped`]),
//! causes and partial recordings on every end ([`OperationEnded`]), output
//! sequence numbers ([`Call::poll_sequenced`]), digit collection
//! ([`Call::handle_collect_digits`]) and `fault` injection. With none of
//! them in use, the output is Graph's, byte for byte.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod call;
mod config;
mod engine;
mod error;
#[cfg(feature = "fault")]
pub mod fault;
pub mod guide;
mod id;
mod io;
mod model;
#[cfg(feature = "replay")]
pub mod replay;
pub mod sim;
pub mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;
mod thin_deque;
mod time;
mod validate;
pub mod wire;

pub use call::{
    ActiveView, Call, CallView, CancelReceipt, CancelScope, CancelledAt, CancelledOperation,
    MediaPhase,
};
pub use config::{
    CallConfig, EngineConfig, MAX_CLIENT_CONTEXT_CHARS, MAX_COLLECT_DIGITS, MAX_DIGIT_TIMEOUT_MS,
    MAX_PLAY_PROMPTS, MAX_PROMPT_TEXT_BYTES, RECORD_TIMEOUT_SECS, check_range, ranges,
};
pub use engine::{CallHandle, CallMove, Engine, EngineOutput};
pub use error::{
    ConfigError, EstablishError, InputIgnored, InvalidCallId, MoveError, RequestError,
    RestoreError, ValidationError,
};
pub use id::{CallId, IdSource, MAX_CALL_ID_BYTES, OperationId};
pub use io::{MediaCommand, MediaInput, Notification, OperationEnded, Output, PartialRecording};
pub use model::{
    Action, ApiVersion, CollectDigits, Digits, DigitsEnd, EndReason, MediaPrompt, MediaRequest,
    Operation, OperationKind, OperationStatus, PlayPrompt, PromptFailure, Record, Recording,
    Request, ResultInfo, Tone, ToneSet,
};
pub use snapshot::{CALL_FORMAT, CallSnapshot, ENGINE_FORMAT, EngineSnapshot, SnapshotError};
pub use time::Instant;
pub use validate::record_timeout;
pub use wire::GraphResult;
