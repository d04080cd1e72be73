//! The per-thread record: the calling thread's thread states, its
//! outstanding tokens, and which thread state is attached.
//!
//! | field      | meaning                                                                   |
//! |------------|---------------------------------------------------------------------------|
//! | `slots`    | this thread's thread states: interpreter, count, owned-by-ensure           |
//! | `attached` | the slot attached now (its interpreter's GIL is held by this thread)      |
//! | `home`     | the thread's own thread state, the one case 2 re-attaches (CPython's gilstate slot) |
//! | `tokens`   | outstanding tokens, innermost last, each with its previous slot           |
//! | `next_serial` | the next token's serial (a token finds its entry by it)                |
//! | `subsystems` | what the subsystems built on the kernel keep per thread (`subsystem.rs`) |
//!
//! The record is a facade thread-local: one per model thread under loom and
//! shuttle, one per OS thread in production. It is touched only by its own
//! thread, so it needs no synchronization; the GILs it takes and releases do
//! the cross-thread work.
//!
//! Only the `thread_state` files read and write the record's fields; the
//! rest of the crate asks it questions ([`current`], [`involves`]) or lends
//! a subsystem its slot ([`with_subsystems`]).
use crate::interp::{Core, Interpreter, InterpreterId};
use crate::subsystem::ThreadSlots;
use crate::sync::Arc;
use std::cell::RefCell;

crate::sync::thread::thread_local! {
    static THREAD: RefCell<PerThread> = RefCell::new(PerThread::default());
}

/// One thread's record (see the module docs).
#[derive(Default)]
pub(super) struct PerThread {
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) attached: Option<usize>,
    pub(super) home: Option<usize>,
    pub(super) tokens: Vec<Entry>,
    pub(super) next_serial: u64,
    /// What the subsystems built on the kernel keep for this thread.
    pub(super) subsystems: ThreadSlots,
}

/// One of the thread's thread states.
pub(super) struct Slot {
    pub(super) core: Arc<Core>,
    /// Outstanding tokens on this thread state.
    pub(super) count: usize,
    /// Created by `ensure` (case 3): deleted when its count reaches zero.
    pub(super) owned: bool,
}

/// An outstanding token.
pub(super) struct Entry {
    pub(super) serial: u64,
    pub(super) slot: usize,
    pub(super) previous: Option<usize>,
    /// Dropped out of order: released once the inner tokens are.
    pub(super) deferred: bool,
}

impl PerThread {
    #[inline]
    pub(super) fn slot(&self, i: usize) -> &Slot {
        self.slots[i].as_ref().expect("a referenced thread state is alive")
    }

    #[inline]
    pub(super) fn slot_mut(&mut self, i: usize) -> &mut Slot {
        self.slots[i].as_mut().expect("a referenced thread state is alive")
    }

    pub(super) fn insert(&mut self, slot: Slot) -> usize {
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        }
    }

    #[inline]
    pub(super) fn attached_core(&self) -> Option<&Arc<Core>> {
        self.attached.map(|i| &self.slot(i).core)
    }
}

/// Runs `f` on the calling thread's record. Inline: the parent's files
/// are separate codegen units, and this is on every attach and ensure.
#[inline]
pub(super) fn with_thread<R>(f: impl FnOnce(&mut PerThread) -> R) -> R {
    THREAD.with(|t| f(&mut t.borrow_mut()))
}

/// For a trace: the count of the calling thread's thread state `slot`, and
/// whether its record still holds that thread state for `core` (read from
/// the record itself).
pub(super) fn recorded(slot: usize, core: &Arc<Core>) -> (usize, bool) {
    with_thread(|t| match t.slots.get(slot).and_then(Option::as_ref) {
        Some(s) if Arc::ptr_eq(&s.core, core) => (s.count, true),
        _ => (0, false),
    })
}

/// The interpreter the calling thread is attached to, if any
/// (`interpreters.get_current()`).
pub fn current() -> Option<Interpreter> {
    with_thread(|t| t.attached_core().map(|c| Interpreter::from_core(Arc::clone(c))))
}

/// The id of the interpreter the calling thread is attached to, if any.
pub fn current_id() -> Option<InterpreterId> {
    with_thread(|t| t.attached_core().map(|c| c.id))
}

/// Whether the calling thread is attached to `core`, or has an outstanding
/// token on it (either would make a finalization of `core` wait for itself).
pub(crate) fn involves(core: &Arc<Core>) -> bool {
    with_thread(|t| {
        t.attached_core().is_some_and(|c| Arc::ptr_eq(c, core))
            || t.tokens.iter().any(|e| t.slots[e.slot].as_ref().is_some_and(|s| Arc::ptr_eq(&s.core, core)))
    })
}

/// Runs `f` with the interpreter the calling thread is attached to, if any,
/// and the thread's subsystem slots (whose subsystem decides what they
/// mean).
#[inline]
pub(crate) fn with_subsystems<R>(f: impl FnOnce(Option<&Arc<Core>>, &mut ThreadSlots) -> R) -> R {
    with_thread(|t| {
        let PerThread { slots, attached, subsystems, .. } = t;
        let core = attached.map(|i| &slots[i].as_ref().expect("a referenced thread state is alive").core);
        f(core, subsystems)
    })
}

/// Registers the calling thread's own thread state for `core` (an
/// interpreter thread's), which ensure's case 2 re-attaches.
pub(crate) fn set_home(core: &Arc<Core>) {
    with_thread(|t| {
        let s = t.insert(Slot { core: Arc::clone(core), count: 0, owned: false });
        t.home = Some(s);
    });
}
