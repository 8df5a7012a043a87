//! The test's controls (EMULATOR.md, "The caller and the test's controls"):
//! offers, caller events and scripts, a call's state, log and exported
//! scenario, fault rules.

use std::time::Duration;

use ivr_media_queue::replay::{ReplayRecord, Replayer, TimelineWriter, terminal_safe, write_jsonl};
use ivr_media_queue::{CallId, Instant, MAX_CALL_ID_BYTES};
use serde_json::{Map, Value, json};

use super::graph::{json_object, json_object_or_empty};
use super::{
    Call, CallState, CallerEvent, LogEntry, MAX_CALL_BYTES, MAX_EVERY_CALL_FAULTS, MAX_KEPT_BYTES,
    MAX_SOURCE_BYTES, OFFER_TIMEOUT_MS, Reply, World, short,
};

impl World {
    /// Serves `/emulator/...` (EMULATOR.md, "The caller and the test's
    /// controls"). `path` has no query; `query` is what followed `?`.
    pub fn control(
        &self,
        now: Instant,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Reply {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let method = method.to_ascii_uppercase();
        let no_such = || {
            Reply::error(
                404,
                format!("no such emulator resource: {method} {}", short(path)),
            )
        };
        match (method.as_str(), segments.get(1..).unwrap_or_default()) {
            ("POST", ["calls"]) => self.offer(now, body),
            ("POST", ["faults"]) => self.add_faults(now, body),
            (_, ["calls", id, rest @ ..]) => {
                let Some(id) = percent_decoded(id) else {
                    return Reply::error(400, "call id: not valid percent-encoded UTF-8");
                };
                let id = CallId::new(&id);
                let served = self.with_call(&id, now, |call| match (method.as_str(), rest) {
                    ("GET", []) => call.state_json(),
                    ("POST", ["events"]) => call.caller_event(body),
                    ("POST", ["script"]) => call.caller_script(body),
                    ("GET", ["log"]) => call.log_text(query),
                    ("GET", ["scenario"]) => call.scenario_text(),
                    _ => no_such(),
                });
                served.unwrap_or_else(|| {
                    Reply::error(404, format!("call '{}' was not found", short(id.as_str())))
                })
            }
            _ => no_such(),
        }
    }

    fn offer(&self, now: Instant, body: &[u8]) -> Reply {
        let offer = match json_object_or_empty(body) {
            Ok(offer) => offer,
            Err(reply) => return reply,
        };
        if let Some(key) = offer
            .keys()
            .find(|k| !["callId", "source", "script"].contains(&k.as_str()))
        {
            return Reply::error(
                400,
                format!("{key}: unknown field (an offer has callId, source, script)"),
            );
        }
        let Some(bot_callback) = self.config.bot_callback.clone() else {
            return Reply::error(
                409,
                "bot-callback: the emulator was started without --bot-callback, so it cannot offer calls",
            );
        };
        let id = match offer.get("callId") {
            None | Some(Value::Null) => self.new_call_id(),
            Some(Value::String(id)) => match CallId::parse(id) {
                Ok(id) => id,
                Err(why) => {
                    return Reply::error(
                        400,
                        format!("callId: {why} (at most {MAX_CALL_ID_BYTES} bytes)"),
                    );
                }
            },
            Some(other) => {
                return Reply::error(
                    400,
                    format!(
                        "callId: must be a string, got {}",
                        short(&other.to_string())
                    ),
                );
            }
        };
        let identity = match offer.get("source") {
            None | Some(Value::Null) => json!({
                "@odata.type": "#microsoft.graph.identitySet",
                "phone": {"@odata.type": "#microsoft.graph.identity", "id": "+15555550100"},
            }),
            Some(source @ Value::Object(_)) if source.to_string().len() > MAX_SOURCE_BYTES => {
                return Reply::error(
                    400,
                    format!("source: at most {MAX_SOURCE_BYTES} bytes of JSON"),
                );
            }
            Some(Value::Object(source)) => Value::Object(source.clone()),
            Some(other) => {
                return Reply::error(
                    400,
                    format!(
                        "source: must be an identitySet object, got {}",
                        short(&other.to_string())
                    ),
                );
            }
        };
        let script = match offer.get("script") {
            None | Some(Value::Null) => Vec::new(),
            Some(script) => match parse_script(script, &id) {
                Ok(script) => script,
                Err(reply) => return reply,
            },
        };
        let source =
            json!({"@odata.type": "#microsoft.graph.participantInfo", "identity": identity});
        let created = self.create(
            id.clone(),
            now,
            CallState::Incoming,
            "incoming",
            source,
            |call| {
                call.entry.script_on_establish = script;
                call.entry.offer_expires =
                    Some(now.saturating_add(Duration::from_millis(OFFER_TIMEOUT_MS)));
                let resource = call.entry.resource();
                call.log_emulator(now, json!({"offer": bot_callback, "answer": 201}));
                call.send_call_state(now, "created", resource);
            },
        );
        match created {
            Ok(()) => Reply::json(201, &json!({"callId": id.as_str()})),
            Err(reply) => reply,
        }
    }

    fn add_faults(&self, now: Instant, body: &[u8]) -> Reply {
        let rules = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(rules)) => rules,
            Ok(rule @ Value::Object(_)) => vec![rule],
            Ok(_) => {
                return Reply::error(400, "body: must be a fault rule object or an array of them");
            }
            Err(e) => return Reply::error(400, format!("body: not valid JSON: {e}")),
        };
        let mut targets = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let line = json!({"at_ms": 0, "fault": rule}).to_string();
            if let Err(message) = Replayer::check_line(&line) {
                return Reply::error(400, format!("rules[{i}]: {message}"));
            }
            targets.push(match rule.get("call") {
                Some(Value::String(call)) => Some(CallId::new(call)),
                _ => None,
            });
        }
        // Every rule's calls, chosen under the registry's lock: a call made
        // meanwhile gets the rules for every call when it is made.
        let calls_per_rule: Vec<Vec<CallId>> = {
            let mut registry = self.registry.lock();
            for (i, call) in targets.iter().enumerate() {
                if let Some(call) = call.as_ref().filter(|c| !registry.calls.contains_key(*c)) {
                    return Reply::error(
                        404,
                        format!(
                            "rules[{i}].call: call '{}' was not found",
                            short(call.as_str())
                        ),
                    );
                }
            }
            let every = targets.iter().filter(|t| t.is_none()).count();
            if registry.every_call_faults.len() + every > MAX_EVERY_CALL_FAULTS {
                return Reply::error(
                    400,
                    format!(
                        "rules: at most {MAX_EVERY_CALL_FAULTS} rules for every call may be set"
                    ),
                );
            }
            let live: Vec<CallId> = registry
                .calls
                .keys()
                .filter(|id| !registry.ended.contains(id))
                .cloned()
                .collect();
            rules
                .iter()
                .zip(&targets)
                .map(|(rule, call)| match call {
                    Some(call) => vec![call.clone()],
                    None => {
                        registry.every_call_faults.push(rule.clone());
                        live.clone()
                    }
                })
                .collect()
        };
        for (rule, calls) in rules.into_iter().zip(calls_per_rule) {
            for id in calls {
                self.with_call(&id, now, |call| {
                    let now = call.now;
                    call.feed(now, json!({ "fault": rule }));
                });
            }
        }
        Reply::empty(202)
    }
}

impl Call<'_> {
    fn established(&self) -> Result<(), Reply> {
        match self.entry.state {
            CallState::Established => Ok(()),
            state => Err(Reply::error(
                409,
                format!(
                    "call: caller events need an established call; this one is {}",
                    state.as_str()
                ),
            )),
        }
    }

    fn caller_event(&mut self, body: &[u8]) -> Reply {
        let id = self.id();
        let mut event = match json_object(body).and_then(|e| checked_event(e, &id, "")) {
            Ok(event) => event,
            Err(reply) => return reply,
        };
        if let Err(reply) = self.established() {
            return reply;
        }
        event.insert("call".to_owned(), json!(id.as_str()));
        let now = self.now;
        self.feed(now, Value::Object(event));
        Reply::empty(202)
    }

    fn caller_script(&mut self, body: &[u8]) -> Reply {
        let script = match serde_json::from_slice::<Value>(body) {
            Ok(script) => match parse_script(&script, &self.id()) {
                Ok(script) => script,
                Err(reply) => return reply,
            },
            Err(e) => return Reply::error(400, format!("body: not valid JSON: {e}")),
        };
        if let Err(reply) = self.established() {
            return reply;
        }
        if let Err(full) = self.entry.script.handle_script(self.now, script) {
            return Reply::error(400, format!("script: {full}"));
        }
        Reply::empty(202)
    }

    fn state_json(&mut self) -> Reply {
        let entry = &*self.entry;
        let inspect = ReplayRecord::Inspect {
            at: self.now,
            call: entry.id.clone(),
            view: entry.run.view(&entry.id),
        };
        let mut line = Vec::new();
        let _ = write_jsonl(
            &mut line,
            std::slice::from_ref(&inspect),
            &self.world.replay,
            false,
        );
        let queue = serde_json::from_slice::<Value>(&line)
            .ok()
            .and_then(|mut v| v.get_mut("inspect").map(Value::take))
            .unwrap_or(Value::Null);
        let stats = entry.stats;
        Reply::json(
            200,
            &json!({
                "callId": entry.id.as_str(),
                "state": entry.state.as_str(),
                "direction": entry.direction,
                "queue": queue,
                "delivery": {
                    "sent": stats.sent,
                    "retried": stats.retried,
                    "dropped": stats.dropped,
                    "pending": entry.outbox.len(),
                },
                "logDropped": entry.log_dropped,
            }),
        )
    }

    fn log_text(&mut self, query: &str) -> Reply {
        let formats: Vec<&str> = query
            .split('&')
            .filter_map(|p| p.strip_prefix("format="))
            .collect();
        let timeline = match formats.as_slice() {
            [] | ["jsonl"] => false,
            ["timeline"] => true,
            _ => return Reply::error(400, "format: must be given once, jsonl or timeline"),
        };
        let entry = &*self.entry;
        let mut out = Vec::new();
        let mut writer = TimelineWriter::default();
        for logged in &entry.log {
            match (logged, timeline) {
                (LogEntry::Engine(record), false) => {
                    let record = std::slice::from_ref(record);
                    let _ = write_jsonl(&mut out, record, &self.world.replay, false);
                }
                (LogEntry::Engine(record), true) => {
                    let _ = writer.write(&mut out, std::slice::from_ref(record));
                }
                (LogEntry::Emulator(at, note), false) => {
                    let line = json!({"at_ms": at.as_millis(), "emulator": note});
                    out.extend_from_slice(line.to_string().as_bytes());
                    out.push(b'\n');
                }
                (LogEntry::Emulator(at, note), true) => {
                    // The timeline's own layout (`TimelineWriter`).
                    let ms = at.as_millis();
                    let text = format!(
                        "{:>6}.{:03}s  {:<10} {:<9} {}\n",
                        ms / 1000,
                        ms % 1000,
                        terminal_safe(entry.id.as_str()),
                        "emulator",
                        terminal_safe(&note.to_string())
                    );
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
        let content_type = if timeline {
            "text/plain; charset=utf-8"
        } else {
            "application/x-ndjson"
        };
        Reply::text(
            200,
            content_type,
            String::from_utf8_lossy(&out).into_owned(),
        )
    }

    fn scenario_text(&mut self) -> Reply {
        let entry = &*self.entry;
        if !entry.scenario_complete || entry.log_dropped > 0 {
            return Reply::error(
                409,
                format!(
                    "scenario: the call's log and inputs passed {MAX_CALL_BYTES} bytes (or all calls' passed {MAX_KEPT_BYTES}) and are no longer kept"
                ),
            );
        }
        let seed = self.world.config.seed.unwrap_or_default();
        let mut text =
            format!("// graph_emulator --seed {seed}: replay with ivr-replay --seed {seed}\n");
        text.push_str(&entry.scenario.join("\n"));
        text.push('\n');
        text.push_str(&json!({"at_ms": self.now.as_millis()}).to_string());
        text.push('\n');
        Reply::text(200, "application/x-ndjson", text)
    }
}

/// A caller event from outside: an object in `ivr-replay`'s event shape,
/// without `at_ms` and `call` (`at_ms` allowed only in scripts).
fn checked_event(
    mut event: Map<String, Value>,
    id: &CallId,
    field: &str,
) -> Result<Map<String, Value>, Reply> {
    const KEYS: [&str; 5] = ["event", "tone", "reason", "operation", "resultInfo"];
    if let Some(key) = event.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Reply::error(
            400,
            format!(
                "{field}{key}: unknown field (an event has event, tone, reason, operation, resultInfo)"
            ),
        ));
    }
    if !event.contains_key("event") {
        return Err(Reply::error(
            400,
            format!(
                "{field}event: is required (tone, speechStarted, speechStopped, mediaReceiveTimeout, callTerminated, ...)"
            ),
        ));
    }
    if event
        .get("operation")
        .and_then(Value::as_str)
        .is_some_and(|op| op.starts_with("$op"))
    {
        return Err(Reply::error(
            400,
            format!("{field}operation: must be an operation id ($opN names nothing here)"),
        ));
    }
    if event.get("event").and_then(Value::as_str) == Some("callEstablished") {
        return Err(Reply::error(
            400,
            format!("{field}event: callEstablished is the emulator's to send (answer the call)"),
        ));
    }
    event.insert("call".to_owned(), json!(id.as_str()));
    let mut line = event.clone();
    line.insert("at_ms".to_owned(), json!(0));
    Replayer::check_line(&Value::Object(line).to_string())
        .map_err(|message| Reply::error(400, format!("{field}{message}")))?;
    event.remove("call");
    Ok(event)
}

/// A script: a list of events with `at_ms` offsets.
fn parse_script(script: &Value, id: &CallId) -> Result<Vec<(u64, CallerEvent)>, Reply> {
    let Value::Array(items) = script else {
        return Err(Reply::error(400, "script: must be a list of events"));
    };
    if items.len() > ivr_media_queue::sim::MAX_SCRIPTED_EVENTS {
        return Err(Reply::error(
            400,
            format!(
                "script: at most {} events",
                ivr_media_queue::sim::MAX_SCRIPTED_EVENTS
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(item) = item else {
                return Err(Reply::error(400, format!("script[{i}]: must be an object")));
            };
            let mut item = item.clone();
            let at = match item.remove("at_ms") {
                Some(Value::Number(n))
                    if n.as_u64()
                        .is_some_and(|n| n <= ivr_media_queue::sim::MAX_SIMULATED_MS * 24) =>
                {
                    n.as_u64().unwrap_or(0)
                }
                Some(other) => {
                    return Err(Reply::error(
                        400,
                        format!(
                            "script[{i}].at_ms: must be a whole number of ms, 0 to a day, got {}",
                            short(&other.to_string())
                        ),
                    ));
                }
                None => return Err(Reply::error(400, format!("script[{i}].at_ms: is required"))),
            };
            let event = checked_event(item, id, &format!("script[{i}]."))?;
            Ok((at, event))
        })
        .collect()
}

fn percent_decoded(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
