//! The Graph surface (EMULATOR.md, "The Graph surface"): call control is
//! the emulator's own; media actions, `GET` of an operation and `DELETE` of
//! an established call go through the call's run, the crate's wire layer.

use std::time::Duration;

use ivr_media_queue::CallId;
use ivr_media_queue::Instant;
use ivr_media_queue::wire::{self, GraphError};
use serde_json::{Map, Value, json};

use super::{ANSWER_SETUP_MS, Call, CallState, Reply, World, bot_identity, short};
use crate::options::check_http_url;

impl World {
    /// Serves a Graph request (EMULATOR.md, "The Graph surface"). `url` is
    /// the request's path and query.
    pub fn graph(&self, now: Instant, method: &str, url: &str, body: &[u8]) -> Reply {
        let segments = match wire::call_path_segments(url) {
            Ok(path) => path.segments,
            Err(error) => return Reply::graph_error(&error),
        };
        let max_body = self.replay.wire.max_body_bytes;
        if body.len() > max_body {
            // Refused before it reaches a call, in the wire's own words: a
            // body this size would only bloat the log and the export.
            return Reply::graph_error(&GraphError {
                status: 413,
                code: "RequestEntityTooLarge",
                message: format!(
                    "body: the request body is {} bytes, more than the limit of {max_body} bytes",
                    body.len()
                ),
            });
        }
        let action = |s: &str| {
            let name = s.strip_prefix("microsoft.graph.").unwrap_or(s);
            name.to_ascii_lowercase()
        };
        let method = method.to_ascii_uppercase();
        let not_found = |id: &str| Reply::error(404, format!("call '{}' was not found", short(id)));
        // Each arm runs on the call at its own time (`with_call`): what came
        // due before the request (an establishment, an offer's expiry)
        // happens first.
        let served = match (method.as_str(), segments.as_slice()) {
            ("POST", []) => return self.create_outgoing(now, body),
            ("GET", [id]) => self.with_call(&CallId::new(id), now, |call| match call.entry.state {
                CallState::Terminated => None,
                _ => Some(Reply::json(200, &call.entry.resource())),
            }),
            ("POST", [id, a]) if action(a) == "answer" => {
                self.with_call(&CallId::new(id), now, |call| call.answer(body))
            }
            ("POST", [id, a]) if action(a) == "reject" => {
                self.with_call(&CallId::new(id), now, |call| call.reject(body))
            }
            (_, [id, ..]) => self.with_call(&CallId::new(id), now, |call| {
                match call.entry.state {
                    CallState::Incoming | CallState::Establishing if method == "DELETE" => {
                        let now = call.now;
                        call.log_emulator(now, json!({"request": "DELETE", "answer": 204}));
                        call.end_unestablished(now, ended_by_the_bot());
                        Some(Reply::empty(204))
                    }
                    // Not in the engine yet: the engine's own answer below.
                    CallState::Incoming | CallState::Establishing => None,
                    CallState::Established | CallState::Terminated => {
                        Some(call.media_request(&method, url, body))
                    }
                }
            }),
            _ => None,
        };
        match (served, segments.as_slice()) {
            (Some(Some(reply)), _) => reply,
            (_, [id]) if method == "GET" => not_found(id),
            (Some(None), [id, a]) | (None, [id, a])
                if method == "POST" && (action(a) == "answer" || action(a) == "reject") =>
            {
                not_found(id)
            }
            _ => {
                // A call the emulator does not hold (or not yet in the
                // engine): the engine's own answer.
                let response =
                    wire::handle_http(&self.stranger, &self.replay.wire, now, &method, url, body);
                Reply::from_graph(response)
            }
        }
    }

    /// `POST /communications/calls`: an outgoing call, answered by the
    /// callee after `--answer-ms`.
    fn create_outgoing(&self, now: Instant, body: &[u8]) -> Reply {
        let request = match json_object(body) {
            Ok(request) => request,
            Err(reply) => return reply,
        };
        let callback = match callback_uri(&request) {
            Ok(url) => url,
            Err(reply) => return reply,
        };
        if let Err(reply) = service_hosted(&request) {
            return reply;
        }
        let modalities = request.get("requestedModalities").cloned();
        let targets = match request.get("targets") {
            Some(Value::Array(targets)) if !targets.is_empty() => Value::Array(targets.clone()),
            _ => {
                return Reply::error(
                    400,
                    "targets: an outgoing call needs at least one invitationParticipantInfo",
                );
            }
        };
        let id = self.new_call_id();
        let source = json!({
            "@odata.type": "#microsoft.graph.participantInfo",
            "identity": bot_identity(),
        });
        let answer_ms = self.config.answer_ms;
        let created = self.create(
            id.clone(),
            now,
            CallState::Establishing,
            "outgoing",
            source,
            |call| {
                let entry = &mut *call.entry;
                entry.callback = Some(callback);
                entry.targets = targets;
                if let Some(modalities) = modalities {
                    entry.modalities = modalities;
                }
                entry.establish_at = Some(now.saturating_add(Duration::from_millis(answer_ms)));
                let resource = entry.resource();
                call.log_emulator(now, json!({"request": "create", "answer": 201}));
                call.send_call_state(now, "updated", resource.clone());
                resource
            },
        );
        match created {
            Ok(resource) => {
                let mut reply = Reply::json(201, &resource);
                reply.location = Some(format!(
                    "https://graph.microsoft.com/v1.0/communications/calls/{}",
                    id.as_str()
                ));
                reply
            }
            Err(reply) => reply,
        }
    }
}

impl Call<'_> {
    /// `None` (404) for an ended call, 400 for one past `incoming`.
    fn only_incoming(&self, verb: &str) -> Result<(), Option<Reply>> {
        match self.entry.state {
            CallState::Incoming => Ok(()),
            CallState::Terminated => Err(None),
            state => Err(Some(Reply::error(
                400,
                format!(
                    "call: only an incoming call can be {verb}; this one is {}",
                    state.as_str()
                ),
            ))),
        }
    }

    fn answer(&mut self, body: &[u8]) -> Option<Reply> {
        if let Err(refused) = self.only_incoming("answered") {
            return refused;
        }
        let answer = match json_object(body) {
            Ok(answer) => answer,
            Err(reply) => return Some(reply),
        };
        let callback = match callback_uri(&answer) {
            Ok(url) => url,
            Err(reply) => return Some(reply),
        };
        if let Err(reply) = service_hosted(&answer) {
            return Some(reply);
        }
        let now = self.now;
        let entry = &mut *self.entry;
        entry.state = CallState::Establishing;
        entry.callback = Some(callback);
        entry.offer_expires = None;
        if let Some(modalities) = answer.get("acceptedModalities") {
            entry.modalities = modalities.clone();
        }
        entry.establish_at = Some(now.saturating_add(Duration::from_millis(ANSWER_SETUP_MS)));
        let resource = entry.resource();
        self.log_emulator(now, json!({"request": "answer", "answer": 202}));
        self.send_call_state(now, "updated", resource);
        Some(Reply::empty(202))
    }

    fn reject(&mut self, body: &[u8]) -> Option<Reply> {
        if let Err(refused) = self.only_incoming("rejected") {
            return refused;
        }
        let reject = match json_object_or_empty(body) {
            Ok(reject) => reject,
            Err(reply) => return Some(reply),
        };
        let (code, message) = match reject.get("reason") {
            None | Some(Value::Null) => (603, "The call was rejected."),
            Some(Value::String(r)) if r.eq_ignore_ascii_case("none") => {
                (603, "The call was rejected.")
            }
            Some(Value::String(r)) if r.eq_ignore_ascii_case("busy") => {
                (486, "The call was rejected: busy.")
            }
            Some(Value::String(r)) if r.eq_ignore_ascii_case("forbidden") => {
                (403, "The call was rejected: forbidden.")
            }
            Some(other) => {
                return Some(Reply::error(
                    400,
                    format!(
                        "reason: must be none, busy or forbidden, got {}",
                        short(&other.to_string())
                    ),
                ));
            }
        };
        let now = self.now;
        self.log_emulator(now, json!({"request": "reject", "answer": 202}));
        let result = json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": code,
            "subcode": 0,
            "message": message,
        });
        self.end_unestablished(now, result);
        Some(Reply::empty(202))
    }

    /// A media action, `GET` of an operation or `DELETE`, through the call's
    /// run (the crate's wire layer), byte for byte what `ivr-replay` answers.
    fn media_request(&mut self, method: &str, url: &str, body: &[u8]) -> Reply {
        // `$opN` means something to a scenario line; `%24` reads back as `$`.
        let mut request = json!({"method": method, "url": url.replace('$', "%24")});
        if !body.is_empty() {
            request["rawBody"] = json!(String::from_utf8_lossy(body));
        }
        let now = self.now;
        match self.feed(now, json!({ "request": request })) {
            Some(response) => Reply::from_graph(response),
            None => Reply::error(500, "the call's run gave no response"),
        }
    }
}

/// 200/5001, as the engine ends a call the bot deletes.
fn ended_by_the_bot() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.resultInfo",
        "code": 200,
        "subcode": 5001,
        "message": "The conversation has ended.",
    })
}

/// A body that is empty (or only whitespace) reads as `{}`.
pub(super) fn json_object_or_empty(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    json_object(body)
}

pub(super) fn json_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Reply::error(400, "body: must be a JSON object")),
        Err(e) => Err(Reply::error(400, format!("body: not valid JSON: {e}"))),
    }
}

fn callback_uri(object: &Map<String, Value>) -> Result<String, Reply> {
    match object.get("callbackUri") {
        Some(Value::String(url)) => check_http_url(url)
            .map(|()| url.clone())
            .map_err(|e| Reply::error(400, format!("callbackUri: {e}"))),
        Some(other) => Err(Reply::error(
            400,
            format!(
                "callbackUri: must be a string, got {}",
                short(&other.to_string())
            ),
        )),
        None => Err(Reply::error(
            400,
            "callbackUri: is required (where the call's notifications go)",
        )),
    }
}

/// Only service-hosted media: the engine is the media queue.
fn service_hosted(object: &Map<String, Value>) -> Result<(), Reply> {
    let kind = object
        .get("mediaConfig")
        .and_then(|m| m.get("@odata.type"))
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#').to_ascii_lowercase());
    match kind.as_deref() {
        Some("microsoft.graph.servicehostedmediaconfig") => Ok(()),
        Some("microsoft.graph.apphostedmediaconfig") => Err(Reply::error(
            400,
            "mediaConfig: app-hosted media is not emulated; use #microsoft.graph.serviceHostedMediaConfig",
        )),
        _ => Err(Reply::error(
            400,
            "mediaConfig: must be {\"@odata.type\": \"#microsoft.graph.serviceHostedMediaConfig\"}",
        )),
    }
}
