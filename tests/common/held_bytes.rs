//! A global allocator that counts the bytes held (allocated minus freed),
//! across all threads and per thread, and each thread's allocations, for
//! the memory tests and the tests that prove a path allocates nothing.
//! Each test file declares it:
//!
//! ```ignore
//! #[path = "common/held_bytes.rs"]
//! mod held_bytes;
//! #[global_allocator]
//! static GLOBAL: held_bytes::Counting = held_bytes::Counting;
//! ```

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

/// Counts bytes as they are allocated and freed, then defers to the system.
pub struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// What this thread allocated minus what it freed.
    static HERE: Cell<isize> = const { Cell::new(0) };
    /// This thread's allocations and reallocations.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Bytes held now, by every thread.
pub fn held() -> isize {
    HELD.load(Ordering::Relaxed)
}

/// Bytes this thread allocated minus those it freed: for a measurement
/// that must see no other thread at all. The test harness's own thread
/// records a finished test while the next one runs, whatever lock the
/// tests take, and what it keeps would count in [`held`].
pub fn held_here() -> isize {
    HERE.with(Cell::get)
}

/// Allocations and reallocations this thread has made so far (tests run
/// in parallel: only this thread's count says what a path allocated).
pub fn allocations_here() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Counts one allocation or reallocation of this thread.
fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Adds `bytes` to both counts. `try_with`: a thread's count is gone once
/// it exits, and what it frees then is not counted here.
fn count(bytes: isize) {
    HELD.fetch_add(bytes, Ordering::Relaxed);
    let _ = HERE.try_with(|here| here.set(here.get() + bytes));
}

/// Tests that read [`held`] take this first: the count is global, so they
/// run one at a time.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

// SAFETY: defers every call to the system allocator unchanged; it only
// counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
