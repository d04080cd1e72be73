//! The heap session that pins the calling thread's GIL.
//!
//! A heap is touched only by a thread attached to its owner, which then
//! holds the owner's GIL (XI-2). A [heap session](super::HeapSession) hands
//! out the heap's `&mut` for a batch of operations; while it is open, the
//! thread may not release that GIL (another thread would get the heap) and
//! the heap's other doors refuse (they would alias the `&mut`).
//!
//! | per-thread field | meaning                                                   |
//! |------------------|-----------------------------------------------------------|
//! | `heap_pinned`    | a heap session is open on the attached interpreter's heap |
//!
//! The field lives in the thread's thread-state record (the kernel's
//! per-thread subsystem slot), touched only by its own thread: no
//! synchronization. Detaching checks it ([`on_detach`], called by the
//! kernel right before it releases the GIL) and panics rather than release
//! a GIL whose heap is borrowed; the heap's doors read it through
//! `heap::heap_access`.
use crate::interp::Core;
use crate::thread_state;

/// xi's part of a thread's record.
#[derive(Default)]
pub(crate) struct XiThread {
    pub(super) heap_pinned: bool,
}

/// Whether a heap session is open on the calling thread: switching
/// interpreters would release its GIL, which panics (XI-2).
pub(crate) fn heap_pinned() -> bool {
    thread_state::with_subsystems(|_, slots| slots.xi.heap_pinned)
}

/// Opens or closes a heap session on the calling thread: while open,
/// detaching panics instead of releasing the GIL.
pub(crate) fn set_heap_pinned(pinned: bool) {
    thread_state::with_subsystems(|_, slots| slots.xi.heap_pinned = pinned);
}

/// The kernel's detach hook: a heap session holds the heap that only this
/// GIL protects; releasing the GIL under it would let another thread in.
#[inline]
pub(crate) fn on_detach(core: &Core, thread: &XiThread) {
    assert!(
        !thread.heap_pinned,
        "invariant XI-2 violated: {} released its GIL while a heap session was open on this thread",
        core.id
    );
}
