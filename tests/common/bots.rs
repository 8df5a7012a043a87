//! A bot for the harness tests that uses every kind of request, so that a
//! random caller drives the engine through most of what it does.

#![allow(dead_code)]

use ivr_media_queue::testing::{Heard, Outbox};
use ivr_media_queue::{
    Action, ApiVersion, Instant, MediaPrompt, Notification, OperationId, PlayPrompt, Record,
    Request, Tone, ToneSet,
};

pub const MENU: &str = "https://prompts.example/menu.wav?durationMs=3000";

/// A v1.0 playPrompt of the one prompt at `uri`.
pub fn play_one(uri: &str) -> Request {
    Request::new(ApiVersion::V1, play(uri, false))
}

fn play(uri: &str, loop_forever: bool) -> Action {
    Action::PlayPrompt(PlayPrompt {
        prompts: vec![MediaPrompt::new(uri)],
        loop_forever,
    })
}

/// On answer: subscribe, play the menu. Keys: 1 cancels and plays sales, 2
/// queues a record (stops on `#`), 3 a barge-in record, 4 asks for the last
/// operation created, 5 plays a looping prompt (beta), 6 sends a body that
/// is not JSON, 9 hangs up. The menu's end, however it ended, brings the
/// menu back, twice at most.
pub fn busy_bot() -> impl FnMut(Instant, Heard<'_>, &mut Outbox) {
    let mut created: Option<OperationId> = None;
    let mut menus = 0;
    move |_now, heard, outbox: &mut Outbox| match heard {
        Heard::Answered => {
            outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
            outbox
                .send(Request::new(ApiVersion::V1, play(MENU, false)).with_client_context("menu"));
        }
        Heard::Response { response, .. } => created = response.created.or(created),
        Heard::Notification(Notification::Tone { tone, .. }) => match tone {
            Tone::Tone1 => {
                outbox.send(Request::new(ApiVersion::V1, Action::CancelMediaProcessing));
                outbox.send(Request::new(
                    ApiVersion::V1,
                    play("https://prompts.example/sales.wav", false),
                ));
            }
            Tone::Tone2 | Tone::Tone3 => {
                let record = Record {
                    barge_in_allowed: *tone == Tone::Tone3,
                    stop_tones: [Tone::Pound].into_iter().collect::<ToneSet>(),
                    ..Record::default()
                };
                outbox.send(Request::new(ApiVersion::V1, Action::Record(record)));
            }
            Tone::Tone4 => {
                if let Some(operation) = created {
                    outbox.get_operation(ApiVersion::V1, operation);
                }
            }
            Tone::Tone5 => outbox.send(Request::new(
                ApiVersion::Beta,
                play("https://prompts.example/hold.wav?durationMs=700", true),
            )),
            Tone::Tone6 => outbox.send_raw(
                "POST",
                "/communications/calls/c1/playPrompt",
                Some("{not json"),
            ),
            Tone::Tone9 => outbox.hang_up(ApiVersion::V1),
            _ => {}
        },
        Heard::Notification(Notification::OperationEnded(ended))
            if ended.operation.client_context.as_deref() == Some("menu") && menus < 2 =>
        {
            menus += 1;
            outbox
                .send(Request::new(ApiVersion::V1, play(MENU, false)).with_client_context("menu"));
        }
        _ => {}
    }
}
