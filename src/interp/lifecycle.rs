//! The lifecycle word: PEP 788's finalization guards as one atomic word.
//!
//! A guard is a read lock on finalization. Taking one counts it in the word,
//! which only admits it while the interpreter is running (and, under the
//! drain policy, while no finalization has been requested); the finalizer
//! waits until the count is zero and then, in one compare-exchange, moves the
//! phase to Finalizing, after which no guard can ever be taken again. This is
//! the one-word design a CPython core reviewer sketched for PEP 788
//! (compare-exchange for shutdown, a parking primitive for the wait) rather
//! than a read-write lock plus a countdown plus an event.
//!
//! # The state word
//!
//! | bits   | field       | meaning                                                          |
//! |--------|-------------|------------------------------------------------------------------|
//! | 0..=1  | phase       | `00` Running, `01` Finalizing, `10` Finalized                    |
//! | 2      | `WAITING`   | a finalizer is (about to be) parked until the guard count is 0   |
//! | 3      | `REQUESTED` | a finalizer has claimed the interpreter (finalization requested) |
//! | 4..    | guards      | how many guards are counted                                      |
//!
//! | transition                              | by                             | how                                                   |
//! |-----------------------------------------|--------------------------------|-------------------------------------------------------|
//! | guards + 1                              | [`Lifecycle::acquire`]         | `fetch_add`; undone at once if the word refuses it    |
//! | guards - 1                              | [`Lifecycle::release`]         | `fetch_sub`; wakes the finalizer at 0 if `WAITING`    |
//! | set `REQUESTED`                         | [`Lifecycle::request`]         | `fetch_or`; only the first caller sees it clear       |
//! | set `WAITING`                           | [`Lifecycle::begin_finalizing`]| CAS, under the wait lock, while guards > 0            |
//! | Running, 0 guards → Finalizing          | [`Lifecycle::begin_finalizing`]| CAS; clears `WAITING`, keeps `REQUESTED`              |
//! | clear `REQUESTED` and `WAITING`         | [`Lifecycle::abandon`]         | `fetch_and`, when a finalizer gives up (timeout)      |
//! | Finalizing → Finalized                  | [`Lifecycle::mark_finalized`]  | `fetch_add` on the phase bits, after teardown         |
//!
//! A guard is admitted when the word *before* its `fetch_add` is Running
//! and, under [`GuardPolicy::Drain`], has `REQUESTED` clear. A refused
//! `fetch_add` is undone by a `fetch_sub` that behaves like a release (it
//! may be the one that brings the count to zero while a finalizer waits).
//! The count can therefore briefly include refused guards; nothing decides
//! on that except the finalizer's "is the count zero", which just waits for
//! the undo.
//!
//! # The two policies
//!
//! - [`GuardPolicy::CPython`]: `REQUESTED` only claims the finalizer role;
//!   guards are admitted until the CAS into Finalizing. A steady stream of
//!   overlapping guards can keep the count above zero forever: the
//!   finalizer only asks for zero, never stops new guards. The scenario
//!   `lifecycle::policies::cpython_policy_overtaken` shows a finalizer
//!   overtaken; the SPIN proof shows it can starve.
//! - [`GuardPolicy::Drain`]: once `REQUESTED` is set no guard is admitted,
//!   so the count only falls and the finalizer finishes as soon as the
//!   guards already held are released.
//!
//! # Races considered
//!
//! - *Acquire vs begin finalizing.* Both are read-modify-writes of the same
//!   word, so they are totally ordered: either the guard is counted before
//!   the finalizer's CAS (which then fails, because the count is not zero,
//!   and the finalizer waits), or the CAS comes first and the acquire sees
//!   phase Finalizing and is refused. There is no window between a check
//!   and an increment (the legacy `Py_IsFinalizing()`-then-attach bug;
//!   `models/lifecycle/naive.rs` has the naive version, which loom and
//!   shuttle break).
//! - *Drain request vs acquire.* Same argument with the `fetch_or`: an
//!   acquire ordered after it sees `REQUESTED` and is refused; one ordered
//!   before it is a held guard the finalizer waits for.
//! - *Last release vs the finalizer going to sleep.* The finalizer sets
//!   `WAITING` and re-checks the word while holding the wait lock, and only
//!   then sleeps on the condvar, which releases the lock atomically. The
//!   releaser that brings the count to zero sees `WAITING` (its `fetch_sub`
//!   comes after the CAS that set it) and takes the same lock to notify, so
//!   it cannot notify between the finalizer's check and its sleep. If the
//!   release comes before the CAS that sets `WAITING`, that CAS fails on the
//!   changed count and the finalizer re-reads a count of zero. A refused
//!   acquire's undo goes through the same code.
//! - *Two finalizers.* The `fetch_or` of `REQUESTED` picks one; the other
//!   gets [`FinalizeError::AlreadyFinalizing`] without waiting.
//! - *Refused guards after Finalizing.* Their transient increments land on
//!   a word whose phase is Finalizing or Finalized; `mark_finalized` adds to
//!   the phase bits instead of storing, so it keeps those counts and their
//!   undo cannot underflow.
//!
//! # Orderings
//!
//! - `acquire`'s `fetch_add` is `Relaxed`: admission is decided by the RMW's
//!   place in the word's modification order alone, and a guard publishes
//!   nothing. (A `Relaxed` RMW continues the release sequence of earlier
//!   releases, so the finalizer's `Acquire` still synchronizes with them.)
//! - `release`'s `fetch_sub` is `Release`: it pairs with the `Acquire` load
//!   and CAS in `begin_finalizing`, so everything a guard holder did happens
//!   before teardown.
//! - `begin_finalizing`'s loads and final CAS are `Acquire`, the partner of
//!   the above. Setting `WAITING` is `Relaxed`: the wait lock orders the wait.
//! - `request` and `abandon` are `Relaxed`: they decide admission by their
//!   place in the modification order, like `acquire`.
//! - `mark_finalized`'s `fetch_add` is `Release`, paired with the `Acquire`
//!   load in [`Lifecycle::phase`]: whoever sees Finalized sees the teardown.
//!
//! Page: `docs/lifecycle.md`. Scenarios: `models/lifecycle/`. SPIN spec:
//! `proofs/lifecycle.pml`, whose labels are named after these functions.
use crate::config::GuardPolicy;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::time::Deadline;
use crate::sync::{Condvar, Mutex};
use std::fmt;

const PHASE_MASK: usize = 0b11;
const RUNNING: usize = 0b00;
const FINALIZING: usize = 0b01;
const WAITING: usize = 1 << 2;
const REQUESTED: usize = 1 << 3;
const GUARD_SHIFT: usize = 4;
const ONE_GUARD: usize = 1 << GUARD_SHIFT;
/// Far below the word's capacity, so that refused guards' transient
/// increments can never carry into the phase bits.
const MAX_GUARDS: usize = usize::MAX >> (GUARD_SHIFT + 1);

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
        self.0 >> GUARD_SHIFT
    }

    fn waiting(self) -> bool {
        self.0 & WAITING != 0
    }

    pub(crate) fn requested(self) -> bool {
        self.0 & REQUESTED != 0
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase={} guards={}", self.phase(), self.guards())?;
        if self.requested() && self.phase() == Phase::Running {
            f.write_str(" finalize-requested")?;
        }
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
    /// Finalization has begun (or finished), or under the drain policy was
    /// requested.
    NotRunning(Phase),
    /// The count would overflow the word.
    TooManyGuards,
}

/// Why the guard wait of a finalization did not end in Finalizing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitFailed {
    /// The deadline passed with this many guards still held.
    TimedOut { guards: usize },
}

/// The lifecycle word and the finalizer's wait.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    word: AtomicUsize,
    policy: GuardPolicy,
    /// Closes the sleep/notify window between a finalizer and the last release.
    wait_lock: Mutex<()>,
    zero_guards: Condvar,
}

impl Lifecycle {
    pub(crate) fn new(policy: GuardPolicy) -> Self {
        Self { word: AtomicUsize::new(RUNNING), policy, wait_lock: Mutex::new(()), zero_guards: Condvar::new() }
    }

    /// The current word, for traces and reports (Relaxed: a snapshot).
    pub(crate) fn snapshot(&self) -> Word {
        Word(self.word.load(Ordering::Relaxed))
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        // Acquire: pairs with the Release `fetch_add` in `mark_finalized`.
        Word(self.word.load(Ordering::Acquire)).phase()
    }

    /// Counts a new guard, if the word admits one. Returns the word after the
    /// increment, or why it was refused (and the word after the undo).
    #[inline]
    pub(crate) fn acquire(&self) -> Result<Word, (Refusal, Word)> {
        // Relaxed: see `# Orderings`; the RMW's place in the modification
        // order is what excludes the finalizer.
        let before = Word(self.word.fetch_add(ONE_GUARD, Ordering::Relaxed));
        let refusal = if before.phase() != Phase::Running {
            Refusal::NotRunning(before.phase())
        } else if self.policy == GuardPolicy::Drain && before.requested() {
            Refusal::NotRunning(Phase::Finalizing)
        } else if before.guards() >= MAX_GUARDS {
            Refusal::TooManyGuards
        } else {
            return Ok(Word(before.0 + ONE_GUARD));
        };
        Err((refusal, self.uncount()))
    }

    /// Uncounts a guard; wakes a waiting finalizer when it was the last.
    /// Returns the word after the decrement.
    #[inline]
    pub(crate) fn release(&self) -> Word {
        let after = self.uncount();
        // A held guard released after finalization began: only a broken
        // protocol gets here. Say so, unless already unwinding from the first
        // symptom (a second panic in a destructor would abort).
        if after.phase() != Phase::Running && !std::thread::panicking() {
            panic!("invariant LC-2 violated: a guard was held when finalization began ({after})");
        }
        after
    }

    /// The decrement shared by a release and a refused acquire's undo.
    #[inline]
    fn uncount(&self) -> Word {
        // Release: pairs with the Acquire load/CAS in `begin_finalizing`.
        let before = Word(self.word.fetch_sub(ONE_GUARD, Ordering::Release));
        if before.guards() == 0 {
            // Never: every decrement has its increment before it.
            panic!("invariant LC-2 violated: a guard count went below zero ({before})");
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

    /// Claims finalization: only the first caller gets `Ok`. Under the
    /// drain policy no guard is admitted from here on.
    pub(crate) fn request(&self) -> Result<Word, (FinalizeError, Word)> {
        // Relaxed: admission is decided by the place in the modification order.
        let before = Word(self.word.fetch_or(REQUESTED, Ordering::Relaxed));
        if before.requested() || before.phase() != Phase::Running {
            return Err((FinalizeError::AlreadyFinalizing, before));
        }
        Ok(Word(before.0 | REQUESTED))
    }

    /// Waits until no guard is held and moves Running → Finalizing in the
    /// same CAS. `on_wait` is told each time the finalizer goes to sleep.
    /// Only the caller whose [`request`](Self::request) succeeded may call it.
    pub(crate) fn begin_finalizing(
        &self,
        deadline: &Deadline,
        mut on_wait: impl FnMut(Word),
    ) -> Result<Word, (WaitFailed, Word)> {
        let mut locked = self.wait_lock.lock();
        // Acquire: pairs with the Release `fetch_sub` in `uncount`.
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let word = Word(current);
            debug_assert_eq!(word.phase(), Phase::Running, "only the requester finalizes");
            if word.guards() == 0 {
                // Acquire: pairs with the Release `fetch_sub` in `uncount`.
                match self.word.compare_exchange(current, FINALIZING | REQUESTED, Ordering::Acquire, Ordering::Acquire)
                {
                    Ok(_) => return Ok(Word(FINALIZING | REQUESTED)),
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
            if self.zero_guards.wait_until(&mut locked, deadline) {
                // Acquire: pairs with the Release `fetch_sub` in `uncount`.
                let now = Word(self.word.load(Ordering::Acquire));
                if now.guards() != 0 {
                    return Err((WaitFailed::TimedOut { guards: now.guards() }, now));
                }
            }
            // Acquire: pairs with the Release `fetch_sub` in `uncount`.
            current = self.word.load(Ordering::Acquire);
        }
    }

    /// Gives the finalizer role back (a finalization that timed out): the
    /// interpreter runs on, and guards are admitted again.
    pub(crate) fn abandon(&self) -> Word {
        // Relaxed: like `request`.
        Word(self.word.fetch_and(!(REQUESTED | WAITING), Ordering::Relaxed) & !(REQUESTED | WAITING))
    }

    /// Finalizing → Finalized, once teardown is complete.
    pub(crate) fn mark_finalized(&self) -> Word {
        // Release: pairs with the Acquire load in `phase`. An add, not a
        // store: refused guards' transient counts must survive it.
        Word(self.word.fetch_add(1, Ordering::Release) + 1)
    }
}

/// Why a finalization did not complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalizeError {
    /// Another call already began (or finished) finalizing this interpreter.
    AlreadyFinalizing,
    /// The calling thread is attached to this interpreter (or holds a guard
    /// on it through a thread-state token): it would wait for itself.
    CurrentThreadAttached,
    /// The deadline passed while guards were still held. Finalization was
    /// abandoned and the interpreter runs on; at-exit callbacks that already
    /// ran are not run again.
    GuardsOutstanding(crate::guard::Outstanding),
    /// The deadline passed while non-daemon threads were still running;
    /// finalization was abandoned and the interpreter runs on.
    ThreadsOutstanding {
        /// How many non-daemon threads were still running.
        threads: usize,
    },
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyFinalizing => f.write_str("the interpreter is already finalizing or finalized"),
            Self::CurrentThreadAttached => {
                f.write_str("cannot finalize the interpreter the calling thread is attached to")
            }
            Self::GuardsOutstanding(outstanding) => write!(f, "timed out waiting for guards: {outstanding}"),
            Self::ThreadsOutstanding { threads } => {
                write!(f, "timed out waiting for {threads} non-daemon thread(s) to finish")
            }
        }
    }
}

impl std::error::Error for FinalizeError {}
