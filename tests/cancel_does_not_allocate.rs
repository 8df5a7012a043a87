//! ENGINE.md 6: once a call's output queue is warm, cancelMediaProcessing
//! allocates nothing, whatever the length of the queue it ends. A counting
//! global allocator proves it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ivr_media_queue::{Notification, Output};

#[path = "common/fixtures.rs"]
mod fixtures;

struct Counting;

thread_local! {
    // Per thread: tests run in parallel, and only this thread's count matters.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn count() {
    // `try_with`: the slot may be gone while the thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// Counts allocations and reallocations, then defers to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn cancel_does_not_allocate() {
    for n in [1, 16, 100] {
        let mut call = fixtures::warm_call_with_queue(n);
        let cancel = fixtures::cancel_request();
        let before = allocations();
        let op = call.handle_request(fixtures::NOW, cancel);
        let allocations = allocations() - before;
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
    let before = allocations();
    call.handle_request(fixtures::NOW, cancel).unwrap();
    assert!(allocations() > before);
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
    let before = allocations();
    call.handle_request(fixtures::NOW, cancel).unwrap();
    assert_eq!(allocations(), before);
}
