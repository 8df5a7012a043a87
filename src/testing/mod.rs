//! Property-test a bot against random callers (the `testing` feature).
//!
//! Every IVR has bugs that only a strange caller finds: a key pressed
//! during the beep, a hang-up while the recording is stored, a late
//! "playback finished" after a cancel, two keys in one millisecond. This
//! module searches for them. A [`Harness`] runs the bot's logic (a [`Bot`]:
//! it hears notifications and responses, and sends requests) against the
//! engine and a scripted [`Caller`] on the virtual clock of the
//! [replayer](crate::replay), and checks the developer's property after
//! every [`Step`]. [`Harness::check`] draws callers from a proptest
//! strategy ([`strategy::callers`]); when the property fails, proptest
//! shrinks the caller to the simplest that still fails, and the
//! [`Failure`] prints that run as an `ivr-replay` scenario: run it with
//! `ivr-replay --seed N --format timeline` (or `--format html`) to see it.
//!
//! ```
//! use ivr_media_queue::testing::{strategy, Harness, Heard, Observation, Outbox};
//! use ivr_media_queue::{Action, ApiVersion, Instant, MediaPrompt, PlayPrompt, Request};
//! use ivr_media_queue::replay::ReplayRecord;
//!
//! // The bot: on answer, subscribe to tones and play a greeting.
//! fn greeter() -> impl FnMut(Instant, Heard<'_>, &mut Outbox) {
//!     |_now, heard, outbox: &mut Outbox| {
//!         if let Heard::Answered = heard {
//!             outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
//!             let greeting = PlayPrompt {
//!                 prompts: vec![MediaPrompt::new("https://prompts.example/hello.wav")],
//!                 loop_forever: false,
//!             };
//!             outbox.send(Request::new(ApiVersion::V1, Action::PlayPrompt(greeting)));
//!         }
//!     }
//! }
//!
//! // The property: the service accepts every request the bot sends while
//! // the call lives (a request that races the caller's hang-up may get a
//! // 404, so only those before it count).
//! fn accepted<B>() -> impl FnMut(&Observation<'_, B>) -> Result<(), String> {
//!     let mut hung_up = false;
//!     move |seen| {
//!         hung_up |= seen.view.is_none();
//!         for record in seen.records {
//!             if let ReplayRecord::Response { response, .. } = record {
//!                 if response.status >= 400 && !hung_up {
//!                     return Err(format!("refused: {:?}", response.body));
//!                 }
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let harness = Harness::new().cases(16);
//! let checked = harness.check(
//!     strategy::callers(strategy::CallerOptions::default()),
//!     greeter,
//!     accepted,
//! );
//! assert!(checked.is_ok(), "{}", checked.unwrap_err());
//! ```
//!
//! To write the property test with proptest's own macro instead, draw the
//! caller with [`strategy::callers`] and turn a [`Failure`] into a
//! `TestCaseError` with `?` (the whole report becomes proptest's message).
//! `examples/property_test_a_bot.rs` finds a real menu bug and shrinks it
//! to one key press; [the guide](crate::guide::testing_a_bot) tells the story.
//!
//! What a run is: the replayer's config line ([`Harness::settings`];
//! [`DEFAULT_SETTINGS`] lets prompts end by themselves, so a bot needs no
//! script for its own media), the call answered at 0 ms (the bot hears
//! [`Heard::Answered`]), then, in time order, the engine's timers, the
//! caller's acts, the bot's requests (each [`Harness::bot_latency_ms`]
//! after the bot heard what it answers) and its wake-ups
//! ([`Outbox::wake_after`]). The run ends when nothing more is due, or
//! [`Harness::settle_ms`] after the caller's last act.

mod caller;
mod check;
mod harness;
mod run;
pub mod strategy;

pub use caller::{Caller, CallerAct, LateEvent};
pub use check::Checked;
pub use harness::{
    Bot, BotRequest, DEFAULT_SETTINGS, Failure, Harness, Heard, Observation, Outbox, Step,
    Transcript,
};
/// proptest, as this crate uses it: build strategies for
/// [`Harness::check`] with it, and its version always fits.
pub use proptest;
