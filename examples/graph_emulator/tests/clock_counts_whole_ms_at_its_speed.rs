//! The virtual clock: whole milliseconds since its start (rounded down,
//! 0 before it), `--speed` times the wall clock's, and never going back
//! as the wall clock goes forward.

use std::time::Duration;

use super::support::ms;
use crate::clock::Clock;

const SPEEDS: [f64; 9] = [0.001, 0.37, 0.5, 1.0, 2.5, 3.0, 10.0, 1234.5, 10_000.0];

#[test]
fn whole_ms_since_the_start_rounded_down() {
    let start = std::time::Instant::now();
    let clock = Clock::starting_at(start, 1.0);
    let after = |d: Duration| clock.at(start + d);
    assert_eq!(clock.at(start), ms(0));
    assert_eq!(after(Duration::from_micros(999)), ms(0));
    assert_eq!(after(Duration::from_millis(1)), ms(1));
    assert_eq!(after(Duration::from_micros(1_999)), ms(1));
    assert_eq!(after(Duration::from_secs(3_600)), ms(3_600_000));
    if let Some(before) = start.checked_sub(Duration::from_secs(1)) {
        assert_eq!(clock.at(before), ms(0), "nothing before the start");
    }
    // Within each ms of the first minute: that ms.
    for n in 0..60_000 {
        let within = Duration::from_millis(n) + Duration::from_micros(500);
        assert_eq!(after(within), ms(n), "within {n} ms");
    }
}

#[test]
fn speed_scales_the_virtual_clock() {
    let start = std::time::Instant::now();
    let at = |speed: f64, d: Duration| Clock::starting_at(start, speed).at(start + d).as_millis();
    assert_eq!(at(10.0, Duration::from_micros(123_050)), 1_230);
    assert_eq!(at(10.0, Duration::from_micros(100)), 1);
    assert_eq!(at(10.0, Duration::from_micros(99)), 0);
    assert_eq!(at(0.5, Duration::from_micros(3_000_500)), 1_500);
    assert_eq!(at(0.5, Duration::from_millis(1)), 0);
    assert_eq!(at(0.5, Duration::from_millis(2)), 1);
    assert_eq!(at(2.5, Duration::from_millis(1)), 2);
    assert_eq!(at(2.5, Duration::from_micros(2_100)), 5);
    assert_eq!(
        at(10_000.0, Duration::from_nanos(1_000_000_050)),
        10_000_000
    );
    assert_eq!(at(0.001, Duration::from_millis(1_500)), 1);
    // Halfway through each virtual ms, at a whole number of virtual ms per
    // wall ms: n ms of wall time are n * speed virtual.
    for speed in [1u64, 2, 10, 100] {
        let half = Duration::from_nanos(500_000 / speed);
        for n in 0..10_000u64 {
            let d = Duration::from_millis(n) + half;
            assert_eq!(at(speed as f64, d), n * speed, "{d:?} at {speed}x");
        }
    }
}

#[test]
fn the_virtual_clock_never_goes_back() {
    let start = std::time::Instant::now();
    for speed in SPEEDS {
        let clock = Clock::starting_at(start, speed);
        let mut last = clock.at(start);
        // Irregular steps, a few ns to a few ms, over some 40 s.
        let mut wall = Duration::ZERO;
        for step in 0..20_000u64 {
            wall += Duration::from_nanos(1 + (step * 7_919) % 3_999_989);
            let now = clock.at(start + wall);
            assert!(now >= last, "{speed}x: {now:?} after {last:?} at {wall:?}");
            last = now;
        }
        let whole = (wall.as_secs_f64() * 1000.0 * speed).floor() as u64;
        assert!(
            last.as_millis().abs_diff(whole) <= 1,
            "{speed}x: {last:?} after {wall:?}"
        );
    }
}
