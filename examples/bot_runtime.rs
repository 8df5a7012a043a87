//! A bot runtime with its own media layer: the crate's second user story.
//!
//! The runtime owns the media. Here that is a fake player on a virtual
//! clock: a prompt "plays" for as long as its file is, a beep for 500 ms, a
//! recording runs until it is stopped, and storing it takes 200 ms. The
//! runtime holds one [`Call`] per call, and the call decides what plays and
//! records next. The runtime carries out each [`MediaCommand`], reports back
//! with the command's operation id as the token (so a late report about an
//! operation that a cancel ended is never applied to the next one), and
//! turns the notifications into the bot's own events. There is no HTTP and
//! no JSON: the bot sends typed requests.
//!
//! The bot is a two-key menu. The caller presses 2 while the menu plays,
//! leaves a message that `#` ends, and hears goodbye; then the bot hangs up.
//!
//! ```text
//! cargo run --example bot_runtime
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use ivr_media_queue::{
    Action, ApiVersion, Call, CallConfig, CallId, EndReason, IdSource, InputIgnored, Instant,
    MediaCommand, MediaInput, MediaPrompt, Notification, OperationId, OperationKind, Output,
    PlayPrompt, Record, Recording, Request, ResultInfo, Tone,
};

/// What the bot hears about, in its own terms (not Graph's).
#[derive(Clone, Debug, PartialEq, Eq)]
enum BotEvent {
    Key(Tone),
    PromptFinished(String),
    PromptCancelled(String),
    MessageRecorded { location: String },
    NoMessage(String),
    CallEnded,
}

/// What the bot does: send a request, or hang up.
enum Do {
    Send(Request),
    HangUp,
}

/// The bot's logic: given an event, what it does.
#[derive(Default)]
struct MenuBot {
    chose: bool,
}

impl MenuBot {
    fn start(&mut self) -> Vec<Do> {
        vec![
            Do::Send(request(Action::SubscribeToTone, None)),
            Do::Send(play(&["welcome.wav", "menu.wav"], "menu")),
        ]
    }

    fn on(&mut self, event: &BotEvent) -> Vec<Do> {
        match event {
            // The first key is the choice; cancel the menu (barge-in).
            BotEvent::Key(tone) if !self.chose => {
                self.chose = true;
                let mut next = vec![request(Action::CancelMediaProcessing, None)];
                match tone {
                    Tone::Tone1 => next.push(play(&["sales.wav"], "sales")),
                    _ => {
                        next.push(play(&["after-the-beep.wav"], "instructions"));
                        let record = Record {
                            max_record_duration_secs: 30,
                            stop_tones: [Tone::Pound].into_iter().collect(),
                            ..Record::default()
                        };
                        next.push(request(Action::Record(record), Some("message")));
                    }
                }
                next.into_iter().map(Do::Send).collect()
            }
            BotEvent::MessageRecorded { .. } | BotEvent::NoMessage(_) => {
                vec![Do::Send(play(&["goodbye.wav"], "goodbye"))]
            }
            BotEvent::PromptFinished(context) if context == "goodbye" || context == "sales" => {
                vec![Do::HangUp]
            }
            _ => Vec::new(),
        }
    }
}

fn request(action: Action, context: Option<&str>) -> Request {
    let request = Request::new(ApiVersion::V1, action);
    match context {
        Some(context) => request.with_client_context(context),
        None => request,
    }
}

fn play(files: &[&str], context: &str) -> Request {
    let prompts = files
        .iter()
        .map(|file| MediaPrompt::new(&format!("https://bot.example/audio/{file}")))
        .collect();
    let action = Action::PlayPrompt(PlayPrompt {
        prompts,
        loop_forever: false,
    });
    request(action, Some(context))
}

/// The runtime's media layer: what it will report, and when. A test rig
/// would take `ivr_media_queue::sim::MediaLayer`, which does this and more;
/// it is spelled out here because a runtime with real audio writes its own.
#[derive(Default)]
struct FakeMedia {
    /// Reports due, by time (then in the order they were made).
    due: BTreeMap<(Instant, u64), (OperationId, MediaInput)>,
    made: u64,
}

impl FakeMedia {
    fn prompt_ms(uri: &str) -> u64 {
        match uri.rsplit('/').next() {
            Some("welcome.wav") => 2_000,
            Some("menu.wav") => 4_000,
            Some("after-the-beep.wav") => 1_500,
            _ => 1_000,
        }
    }

    fn report(&mut self, at: Instant, operation: OperationId, input: MediaInput) {
        self.made += 1;
        self.due.insert((at, self.made), (operation, input));
    }

    /// Carries out a command from the call.
    fn carry_out(&mut self, now: Instant, command: &MediaCommand) {
        let later = |ms: u64| Instant::from_millis(now.as_millis() + ms);
        match command {
            MediaCommand::Play {
                operation, prompt, ..
            } => {
                let ms = Self::prompt_ms(&prompt.uri);
                self.report(later(ms), *operation, MediaInput::PlaybackFinished);
            }
            MediaCommand::PlayBeep { operation } => {
                self.report(later(500), *operation, MediaInput::BeepFinished);
            }
            MediaCommand::StopPlayback { operation } => {
                // What was playing stops: its finish will never come.
                self.due.retain(|_, (op, _)| op != operation);
            }
            MediaCommand::StopRecording {
                operation,
                store: true,
            } => {
                let recording = Recording {
                    location: Arc::from(format!("https://media.example/{operation}.wav")),
                    access_token: Arc::from("token"),
                };
                let stored = MediaInput::RecordingStored(recording);
                self.report(later(200), *operation, stored);
            }
            // Recording runs until it is stopped; a discarded one needs
            // nothing. (`MediaCommand` may grow: ignore what is new.)
            _ => {}
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.keys().next().map(|(at, _)| *at)
    }

    fn take_due(&mut self, now: Instant) -> Option<(OperationId, MediaInput)> {
        let entry = self.due.first_entry().filter(|e| e.key().0 <= now)?;
        Some(entry.remove())
    }
}

/// A notification, in the bot's terms.
fn bot_event(notification: &Notification) -> Option<BotEvent> {
    let event = match notification {
        Notification::Tone { tone, .. } => BotEvent::Key(*tone),
        Notification::OperationEnded(ended) => {
            let op = &ended.operation;
            let context = op.client_context.as_deref().unwrap_or("").to_owned();
            match (op.kind, ended.reason, &op.recording) {
                (OperationKind::Record, _, Some(recording)) => BotEvent::MessageRecorded {
                    location: recording.location.to_string(),
                },
                (OperationKind::Record, _, None) => BotEvent::NoMessage(context),
                (_, EndReason::CancelledWhileRunning | EndReason::CancelledWhileQueued, _) => {
                    BotEvent::PromptCancelled(context)
                }
                _ => BotEvent::PromptFinished(context),
            }
        }
        Notification::CallTerminated { .. } => BotEvent::CallEnded,
        _ => return None,
    };
    Some(event)
}

/// Runs the call to its end; gives back what the bot heard, with when.
fn run() -> Vec<(u64, BotEvent)> {
    let config = Arc::new(CallConfig::default());
    let id = CallId::new("call-1");
    let ids = IdSource::seeded(1).for_call(&id);
    let mut now = Instant::ZERO;
    let mut call = Call::new(id, config, ids, now).expect("the default config is valid");
    let mut media = FakeMedia::default();
    let mut bot = MenuBot::default();
    // The caller: presses 2 three seconds in (the menu is playing), then
    // speaks and presses # once recording.
    let mut caller = vec![(3_000, Tone::Tone2), (9_000, Tone::Pound)].into_iter();
    let mut next_key = caller.next();
    let mut heard = Vec::new();

    let mut todo: VecDeque<Do> = bot.start().into();
    loop {
        // One input at a time, and everything the call has to say after
        // each, before the next: what the bot does next may depend on it.
        while let Some(action) = todo.pop_front() {
            match action {
                Do::Send(request) => {
                    call.handle_request(now, request)
                        .expect("the bot's requests are valid");
                }
                Do::HangUp => {
                    let bye = ResultInfo::conversation_ended();
                    call.handle_terminated(now, bye).expect("the call is live");
                }
            }
            drain(&mut call, now, &mut media, &mut bot, &mut todo, &mut heard);
        }
        if call.is_terminated() {
            return heard;
        }
        // Sleep until the earliest of: a media report, the caller's next
        // key, the call's own timer.
        let key_at = next_key.map(|(at, _)| Instant::from_millis(at));
        let Some(wake) = [media.next_due(), key_at, call.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
        else {
            panic!("nothing more will happen, and the call is still up");
        };
        now = wake;
        if let Some((operation, input)) = media.take_due(now) {
            match call.handle_media(now, Some(operation), input) {
                // A report about an operation that has ended (a cancel
                // took it) is refused and changes nothing: that is what
                // the token is for.
                Ok(()) | Err(InputIgnored::StaleToken { .. }) => {}
                Err(other) => panic!("the media layer's report was refused: {other}"),
            }
        } else if key_at == Some(now) {
            let (_, tone) = next_key.take().expect("a key is due");
            next_key = caller.next();
            call.handle_media(now, None, MediaInput::Tone(tone))
                .expect("the bot subscribed to tones");
        } else {
            call.handle_timeout(now);
        }
        drain(&mut call, now, &mut media, &mut bot, &mut todo, &mut heard);
    }
}

/// Everything the call has to say: media commands to the media layer,
/// notifications to the bot (whose answers wait in `todo`).
fn drain(
    call: &mut Call,
    now: Instant,
    media: &mut FakeMedia,
    bot: &mut MenuBot,
    todo: &mut VecDeque<Do>,
    heard: &mut Vec<(u64, BotEvent)>,
) {
    while let Some(output) = call.poll_output() {
        match output {
            Output::Media(command) => media.carry_out(now, &command),
            Output::Notification(notification) => {
                if let Some(event) = bot_event(&notification) {
                    todo.extend(bot.on(&event));
                    heard.push((now.as_millis(), event));
                }
            }
            // Abandoned operations (the call's end took them) and what a
            // later version adds: nothing for this bot.
            _ => {}
        }
    }
}

fn main() {
    for (ms, event) in run() {
        println!("{:>6} ms  {event:?}", ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_who_presses_2_leaves_a_message_and_hears_goodbye() {
        let heard = run();
        let events: Vec<&BotEvent> = heard.iter().map(|(_, event)| event).collect();
        let [
            (3_000, BotEvent::Key(Tone::Tone2)),
            (3_000, BotEvent::PromptCancelled(menu)),
            (4_500, BotEvent::PromptFinished(instructions)),
            (9_000, BotEvent::Key(Tone::Pound)),
            (9_200, BotEvent::MessageRecorded { location }),
            (10_200, BotEvent::PromptFinished(goodbye)),
            (10_200, BotEvent::CallEnded),
        ] = heard.as_slice()
        else {
            panic!("the call went otherwise: {events:#?}");
        };
        // The welcome and the menu are one playPrompt: it ends once, when
        // the key cancels it; then the message's instructions play, the
        // beep (500 ms), the recording until `#`, storing it (200 ms), and
        // goodbye.
        assert_eq!(menu, "menu");
        assert_eq!(instructions, "instructions");
        assert!(location.starts_with("https://media.example/"));
        assert_eq!(goodbye, "goodbye");
    }
}
