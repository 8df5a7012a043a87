//! The per-call state machine: one call's media queue, tone subscription and
//! lifecycle. Pure and deterministic: no I/O, no clock, no randomness of its
//! own.

mod media;

use std::collections::VecDeque;
use std::mem;
use std::sync::Arc;

use crate::config::CallConfig;
use crate::error::{ConfigError, InputIgnored, RequestError};
use crate::id::{CallId, IdSource, OperationId};
use crate::io::{MediaInput, Notification, OperationEnded, Output, PartialRecording};
use crate::model::{
    Action, ApiVersion, CollectDigits, Digits, EndReason, MediaRequest, Operation, OperationKind,
    OperationStatus, Request, ResultInfo,
};
use crate::snapshot::parts::CallParts;
use crate::snapshot::{self, CallSnapshot, SnapshotError};
use crate::time::Instant;

use media::{Media, Queued};

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

/// What the active operation has the media layer doing (extension: Graph
/// shows none of this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaPhase {
    /// Playing prompt `index` (0-based) of its `count`.
    Prompt {
        /// Which prompt.
        index: usize,
        /// How many the operation has.
        count: usize,
    },
    /// Playing the record beep.
    Beep,
    /// Recording the caller.
    Recording,
    /// Recording stopped, waiting for the media layer to store it.
    Storing,
    /// Extension: collecting digits, this many so far.
    Collecting {
        /// Keys collected.
        digits: usize,
    },
}

/// The active operation in a [`CallView`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveView {
    /// The operation.
    pub operation: Operation,
    /// What it is doing.
    pub phase: MediaPhase,
    /// Since when (the position in the phase is `now - phase_since`).
    pub phase_since: Instant,
}

/// Which operations a cancel ends (extension: Graph's cancel ends all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelScope {
    /// The active operation and every queued one, as Graph does.
    All,
    /// Only the active operation; the queue goes on.
    Current,
    /// This one operation, active or queued.
    Operation(OperationId),
    /// Every operation (active or queued) whose clientContext starts so.
    ClientContextPrefix(Arc<str>),
}

/// What a cancel ended (extension: Graph's response says nothing of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelReceipt {
    /// The cancelMediaProcessing operation itself, as its POST shows it.
    pub cancel: Operation,
    /// Every operation the cancel ended: the active one first, then the
    /// queued ones in order.
    pub ended: Vec<CancelledOperation>,
}

/// One operation a cancel ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelledOperation {
    /// The operation in its final state (failed, 400/8508).
    pub operation: Operation,
    /// Where it was when the cancel came.
    pub was: CancelledAt,
}

/// Where a cancelled operation was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelledAt {
    /// Running, in this phase, this far into it: ms of the prompt played,
    /// of the beep, of recording, or of waiting for the store.
    Running {
        /// The phase.
        phase: MediaPhase,
        /// Milliseconds into it, on the embedder's clock.
        position_ms: u64,
    },
    /// Waiting in the queue at this place (1: it would have started next).
    Queued {
        /// Its place.
        position: usize,
    },
}

/// A read-only picture of a call: what plays, what waits, the tones
/// (extension: queue introspection Graph does not offer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallView {
    /// The call.
    pub id: CallId,
    /// Whether it has ended.
    pub terminated: bool,
    /// The operation playing or recording now.
    pub active: Option<ActiveView>,
    /// The operations waiting, in the order they will start.
    pub queued: Vec<Operation>,
    /// Whether the bot subscribed to tones.
    pub tone_subscription: bool,
    /// Tones delivered so far (the last `sequenceId`).
    pub tones_delivered: u64,
    /// The next timer deadline.
    pub next_deadline: Option<Instant>,
}

/// What the active operation got before it ended (extensions).
#[derive(Debug, Default)]
struct MediaResults {
    partial_recording: Option<PartialRecording>,
    digits: Digits,
}

/// Where ended operations and outputs go: shared by every transition.
#[derive(Clone, Debug)]
struct Ledger {
    etag: u64,
    outputs: VecDeque<Output>,
    /// Outputs polled so far: the next one's sequence number is this + 1.
    polled: u64,
    finished: VecDeque<Operation>,
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
                outputs: VecDeque::new(),
                polled: 0,
                finished: VecDeque::new(),
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
        self.config.validate(&request)?;
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

    /// cancelMediaProcessing that also says what it ended, and where each
    /// operation was (extension). The response and the notifications are
    /// exactly those of [`Call::handle_request`] with the same request; this
    /// only adds the receipt (and allocates it).
    pub fn cancel_with_receipt(
        &mut self,
        now: Instant,
        request: Request,
    ) -> Result<CancelReceipt, RequestError> {
        self.cancel_scoped(now, request, CancelScope::All)
    }

    /// A cancel of only some operations (extension): each one ended reports
    /// exactly as Graph's cancel reports it, and the queue goes on with the
    /// rest. [`CancelScope::All`] is Graph's own cancel. Naming an operation
    /// the call does not hold (active or queued) is refused and changes
    /// nothing.
    pub fn cancel_scoped(
        &mut self,
        now: Instant,
        request: Request,
        scope: CancelScope,
    ) -> Result<CancelReceipt, RequestError> {
        self.config.validate_cancel(&request)?;
        self.cancel_scoped_valid(now, request, scope)
    }

    /// [`Call::cancel_scoped`] for a cancel that passed validation.
    pub(crate) fn cancel_scoped_valid(
        &mut self,
        now: Instant,
        request: Request,
        scope: CancelScope,
    ) -> Result<CancelReceipt, RequestError> {
        self.ready_for_request()?;
        if let CancelScope::Operation(id) = &scope {
            let held =
                matches!(&self.state, CallState::Established(media) if media.find(*id).is_some());
            if !held {
                return Err(RequestError::OperationNotFound {
                    call: self.id.clone(),
                    operation: *id,
                });
            }
        }
        // Timers due by now fire first: the receipt names what the cancel
        // itself ended.
        let now = self.advance(now);
        let (active, queued) = match &self.state {
            CallState::Established(media) => (
                media.active_view(),
                media.queued().map(|op| op.id).collect::<Vec<_>>(),
            ),
            CallState::Terminated => return Err(RequestError::CallTerminated(self.id.clone())),
        };
        // What the cancel ends is what it adds to the outputs from here.
        let first_new = self.ledger.outputs.len();
        let cancel = match scope {
            CancelScope::All => self.handle_valid_request(now, request)?,
            scope => {
                let CallState::Established(media) = &mut self.state else {
                    return Err(RequestError::CallTerminated(self.id.clone()));
                };
                let origin = (request.api, request.client_context);
                let kind = OperationKind::CancelMediaProcessing;
                let op = new_operation(&mut self.ids, &mut self.ledger, kind, origin);
                media.cancel_where(&mut self.ledger, now, op.id, |candidate| match &scope {
                    CancelScope::All => true,
                    CancelScope::Current => active
                        .as_ref()
                        .is_some_and(|a| a.operation.id == candidate.id),
                    CancelScope::Operation(id) => candidate.id == *id,
                    CancelScope::ClientContextPrefix(prefix) => candidate
                        .client_context
                        .as_deref()
                        .is_some_and(|c| c.starts_with(&**prefix)),
                });
                self.ledger
                    .remember(op.clone(), self.config.retained_operations);
                op
            }
        };
        let running = active.map(|view| {
            let position_ms = media::elapsed_ms(view.phase_since, now);
            (
                view.operation.id,
                CancelledAt::Running {
                    phase: view.phase,
                    position_ms,
                },
            )
        });
        // The active operation ends first, then the queued ones in queue
        // order: one walk down `queued` finds each one's place.
        let mut waiting = queued.iter().enumerate();
        let ended = self
            .ledger
            .outputs
            .range(first_new..)
            .filter_map(|output| match output {
                Output::Notification(Notification::OperationEnded(ended))
                    if ended.reason().is_cancellation() =>
                {
                    Some(&ended.operation)
                }
                _ => None,
            })
            .filter_map(|operation| {
                let was = match running {
                    Some((id, was)) if id == operation.id => was,
                    _ => {
                        let (i, _) = waiting.find(|(_, id)| **id == operation.id)?;
                        CancelledAt::Queued { position: i + 1 }
                    }
                };
                Some(CancelledOperation {
                    operation: operation.clone(),
                    was,
                })
            })
            .collect();
        Ok(CancelReceipt { cancel, ended })
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
        let on_wire = self.config.notify_on_termination;
        let reasons = (EndReason::CallTerminated, EndReason::CallTerminated);
        media.end_all(&mut self.ledger, now, reasons, None, on_wire);
        self.ledger
            .emit(Output::Notification(Notification::CallTerminating));
        self.ledger
            .emit(Output::Notification(Notification::CallTerminated {
                result,
            }));
        // GET answers 404 from now on: nothing to remember.
        self.ledger.finished = VecDeque::new();
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
            state: match parts.media {
                Some(media) => CallState::Established(Media::from_parts(media)),
                None => CallState::Terminated,
            },
            config,
        })
    }

    /// The latest `now` the call has seen.
    pub fn last_now(&self) -> Instant {
        self.last_now
    }

    /// Lends the call an empty output buffer (with room), unless it holds
    /// outputs already.
    pub(crate) fn lend_output_buffer(&mut self, buffer: VecDeque<Output>) {
        if self.ledger.outputs.is_empty() {
            self.ledger.outputs = buffer;
        }
    }

    /// Gives back room the call keeps for speed: the output queue's once
    /// drained, and the media queue's once empty. A runtime driving a call
    /// itself may do this when the call is idle; an [`crate::Engine`] does
    /// it after every input (lending calls a warm output buffer instead).
    pub fn shrink_to_fit(&mut self) {
        if self.ledger.outputs.is_empty() {
            self.ledger.outputs = VecDeque::new();
        }
        if let CallState::Established(media) = &mut self.state {
            media.shrink_to_fit();
        }
    }

    /// The call's output buffer once drained, so that a call at rest holds
    /// none; a buffer still holding outputs stays.
    pub(crate) fn take_output_buffer(&mut self) -> VecDeque<Output> {
        if self.ledger.outputs.is_empty() {
            mem::take(&mut self.ledger.outputs)
        } else {
            VecDeque::new()
        }
    }

    /// A read-only picture of the call.
    pub fn view(&self) -> CallView {
        let (active, tone_subscription, tones_delivered) = match &self.state {
            CallState::Established(media) => (
                media.active_view(),
                media.tones_subscribed(),
                media.tones_delivered(),
            ),
            CallState::Terminated => (None, false, 0),
        };
        CallView {
            id: self.id.clone(),
            terminated: self.is_terminated(),
            active,
            queued: self.queued_operations().cloned().collect(),
            tone_subscription,
            tones_delivered,
            next_deadline: self.poll_timeout(),
        }
    }

    /// The call's id.
    pub fn id(&self) -> &CallId {
        &self.id
    }

    /// Whether the call has ended.
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, CallState::Terminated)
    }

    /// An operation as `GET` shows it: active, queued, or ended and still
    /// remembered (the last [`CallConfig::retained_operations`], and those
    /// whose notification is not polled yet). `None` once the call has ended.
    pub fn operation(&self, id: OperationId) -> Option<Operation> {
        let CallState::Established(media) = &self.state else {
            return None;
        };
        let pending = self
            .ledger
            .outputs
            .iter()
            .filter_map(|output| match output {
                Output::Notification(Notification::OperationEnded(ended)) => Some(&ended.operation),
                _ => None,
            });
        media
            .find(id)
            .or_else(|| pending.rev().find(|op| op.id == id))
            .or_else(|| self.ledger.finished.iter().rev().find(|op| op.id == id))
            .cloned()
    }

    /// Active plus queued media operations.
    pub fn queued_len(&self) -> usize {
        match &self.state {
            CallState::Established(media) => media.len(),
            CallState::Terminated => 0,
        }
    }

    /// The operation that is playing or recording now.
    pub fn active_operation(&self) -> Option<&Operation> {
        match &self.state {
            CallState::Established(media) => media.active_operation(),
            CallState::Terminated => None,
        }
    }

    /// The queued operations (not the active one), in the order they will
    /// start.
    pub fn queued_operations(&self) -> impl Iterator<Item = &Operation> {
        let queued = match &self.state {
            CallState::Established(media) => Some(media.queued()),
            CallState::Terminated => None,
        };
        queued.into_iter().flatten()
    }

    /// Whether the bot subscribed to tones.
    pub fn has_tone_subscription(&self) -> bool {
        matches!(&self.state, CallState::Established(media) if media.tones_subscribed())
    }

    /// Outputs waiting to be polled.
    pub fn pending_outputs(&self) -> usize {
        self.ledger.outputs.len()
    }

    /// [`Call::handle_request`] for a request that passed validation.
    pub(crate) fn handle_valid_request(
        &mut self,
        now: Instant,
        request: Request,
    ) -> Result<Operation, RequestError> {
        let Request {
            api,
            client_context,
            action,
        } = request;
        let (kind, media_request) = match action {
            Action::PlayPrompt(play) => (
                OperationKind::PlayPrompt,
                Some(MediaRequest::PlayPrompt(play)),
            ),
            Action::Record(record) => (OperationKind::Record, Some(MediaRequest::Record(record))),
            Action::SubscribeToTone => (OperationKind::SubscribeToTone, None),
            Action::CancelMediaProcessing => (OperationKind::CancelMediaProcessing, None),
        };
        self.accept(now, (api, client_context), kind, media_request)
    }

    /// Extension: queues a collect-digits operation (see [`CollectDigits`]),
    /// after the playPrompts and records already queued, as one of them. It
    /// ends with one [`Notification::OperationEnded`] like them, whose
    /// [`OperationEnded::digits`] holds the keys; a cancel or barge-in ends
    /// it as it ends them. Refused (changing nothing) if a field breaks its
    /// rule or the queue is full.
    pub fn handle_collect_digits(
        &mut self,
        now: Instant,
        client_context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> Result<Operation, RequestError> {
        self.config
            .validate_collect_digits(client_context.as_deref(), &collect)?;
        self.handle_valid_collect_digits(now, client_context, collect)
    }

    /// [`Call::handle_collect_digits`] for settings that passed validation.
    pub(crate) fn handle_valid_collect_digits(
        &mut self,
        now: Instant,
        client_context: Option<Arc<str>>,
        collect: CollectDigits,
    ) -> Result<Operation, RequestError> {
        let media_request = Some(MediaRequest::CollectDigits(collect));
        let origin = (ApiVersion::V1, client_context);
        self.accept(now, origin, OperationKind::CollectDigits, media_request)
    }

    /// Creates the operation of a valid request: a media one joins the
    /// queue, the others act at once.
    fn accept(
        &mut self,
        now: Instant,
        origin: (ApiVersion, Option<Arc<str>>),
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
                    let reasons = (
                        EndReason::CancelledWhileRunning,
                        EndReason::CancelledWhileQueued,
                    );
                    media.end_all(&mut self.ledger, now, reasons, Some(op.id), true);
                }
            }
            self.ledger
                .remember(op.clone(), self.config.retained_operations);
            return Ok(op);
        };
        if barge_in {
            let reason = EndReason::DisplacedByBargeIn;
            media.end_all(&mut self.ledger, now, (reason, reason), Some(op.id), true);
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
            while let Some(deadline) = media.deadline().filter(|d| *d <= now) {
                media.fire_timer(&mut self.ledger, deadline);
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

/// A new operation, `completed` until a media one is queued.
fn new_operation(
    ids: &mut IdSource,
    ledger: &mut Ledger,
    kind: OperationKind,
    (api, client_context): (ApiVersion, Option<Arc<str>>),
) -> Operation {
    Operation {
        id: ids.next_id(),
        kind,
        api,
        client_context,
        status: OperationStatus::Completed,
        end: None,
        recording: None,
        etag: ledger.next_etag(),
    }
}

impl Ledger {
    fn next_etag(&mut self) -> u64 {
        // Wrapping: a restored snapshot may hold any count.
        self.etag = self.etag.wrapping_add(1);
        self.etag
    }

    fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    /// Ends a media operation (on account of operation `by`, if one): one
    /// notification, or for a silent call end one abandoned report. It
    /// enters the `GET` memory when polled.
    fn finish(
        &mut self,
        queued: Queued,
        reason: EndReason,
        by: Option<OperationId>,
        results: MediaResults,
        on_wire: bool,
    ) {
        self.end_each(std::iter::once((queued, results)), reason, by, on_wire);
    }

    /// [`Ledger::finish`] for many queued ones (nothing recorded or
    /// collected).
    fn finish_all(
        &mut self,
        queued: impl ExactSizeIterator<Item = Queued>,
        reason: EndReason,
        by: Option<OperationId>,
        on_wire: bool,
    ) {
        let ended = queued.map(|queued| (queued, MediaResults::default()));
        self.end_each(ended, reason, by, on_wire);
    }

    /// One reservation, then each ended operation moves into its output
    /// once. This loop is the cancel hot path (`benches/cancel.rs`), where
    /// each branch and copy shows: the status is worked out once.
    fn end_each(
        &mut self,
        ended: impl ExactSizeIterator<Item = (Queued, MediaResults)>,
        reason: EndReason,
        by: Option<OperationId>,
        on_wire: bool,
    ) {
        self.outputs.reserve(ended.len());
        let status = reason.status();
        for (Queued { op, request }, results) in ended {
            self.etag = self.etag.wrapping_add(1);
            let ended = OperationEnded {
                operation: Operation {
                    status,
                    end: Some(reason),
                    etag: self.etag,
                    ..op
                },
                request,
                ended_by: by,
                partial_recording: results.partial_recording,
                digits: results.digits,
            };
            self.outputs.push_back(if on_wire {
                Output::Notification(Notification::OperationEnded(ended))
            } else {
                Output::Abandoned(ended)
            });
        }
    }

    /// Adds an ended operation to the `GET` memory, forgetting the oldest
    /// when full. The memory grows with what it holds, one slot at a time
    /// for the first few (most calls end a handful of operations), then by
    /// doubling, never past `retained`; once there it never reallocates.
    fn remember(&mut self, op: Operation, retained: usize) {
        if retained == 0 {
            return;
        }
        // Never more than `retained` (a restore refuses more), so one out
        // makes room.
        if self.finished.len() >= retained {
            self.finished.pop_front();
        }
        let len = self.finished.len();
        if len == self.finished.capacity() {
            let grow = if len < 4 { 1 } else { len };
            self.finished.reserve_exact(grow.min(retained - len));
        }
        self.finished.push_back(op);
    }
}
