//! ENGINE.md 6: once a call's output queue is warm, cancelMediaProcessing
//! allocates nothing, whatever the length of the queue it ends. A counting
//! global allocator proves it.

use ivr_media_queue::{Notification, Output};

#[path = "common/fixtures.rs"]
mod fixtures;
#[path = "common/held_bytes.rs"]
mod held_bytes;

use held_bytes::allocations_here;

#[global_allocator]
static GLOBAL: held_bytes::Counting = held_bytes::Counting;

#[test]
fn cancel_does_not_allocate() {
    for n in [1, 16, 100] {
        let mut call = fixtures::warm_call_with_queue(n);
        let cancel = fixtures::cancel_request();
        let before = allocations_here();
        let op = call.handle_request(fixtures::NOW, cancel);
        let allocations = allocations_here() - before;
        assert!(op.is_ok());
        assert_eq!(
            allocations, 0,
            "cancel of {n} operations allocated {allocations} times"
        );
        let ended = std::iter::from_fn(|| call.poll_output())
            .filter(|o| matches!(o, Output::Notification(Notification::OperationEnded(_))))
            .count();
        assert_eq!(ended, n, "every operation reported");
    }
}

#[test]
fn a_cold_output_queue_does_allocate() {
    // The counter sees allocations: a first cancel of 100 grows the queue.
    let mut call = fixtures::warm_call_with_queue(1);
    for i in 1..100 {
        call.handle_request(fixtures::NOW, fixtures::operation(i))
            .unwrap();
    }
    while call.poll_output().is_some() {}
    let cancel = fixtures::cancel_request();
    let before = allocations_here();
    call.handle_request(fixtures::NOW, cancel).unwrap();
    assert!(allocations_here() > before);
}

#[test]
fn reserving_outputs_warms_a_cold_queue() {
    // The same cold call, but told what is coming: the cancel allocates
    // nothing.
    let mut call = fixtures::warm_call_with_queue(1);
    for i in 1..100 {
        call.handle_request(fixtures::NOW, fixtures::operation(i))
            .unwrap();
    }
    while call.poll_output().is_some() {}
    call.reserve_outputs(101);
    let cancel = fixtures::cancel_request();
    let before = allocations_here();
    call.handle_request(fixtures::NOW, cancel).unwrap();
    assert_eq!(allocations_here(), before);
}
