//! The per-call state machine: one call's media queue, tone subscription and
//! lifecycle. Pure and deterministic: no I/O, no clock, no randomness of its
//! own.

mod extension;
mod ledger;
mod media;
mod view;

use std::mem;
use std::sync::Arc;

use crate::config::CallConfig;
use crate::error::{ConfigError, InputIgnored, RequestError};
use crate::id::{CallId, IdSource, OperationId};
use crate::io::{MediaInput, Notification, Output};
use crate::model::{
    Action, EndReason, MediaRequest, Operation, OperationKind, OperationStatus, Request, ResultInfo,
};
use crate::snapshot::parts::CallParts;
use crate::snapshot::{self, CallSnapshot, SnapshotError};
use crate::thin_deque::ThinDeque;
use crate::time::Instant;
use crate::validate::Checked;

use ledger::{Ledger, MediaResults, Notice, Origin, new_operation};
use media::{EndReasons, Media, Queued};

pub use extension::{CancelReceipt, CancelScope, CancelledAt, CancelledOperation};
pub use view::{ActiveView, CallView, MediaPhase};

/// One established call: its media queue, tone subscription and lifecycle.
///
/// # Driving it
/// - (A) getters: [`Call::operation`], [`Call::queued_len`], ...
/// - (B) inputs, each taking `now`: [`Call::handle_request`],
///   [`Call::handle_media`], [`Call::handle_terminated`],
///   [`Call::handle_timeout`].
/// - (C) outputs: after every input, drain [`Call::poll_output`] until it
///   returns `None`, then ask [`Call::poll_timeout`] when to call
///   [`Call::handle_timeout`] next.
///
/// Time must not go backwards; an earlier `now` is treated as the latest
/// one seen, and one past [`Instant::LATEST`] as that. Timers that are due
/// when an input arrives fire first, at their own deadlines, so a late
/// `handle_timeout` never reorders events.
#[derive(Clone, Debug)]
pub struct Call {
    id: CallId,
    config: Arc<CallConfig>,
    ids: IdSource,
    last_now: Instant,
    ledger: Ledger,
    state: CallState,
}

#[derive(Clone, Debug)]
enum CallState {
    Established(Media),
    Terminated,
}

impl Call {
    /// A call that was established at `now`. `ids` is used as given (see
    /// [`IdSource::for_call`] to split one seed across calls). Refused when
    /// a setting is outside its range ([`CallConfig::check`]).
    pub fn new(
        id: CallId,
        config: Arc<CallConfig>,
        ids: IdSource,
        now: Instant,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Self::with_checked_config(id, config, ids, now))
    }

    /// [`Call::new`] with settings already checked (by the engine).
    pub(crate) fn with_checked_config(
        id: CallId,
        config: Arc<CallConfig>,
        ids: IdSource,
        now: Instant,
    ) -> Self {
        let mut call = Self {
            id,
            ids,
            last_now: now.min(Instant::LATEST),
            ledger: Ledger {
                etag: 0,
                outputs: ThinDeque::new(),
                polled: 0,
                finished: ThinDeque::new(),
            },
            state: CallState::Established(Media::default()),
            config,
        };
        if call.config.notify_established {
            call.ledger
                .emit(Output::Notification(Notification::CallEstablished));
        }
        call
    }

    /// A bot request. Returns the operation as the POST response shows it;
    /// a refused request changes nothing, not even the id source.
    pub fn handle_request(
        &mut self,
        now: Instant,
        request: Request,
    ) -> Result<Operation, RequestError> {
        let request = self.config.check_request(request)?;
        self.handle_valid_request(now, request)
    }

    /// `Err` when the call cannot take a request now: it has ended, or its
    /// undrained outputs are at [`CallConfig::max_pending_outputs`].
    fn ready_for_request(&self) -> Result<(), RequestError> {
        if self.is_terminated() {
            return Err(RequestError::CallTerminated(self.id.clone()));
        }
        self.room_for_outputs()
            .map_err(|(pending, limit)| RequestError::OutputsBacklogged { pending, limit })
    }

    /// `Err((pending, limit))` when undrained outputs are at
    /// [`CallConfig::max_pending_outputs`].
    fn room_for_outputs(&self) -> Result<(), (usize, usize)> {
        let (pending, limit) = (self.ledger.outputs.len(), self.config.max_pending_outputs);
        if pending >= limit {
            Err((pending, limit))
        } else {
            Ok(())
        }
    }

    /// The bot ended the call (`DELETE`) or the caller hung up: every pending
    /// media operation ends, then `terminating` and `terminated` follow.
    pub fn handle_terminated(
        &mut self,
        now: Instant,
        result: ResultInfo,
    ) -> Result<(), InputIgnored> {
        let now = self.advance(now);
        let CallState::Established(mut media) =
            mem::replace(&mut self.state, CallState::Terminated)
        else {
            return Err(InputIgnored::CallTerminated(self.id.clone()));
        };
        // Graph says nothing of what the call's end took with it, unless
        // told to (`notifyOnTermination`).
        let notice = if self.config.notify_on_termination {
            Notice::Notify
        } else {
            Notice::Abandon
        };
        let reasons = EndReasons::all(EndReason::CallTerminated);
        media.end_all(&mut self.ledger, now, reasons, None, notice);
        self.ledger
            .emit(Output::Notification(Notification::CallTerminating));
        self.ledger
            .emit(Output::Notification(Notification::CallTerminated {
                result,
            }));
        // GET answers 404 from now on: nothing to remember.
        self.ledger.finished.clear();
        Ok(())
    }

    /// A media-layer input. `token` is the operation the media layer says it
    /// belongs to (from the [`crate::MediaCommand`] it answers); with `None`
    /// it applies to whatever is active. Tones are call-wide and ignore it.
    pub fn handle_media(
        &mut self,
        now: Instant,
        token: Option<OperationId>,
        input: MediaInput,
    ) -> Result<(), InputIgnored> {
        if self.is_terminated() {
            return Err(InputIgnored::CallTerminated(self.id.clone()));
        }
        self.room_for_outputs()
            .map_err(|(pending, limit)| InputIgnored::OutputsBacklogged { pending, limit })?;
        let now = self.advance(now);
        let CallState::Established(media) = &mut self.state else {
            return Err(InputIgnored::CallTerminated(self.id.clone()));
        };
        media.handle_input(&mut self.ledger, &self.id, now, token, input)
    }

    /// Fires the timers due at or before `now`, each at its own deadline.
    /// Calling it early, or twice, does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// Makes room for `additional` more pending outputs. The output queue
    /// keeps its room after it is drained, so a call that has cancelled a
    /// long queue once does not allocate to do it again; this gets there
    /// ahead of time (a cancel of n operations emits at most n + 1 outputs).
    pub fn reserve_outputs(&mut self, additional: usize) {
        self.ledger.outputs.reserve(additional);
    }

    /// The next output, in the order things happened.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.poll_sequenced().map(|(_, output)| output)
    }

    /// The next output with its sequence number in the call (extension:
    /// total order): 1, 2, 3, ... over every output of the call, media
    /// commands and silent ends included, with no gaps. A snapshot keeps
    /// the count.
    #[must_use]
    pub fn poll_sequenced(&mut self) -> Option<(u64, Output)> {
        let output = self.ledger.outputs.pop_front()?;
        self.ledger.polled = self.ledger.polled.wrapping_add(1);
        if let Output::Notification(Notification::OperationEnded(ended)) = &output {
            // Ended operations enter the GET memory as they leave, which
            // keeps that bookkeeping off the path that ends them (cancel).
            let retained = self.config.retained_operations;
            self.ledger.remember(ended.operation.clone(), retained);
        }
        Some((self.ledger.polled, output))
    }

    /// When [`Call::handle_timeout`] must be called next; never earlier than
    /// the latest `now` seen. `None`: no timer runs.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            CallState::Established(media) => media.deadline().map(|d| d.max(self.last_now)),
            CallState::Terminated => None,
        }
    }

    /// The call's state as a versioned value, to restore it elsewhere with
    /// [`Call::restore`]. It holds no config: the restoring side's applies.
    pub fn snapshot(&self) -> CallSnapshot {
        CallSnapshot::new(CallParts {
            id: self.id.clone(),
            ids: self.ids.clone(),
            clock: self.last_now,
            etag: self.ledger.etag,
            polled: self.ledger.polled,
            outputs: self.ledger.outputs.iter().cloned().collect(),
            remembered: self.ledger.finished.iter().cloned().collect(),
            media: match &self.state {
                CallState::Established(media) => Some(media.to_parts()),
                CallState::Terminated => None,
            },
        })
    }

    /// The call a snapshot holds, with `config` (the restoring side's: the
    /// snapshot carries none), going on exactly where it was.
    ///
    /// The snapshot is checked first (see [`crate::snapshot`]'s docs for
    /// what): one that a live call under `config` could not have given is
    /// refused with a [`SnapshotError`] saying what is wrong, and the
    /// caller still holds it.
    pub fn restore(
        snapshot: &CallSnapshot,
        config: Arc<CallConfig>,
    ) -> Result<Self, SnapshotError> {
        config.check().map_err(SnapshotError::InvalidConfig)?;
        let parts = snapshot.parts();
        snapshot::check(parts, &config)?;
        let parts = parts.clone();
        let state = match parts.media {
            Some(media) => CallState::Established(Media::from_parts(media)?),
            None => CallState::Terminated,
        };
        Ok(Self {
            id: parts.id,
            ids: parts.ids,
            last_now: parts.clock,
            ledger: Ledger {
                etag: parts.etag,
                outputs: parts.outputs.into(),
                polled: parts.polled,
                finished: parts.remembered.into(),
            },
            state,
            config,
        })
    }

    /// The latest `now` the call has seen.
    pub fn last_now(&self) -> Instant {
        self.last_now
    }

    /// Lends the call an empty output buffer (with room), unless it holds
    /// outputs already.
    pub(crate) fn lend_output_buffer(&mut self, buffer: ThinDeque<Output>) {
        if self.ledger.outputs.is_empty() {
            self.ledger.outputs = buffer;
        }
    }

    /// Gives back room the call keeps for speed: the output queue's once
    /// drained, and the media queue's once empty. A runtime driving a call
    /// itself may do this when the call is idle; an [`crate::Engine`] does
    /// it after every input (lending calls a warm output buffer instead).
    pub fn shrink_to_fit(&mut self) {
        self.ledger.outputs.free_if_empty();
        if let CallState::Established(media) = &mut self.state {
            media.shrink_to_fit();
        }
    }

    /// The call's output buffer once drained, so that a call at rest holds
    /// none; a buffer still holding outputs stays.
    pub(crate) fn take_output_buffer(&mut self) -> ThinDeque<Output> {
        if self.ledger.outputs.is_empty() {
            mem::take(&mut self.ledger.outputs)
        } else {
            ThinDeque::new()
        }
    }

    /// [`Call::handle_request`] for a request that passed validation.
    pub(crate) fn handle_valid_request(
        &mut self,
        now: Instant,
        request: Checked<Request>,
    ) -> Result<Operation, RequestError> {
        let Request {
            api,
            client_context,
            action,
        } = request.into_inner();
        let (kind, media_request) = match action {
            Action::PlayPrompt(play) => (
                OperationKind::PlayPrompt,
                Some(MediaRequest::PlayPrompt(play)),
            ),
            Action::Record(record) => (OperationKind::Record, Some(MediaRequest::Record(record))),
            Action::SubscribeToTone => (OperationKind::SubscribeToTone, None),
            Action::CancelMediaProcessing => (OperationKind::CancelMediaProcessing, None),
        };
        let origin = Origin {
            api,
            client_context,
        };
        self.accept(now, origin, kind, media_request)
    }

    /// Creates the operation of a valid request: a media one joins the
    /// queue, the others act at once.
    fn accept(
        &mut self,
        now: Instant,
        origin: Origin,
        kind: OperationKind,
        media_request: Option<MediaRequest>,
    ) -> Result<Operation, RequestError> {
        self.ready_for_request()?;
        let now = self.advance(now);
        let CallState::Established(media) = &mut self.state else {
            return Err(RequestError::CallTerminated(self.id.clone()));
        };
        let barge_in =
            matches!(&media_request, Some(MediaRequest::Record(r)) if r.barge_in_allowed);
        // A barge-in empties the queue, so it never waits for room.
        if media_request.is_some() && !barge_in && media.len() >= self.config.queue_capacity {
            return Err(RequestError::QueueFull {
                call: self.id.clone(),
                capacity: self.config.queue_capacity,
            });
        }
        let mut op = new_operation(&mut self.ids, &mut self.ledger, kind, origin);
        let Some(media_request) = media_request else {
            match kind {
                OperationKind::SubscribeToTone => media.subscribe_to_tones(),
                _ => {
                    let reasons = EndReasons {
                        running: EndReason::CancelledWhileRunning,
                        queued: EndReason::CancelledWhileQueued,
                    };
                    media.end_all(&mut self.ledger, now, reasons, Some(op.id), Notice::Notify);
                }
            }
            self.ledger
                .remember(op.clone(), self.config.retained_operations);
            return Ok(op);
        };
        if barge_in {
            let reasons = EndReasons::all(EndReason::DisplacedByBargeIn);
            media.end_all(&mut self.ledger, now, reasons, Some(op.id), Notice::Notify);
        }
        let starts_now = media.len() == 0;
        op.status = if starts_now || !self.config.not_started_for_queued {
            OperationStatus::Running
        } else {
            OperationStatus::NotStarted
        };
        let shown = op.clone();
        media.enqueue(
            &mut self.ledger,
            now,
            Queued {
                op,
                request: media_request,
            },
        );
        Ok(shown)
    }

    /// Fires the timers due by `at`, each at its own deadline (the call's
    /// clock moves to it, not to `at`), and hands the call to `fired` after
    /// each firing: an engine stamps what the firing wrote with its
    /// deadline. A call's outputs carry no time of their own: whoever
    /// drains them knows it (the time of the input, or of the firing).
    pub(crate) fn fire_due_each(&mut self, at: Instant, mut fired: impl FnMut(&mut Self, Instant)) {
        // `advance(deadline)` fires every timer due by `deadline` and moves
        // the next one later (it checks), so this ends.
        while let Some(deadline) = self.poll_timeout().filter(|d| *d <= at) {
            self.advance(deadline);
            fired(self, deadline);
        }
    }

    /// Takes `now` as the current time (never earlier than before), firing
    /// the timers due by then at their own deadlines.
    fn advance(&mut self, now: Instant) -> Instant {
        let now = now.min(Instant::LATEST).max(self.last_now);
        self.last_now = now;
        if let CallState::Established(media) = &mut self.state {
            // Each firing ends what the timer was for; whatever runs next
            // has timers at least 1 ms later. A firing that leaves the
            // deadline where it was is a bug that would spin here forever:
            // it fails loudly instead (an engine then fails only this call).
            while let Some(deadline) = media.fire_due(&mut self.ledger, now) {
                if media.deadline().is_some_and(|next| next <= deadline) {
                    panic!(
                        "call {}: the timer due at {deadline} fired without moving the deadline",
                        self.id
                    );
                }
            }
        }
        now
    }
}
