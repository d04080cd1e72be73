//! The lifecycle word: PEP 788's finalization guards as one atomic word.
//!
//! A guard is a read lock on finalization. Taking one increments the guard
//! count, which is only allowed while the interpreter is running; the
//! finalizer waits until the count is zero and then, in the same
//! compare-exchange, moves the phase to Finalizing, after which no guard can
//! ever be taken again. This is the one-word design a CPython core reviewer
//! sketched for PEP 788 (compare-exchange for both acquire and shutdown, a
//! parking primitive for the wait) rather than a read-write lock plus a
//! countdown plus an event.
//!
//! # The state word
//!
//! | bits   | field     | meaning                                                        |
//! |--------|-----------|----------------------------------------------------------------|
//! | 0..=1  | phase     | `00` Running, `01` Finalizing, `10` Finalized                  |
//! | 2      | `WAITING` | a finalizer is (about to be) parked until the guard count is 0 |
//! | 3..    | guards    | how many guards are held                                       |
//!
//! | transition                     | by                      | how                                          |
//! |--------------------------------|-------------------------|----------------------------------------------|
//! | guards + 1                     | [`Lifecycle::acquire`]  | CAS, only from phase Running                 |
//! | guards - 1                     | [`Lifecycle::release`]  | `fetch_sub`; wakes the finalizer at 0 if `WAITING` |
//! | set `WAITING`                  | [`Lifecycle::begin_finalizing`] | CAS, under the wait lock, guards > 0 |
//! | Running, 0 guards → Finalizing | [`Lifecycle::begin_finalizing`] | CAS, clears `WAITING`                |
//! | Finalizing → Finalized         | [`Lifecycle::mark_finalized`]   | store, after teardown                |
//!
//! # Races considered
//!
//! - *Acquire vs begin finalizing.* Both are read-modify-writes of the same
//!   word, so they are totally ordered: either the guard is counted before
//!   the finalizer's CAS (which then fails, because the count is no longer
//!   zero, and the finalizer waits), or the CAS comes first and the acquire
//!   sees phase Finalizing and is refused. There is no window between a
//!   check and an increment (the legacy `Py_IsFinalizing()`-then-attach
//!   bug; `models/lifecycle/naive.rs` has the naive version, which loom
//!   and shuttle break).
//! - *Last release vs the finalizer going to sleep.* The finalizer sets
//!   `WAITING` and re-checks the word while holding the wait lock, and only
//!   then sleeps on the condvar, which releases the lock atomically. The
//!   releaser that brings the count to zero sees `WAITING` (its `fetch_sub`
//!   comes after the CAS that set it) and takes the same lock to notify, so
//!   it cannot notify between the finalizer's check and its sleep. If the
//!   release comes before the CAS that sets `WAITING`, that CAS fails on the
//!   changed count and the finalizer re-reads a count of zero.
//! - *Two finalizers.* The wait lock serializes them; the loser finds the
//!   phase no longer Running and gets [`FinalizeError::AlreadyFinalizing`].
//! - *Starvation.* Under this policy (CPython's) a steady stream of new
//!   guards can keep the count above zero forever; the finalizer only asks
//!   for zero. That is a liveness question, answered in `proofs/`.
//!
//! # Orderings
//!
//! - `acquire`'s CAS is `Relaxed`: admission is decided by the CAS's place in
//!   the word's modification order alone, and a guard publishes nothing.
//!   (A `Relaxed` RMW also continues the release sequence of earlier
//!   releases, so the finalizer's `Acquire` still synchronizes with them.)
//! - `release`'s `fetch_sub` is `Release`: it pairs with the `Acquire` load
//!   and CAS in `begin_finalizing`, so everything a guard holder did happens
//!   before teardown.
//! - `begin_finalizing`'s loads and final CAS are `Acquire`, the partner of
//!   the above. Setting `WAITING` is `Relaxed`: the lock orders the wait.
//! - `mark_finalized`'s store is `Release`, paired with the `Acquire` load in
//!   [`Lifecycle::phase`]: whoever sees Finalized sees the teardown done.
//!
//! Page: `docs/lifecycle.md`. Scenarios: `models/lifecycle/`. The SPIN spec
//! (`proofs/lifecycle.pml`, labels named after these functions) comes with
//! the proofs work; it does not exist yet.
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Condvar, Mutex};
use std::fmt;

const PHASE_MASK: usize = 0b11;
const RUNNING: usize = 0b00;
const FINALIZING: usize = 0b01;
const FINALIZED: usize = 0b10;
const WAITING: usize = 1 << 2;
const ONE_GUARD: usize = 1 << 3;
const MAX_GUARDS: usize = usize::MAX >> 3;

/// Where an interpreter is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Guards may be taken.
    Running,
    /// Finalization has begun: no guard can ever be taken again.
    Finalizing,
    /// Torn down: its state is gone; only views and ids remain.
    Finalized,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Running => "running",
            Self::Finalizing => "finalizing",
            Self::Finalized => "finalized",
        })
    }
}

/// A decoded value of the lifecycle word, for decisions and for traces.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(usize);

impl Word {
    pub(crate) fn phase(self) -> Phase {
        match self.0 & PHASE_MASK {
            RUNNING => Phase::Running,
            FINALIZING => Phase::Finalizing,
            _ => Phase::Finalized,
        }
    }

    pub(crate) fn guards(self) -> usize {
        self.0 >> 3
    }

    fn waiting(self) -> bool {
        self.0 & WAITING != 0
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase={} guards={}", self.phase(), self.guards())?;
        if self.waiting() {
            f.write_str(" finalizer-waiting")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a guard was not granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Finalization has begun (or finished).
    NotRunning(Phase),
    /// The count would overflow the word.
    TooManyGuards,
}

/// Why finalization could not begin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalizeError {
    /// Another call already began (or finished) finalizing this interpreter.
    AlreadyFinalizing,
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyFinalizing => f.write_str("the interpreter is already finalizing or finalized"),
        }
    }
}

impl std::error::Error for FinalizeError {}

/// The lifecycle word and the finalizer's wait.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    word: AtomicUsize,
    /// Serializes finalizers and closes the sleep/notify window.
    wait_lock: Mutex<()>,
    zero_guards: Condvar,
}

impl Lifecycle {
    pub(crate) fn new() -> Self {
        Self { word: AtomicUsize::new(RUNNING), wait_lock: Mutex::new(()), zero_guards: Condvar::new() }
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        // Acquire: pairs with the Release store in `mark_finalized`.
        Word(self.word.load(Ordering::Acquire)).phase()
    }

    /// Counts a new guard, if the interpreter is still running. Returns the
    /// word after the increment, or why it was refused.
    pub(crate) fn acquire(&self) -> Result<Word, (Refusal, Word)> {
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            let word = Word(current);
            if word.phase() != Phase::Running {
                return Err((Refusal::NotRunning(word.phase()), word));
            }
            if word.guards() == MAX_GUARDS {
                return Err((Refusal::TooManyGuards, word));
            }
            // Relaxed: see `# Orderings`; the CAS's place in the
            // modification order is what excludes the finalizer.
            match self.word.compare_exchange_weak(current, current + ONE_GUARD, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(Word(current + ONE_GUARD)),
                Err(actual) => current = actual,
            }
        }
    }

    /// Uncounts a guard; wakes a waiting finalizer when it was the last.
    /// Returns the word after the decrement.
    pub(crate) fn release(&self) -> Word {
        // Release: pairs with the Acquire load/CAS in `begin_finalizing`.
        let before = Word(self.word.fetch_sub(ONE_GUARD, Ordering::Release));
        if before.phase() != Phase::Running || before.guards() == 0 {
            // Only a broken protocol gets here: finalization began while this
            // guard was held. Say so, unless already unwinding from the first
            // symptom (a second panic in a destructor would abort).
            if !std::thread::panicking() {
                panic!("invariant LC-2 violated: a guard was held when finalization began ({before})");
            }
            return before;
        }
        let after = Word(before.0 - ONE_GUARD);
        if after.guards() == 0 && after.waiting() {
            // Under the lock, so the finalizer is either not yet checking or
            // already asleep: see "Races considered".
            let _locked = self.wait_lock.lock();
            self.zero_guards.notify_all();
        }
        after
    }

    /// Waits until no guard is held and moves Running → Finalizing in the
    /// same CAS. `on_wait` is told each time the finalizer goes to sleep.
    pub(crate) fn begin_finalizing(&self, mut on_wait: impl FnMut(Word)) -> Result<Word, (FinalizeError, Word)> {
        let mut locked = self.wait_lock.lock();
        // Acquire: pairs with the Release `fetch_sub` in `release`.
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let word = Word(current);
            if word.phase() != Phase::Running {
                return Err((FinalizeError::AlreadyFinalizing, word));
            }
            if word.guards() == 0 {
                // Acquire: pairs with the Release `fetch_sub` in `release`.
                match self.word.compare_exchange(current, FINALIZING, Ordering::Acquire, Ordering::Acquire) {
                    Ok(_) => return Ok(Word(FINALIZING)),
                    Err(actual) => {
                        current = actual;
                        continue;
                    }
                }
            }
            if !word.waiting() {
                // Relaxed: the wait lock orders the sleep against the
                // releaser's notify; the Acquire on failure re-reads.
                match self.word.compare_exchange(current, current | WAITING, Ordering::Relaxed, Ordering::Acquire) {
                    Ok(_) => current |= WAITING,
                    Err(actual) => {
                        current = actual;
                        continue;
                    }
                }
            }
            on_wait(Word(current));
            self.zero_guards.wait(&mut locked);
            // Acquire: pairs with the Release `fetch_sub` in `release`.
            current = self.word.load(Ordering::Acquire);
        }
    }

    /// Finalizing → Finalized, once teardown is complete.
    pub(crate) fn mark_finalized(&self) -> Word {
        // Release: pairs with the Acquire load in `phase`.
        self.word.store(FINALIZED, Ordering::Release);
        Word(FINALIZED)
    }
}
