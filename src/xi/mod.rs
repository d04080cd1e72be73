//! Cross-interpreter data: object heaps with plain refcounts, `XiData`,
//! pending calls and cross-interpreter views.
//!
//! Each interpreter owns a [heap] of objects whose reference counts
//! are **plain, non-atomic** counters, touched only while holding the
//! owner's GIL: the [`Attached`] proof is required by the
//! type system for every refcount operation, and at run time the attached
//! interpreter must be the owner ([`XiError::WrongInterpreter`] otherwise,
//! never a data race). Handles ([`Obj`]) are a slot and a generation, so a
//! handle that outlived its object is a typed error ([`XiError::Freed`]) and,
//! under loom and shuttle, the invariant violation "XI-1".
//!
//! An object crosses to another interpreter as [`XiData`] (CPython's
//! `_PyXIData_t`): made in the owner with a strong reference and the owner's
//! id; the receiver builds its own object from it ([`XiData::new_object`],
//! a copy) or opens an [`XiView`] on the owner's buffer; the strong
//! reference is released **in the owner**: directly when the releasing
//! thread is attached to the owner, otherwise as a [pending call](pending)
//! on the owner's bounded ring, run when a thread of the owner next holds
//! its GIL. An [`XiView`] also holds a guard on the owner, so the owner
//! cannot finalize while a view is open; closing it switches to the owner's
//! GIL, decrefs, switches back, then drops the guard.
//!
//! | piece | file | CPython |
//! |---|---|---|
//! | heap, [`Obj`], refcounts, [`HeapSession`] | [`heap`] | `ob_refcnt`, `Py_INCREF` / `Py_DECREF` |
//! | [`XiData`] | [`data`] | `_PyXIData_t`, `_PyObject_GetXIData`, `_PyXIData_NewObject`, `_PyXIData_Release` |
//! | pending calls | [`pending`] | `_PyEval_AddPendingCall`, `_Py_HandlePending` |
//! | [`XiView`] | [`view`] | the cross-interpreter view (CIV) of the PEP 554 discussion |
//!
//! Invariants (`docs/invariants.md`, *Cross-interpreter data*): XI-1 no
//! access after free; XI-2 a refcount is touched only under its owner's
//! GIL; XI-3 every object is freed exactly once, when its last reference
//! goes, and none is left referenced at the end; XI-4 an owner never
//! finalizes with an open view.
//!
//! # Orderings
//!
//! Each piece's are in its essay. The runtime's counters ([`XiStats`]) and
//! an owner's `open_views` are `Relaxed`: counts, not synchronization. A
//! guard taken for a push or a view is the lifecycle word's
//! ([`crate::interp::lifecycle`]).
//!
//! Page: `docs/xi.md`. Scenarios: `models/xi/`. Reference model:
//! `xinterp_check::spec::xi`.
//!
//! SPIN spec: `proofs/xi.pml`, whose inlines and labels are named after the
//! functions here; its header and `docs/proofs.md` map the names and list
//! the proofs (`cargo xtask proofs --filter xi_`).
use crate::interp::Core;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::trace::event::XiEvent;
use crate::trace_event;
use crate::{Attached, InterpreterId};
use std::fmt;

pub(crate) mod access;
pub mod data;
mod error;
pub mod heap;
mod obj;
pub mod pending;
pub mod view;

pub use data::{Rejected, Released, XiData};
pub use error::XiError;
pub use heap::{Bytes, HeapSession, HeapStats, Obj, Value};
pub use view::XiView;

/// CPython's pending-call ring capacity (`MAXPENDINGCALLS`), the default
/// of [`Config::pending_calls`](crate::Config::pending_calls).
pub const PENDING_CALLS: usize = crate::config::PENDING_CALLS;

/// What an interpreter's [`Core`] holds for cross-interpreter data.
pub(crate) struct XiState {
    pub(crate) heap: heap::Heap,
    pub(crate) pending: pending::Pending,
    /// Views open on this interpreter's objects (XI-4), counted after the
    /// view's guard was taken and uncounted before it is dropped.
    open_views: AtomicUsize,
}

impl XiState {
    pub(crate) fn new(owner: InterpreterId, pending_capacity: usize) -> Self {
        Self {
            heap: heap::Heap::new(owner),
            pending: pending::Pending::new(pending_capacity),
            open_views: AtomicUsize::new(0),
        }
    }

    pub(crate) fn view_opened(&self) -> usize {
        // Relaxed: the count is read only at teardown, which the view's guard
        // orders after this (the guard's Release `fetch_sub` pairs with the
        // finalizer's Acquire in `begin_finalizing`).
        self.open_views.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn view_closed(&self) -> usize {
        // Relaxed: as `view_opened`; this precedes the guard's release.
        self.open_views.fetch_sub(1, Ordering::Relaxed) - 1
    }
}

impl fmt::Debug for XiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XiState").finish_non_exhaustive()
    }
}

impl crate::Interpreter {
    /// How many pending calls (queued releases of this interpreter's
    /// XiData) wait for a thread to attach. A snapshot.
    pub fn pending_calls(&self) -> usize {
        self.core.subsystems.xi.pending.len()
    }
}

impl crate::Runtime {
    /// Counters of cross-interpreter data events: implicit view closes
    /// (the ResourceWarning analogue), releases after the owner was gone,
    /// objects leaked at teardown, full pending-call rings.
    pub fn xi_stats(&self) -> XiStats {
        self.shared().subsystems.xi.snapshot()
    }
}

/// Finalization's xi step, before the interpreter's state is dropped, with
/// the finalizer attached: drains the pending calls, checks XI-4, frees the
/// heap and reports the objects still referenced as leaks.
pub(crate) fn teardown(core: &Core, py: Attached<'_>) {
    debug_assert_eq!(py.interpreter_id(), core.id);
    let ran = pending::drain_and_close(core);
    // Relaxed: see `view_opened`; every view's guard was released before
    // finalization began (the Acquire in `begin_finalizing`).
    let views = core.subsystems.xi.open_views.load(Ordering::Relaxed);
    assert!(views == 0, "invariant XI-4 violated: {} finalized with {views} open view(s)", core.id);
    let leaked = core.subsystems.xi.heap.teardown(heap::GilHeld::checked(core));
    if leaked.objects > 0 {
        core.runtime.subsystems.xi.leaked_at_teardown.fetch_add(leaked.objects as u64, Ordering::Relaxed);
    }
    trace_event!(XiEvent::Teardown {
        owner: core.id.0,
        ran,
        live: leaked.live,
        allocated: leaked.allocated,
        freed: leaked.freed,
        leaked: leaked.objects,
        refs: leaked.references,
    });
}

/// Counters of cross-interpreter data events that are not (only) errors at
/// a call site: the runtime-wide report. Relaxed atomics: counts, not
/// synchronization.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) implicit_view_closes: AtomicU64,
    pub(crate) released_after_owner_gone: AtomicU64,
    pub(crate) leaked_at_teardown: AtomicU64,
    pub(crate) pending_full: AtomicU64,
    pub(crate) pending_ran: AtomicU64,
    pub(crate) dropped_unreleased: AtomicU64,
    pub(crate) switched_releases: AtomicU64,
}

impl Stats {
    pub(crate) fn snapshot(&self) -> XiStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        XiStats {
            implicit_view_closes: get(&self.implicit_view_closes),
            released_after_owner_gone: get(&self.released_after_owner_gone),
            leaked_at_teardown: get(&self.leaked_at_teardown),
            pending_full: get(&self.pending_full),
            pending_ran: get(&self.pending_ran),
            dropped_unreleased: get(&self.dropped_unreleased),
            switched_releases: get(&self.switched_releases),
        }
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.snapshot(), f)
    }
}

/// A snapshot of the runtime's cross-interpreter data counters
/// ([`Runtime::xi_stats`](crate::Runtime::xi_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XiStats {
    /// Views closed by `Drop` instead of [`XiView::close`]: CPython's
    /// ResourceWarning for a view closed by `__del__`.
    pub implicit_view_closes: u64,
    /// XiData released after its owner began finalizing or was destroyed:
    /// its strong reference could not be released (the object leaks).
    pub released_after_owner_gone: u64,
    /// Objects still referenced when their heap was torn down.
    pub leaked_at_teardown: u64,
    /// Releases refused because the owner's pending-call ring was full.
    pub pending_full: u64,
    /// Pending calls run.
    pub pending_ran: u64,
    /// XiData dropped whose implicit release failed (ring full or owner
    /// gone): leaked, and counted here as well.
    pub dropped_unreleased: u64,
    /// Releases that found the owner's pending-call ring full and were done
    /// directly instead, by switching to the owner's GIL and back (a
    /// receive of an object from a channel or queue,
    /// [`recv_object`](crate::channel::RecvChannel::recv_object) and
    /// friends): the full ring cost a GIL switch, not a reference. Each is
    /// also counted in `pending_full`.
    pub switched_releases: u64,
}
