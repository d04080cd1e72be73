//! The two guard policies against a continuous guard taker
//! (`GuardPolicy`, `Lifecycle::acquire`): CPython's lets new guards in
//! while the finalizer waits, so the finalizer can be overtaken again and
//! again; the drain policy admits no guard once the finalizer drains (from
//! its guard wait on).
//! Whether the CPython policy can starve the finalizer forever is a
//! liveness question: the SPIN proofs answer it (`docs/proofs.md`); these
//! scenarios show the interleaving that starvation repeats, and that the
//! drain policy never has it.
//!
//! Invariants (`docs/invariants.md`): LC-1, LC-2, LC-3 under both; LC-5
//! under the drain policy (no guard granted once the finalizer drains; the
//! finalizer is never overtaken).
//!
//! Both read the admitted guards' words from the trace: a `guard.acquire`
//! event's state is the word its own RMW produced, so "admitted with
//! `REQUESTED` set" (`finalize-requested`) is exact, whatever the events'
//! order. Under production stress these checks need `--features trace`
//! (which `cargo xtask verify` turns on); without it they see no events.
use super::{assert_finalized, events, finalizer_waits, granted, in_order, refused, spawn_finalizer};
use xinterp::sync::thread;
use xinterp::{Config, GuardError, GuardPolicy, Phase, Runtime};
use xinterp_check::trace::Event;
use xinterp_check::{LoomBounds, Scenario};

/// How many guards the taker tries to take, one after another.
const TAKES: usize = 2;

/// A guard admitted from a word with `REQUESTED` set: granted after the
/// finalizer claimed the interpreter.
fn granted_after_request(e: &Event) -> bool {
    granted(&e.kind).is_some_and(|w| w.requested)
}

/// A guard admitted from a word whose finalizer was draining: the word an
/// admitted acquire records is its own increment on the word it saw, so
/// `draining` there means it was admitted after the drain began.
fn granted_while_draining(e: &Event) -> bool {
    granted(&e.kind).is_some_and(|w| w.draining)
}

/// The finalizer went to sleep, a guard was granted after its request, and
/// it went to sleep again: it was woken and found a guard held again.
fn overtaken(events: &[Event]) -> bool {
    in_order(events, &[&|e| finalizer_waits(&e.kind), &granted_after_request, &|e| finalizer_waits(&e.kind)])
}

/// The taker and the finalizer, under `policy`.
fn taker_vs_finalizer(policy: GuardPolicy) {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_guard_policy(policy)).unwrap();
    let view = sub.view();
    let taker = thread::spawn_named("taker", move || {
        let mut refused = false;
        for _ in 0..TAKES {
            match view.guard() {
                Ok(guard) => {
                    // LC-1: once refused, never granted again.
                    assert!(!refused, "invariant LC-1 violated: a guard was granted after a refusal");
                    // Works a while under the guard: under PCT a yield
                    // lowers the taker's priority, so the finalizer gets to
                    // look at the word while the guard is held.
                    thread::yield_now();
                    drop(guard);
                }
                Err(GuardError::Finalizing(_) | GuardError::Gone(_)) => refused = true,
                Err(other) => panic!("unexpected refusal: {other}"),
            }
        }
    });
    let finalizer = spawn_finalizer(&sub);
    taker.join().unwrap();
    assert_finalized(&sub, finalizer);
}

/// `GuardPolicy::CPython`: a taker takes and drops `TAKES` (2) guards in a
/// row while a thread finalizes. The finalizer can sleep on a held guard,
/// be woken by its release, and find the next guard already granted:
/// overtaken. With an endless taker this can repeat forever (starvation);
/// the model bounds the taker so every execution ends, and the witness
/// shows the step that starvation repeats.
///
/// Invariants: LC-1 (no guard after finalization began: once refused,
/// never granted), LC-2 (`Lifecycle::release` panics if a guard outlived
/// the start of finalization), LC-3 (the finalizer succeeds once the taker
/// stops).
///
/// loom: exhaustive (no preemption bound): 3 threads (main, taker,
/// finalizer).
#[test]
fn cpython_policy_overtaken() {
    Scenario::new("lifecycle::policies::cpython_policy_overtaken")
        .witness_when(
            "finalizer_overtaken",
            "the finalizer slept, was woken, and found a guard granted after its request held again",
            overtaken,
        )
        .witness_event("taker_refused", "the taker was refused once finalization had begun", |k| refused(k).is_some())
        .loom(LoomBounds::default())
        .check(|| taker_vs_finalizer(GuardPolicy::CPython));
}

/// `GuardPolicy::Drain`: the same taker and finalizer. Once the finalizer
/// reaches the guard wait it drains: no guard is granted any more, so the
/// finalizer waits only for the guards already held, and is never
/// overtaken. (Between its request and the drain, while it waits for
/// non-daemon threads and runs at-exit callbacks, guards are still granted:
/// those threads attach through guards.)
///
/// Invariants: LC-5 (asserted on the execution's events when it ends: no
/// guard admitted from a draining word; the finalizer never overtaken),
/// plus LC-1 to LC-3 as in `cpython_policy_overtaken`.
///
/// loom: exhaustive (no preemption bound): 3 threads (main, taker,
/// finalizer).
#[test]
fn drain_policy_never_overtaken() {
    Scenario::new("lifecycle::policies::drain_policy_never_overtaken")
        .witness_event(
            "finalizer_waited",
            "the finalizer slept until the guards held when it began draining were released",
            finalizer_waits,
        )
        .witness_event(
            "refused_while_running",
            "the taker was refused while the interpreter was still running: the finalizer was draining",
            |k| refused(k).is_some_and(|w| w.phase == Phase::Running),
        )
        .loom(LoomBounds::default())
        .check(|| {
            taker_vs_finalizer(GuardPolicy::Drain);
            let events = events();
            let late = events.iter().find(|e| granted_while_draining(e));
            assert!(late.is_none(), "invariant LC-5 violated: a guard was granted while draining: {late:?}");
            assert!(!overtaken(&events), "invariant LC-5 violated: the finalizer was overtaken");
        });
}
