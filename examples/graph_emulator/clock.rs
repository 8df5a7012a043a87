//! The virtual clock: whole milliseconds since the emulator started, run
//! `--speed` times faster than the wall clock. Everything timed runs on it.

use std::time::Duration;

use ivr_media_queue::Instant;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: std::time::Instant,
    speed: f64,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        Self::starting_at(std::time::Instant::now(), speed)
    }

    pub fn starting_at(start: std::time::Instant, speed: f64) -> Self {
        Self { start, speed }
    }

    /// The virtual time at the wall-clock instant `wall` (whole ms, rounded
    /// down: monotonic as the wall clock is).
    pub fn at(&self, wall: std::time::Instant) -> Instant {
        // From whole nanoseconds: `1.001 s * 1000.0` is 1000.999..., which
        // would read a whole ms as the one before.
        let nanos = wall.saturating_duration_since(self.start).as_nanos() as f64;
        // Saturating float-to-int conversion: never past Instant::LATEST.
        let ms = (nanos * self.speed / 1e6).floor() as u64;
        Instant::from_millis(ms.min(Instant::LATEST.as_millis()))
    }

    pub fn now(&self) -> Instant {
        self.at(std::time::Instant::now())
    }

    /// The wall-clock instant at which virtual `at` begins.
    pub fn wall_at(&self, at: Instant) -> std::time::Instant {
        let secs = at.as_millis() as f64 / 1000.0 / self.speed;
        self.start + Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs(86_400 * 365))
    }

    /// How long `virtual_ms` lasts on the wall clock.
    pub fn wall(&self, virtual_ms: u64) -> Duration {
        Duration::try_from_secs_f64(virtual_ms as f64 / 1000.0 / self.speed)
            .unwrap_or(Duration::from_secs(86_400 * 365))
    }
}
