//! The guide: everything past the first page (the README), one chapter a
//! module. Its Rust examples compile and run as doctests.
//!
//! - [`embedding`]: the run loop, `Call` or `Engine`, a media layer of
//!   your own.
//! - [`emulator`]: run a real bot, or the official Graph SDK, against
//!   `graph_emulator` on localhost, and that service under load.
//! - [`replay`]: `ivr-replay`, its scenario format and its options.
//! - [`decisions`]: what this crate decided where Graph's documentation is
//!   silent.
//! - [`many_calls`]: the multi-call engine: threads, limits, memory.
//! - [`promises`]: what is promised, and from which version on.
//! - [`extensions`]: what this crate offers beyond Graph, and how it stays
//!   off the Graph wire.
//! - [`testing_a_bot`]: property-test a bot against random callers (the
//!   `testing` feature).
//! - [`proof`]: how the contract is tested, fuzzed and checked against the
//!   official SDKs.
//! - [`performance`]: each hot path against the least work it could do.
//! - [`layout`]: where everything is in the repository.

#[doc = include_str!("embedding.md")]
pub mod embedding {}

#[doc = include_str!("emulator.md")]
pub mod emulator {}

#[doc = include_str!("replay.md")]
pub mod replay {}

#[doc = include_str!("decisions.md")]
pub mod decisions {}

#[doc = include_str!("many_calls.md")]
pub mod many_calls {}

#[doc = include_str!("promises.md")]
pub mod promises {}

#[doc = include_str!("extensions.md")]
pub mod extensions {}

#[cfg_attr(feature = "testing", doc = include_str!("testing_a_bot.md"))]
#[cfg_attr(
    not(feature = "testing"),
    doc = "Property-test a bot against random callers: this chapter, and its \
           examples, need the `testing` feature (`cargo doc --features testing`)."
)]
pub mod testing_a_bot {}

#[doc = include_str!("proof.md")]
pub mod proof {}

#[doc = include_str!("performance.md")]
pub mod performance {}

#[doc = include_str!("layout.md")]
pub mod layout {}
