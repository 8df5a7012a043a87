//! Many calls behind one set of inputs and one output queue.

use std::collections::{HashMap, VecDeque};

use crate::call::Call;
use crate::config::EngineConfig;
use crate::error::{InputIgnored, RequestError};
use crate::id::{CallId, OperationId};
use crate::io::{MediaInput, Output};
use crate::model::{Operation, Request, ResultInfo};
use crate::time::Instant;

/// An output of one call, with when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineOutput {
    /// The call it belongs to.
    pub call: CallId,
    /// When it happened: the input's `now`, or a timer's own deadline.
    pub at: Instant,
    /// What happened.
    pub output: Output,
}

/// The calls of one bot, single-threaded: routes inputs to [`Call`]s by id,
/// fires timers across calls in deadline order, and gathers every output in
/// one queue.
///
/// Drive it like a [`Call`]: feed `handle_*` inputs with `now`, drain
/// [`Engine::poll_output`] until `None`, and call [`Engine::handle_timeout`]
/// when [`Engine::poll_timeout`] says so.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    calls: HashMap<CallId, Call>,
    /// Establishment order: timers due at the same instant fire in it.
    order: Vec<CallId>,
    last_now: Instant,
    outputs: VecDeque<EngineOutput>,
}

impl Engine {
    /// An engine with no calls.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            calls: HashMap::new(),
            order: Vec::new(),
            last_now: Instant::ZERO,
            outputs: VecDeque::new(),
        }
    }

    /// The media layer reports a call established: from now on it takes
    /// requests.
    pub fn handle_call_established(
        &mut self,
        now: Instant,
        call: &CallId,
    ) -> Result<(), InputIgnored> {
        let now = self.advance(now);
        match self.calls.get(call) {
            Some(existing) if existing.is_terminated() => {
                return Err(InputIgnored::CallTerminated(call.clone()));
            }
            Some(_) => return Err(InputIgnored::AlreadyEstablished(call.clone())),
            None => {}
        }
        let ids = self.config.ids.for_call(call);
        let new = Call::new(call.clone(), self.config.call.clone(), ids, now);
        self.calls.insert(call.clone(), new);
        self.order.push(call.clone());
        Ok(())
    }

    /// A bot request on `call`. Checked in Graph's order: the body first,
    /// then the call, then the queue's room.
    pub fn handle_request(
        &mut self,
        now: Instant,
        call: &CallId,
        request: Request,
    ) -> Result<Operation, RequestError> {
        self.config.call.validate(&request)?;
        self.on_call(now, call, RequestError::CallNotFound, |target, now| {
            target.handle_valid_request(now, request)
        })
    }

    /// The bot deletes the call (`DELETE /communications/calls/{id}`).
    pub fn handle_delete(&mut self, now: Instant, call: &CallId) -> Result<(), RequestError> {
        self.handle_call_terminated(now, call, ResultInfo::conversation_ended())
            .map_err(|ignored| match ignored {
                InputIgnored::CallTerminated(id) => RequestError::CallTerminated(id),
                _ => RequestError::CallNotFound(call.clone()),
            })
    }

    /// The call ended (the caller hung up, or the network dropped it).
    pub fn handle_call_terminated(
        &mut self,
        now: Instant,
        call: &CallId,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        self.on_call(now, call, InputIgnored::UnknownCall, |target, now| {
            target.handle_terminated(now, result)
        })
    }

    /// A media-layer input for `call` (see [`Call::handle_media`]).
    pub fn handle_media(
        &mut self,
        now: Instant,
        call: &CallId,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        self.on_call(now, call, InputIgnored::UnknownCall, |target, now| {
            target.handle_media(now, token, input)
        })
    }

    /// Fires every timer due at or before `now`, across calls, in deadline
    /// order (ties in establishment order), each at its own deadline.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// The next output, in the order things happened.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<EngineOutput> {
        self.outputs.pop_front()
    }

    /// When [`Engine::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(at, _)| at.max(self.last_now))
    }

    /// An operation as `GET .../calls/{call}/operations/{id}` shows it.
    pub fn operation(&self, call: &CallId, id: OperationId) -> Result<Operation, RequestError> {
        let target = self
            .calls
            .get(call)
            .ok_or_else(|| RequestError::CallNotFound(call.clone()))?;
        if target.is_terminated() {
            return Err(RequestError::CallTerminated(call.clone()));
        }
        target
            .operation(id)
            .ok_or_else(|| RequestError::OperationNotFound {
                call: call.clone(),
                operation: id,
            })
    }

    /// A call, to read its state.
    pub fn call(&self, id: &CallId) -> Option<&Call> {
        self.calls.get(id)
    }

    /// The number of calls held (ended ones included).
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Runs one input on one call: time first, then the input, then its
    /// outputs into the queue.
    fn on_call<T, E>(
        &mut self,
        now: Instant,
        call: &CallId,
        missing: fn(CallId) -> E,
        input: impl FnOnce(&mut Call, Instant) -> Result<T, E>,
    ) -> Result<T, E> {
        let now = self.advance(now);
        let target = self
            .calls
            .get_mut(call)
            .ok_or_else(|| missing(call.clone()))?;
        let result = input(target, now);
        self.collect(call, now);
        result
    }

    fn advance(&mut self, now: Instant) -> Instant {
        let now = now.max(self.last_now);
        while let Some((deadline, index)) = self.next_timer().filter(|(at, _)| *at <= now) {
            let id = self.order[index].clone();
            if let Some(call) = self.calls.get_mut(&id) {
                call.handle_timeout(deadline);
            }
            self.collect(&id, deadline);
        }
        self.last_now = now;
        now
    }

    /// The earliest timer of any call, with the call's establishment index.
    fn next_timer(&self) -> Option<(Instant, usize)> {
        self.order
            .iter()
            .enumerate()
            .filter_map(|(index, id)| Some((self.calls.get(id)?.poll_timeout()?, index)))
            .min()
    }

    fn collect(&mut self, id: &CallId, at: Instant) {
        if let Some(call) = self.calls.get_mut(id) {
            while let Some(output) = call.poll_output() {
                self.outputs.push_back(EngineOutput {
                    call: id.clone(),
                    at,
                    output,
                });
            }
        }
    }
}
