//! The command line (EMULATOR.md, "Starting it"): its defaults, and a
//! value out of range is refused with a message naming the option.

use super::support::world;
use crate::options::{Options, parse};

fn parsed(args: &[&str]) -> Result<Options, String> {
    parse(args.iter().map(|a| (*a).to_owned()))
}

#[test]
fn defaults_are_the_documented_ones() {
    let options = parsed(&[]).expect("no arguments");
    assert_eq!(options.listen.to_string(), "127.0.0.1:8790");
    assert_eq!(options.bot_callback, None);
    assert_eq!(options.speed, 1.0);
    assert_eq!(
        (
            options.prompt_ms,
            options.beep_ms,
            options.store_ms,
            options.answer_ms
        ),
        (None, None, None, 500),
        "the media lengths default in the world: the --config file's, else 1000/400/0"
    );
    assert_eq!(options.seed, None);
    assert_eq!(options.outbox, 1_000);
    assert_eq!(options.config, None);

    let options = parsed(&[
        "--listen",
        "127.0.0.1:0",
        "--bot-callback",
        "https://bot.example/calls",
        "--speed",
        "0.25",
        "--prompt-ms",
        "0",
        "--beep-ms",
        "1",
        "--store-ms",
        "2",
        "--answer-ms",
        "3",
        "--seed",
        "18446744073709551615",
        "--outbox",
        "1",
    ])
    .expect("all of them");
    assert_eq!(options.listen.port(), 0);
    assert_eq!(
        options.bot_callback.as_deref(),
        Some("https://bot.example/calls")
    );
    assert_eq!(options.speed, 0.25);
    assert_eq!(
        (
            options.prompt_ms,
            options.beep_ms,
            options.store_ms,
            options.answer_ms
        ),
        (Some(0), Some(1), Some(2), 3)
    );
    assert_eq!(options.seed, Some(u64::MAX));
    assert_eq!(options.outbox, 1);
}

#[test]
fn bad_values_are_refused_naming_the_option() {
    for args in [
        &["--listen", "localhost"][..],
        &["--bot-callback", "ftp://bot"],
        &["--bot-callback", "http://"],
        &["--speed", "0"],
        &["--speed", "0.0009"],
        &["--speed", "10001"],
        &["--speed", "NaN"],
        &["--speed", "inf"],
        &["--prompt-ms", "-1"],
        &["--prompt-ms", "3600001"],
        &["--beep-ms", "1.5"],
        &["--answer-ms", ""],
        &["--seed", "18446744073709551616"],
        &["--outbox", "0"],
        &["--outbox", "1000001"],
        &["--config", "/nonexistent/emulator-config.json"],
        &["--seed"],
    ] {
        let message = parsed(args).expect_err(&format!("{args:?} should be refused"));
        assert!(message.starts_with(args[0]), "{args:?}: {message}");
    }
    let message = parsed(&["--fast"]).expect_err("unknown");
    assert!(message.contains("--fast"), "{message}");
    assert_eq!(
        parsed(&["--help"]).expect_err("usage"),
        crate::options::USAGE
    );
}

#[test]
fn a_config_file_sets_the_engine() {
    let path = std::env::temp_dir().join(format!("emulator-config-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"config": {"queueCapacity": 1}}"#).expect("written");
    let file = path.to_str().expect("a UTF-8 path");
    let mut w = world(&[
        "--bot-callback",
        super::support::BOT,
        "--config",
        file,
        "--seed",
        "1",
    ]);
    let _ = std::fs::remove_file(&path);
    let at = super::support::established(&mut w, 0, "cfg");
    let play = super::support::prompt_body("a", "https://cdn.example/a.wav?durationMs=5000");
    let url = "/v1.0/communications/calls/cfg/playPrompt";
    let first = super::support::graph(&mut w, at, "POST", url, &play);
    assert_eq!(first.status, 200, "{}", first.body);
    let second = super::support::graph(&mut w, at, "POST", url, &play);
    assert_eq!(
        second.status, 429,
        "a queue of one is full: {}",
        second.body
    );
    assert!(second.body.contains("TooManyRequests"), "{}", second.body);
    let scenario = super::support::control(&mut w, at, "GET", "/emulator/calls/cfg/scenario", "");
    let config = config_line(&scenario.body);
    assert!(config.contains(r#""queueCapacity":1"#), "{config}");
}

/// The export's config line (after its `// seed` comment).
fn config_line(scenario: &str) -> &str {
    let mut lines = scenario.lines();
    assert_eq!(
        lines.next(),
        Some("// graph_emulator --seed 1: replay with ivr-replay --seed 1"),
        "the export names its seed"
    );
    lines.next().expect("a config line")
}

#[test]
fn media_lengths_come_from_a_flag_else_the_config_file_else_the_defaults() {
    let path = std::env::temp_dir().join(format!("emulator-lengths-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"beepMs": 50, "promptMs": 70}"#).expect("written");
    let file = path.to_str().expect("a UTF-8 path");
    let bot = super::support::BOT;
    let cases: [(&[&str], &str); 3] = [
        (
            &[],
            r#""beepMs":400,"notifyEstablished":true,"promptMs":1000,"storeMs":0"#,
        ),
        (
            &["--config", file],
            r#""beepMs":50,"notifyEstablished":true,"promptMs":70,"storeMs":0"#,
        ),
        (
            &["--config", file, "--beep-ms", "5", "--store-ms", "6"],
            r#""beepMs":5,"notifyEstablished":true,"promptMs":70,"storeMs":6"#,
        ),
    ];
    for (args, settings) in cases {
        let mut all = vec!["--bot-callback", bot, "--seed", "1"];
        all.extend_from_slice(args);
        let mut w = world(&all);
        let at = super::support::established(&mut w, 0, "len");
        let scenario =
            super::support::control(&mut w, at, "GET", "/emulator/calls/len/scenario", "");
        let config = config_line(&scenario.body);
        assert_eq!(
            config,
            format!(r#"{{"config":{{{settings}}}}}"#),
            "{args:?}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
