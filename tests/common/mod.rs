//! Scenario tests: a scenario file holds its own expectations.
//!
//! Lines of a `tests/scenarios/*.jsonl` file are `ivr-replay` input, except
//! lines starting with `//>`, which are expectations: one JSON object each,
//! `{KIND: PATTERN, "at_ms"?: N}` with KIND `response`, `note` (one
//! notification item; envelopes are flattened), `media`, `trace`, the
//! extension records `inspect`, `cancelReceipt`, `collectDigits` and
//! `extensionNotification`, `outcome` (the extension
//! field of a record that ends an operation), or `record` (every output
//! record whole, for the extension `seq`). Only
//! the kinds that appear are compared, and the sequence of those kinds in
//! the output must match the expectations exactly, in order.
//!
//! A pattern object matches when each of its keys matches (extra keys are
//! allowed). Strings with a meaning: `"*"` any value; `"!absent"` the key is
//! missing; `"$X"` binds X on first use and must be equal afterwards;
//! `"4xx"` any status 400-499; `"~text"` a string containing `text` (any
//! case). Lists match element by element, with the same length. Anything
//! else must be equal.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use ivr_media_queue::IdSource;
use ivr_media_queue::replay::{self, ReplayRun};
use serde_json::Value;

/// Runs a scenario (with seed 1) and returns its JSON Lines output.
pub fn replay_jsonl(scenario: &str) -> (ReplayRun, Vec<Value>) {
    let run = replay::run(scenario, IdSource::seeded(1));
    let mut out = Vec::new();
    replay::write_jsonl(&mut out, &run.records, &run.config, false).expect("writing to a Vec");
    let text = String::from_utf8(out).expect("JSON output is UTF-8");
    let lines = text
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("output line is not JSON ({e}): {l}"))
        })
        .collect();
    (run, lines)
}

/// Runs `tests/scenarios/{name}.jsonl` and checks its `//>` expectations.
pub fn check_scenario(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expectations: Vec<Value> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| line.trim().strip_prefix("//>").map(|e| (i + 1, e)))
        .map(|(line, e)| {
            serde_json::from_str(e)
                .unwrap_or_else(|err| panic!("{name}:{line}: bad expectation: {err}"))
        })
        .collect();
    assert!(!expectations.is_empty(), "{name}: no //> expectations");
    let (run, output) = replay_jsonl(&text);
    if let Some(error) = run.error {
        panic!("{name}: the scenario is malformed: {error}");
    }
    if let Err(message) = check(&output, &expectations) {
        let dump: Vec<String> = output.iter().map(Value::to_string).collect();
        panic!("{name}: {message}\n--- output ---\n{}", dump.join("\n"));
    }
}

/// Checks output records against expectations.
pub fn check(output: &[Value], expectations: &[Value]) -> Result<(), String> {
    let kinds: Vec<&str> = expectations.iter().map(kind_of).collect();
    let got = flatten(output, &kinds);
    let mut env = HashMap::new();
    for (i, want) in expectations.iter().enumerate() {
        let kind = kind_of(want);
        let Some((got_kind, got_at, got_value)) = got.get(i) else {
            return Err(format!(
                "#{i} {kind}: missing (only {} records of the compared kinds)",
                got.len()
            ));
        };
        if *got_kind != kind {
            return Err(format!(
                "#{i}: expected a {kind}, got a {got_kind} at {got_at}: {got_value}"
            ));
        }
        if let Some(at) = want.get("at_ms") {
            if at != *got_at {
                return Err(format!("#{i} {kind}: at_ms {got_at}, expected {at}"));
            }
        }
        matches(&want[kind], got_value, &mut env, &format!("#{i} {kind}"))
            .map_err(|m| format!("{m}\n  in {got_value}"))?;
    }
    if let Some((kind, at, value)) = got.get(expectations.len()) {
        return Err(format!("unexpected extra {kind} at {at}: {value}"));
    }
    Ok(())
}

fn kind_of(expectation: &Value) -> &str {
    expectation
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "at_ms"))
        .map(String::as_str)
        .expect("an expectation names its kind")
}

fn flatten<'a>(output: &'a [Value], kinds: &[&str]) -> Vec<(&'static str, &'a Value, &'a Value)> {
    let mut out = Vec::new();
    for record in output {
        let at = &record["at_ms"];
        if kinds.contains(&"record") {
            out.push(("record", at, record));
        }
        if let Some(r) = record
            .get("response")
            .filter(|_| kinds.contains(&"response"))
        {
            out.push(("response", at, r));
        } else if let Some(n) = record
            .get("notification")
            .filter(|_| kinds.contains(&"note"))
        {
            for item in n["value"].as_array().into_iter().flatten() {
                out.push(("note", at, item));
            }
        } else if let Some(m) = record.get("media").filter(|_| kinds.contains(&"media")) {
            out.push(("media", at, m));
        } else if let Some(t) = record.get("trace").filter(|_| kinds.contains(&"trace")) {
            out.push(("trace", at, t));
        } else if let Some(i) = record.get("inspect").filter(|_| kinds.contains(&"inspect")) {
            out.push(("inspect", at, i));
        } else if let Some(r) = record
            .get("cancelReceipt")
            .filter(|_| kinds.contains(&"cancelReceipt"))
        {
            out.push(("cancelReceipt", at, r));
        } else if let Some(c) = record
            .get("collectDigits")
            .filter(|_| kinds.contains(&"collectDigits"))
        {
            out.push(("collectDigits", at, c));
        } else if let Some(e) = record
            .get("extensionNotification")
            .filter(|_| kinds.contains(&"extensionNotification"))
        {
            out.push(("extensionNotification", at, e));
        }
        if let Some(o) = record.get("outcome").filter(|_| kinds.contains(&"outcome")) {
            out.push(("outcome", at, o));
        }
    }
    out
}

fn matches(
    pattern: &Value,
    actual: &Value,
    env: &mut HashMap<String, Value>,
    path: &str,
) -> Result<(), String> {
    match pattern {
        Value::String(p) if p == "*" => Ok(()),
        Value::String(p) if p.starts_with('$') => match env.get(p) {
            Some(bound) if bound != actual => Err(format!("{path}: {p} was {bound}, now {actual}")),
            Some(_) => Ok(()),
            None => {
                env.insert(p.clone(), actual.clone());
                Ok(())
            }
        },
        Value::String(p) if p == "4xx" => match actual.as_u64() {
            Some(400..=499) => Ok(()),
            _ => Err(format!("{path}: expected a 4xx status, got {actual}")),
        },
        Value::String(p) if p.starts_with('~') => match actual.as_str() {
            Some(a) if a.to_lowercase().contains(&p[1..].to_lowercase()) => Ok(()),
            _ => Err(format!("{path}: {actual} does not contain {:?}", &p[1..])),
        },
        Value::Object(p) => {
            let Value::Object(a) = actual else {
                return Err(format!("{path}: expected an object, got {actual}"));
            };
            for (key, want) in p {
                match (want.as_str(), a.get(key)) {
                    (Some("!absent"), None) => {}
                    (Some("!absent"), Some(v)) => {
                        return Err(format!("{path}.{key}: should be absent, is {v}"));
                    }
                    (_, None) => return Err(format!("{path}.{key}: missing")),
                    (_, Some(v)) => matches(want, v, env, &format!("{path}.{key}"))?,
                }
            }
            Ok(())
        }
        Value::Array(p) => {
            let Some(a) = actual.as_array().filter(|a| a.len() == p.len()) else {
                return Err(format!("{path}: expected {} items, got {actual}", p.len()));
            };
            p.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (p, a))| matches(p, a, env, &format!("{path}[{i}]")))
        }
        _ if pattern == actual => Ok(()),
        _ => Err(format!("{path}: expected {pattern}, got {actual}")),
    }
}
