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
//!
//! # The cached answer
//!
//! Every checked refcount operation asks "is this thread attached to the
//! heap's owner, with no session open?". The full answer reads the
//! thread-state record (which slot is attached, its core, the pin); the
//! common answer, *yes*, is cached in a thread-local of its own, `MAY_TOUCH`:
//! the address of the one heap the thread may touch right now, or 0.
//!
//! | event | `MAY_TOUCH` becomes | by |
//! |---|---|---|
//! | attach to `core` (after the record says so) | `core`'s heap | [`on_attach`] (the kernel's attach hook) |
//! | detach (before the record says so) | 0 | [`on_detach`] (the kernel's detach hook) |
//! | a heap session opens | 0 | [`set_heap_pinned`] |
//! | a heap session closes | the attached core's heap, read from the record | [`set_heap_pinned`] |
//!
//! So a nonzero cache always names the heap of the interpreter the record
//! says is attached, unpinned: the record changes `attached` only in the
//! kernel's `attach` / `detach`, which call the hooks, and the cache is
//! set after the first and cleared before the second. A match is a yes; a
//! miss (0, or another heap: the wrong interpreter) goes to the record for
//! the full answer, so every refusal is still the record's. The cache is a
//! facade thread-local: one per model thread under loom and shuttle, and
//! there (and in debug builds) every cached yes is checked against the
//! record (`heap::heap_access`), so a cache left stale fails the scenario
//! that reaches it: `xi::release_after_letting_the_gil_go_is_queued`
//! releases inside `allow_threads` while another thread uses the owner, and
//! opens a session (the mutations `xi-cache-kept-on-detach` and
//! `xi-cache-kept-in-session`). `tests/xi.rs`:
//! `the_cached_attachment_follows_attach_detach_and_sessions` fails when
//! the detach hook keeps the cache (a thread that left the owner releases
//! directly, without its GIL) or a session leaves it set (a checked
//! operation aliases the session's `&mut`); the wrong-interpreter refusal
//! is `refcounts_need_the_owners_gil_and_stale_handles_are_typed_errors`.
use crate::interp::Core;
use crate::thread_state;
use std::cell::Cell;

// Const-initialized where the backend's macro takes it (std's: no lazy
// state to check on each read; shuttle's), lazily under loom, whose macro
// has no const form.
#[cfg(not(loom))]
crate::sync::thread::thread_local! {
    /// The address of the heap this thread may touch now, or 0 (see the
    /// module docs).
    static MAY_TOUCH: Cell<usize> = const { Cell::new(0) };
}
#[cfg(loom)]
crate::sync::thread::thread_local! {
    /// As above.
    static MAY_TOUCH: Cell<usize> = Cell::new(0);
}

/// The address `MAY_TOUCH` holds for a heap (generic: this file sits
/// below the heap's, which asks it).
#[inline]
pub(super) fn heap_key<H>(heap: &H) -> usize {
    std::ptr::from_ref(heap).addr()
}

/// Whether the cache says this thread may touch `heap` (attached to its
/// owner, no session open). `false` means "ask the record".
#[inline]
pub(super) fn may_touch<H>(heap: &H) -> bool {
    MAY_TOUCH.with(Cell::get) == heap_key(heap)
}

fn set_may_touch(key: usize) {
    MAY_TOUCH.with(|c| c.set(key));
}

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
    let key = thread_state::with_subsystems(|attached, slots| {
        slots.xi.heap_pinned = pinned;
        match attached {
            Some(core) if !pinned => heap_key(&core.subsystems.xi.heap),
            _ => 0,
        }
    });
    set_may_touch(key);
}

/// The kernel's attach hook: the record now says `core` is attached (and a
/// session cannot be open: detaching with one panics).
#[inline]
pub(crate) fn on_attach(core: &Core) {
    set_may_touch(heap_key(&core.subsystems.xi.heap));
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
    set_may_touch(0);
}
