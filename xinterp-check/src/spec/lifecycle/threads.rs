//! One thread's thread states (PEP 788's ensure/release) and the GILs, as
//! the reference model sees them.
//!
//! A thread's record mirrors `src/thread_state/record.rs`'s: its thread states
//! (`slots`: interpreter, count, owned by ensure), the one attached now
//! (`current`), its own (`home`, the one ensure's case 2 re-attaches) and
//! its outstanding tokens, innermost last. Beside it, `holding` is which
//! interpreter's GIL the thread holds: the two move together in the
//! sequential API; in a trace they are recorded by different events (a GIL
//! step, then the thread-state step), so the validator keeps both and checks
//! that they agree.
use super::{Disallowed, ThreadKey};

/// A thread state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The interpreter it belongs to.
    pub interp: u64,
    /// Outstanding tokens on it.
    pub count: usize,
    /// Created by ensure (case 3): deleted when its count reaches zero.
    pub owned: bool,
}

/// An outstanding token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenEntry {
    /// Its identity within the thread.
    pub serial: u64,
    /// The thread state it counts on.
    pub slot: usize,
    /// The thread state attached before it (restored by its release).
    pub previous: Option<usize>,
    /// Dropped out of order: released when the inner tokens are.
    pub deferred: bool,
}

/// Which of PEP 788's three cases an ensure took (the event's type).
pub use crate::trace::event::EnsureCase;

/// What an ensure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ensured {
    /// The case.
    pub case: EnsureCase,
    /// The thread state's count afterwards.
    pub count: usize,
    /// The new token.
    pub serial: u64,
    /// The thread state it detached first (case 3 while attached elsewhere).
    pub detached: Option<u64>,
}

/// What releasing one token did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Released {
    /// The interpreter of the released thread state.
    pub interp: u64,
    /// Its count afterwards.
    pub count: usize,
    /// It was owned and reached zero: deleted.
    pub deleted: bool,
    /// The thread detached from it.
    pub detached: bool,
    /// The thread state to restore (attach again), if another one was
    /// attached before, with its interpreter.
    pub restore: Option<(usize, Option<u64>)>,
}

/// Where a thread is in restoring its previous thread state after a
/// release (`finish` in `src/thread_state/token.rs`): the production counts an
/// unrecorded guard on that interpreter for the length of the re-attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Restore {
    /// Nothing in progress.
    #[default]
    Idle,
    /// The release was recorded; the re-attach may follow.
    Pending {
        /// The slot to restore.
        slot: usize,
        /// Its interpreter.
        interp: u64,
    },
    /// Re-attached; the unrecorded guard is being given back.
    Attached {
        /// Its interpreter.
        interp: u64,
    },
}

impl Restore {
    /// The interpreter on which this thread may hold an unrecorded guard.
    pub fn phantom_guard(self) -> Option<u64> {
        match self {
            Self::Idle => None,
            Self::Pending { interp, .. } | Self::Attached { interp } => Some(interp),
        }
    }
}

/// One thread's record.
#[derive(Clone, Debug, Default)]
pub struct ThreadModel {
    /// Its thread states (`None`: deleted; indices are reused like the production's).
    pub slots: Vec<Option<Slot>>,
    /// The thread state attached now.
    pub current: Option<usize>,
    /// Its own thread state (CPython's gilstate slot).
    pub home: Option<usize>,
    /// Outstanding tokens, innermost last.
    pub tokens: Vec<TokenEntry>,
    next_serial: u64,
    /// The interpreter whose GIL it holds, as the GIL steps say.
    pub holding: Option<u64>,
    /// The GIL (by owner) it waits for.
    pub blocked_on: Option<u64>,
    /// `current` put aside for each finalization this thread runs (it runs
    /// detached, `thread_state::detached`).
    pub finalizing: Vec<Option<usize>>,
    /// `current` put aside by each `allow_threads` in progress.
    pub allowing: Vec<usize>,
    /// A release's restore in progress.
    pub restore: Restore,
}

impl ThreadModel {
    /// A thread whose own thread state belongs to `interp` (an interpreter
    /// thread: `set_home`).
    pub fn with_home(interp: u64) -> Self {
        let mut thread = Self::default();
        let slot = thread.insert(Slot { interp, count: 0, owned: false });
        thread.home = Some(slot);
        thread
    }

    fn insert(&mut self, slot: Slot) -> usize {
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

    /// The thread state at `i`, if it exists.
    pub fn slot(&self, i: usize) -> Option<&Slot> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    /// The interpreter of the thread state at `i`.
    pub fn slot_interp(&self, i: usize) -> Option<u64> {
        self.slot(i).map(|s| s.interp)
    }

    /// The interpreter this thread is attached to (thread-state level).
    pub fn current_interp(&self) -> Option<u64> {
        self.current.and_then(|i| self.slot_interp(i))
    }

    /// Whether finalizing `interp` would wait for this thread itself: it is
    /// attached to it or holds a token on it.
    pub fn involves(&self, interp: u64) -> bool {
        self.current_interp() == Some(interp) || self.tokens.iter().any(|e| self.slot_interp(e.slot) == Some(interp))
    }

    /// The case ensure takes for `interp` now (PEP 788's order).
    pub fn ensure_case(&self, interp: u64) -> EnsureCase {
        match self.current_interp() {
            Some(i) if i == interp => EnsureCase::Reuse,
            Some(_) => EnsureCase::Create,
            None => match self.home.and_then(|h| self.slot_interp(h)) {
                Some(i) if i == interp => EnsureCase::Reattach,
                _ => EnsureCase::Create,
            },
        }
    }

    /// Performs an ensure of `interp` that takes `case` (checked against
    /// the case PEP 788 prescribes) and returns what it did. The GIL side
    /// (detach the previous interpreter, attach this one) is the caller's.
    pub fn ensure(&mut self, interp: u64, case: EnsureCase) -> Result<Ensured, Disallowed> {
        let expected = self.ensure_case(interp);
        if case != expected {
            return Err(Disallowed::new("TS-1", format!("ensure case {expected:?} (PEP 788's order), not {case:?}")));
        }
        let previous = self.current;
        let (slot, token_previous, detached) = match case {
            EnsureCase::Reuse => (previous.expect("reuse needs an attached thread state"), previous, None),
            EnsureCase::Reattach => (self.home.expect("re-attach needs a home thread state"), None, None),
            EnsureCase::Create => {
                let detached = previous.and_then(|p| self.slot_interp(p));
                let s = self.insert(Slot { interp, count: 0, owned: true });
                self.home.get_or_insert(s);
                (s, previous, detached)
            }
        };
        let entry = self.slots[slot].as_mut().expect("the chosen slot exists");
        entry.count += 1;
        let count = entry.count;
        let serial = self.next_serial;
        self.next_serial += 1;
        self.tokens.push(TokenEntry { serial, slot, previous: token_previous, deferred: false });
        self.current = Some(slot);
        Ok(Ensured { case, count, serial, detached })
    }

    /// Whether `serial` is the innermost outstanding token.
    pub fn is_innermost(&self, serial: u64) -> bool {
        self.tokens.last().is_some_and(|e| e.serial == serial)
    }

    /// Marks an outer token as released-when-uncovered.
    pub fn defer(&mut self, serial: u64) {
        if let Some(e) = self.tokens.iter_mut().find(|e| e.serial == serial) {
            e.deferred = true;
        }
    }

    /// Whether the innermost outstanding token is a deferred one.
    pub fn innermost_is_deferred(&self) -> bool {
        self.tokens.last().is_some_and(|e| e.deferred)
    }

    /// Releases the innermost token: counts −1, deletes an owned thread
    /// state at zero, detaches from it unless it stays attached (a reuse),
    /// and says which thread state to restore. The re-attach itself (the
    /// GIL, `current`) is the caller's.
    pub fn release_innermost(&mut self) -> Result<Released, Disallowed> {
        let Some(entry) = self.tokens.pop() else {
            return Err(Disallowed::new("TS-2", "an outstanding token to release: there is none"));
        };
        let slot = self.slots[entry.slot].as_mut().expect("a token's thread state exists until released");
        slot.count -= 1;
        let (interp, count, deleted) = (slot.interp, slot.count, slot.count == 0 && slot.owned);
        let detached = self.current == Some(entry.slot) && entry.previous != Some(entry.slot);
        if detached {
            self.current = None;
        }
        if deleted {
            self.slots[entry.slot] = None;
            if self.home == Some(entry.slot) {
                self.home = None;
            }
        }
        let restore = entry.previous.filter(|p| *p != entry.slot).map(|p| (p, self.slot_interp(p)));
        Ok(Released { interp, count, deleted, detached, restore })
    }

    /// Whether releasing the innermost token restores a previous thread
    /// state (another one, still there): what [`Self::release_innermost`]
    /// would return as its `restore`.
    pub fn restores_after_innermost(&self) -> bool {
        self.tokens
            .last()
            .and_then(|e| e.previous.filter(|p| *p != e.slot))
            .is_some_and(|p| self.slot_interp(p).is_some())
    }

    /// The interpreter of the innermost token's thread state.
    pub fn innermost_interp(&self) -> Option<u64> {
        self.tokens.last().and_then(|e| self.slot_interp(e.slot))
    }
}

/// One GIL: who holds it and who waits for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gil {
    /// The holder.
    pub holder: Option<ThreadKey>,
    /// Threads blocked in `acquire`.
    pub waiters: Vec<ThreadKey>,
}
