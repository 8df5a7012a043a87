//! Parsing what a bot receives: never panics, and whatever parses writes
//! JSON that parses back to the same value.

#![no_main]

use ivr_media_queue::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = wire::parse_notifications(data) {
        let json = serde_json::to_vec(&parsed).expect("serializes");
        let again = wire::parse_notifications(&json).expect("our own JSON parses");
        assert_eq!(again, parsed);
    }
});
