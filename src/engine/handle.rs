//! Call handles: a call found by its id once, and the inputs that go to it
//! through the handle, skipping the look-up.

use std::sync::Arc;

use crate::error::{InputIgnored, RequestError};
use crate::id::{CallId, OperationId};
use crate::io::MediaInput;
use crate::model::{Operation, Request, ResultInfo};
use crate::time::Instant;

use super::Engine;
use super::slot::{Gone, Slot, Unavailable};

/// One call as an [`Engine`] holds it, found by its id once
/// ([`Engine::call_handle`]) so that inputs sent through it
/// ([`Engine::handle_request_via`], [`Engine::handle_media_via`],
/// [`Engine::handle_call_terminated_via`]) skip the look-up in the call map:
/// its hash, and a lock other threads take too.
///
/// A handle names one call in one engine, not an id:
/// - once that call has ended, inputs through it get "terminated" (even
///   when the engine has forgotten the id, and by id they would get "not
///   found"), and never reach a call established later under the same id;
/// - once the call has moved away ([`Engine::move_call`],
///   [`Engine::take_call`]), they get "not found", even after the call is
///   restored, here or elsewhere: a restored call is a new place, so ask
///   [`Engine::call_handle`] again;
/// - given to another engine, they get "not found".
///
/// A handle keeps the call's place alive until it drops (about 180 bytes),
/// not what the call held: that goes when the call ends or moves.
#[derive(Clone)]
pub struct CallHandle {
    engine: u64,
    slot: Arc<Slot>,
}

impl CallHandle {
    /// The id of the call it names.
    pub fn id(&self) -> &CallId {
        &self.slot.id
    }
}

// By hand: the derived form would print the whole call (its clientContexts
// and recordings' tokens), and lock it to do so.
impl std::fmt::Debug for CallHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallHandle")
            .field("call", self.id())
            .finish()
    }
}

impl Engine {
    /// A handle to `call`, for inputs that skip the look-up by id; `None`
    /// when the engine does not hold it (unknown, ended, moved away).
    pub fn call_handle(&self, call: &CallId) -> Option<CallHandle> {
        let slot = self.find(call).ok()?;
        Some(CallHandle {
            engine: self.identity,
            slot,
        })
    }

    /// The slot `handle` names, if this engine made it; a handle from
    /// another engine names a call that is not here, as one that moved away.
    fn slot_of<'h>(&self, handle: &'h CallHandle) -> Result<&'h Arc<Slot>, Unavailable> {
        if handle.engine == self.identity {
            Ok(&handle.slot)
        } else {
            Err(Unavailable::Gone(Gone::Moved))
        }
    }

    /// [`Engine::handle_request`] on the call `handle` names.
    pub fn handle_request_via(
        &self,
        now: Instant,
        handle: &CallHandle,
        request: Request,
    ) -> Result<Operation, RequestError> {
        let request = self.config.call.check_request(request)?;
        let now = self.clock(now);
        let slot = self
            .slot_of(handle)
            .map_err(|elsewhere| elsewhere.request_error(handle.id()))?;
        self.serve_slot(now, slot, |c| c.handle_valid_request(now, request))
    }

    /// [`Engine::handle_media`] on the call `handle` names.
    pub fn handle_media_via(
        &self,
        now: Instant,
        handle: &CallHandle,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        let now = self.clock(now);
        let slot = self
            .slot_of(handle)
            .map_err(|elsewhere| elsewhere.input_ignored(handle.id()))?;
        self.media_on(now, slot, token, input)
    }

    /// [`Engine::handle_call_terminated`] on the call `handle` names: it
    /// ends that call only, never one established later under its id.
    pub fn handle_call_terminated_via(
        &self,
        now: Instant,
        handle: &CallHandle,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        let now = self.clock(now);
        let slot = self
            .slot_of(handle)
            .map_err(|elsewhere| elsewhere.input_ignored(handle.id()))?;
        self.terminated_on(now, slot, result)
    }
}
