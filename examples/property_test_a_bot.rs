//! Property-test a menu bot against random callers, and let the harness
//! find its bug.
//!
//! The bot: "Press 1 for sales, 2 to leave a message." When the menu
//! prompt ends with no choice, it plays the menu again (three times at
//! most), then says goodbye and hangs up. A key cancels the menu and serves
//! the choice.
//!
//! The bug, a real one in Graph bots: the handler for "the menu ended"
//! assumes the menu's end always comes before the caller's key. It does
//! when the caller waits; but a caller who presses 1 while the menu plays
//! makes the bot cancel the menu, and the menu's end (failed, 8508, "the
//! operation was cancelled") arrives after the key. The buggy bot takes it
//! for "no choice yet" and queues the menu again, behind the sales prompt.
//!
//! The property, as the caller hears it: once the choice is served (the
//! sales prompt or the record's beep starts), the menu never plays again.
//!
//! `cargo run --example property_test_a_bot --features testing` prints the
//! shrunk failure of the buggy bot, with its `ivr-replay` scenario, and
//! checks the fixed bot against the same callers.

use ivr_media_queue::replay::ReplayRecord;
use ivr_media_queue::testing::{Failure, Harness, Heard, Observation, Outbox, strategy};
use ivr_media_queue::{
    Action, ApiVersion, Instant, MediaCommand, MediaPrompt, Notification, PlayPrompt, Record,
    Request, Tone, ToneSet,
};

const MENU: &str = "https://prompts.example/menu.wav?durationMs=4000";
const SALES: &str = "https://prompts.example/sales.wav?durationMs=3000";
const GOODBYE: &str = "https://prompts.example/goodbye.wav?durationMs=1000";

/// Where the bot is in the dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The menu plays, or the bot waits for a key.
    Menu { plays: u32 },
    /// The caller chose sales: the sales prompt plays.
    Sales,
    /// The caller chose to leave a message: the record runs.
    Message,
    /// Goodbye plays; the bot hangs up when it ends.
    Goodbye,
}

/// The menu bot. `fixed: false` has the bug.
#[derive(Debug)]
struct MenuBot {
    fixed: bool,
    stage: Stage,
}

impl MenuBot {
    fn buggy() -> Self {
        Self {
            fixed: false,
            stage: Stage::Menu { plays: 0 },
        }
    }

    fn fixed() -> Self {
        Self {
            fixed: true,
            ..Self::buggy()
        }
    }

    fn play(&self, outbox: &mut Outbox, uri: &str, context: &str) {
        let prompt = PlayPrompt {
            prompts: vec![MediaPrompt::new(uri)],
            loop_forever: false,
        };
        outbox.send(
            Request::new(ApiVersion::V1, Action::PlayPrompt(prompt)).with_client_context(context),
        );
    }

    fn play_menu(&mut self, outbox: &mut Outbox, plays: u32) {
        if plays == 3 {
            self.goodbye(outbox);
        } else {
            self.stage = Stage::Menu { plays: plays + 1 };
            self.play(outbox, MENU, "menu");
        }
    }

    fn goodbye(&mut self, outbox: &mut Outbox) {
        self.stage = Stage::Goodbye;
        self.play(outbox, GOODBYE, "goodbye");
    }

    fn hear(&mut self, heard: Heard<'_>, outbox: &mut Outbox) {
        match heard {
            Heard::Answered => {
                outbox.send(Request::new(ApiVersion::V1, Action::SubscribeToTone));
                self.play_menu(outbox, 0);
            }
            Heard::Notification(Notification::Tone { tone, .. }) => {
                if let Stage::Menu { .. } = self.stage {
                    self.choose(*tone, outbox);
                }
            }
            Heard::Notification(Notification::OperationEnded(ended)) => {
                match ended.operation.client_context.as_deref() {
                    Some("menu") => match self.stage {
                        Stage::Menu { plays } => self.play_menu(outbox, plays),
                        // The bug: this arm is missing in the buggy bot,
                        // which plays the menu again whatever the stage.
                        _ if self.fixed => {}
                        _ => self.play_menu(outbox, 0),
                    },
                    Some("sales" | "message") => self.goodbye(outbox),
                    Some("goodbye") => outbox.hang_up(ApiVersion::V1),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// A key during the menu: 1 is sales, 2 a message; others are ignored.
    fn choose(&mut self, tone: Tone, outbox: &mut Outbox) {
        let cancel = Request::new(ApiVersion::V1, Action::CancelMediaProcessing);
        match tone {
            Tone::Tone1 => {
                self.stage = Stage::Sales;
                outbox.send(cancel);
                self.play(outbox, SALES, "sales");
            }
            Tone::Tone2 => {
                self.stage = Stage::Message;
                outbox.send(cancel);
                let record = Record {
                    stop_tones: [Tone::Pound].into_iter().collect::<ToneSet>(),
                    ..Record::default()
                };
                outbox.send(
                    Request::new(ApiVersion::V1, Action::Record(record))
                        .with_client_context("message"),
                );
            }
            _ => {}
        }
    }
}

/// The property: once the choice is served, the menu never plays again.
fn menu_never_returns<B>() -> impl FnMut(&Observation<'_, B>) -> Result<(), String> {
    let mut served: Option<&'static str> = None;
    move |seen| {
        for record in seen.records {
            let ReplayRecord::Media { command, at, .. } = record else {
                continue;
            };
            match command {
                MediaCommand::Play { prompt, .. } if &*prompt.uri == SALES => {
                    served = Some("the sales prompt");
                }
                MediaCommand::PlayBeep { .. } | MediaCommand::StartRecording { .. } => {
                    served = served.or(Some("the message's record"));
                }
                MediaCommand::Play { prompt, .. } if &*prompt.uri == MENU => {
                    if let Some(choice) = served {
                        return Err(format!(
                            "the menu plays again at {} ms, after {choice} started",
                            at.as_millis()
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A bot as the harness takes it.
fn bot(mut menu: MenuBot) -> impl FnMut(Instant, Heard<'_>, &mut Outbox) {
    move |_now, heard, outbox| menu.hear(heard, outbox)
}

fn check(fixed: bool) -> Result<u32, Failure> {
    let new_bot = move || {
        bot(if fixed {
            MenuBot::fixed()
        } else {
            MenuBot::buggy()
        })
    };
    Harness::new()
        .check(
            strategy::callers(strategy::CallerOptions::default()),
            new_bot,
            menu_never_returns,
        )
        .map(|checked| checked.cases)
}

fn main() {
    match check(false) {
        Ok(cases) => println!("the buggy bot passed {cases} callers: the harness missed its bug"),
        Err(failure) => println!("the buggy bot fails, shrunk to:\n{failure}"),
    }
    match check(true) {
        Ok(cases) => println!("the fixed bot passes {cases} random callers"),
        Err(failure) => println!("the fixed bot fails too:\n{failure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivr_media_queue::testing::CallerAct;

    #[test]
    fn the_buggy_bot_fails_for_one_key_during_the_menu() {
        let failure = check(false).expect_err("the harness finds the bug");
        // Shrunk to the simplest caller: one key that chooses, while the
        // menu plays (keys before the bot's subscription reach no one).
        let [(at_ms, CallerAct::Press(tone))] = failure.caller.acts() else {
            panic!("not shrunk to one key press:\n{failure}");
        };
        assert!(matches!(tone, Tone::Tone1 | Tone::Tone2), "{failure}");
        assert!(
            *at_ms < 4_000,
            "the key comes while the menu plays:\n{failure}"
        );
        assert!(
            failure.message.starts_with("the menu plays again"),
            "{failure}"
        );
    }

    #[test]
    fn the_fixed_bot_passes() {
        if let Err(failure) = check(true) {
            panic!("{failure}");
        }
    }
}
