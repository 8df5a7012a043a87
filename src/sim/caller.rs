//! A scripted caller: events held until they are due.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::time::Instant;

/// The most events a [`CallerScript`] holds at once.
pub const MAX_SCRIPTED_EVENTS: usize = 1024;

/// A script would hold more than [`MAX_SCRIPTED_EVENTS`]; nothing of it
/// was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("a caller script holds at most {limit} events, and {held} are held already")]
pub struct ScriptFull {
    /// The limit.
    pub limit: usize,
    /// Events held.
    pub held: usize,
}

/// What a scripted caller will do, and when: `E` is whatever the embedder
/// uses for a caller event (`graph_emulator` keeps `ivr-replay` event
/// lines). Events come out in time order, those at the same time in the
/// order they were scripted.
#[derive(Clone, Debug)]
pub struct CallerScript<E> {
    due: BTreeMap<(Instant, u64), E>,
    scripted: u64,
}

impl<E> Default for CallerScript<E> {
    fn default() -> Self {
        Self {
            due: BTreeMap::new(),
            scripted: 0,
        }
    }
}

impl<E> CallerScript<E> {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `events`, each `(offset_ms, event)` after `now`; all or none.
    pub fn handle_script(
        &mut self,
        now: Instant,
        events: impl IntoIterator<Item = (u64, E)>,
    ) -> Result<(), ScriptFull> {
        let room = MAX_SCRIPTED_EVENTS - self.due.len();
        // One more than there is room for is enough to refuse.
        let events: Vec<_> = events.into_iter().take(room + 1).collect();
        if events.len() > room {
            return Err(ScriptFull {
                limit: MAX_SCRIPTED_EVENTS,
                held: self.due.len(),
            });
        }
        for (offset_ms, event) in events {
            let at = now.saturating_add(std::time::Duration::from_millis(offset_ms));
            self.due.insert((at, self.scripted), event);
            self.scripted += 1;
        }
        Ok(())
    }

    /// When the next event is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.due.first_key_value().map(|((at, _), _)| *at)
    }

    /// The next event due at or before `now`, with its own time.
    pub fn poll_event(&mut self, now: Instant) -> Option<(Instant, E)> {
        if self.poll_timeout()? > now {
            return None;
        }
        self.due.pop_first().map(|((at, _), event)| (at, event))
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// Drops every event (the call ended).
    pub fn clear(&mut self) {
        self.due.clear();
    }
}
