//! The cross-interpreter view (CIV): a receiver's read-only view on an
//! owner's buffer, which holds the owner's object **and** a guard on the
//! owner, so that neither can go away until the view is closed.
//!
//! This is the protocol of the PEP 554 discussion, step by step:
//!
//! | step | what | code | trace op |
//! |---|---|---|---|
//! | 1 | the owner submits the object | [`Attached::share`](crate::Attached::share): incref under the owner's GIL | `xi.share` |
//! | 2 | a view is created with references to the owner and its object | [`XiData::into_view`](super::XiData::into_view): the data's reference moves in, an [`OwnedGuard`] on the owner is taken (refused once the owner is finalizing: the data is handed back) | `xiview.open` |
//! | 3 | the receiver gets the view | moved (`Send`) | (the carrier's) |
//! | 4 | the receiver closes it, explicitly or by `Drop` (counted in `XiStats::implicit_view_closes`: the ResourceWarning analogue) | [`XiView::close`], `Drop` | `xiview.close` |
//! | 5 | switch to the owner's GIL, release the buffer and the object reference | `thread_state::ensure_held`, then the heap's decref | `threadstate.ensure`, `refcount.decref` |
//! | 6 | switch back, release the reference to the owner | the token's release restores the receiver's thread state; uncount the view; drop the guard | `threadstate.release`, `guard.release` |
//! | 7 | the receiver continues | | |
//!
//! # The state
//!
//! | field | meaning |
//! |---|---|
//! | `obj` | the strong reference, released in step 5 |
//! | `bytes` | the owner's buffer, shared (no copy) |
//! | `guard` | an [`OwnedGuard`] on the owner: its finalization waits (XI-4); `None` once closed |
//!
//! The owner's `open_views` count (in `XiState`) goes up
//! after the guard is taken and down after the decref, before the guard is
//! dropped; teardown asserts it is zero (XI-4).
//!
//! # Races considered
//!
//! - *Close vs the owner's finalization.* The guard is dropped last, after
//!   the decref and the switch back: until then the owner cannot enter
//!   Finalizing, so the decref finds the heap alive and teardown finds no
//!   open view. Dropping the guard before the decref (mutation
//!   `xiview-guard-before-decref`) lets teardown run first: XI-4 or XI-1.
//! - *Open vs finalization.* Taking the guard is the lifecycle word's
//!   acquire: once finalization began it is refused and `into_view` hands
//!   the data back.
//! - *Close while attached to the owner.* `ensure` reuses the attached
//!   thread state (case 1): no switch, the GIL is already held.
//! - *Close inside a heap session* of the owner on this thread: the heap
//!   refuses ([`XiError::HeapBusy`]) rather than
//!   alias the session's borrow, so the decref is queued as a pending call
//!   under the view's guard and runs at the owner's next attach.
//!
//! # Orderings
//!
//! `open_views` is `Relaxed`: it is read only by teardown, which the guard
//! orders after every view's uncount (the guard's Release `fetch_sub` pairs
//! with the finalizer's Acquire in `Lifecycle::begin_finalizing`).
use super::heap::{Bytes, GilHeld};
use super::pending::Call;
use super::{Obj, XiError};
use crate::guard::OwnedGuard;
use crate::interp::InterpreterId;
use crate::sync::atomic::Ordering;
use crate::thread_state;
use crate::trace::event::{ViewClose, XiEvent};
use crate::trace_event;
use std::fmt;
use std::ops::Deref;

/// A view on an owner's buffer from another interpreter. Reading needs no
/// GIL (the buffer is immutable while referenced). Close it with
/// [`close`](Self::close); dropping it closes it too, and is counted in
/// [`XiStats::implicit_view_closes`](super::XiStats).
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let (owner, receiver) = (runtime.create()?, runtime.create()?);
/// let data = owner.guard()?.with_gil(|py| {
///     let obj = py.new_bytes(*b"zero-copy")?;
///     let data = py.share(obj)?;
///     py.decref(obj)?;
///     Ok::<_, xinterp::xi::XiError>(data)
/// })?;
/// let view = data.into_view()?;                 // holds a guard on `owner`
/// receiver.guard()?.with_gil(|_py| assert_eq!(&view[..], b"zero-copy"));
/// view.close()?;                                // decref in the owner, then the guard goes
/// owner.finalize()?;                            // would have waited for the view
/// assert_eq!(runtime.xi_stats().leaked_at_teardown, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct XiView {
    obj: Obj,
    bytes: Bytes,
    guard: Option<OwnedGuard>,
}

impl XiView {
    /// Step 2: the data's reference moved in, `guard` is held.
    pub(crate) fn open(obj: Obj, bytes: Bytes, guard: OwnedGuard) -> Self {
        let views = guard.core().subsystems.xi.view_opened();
        trace_event!(XiEvent::ViewOpen { obj, views });
        Self { obj, bytes, guard: Some(guard) }
    }

    /// The owner.
    pub fn owner(&self) -> InterpreterId {
        self.obj.owner()
    }

    /// The object viewed (in the owner's heap).
    pub fn object(&self) -> Obj {
        self.obj
    }

    /// The owner's buffer (shared, not copied).
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Closes the view (steps 5 and 6): switches to the owner's GIL, decrefs
    /// the object, switches back, then drops the guard on the owner. The
    /// view is closed even on error: the error says the reference could not
    /// be released (it was freed under the view by an extra decref, or the
    /// owner's ring was full inside a heap session), counted in
    /// [`XiStats::dropped_unreleased`](super::XiStats).
    pub fn close(mut self) -> Result<(), XiError> {
        self.close_inner(ViewClose::Explicit)
    }

    fn close_inner(&mut self, how: ViewClose) -> Result<(), XiError> {
        let Some(guard) = self.guard.take() else {
            return Ok(());
        };
        let mut guard = Some(guard);
        let core = guard.as_ref().expect("taken above").core_arc();
        let obj = self.obj;
        trace_event!(XiEvent::ViewClosing { obj, how });
        // 5. Switch to the owner's GIL (the guard holds its finalization off)
        //    and release the object reference there.
        let token = thread_state::ensure_held(&core);
        let decref = core.subsystems.xi.heap.decref(GilHeld::checked(&core), obj);
        // 6. Switch back to whatever this thread was attached to.
        token.close();
        let decref = match decref {
            // A heap session of the owner is open on this thread: its borrow
            // may not be aliased, so the decref is queued as a pending call
            // (under the guard we still hold) and runs at the next attach.
            Err(XiError::HeapBusy(_)) => {
                core.subsystems.xi.pending.push(&core, Call::Decref(obj)).map_err(|_| XiError::PendingFull(core.id))
            }
            other => other,
        };
        // The view closes either way: its guard must not outlive it.
        let views = core.subsystems.xi.view_closed();
        if let Err(error) = decref {
            // The object was freed under the view by someone's extra decref
            // (XI-1: a panic in models), or the ring was full inside a heap
            // session: the reference is lost. Reported, and counted.
            core.runtime.subsystems.xi.dropped_unreleased.fetch_add(1, Ordering::Relaxed);
            trace_event!(XiEvent::ViewClosed { obj, views, error: Some(error) });
            drop(guard.take());
            return Err(error);
        }
        trace_event!(XiEvent::ViewClosed { obj, views, error: None });
        // ... and release the reference to the owner, last.
        drop(guard.take());
        Ok(())
    }
}

impl Deref for XiView {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for XiView {
    fn drop(&mut self) {
        if self.guard.is_none() {
            return;
        }
        if let Some(guard) = &self.guard {
            guard.core().runtime.subsystems.xi.implicit_view_closes.fetch_add(1, Ordering::Relaxed);
        }
        // The ResourceWarning analogue: counted above, and traced.
        let _ = self.close_inner(ViewClose::Dropped);
    }
}

impl fmt::Debug for XiView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XiView")
            .field("obj", &self.obj)
            .field("bytes", &self.bytes)
            .field("open", &self.guard.is_some())
            .finish()
    }
}
