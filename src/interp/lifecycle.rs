//! The lifecycle word: PEP 788's finalization guards as one atomic word.
//!
//! A guard is a read lock on finalization. Taking one counts it in the word,
//! which only admits it while the interpreter is running (and, under the
//! drain policy, while the finalizer is not yet draining); the finalizer
//! waits until the count is zero and then, in one compare-exchange, moves the
//! phase to Finalizing, after which no guard can ever be taken again. This is
//! the one-word design a CPython core reviewer sketched for PEP 788
//! (compare-exchange for shutdown, a parking primitive for the wait) rather
//! than a read-write lock plus a countdown plus an event.
//!
//! Every guard is the word's: `Interpreter::guard`, `View::guard`,
//! `Attached::guard`, `ensure_from_view` and each `InterpreterThread::attach`
//! go through `Lifecycle::acquire`, and dropping a guard is
//! `Lifecycle::release`. A refused guard says why:
//! [`GuardError::Finalizing`] while the phase is Finalizing (or, under the
//! drain policy, once the finalizer drains), [`GuardError::Gone`] once it is
//! Finalized, [`GuardError::TooManyGuards`] if the count would overflow.
//!
//! [`GuardError::Finalizing`]: crate::GuardError::Finalizing
//! [`GuardError::Gone`]: crate::GuardError::Gone
//! [`GuardError::TooManyGuards`]: crate::GuardError::TooManyGuards
//!
//! # The state word
//!
//! | bits   | field       | meaning                                                          |
//! |--------|-------------|------------------------------------------------------------------|
//! | 0..=1  | phase       | `00` Running, `01` Finalizing, `10` Finalized                    |
//! | 2      | `WAITING`   | a finalizer is (about to be) parked until the guard count is 0   |
//! | 3      | `REQUESTED` | a finalizer has claimed the interpreter (finalization requested) |
//! | 4      | `DRAINING`  | drain policy: the finalizer waits for guards; none is admitted   |
//! | 5..    | guards      | how many guards are counted                                      |
//!
//! | transition                              | by                             | how                                                   |
//! |-----------------------------------------|--------------------------------|-------------------------------------------------------|
//! | guards + 1                              | `Lifecycle::acquire`           | `fetch_add`; undone at once if the word refuses it    |
//! | guards - 1                              | `Lifecycle::release`           | `fetch_sub`; wakes the finalizer at 0 if `WAITING`    |
//! | set `REQUESTED`                         | `Lifecycle::request`           | `fetch_or`; only the first caller sees it clear       |
//! | set `DRAINING` (drain policy)           | `Lifecycle::begin_finalizing`  | `fetch_or`, before it first looks at the count        |
//! | set `WAITING`                           | `Lifecycle::begin_finalizing`  | CAS, under the wait lock, while guards > 0            |
//! | Running, 0 guards → Finalizing          | `Lifecycle::begin_finalizing`  | CAS; clears `WAITING` and `DRAINING`, keeps `REQUESTED` |
//! | clear `REQUESTED`, `DRAINING`, `WAITING`| `Lifecycle::abandon`           | `fetch_and`, when a finalizer gives up (timeout)      |
//! | Finalizing → Finalized                  | `Lifecycle::mark_finalized`    | `fetch_add` on the phase bits, after teardown         |
//!
//! A guard is admitted when the word *before* its `fetch_add` is Running
//! and, under [`GuardPolicy::Drain`], has `DRAINING` clear. A refused
//! `fetch_add` is undone by a `fetch_sub` that behaves like a release (it
//! may be the one that brings the count to zero while a finalizer waits).
//! The count can therefore briefly include refused guards; nothing decides
//! on that except the finalizer's "is the count zero", which waits for the
//! undo. Under the CPython policy refusals only happen once Finalizing has
//! begun, when no finalizer waits any more. Under the drain policy they
//! happen while the finalizer waits, and an endless stream of them could
//! keep the count above zero whenever it looks (the SPIN proof
//! `proofs/lifecycle*.pml` found exactly that starvation): so under drain,
//! `acquire` first *loads* the word and refuses without touching it when
//! `DRAINING` is set. Only acquires whose look came before the drain can
//! still add a transient increment, so after draining begins there are
//! finitely many, and the finalizer finishes once held guards are released.
//! A look that refuses re-reads the word with an RMW that changes nothing
//! (`fetch_or(0)`), so the refusal reports the current state, not a stale one.
//!
//! Traces show the word decoded, e.g.
//! `phase=running guards=1 finalize-requested draining finalizer-waiting`.
//!
//! # The two policies
//!
//! - [`GuardPolicy::CPython`]: guards are admitted until the CAS into
//!   Finalizing. A steady stream of
//!   overlapping guards can keep the count above zero forever: the
//!   finalizer only asks for zero, never stops new guards. The scenario
//!   `lifecycle::policies::cpython_policy_overtaken` shows a finalizer
//!   overtaken; the SPIN proof shows it can starve.
//! - [`GuardPolicy::Drain`]: once the finalizer reaches the guard wait
//!   (finalization step 3, after the non-daemon threads finished and the
//!   at-exit callbacks ran) it sets `DRAINING`, and no guard is admitted any
//!   more, so the count only falls and the finalizer finishes as soon as the
//!   guards already held are released. Draining starts there, not at the
//!   request, because the threads finalization waits for in step 1 attach
//!   through guards: draining earlier would refuse them their last work.
//!
//! Under both policies `REQUESTED` claims the finalizer role (step 0).
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
//! - *Drain vs acquire.* Same argument with the `fetch_or` of `DRAINING`:
//!   an acquire ordered after it is refused; one ordered before it is a held
//!   guard the finalizer waits for.
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
//! What needs ordering is a guard holder's work, not the word: a holder may
//! write, under its guard and without attaching, data that the finalizer's
//! thread reads once `finalize` returned (the GIL would order an attached
//! holder's writes anyway; a guard alone must too), and whoever sees
//! Finalized may read what finalization did. Each pair below is checked by
//! a loom scenario whose data race the weakened ordering shows
//! (`models/lifecycle/orderings.rs`; the sweep `cargo xtask mutants
//! --orderings` weakens each one in turn); every other access is `Relaxed`,
//! with what orders it named here and at the site.
//!
//! - `release`'s `fetch_sub` is `Release`, and the CAS into Finalizing in
//!   `begin_finalizing` is `Acquire` on success: the CAS reads the last
//!   decrement (or a later RMW, which continues its release sequence), so
//!   everything a guard holder did happens before teardown and before
//!   `finalize` returns. Scenario:
//!   `lifecycle::orderings::guard_holder_writes_before_teardown`.
//! - `mark_finalized`'s `fetch_add` is `Release`, paired with the `Acquire`
//!   load in `Lifecycle::phase`: whoever sees Finalized sees the
//!   finalization (its at-exit callbacks, its teardown). Scenario:
//!   `lifecycle::orderings::finalized_phase_publishes_finalization`.
//! - `Relaxed`, because the CAS decides: `begin_finalizing`'s loads (the
//!   first look, the re-reads after a wake-up or a timeout) and its CASes'
//!   failure orderings only choose what to try next; the finalizer acts
//!   only after the successful `Acquire` CAS, and a timed-out one tears
//!   nothing down. Setting `WAITING` is `Relaxed` too: the wait lock
//!   orders the sleep against the releaser's notify.
//! - `Relaxed`, because nothing is published: `acquire`'s `fetch_add`
//!   (admission is decided by the RMW's place in the word's modification
//!   order alone, and a guard publishes nothing when it is taken) and a
//!   refused acquire's undo (`uncount`: the refused caller held no guard and
//!   did nothing; its RMWs continue the release sequence of the releases
//!   before them, so the finalizer's `Acquire` CAS still synchronizes with
//!   those). `request`, setting `DRAINING` and `abandon` decide admission by
//!   their place in the modification order, like `acquire`.
//!
//! Page: `docs/lifecycle.md` (how the protocols compose). Scenarios: `models/lifecycle/`. SPIN spec:
//! `proofs/lifecycle.pml`, whose labels are named after these functions.
use crate::config::GuardPolicy;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::time::Deadline;
use crate::sync::{Condvar, Mutex};
use std::fmt;

pub use super::finalize_error::{FinalizeError, FinalizeFaults};
pub use super::phase::Phase;

const PHASE_MASK: usize = 0b11;
const RUNNING: usize = 0b00;
const FINALIZING: usize = 0b01;
const WAITING: usize = 1 << 2;
const REQUESTED: usize = 1 << 3;
const DRAINING: usize = 1 << 4;
const GUARD_SHIFT: usize = 5;
const ONE_GUARD: usize = 1 << GUARD_SHIFT;
/// Far below the word's capacity, so that refused guards' transient
/// increments can never carry into the phase bits.
const MAX_GUARDS: usize = usize::MAX >> (GUARD_SHIFT + 1);

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

    fn draining(self) -> bool {
        self.0 & DRAINING != 0
    }

    /// The word decoded into its fields, as events record it.
    pub(crate) fn decoded(self) -> crate::trace::event::Word {
        crate::trace::event::Word {
            phase: self.phase(),
            guards: self.guards(),
            requested: self.requested(),
            draining: self.draining(),
            waiting: self.waiting(),
        }
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.decoded(), f)
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
    /// Finalization has begun (or finished), or under the drain policy the
    /// finalizer is draining.
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
    /// The bits of the word before an acquire's `fetch_add` that refuse the
    /// guard: the phase, and under the drain policy `DRAINING`. Precomputed
    /// so that admission is one mask and one compare.
    refuse: usize,
    policy: GuardPolicy,
    /// Closes the sleep/notify window between a finalizer and the last release.
    wait_lock: Mutex<()>,
    zero_guards: Condvar,
}

impl Lifecycle {
    pub(crate) fn new(policy: GuardPolicy) -> Self {
        let refuse = match policy {
            GuardPolicy::CPython => PHASE_MASK,
            GuardPolicy::Drain => PHASE_MASK | DRAINING,
        };
        Self { word: AtomicUsize::new(RUNNING), refuse, policy, wait_lock: Mutex::new(()), zero_guards: Condvar::new() }
    }

    /// The current word, for traces and reports (Relaxed: a snapshot).
    pub(crate) fn snapshot(&self) -> Word {
        Word(self.word.load(Ordering::Relaxed))
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        // Acquire: pairs with the Release `fetch_add` in `mark_finalized`
        // (`lifecycle::orderings::finalized_phase_publishes_finalization`).
        Word(self.word.load(Ordering::Acquire)).phase()
    }

    /// Counts a new guard, if the word admits one. Returns the word after the
    /// increment, or why it was refused (and the word after the undo).
    #[inline]
    pub(crate) fn acquire(&self) -> Result<Word, (Refusal, Word)> {
        // Relaxed: see `# Orderings`; the RMW's place in the modification
        // order is what excludes the finalizer.
        if self.refuse & DRAINING != 0 {
            // Drain policy: a refused acquire's transient increment delays a
            // finalizer waiting for zero, and a stream of them could do so
            // forever (the SPIN proof found it). Look first: once DRAINING
            // is set every later look sees it, so each acquire adds at most
            // one transient increment after draining began. Relaxed: a stale
            // look only means the fetch_add below decides.
            let seen = self.word.load(Ordering::Relaxed);
            if seen & self.refuse != 0 {
                // The look may be stale (a Relaxed load may read an older
                // word: loom shows one still draining after finalization
                // finished). An RMW reads the latest word without changing
                // it, so the refusal reports the interpreter's state now;
                // if the drain was abandoned since, count as usual.
                let now = self.word.fetch_or(0, Ordering::Relaxed);
                if now & self.refuse != 0 {
                    return Err((self.refusal(Word(now)), Word(now)));
                }
            }
        }
        let before = self.word.fetch_add(ONE_GUARD, Ordering::Relaxed);
        if before & self.refuse == 0 && before < MAX_GUARDS << GUARD_SHIFT {
            return Ok(Word(before + ONE_GUARD));
        }
        Err(self.refused(Word(before)))
    }

    /// Why the word `before` refused a guard; undoes its increment.
    #[cold]
    #[inline(never)]
    fn refused(&self, before: Word) -> (Refusal, Word) {
        (self.refusal(before), self.uncount())
    }

    /// Why the word refuses a guard.
    fn refusal(&self, word: Word) -> Refusal {
        if word.phase() != Phase::Running {
            Refusal::NotRunning(word.phase())
        } else if word.0 & self.refuse != 0 {
            // Running, but draining (drain policy).
            Refusal::NotRunning(Phase::Finalizing)
        } else {
            Refusal::TooManyGuards
        }
    }

    /// Uncounts a guard; wakes a waiting finalizer when it was the last.
    /// Returns the word after the decrement.
    #[inline]
    pub(crate) fn release(&self) -> Word {
        // Release: pairs with the Acquire CAS into Finalizing in
        // `begin_finalizing`: what the holder did under its guard happens
        // before teardown (`lifecycle::orderings::guard_holder_writes_before_teardown`).
        let before = self.word.fetch_sub(ONE_GUARD, Ordering::Release);
        // The common case: running, no finalizer waiting, no underflow.
        if before & (PHASE_MASK | WAITING) == 0 && before >= ONE_GUARD {
            return Word(before - ONE_GUARD);
        }
        self.released_slow(Word(before))
    }

    /// The rest of a release whose word needs a look: a waiting finalizer
    /// to wake, or a protocol violation to report.
    #[cold]
    #[inline(never)]
    fn released_slow(&self, before: Word) -> Word {
        let after = self.after_uncount(before);
        // A held guard released after finalization began: only a broken
        // protocol gets here. Say so, unless already unwinding from the first
        // symptom (a second panic in a destructor would abort).
        if after.phase() != Phase::Running && !std::thread::panicking() {
            panic!("invariant LC-2 violated: a guard was held when finalization began ({after})");
        }
        after
    }

    /// A refused acquire's undo of its increment.
    #[inline]
    fn uncount(&self) -> Word {
        // Relaxed: the refused caller held no guard and publishes nothing;
        // this RMW continues the release sequence of the real releases
        // before it, so the finalizer's Acquire CAS still synchronizes with
        // them (see `# Orderings`).
        self.after_uncount(Word(self.word.fetch_sub(ONE_GUARD, Ordering::Relaxed)))
    }

    /// Checks a decrement's `before` word and wakes a waiting finalizer if
    /// the count reached zero.
    fn after_uncount(&self, before: Word) -> Word {
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

    /// Claims finalization (step 0): only the first caller gets `Ok`.
    pub(crate) fn request(&self) -> Result<Word, (FinalizeError, Word)> {
        // Relaxed: admission is decided by the place in the modification order.
        let before = Word(self.word.fetch_or(REQUESTED, Ordering::Relaxed));
        if before.requested() || before.phase() != Phase::Running {
            return Err((FinalizeError::AlreadyFinalizing, before));
        }
        Ok(Word(before.0 | REQUESTED))
    }

    /// Waits until no guard is held and moves Running → Finalizing in the
    /// same CAS; under the drain policy first stops admitting guards.
    /// `on_drain` is told when draining starts, `on_wait` each time the
    /// finalizer goes to sleep. Only the caller whose
    /// [`request`](Self::request) succeeded may call it.
    pub(crate) fn begin_finalizing(
        &self,
        deadline: &Deadline,
        on_drain: impl FnOnce(Word),
        mut on_wait: impl FnMut(Word),
    ) -> Result<Word, (WaitFailed, Word)> {
        if self.policy == GuardPolicy::Drain {
            // Relaxed: see `# Orderings`.
            on_drain(Word(self.word.fetch_or(DRAINING, Ordering::Relaxed) | DRAINING));
        }
        let mut locked = self.wait_lock.lock();
        // Relaxed: a look that only chooses the next step; the Acquire CAS
        // below is what orders the holders' work before teardown.
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            let word = Word(current);
            debug_assert_eq!(word.phase(), Phase::Running, "only the requester finalizes");
            if word.guards() == 0 {
                // Acquire on success: pairs with the Release `fetch_sub` in
                // `release` (the word it reads is the last decrement's, or a
                // later RMW's in its release sequence), so every holder's
                // work happens before teardown. Relaxed on failure: the loop
                // only looks again.
                match self.word.compare_exchange(current, FINALIZING | REQUESTED, Ordering::Acquire, Ordering::Relaxed)
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
                // releaser's notify; a failure only looks again.
                match self.word.compare_exchange(current, current | WAITING, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => current |= WAITING,
                    Err(actual) => {
                        current = actual;
                        continue;
                    }
                }
            }
            on_wait(Word(current));
            if self.zero_guards.wait_until(&mut locked, deadline) {
                // Relaxed: a timed-out finalizer tears nothing down; with
                // no guard left the loop goes on to the Acquire CAS.
                let now = Word(self.word.load(Ordering::Relaxed));
                if now.guards() != 0 {
                    return Err((WaitFailed::TimedOut { guards: now.guards() }, now));
                }
            }
            // Relaxed: a look; the Acquire CAS above decides.
            current = self.word.load(Ordering::Relaxed);
        }
    }

    /// Gives the finalizer role back (a finalization that timed out): the
    /// interpreter runs on, and guards are admitted again.
    pub(crate) fn abandon(&self) -> Word {
        // Relaxed: like `request`.
        const GIVE_UP: usize = REQUESTED | DRAINING | WAITING;
        Word(self.word.fetch_and(!GIVE_UP, Ordering::Relaxed) & !GIVE_UP)
    }

    /// Finalizing → Finalized, once teardown is complete.
    pub(crate) fn mark_finalized(&self) -> Word {
        // Release: pairs with the Acquire load in `phase`: whoever sees
        // Finalized sees the finalization
        // (`lifecycle::orderings::finalized_phase_publishes_finalization`).
        // An add, not a store: refused guards' transient counts must
        // survive it.
        Word(self.word.fetch_add(1, Ordering::Release) + 1)
    }
}
