//! Finalization as a whole: the main interpreter's, which finalizes every
//! subinterpreter while native threads hold views; and an interpreter's
//! daemon and non-daemon threads (`src/interp/finalize.rs`,
//! `src/interp/threads.rs`).
//!
//! Invariants (`docs/invariants.md`): LC-2 (no thread uses torn-down
//! state), LC-6 (finalizing the main interpreter finalizes every
//! subinterpreter and the runtime; views refuse afterwards), LC-7
//! (finalization waits for non-daemon threads; a daemon thread that
//! attaches once finalization has begun gets a typed error), LC-3 (a
//! finalization that gives up at its deadline leaves the interpreter
//! running, and a later one completes).
use xinterp::sync::atomic::{AtomicBool, Ordering};
use xinterp::sync::thread;
use xinterp::sync::time::Deadline;
use xinterp::sync::Arc;
use xinterp::thread_state::ensure_from_view;
use xinterp::trace::event::{FinalizeEvent, GuardEvent};
use xinterp::trace::EventKind;
use xinterp::{Config, CreateError, DestroyError, FinalizeError, GuardError, Phase, Runtime, SpawnError, ThreadKind};
use xinterp_check::trace::Event;
use xinterp_check::{reach, LoomBounds, Scenario};

/// The main interpreter finalizes (main thread: `Runtime::finalize`) while
/// two native threads hold views: `native-sub` attaches to the
/// subinterpreter through `ensure_from_view`, `native-main` promotes the
/// main interpreter's view and attaches with the guard. Each is served
/// (and uses the state) or refused with a typed error; neither sees
/// torn-down state. The main interpreter's finalization enters Finalizing,
/// then finalizes the subinterpreter (waiting for `native-sub`'s token if
/// it is held), then the runtime.
///
/// Invariants: LC-2 (`with_state` under each attachment), LC-6 (afterwards
/// both interpreters are Finalized, both views and `ensure_from_view`
/// refuse with `Gone`, the runtime is finalized, `create` is refused and
/// `list_all` is empty).
///
/// loom: preemption bound 4. Three threads, but the main thread's
/// finalization is two finalizations in one (the main interpreter's ~20
/// steps, and the subinterpreter's nested in it), so the interleavings with
/// both native threads do not fit exhaustively. Measured: bound 2: 316
/// executions (0.2 s); bound 3: 2,322 (0.8 s); bound 4: 12,312 (3.9 s);
/// bound 5: 52,251 (16.6 s). Bound 4 reaches every witness, including the
/// main finalization sleeping on native-sub's token inside the nested
/// finalization of the subinterpreter.
#[test]
fn main_finalization_with_native_threads() {
    Scenario::new("lifecycle::finalization::main_finalization_with_native_threads")
        .witness("sub_served", "native-sub attached to the subinterpreter through its view")
        .witness("sub_refused", "native-sub's ensure_from_view was refused: the subinterpreter was finalizing or gone")
        .witness("main_served", "native-main attached to the main interpreter through its view")
        .witness("main_refused", "native-main's promotion was refused: the main interpreter was finalizing or gone")
        .witness_when(
            "main_waited_for_sub_guard",
            "the main interpreter's finalization, finalizing the subinterpreter, slept until native-sub's token was released",
            waited_on_sub,
        )
        .loom(LoomBounds::preemptions(4))
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let (sub_view, main_view) = (sub.view(), runtime.main_view());
            let native_sub = {
                let view = sub_view.clone();
                thread::spawn_named("native-sub", move || match ensure_from_view(&view) {
                    Ok(token) => {
                        token.attached().with_state(|s| s.insert("native", ())).expect("attached");
                        token.release().expect("innermost");
                        reach("sub_served");
                    }
                    Err(GuardError::Finalizing(_) | GuardError::Gone(_)) => reach("sub_refused"),
                    Err(other) => panic!("unexpected refusal: {other}"),
                })
            };
            let native_main = {
                let view = main_view.clone();
                thread::spawn_named("native-main", move || match view.guard() {
                    Ok(guard) => {
                        guard.with_gil(|py| py.with_state(|s| s.insert("native", ()))).expect("attached");
                        reach("main_served");
                    }
                    Err(GuardError::Finalizing(_) | GuardError::Gone(_)) => reach("main_refused"),
                    Err(other) => panic!("unexpected refusal: {other}"),
                })
            };
            assert_eq!(runtime.finalize(), Ok(()), "LC-3: the main finalization succeeds");
            native_sub.join().unwrap();
            native_main.join().unwrap();
            // LC-6: everything is gone, and says so.
            assert_eq!(sub.phase(), Phase::Finalized, "invariant LC-6 violated: a subinterpreter survived");
            assert_eq!(runtime.main().phase(), Phase::Finalized);
            assert!(runtime.is_finalized(), "invariant LC-6 violated: the runtime is not finalized");
            assert_eq!(sub_view.guard().unwrap_err(), GuardError::Gone(sub.id()), "LC-6: views refuse");
            assert_eq!(main_view.guard().unwrap_err(), GuardError::Gone(runtime.main().id()), "LC-6");
            assert_eq!(ensure_from_view(&sub_view).unwrap_err(), GuardError::Gone(sub.id()), "LC-6");
            assert_eq!(runtime.create().unwrap_err(), CreateError::RuntimeFinalized, "LC-6");
            assert!(runtime.list_all().is_empty(), "LC-6: nothing is listed");
        });
}

/// A `finalize.wait` on the subinterpreter (id 1).
fn waited_on_sub(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e.kind, EventKind::Finalize(FinalizeEvent::Waits { interp: 1, .. })))
}

/// A subinterpreter that allows daemon threads starts a non-daemon
/// `worker` and a `daemon`; each attaches once and uses the state. Main
/// finalizes it meanwhile.
///
/// Invariants: LC-7: the worker's attach always succeeds (finalization
/// waits for non-daemon threads before it enters Finalizing, even when the
/// worker attaches after finalization was requested); the daemon's attach
/// succeeds or returns a typed `GuardError` (the thread ends: no hang);
/// LC-2 (`with_state` in each attach).
///
/// loom: preemption bound 3. Three threads, but all three contend on the
/// subinterpreter's thread counts, guard word, GIL and state, and the
/// finalizer (main) takes ~20 steps: exhaustive ran over 5 minutes without
/// finishing (2 cores). Measured: bound 1: 63 executions (0.01 s); bound
/// 2: 1,282 (0.4 s); bound 3: 18,145 (3-6 s); bound 4: 191,918 (47 s).
/// Bound 3 reaches every witness and covers a daemon preempted inside its
/// attach by both the finalizer and the worker.
#[test]
fn daemon_and_non_daemon_threads() {
    Scenario::new("lifecycle::finalization::daemon_and_non_daemon_threads")
        .witness("daemon_served", "the daemon attached before finalization began")
        .witness("daemon_refused", "the daemon attached after finalization began and got a typed error")
        .witness_when(
            "worker_waited_for",
            "the worker attached after finalization was requested, and finalization waited for it",
            worker_after_request,
        )
        .loom(LoomBounds::preemptions(3))
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create_with(Config::isolated().with_daemon_threads(true)).unwrap();
            let worker = sub
                .spawn_thread(ThreadKind::NonDaemon, "worker", |t| {
                    t.attach(|py| py.with_state(|s| s.insert("worker", ())).map(drop).expect("attached"))
                })
                .unwrap();
            let daemon = sub
                .spawn_thread(ThreadKind::Daemon, "daemon", |t| {
                    t.attach(|py| py.with_state(|s| s.insert("daemon", ())).map(drop).expect("attached"))
                })
                .unwrap();
            assert_eq!(sub.finalize(), Ok(()));
            let worked = worker.join().unwrap();
            assert_eq!(worked, Ok(()), "invariant LC-7 violated: a non-daemon thread was not waited for");
            match daemon.join().unwrap() {
                Ok(()) => reach("daemon_served"),
                Err(GuardError::Finalizing(id) | GuardError::Gone(id)) if id == sub.id() => reach("daemon_refused"),
                Err(other) => panic!("invariant LC-7 violated: unexpected refusal {other}"),
            }
            assert_eq!(sub.phase(), Phase::Finalized);
        });
}

/// The worker's guard was admitted from a word with `REQUESTED` set (the
/// state in the event is the word its own RMW produced).
fn worker_after_request(events: &[Event]) -> bool {
    events.iter().any(|e| {
        e.thread == "worker" && matches!(e.kind, EventKind::Guard(GuardEvent::Granted { word, .. }) if word.requested)
    })
}

/// Finalizations that cannot proceed, each refused or given up at once,
/// the interpreter running on after each (a manual deadline that has
/// already passed: a model has no clock): from inside a `run` (the caller
/// is attached: `CurrentThreadAttached`); with an owned guard held
/// (`GuardsOutstanding`, and a destroy fails the same way); with a
/// non-daemon thread still running (`ThreadsOutstanding`). Then the guard
/// is dropped, the thread let go, and a finalization without a deadline
/// completes; a thread spawned afterwards is refused. Last, the main
/// interpreter's finalization past its deadline, with a guard held on
/// another subinterpreter, finalizes main and reports that one (LC-6).
///
/// Invariants: LC-3 (a finalization that gave up leaves the interpreter
/// Running, and admits guards and threads again), LC-7 (the thread that
/// outlived the deadline is counted).
///
/// loom: exhaustive (2 threads: main, worker).
#[test]
fn finalization_gives_up_at_its_deadline() {
    Scenario::new("lifecycle::finalization::finalization_gives_up_at_its_deadline").loom(LoomBounds::default()).check(
        || {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let passed = Deadline::manual();
            passed.expire();
            let attached = sub.run(|py| py.interpreter().finalize()).unwrap();
            assert_eq!(
                attached,
                Err(FinalizeError::CurrentThreadAttached),
                "LC-3: the finalizer would wait for itself"
            );

            let owned = sub.guard_owned().unwrap();
            match sub.finalize_until(&passed) {
                Err(FinalizeError::GuardsOutstanding(o)) => assert_eq!(o.guards, 1, "LC-3: the owned guard is counted"),
                other => panic!("invariant LC-3 violated: a finalization past its deadline under a guard: {other:?}"),
            }
            assert_eq!(sub.phase(), Phase::Running, "LC-3: a finalization that gave up leaves the interpreter running");
            match sub.destroy_until(&passed) {
                Err(DestroyError::Finalize(FinalizeError::GuardsOutstanding(_))) => {}
                other => panic!("invariant LC-3 violated: a destroy past its deadline under a guard: {other:?}"),
            }
            drop(owned);

            let go = Arc::new(AtomicBool::new(false));
            let worker = sub
                .spawn_thread(ThreadKind::NonDaemon, "worker", {
                    let go = Arc::clone(&go);
                    move |_| {
                        // Acquire: pairs with main's Release store.
                        while !go.load(Ordering::Acquire) {
                            thread::yield_now();
                        }
                    }
                })
                .unwrap();
            assert_eq!(
                sub.finalize_until(&passed),
                Err(FinalizeError::ThreadsOutstanding { threads: 1 }),
                "LC-7: the running non-daemon thread is waited for until the deadline"
            );
            assert!(sub.guard().is_ok(), "LC-3: guards are admitted again");
            // Release: the worker's Acquire load sees it.
            go.store(true, Ordering::Release);
            worker.join().unwrap();
            assert_eq!(sub.finalize(), Ok(()));
            assert_eq!(sub.phase(), Phase::Finalized);
            let late = sub.spawn_thread(ThreadKind::NonDaemon, "late", |_| ());
            assert!(matches!(late, Err(SpawnError::Finalizing(id)) if id == sub.id()), "LC-7: {late:?}");

            // Main's finalization past its deadline goes on without the
            // subinterpreter it could not finalize, and reports it (LC-6).
            let other = runtime.create().unwrap();
            let forgotten = other.guard_owned().unwrap();
            match runtime.main().finalize_until(&passed) {
                Err(FinalizeError::Faulted(faults)) => assert!(
                    matches!(faults.subinterpreters.as_slice(), [(id, FinalizeError::GuardsOutstanding(_))] if *id == other.id()),
                    "LC-6: the subinterpreter under a guard is reported: {faults:?}"
                ),
                result => panic!("invariant LC-6 violated: main's finalization past its deadline: {result:?}"),
            }
            assert_eq!((runtime.main().phase(), other.phase()), (Phase::Finalized, Phase::Running));
            drop(forgotten);
        },
    );
}
