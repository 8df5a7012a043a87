//! What the simulated media layer will report, and when: beeps that finish,
//! recordings stored (`beepMs`, `storeMs`).

use std::collections::{BTreeMap, HashMap};

use crate::id::{CallId, OperationId};
use crate::io::MediaInput;
use crate::time::Instant;

/// Reports in the order they come due (on a tie, in the order they were
/// made), found by time or by operation in O(log n): a scenario with many
/// calls beeping at once stays linear.
#[derive(Debug, Default)]
pub(crate) struct Reports {
    due: BTreeMap<(Instant, u64), (CallId, OperationId, MediaInput)>,
    /// Each operation's reports (a beep, a store: a few at most).
    by_operation: HashMap<OperationId, Vec<(Instant, u64)>>,
    made: u64,
}

impl Reports {
    /// The media layer will report `input` for `operation` at `at`.
    pub(crate) fn push(
        &mut self,
        at: Instant,
        call: CallId,
        operation: OperationId,
        input: MediaInput,
    ) {
        let key = (at, self.made);
        self.made += 1;
        self.due.insert(key, (call, operation, input));
        self.by_operation.entry(operation).or_default().push(key);
    }

    /// When the next report comes due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.due.first_key_value().map(|((at, _), _)| *at)
    }

    /// The next report, removed.
    pub(crate) fn pop(&mut self) -> Option<(Instant, CallId, OperationId, MediaInput)> {
        let (key, (call, operation, input)) = self.due.pop_first()?;
        if let Some(keys) = self.by_operation.get_mut(&operation) {
            keys.retain(|k| *k != key);
            if keys.is_empty() {
                self.by_operation.remove(&operation);
            }
        }
        Some((key.0, call, operation, input))
    }

    /// The operation's media stopped: nothing of it will be reported.
    pub(crate) fn cancel(&mut self, operation: OperationId) {
        for key in self.by_operation.remove(&operation).unwrap_or_default() {
            self.due.remove(&key);
        }
    }
}
