//! Thread states: `PyThreadState_Ensure` / `Release` nesting across two
//! interpreters, and restoring the previous thread state while its
//! interpreter finalizes (`src/thread_state/`).
//!
//! Invariants (`docs/invariants.md`): TS-1 (the three ensure cases), TS-2
//! (release restores the previous thread state, or reports that its
//! interpreter is finalizing and leaves the thread detached), TS-3 (an
//! out-of-order release is a typed error and is deferred), TS-4
//! (`Attached::check` is stale while another thread state is attached and
//! current again once it is restored), GIL-1 (one thread per GIL).
use super::{events, finalizer_waits, gil_taken, spawn_finalizer, Inside};
use xinterp::sync::{thread, Arc};
use xinterp::thread_state::{current_id, ensure, ensure_from_view};
use xinterp::trace::event::{EnsureCase, FinalizeEvent, GilEvent, ThreadStateEvent};
use xinterp::trace::EventKind;
use xinterp::{Config, GuardPolicy, NotAttached, ReleaseError, Runtime};
use xinterp_check::trace::Event;
use xinterp_check::{reach, LoomBounds, Scenario};

/// The calling thread's nesting over interpreters A and B, while a rival
/// thread attaches to A (A's GIL is contended).
///
/// Main, a native thread with guards on A and B:
///
/// | step | call                        | ensure case / release             | attached after |
/// |------|-----------------------------|-----------------------------------|----------------|
/// | 1    | `t1 = ensure(&ga)`          | 3: created, owned by ensure       | A              |
/// | 2    | `t2 = ensure(&ga)`          | 1: reused, count 2                | A              |
/// | 3    | `t3 = ensure(&gb)`          | 3: another interpreter: A detached | B (t1 stale)  |
/// | 4    | `t2.release()`              | `NotInnermost`: deferred          | B              |
/// | 5    | `t3.release()`              | deletes B's state, restores A, runs t2's deferred release | A (t1 current) |
/// | 6    | `allow_threads` { `ensure(&ga)` … release } | 2: re-attached this thread's own state; release detaches again | none → A → none |
/// | 7    | `t1.release()`              | count 0: deleted                  | none           |
///
/// Invariants: TS-1 .. TS-4 as asserted at each step, and GIL-1: every
/// stretch attached to A is counted in an `Inside(1)` shared with the rival,
/// so two threads attached to A at once fail the scenario.
///
/// loom: exhaustive (no preemption bound): 2 threads (main, rival).
#[test]
fn ensure_nesting_across_two_interpreters() {
    Scenario::new("lifecycle::thread_states::ensure_nesting_across_two_interpreters")
        .witness_event("case1_reused", "ensure reused the attached thread state (case 1)", |k| {
            ensured(k, EnsureCase::Reuse)
        })
        .witness_event("case2_reattached", "ensure re-attached the thread's own detached thread state (case 2)", |k| {
            ensured(k, EnsureCase::Reattach)
        })
        .witness_event("case3_created", "ensure created a thread state (case 3)", |k| ensured(k, EnsureCase::Create))
        .witness("stale_then_current", "A's proof was stale while B was attached, and current again after")
        .witness_when(
            "restored_after_rival",
            "main was restored to A after the rival had held A's GIL while main was on B",
            rival_between_switches,
        )
        .witness_event("gil_contended", "a thread blocked on A's GIL", |k| {
            matches!(k, EventKind::Gil(GilEvent::Blocked { .. }))
        })
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let a = runtime.create().unwrap();
            let b = runtime.create().unwrap();
            let on_a = Arc::new(Inside::new(1, "GIL-1"));
            let rival = {
                let (a, on_a) = (a.clone(), Arc::clone(&on_a));
                thread::spawn_named("rival", move || {
                    let guard = a.guard().expect("A runs");
                    guard.with_gil(|py| {
                        on_a.enter();
                        py.with_state(|s| s.insert("rival", ())).expect("attached");
                        on_a.leave();
                    });
                })
            };

            let (ga, gb) = (a.guard().unwrap(), b.guard().unwrap());
            assert_eq!(current_id(), None);
            let t1 = ensure(&ga);
            on_a.enter();
            assert_eq!(current_id(), Some(a.id()), "TS-1: case 3 attaches");
            let t2 = ensure(&ga);
            assert_eq!(current_id(), Some(a.id()), "TS-1: case 1 stays attached");
            on_a.leave();
            let t3 = ensure(&gb);
            assert_eq!(current_id(), Some(b.id()), "TS-1: case 3 for another interpreter");
            let stale = t1.attached().check();
            assert_eq!(stale, Err(NotAttached(a.id())), "invariant TS-4 violated: A's proof is not stale on B");
            assert_eq!(t2.release(), Err(ReleaseError::NotInnermost), "invariant TS-3 violated");
            assert_eq!(current_id(), Some(b.id()), "invariant TS-3 violated: a deferred release switched");
            t3.release().expect("innermost");
            on_a.enter();
            assert_eq!(current_id(), Some(a.id()), "invariant TS-2 violated: A was not restored");
            assert_eq!(t1.attached().check(), Ok(()), "invariant TS-4 violated: A's proof is not current again");
            reach("stale_then_current");
            t1.attached().with_state(|s| s.insert("main", ())).expect("attached to A");
            on_a.leave();
            let inner_on_a = Arc::clone(&on_a);
            t1.attached().allow_threads(|| {
                assert_eq!(current_id(), None, "allow_threads detaches");
                let inner = ensure(&ga);
                inner_on_a.enter();
                assert_eq!(current_id(), Some(a.id()), "TS-1: case 2 re-attaches");
                inner_on_a.leave();
                inner.release().expect("innermost");
                assert_eq!(current_id(), None, "invariant TS-2 violated: case 2's release must detach again");
            });
            on_a.enter();
            assert_eq!(current_id(), Some(a.id()), "allow_threads re-attaches");
            on_a.leave();
            t1.release().expect("innermost");
            assert_eq!(current_id(), None, "invariant TS-2 violated: the outermost release must detach");
            rival.join().unwrap();
        });
}

/// The rival's GIL acquisition of A lies between main's switch to B and
/// main's restore of A.
fn rival_between_switches(events: &[Event]) -> bool {
    let switched = events
        .iter()
        .position(|e| e.thread == "main" && matches!(e.kind, EventKind::Gil(GilEvent::Released { interp: 1, .. })));
    let Some(switched) = switched else { return false };
    let rest = &events[switched..];
    let Some(rival) = rest.iter().position(|e| e.thread == "rival" && gil_taken(&e.kind).is_some()) else {
        return false;
    };
    rest[rival..].iter().any(|e| e.thread == "main" && gil_taken(&e.kind).is_some() && e.interp() == Some(1))
}

/// Restoring the previous thread state while its interpreter finalizes.
///
/// Main attaches to B through `ensure_from_view` (its token holds B's
/// guard), then to A (`ensure`: B detached, remembered as previous), then
/// drops B's token out of order: the release is deferred, but its implicit
/// guard goes, and a finalizer thread may now finalize B. Releasing A's
/// token must restore B, or, if B has begun finalizing, say so
/// (`PreviousGone(B)`) and leave the thread detached; either way the
/// deferred release of B's token runs, and the thread ends detached.
///
/// Invariants: TS-2 (restore or `PreviousGone`, never anything else; the
/// thread ends detached), TS-3 (the out-of-order drop is deferred: the
/// thread stays on A), and "never attached to a finalizing interpreter":
/// main takes B's GIL only before B's `finalize.begin` (checked on the
/// trace; the restore's admission is one RMW on B's lifecycle word, so the
/// trace order of the two events is their real order).
///
/// loom: exhaustive (no preemption bound): 2 threads (main, finalizer).
#[test]
fn restore_previous_vs_finalizer() {
    Scenario::new("lifecycle::thread_states::restore_previous_vs_finalizer")
        .witness("previous_restored", "releasing A's token restored B (B still running)")
        .witness(
            "previous_gone",
            "B had begun finalizing: the release reported PreviousGone and left the thread detached",
        )
        .witness_event(
            "finalizer_waited",
            "B's finalizer slept until main's implicit guard on B was released",
            finalizer_waits,
        )
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let a = runtime.create().unwrap();
            let b = runtime.create().unwrap();
            let finalizer = spawn_finalizer(&b);
            let on_b = ensure_from_view(&b.view());
            let ga = a.guard().unwrap();
            let on_a = ensure(&ga);
            if let Ok(on_b) = on_b {
                assert_eq!(current_id(), Some(a.id()));
                // Out of order: deferred; the implicit guard on B goes now.
                drop(on_b);
                assert_eq!(current_id(), Some(a.id()), "invariant TS-3 violated: a deferred release switched");
                match on_a.release() {
                    Ok(()) => reach("previous_restored"),
                    Err(ReleaseError::PreviousGone(Some(id))) if id == b.id() => reach("previous_gone"),
                    Err(other) => panic!("invariant TS-2 violated: {other}"),
                }
            } else {
                // B was finalizing before main got there: nothing to restore.
                on_a.release().expect("innermost");
            }
            assert_eq!(current_id(), None, "invariant TS-2 violated: the thread must end detached");
            assert_eq!(finalizer.join().unwrap(), Ok(()));
            let events = events();
            let began = events.iter().position(|e| {
                matches!(e.kind, EventKind::Finalize(FinalizeEvent::Began { interp, .. }) if interp == b.id().get())
            });
            if let Some(began) = began {
                let late = events[began..]
                    .iter()
                    .find(|e| e.thread == "main" && gil_taken(&e.kind).is_some() && e.interp() == Some(b.id().get()));
                assert!(
                    late.is_none(),
                    "invariant TS-2 violated: main attached to B after it began finalizing: {late:?}"
                );
            }
        });
}

/// Restoring the previous thread state while an outer token's guard holds
/// it, under the drain policy, while its interpreter's finalization is
/// requested.
///
/// Main holds a guard on B (drain policy) and ensures B with it, then
/// ensures A (B detached, remembered as previous); a finalizer thread
/// finalizes B, which, once requested, refuses new guards and waits for
/// main's. Releasing A's token must restore B: the outer token's guard still
/// holds B off (its finalization cannot begin), so nothing is finalizing.
/// Before the fix, the restore asked B for a new guard, which the drain
/// policy refused once finalization was requested, and the release
/// returned `PreviousGone(B)` with the thread left detached, although it
/// held a guard on B.
///
/// Invariants: TS-2 (the release restores B: `Ok`, attached to B, and B's
/// proof is current again), LC-3 (the finalizer succeeds once main drops
/// its guard).
///
/// loom: exhaustive (no preemption bound): 2 threads (main, finalizer).
#[test]
fn restore_previous_under_drain() {
    Scenario::new("lifecycle::thread_states::restore_previous_under_drain")
        .witness(
            "restored_after_request",
            "B already refused new guards (its finalization was requested), and main was still restored to B",
        )
        .witness_event("finalizer_waited", "B's finalizer slept until main's guard on B was released", finalizer_waits)
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let b = runtime.create_with(Config::isolated().with_guard_policy(GuardPolicy::Drain)).unwrap();
            let a = runtime.create().unwrap();
            let gb = b.guard().unwrap();
            let finalizer = spawn_finalizer(&b);
            let on_b = ensure(&gb);
            let ga = a.guard().unwrap();
            let on_a = ensure(&ga);
            assert_eq!(current_id(), Some(a.id()));
            // Under the drain policy a refusal means "requested" (B cannot
            // be finalizing: main's guard holds it off).
            let requested = b.guard().is_err();
            let restored = on_a.release();
            assert_eq!(restored, Ok(()), "invariant TS-2 violated: B is guarded by the outer token, yet not restored");
            assert_eq!(current_id(), Some(b.id()), "invariant TS-2 violated: B was not restored");
            on_b.attached().with_state(|s| s.insert("main", ())).expect("TS-4: B's proof is current again");
            if requested {
                reach("restored_after_request");
            }
            on_b.release().expect("innermost");
            drop(gb);
            assert_eq!(finalizer.join().unwrap(), Ok(()));
        });
}

/// An ensure that took `case`.
fn ensured(k: &EventKind, case: EnsureCase) -> bool {
    matches!(k, EventKind::ThreadState(ThreadStateEvent::Ensured { case: c, .. }) if *c == case)
}
