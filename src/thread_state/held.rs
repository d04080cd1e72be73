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
//! Cost: a guard on the one interpreter a thread usually holds guards on
//! touches one `Cell` (the *first* slot: its core and count); only a
//! thread holding borrowed guards on a second interpreter at the same time
//! reaches the list behind it. A thread's count on an interpreter is the
//! first slot's (when it names that interpreter) plus the list's.
use crate::interp::Core;
use std::cell::{Cell, RefCell};

crate::sync::const_thread_local! {
    /// The first slot: (the interpreter's core, as an address; guards held
    /// on it). Free when its count is 0, whatever address it still names.
    static FIRST: Cell<(usize, usize)> = Cell::new((0, 0));
}

crate::sync::thread::thread_local! {
    /// Every other interpreter the thread holds borrowed guards on, as
    /// (core address, guards held on it). Not a `const` initializer: a
    /// `Vec` needs a destructor registered on first use anyway.
    static MORE: RefCell<Vec<(usize, usize)>> = RefCell::default();
}

fn key(core: &Core) -> usize {
    core as *const Core as usize
}

/// A borrowed guard on `core` was taken by the calling thread.
#[inline]
pub(crate) fn taken(core: &Core) {
    taken_key(key(core));
}

/// A borrowed guard on `core` taken by the calling thread was dropped.
#[inline]
pub(crate) fn dropped(core: &Core) {
    dropped_key(key(core));
}

/// How many borrowed guards the calling thread holds on `core`.
pub(crate) fn held_on(core: &Core) -> usize {
    held_on_key(key(core))
}

#[inline]
fn taken_key(key: usize) {
    let in_first = FIRST.with(|first| {
        let (k, n) = first.get();
        if k == key {
            first.set((k, n + 1));
        } else if n == 0 {
            first.set((key, 1));
        } else {
            return false;
        }
        true
    });
    if !in_first {
        more_taken(key);
    }
}

#[cold]
fn more_taken(key: usize) {
    MORE.with(|more| {
        let mut more = more.borrow_mut();
        match more.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => more.push((key, 1)),
        }
    });
}

#[inline]
fn dropped_key(key: usize) {
    // `try_with`: a guard dropped while the thread's locals are destroyed
    // has nothing left to uncount.
    let in_first = FIRST.try_with(|first| {
        let (k, n) = first.get();
        if k == key && n > 0 {
            first.set((k, n - 1));
            return true;
        }
        false
    });
    if matches!(in_first, Ok(false)) {
        more_dropped(key);
    }
}

#[cold]
fn more_dropped(key: usize) {
    let _ = MORE.try_with(|more| {
        let mut more = more.borrow_mut();
        if let Some(i) = more.iter().position(|(k, _)| *k == key) {
            more[i].1 -= 1;
            if more[i].1 == 0 {
                more.swap_remove(i);
            }
        }
    });
}

fn held_on_key(key: usize) -> usize {
    let first = FIRST.with(|first| match first.get() {
        (k, n) if k == key => n,
        _ => 0,
    });
    first + MORE.with(|more| more.borrow().iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n))
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::{dropped_key, held_on_key, taken_key};

    /// The counts of keys 8, 16 and 24, as `held_on` reports them.
    fn counts() -> [usize; 3] {
        [held_on_key(8), held_on_key(16), held_on_key(24)]
    }

    /// Guards taken and dropped in any order on several interpreters are
    /// counted exactly, whichever of the first slot and the list holds
    /// them: the first slot is reused once free, while the list still
    /// counts the same interpreter.
    #[test]
    fn counts_are_exact_across_the_first_slot_and_the_list() {
        taken_key(8);
        taken_key(16);
        taken_key(8);
        taken_key(24);
        assert_eq!(counts(), [2, 1, 1]);
        dropped_key(8);
        dropped_key(8);
        assert_eq!(counts(), [0, 1, 1]);
        // The first slot is free again: 16 is counted there and in the list.
        taken_key(16);
        assert_eq!(counts(), [0, 2, 1]);
        dropped_key(16);
        dropped_key(16);
        dropped_key(24);
        assert_eq!(counts(), [0, 0, 0]);
        // A drop with nothing held counts nothing (never wraps).
        dropped_key(24);
        assert_eq!(counts(), [0, 0, 0]);
    }
}
