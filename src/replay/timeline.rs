//! How a replay is printed as a timeline, for people: a time-ordered
//! story of bot requests, caller and media-layer events, and the service's
//! answers and notifications.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::ReplayRecord;
use crate::call::{CallView, CancelledAt};
use crate::io::{MediaCommand, Notification};
use crate::model::{OperationKind, OperationStatus};
use crate::time::Instant;

/// Writes the records as a time-ordered story: bot requests, caller and
/// media-layer events, the service's answers and notifications.
pub fn write_timeline(out: &mut impl Write, records: &[ReplayRecord]) -> io::Result<()> {
    TimelineWriter::default().write(out, records)
}

/// Writes a timeline a few records at a time, as a stream runs: the same
/// text as [`write_timeline`] of all the records at once. Everything that
/// came from the input (ids, URLs, bodies, clientContexts, messages) goes
/// through [`terminal_safe`].
#[derive(Clone, Debug, Default)]
pub struct TimelineWriter {
    /// The call of the last request, for the service's answer to it.
    last_call: String,
}

impl TimelineWriter {
    /// Writes the next records.
    pub fn write(&mut self, out: &mut impl Write, records: &[ReplayRecord]) -> io::Result<()> {
        for record in records {
            self.write_record(out, record)?;
        }
        Ok(())
    }

    fn write_record(&mut self, out: &mut impl Write, record: &ReplayRecord) -> io::Result<()> {
        let Told {
            at,
            call,
            who,
            text,
        } = tell(record, &mut self.last_call);
        let ms = at.as_millis();
        writeln!(
            out,
            "{:>6}.{:03}s  {:<10} {who:<9} {}",
            ms / 1000,
            ms % 1000,
            terminal_safe(&call),
            terminal_safe(text.trim_end())
        )
    }
}

/// One record as the timeline tells it (and the HTML diagram labels it).
pub(super) struct Told {
    pub(super) at: Instant,
    /// The call it is about (for a response, the call of the last request).
    pub(super) call: String,
    /// Who speaks: `bot`, `caller`, `service`, `notify`, `media`,
    /// `abandoned`, `trace`, `inspect` or `receipt`.
    pub(super) who: &'static str,
    pub(super) text: String,
}

/// Tells one record; `last_call` is the call of the last request, which
/// its response is about.
// One arm per record kind, each the wording of one timeline line: long as
// a table is, and kept whole so the wording reads in one place.
pub(super) fn tell(record: &ReplayRecord, last_call: &mut String) -> Told {
    let (at, call, who, text) = match record {
        ReplayRecord::Request {
            at,
            method,
            url,
            body,
        } => {
            let path = url.find("/calls/").map_or(url.as_str(), |i| &url[i + 1..]);
            path.split('/').nth(1).unwrap_or("").clone_into(last_call);
            let version = if url.contains("/beta/") { "beta " } else { "" };
            let body = String::from_utf8_lossy(body);
            let body = match body.char_indices().nth(97) {
                Some((cut, _)) if body.len() > 100 => format!("{}...", &body[..cut]),
                _ => body.into_owned(),
            };
            (
                *at,
                last_call.clone(),
                "bot",
                format!("{method} {version}{path} {body}"),
            )
        }
        ReplayRecord::Event {
            at,
            call,
            name,
            detail,
        } => (*at, call.to_string(), "caller", format!("{name} {detail}")),
        ReplayRecord::Response { at, response } => {
            let summary = match &response.body {
                Some(body) => summarize_body(body),
                None => String::new(),
            };
            (
                *at,
                last_call.clone(),
                "service",
                format!("{} {summary}", response.status),
            )
        }
        ReplayRecord::Notification {
            at,
            call,
            notification,
            ..
        } => (
            *at,
            call.to_string(),
            "notify",
            describe_notification(notification),
        ),
        ReplayRecord::Media {
            at, call, command, ..
        } => (*at, call.to_string(), "media", describe_command(command)),
        ReplayRecord::Abandoned {
            at, call, ended, ..
        } => (
            *at,
            call.to_string(),
            "abandoned",
            format!(
                "{} {} (the call ended; no notification)",
                ended.operation.kind.name(),
                short(ended.operation.id)
            ),
        ),
        ReplayRecord::Trace { at, text } => (*at, String::new(), "trace", text.clone()),
        ReplayRecord::CollectDigits {
            at,
            call,
            operation,
        } => (
            *at,
            call.to_string(),
            "bot",
            format!("collectDigits {} queued (extension)", short(operation.id)),
        ),
        ReplayRecord::Inspect { at, call, view } => (
            *at,
            call.to_string(),
            "inspect",
            describe_view(view.as_ref()),
        ),
        ReplayRecord::CancelReceipt { at, call, receipt } => {
            let ended: Vec<String> = receipt
                .ended
                .iter()
                .map(|e| match e.was {
                    CancelledAt::Running { position_ms, .. } => {
                        format!("{} (running, {position_ms} ms in)", short(e.operation.id))
                    }
                    CancelledAt::Queued { position } => {
                        format!("{} (queued #{position})", short(e.operation.id))
                    }
                })
                .collect();
            (
                *at,
                call.to_string(),
                "receipt",
                format!("cancel ended {}", ended.join(", ")),
            )
        }
    };
    Told {
        at,
        call,
        who,
        text,
    }
}

/// `text` as a terminal may show it: control characters (C0, DEL and C1,
/// so also the ESC of ANSI sequences), bidirectional-text controls and
/// line and paragraph separators are written as escapes (`\n`, `\r`,
/// `\t`, else `\u{1b}`); everything else is kept.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_on_a_terminal) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => safe.push_str("\\n"),
            '\r' => safe.push_str("\\r"),
            '\t' => safe.push_str("\\t"),
            c if unsafe_on_a_terminal(c) => {
                let _ = write!(safe, "\\u{{{:x}}}", u32::from(c));
            }
            c => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

fn unsafe_on_a_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn describe_view(view: Option<&CallView>) -> String {
    let Some(view) = view else {
        return "no such call".to_owned();
    };
    let active = view.active.as_ref().map_or("idle".to_owned(), |a| {
        format!(
            "{} {} {:?} since {}",
            a.operation.kind.name(),
            short(a.operation.id),
            a.phase,
            a.phase_since
        )
    });
    let queued: Vec<String> = view
        .queued
        .iter()
        .map(|op| format!("{} {}", op.kind.name(), short(op.id)))
        .collect();
    format!(
        "{active}; queued [{}]; tones {} ({} delivered)",
        queued.join(", "),
        if view.tone_subscription { "on" } else { "off" },
        view.tones_delivered
    )
}

fn summarize_body(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.to_owned();
    };
    if let Some(error) = value.get("error") {
        return format!(
            "{}: {}",
            error.get("code").and_then(|c| c.as_str()).unwrap_or(""),
            error.get("message").and_then(|m| m.as_str()).unwrap_or("")
        );
    }
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let kind = text("@odata.type").trim_start_matches("#microsoft.graph.");
    let id = text("id");
    let id: String = id.chars().take(8).collect();
    format!("{kind} {id} {}", text("status"))
}

/// The first 8 characters of an operation id, as the timeline and the
/// diagram show it.
pub(super) fn short(id: crate::id::OperationId) -> String {
    id.to_string()[..8].to_owned()
}

fn describe_notification(note: &Notification) -> String {
    match note {
        Notification::OperationEnded(ended) => {
            let op = &ended.operation;
            let result = crate::wire::graph_result(ended.reason(), op.kind);
            let status = if op.status == OperationStatus::Completed {
                "completed"
            } else {
                "failed"
            };
            let mut text = format!(
                "{} {} {status} {}/{} \"{}\"",
                op.kind.name(),
                short(op.id),
                result.result_info.code,
                result.result_info.subcode,
                result.result_info.message
            );
            if let Some(context) = &op.client_context {
                text.push_str(&format!(" [{context}]"));
            }
            if let Some(recording) = &op.recording {
                text.push_str(&format!(" -> {}", recording.location));
            }
            if op.kind == OperationKind::CollectDigits {
                text.push_str(&format!(" digits \"{}\" (extension)", ended.digits));
            }
            text
        }
        Notification::Tone { sequence_id, tone } => {
            format!("tone {tone} (sequenceId {sequence_id})")
        }
        Notification::CallEstablished => "call established".to_owned(),
        Notification::CallTerminating => "call terminating".to_owned(),
        Notification::CallTerminated { result } => {
            format!(
                "call terminated {}/{} \"{}\"",
                result.code, result.subcode, result.message
            )
        }
    }
}

fn describe_command(command: &MediaCommand) -> String {
    let op = short(command.operation());
    match command {
        MediaCommand::Play { prompt, index, .. } => {
            format!("play {} (prompt {index} of {op})", prompt.uri)
        }
        MediaCommand::StopPlayback { .. } => format!("stop playback ({op})"),
        MediaCommand::PlayBeep { .. } => format!("beep ({op})"),
        MediaCommand::StartRecording { .. } => format!("start recording ({op})"),
        MediaCommand::StopRecording { store: true, .. } => {
            format!("stop recording and store it ({op})")
        }
        MediaCommand::StopRecording { store: false, .. } => {
            format!("stop recording and discard it ({op})")
        }
    }
}
