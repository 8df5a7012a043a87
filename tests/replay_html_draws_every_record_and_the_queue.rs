//! `ivr-replay --format html`: one self-contained page with a row (an arrow
//! between two lanes) for every record the timeline tells, the queue after
//! each step, cancelled and displaced operations marked, every text from
//! the input escaped, nothing fetched, and a page closed whole even when a
//! line stops the run. (`.ci/run` also loads it in a headless Chromium.)
#![cfg(feature = "replay")]

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{
    self, DEFAULT_MAX_LINE_BYTES, OutputFormat, ReplayOptions, StreamOptions,
};

const HOSTILE: &str = r#"<script>alert(1)</script> & \"q\" 'x'"#;

fn scenario() -> String {
    let play = |at: u64, context: &str| {
        format!(
            r#"{{"at_ms":{at},"request":{{"url":"/communications/calls/c1/playPrompt","body":{{"clientContext":"{context}","prompts":[{{"mediaInfo":{{"uri":"https://x.example/{at}.wav"}}}}]}}}}}}"#
        )
    };
    [
        r#"{"at_ms":0,"event":"callEstablished","call":"c1"}"#.to_owned(),
        play(10, HOSTILE),
        play(20, "second"),
        // Ends the hostile one (running) and the second (queued).
        r#"{"at_ms":30,"request":{"url":"/communications/calls/c1/cancelMediaProcessing","body":{"clientContext":"cancel"}}}"#.to_owned(),
        play(40, "third"),
        // Displaces the third.
        r#"{"at_ms":50,"request":{"url":"/communications/calls/c1/recordResponse","body":{"clientContext":"barge","bargeInAllowed":true}}}"#.to_owned(),
        r#"{"at_ms":60,"event":"beepFinished","call":"c1"}"#.to_owned(),
        r#"{"at_ms":70,"event":"tone","call":"c1","tone":"5"}"#.to_owned(),
    ]
    .join("\n")
}

fn run(input: &str, format: OutputFormat) -> (String, bool) {
    let mut out = Vec::new();
    let options = StreamOptions {
        replay: ReplayOptions {
            ids: IdSource::seeded(1),
            snapshot_at: None,
        },
        format,
        max_line_bytes: DEFAULT_MAX_LINE_BYTES,
    };
    let ok = replay::stream(input.as_bytes(), &mut out, options).is_ok();
    (String::from_utf8(out).expect("the page is UTF-8"), ok)
}

fn rows(page: &str) -> Vec<&str> {
    page.lines()
        .filter(|line| line.starts_with("<div class=\"step k-"))
        .collect()
}

#[test]
fn every_record_is_one_row_with_an_arrow_in_its_lanes() {
    let (page, ok) = run(&scenario(), OutputFormat::Html);
    assert!(ok);
    let (timeline, _) = run(&scenario(), OutputFormat::Timeline);
    let rows = rows(&page);
    assert_eq!(rows.len(), timeline.lines().count(), "{page}");
    assert!(rows.iter().all(|row| row.contains("<svg class=\"arrow\"")));
    // Four lanes named once, in the header.
    for lane in ["bot", "service", "media layer", "caller"] {
        assert_eq!(
            page.matches(&format!(">{lane}</text>")).count(),
            1,
            "{lane}"
        );
    }
    // Requests go right from the bot (x 55) to the service (x 165);
    // responses come back; media commands go on to the media layer (x 275);
    // the caller's tone (x 385) comes left to the service.
    let kinds = |kind: &str| rows.iter().filter(|r| r.contains(kind)).count();
    assert_eq!(kinds("k-request"), 5);
    assert_eq!(kinds("k-response"), 5);
    assert!(kinds("k-media") >= 3, "{page}");
    let tone = rows
        .iter()
        .find(|r| r.contains("tone tone5"))
        .expect("a tone row");
    assert!(
        tone.contains("k-event") && tone.contains("x1=\"385\""),
        "{tone}"
    );
    let request = rows.iter().find(|r| r.contains("k-request")).unwrap();
    assert!(request.contains("<line x1=\"55\""), "{request}");
}

#[test]
fn cancelled_and_displaced_operations_are_marked() {
    let (page, _) = run(&scenario(), OutputFormat::Html);
    let rows = rows(&page);
    let marked = |class: &str, word: &str| {
        rows.iter()
            .filter(|r| r.contains(&format!("k-notification {class}\"")) && r.contains(word))
            .count()
    };
    assert_eq!(marked("cancelled", "cancelled while running"), 1, "{page}");
    assert_eq!(marked("cancelled", "cancelled while queued"), 1, "{page}");
    assert_eq!(marked("displaced", "displaced by a barge-in"), 1, "{page}");
}

#[test]
fn the_queue_column_shows_what_plays_and_what_waits() {
    let (page, _) = run(&scenario(), OutputFormat::Html);
    let rows = rows(&page);
    // The first prompt's response: it waits for its media command (the
    // next row), then plays.
    assert!(
        rows[2].contains("k-response") && rows[2].contains("idle</span>"),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains("k-media") && rows[3].contains("\u{25b6} playPrompt"),
        "{}",
        rows[3]
    );
    // The second prompt's response: the first plays, the second waits.
    let second = rows
        .iter()
        .find(|r| {
            r.contains("k-response") && r.contains("waits\">playPrompt") && r.contains("[second]")
        })
        .expect("a response row with the second prompt waiting");
    assert!(second.contains("\u{25b6} playPrompt"), "{second}");
    // After the cancel, nothing plays and nothing waits.
    let cancel = rows
        .iter()
        .find(|r| r.contains("cancelled while queued"))
        .unwrap();
    assert!(
        cancel.contains("idle</span> | <span class=\"waits\">nothing"),
        "{cancel}"
    );
    // The barge-in record plays at the end (the last row of the call; a
    // trace of the ignored tone, about no call, comes after it).
    let last = rows
        .iter()
        .rev()
        .find(|r| r.contains("<span class=\"call\">c1</span>"))
        .unwrap();
    assert!(
        last.contains("\u{25b6} record") && last.contains("[barge]"),
        "{last}"
    );
}

#[test]
fn input_text_is_escaped_and_nothing_is_fetched() {
    let (page, _) = run(&scenario(), OutputFormat::Html);
    assert!(!page.contains("<script"), "a clientContext became markup");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;x&#39;"));
    for attribute in ["src=", "@import", "url("] {
        assert!(!page.contains(attribute), "{attribute} in the page");
    }
    let hrefs: Vec<&str> = page
        .match_indices("href=\"")
        .map(|(i, _)| &page[i..])
        .collect();
    assert!(
        hrefs.iter().all(|h| h.starts_with("href=\"data:")),
        "{hrefs:?}"
    );
}

#[test]
fn a_line_that_stops_the_run_still_leaves_a_whole_page() {
    let input = format!("{}\n{{\"at_ms\": \"soon\"}}\n", scenario());
    let (page, ok) = run(&input, OutputFormat::Html);
    assert!(!ok, "the malformed line stops the run");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.ends_with("</div>\n</body></html>\n"), "{page}");
    assert_eq!(page.matches("<html").count(), 1);
}
