//! Tests of the emulator's parts that need no Python: run with `cargo test`
//! (the example is built with `test = true`).
