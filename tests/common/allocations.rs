//! A global allocator that counts this thread's allocations (reallocations
//! included), for the tests that prove a path allocates nothing. Each test
//! file declares it:
//!
//! ```ignore
//! #[path = "common/allocations.rs"]
//! mod allocations;
//! #[global_allocator]
//! static GLOBAL: allocations::Counting = allocations::Counting;
//! ```

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations and reallocations, then defers to the system.
pub struct Counting;

thread_local! {
    // Per thread: tests run in parallel, and only this thread's count matters.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Allocations and reallocations this thread has made so far.
pub fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn count() {
    // `try_with`: the slot may be gone while the thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: defers every call to the system allocator unchanged; it only
// counts them.
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
