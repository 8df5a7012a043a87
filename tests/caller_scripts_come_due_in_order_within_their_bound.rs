//! `sim::CallerScript`: events come out at their own time, in time order and
//! in script order on a tie; a script past the bound is refused whole.

use ivr_media_queue::Instant;
use ivr_media_queue::sim::{CallerScript, MAX_SCRIPTED_EVENTS, ScriptFull};

#[test]
fn events_come_due_in_time_then_script_order() {
    let mut script = CallerScript::new();
    let start = Instant::from_millis(1_000);
    script
        .handle_script(start, [(500, "b"), (100, "a"), (500, "c")])
        .unwrap();
    script
        .handle_script(Instant::from_millis(1_400), [(200, "d"), (0, "now")])
        .unwrap();
    assert_eq!(script.poll_timeout(), Some(Instant::from_millis(1_100)));
    assert_eq!(script.poll_event(Instant::from_millis(1_099)), None);
    let due: Vec<_> =
        std::iter::from_fn(|| script.poll_event(Instant::from_millis(1_600))).collect();
    let at = |ms| Instant::from_millis(ms);
    assert_eq!(
        due,
        [
            (at(1_100), "a"),
            (at(1_400), "now"),
            (at(1_500), "b"),
            (at(1_500), "c"),
            (at(1_600), "d")
        ]
    );
    assert!(script.is_empty());
    assert_eq!(script.poll_timeout(), None);
}

#[test]
fn a_script_past_the_bound_is_refused_whole() {
    let mut script = CallerScript::new();
    let now = Instant::ZERO;
    script
        .handle_script(now, (0..MAX_SCRIPTED_EVENTS as u64 - 1).map(|i| (i, i)))
        .unwrap();
    let refused = script.handle_script(now, [(1, 1), (2, 2)]);
    let endless = script.handle_script(now, (0..).map(|i| (i, i)));
    assert!(
        endless.is_err(),
        "an endless script is refused, not collected"
    );
    assert_eq!(
        refused,
        Err(ScriptFull {
            limit: MAX_SCRIPTED_EVENTS,
            held: MAX_SCRIPTED_EVENTS - 1,
        })
    );
    assert_eq!(
        script.len(),
        MAX_SCRIPTED_EVENTS - 1,
        "nothing of a refused script is taken"
    );
    script.handle_script(now, [(7, 7)]).unwrap();
    assert_eq!(script.len(), MAX_SCRIPTED_EVENTS);
    script.clear();
    assert!(script.is_empty());
}
