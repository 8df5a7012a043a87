//! `testing::strategy::valid_wire_requests` and `invalid_wire_requests`,
//! sent by a bot on a live call: each valid one gets a success, each
//! invalid one a Graph error with a code and a message, and leaves the
//! call as it was. The invalid ones are refused for more than one reason.

#![cfg(feature = "testing")]

use std::cell::RefCell;
use std::collections::BTreeSet;

use ivr_media_queue::replay::ReplayRecord;
use ivr_media_queue::testing::proptest::collection::vec;
use ivr_media_queue::testing::proptest::prelude::*;
use ivr_media_queue::testing::proptest::test_runner::{Config, TestRunner};
use ivr_media_queue::testing::{
    BotRequest, Caller, Harness, Heard, Observation, Outbox, Step, strategy,
};
use ivr_media_queue::{CallId, CallView, Instant};
use serde_json::Value;

/// Sends `requests` one at a time, each once the last is answered, and
/// keeps whether each should be accepted.
fn sender(requests: Vec<(bool, BotRequest)>) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) {
    let mut requests = requests.into_iter();
    move |_now, heard, outbox: &mut Outbox| {
        if let Heard::Answered | Heard::Response { .. } = heard {
            if let Some((_, request)) = requests.next() {
                outbox.push(request);
            }
        }
    }
}

#[test]
fn valid_requests_succeed_and_invalid_ones_are_refused_without_a_change() {
    let call = CallId::new("c1");
    let requests = vec(
        prop_oneof![
            strategy::valid_wire_requests(call.clone()).prop_map(|r| (true, r)),
            strategy::invalid_wire_requests(call).prop_map(|r| (false, r)),
        ],
        1..12,
    );
    let refusals = RefCell::new(BTreeSet::new());
    let accepted = RefCell::new(0usize);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&requests, |requests| {
        let mut expected = requests
            .iter()
            .map(|(valid, request)| (*valid, request.clone()));
        let mut before: Option<CallView> = None;
        let mut property = |seen: &Observation<'_, _>| {
            let view = seen.view.clone();
            if let Step::Bot(sent) = seen.step {
                let (valid, request) = expected.next().ok_or("more requests than sent")?;
                assert_eq!(&request, sent);
                let Some(ReplayRecord::Response { response, .. }) = seen.records.get(1) else {
                    return Err(format!("no response: {:?}", seen.records));
                };
                let body: Value =
                    serde_json::from_str(response.body.as_deref().unwrap_or("null")).unwrap();
                if valid {
                    if response.status != 200 {
                        return Err(format!("{request:?} refused: {body}"));
                    }
                    *accepted.borrow_mut() += 1;
                } else {
                    let code = body["error"]["code"].as_str().unwrap_or("");
                    let message = body["error"]["message"].as_str().unwrap_or("");
                    if !(400..500).contains(&response.status)
                        || code.is_empty()
                        || message.is_empty()
                    {
                        return Err(format!("{request:?} got {}: {body}", response.status));
                    }
                    if seen.records.len() != 2 || view != before {
                        return Err(format!("{request:?} was refused but changed the call"));
                    }
                    refusals
                        .borrow_mut()
                        .insert((response.status, code.to_owned()));
                }
            }
            before = view;
            Ok(())
        };
        Harness::new()
            .run(
                &Caller::default(),
                &mut sender(requests.clone()),
                &mut property,
            )
            .map(drop)
            .map_err(TestCaseError::from)
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    assert!(*accepted.borrow() > 128, "{} accepted", accepted.borrow());
    // 400 for bodies and fields, 404 for calls and operations, 405 for
    // methods, at least.
    let refusals = refusals.into_inner();
    let statuses: BTreeSet<u16> = refusals.iter().map(|(status, _)| *status).collect();
    assert!(
        statuses.is_superset(&BTreeSet::from([400, 404, 405])),
        "{refusals:?}"
    );
}
