//! `Clock::wall(ms)` is how long `ms` virtual ms last (ms / speed), and
//! `wall_at(v)` the wall instant virtual `v` begins: both invert
//! `Clock::at` within a virtual ms, and `wall_at(v)` plus the timer task's
//! 50 µs margin reads as `v` or later (a deadline slept to has come).

use std::time::Duration;

use super::support::ms;
use crate::clock::Clock;

const SPEEDS: [f64; 9] = [0.001, 0.37, 0.5, 1.0, 2.5, 3.0, 10.0, 1234.5, 10_000.0];

/// Virtual instants: small, irregular, and up to a day.
fn instants() -> impl Iterator<Item = u64> {
    (0..2_000u64)
        .chain((0..2_000u64).map(|i| i * 7_919 % 1_000_003))
        .chain([3_600_000, 86_400_000, 86_400_001])
}

#[test]
fn wall_is_virtual_ms_over_speed() {
    let clock = |speed| Clock::starting_at(std::time::Instant::now(), speed);
    assert_eq!(clock(1.0).wall(1_500), Duration::from_millis(1_500));
    assert_eq!(clock(10.0).wall(1_000), Duration::from_millis(100));
    assert_eq!(clock(0.5).wall(1_000), Duration::from_secs(2));
    assert_eq!(clock(20.0).wall(15_000), Duration::from_millis(750));
    assert_eq!(clock(1.0).wall(0), Duration::ZERO);
    for speed in SPEEDS {
        for v in instants() {
            let want = v as f64 / 1000.0 / speed;
            let got = clock(speed).wall(v).as_secs_f64();
            assert!(
                (got - want).abs() <= 1e-9 + want * 1e-12,
                "{v} ms at {speed}x: {got}"
            );
        }
    }
}

#[test]
fn wall_and_wall_at_invert_at() {
    let start = std::time::Instant::now();
    for speed in SPEEDS {
        let clock = Clock::starting_at(start, speed);
        for v in instants() {
            let begins = clock.wall_at(ms(v));
            assert_eq!(begins, start + clock.wall(v), "{v} ms at {speed}x");
            let read = clock.at(begins).as_millis();
            assert!(
                read == v || read + 1 == v,
                "{speed}x: virtual {v} begins at a wall instant read as {read}"
            );
            let margin = clock.at(begins + Duration::from_micros(50)).as_millis();
            assert!(margin >= v, "{speed}x: {v} + 50 us read as {margin}");
            // A wall instant, read and turned back, within a virtual ms.
            let wall = start + Duration::from_nanos(v * 1_000_003);
            let back = clock.wall_at(clock.at(wall));
            assert!(
                back <= wall + Duration::from_nanos(1),
                "{speed}x: {back:?} after {wall:?}"
            );
            assert!(
                wall - back.min(wall) <= clock.wall(1) + Duration::from_nanos(1),
                "{speed}x: {:?} before {wall:?}",
                wall - back.min(wall)
            );
        }
    }
}
