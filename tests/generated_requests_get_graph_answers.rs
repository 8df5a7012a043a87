//! `testing::strategy::wire_requests` draws requests valid and not; sent
//! by a bot on a live call, each gets a Graph answer: a success, or an
//! error with a code and a message, which leaves the call as it was. Both
//! kinds come up, and the broken ones are refused for more than one reason.

#![cfg(feature = "testing")]

use std::collections::BTreeSet;

use ivr_media_queue::replay::ReplayRecord;
use ivr_media_queue::testing::proptest::collection::vec;
use ivr_media_queue::testing::proptest::test_runner::{Config, TestCaseError, TestRunner};
use ivr_media_queue::testing::{
    BotRequest, Caller, Harness, Heard, Observation, Outbox, Step, strategy,
};
use ivr_media_queue::{CallId, CallView, Instant};
use serde_json::Value;

/// Sends `requests` one at a time, each once the last is answered.
fn sender(requests: Vec<BotRequest>) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) {
    let mut requests = requests.into_iter();
    move |_now, heard, outbox: &mut Outbox| {
        if let Heard::Answered | Heard::Response { .. } = heard {
            if let Some(BotRequest::Raw { method, url, body }) = requests.next() {
                outbox.send_raw(&method, &url, body.as_deref());
            }
        }
    }
}

#[test]
fn every_generated_request_gets_a_graph_answer() {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let answers = std::cell::RefCell::new((0usize, BTreeSet::new()));
    let requests = vec(strategy::wire_requests(CallId::new("c1")), 1..12);
    let outcome = runner.run(&requests, |requests| {
        let mut before: Option<CallView> = None;
        let mut property = |seen: &Observation<'_, _>| {
            let view = seen.view.clone();
            if let Step::Bot(_) = seen.step {
                let Some(ReplayRecord::Response { response, .. }) = seen
                    .records
                    .iter()
                    .find(|record| matches!(record, ReplayRecord::Response { .. }))
                else {
                    return Err("a request with no response".to_owned());
                };
                if response.status < 300 {
                    answers.borrow_mut().0 += 1;
                } else {
                    let body: Value = serde_json::from_str(response.body.as_deref().unwrap_or(""))
                        .map_err(|e| format!("error body is not JSON: {e}"))?;
                    let code = body["error"]["code"].as_str().unwrap_or("");
                    let message = body["error"]["message"].as_str().unwrap_or("");
                    if code.is_empty() || message.is_empty() {
                        return Err(format!("error without code and message: {body}"));
                    }
                    answers
                        .borrow_mut()
                        .1
                        .insert((response.status, code.to_owned()));
                    if seen.records.len() != 2 || view != before {
                        return Err(format!("a refused request changed the call: {body}"));
                    }
                }
            }
            before = view;
            Ok(())
        };
        Harness::new()
            .run(&Caller::default(), &mut sender(requests), &mut property)
            .map(drop)
            .map_err(TestCaseError::from)
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    let (accepted, refused) = answers.into_inner();
    assert!(accepted > 64, "{accepted} accepted");
    // 400 for bodies and fields, 404 for calls and operations, 405 for
    // methods, at least.
    let statuses: BTreeSet<u16> = refused.iter().map(|(status, _)| *status).collect();
    assert!(
        statuses.is_superset(&BTreeSet::from([400, 404, 405])),
        "{refused:?}"
    );
}
