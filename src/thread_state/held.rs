//! How many borrowed guards ([`Guard`](crate::Guard)) the calling thread
//! holds, per interpreter: what lets a finalization refuse a caller that
//! would wait for its own guard (`FinalizeError::CurrentThreadHoldsGuard`)
//! instead of hanging.
//!
//! A `Guard<'_>` is `!Send`, so the thread that took it is the thread that
//! drops it, and a thread-local count is exact. An
//! [`OwnedGuard`](crate::OwnedGuard) is `Send` and may be dropped on
//! another thread: it is not counted (the thread that took it may no
//! longer hold it). Like the rest of the thread's record, this is a facade
//! thread-local: one per model thread under loom and shuttle.
//!
//! Cost: one thread-local borrow and a search of a list as long as the
//! number of interpreters the thread holds borrowed guards on (usually 0
//! or 1) per guard taken and per guard dropped.
use crate::interp::Core;
use std::cell::RefCell;

crate::sync::thread::thread_local! {
    /// (the interpreter's core, as an address; guards held on it). Not a
    /// `const` initializer: loom's `thread_local!` has no such form.
    static HELD: RefCell<Vec<(usize, usize)>> = RefCell::default();
}

fn key(core: &Core) -> usize {
    core as *const Core as usize
}

/// A borrowed guard on `core` was taken by the calling thread.
#[inline]
pub(crate) fn taken(core: &Core) {
    let key = key(core);
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        match held.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => held.push((key, 1)),
        }
    });
}

/// A borrowed guard on `core` taken by the calling thread was dropped.
#[inline]
pub(crate) fn dropped(core: &Core) {
    let key = key(core);
    // `try_with`: a guard dropped while the thread's locals are destroyed
    // has nothing left to uncount.
    let _ = HELD.try_with(|held| {
        let mut held = held.borrow_mut();
        if let Some(i) = held.iter().position(|(k, _)| *k == key) {
            held[i].1 -= 1;
            if held[i].1 == 0 {
                held.swap_remove(i);
            }
        }
    });
}

/// How many borrowed guards the calling thread holds on `core`.
pub(crate) fn held_on(core: &Core) -> usize {
    let key = key(core);
    HELD.with(|held| held.borrow().iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n))
}
