//! PEP 554's interpreter operations against each other: `run` vs `run`,
//! `run` vs `destroy`, `list_all` vs `destroy` (`src/interp/handle.rs`,
//! `src/runtime.rs`).
//!
//! Invariants (`docs/invariants.md`): RUN-1 (at most one `run` at a time;
//! a second one is `AlreadyRunning`), RUN-2 (`destroy` is refused while a
//! `run` is in progress, and a `run` never overlaps a destroy), RUN-3 (a
//! listing never shows an interpreter whose destroy returned before the
//! listing began).
use super::{events, Inside};
use xinterp::sync::atomic::{AtomicBool, Ordering};
use xinterp::sync::{thread, Arc};
use xinterp::trace::event::{FinalizeEvent, InterpEvent};
use xinterp::trace::EventKind;
use xinterp::{DestroyError, InterpreterId, Phase, RunError, Runtime};
use xinterp_check::{reach, LoomBounds, Scenario};

/// Two threads `run` in the same interpreter; each run waits, inside and
/// detached (`allow_threads`, as a blocking call would), until the other
/// thread's `run` call has returned. So the two calls overlap: exactly one
/// runs, and the other is refused with `AlreadyRunning`. Were both let in,
/// the second would reach the `Inside(1)` while the first waits.
///
/// Invariants: RUN-1 (an `Inside(1)` around each run's body; `is_running`
/// is true inside; exactly one `Ok` and one `AlreadyRunning`).
///
/// loom: exhaustive (no preemption bound): 3 threads (main, run-1, run-2).
#[test]
fn run_vs_run() {
    Scenario::new("lifecycle::interpreters::run_vs_run")
        .witness("run_1_won", "run-1 ran and run-2 was refused")
        .witness("run_2_won", "run-2 ran and run-1 was refused")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let inside = Arc::new(Inside::new(1, "RUN-1"));
            let returned = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let runners: Vec<_> = (0..2)
                .map(|me| {
                    let (sub, inside, returned) = (sub.clone(), Arc::clone(&inside), Arc::clone(&returned));
                    thread::spawn_named(format!("run-{}", me + 1), move || {
                        let result = sub.run({
                            let returned = Arc::clone(&returned);
                            move |py| {
                                inside.enter();
                                assert!(
                                    py.interpreter().is_running(),
                                    "invariant RUN-1 violated: not running inside run"
                                );
                                py.with_state(|s| s.insert("ran", me)).expect("attached");
                                // Wait detached (a blocking call releases the GIL),
                                // so a second run let in would reach `enter`.
                                let waited = Arc::clone(&returned);
                                py.allow_threads(move || {
                                    // Acquire: pairs with the other thread's Release store.
                                    while !waited[1 - me].load(Ordering::Acquire) {
                                        thread::yield_now();
                                    }
                                });
                                inside.leave();
                            }
                        });
                        // Release: pairs with the Acquire load of the other run's wait.
                        returned[me].store(true, Ordering::Release);
                        result
                    })
                })
                .collect();
            let results: Vec<_> = runners.into_iter().map(|r| r.join().unwrap()).collect();
            match results.as_slice() {
                [Ok(()), Err(RunError::AlreadyRunning(id))] if *id == sub.id() => reach("run_1_won"),
                [Err(RunError::AlreadyRunning(id)), Ok(())] if *id == sub.id() => reach("run_2_won"),
                other => panic!("invariant RUN-1 violated: exactly one run must run: {other:?}"),
            }
            assert!(!sub.is_running());
        });
}

/// `run` against `destroy` on the same interpreter. Either the run is in
/// progress and the destroy is refused (`Running`), or the destroy claimed
/// the interpreter first and the run is refused, or the run finished before
/// the destroy began and both succeed.
///
/// Invariants: RUN-2: the three outcomes above and no other; when both
/// succeed, the run finished before the destroy's finalization was
/// requested (checked on the trace: `interp.run finished` is recorded after
/// the store that ends the run and `finalize.request` after the destroy's
/// claim, so their trace order is their real order); LC-2 (the run's body
/// uses the state).
///
/// loom: exhaustive (no preemption bound): 3 threads (main, runner,
/// destroyer).
#[test]
fn run_vs_destroy() {
    Scenario::new("lifecycle::interpreters::run_vs_destroy")
        .witness("destroy_refused_while_running", "destroy returned Running: the run was in progress")
        .witness("run_refused_after_destroy", "destroy claimed the interpreter first: the run was refused")
        .witness("run_then_destroy", "the run finished before the destroy began: both succeeded")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let runner = {
                let sub = sub.clone();
                thread::spawn_named("runner", move || {
                    sub.run(|py| {
                        py.with_state(|s| s.insert("ran", ())).expect("attached");
                        py.interpreter_id()
                    })
                })
            };
            let destroyer = {
                let sub = sub.clone();
                thread::spawn_named("destroyer", move || sub.destroy())
            };
            let ran = runner.join().unwrap();
            let destroyed = destroyer.join().unwrap();
            match (&ran, &destroyed) {
                (Ok(id), Err(DestroyError::Running(d))) if *id == sub.id() && *d == sub.id() => {
                    assert_eq!(sub.phase(), Phase::Running);
                    reach("destroy_refused_while_running");
                }
                (Err(RunError::Unavailable(_)), Ok(())) => {
                    assert_eq!(sub.phase(), Phase::Finalized);
                    reach("run_refused_after_destroy");
                }
                (Ok(id), Ok(())) if *id == sub.id() => {
                    assert_eq!(sub.phase(), Phase::Finalized);
                    let events = events();
                    let finished = events
                        .iter()
                        .position(|e| matches!(e.kind, EventKind::Interp(InterpEvent::RunEnded { ok: true, .. })));
                    let requested = events
                        .iter()
                        .position(|e| matches!(e.kind, EventKind::Finalize(FinalizeEvent::Requested { .. })));
                    if let (Some(finished), Some(requested)) = (finished, requested) {
                        assert!(finished < requested, "invariant RUN-2 violated: the destroy began during the run");
                    }
                    reach("run_then_destroy");
                }
                other => panic!("invariant RUN-2 violated: run and destroy ended {other:?}"),
            }
        });
}

/// `list_all` against `destroy`. The destroyer sets a flag once `destroy`
/// returned; the lister reads it before listing.
///
/// Invariants: RUN-3: if the destroy had returned before the listing began,
/// the listing does not contain the interpreter; every listing has the main
/// interpreter, in id order, without duplicates.
///
/// loom: exhaustive (no preemption bound): 3 threads (main, lister,
/// destroyer).
#[test]
fn list_vs_destroy() {
    Scenario::new("lifecycle::interpreters::list_vs_destroy")
        .witness("listed_before_destroy", "the listing showed the interpreter: its destroy had not begun finalizing")
        .witness("hidden_while_destroying", "the listing left out the interpreter before the destroyer reported its destroy done (in progress, or just returned)")
        .witness("hidden_after_destroy", "the destroy had returned before the listing began, and it was left out")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Arc::new(Runtime::new());
            let sub = runtime.create().unwrap();
            let destroyed = Arc::new(AtomicBool::new(false));
            let lister = {
                let (runtime, destroyed, id) = (Arc::clone(&runtime), Arc::clone(&destroyed), sub.id());
                thread::spawn_named("lister", move || {
                    // Acquire: pairs with the destroyer's Release store.
                    let after = destroyed.load(Ordering::Acquire);
                    let ids: Vec<InterpreterId> = runtime.list_all().iter().map(|i| i.id()).collect();
                    assert_eq!(ids.first(), Some(&InterpreterId::MAIN), "the main interpreter is listed");
                    assert!(ids.windows(2).all(|w| w[0] < w[1]), "listed in id order, once each: {ids:?}");
                    let listed = ids.contains(&id);
                    assert!(!(after && listed), "invariant RUN-3 violated: {id} was listed after its destroy returned");
                    match (listed, after) {
                        (true, _) => reach("listed_before_destroy"),
                        (false, false) => reach("hidden_while_destroying"),
                        (false, true) => reach("hidden_after_destroy"),
                    }
                })
            };
            let destroyer = {
                let (sub, destroyed) = (sub.clone(), Arc::clone(&destroyed));
                thread::spawn_named("destroyer", move || {
                    sub.destroy().expect("nothing else destroys it");
                    // Release: pairs with the lister's Acquire load.
                    destroyed.store(true, Ordering::Release);
                })
            };
            lister.join().unwrap();
            destroyer.join().unwrap();
            assert_eq!(sub.phase(), Phase::Finalized);
        });
}
