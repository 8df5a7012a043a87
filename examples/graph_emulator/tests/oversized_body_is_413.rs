//! A request body too large is 413 with the code the wire gives it,
//! `RequestEntityTooLarge`, whether the wire's own limit (64 KiB by
//! default) or the HTTP layer's (1 MiB, before the wire sees the body)
//! turns it away.

use serde_json::json;

use super::support::Served;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_is_413() {
    let emulator = Served::start(&["--seed", "34"]).await;
    let url = "/v1.0/communications/calls/big/playPrompt";
    for size in [100 * 1024, 2 * 1024 * 1024] {
        let body = format!(r#"{{"clientContext": "{}"}}"#, "x".repeat(size));
        let (status, answer) = emulator.json("POST", url, &body).await;
        assert_eq!(status, 413, "{size} bytes");
        assert_eq!(
            answer["error"]["code"],
            json!("RequestEntityTooLarge"),
            "{size} bytes: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or("");
        assert!(message.starts_with("body: "), "{size} bytes: {message}");
    }
}
