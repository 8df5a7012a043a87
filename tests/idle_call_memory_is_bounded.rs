//! Memory per idle established call, counted by a global allocator over
//! 100 000 calls: at most 512 bytes each. And it all goes back once the
//! calls end, but for the bounded memory of ended ids.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use ivr_media_queue::{CallId, Engine, EngineConfig, IdSource, Instant, ResultInfo};

struct Counting;

/// Bytes held (allocated minus freed), all threads.
static HELD: AtomicIsize = AtomicIsize::new(0);

// Counts bytes as they are allocated and freed, then defers to the system.
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

#[global_allocator]
static GLOBAL: Counting = Counting;

const CALLS: usize = 100_000;
const REMEMBERED: usize = 1_000;

#[test]
fn idle_calls_cost_at_most_512_bytes_each_and_give_it_back() {
    let ids: Vec<CallId> = (0..CALLS)
        .map(|i| CallId::new(&format!("{i:08x}-894c-409a-b240-bd8beae78896")))
        .collect();
    let engine = Engine::new(EngineConfig {
        ids: IdSource::seeded(1),
        remembered_ended_calls: REMEMBERED,
        ..EngineConfig::default()
    })
    .unwrap();
    let baseline = HELD.load(Ordering::Relaxed);
    for id in &ids {
        engine.handle_call_established(Instant::ZERO, id).unwrap();
    }
    let per_call = (HELD.load(Ordering::Relaxed) - baseline) / CALLS as isize;
    println!("held per idle established call: {per_call} bytes");
    assert!(per_call <= 512, "{per_call} bytes per idle call");

    for id in &ids {
        engine
            .handle_call_terminated(
                Instant::from_millis(1),
                id,
                ResultInfo::conversation_ended(),
            )
            .unwrap();
    }
    let mut outputs = Vec::new();
    engine.drain_outputs(&mut outputs);
    assert_eq!(
        outputs.len(),
        2 * CALLS,
        "terminating and terminated per call"
    );
    drop(outputs);
    assert_eq!(engine.call_count(), 0);
    // What stays: the remembered ended ids (an id each), the room the output
    // queue keeps for the next burst (1024 outputs), the maps' spare room:
    // a fixed amount, not a per-call one.
    let left = HELD.load(Ordering::Relaxed) - baseline;
    println!("held after every call ended: {left} bytes");
    assert!(left <= 512 * 1024, "{left} bytes still held");
}
