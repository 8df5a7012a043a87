//! "Whole milliseconds, rounded down": the wall instant at which a virtual
//! ms begins reads as that ms, not the one before. At 1x, `start + 1001
//! ms` is virtual 1001 ms (`1.001 * 1000.0` is `1000.9999999999999` in
//! f64, which a float floor reads as 1000).

use std::time::Duration;

use crate::clock::Clock;

#[test]
fn clock_reads_whole_ms_boundaries_exactly() {
    let start = std::time::Instant::now();
    let mut wrong = Vec::new();
    for speed in [1u64, 2, 10, 100] {
        let clock = Clock::starting_at(start, speed as f64);
        for n in 0..60_000u64 {
            let read = clock.at(start + Duration::from_millis(n)).as_millis();
            if read != n * speed {
                wrong.push((speed, n, read));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} boundaries read as the ms before, e.g. (speed, wall ms, read) {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}
