//! Virtual time. The engine never reads a clock: every input carries `now`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point on the embedder's clock, in milliseconds since an epoch the
/// embedder chooses (the start of a replay, the process start, the Unix
/// epoch: anything monotonic).
///
/// Milliseconds are the resolution of every Graph media timer, and a plain
/// integer keeps snapshots and replays exact. Arithmetic saturates, so no
/// input can make it overflow.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Instant(u64);

impl Instant {
    /// The epoch.
    pub const ZERO: Self = Self(0);

    /// The latest time an input may carry, some 292 million years after
    /// the epoch: a later `now` counts as this. It keeps every timer
    /// deadline (at most 120 s after an input) below the end of `u64`, so
    /// none saturates onto its own start; the timers due after it never
    /// fire (the clock cannot get there).
    pub const LATEST: Self = Self(u64::MAX / 2);

    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// How long after `earlier` this is; zero when it is not later.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}
