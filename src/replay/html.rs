//! A replay as one self-contained HTML page: a sequence diagram with a lane
//! each for the bot, the service (the engine), the media layer and the
//! caller; every request, response, notification, media command and event
//! an arrow at its time, labelled as the timeline tells it; beside each,
//! the call's queue after it (what plays, what waits). Cancelled and
//! displaced operations are marked. Inline CSS and SVG only: no script, no
//! network, nothing outside the file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::ReplayRecord;
use super::timeline::{short, tell};
use crate::id::OperationId;
use crate::io::{Notification, OperationEnded};
use crate::model::EndReason;

/// The lanes, left to right.
const LANES: [&str; 4] = ["bot", "service", "media layer", "caller"];
const BOT: usize = 0;
const SERVICE: usize = 1;
const MEDIA: usize = 2;
const CALLER: usize = 3;
/// Pixels between lanes, and the diagram's width.
const LANE_GAP: usize = 110;
const WIDTH: usize = LANE_GAP * LANES.len();
const ROW_HEIGHT: usize = 26;

/// The events the media layer reports (the others come from the caller).
const MEDIA_EVENTS: [&str; 7] = [
    "playbackFinished",
    "playbackFailed",
    "beepFinished",
    "beepFailed",
    "recordingStored",
    "recordingFailed",
    "mediaReceiveTimeout",
];

const STYLE: &str = "\
body{font:13px/1.35 system-ui,sans-serif;margin:16px;color:#1d232a;background:#fff}\
h1{font-size:17px;margin:0 0 4px}p.note{margin:0 0 12px;color:#555}\
.step{display:grid;grid-template-columns:5.5em 7em 440px minmax(18em,1fr) 24em;align-items:center;border-bottom:1px solid #eef0f2}\
.step>span{padding:0 6px;overflow-wrap:anywhere}\
.step>span.d{padding:0;align-self:stretch;display:flex;align-items:center;\
background:repeating-linear-gradient(to right,transparent 0 54px,#c9d1d9 54px 56px,transparent 56px 110px)}\
.head{position:sticky;top:0;background:#f6f8fa;font-weight:600;border-bottom:2px solid #c9d1d9}\
.head svg text{font-weight:600}\
.t,.call{font-family:ui-monospace,monospace;color:#555}\
svg{display:block}\
.a line{stroke-width:1.6}.a polygon{stroke:none}\
.k-request .a line{stroke:#0b5fff}.k-request .a polygon{fill:#0b5fff}\
.k-response .a line{stroke:#0b5fff;stroke-dasharray:4 3}.k-response .a polygon{fill:#0b5fff}\
.k-notification .a line{stroke:#1a7f37}.k-notification .a polygon{fill:#1a7f37}\
.k-media .a line{stroke:#8250df}.k-media .a polygon{fill:#8250df}\
.k-event .a line{stroke:#bc4c00}.k-event .a polygon{fill:#bc4c00}\
.k-note .a circle{fill:#6e7781}\
.cancelled{background:#fff1f0}.cancelled .label{color:#cf222e}\
.displaced{background:#fff8e5}.displaced .label{color:#9a6700}\
.mark{font-weight:600;margin-right:4px}\
.queue{font-family:ui-monospace,monospace;font-size:12px;color:#333}\
.queue .plays{color:#1a7f37}.queue .waits{color:#555}";

/// An operation the diagram shows in a call's queue.
#[derive(Clone, Debug)]
struct Shown {
    id: OperationId,
    text: String,
}

/// What a call's queue holds, as the records tell it: an operation waits
/// from its `POST` response until its first media command, plays until it
/// ends.
#[derive(Clone, Debug, Default)]
struct Queue {
    plays: Option<Shown>,
    waits: Vec<Shown>,
}

/// Writes a replay as an HTML page, a few records at a time as a stream
/// runs: [`HtmlWriter::begin`] once, [`HtmlWriter::write`] as records come,
/// [`HtmlWriter::end`] once (also after a line stopped the run, so that
/// the page is whole). Every text from the input is HTML-escaped.
#[derive(Clone, Debug, Default)]
pub struct HtmlWriter {
    last_call: String,
    /// Live calls only: a call's queue goes when the call ends.
    queues: HashMap<String, Queue>,
}

impl HtmlWriter {
    /// The page's head, its title and the lanes' header row.
    pub fn begin(&mut self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>ivr-replay</title><link rel=\"icon\" href=\"data:,\">\
             <style>{STYLE}</style></head><body>\n\
             <h1>ivr-replay: the call as a sequence diagram</h1>\
             <p class=\"note\">Each arrow is one request, response, notification, media \
             command or event, at its time on the virtual clock; the last column is the \
             call's queue after it.</p>\n<div class=\"diagram\">\n\
             <div class=\"step head\"><span>time</span><span>call</span>{}\
             <span>what</span><span>queue: plays | waits</span></div>\n",
            lanes_svg()
        )
    }

    /// The rows of the next records.
    pub fn write(&mut self, out: &mut impl Write, records: &[ReplayRecord]) -> io::Result<()> {
        for record in records {
            let told = tell(record, &mut self.last_call);
            let (kind, from, to) = direction(record);
            let mark = self.follow(record, &told.call);
            let queue = self.queue_text(&told.call);
            let ms = told.at.as_millis();
            let mut row = String::with_capacity(1024);
            let _ = write!(
                row,
                "<div class=\"step k-{kind}{}\"><span class=\"t\">{}.{:03}s</span>\
                 <span class=\"call\">{}</span>{}<span class=\"label\">",
                mark.map_or(String::new(), |(class, _)| format!(" {class}")),
                ms / 1000,
                ms % 1000,
                escape(&told.call),
                arrow_svg(from, to),
            );
            if let Some((_, label)) = mark {
                let _ = write!(row, "<span class=\"mark\">{label}</span>");
            }
            let _ = writeln!(
                row,
                "{}</span><span class=\"queue\">{queue}</span></div>",
                escape(told.text.trim_end())
            );
            out.write_all(row.as_bytes())?;
        }
        Ok(())
    }

    /// Closes the page.
    pub fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(b"</div>\n</body></html>\n")
    }

    /// Follows the call's queue through the record; gives the row's mark
    /// (a class and a word) for an operation cancelled or displaced.
    fn follow(
        &mut self,
        record: &ReplayRecord,
        call: &str,
    ) -> Option<(&'static str, &'static str)> {
        match record {
            ReplayRecord::Response { response, .. } => {
                let body = response.body.as_deref()?;
                let id = response.created?;
                let value: serde_json::Value = serde_json::from_str(body).ok()?;
                let kind = value.get("@odata.type")?.as_str()?;
                let kind = kind
                    .trim_start_matches("#microsoft.graph.")
                    .trim_end_matches("Operation");
                if value.get("status")?.as_str()? == "completed" {
                    return None;
                }
                let context = value.get("clientContext").and_then(|c| c.as_str());
                let queue = self.queues.entry(call.to_owned()).or_default();
                if !queue.holds(id) {
                    let text = shown_text(kind, id, context);
                    queue.waits.push(Shown { id, text });
                }
                None
            }
            ReplayRecord::CollectDigits { operation, .. } => {
                let id = operation.id;
                let context = operation.client_context.as_deref();
                let text = shown_text(operation.kind.name(), id, context);
                let queue = self.queues.entry(call.to_owned()).or_default();
                if !queue.holds(id) {
                    queue.waits.push(Shown { id, text });
                }
                None
            }
            ReplayRecord::Media { command, .. } => {
                let id = command.operation();
                let queue = self.queues.entry(call.to_owned()).or_default();
                if queue.plays.as_ref().is_none_or(|p| p.id != id) {
                    let at = queue.waits.iter().position(|w| w.id == id);
                    queue.plays = at.map(|at| queue.waits.remove(at)).or(Some(Shown {
                        text: shown_text("operation", id, None),
                        id,
                    }));
                }
                None
            }
            ReplayRecord::Notification { notification, .. } => match notification {
                Notification::OperationEnded(ended) => self.ended(call, ended),
                Notification::CallTerminated { .. } => {
                    self.queues.remove(call);
                    None
                }
                _ => None,
            },
            ReplayRecord::Abandoned { ended, .. } => self.ended(call, ended),
            _ => None,
        }
    }

    fn ended(
        &mut self,
        call: &str,
        ended: &OperationEnded,
    ) -> Option<(&'static str, &'static str)> {
        let id = ended.operation.id;
        if let Some(queue) = self.queues.get_mut(call) {
            if queue.plays.as_ref().is_some_and(|p| p.id == id) {
                queue.plays = None;
            }
            queue.waits.retain(|w| w.id != id);
        }
        match ended.reason {
            EndReason::CancelledWhileRunning => Some(("cancelled", "cancelled while running")),
            EndReason::CancelledWhileQueued => Some(("cancelled", "cancelled while queued")),
            EndReason::DisplacedByBargeIn => Some(("displaced", "displaced by a barge-in")),
            _ => None,
        }
    }

    fn queue_text(&self, call: &str) -> String {
        let Some(queue) = self.queues.get(call) else {
            return String::new();
        };
        let plays = queue.plays.as_ref().map_or("idle".to_owned(), |p| {
            format!("\u{25b6} {}", escape(&p.text))
        });
        let waits: Vec<String> = queue.waits.iter().map(|w| escape(&w.text)).collect();
        format!(
            "<span class=\"plays\">{plays}</span> | <span class=\"waits\">{}</span>",
            if waits.is_empty() {
                "nothing".to_owned()
            } else {
                waits.join(", ")
            }
        )
    }
}

impl Queue {
    fn holds(&self, id: OperationId) -> bool {
        self.plays.as_ref().is_some_and(|p| p.id == id) || self.waits.iter().any(|w| w.id == id)
    }
}

fn shown_text(kind: &str, id: OperationId, context: Option<&str>) -> String {
    let short = short(id);
    match context {
        Some(context) => format!("{kind} {short} [{context}]"),
        None => format!("{kind} {short}"),
    }
}

/// The arrow's style and its lanes, from and to (equal for a note).
fn direction(record: &ReplayRecord) -> (&'static str, usize, usize) {
    match record {
        ReplayRecord::Request { .. } | ReplayRecord::CollectDigits { .. } => {
            ("request", BOT, SERVICE)
        }
        ReplayRecord::Response { .. } => ("response", SERVICE, BOT),
        ReplayRecord::Notification { .. }
        | ReplayRecord::Inspect { .. }
        | ReplayRecord::CancelReceipt { .. } => ("notification", SERVICE, BOT),
        ReplayRecord::Media { .. } => ("media", SERVICE, MEDIA),
        ReplayRecord::Event { name, .. } if MEDIA_EVENTS.contains(&name.as_str()) => {
            ("event", MEDIA, SERVICE)
        }
        ReplayRecord::Event { .. } => ("event", CALLER, SERVICE),
        ReplayRecord::Abandoned { .. } | ReplayRecord::Trace { .. } => ("note", SERVICE, SERVICE),
    }
}

fn lane_x(lane: usize) -> usize {
    lane * LANE_GAP + LANE_GAP / 2
}

/// The header's lane names.
fn lanes_svg() -> String {
    let mut svg = format!(
        "<svg class=\"lanes\" width=\"{WIDTH}\" height=\"{ROW_HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {ROW_HEIGHT}\">"
    );
    for (lane, name) in LANES.iter().enumerate() {
        let x = lane_x(lane);
        let _ = write!(
            svg,
            "<text class=\"lane\" x=\"{x}\" y=\"17\" text-anchor=\"middle\">{name}</text>"
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One row's arrow (a dot for a note). The lanes behind it are the cell's
/// background, so that they run on through rows that wrap.
fn arrow_svg(from: usize, to: usize) -> String {
    let mut svg = format!(
        "<span class=\"d\"><svg class=\"arrow\" width=\"{WIDTH}\" height=\"{ROW_HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {ROW_HEIGHT}\"><g class=\"a\">"
    );
    let y = ROW_HEIGHT / 2;
    let (x1, x2) = (lane_x(from), lane_x(to));
    if from == to {
        let _ = write!(svg, "<circle cx=\"{x1}\" cy=\"{y}\" r=\"4\"/>");
    } else {
        // The head points at `to`, 8 px long.
        let (tip, back) = if x2 > x1 {
            (x2 - 1, x2 - 9)
        } else {
            (x2 + 1, x2 + 9)
        };
        let _ = write!(
            svg,
            "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{back}\" y2=\"{y}\"/>\
             <polygon points=\"{tip},{y} {back},{} {back},{}\"/>",
            y - 4,
            y + 4
        );
    }
    svg.push_str("</g></svg></span>");
    svg
}

/// `text` as HTML text or an attribute value: `&`, `<`, `>`, `"` and `'`
/// escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
