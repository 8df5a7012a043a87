//! A global allocator that counts the bytes held (allocated minus freed),
//! across all threads, for the memory tests. Each test file declares it:
//!
//! ```ignore
//! #[path = "common/held_bytes.rs"]
//! mod held_bytes;
//! #[global_allocator]
//! static GLOBAL: held_bytes::Counting = held_bytes::Counting;
//! ```

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

/// Counts bytes as they are allocated and freed, then defers to the system.
pub struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

/// Bytes held now, by every thread.
pub fn held() -> isize {
    HELD.load(Ordering::Relaxed)
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
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
