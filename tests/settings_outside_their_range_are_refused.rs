//! Every setting has a stated range; a value outside it is refused with an
//! error that names the setting and the range, from the typed API and from
//! an `ivr-replay` config line alike. A huge `retainedOperations` used to
//! abort the process on its first ended operation.
// The scenario runner and fault injection are the `replay` feature's.
#![cfg(feature = "replay")]

use std::sync::Arc;

use ivr_media_queue::replay;
use ivr_media_queue::{
    Call, CallConfig, CallId, ConfigError, Engine, EngineConfig, IdSource, Instant,
};

fn engine_error(change: impl FnOnce(&mut EngineConfig)) -> ConfigError {
    let mut config = EngineConfig::default();
    change(&mut config);
    Engine::new(config).expect_err("refused")
}

fn call_config(change: impl FnOnce(&mut CallConfig)) -> EngineConfig {
    let mut call = CallConfig::default();
    change(&mut call);
    EngineConfig::new(call, IdSource::seeded(1))
}

#[test]
fn the_typed_api_names_the_setting_and_its_range() {
    let cases: Vec<(ConfigError, &str)> = vec![
        (
            Engine::new(call_config(|c| c.retained_operations = 1_000_000_000_000)).unwrap_err(),
            "retained_operations: must be 0 to 10000, got 1000000000000",
        ),
        (
            Engine::new(call_config(|c| c.retained_operations = usize::MAX)).unwrap_err(),
            "retained_operations: must be 0 to 10000, got 18446744073709551615",
        ),
        (
            Engine::new(call_config(|c| c.queue_capacity = 0)).unwrap_err(),
            "queue_capacity: must be 1 to 10000, got 0",
        ),
        (
            Engine::new(call_config(|c| c.max_pending_outputs = 1)).unwrap_err(),
            "max_pending_outputs: must be 16 to 65536, got 1",
        ),
        (
            Engine::new(call_config(|c| c.allowed_uri_schemes = vec![])).unwrap_err(),
            "allowed_uri_schemes: must list 1 to 16 schemes, got 0",
        ),
        (
            engine_error(|c| c.max_calls = 0),
            "max_calls: must be 1 to 10000000, got 0",
        ),
        (
            engine_error(|c| c.max_pending_outputs = 0),
            "max_pending_outputs: must be 1 to 16777216, got 0",
        ),
        (
            engine_error(|c| c.remembered_ended_calls = usize::MAX),
            "remembered_ended_calls: must be 0 to 1000000, got 18446744073709551615",
        ),
        (
            engine_error(|c| c.shards = 0),
            "shards: must be 1 to 1024, got 0",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
    for scheme in ["", "1http", "ht tp", "ht/tp"] {
        let error = Engine::new(call_config(|c| {
            c.allowed_uri_schemes = vec![scheme.to_owned()]
        }))
        .unwrap_err();
        assert_eq!(error.setting, "allowed_uri_schemes");
        assert!(error.rule.contains(&format!("{scheme:?}")), "{error}");
    }
    // A call made alone checks the same.
    let bad = CallConfig {
        queue_capacity: 20_000,
        ..CallConfig::default()
    };
    let refused = Call::new(
        CallId::new("c1"),
        Arc::new(bad),
        IdSource::Random,
        Instant::ZERO,
    );
    assert_eq!(refused.unwrap_err().setting, "queue_capacity");
}

#[test]
fn the_edges_of_each_range_are_taken() {
    Engine::new(call_config(|c| {
        c.retained_operations = 10_000;
        c.queue_capacity = 10_000;
        c.max_pending_outputs = 16;
        c.allowed_uri_schemes = vec!["https".into(), "file".into(), "x-custom+v1.2".into()];
    }))
    .unwrap();
    Engine::new(call_config(|c| {
        c.retained_operations = 0;
        c.queue_capacity = 1;
        c.max_pending_outputs = 65_536;
    }))
    .unwrap();
    let mut config = EngineConfig::default();
    (
        config.max_calls,
        config.shards,
        config.remembered_ended_calls,
    ) = (1, 1024, 0);
    config.max_pending_outputs = 16_777_216;
    Engine::new(config).unwrap();
}

#[test]
fn a_config_line_names_the_setting_and_its_range() {
    for (config, message) in [
        (
            r#"{"retainedOperations":1000000000000}"#,
            "config.retainedOperations: must be 0 to 10000, got 1000000000000",
        ),
        (
            r#"{"retainedOperations":18446744073709551615}"#,
            "config.retainedOperations: must be 0 to 10000, got 18446744073709551615",
        ),
        (
            r#"{"queueCapacity":0}"#,
            "config.queueCapacity: must be 1 to 10000, got 0",
        ),
        (
            r#"{"maxBodyBytes":1}"#,
            "config.maxBodyBytes: must be 2 to 16777216, got 1",
        ),
        (
            r#"{"beepMs":3600001}"#,
            "config.beepMs: must be 0 to 3600000, got 3600001",
        ),
        (
            r#"{"storeMs":99999999999}"#,
            "config.storeMs: must be 0 to 3600000, got 99999999999",
        ),
        (
            r#"{"allowedUriSchemes":[]}"#,
            "config.allowedUriSchemes: must list 1 to 16 schemes, got 0",
        ),
    ] {
        let scenario = format!(
            "{{\"config\":{config}}}\n{{\"at_ms\":0,\"event\":\"callEstablished\",\"call\":\"c1\"}}\n"
        );
        let run = replay::run(&scenario, IdSource::seeded(1));
        let error = run.error.expect("refused");
        assert_eq!((error.line, error.message.as_str()), (1, message));
        assert!(run.records.is_empty(), "nothing ran");
    }
    let scenario = "{\"config\":{\"allowedUriSchemes\":[\"\"]}}\n";
    let error = replay::run(scenario, IdSource::seeded(1))
        .error
        .expect("refused");
    assert!(
        error
            .message
            .starts_with("config.allowedUriSchemes: each scheme is"),
        "{}",
        error.message
    );
}
