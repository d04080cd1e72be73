//! The channel face: [`create`] and the two ends.
use super::core::{Face, SendWait};
use super::end::End;
use super::errors::{CloseError, NotFound, RecvError, ReleaseError, SendError};
use super::ledger::Ledger;
use super::registry::{ChannelRegistry, Handle};
use super::unbound::{Received, UnboundPolicy};
use super::{ChannelId, Status};
use crate::interp::InterpreterId;
use crate::sync::time::Deadline;
use crate::trace::event::{ChannelEvent, ChannelOp, Observation, Read};
use crate::Attached;
use std::fmt;
use std::time::Duration;

/// Creates a channel in the calling interpreter's runtime
/// (`_interpchannels.create(unboundop)`): `(receive end, send end)`. Items
/// whose sender interpreter is destroyed before they are received follow
/// `unbound` unless the send said otherwise. Nobody is associated yet.
///
/// ```
/// use xinterp::channel::{self, Received, UnboundPolicy};
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard()?;
/// guard.with_gil(|py| {
///     let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
///     tx.send_nowait(py, 7).unwrap();
///     assert_eq!(rx.recv(py, None), Ok(Received::Item(7)));
///     assert!(rx.ledger().is_balanced());
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create<T: Send + 'static>(py: Attached<'_>, unbound: UnboundPolicy) -> (RecvChannel<T>, SendChannel<T>) {
    let registry = &py.core().runtime.subsystems.channels;
    let (mut handles, created) = ChannelRegistry::create::<T>(registry, Face::Channel, 0, unbound, 2);
    let send = SendChannel { handle: handles.pop().expect("two handles") };
    let recv = RecvChannel { handle: handles.pop().expect("two handles") };
    crate::trace_event!(ChannelEvent {
        channel: send.id().get(),
        queue: false,
        who: Some(py.interpreter_id().get()),
        op: ChannelOp::Created { maxsize: 0, policy: unbound },
        state: created,
    });
    (recv, send)
}

/// The ids of the runtime's channels that are not closed
/// (`_interpchannels.list_all()`).
pub fn list_all(py: Attached<'_>) -> Vec<ChannelId> {
    py.core().runtime.subsystems.channels.list(Face::Channel)
}

/// Which ends a channel-wide [`close`](SendChannel::close_ends) names
/// (CPython's `send=` / `recv=` keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ends {
    /// `close(send=True)`: on a non-empty channel, unforced, the channel
    /// starts *closing* (new sends fail; it closes once drained).
    Send,
    /// `close(recv=True)`: refused with `NotEmpty` on a non-empty channel
    /// unless forced.
    Recv,
    /// `close()` / `close(send=True, recv=True)`: as `Recv`.
    Both,
}

/// The sending end of a channel. Cheap to clone, `Send + Sync`, usable from
/// any interpreter (pass it to another thread, or send it through a
/// channel); using it associates the calling interpreter with the send end.
pub struct SendChannel<T: Send + 'static> {
    handle: Handle<T>,
}

/// The receiving end of a channel; see [`SendChannel`].
pub struct RecvChannel<T: Send + 'static> {
    handle: Handle<T>,
}

macro_rules! common_end_api {
    ($end:expr) => {
        /// The channel's id: unique in its runtime, never reused.
        pub fn id(&self) -> ChannelId {
            self.handle.id()
        }

        /// The interpreters associated with this end now
        /// (`list_interpreters(cid, send=...)`), oldest first.
        pub fn list_interpreters(&self) -> Vec<InterpreterId> {
            self.handle.chan.list_interpreters($end)
        }

        /// Releases the calling interpreter's association with this end
        /// (`release()` on this end): it may not use the end afterwards.
        /// When no association is left open on either end, the channel
        /// closes (queued items are dropped, blocked senders get theirs
        /// back). A second release, or a release of a closed channel, is
        /// `Closed`.
        pub fn release(&self, py: Attached<'_>) -> Result<(), ReleaseError> {
            self.handle.chan.release(py.interpreter_id(), $end)
        }

        /// Whether the calling interpreter released this end.
        pub fn is_released(&self, py: Attached<'_>) -> bool {
            self.handle.chan.released_by(py.interpreter_id(), $end)
        }

        /// Channel-wide close (`close(send, recv, force)`), for every
        /// interpreter: see [`Ends`]. An empty channel closes at once;
        /// `force` drops the queued items (counted in the ledger) and wakes
        /// blocked senders with their items back. A closed channel, or a
        /// second close of the send end while closing, is `Closed`.
        pub fn close_ends(&self, which: Ends, force: bool) -> Result<(), CloseError> {
            self.handle.chan.close(which == Ends::Send, force)
        }

        /// Open, closing, or closed.
        pub fn status(&self) -> Status {
            let status = self.handle.chan.status();
            crate::trace_event!(Observation::new(None, Read::ChannelStatus { channel: self.id().get(), status }));
            status
        }

        /// Items queued now (markers included).
        pub fn len(&self) -> usize {
            let len = self.handle.chan.len();
            crate::trace_event!(Observation::new(None, Read::ChannelLen { channel: self.id().get(), len }));
            len
        }

        /// Whether nothing is queued now.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// Where every item offered to the channel went (invariant CH-1).
        pub fn ledger(&self) -> Ledger {
            self.handle.chan.ledger()
        }
    };
}

impl<T: Send + 'static> SendChannel<T> {
    common_end_api!(End::Send);

    /// The send end of the channel `id` in the calling interpreter's
    /// runtime (how an id received from elsewhere becomes an end).
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, NotFound> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Channel).map(|handle| Self { handle })
    }

    /// Sends `item` and waits until a receiver has taken *that item*
    /// (`send(obj, timeout=...)`), with the caller's GIL released while it
    /// waits. `None` waits as long as it takes. On timeout the item is
    /// withdrawn (it will never be delivered) and handed back in
    /// [`SendError::Timeout`], unless a receiver took it first (then `Ok`).
    /// A close while waiting hands it back in [`SendError::Closed`].
    pub fn send(&self, py: Attached<'_>, item: T, timeout: Option<Duration>) -> Result<(), SendError<T>> {
        let deadline = timeout.map_or_else(Deadline::never, Deadline::after);
        self.send_until(py, item, &deadline)
    }

    /// [`send`](Self::send) with a [`Deadline`] (models use
    /// [`Deadline::manual`] and a timer thread).
    pub fn send_until(&self, py: Attached<'_>, item: T, deadline: &Deadline) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, None, SendWait::ForReceipt(deadline))
    }

    /// [`send_until`](Self::send_until) with this item's own unbound policy.
    pub fn send_until_unbound(
        &self,
        py: Attached<'_>,
        item: T,
        unbound: UnboundPolicy,
        deadline: &Deadline,
    ) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, Some(unbound), SendWait::ForReceipt(deadline))
    }

    /// Queues `item` and returns at once (`send_nowait`).
    pub fn send_nowait(&self, py: Attached<'_>, item: T) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, None, SendWait::No)
    }

    /// [`send_nowait`](Self::send_nowait) with this item's own unbound policy.
    pub fn send_nowait_unbound(&self, py: Attached<'_>, item: T, unbound: UnboundPolicy) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, Some(unbound), SendWait::No)
    }

    /// CPython's `SendChannel.close(force)`: `close(send=True)`.
    pub fn close(&self, force: bool) -> Result<(), CloseError> {
        self.close_ends(Ends::Send, force)
    }
}

impl<T: Send + 'static> RecvChannel<T> {
    common_end_api!(End::Recv);

    /// The receive end of the channel `id` in the calling interpreter's
    /// runtime.
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, NotFound> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Channel).map(|handle| Self { handle })
    }

    /// Receives the next item, waiting (GIL released) until there is one or
    /// the channel closes; `None` waits as long as it takes, else
    /// [`RecvError::Timeout`].
    pub fn recv(&self, py: Attached<'_>, timeout: Option<Duration>) -> Result<Received<T>, RecvError> {
        let deadline = timeout.map_or_else(Deadline::never, Deadline::after);
        self.recv_until(py, &deadline)
    }

    /// [`recv`](Self::recv) with a [`Deadline`].
    pub fn recv_until(&self, py: Attached<'_>, deadline: &Deadline) -> Result<Received<T>, RecvError> {
        self.handle.chan.recv(py.interpreter_id(), Some(deadline))
    }

    /// The next item if there is one, else [`RecvError::Empty`].
    pub fn try_recv(&self, py: Attached<'_>) -> Result<Received<T>, RecvError> {
        self.handle.chan.recv(py.interpreter_id(), None)
    }

    /// CPython's `recv_nowait(default)`: the next item, or `default` when
    /// nothing is queued.
    pub fn recv_nowait(&self, py: Attached<'_>, default: T) -> Result<Received<T>, RecvError> {
        match self.try_recv(py) {
            Err(RecvError::Empty) => Ok(Received::Item(default)),
            other => other,
        }
    }

    /// CPython's `RecvChannel.close(force)`: `close(recv=True)`.
    pub fn close(&self, force: bool) -> Result<(), CloseError> {
        self.close_ends(Ends::Recv, force)
    }
}

impl<T: Send + 'static> Clone for SendChannel<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> Clone for RecvChannel<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> fmt::Debug for SendChannel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendChannel").field("id", &self.id()).finish()
    }
}

impl<T: Send + 'static> fmt::Debug for RecvChannel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvChannel").field("id", &self.id()).finish()
    }
}
