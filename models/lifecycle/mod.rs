//! Scenarios for the interpreter lifecycle: PEP 788 guards, views and
//! finalization (both guard policies), PEP 684 GILs and thread states,
//! `run`/`destroy`/`list_all`, interpreter threads, and the legacy APIs'
//! known bugs. Code: `src/interp/`, `src/thread_state/`, `src/gil.rs`;
//! page: `docs/lifecycle.md`; invariants: `docs/invariants.md`.
//!
//! | file              | what it checks                                                        | invariants            |
//! |-------------------|-----------------------------------------------------------------------|-----------------------|
//! | `guards.rs`       | guard holders and view promotion (`ensure_from_view` too) vs finalizers | LC-1, LC-2, LC-3, TS-5 |
//! | `thread_states.rs`| ensure/release nesting over two interpreters; restore vs finalization | TS-1 .. TS-5, GIL-2   |
//! | `gil.rs`          | own GILs run at once, shared GILs exclude each other                  | GIL-2, GIL-3          |
//! | `interpreters.rs` | run vs run, run vs destroy, list vs destroy                           | RUN-1, RUN-2, RUN-3   |
//! | `finalization.rs` | main finalization with subinterpreters and native threads; daemon and non-daemon threads | LC-2, LC-6, LC-7 |
//! | `orderings.rs`    | data only the lifecycle word's Release/Acquire pairs order (a guard holder's write; what Finalized publishes) | LC-8 |
//! | `policies.rs`     | a continuous guard taker vs a finalizer, under each guard policy      | LC-1, LC-5            |
//! | `legacy.rs`       | known bugs of the legacy API (`PyGILState_Ensure`, `Py_IsFinalizing`) | LEG-1 .. LEG-3, LC-2  |
//! | `naive.rs`        | known bugs of naive lifecycles (check-then-increment, no wait)        | LC-2                  |
//!
//! Every scenario states its loom bound and why in its doc comment. The
//! rule: exhaustive (no preemption bound) with at most three threads;
//! a preemption bound only where four threads do not fit, with the
//! executions and time measured at each bound tried. shuttle runs every
//! scenario with PCT (depth 3, 10,000 iterations, seeded from the name);
//! stress runs 2,000 iterations on OS threads.

mod finalization;
mod gil;
mod guards;
mod interpreters;
mod legacy;
mod naive;
mod orderings;
mod policies;
mod thread_states;

use xinterp::sync::atomic::{AtomicUsize, Ordering};
use xinterp::sync::thread::{self, JoinHandle};
use xinterp::trace::event::{FinalizeEvent, GilEvent, GilState, GuardEvent, Word};
use xinterp::trace::EventKind;
use xinterp::{FinalizeError, Interpreter, Phase};
use xinterp_check::trace::Event;

/// Spawns a thread named `finalizer` that finalizes `interp`.
pub(crate) fn spawn_finalizer(interp: &Interpreter) -> JoinHandle<Result<(), FinalizeError>> {
    let interp = interp.clone();
    thread::spawn_named("finalizer", move || interp.finalize())
}

/// Joins a finalizer and asserts LC-3: it succeeded and `interp` is
/// Finalized.
pub(crate) fn assert_finalized(interp: &Interpreter, finalizer: JoinHandle<Result<(), FinalizeError>>) {
    assert_eq!(finalizer.join().unwrap(), Ok(()), "LC-3: the finalizer must succeed");
    assert_eq!(interp.phase(), Phase::Finalized, "LC-3: finalization must complete");
}

/// How many threads are inside a region that at most `max` may share (a
/// GIL's critical section, a `run`). `enter` asserts the invariant.
pub(crate) struct Inside {
    count: AtomicUsize,
    max: usize,
    invariant: &'static str,
}

impl Inside {
    pub(crate) fn new(max: usize, invariant: &'static str) -> Self {
        Self { count: AtomicUsize::new(0), max, invariant }
    }

    /// Counts the calling thread in; returns how many are inside now.
    pub(crate) fn enter(&self) -> usize {
        // SeqCst RMW: always sees the latest count, so the assertion is
        // about the interleaving, not about a stale read.
        let now = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            now <= self.max,
            "invariant {} violated: {now} threads inside at once (at most {})",
            self.invariant,
            self.max
        );
        now
    }

    /// Counts the calling thread out.
    pub(crate) fn leave(&self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The events recorded so far in the current execution (empty when
/// tracing is compiled out: production stress without `--features trace`).
pub(crate) fn events() -> Vec<Event> {
    xinterp_check::trace::session::with_current(|s| s.trace().events).unwrap_or_default()
}

/// Whether `events` has, in order, an event matching each predicate.
pub(crate) fn in_order(events: &[Event], steps: &[&dyn Fn(&Event) -> bool]) -> bool {
    let mut rest = events.iter();
    steps.iter().all(|step| rest.any(step))
}

/// The word of a granted guard (`guard.acquire -> ok`).
pub(crate) fn granted(k: &EventKind) -> Option<&Word> {
    match k {
        EventKind::Guard(GuardEvent::Granted { word, .. }) => Some(word),
        _ => None,
    }
}

/// A refused guard (`guard.acquire -> refused: <phase>`), with the word
/// after its undo.
pub(crate) fn refused(k: &EventKind) -> Option<&Word> {
    match k {
        EventKind::Guard(GuardEvent::Refused { word, .. }) => Some(word),
        _ => None,
    }
}

/// The finalizer went to sleep waiting for guards (`finalize.wait ->
/// blocked`).
pub(crate) fn finalizer_waits(k: &EventKind) -> bool {
    matches!(k, EventKind::Finalize(FinalizeEvent::Waits { .. }))
}

/// The interpreter a GIL was taken for (`gil.acquire -> ok`).
pub(crate) fn gil_taken(k: &EventKind) -> Option<&GilState> {
    match k {
        EventKind::Gil(GilEvent::Acquired { gil, .. }) => Some(gil),
        _ => None,
    }
}
