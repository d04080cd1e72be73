//! Finalization under faults, through the public API: a panicking at-exit
//! callback, a subinterpreter the main finalization cannot finalize, a
//! finalizer that holds a guard on what it finalizes, destroying the main
//! interpreter, deadlines on destroy and on the runtime's finalization,
//! and what dropping a `Runtime` leaves working.
//!
//! Each case that hung on the old code runs under [`within`], which fails
//! the test instead of hanging it.
#![cfg(not(any(loom, shuttle)))]

use std::panic::{self, AssertUnwindSafe, Location};
use std::time::{Duration, Instant};
use xinterp::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use xinterp::sync::{thread, Arc};
use xinterp::{Config, DestroyError, FinalizeError, GuardError, InterpreterId, Phase, Runtime};

/// Long enough for a finalization with nothing to wait for; the deadlines
/// below only expire when something is held on purpose.
const SHORT: Duration = Duration::from_millis(50);

/// Runs `f` on its own thread and fails if it does not return within a
/// generous bound: a deadlock becomes a failure, not a hung test run.
fn within<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let done = Arc::new(AtomicBool::new(false));
    let worker = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(f));
            done.store(true, Ordering::SeqCst);
            result
        })
    };
    let start = Instant::now();
    while !done.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}: did not return (deadlock)");
        std::thread::sleep(Duration::from_millis(5));
    }
    match worker.join().expect("the panic was caught") {
        Ok(value) => value,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Waits until `flag` is set (by another thread).
fn wait_for(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The `Faulted` report of a finalization that completed with faults.
fn faults(result: Result<(), FinalizeError>) -> xinterp::FinalizeFaults {
    match result {
        Err(FinalizeError::Faulted(faults)) => faults,
        other => panic!("expected a finalization completed with faults, got {other:?}"),
    }
}

/// The at-exit callbacks' panics are on purpose ("at-exit boom ..."): keep them quiet.
fn quiet_at_exit_panics() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !message.starts_with("at-exit boom") {
            previous(info);
        }
    }));
}

#[test]
fn a_panicking_at_exit_callback_is_reported_and_finalization_completes() {
    quiet_at_exit_panics();
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    // Registered oldest first; they run newest first: 3, boom 2, 1, boom 0.
    for n in 0..4 {
        let ran = Arc::clone(&ran);
        sub.at_exit(move |_| {
            ran.fetch_add(1, Ordering::SeqCst);
            if n % 2 == 0 {
                panic!("at-exit boom {n}");
            }
        })
        .unwrap();
    }
    let faults = faults(sub.finalize());
    assert_eq!(ran.load(Ordering::SeqCst), 4, "every callback ran, the ones after a panic too");
    assert_eq!(faults.at_exit_panicked, 2);
    assert_eq!(faults.first_panic.as_deref(), Some("at-exit boom 2"), "the first to panic, newest first");
    assert!(faults.subinterpreters.is_empty());
    // Finalization completed: nothing runs on.
    assert_eq!(sub.phase(), Phase::Finalized);
    assert_eq!(sub.guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(sub.view().guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert!(runtime.get(sub.id()).is_err(), "it left the registry");
    assert_eq!(sub.finalize(), Err(FinalizeError::AlreadyFinalizing));
    runtime.finalize().unwrap();
}

#[test]
fn a_panicking_at_exit_callback_of_the_main_interpreter_still_finalizes_the_runtime() {
    quiet_at_exit_panics();
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    runtime.main().at_exit(|_| panic!("at-exit boom main")).unwrap();
    let error = runtime.finalize().unwrap_err();
    assert!(error.finalized(), "{error}");
    assert_eq!(error.to_string(), "finalized, with faults: 1 at-exit callback(s) panicked (first: at-exit boom main)");
    assert!(runtime.is_finalized());
    assert_eq!(sub.phase(), Phase::Finalized);
    assert_eq!(runtime.finalize(), Err(FinalizeError::AlreadyFinalizing));
}

#[test]
fn destroy_reports_a_panicking_at_exit_callback_and_the_interpreter_is_gone() {
    quiet_at_exit_panics();
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    sub.at_exit(|_| panic!("at-exit boom destroy")).unwrap();
    match sub.destroy() {
        Err(DestroyError::Finalize(e)) => assert_eq!(faults(Err(e)).at_exit_panicked, 1),
        other => panic!("expected the fault reported, got {other:?}"),
    }
    assert_eq!(sub.phase(), Phase::Finalized);
    // The destroy's claim was kept: a run sees the interpreter gone.
    assert_eq!(sub.run(|_| ()), Err(xinterp::RunError::Unavailable(GuardError::Gone(sub.id()))));
}

#[test]
fn main_finalization_reports_a_subinterpreter_it_could_not_finalize() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_track_guards(true)).unwrap();
    let forgotten = sub.guard_owned().unwrap();
    let line = Location::caller().line() - 1;
    let faults = faults(runtime.main().finalize_timeout(SHORT));
    assert_eq!(faults.at_exit_panicked, 0);
    let [(id, FinalizeError::GuardsOutstanding(outstanding))] = faults.subinterpreters.as_slice() else {
        panic!("expected the subinterpreter's guards reported: {faults:?}");
    };
    assert_eq!(*id, sub.id());
    assert_eq!(outstanding.guards, 1);
    let sites = outstanding.sites.as_ref().expect("tracked");
    assert_eq!(sites.len(), 1);
    assert!(sites[0].location.file().ends_with("finalize_faults.rs"), "{}", sites[0].location);
    assert_eq!(sites[0].location.line(), line, "the leak report names the line that took the guard");
    // Main went on (as Py_FinalizeEx does): it and the runtime are finalized ...
    assert_eq!(runtime.main().phase(), Phase::Finalized);
    assert!(runtime.is_finalized());
    // ... and the subinterpreter runs on, reachable, so it can be finished later.
    assert_eq!(sub.phase(), Phase::Running);
    assert!(sub.guard().is_ok(), "a guard on the subinterpreter is still granted");
    assert_eq!(runtime.get(sub.id()).unwrap(), sub);
    drop(forgotten);
    runtime.destroy(sub.id()).unwrap();
    assert_eq!(sub.phase(), Phase::Finalized);
    assert!(runtime.get(sub.id()).is_err());
}

#[test]
fn runtime_finalize_timeout_gives_up_on_a_guard_of_the_main_interpreter() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let forgotten = runtime.main_view().guard_owned().unwrap();
    let error = within("Runtime::finalize_timeout", {
        let main = runtime.main().clone();
        move || main.finalize_timeout(SHORT)
    });
    assert!(matches!(&error, Err(FinalizeError::GuardsOutstanding(o)) if o.guards == 1), "{error:?}");
    assert_eq!(runtime.finalize_timeout(SHORT), error, "the Runtime's own timeout form says the same");
    assert!(!runtime.is_finalized(), "abandoned: the runtime runs on");
    assert_eq!(sub.phase(), Phase::Running, "abandoned before the subinterpreters were touched");
    drop(forgotten);
    runtime.finalize_timeout(SHORT).unwrap();
    assert!(runtime.is_finalized());
}

#[test]
fn destroy_timeout_gives_up_on_a_forgotten_guard_and_can_be_retried() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let forgotten = sub.guard_owned().unwrap();
    let result = within("Interpreter::destroy_timeout", {
        let sub = sub.clone();
        move || sub.destroy_timeout(SHORT)
    });
    assert!(
        matches!(&result, Err(DestroyError::Finalize(FinalizeError::GuardsOutstanding(o))) if o.guards == 1),
        "{result:?}"
    );
    assert_eq!(sub.phase(), Phase::Running);
    assert!(sub.run(|_| ()).is_ok(), "the failed destroy gave its claim back");
    let by_id = runtime.destroy_timeout(sub.id(), SHORT);
    assert!(matches!(by_id, Err(DestroyError::Finalize(FinalizeError::GuardsOutstanding(_)))), "{by_id:?}");
    drop(forgotten);
    runtime.destroy_timeout(sub.id(), SHORT).unwrap();
    assert_eq!(sub.phase(), Phase::Finalized);
}

#[test]
fn finalizing_while_holding_a_guard_on_it_is_refused_not_a_deadlock() {
    let (guards, after) = within("finalize with a guard held by the caller", || {
        let runtime = Runtime::new();
        let sub = runtime.create().unwrap();
        let view = sub.view();
        let owned = sub.guard_owned().unwrap();
        let mut seen = Vec::new();
        {
            let _guard = sub.guard().unwrap();
            seen.push(sub.finalize());
            let _from_view = view.guard().unwrap();
            let _from_owned = owned.guard().unwrap();
            seen.push(sub.finalize());
            seen.push(sub.destroy().map_err(|e| match e {
                DestroyError::Finalize(f) => f,
                other => panic!("{other:?}"),
            }));
        }
        let phase = sub.phase();
        drop(owned);
        (seen, (phase, sub.finalize(), sub.phase()))
    });
    assert_eq!(
        guards,
        vec![
            Err(FinalizeError::CurrentThreadHoldsGuard { guards: 1 }),
            Err(FinalizeError::CurrentThreadHoldsGuard { guards: 3 }),
            Err(FinalizeError::CurrentThreadHoldsGuard { guards: 3 }),
        ]
    );
    assert_eq!(after, (Phase::Running, Ok(()), Phase::Finalized), "refused before anything started");
}

#[test]
fn a_guard_held_by_another_thread_is_not_the_callers() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let (taken, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let holder = {
        let (sub, taken, release) = (sub.clone(), Arc::clone(&taken), Arc::clone(&release));
        thread::spawn(move || {
            let _guard = sub.guard().unwrap();
            taken.store(true, Ordering::SeqCst);
            wait_for(&release);
        })
    };
    wait_for(&taken);
    // Not refused as the caller's: the finalization waits, and gives up.
    assert!(matches!(sub.finalize_timeout(SHORT), Err(FinalizeError::GuardsOutstanding(_))));
    release.store(true, Ordering::SeqCst);
    holder.join().unwrap();
    sub.finalize().unwrap();
}

#[test]
fn finalizing_main_while_holding_a_guard_on_a_subinterpreter_reports_it() {
    let (result, sub_phase, main_phase) = within("main finalization with a sub guard held by the caller", || {
        let runtime = Runtime::new();
        let sub = runtime.create().unwrap();
        let guard = sub.guard().unwrap();
        let result = runtime.finalize();
        let sub_phase = sub.phase();
        drop(guard);
        (result, sub_phase, runtime.main().phase())
    });
    let faults = faults(result);
    assert_eq!(
        faults.subinterpreters,
        vec![(InterpreterId::new(1), FinalizeError::CurrentThreadHoldsGuard { guards: 1 })]
    );
    assert_eq!(sub_phase, Phase::Running, "the subinterpreter was left running");
    assert_eq!(main_phase, Phase::Finalized);
}

#[test]
fn the_main_interpreter_cannot_be_destroyed() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    assert_eq!(runtime.main().destroy(), Err(DestroyError::Main(InterpreterId::MAIN)));
    assert_eq!(runtime.destroy(InterpreterId::MAIN), Err(DestroyError::Main(InterpreterId::MAIN)));
    assert_eq!(runtime.main().destroy_timeout(SHORT), Err(DestroyError::Main(InterpreterId::MAIN)));
    assert_eq!(
        DestroyError::Main(InterpreterId::MAIN).to_string(),
        "cannot destroy interpreter 0: it is the main interpreter (finalize the runtime)"
    );
    assert_eq!(runtime.main().phase(), Phase::Running);
    assert_eq!(sub.phase(), Phase::Running, "nothing was finalized");
    assert!(!runtime.is_finalized());
    runtime.finalize().unwrap();
}

#[test]
fn dropping_the_runtime_does_not_finalize_and_handles_keep_working() {
    let runtime = Runtime::new();
    let main = runtime.main().clone();
    let sub = runtime.create().unwrap();
    let other = runtime.create().unwrap();
    let view = sub.view();
    let held = sub.guard_owned().unwrap();
    drop(runtime);
    // Nothing was finalized.
    for interp in [&main, &sub, &other] {
        assert_eq!(interp.phase(), Phase::Running);
    }
    // Guards, views and runs still work.
    assert_eq!(view.guard().map(drop), Ok(()));
    assert_eq!(sub.run(|py| py.interpreter_id()), Ok(sub.id()));
    held.with_gil(|py| py.with_state(|s| s.insert("after the drop", ()))).unwrap();
    // The guard held across the drop still holds the interpreter.
    assert!(matches!(sub.finalize_timeout(SHORT), Err(FinalizeError::GuardsOutstanding(o)) if o.guards == 1));
    drop(held);
    // The main interpreter's finalization no longer reaches the others.
    main.finalize().unwrap();
    assert_eq!(other.phase(), Phase::Running, "documented: finalize each kept handle");
    other.finalize().unwrap();
    sub.finalize().unwrap();
    assert_eq!(view.guard().map(drop), Err(GuardError::Gone(sub.id())));
}
