//! The runtime's channel registry: unique ids, lookup by id, and the hook
//! that interpreter finalization calls.
//!
//! | field      | meaning                                                               |
//! |------------|-----------------------------------------------------------------------|
//! | `tag`      | this registry's process-unique tag, carried by every id it mints      |
//! | `next_id`  | the next channel id; only ever incremented (ids are never reused)     |
//! | `entries`  | every channel or queue that has a live handle, by id                  |
//!
//! An id of another registry (another runtime, live or gone) carries
//! another tag, so a lookup answers `NotFound` without looking at the
//! entries: the numbers restart at 1 in every runtime, and only the tag
//! tells runtime A's channel 1 from runtime B's.
//!
//! A channel stays registered while any handle (an end, a queue object)
//! exists, as CPython keeps a channel while its id object has references:
//! a closed channel can still be looked up, and its operations say
//! `Closed`. Each channel counts its handles in an atomic
//! (`Chan::handles`). Cloning a handle only increments it; the drop that
//! brings it to zero takes the registry lock and removes the entry if the
//! count is still zero. A lookup increments the count under the same lock,
//! so a lookup either resurrects the channel before the removal looks
//! (which then keeps it) or finds it gone.
//!
//! Lock order: the registry lock is never held while a channel's lock is
//! taken, and no payload is dropped under either (a payload may be an end
//! of another channel, whose drop takes the registry lock).
//!
//! # Orderings
//!
//! The handle count is `Relaxed` everywhere: it decides only whether to
//! look at the registry, and the registry lock orders the decision itself
//! (the removal re-reads the count under the lock that every resurrecting
//! lookup holds). Nothing is freed on the strength of the count: the
//! entry's `Arc` has its own orderings.
use super::core::{Chan, Face};
use super::errors::LookupError;
use super::unbound::UnboundPolicy;
use super::ChannelId;
use crate::interp::{Core, InterpreterId};
use crate::sync::atomic::Ordering;
use crate::sync::{Arc, Mutex};
use crate::trace::event::ChannelState;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

/// A registered channel, whatever its item type.
trait Registered: Send + Sync {
    fn share(&self) -> Box<dyn Registered>;
    fn clear_interpreter(&self, who: InterpreterId);
    fn is_closed(&self) -> bool;
    fn face(&self) -> Face;
    fn handles(&self) -> usize;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Send + 'static> Registered for Arc<Chan<T>> {
    fn share(&self) -> Box<dyn Registered> {
        Box::new(Arc::clone(self))
    }
    fn clear_interpreter(&self, who: InterpreterId) {
        Chan::clear_interpreter(self, who);
    }
    fn is_closed(&self) -> bool {
        self.status() == super::Status::Closed
    }
    fn face(&self) -> Face {
        self.face
    }
    fn handles(&self) -> usize {
        self.handles.load(Ordering::Relaxed)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    entries: BTreeMap<ChannelId, Box<dyn Registered>>,
}

/// Every channel and queue of one runtime.
pub(crate) struct ChannelRegistry {
    tag: u64,
    inner: Mutex<Inner>,
}

impl Default for ChannelRegistry {
    fn default() -> Self {
        Self { tag: crate::sync::process_unique(), inner: Mutex::new(Inner::default()) }
    }
}

/// A counted reference to a registered channel: what ends and queue
/// objects hold.
pub(crate) struct Handle<T: Send + 'static> {
    pub(crate) chan: Arc<Chan<T>>,
    registry: Arc<ChannelRegistry>,
}

impl ChannelRegistry {
    /// The tag of the ids this registry mints.
    pub(crate) fn tag(&self) -> u64 {
        self.tag
    }

    /// Creates and registers a channel (`maxsize`: the bound, 0 for none,
    /// and the value given at creation), returning `handles` handles to it
    /// and its state when created (for the creation's trace event).
    pub(crate) fn create<T: Send + 'static>(
        this: &Arc<Self>,
        face: Face,
        maxsize: (usize, isize),
        unbound: UnboundPolicy,
        handles: usize,
    ) -> (Vec<Handle<T>>, ChannelState) {
        let mut inner = this.inner.lock();
        inner.next_id += 1;
        let id = ChannelId::new(this.tag, inner.next_id);
        let (chan, created) = Chan::new(id, face, maxsize, unbound);
        let chan = Arc::new(chan);
        chan.handles.store(handles, Ordering::Relaxed);
        inner.entries.insert(id, Box::new(Arc::clone(&chan)));
        drop(inner);
        let handles = (0..handles).map(|_| Handle { chan: Arc::clone(&chan), registry: Arc::clone(this) }).collect();
        (handles, created)
    }

    /// A new handle to the channel `id`, if it is registered here with this
    /// face; [`LookupError::WrongItemType`] if its items are not `T`.
    pub(crate) fn lookup<T: Send + 'static>(
        this: &Arc<Self>,
        id: ChannelId,
        face: Face,
    ) -> Result<Handle<T>, LookupError> {
        if id.runtime() != this.tag {
            return Err(LookupError::NotFound(id));
        }
        let inner = this.inner.lock();
        let entry = inner.entries.get(&id).filter(|e| e.face() == face).ok_or(LookupError::NotFound(id))?;
        let chan = entry
            .as_any()
            .downcast_ref::<Arc<Chan<T>>>()
            .ok_or(LookupError::WrongItemType { id, expected: std::any::type_name::<T>() })?;
        chan.handles.fetch_add(1, Ordering::Relaxed);
        Ok(Handle { chan: Arc::clone(chan), registry: Arc::clone(this) })
    }

    /// Removes `id` if no handle is left (called by the drop that brought
    /// the count to zero).
    fn forget_if_unused(&self, id: ChannelId) {
        let mut inner = self.inner.lock();
        let removed = match inner.entries.get(&id) {
            Some(e) if e.handles() == 0 => inner.entries.remove(&id),
            _ => None,
        };
        drop(inner);
        // The channel (and whatever it still holds) is dropped out here.
        drop(removed);
    }

    /// The ids of the registered channels (or queues) that are not closed.
    pub(crate) fn list(&self, face: Face) -> Vec<ChannelId> {
        let shares: Vec<(ChannelId, Box<dyn Registered>)> = {
            let inner = self.inner.lock();
            inner.entries.iter().filter(|(_, e)| e.face() == face).map(|(id, e)| (*id, e.share())).collect()
        };
        shares.into_iter().filter(|(_, e)| !e.is_closed()).map(|(id, _)| id).collect()
    }

    /// Interpreter `who` is being destroyed: every channel releases its
    /// associations and applies the unbound policy to its items.
    pub(crate) fn clear_interpreter(&self, who: InterpreterId) {
        let shares: Vec<Box<dyn Registered>> = {
            let inner = self.inner.lock();
            inner.entries.values().map(|e| e.share()).collect()
        };
        for chan in shares {
            chan.clear_interpreter(who);
        }
    }

    /// Forgets every channel (the runtime is dropped): breaks reference
    /// cycles through items that hold handles. Live handles keep their
    /// channels working.
    pub(crate) fn clear(&self) {
        let entries = std::mem::take(&mut self.inner.lock().entries);
        drop(entries);
    }
}

/// Finalization's channel step (the kernel's teardown hook): interpreter
/// `core` releases its associations, and the items it sent that nobody
/// received follow their unbound policy, under its GIL, before its state
/// goes.
pub(crate) fn teardown(core: &Core) {
    core.runtime.subsystems.channels.clear_interpreter(core.id);
}

impl fmt::Debug for ChannelRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelRegistry").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Handle<T> {
    pub(crate) fn id(&self) -> ChannelId {
        self.chan.id
    }
}

impl<T: Send + 'static> Clone for Handle<T> {
    fn clone(&self) -> Self {
        // Relaxed: see the module docs (the count only decides whether to
        // look at the registry).
        self.chan.handles.fetch_add(1, Ordering::Relaxed);
        Self { chan: Arc::clone(&self.chan), registry: Arc::clone(&self.registry) }
    }
}

impl<T: Send + 'static> Drop for Handle<T> {
    fn drop(&mut self) {
        if self.chan.handles.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.registry.forget_if_unused(self.chan.id);
        }
    }
}
