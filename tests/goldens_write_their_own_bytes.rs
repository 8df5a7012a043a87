//! The writer's bytes are the goldens' bytes: every format-2 golden reads
//! and writes back to itself, and every format-1 golden writes the format-2
//! golden of the same scenario. (Guards refactors of src/snapshot.)

use std::fs;
use std::path::Path;

use ivr_media_queue::{CallSnapshot, EngineSnapshot};

fn written(kind: &str, bytes: &[u8]) -> Vec<u8> {
    match kind {
        "call" => CallSnapshot::from_json(bytes).unwrap().to_json(),
        _ => EngineSnapshot::from_json(bytes).unwrap().to_json(),
    }
}

#[test]
fn goldens_write_their_own_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut checked = 0;
    for kind in ["call", "engine"] {
        for entry in fs::read_dir(root.join(format!("{kind}-2"))).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".snapshot.json") {
                continue;
            }
            let v2 = fs::read(&path).unwrap();
            assert!(
                written(kind, &v2) == v2,
                "{kind}-2/{name} does not write itself"
            );
            let v1 = root.join(format!("{kind}-1")).join(&name);
            if let Ok(v1) = fs::read(&v1) {
                assert!(
                    written(kind, &v1) == v2,
                    "{kind}-1/{name} does not write {kind}-2/{name}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 14, "only {checked} goldens");
}
