//! How a replay is printed as JSON Lines (the default, for tools); the
//! timeline for people is in `timeline.rs`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;

use super::ReplayRecord;
use serde_json::{Value, json};

use super::ReplayConfig;
use crate::call::{CallView, CancelReceipt, CancelledAt, MediaPhase};
use crate::id::CallId;
use crate::io::{MediaCommand, Notification, OperationEnded};
use crate::model::{EndReason, Operation, OperationKind};
use crate::wire;

#[derive(Serialize)]
struct ResponseJson<'a> {
    status: u16,
    headers: Headers<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct Headers<'a> {
    #[serde(rename = "Location", skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

#[derive(Serialize)]
struct MediaJson<'a> {
    call: &'a str,
    command: &'static str,
    operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<&'a str>,
    #[serde(rename = "resourceId", skip_serializing_if = "Option::is_none")]
    resource_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<bool>,
}

/// Writes the records as JSON Lines (`pretty`: indented, one record after
/// another). Requests and events are inputs and are not written.
pub fn write_jsonl(
    out: &mut impl Write,
    records: &[ReplayRecord],
    config: &ReplayConfig,
    pretty: bool,
) -> io::Result<()> {
    let mut line = Vec::with_capacity(1024);
    for record in records {
        line.clear();
        if !write_record_json(&mut line, record, config)? {
            continue;
        }
        if pretty {
            out.write_all(indent(&line).as_bytes())?;
        } else {
            out.write_all(&line)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One record as a JSON object, `{"at_ms": .., ["seq": ..,] KIND: ..[,
/// "outcome": ..]}`; `false` (nothing written) for the inputs.
fn write_record_json(
    line: &mut Vec<u8>,
    record: &ReplayRecord,
    config: &ReplayConfig,
) -> io::Result<bool> {
    if let ReplayRecord::Request { .. } | ReplayRecord::Event { .. } = record {
        return Ok(false);
    }
    let at = record.at().as_millis();
    write!(line, "{{\"at_ms\":{at},")?;
    match record {
        ReplayRecord::Notification { seq, .. }
        | ReplayRecord::Media { seq, .. }
        | ReplayRecord::Abandoned { seq, .. }
            if config.sequence_numbers =>
        {
            write!(line, "\"seq\":{seq},")?;
        }
        _ => {}
    }
    let outcome = write_record_body(line, record, config)?;
    if let Some(ended) = outcome.filter(|_| config.outcomes) {
        line.extend_from_slice(b",\"outcome\":");
        serde_json::to_writer(&mut *line, &outcome_json(ended))?;
    }
    line.push(b'}');
    Ok(true)
}

/// The record's own key and value; returns the operation it ended, if any
/// (for the `outcome` extension).
fn write_record_body<'r>(
    line: &mut Vec<u8>,
    record: &'r ReplayRecord,
    config: &ReplayConfig,
) -> io::Result<Option<&'r OperationEnded>> {
    let mut outcome = None;
    match record {
        ReplayRecord::Response { response, .. } => {
            let body = response
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<&RawValue>(b).ok());
            line.extend_from_slice(b"\"response\":");
            serde_json::to_writer(
                &mut *line,
                &ResponseJson {
                    status: response.status,
                    headers: Headers {
                        location: response.location.as_deref(),
                    },
                    body,
                },
            )?;
        }
        ReplayRecord::Notification {
            call, notification, ..
        } => {
            if let Some(json) = wire::extension_notification_json(call, notification) {
                line.extend_from_slice(b"\"extensionNotification\":");
                line.extend_from_slice(json.as_bytes());
            } else {
                line.extend_from_slice(b"\"notification\":");
                wire::write_notifications(&mut *line, call, [notification], &config.wire);
            }
            if let Notification::OperationEnded(ended) = notification {
                outcome = Some(ended);
            }
        }
        ReplayRecord::CollectDigits {
            call, operation, ..
        } => {
            line.extend_from_slice(b"\"collectDigits\":");
            let record = merge(json!({"call": call.as_str()}), operation_brief(operation));
            serde_json::to_writer(&mut *line, &record)?;
        }
        ReplayRecord::Media { call, command, .. } => {
            line.extend_from_slice(b"\"media\":");
            serde_json::to_writer(&mut *line, &media_json(call.as_str(), command))?;
        }
        ReplayRecord::Abandoned { ended, .. } => {
            let text = format!(
                "operation {} abandoned: the call ended (no notification on the wire)",
                ended.operation.id
            );
            line.extend_from_slice(b"\"trace\":");
            serde_json::to_writer(&mut *line, &text)?;
            outcome = Some(ended);
        }
        ReplayRecord::Trace { text, .. } => {
            line.extend_from_slice(b"\"trace\":");
            serde_json::to_writer(&mut *line, text)?;
        }
        ReplayRecord::Inspect { call, view, .. } => {
            line.extend_from_slice(b"\"inspect\":");
            serde_json::to_writer(&mut *line, &inspect_json(call, view.as_ref()))?;
        }
        ReplayRecord::CancelReceipt { call, receipt, .. } => {
            line.extend_from_slice(b"\"cancelReceipt\":");
            serde_json::to_writer(&mut *line, &receipt_json(call, receipt))?;
        }
        ReplayRecord::Request { .. } | ReplayRecord::Event { .. } => {}
    }
    Ok(outcome)
}

/// The `outcome` of an ended operation (extension): its typed end reason,
/// what ended it, and what it had recorded if it ended unfinished.
fn outcome_json(ended: &OperationEnded) -> Value {
    let mut outcome = json!({"reason": ended.reason().name()});
    match ended.reason() {
        EndReason::StopToneDetected(tone) => outcome["tone"] = json!(tone.as_str()),
        EndReason::PromptFailed(failure) => outcome["failure"] = json!(failure.name()),
        EndReason::DigitsCollected(end) | EndReason::TooFewDigits(end) => {
            outcome["end"] = json!(end.name());
        }
        _ => {}
    }
    if ended.operation.kind == OperationKind::CollectDigits {
        outcome["digits"] = json!(ended.digits.to_string());
    }
    if let Some(by) = ended.ended_by {
        outcome["endedBy"] = json!(by.to_string());
    }
    if let Some(partial) = ended.partial_recording {
        outcome["partialRecording"] =
            json!({"recordedMs": partial.recorded_ms, "kept": partial.kept});
    }
    outcome
}

/// An operation in extension records: id, kind, clientContext, status.
fn operation_brief(op: &Operation) -> Value {
    json!({
        "id": op.id.to_string(),
        "kind": op.kind.name(),
        "clientContext": op.client_context.as_deref(),
        "status": op.status.as_str(),
    })
}

fn phase_json(phase: MediaPhase) -> Value {
    match phase {
        MediaPhase::Prompt { index, count } => {
            json!({"phase": "prompt", "prompt": index, "prompts": count})
        }
        MediaPhase::Beep => json!({"phase": "beep"}),
        MediaPhase::Recording => json!({"phase": "recording"}),
        MediaPhase::Storing => json!({"phase": "storing"}),
        MediaPhase::Collecting { digits } => json!({"phase": "collecting", "digits": digits}),
    }
}

fn merge(mut into: Value, from: Value) -> Value {
    if let (Value::Object(into), Value::Object(from)) = (&mut into, from) {
        into.extend(from);
    }
    into
}

/// The `inspect` record (extension): the call's queue as the engine holds it.
fn inspect_json(call: &CallId, view: Option<&CallView>) -> Value {
    let Some(view) = view else {
        return json!({"call": call.as_str(), "found": false});
    };
    let active = view.active.as_ref().map(|active| {
        let mut entry = merge(operation_brief(&active.operation), phase_json(active.phase));
        entry["phaseSinceMs"] = json!(active.phase_since.as_millis());
        entry
    });
    let queued: Vec<Value> = view
        .queued
        .iter()
        .enumerate()
        .map(|(i, op)| merge(json!({"position": i + 1}), operation_brief(op)))
        .collect();
    json!({
        "call": call.as_str(),
        "found": true,
        "active": active,
        "queued": queued,
        "toneSubscription": view.tone_subscription,
        "tonesDelivered": view.tones_delivered,
        "nextDeadlineMs": view.next_deadline.map(|d| d.as_millis()),
    })
}

/// The `cancelReceipt` record (extension): what a cancel ended.
fn receipt_json(call: &CallId, receipt: &CancelReceipt) -> Value {
    let ended: Vec<Value> = receipt
        .ended
        .iter()
        .map(|ended| {
            let was = match ended.was {
                CancelledAt::Running { phase, position_ms } => merge(
                    json!({"was": "running", "positionMs": position_ms}),
                    phase_json(phase),
                ),
                CancelledAt::Queued { position } => json!({"was": "queued", "position": position}),
            };
            merge(operation_brief(&ended.operation), was)
        })
        .collect();
    json!({"call": call.as_str(), "cancel": receipt.cancel.id.to_string(), "ended": ended})
}

fn media_json<'a>(call: &'a str, command: &'a MediaCommand) -> MediaJson<'a> {
    let mut json = MediaJson {
        call,
        command: command.name(),
        operation: command.operation().to_string(),
        index: None,
        uri: None,
        resource_id: None,
        store: None,
    };
    match command {
        MediaCommand::Play { index, prompt, .. } => {
            json.index = Some(*index);
            json.uri = Some(&prompt.uri);
            json.resource_id = prompt.resource_id.as_deref();
        }
        MediaCommand::StopRecording { store, .. } => json.store = Some(*store),
        _ => {}
    }
    json
}

/// Re-indents compact JSON (two spaces), keeping key order and bytes.
fn indent(compact: &[u8]) -> String {
    let text = String::from_utf8_lossy(compact);
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        (0..depth).for_each(|_| out.push_str("  "));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(c));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}
