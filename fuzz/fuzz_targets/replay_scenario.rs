//! The `ivr-replay` scenario parser and runner on arbitrary text: never
//! panics, a malformed line is named within the input, every output line
//! is JSON, and the HTML page lets no markup of the input through.

#![no_main]

use ivr_media_queue::IdSource;
use ivr_media_queue::replay;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let run = replay::run(text, IdSource::seeded(1));
    if let Some(error) = &run.error {
        assert!(
            error.line >= 1 && error.line <= text.lines().count(),
            "line {} of {}",
            error.line,
            text.lines().count()
        );
    }
    let mut out = Vec::new();
    replay::write_jsonl(&mut out, &run.records, &run.config, false).expect("writing to a Vec");
    for line in String::from_utf8(out).expect("UTF-8").lines() {
        let record: serde_json::Value =
            serde_json::from_str(line).expect("each output line is JSON");
        assert!(record["at_ms"].is_u64());
    }
    let mut timeline = Vec::new();
    replay::write_timeline(&mut timeline, &run.records).expect("writing to a Vec");
    // The HTML page escapes every input text: no markup gets in.
    let mut page = Vec::new();
    let mut html = replay::HtmlWriter::default();
    html.begin(&mut page).expect("writing to a Vec");
    html.write(&mut page, &run.records)
        .expect("writing to a Vec");
    html.end(&mut page).expect("writing to a Vec");
    let page = String::from_utf8(page).expect("UTF-8");
    assert!(!page.contains("<script") && !page.contains("<img") && !page.contains("<iframe"));
    assert_eq!(
        page.matches("<div class=\"step k-").count(),
        run.records.len()
    );
});
