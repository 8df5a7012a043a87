//! `sim::MediaLayer`: what stopped or ended reports nothing more; what
//! takes no time is reported at once; timed prompts take their length.

use ivr_media_queue::sim::{MediaLayer, MediaLayerConfig, MediaReport, PromptLengths};
use ivr_media_queue::{CallId, Instant, MediaCommand, MediaInput, MediaPrompt, OperationId};

fn layer(beep_ms: u64, prompts: PromptLengths) -> MediaLayer {
    let mut config = MediaLayerConfig::default();
    config.beep_ms = beep_ms;
    config.prompts = prompts;
    MediaLayer::new(config)
}

fn op(n: u128) -> OperationId {
    OperationId::from_uuid(uuid::Uuid::from_u128(n))
}

#[test]
fn stopped_and_ended_operations_report_nothing() {
    let call = CallId::new("c1");
    let at = Instant::from_millis(1_000);
    let mut media = layer(400, PromptLengths::Timed { default_ms: 2_000 });
    let play = MediaCommand::Play {
        operation: op(1),
        index: 0,
        prompt: MediaPrompt::new("https://a/x.wav"),
    };
    assert_eq!(media.handle_command(at, &call, &play, None), None);
    assert_eq!(media.poll_timeout(), Some(Instant::from_millis(3_000)));
    let stop = MediaCommand::StopPlayback { operation: op(1) };
    assert_eq!(media.handle_command(at, &call, &stop, None), None);
    assert_eq!(
        media.poll_timeout(),
        None,
        "a stopped prompt reports nothing"
    );

    let beep = MediaCommand::PlayBeep { operation: op(2) };
    assert_eq!(media.handle_command(at, &call, &beep, None), None);
    assert_eq!(media.poll_timeout(), Some(Instant::from_millis(1_400)));
    media.handle_ended(op(2));
    assert_eq!(
        media.poll_timeout(),
        None,
        "an ended operation reports nothing"
    );
    assert_eq!(media.poll_report(Instant::from_millis(10_000)), None);
}

#[test]
fn reports_come_at_their_own_time_or_at_once() {
    let call = CallId::new("c1");
    let at = Instant::from_millis(50);
    let mut media = layer(0, PromptLengths::Timed { default_ms: 2_000 });
    let beep = MediaCommand::PlayBeep { operation: op(3) };
    let at_once = media.handle_command(at, &call, &beep, None);
    assert_eq!(
        at_once,
        Some(MediaReport {
            at,
            call: call.clone(),
            operation: op(3),
            input: MediaInput::BeepFinished
        }),
        "a beep of 0 ms finishes at once"
    );
    let play = MediaCommand::Play {
        operation: op(4),
        index: 0,
        prompt: MediaPrompt::new("https://a/menu.wav?x=1&durationMs=700"),
    };
    assert_eq!(media.handle_command(at, &call, &play, None), None);
    assert_eq!(
        media.poll_report(Instant::from_millis(749)),
        None,
        "not before its length"
    );
    let report = media.poll_report(Instant::from_millis(5_000)).expect("due");
    assert_eq!(
        (report.at, report.input),
        (Instant::from_millis(750), MediaInput::PlaybackFinished)
    );

    // Scripted prompts end only when told.
    let mut scripted = layer(0, PromptLengths::Scripted);
    let play = MediaCommand::Play {
        operation: op(5),
        index: 0,
        prompt: MediaPrompt::new("https://a/x.wav?durationMs=1"),
    };
    assert_eq!(scripted.handle_command(at, &call, &play, None), None);
    assert_eq!(scripted.poll_timeout(), None);
}
