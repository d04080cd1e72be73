//! The queue face (PEP 734 `concurrent.interpreters.Queue`): the channel
//! core with a `maxsize`, without association or close.
use super::core::{Face, SendWait};
use super::errors::{NotFound, RecvError, SendError};
use super::ledger::Ledger;
use super::registry::{ChannelRegistry, Handle};
use super::unbound::{Received, UnboundPolicy};
use super::ChannelId;
use crate::sync::time::Deadline;
use crate::trace::event::{ChannelEvent, ChannelOp, Observation, Read};
use crate::Attached;
use std::fmt;
use std::time::Duration;

/// A cross-interpreter FIFO queue. Cheap to clone, `Send + Sync`; every
/// clone is the same queue. `put` returns once the item is queued (it does
/// not wait for a receiver, unlike a channel's `send`).
///
/// ```
/// use xinterp::channel::{Queue, Received, SendError, UnboundPolicy};
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard()?;
/// guard.with_gil(|py| {
///     let queue = Queue::<&str>::create(py, 1, UnboundPolicy::Remove);
///     queue.put_nowait(py, "a").unwrap();
///     assert!(matches!(queue.put_nowait(py, "b"), Err(SendError::Full("b"))));
///     assert_eq!(queue.get_nowait(py), Ok(Received::Item("a")));
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Queue<T: Send + 'static> {
    handle: Handle<T>,
}

impl<T: Send + 'static> Queue<T> {
    /// Creates a queue in the calling interpreter's runtime
    /// (`interpreters.create_queue(maxsize)`): `maxsize <= 0` is unbounded.
    pub fn create(py: Attached<'_>, maxsize: isize, unbound: UnboundPolicy) -> Self {
        let maxsize = usize::try_from(maxsize).unwrap_or(0);
        let registry = &py.core().runtime.subsystems.channels;
        let (mut handles, created) = ChannelRegistry::create::<T>(registry, Face::Queue, maxsize, unbound, 1);
        let handle = handles.pop().expect("one handle");
        crate::trace_event!(ChannelEvent {
            channel: handle.id().get(),
            queue: true,
            who: Some(py.interpreter_id().get()),
            op: ChannelOp::Created { maxsize, policy: unbound },
            state: created,
        });
        Self { handle }
    }

    /// The queue `id` in the calling interpreter's runtime.
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, NotFound> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Queue).map(|handle| Self { handle })
    }

    /// The ids of the runtime's queues.
    pub fn list_all(py: Attached<'_>) -> Vec<ChannelId> {
        py.core().runtime.subsystems.channels.list(Face::Queue)
    }

    /// Its id (unique among the runtime's channels and queues).
    pub fn id(&self) -> ChannelId {
        self.handle.id()
    }

    /// Its capacity; 0 is unbounded.
    pub fn maxsize(&self) -> usize {
        self.handle.chan.maxsize()
    }

    /// Items queued now (`qsize()`).
    pub fn qsize(&self) -> usize {
        let len = self.handle.chan.len();
        crate::trace_event!(Observation::new(None, Read::ChannelLen { channel: self.id().get(), len }));
        len
    }

    /// Whether nothing is queued now.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether a bounded queue is full now.
    pub fn full(&self) -> bool {
        let max = self.maxsize();
        max > 0 && self.qsize() >= max
    }

    /// Puts `item`, waiting (GIL released) for space in a full bounded
    /// queue; `None` waits as long as it takes. Full at the deadline is
    /// [`SendError::Full`] with the item back (PEP 734's `QueueFull`).
    pub fn put(&self, py: Attached<'_>, item: T, timeout: Option<Duration>) -> Result<(), SendError<T>> {
        let deadline = timeout.map_or_else(Deadline::never, Deadline::after);
        self.put_until(py, item, &deadline)
    }

    /// [`put`](Self::put) with a [`Deadline`].
    pub fn put_until(&self, py: Attached<'_>, item: T, deadline: &Deadline) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, None, SendWait::ForSpace(deadline))
    }

    /// [`put_until`](Self::put_until) with this item's own unbound policy.
    pub fn put_until_unbound(
        &self,
        py: Attached<'_>,
        item: T,
        unbound: UnboundPolicy,
        deadline: &Deadline,
    ) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, Some(unbound), SendWait::ForSpace(deadline))
    }

    /// Puts `item` if there is space, else [`SendError::Full`].
    pub fn put_nowait(&self, py: Attached<'_>, item: T) -> Result<(), SendError<T>> {
        self.handle.chan.send(py.interpreter_id(), item, None, SendWait::No)
    }

    /// Gets the next item, waiting (GIL released) until there is one;
    /// nothing by the deadline is [`RecvError::Empty`] (PEP 734's
    /// `QueueEmpty`).
    pub fn get(&self, py: Attached<'_>, timeout: Option<Duration>) -> Result<Received<T>, RecvError> {
        let deadline = timeout.map_or_else(Deadline::never, Deadline::after);
        self.get_until(py, &deadline)
    }

    /// [`get`](Self::get) with a [`Deadline`].
    pub fn get_until(&self, py: Attached<'_>, deadline: &Deadline) -> Result<Received<T>, RecvError> {
        match self.handle.chan.recv(py.interpreter_id(), Some(deadline)) {
            Err(RecvError::Timeout) => Err(RecvError::Empty),
            other => other,
        }
    }

    /// The next item, or [`RecvError::Empty`].
    pub fn get_nowait(&self, py: Attached<'_>) -> Result<Received<T>, RecvError> {
        self.handle.chan.recv(py.interpreter_id(), None)
    }

    /// Where every item offered to the queue went (invariant CH-1).
    pub fn ledger(&self) -> Ledger {
        self.handle.chan.ledger()
    }
}

impl<T: Send + 'static> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue").field("id", &self.id()).field("maxsize", &self.maxsize()).finish()
    }
}
