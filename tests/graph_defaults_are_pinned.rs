//! With no extension in use, the output is Graph's and must not move by a
//! byte: the demo and every Graph scenario (`tests/scenarios/*.jsonl` but the
//! `ext_*` ones), in JSON Lines and as a timeline, hash (64-bit FNV-1a) to
//! the values pinned in `tests/golden/graph_defaults.txt`.
//!
//! A change that is meant to alter Graph output re-pins them with
//! `IVR_BLESS=1 cargo test --test graph_defaults_are_pinned`, and says why in
//! its commit.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::fmt::Write as _;
use std::path::Path;

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, DEMO};

/// 64-bit FNV-1a: tiny, and stable across toolchains (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn hashes(name: &str, scenario: &str) -> String {
    let run = replay::run(scenario, IdSource::seeded(1));
    assert!(run.error.is_none(), "{name}: {:?}", run.error);
    let mut jsonl = Vec::new();
    replay::write_jsonl(&mut jsonl, &run.records, &run.config, false).expect("writing to a Vec");
    let mut timeline = Vec::new();
    replay::write_timeline(&mut timeline, &run.records).expect("writing to a Vec");
    format!(
        "{name} jsonl {:016x} timeline {:016x}\n",
        fnv1a(&jsonl),
        fnv1a(&timeline)
    )
}

#[test]
fn graph_output_has_not_moved_by_a_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/scenarios"))
        .expect("tests/scenarios exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".jsonl") && !name.starts_with("ext_")
        })
        .collect();
    names.sort();
    let mut got = hashes("demo", DEMO);
    for path in &names {
        let text = std::fs::read_to_string(path).expect("readable scenario");
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("");
        got.push_str(&hashes(name, &text));
    }
    let pinned_path = root.join("tests/golden/graph_defaults.txt");
    if std::env::var_os("IVR_BLESS").is_some() {
        std::fs::create_dir_all(root.join("tests/golden")).expect("can create tests/golden");
        std::fs::write(&pinned_path, &got).expect("can write the pins");
        return;
    }
    let pinned = std::fs::read_to_string(&pinned_path).expect("tests/golden/graph_defaults.txt");
    let mut moved = String::new();
    for (want, have) in pinned.lines().zip(got.lines()) {
        if want != have {
            let _ = writeln!(moved, "  pinned {want}\n  now    {have}");
        }
    }
    assert!(
        moved.is_empty() && pinned.lines().count() == got.lines().count(),
        "Graph output moved (re-pin with IVR_BLESS=1 only if that is meant):\n{moved}\
         ({} pinned, {} now)",
        pinned.lines().count(),
        got.lines().count()
    );
}
