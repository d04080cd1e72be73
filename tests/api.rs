//! Behaviour of the public API in production builds: the registry, typed
//! errors, guards and views, thread states, `run`, threads, finalization.
#![cfg(not(any(loom, shuttle)))]

use std::time::Duration;
use xinterp::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use xinterp::sync::{thread, Arc};
use xinterp::thread_state::{self, ensure, ensure_from_view};
use xinterp::{
    Config, ConfigError, CreateError, DestroyError, FinalizeError, GilMode, GuardError, GuardPolicy, InterpreterId,
    NotFound, Phase, ReleaseError, RunError, Runtime, SpawnError, ThreadKind,
};

/// Waits (bounded) until `condition` holds; for tests that must observe
/// another thread reaching a blocking point. Never an assertion on time.
fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("timed out waiting until {what}");
}

#[test]
fn ids_are_unique_never_reused_and_main_is_zero() {
    let runtime = Runtime::new();
    assert_eq!(runtime.main().id(), InterpreterId::MAIN);
    assert!(runtime.main().is_main());
    let a = runtime.create().unwrap();
    let b = runtime.create().unwrap();
    assert_eq!((a.id().get(), b.id().get()), (1, 2));
    assert_eq!(runtime.get(a.id()).unwrap(), a);
    a.destroy().unwrap();
    let c = runtime.create().unwrap();
    assert_eq!(c.id().get(), 3, "ids are never reused");
    assert_eq!(runtime.get(a.id()).unwrap_err(), NotFound(a.id()));
    let listed: Vec<u64> = runtime.list_all().iter().map(|i| i.id().get()).collect();
    assert_eq!(listed, [0, 2, 3]);
}

#[test]
fn invalid_configs_are_typed_errors() {
    let runtime = Runtime::new();
    assert_eq!(
        runtime.create_with(Config::legacy().with_gil(GilMode::Own)).unwrap_err(),
        CreateError::InvalidConfig(ConfigError::OwnGilNeedsOwnAllocator)
    );
    assert!(runtime.create_with(Config::legacy()).is_ok());
    assert!(runtime.create_with(Config::isolated().with_gil(GilMode::Shared)).is_ok());
}

#[test]
fn a_guard_is_refused_once_finalization_began_and_the_view_reports_gone() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let view = sub.view();
    sub.finalize().unwrap();
    assert_eq!(sub.phase(), Phase::Finalized);
    assert_eq!(sub.guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(view.guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(view.guard_owned().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(ensure_from_view(&view).unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(sub.finalize(), Err(FinalizeError::AlreadyFinalizing));
    assert!(runtime.list_all().iter().all(|i| i.id() != sub.id()));
}

struct SetOnDrop(Arc<AtomicBool>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn finalization_waits_for_the_last_guard_and_drops_the_state() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let guard = sub.guard_owned().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    guard.with_gil(|py| py.with_state(|state| state.insert("witness", SetOnDrop(dropped.clone())))).unwrap();
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize())
    };
    eventually("the finalizer waits", || !finalizer.is_finished() && sub.phase() == Phase::Running);
    assert!(!dropped.load(Ordering::SeqCst));
    guard.close();
    assert_eq!(finalizer.join().unwrap(), Ok(()));
    assert_eq!(sub.phase(), Phase::Finalized);
    assert!(dropped.load(Ordering::SeqCst), "teardown drops the interpreter's values");
}

#[test]
fn state_is_per_interpreter_and_needs_the_interpreters_gil() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let b = runtime.create().unwrap();
    a.guard().unwrap().with_gil(|py| py.with_state(|s| s.insert("k", 1_u8))).unwrap();
    assert_eq!(a.guard().unwrap().with_gil(|py| py.with_state(|s| s.get::<u8>("k").copied())), Ok(Some(1)));
    assert_eq!(b.guard().unwrap().with_gil(|py| py.with_state(|s| s.get::<u8>("k").copied())), Ok(None));
    // A proof for `a` is stale while an inner ensure switched to `b`.
    let (ga, gb) = (a.guard().unwrap(), b.guard().unwrap());
    let outer = ensure(&ga);
    let inner = ensure(&gb);
    assert_eq!(outer.attached().with_state(|_| ()).unwrap_err(), xinterp::NotAttached(a.id()));
    assert!(inner.attached().with_state(|_| ()).is_ok());
    inner.release().unwrap();
    assert!(outer.attached().with_state(|_| ()).is_ok(), "the outer state is restored");
    outer.release().unwrap();
}

#[test]
fn sizes() {
    let word = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<xinterp::View>(), word);
    assert_eq!(std::mem::size_of::<xinterp::Interpreter>(), word);
    // A guard is one word: the caller location leak reports need is kept
    // in the interpreter's table, and only when it tracks guards.
    assert_eq!(std::mem::size_of::<xinterp::Guard<'_>>(), word);
    assert_eq!(std::mem::size_of::<xinterp::OwnedGuard>(), word);
    // The word is never null: an `Option` of a guard costs nothing more.
    assert_eq!(std::mem::size_of::<Option<xinterp::OwnedGuard>>(), word);
}

#[test]
fn handles_cross_threads_and_tokens_do_not() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<xinterp::View>();
    send_sync::<xinterp::OwnedGuard>();
    send_sync::<xinterp::Interpreter>();
    send_sync::<Runtime>();
}

#[test]
fn errors_display_and_are_errors() {
    let id = InterpreterId::MAIN;
    let errors: Vec<Box<dyn std::error::Error>> = vec![
        Box::new(GuardError::Finalizing(id)),
        Box::new(FinalizeError::AlreadyFinalizing),
        Box::new(RunError::AlreadyRunning(id)),
        Box::new(DestroyError::Running(id)),
        Box::new(SpawnError::DaemonThreadsNotAllowed(id)),
        Box::new(CreateError::RuntimeFinalized),
        Box::new(ReleaseError::NotInnermost),
        Box::new(NotFound(id)),
    ];
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(texts[0], "interpreter 0 has begun finalizing: no guard can be taken");
    assert!(texts.iter().all(|t| !t.is_empty()));
}

#[test]
fn ensure_reuses_reattaches_or_creates_and_release_restores() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let b = runtime.create().unwrap();
    let (ga, gb) = (a.guard().unwrap(), b.guard().unwrap());
    assert_eq!(thread_state::current_id(), None);
    let t1 = ensure(&ga); // case 3: created
    assert_eq!(thread_state::current_id(), Some(a.id()));
    let t2 = ensure(&ga); // case 1: reused
    let t3 = ensure(&gb); // a different interpreter: created, `a` detached
    assert_eq!(runtime.current().map(|i| i.id()), Some(b.id()));
    // Out of order: typed error, deferred.
    assert_eq!(t2.release(), Err(ReleaseError::NotInnermost));
    assert_eq!(thread_state::current_id(), Some(b.id()));
    t3.release().unwrap(); // also performs t2's deferred release
    assert_eq!(thread_state::current_id(), Some(a.id()));
    // Case 2: detached (allow_threads) with this thread's own state for `a`.
    t1.attached().allow_threads(|| {
        assert_eq!(thread_state::current_id(), None);
        let inner = ensure(&ga);
        assert_eq!(thread_state::current_id(), Some(a.id()));
        inner.release().unwrap();
        assert_eq!(thread_state::current_id(), None, "restored to detached");
    });
    assert_eq!(thread_state::current_id(), Some(a.id()));
    t1.release().unwrap();
    assert_eq!(thread_state::current_id(), None);
}

#[test]
fn release_restores_a_guarded_previous_state_under_the_drain_policy() {
    let runtime = Runtime::new();
    let b = runtime.create_with(Config::isolated().with_guard_policy(GuardPolicy::Drain)).unwrap();
    let a = runtime.create().unwrap();
    let gb = b.guard().unwrap();
    let on_b = ensure(&gb);
    let ga = a.guard().unwrap();
    let on_a = ensure(&ga);
    let finalizer = {
        let b = b.clone();
        thread::spawn(move || b.finalize())
    };
    eventually("B's finalization is requested", || b.guard().is_err());
    // The outer token's guard still holds B off: restoring it must not ask
    // for a new guard, which the drain policy refuses now.
    assert_eq!(on_a.release(), Ok(()));
    assert_eq!(thread_state::current_id(), Some(b.id()));
    assert_eq!(b.phase(), Phase::Running);
    on_b.release().unwrap();
    drop(gb);
    assert_eq!(finalizer.join().unwrap(), Ok(()));
}

#[test]
fn ensure_from_view_holds_a_guard_until_release() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_track_guards(true)).unwrap();
    let token = ensure_from_view(&sub.view()).unwrap();
    let line = line!() - 1;
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize_timeout(Duration::from_millis(50)))
    };
    match finalizer.join().unwrap() {
        Err(FinalizeError::GuardsOutstanding(outstanding)) => {
            assert_eq!(outstanding.guards, 1);
            let sites = outstanding.sites.expect("tracked");
            assert_eq!(sites.len(), 1);
            assert_eq!(sites[0].location.file(), file!());
            assert_eq!(sites[0].location.line(), line, "the leaked guard's caller location");
        }
        other => panic!("expected GuardsOutstanding, got {other:?}"),
    }
    assert_eq!(sub.phase(), Phase::Running, "an abandoned finalization leaves it running");
    token.release().unwrap();
    sub.finalize().unwrap();
}

#[test]
fn tracked_guards_report_each_held_guards_site_whoever_released_first() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_track_guards(true)).unwrap();
    let view = sub.view();
    let first = sub.guard().unwrap();
    let first_line = line!() - 1;
    let owned = sub.guard_owned().unwrap();
    let owned_line = line!() - 1;
    let lent = owned.guard().unwrap();
    let lent_line = line!() - 1;
    let mut from_view = Vec::new();
    for _ in 0..3 {
        from_view.push(view.guard_owned().unwrap());
    }
    let view_line = line!() - 2;
    assert_eq!(first.location().map(|l| l.line()), Some(first_line));
    assert_eq!(owned.location().map(|l| l.line()), Some(owned_line));
    assert_eq!(lent.location().map(|l| l.line()), Some(lent_line));
    assert_eq!(from_view[1].location().map(|l| l.line()), Some(view_line));
    // Released out of order, and on another thread: each release removes
    // its own row.
    drop(first);
    let moved = from_view.remove(1);
    thread::spawn(move || drop(moved)).join().unwrap();
    // Finalized from another thread: this one holds the borrowed `lent`,
    // so its own finalize would be refused (CurrentThreadHoldsGuard).
    let finalizer = sub.clone();
    let error =
        thread::spawn(move || finalizer.finalize_timeout(Duration::from_millis(20))).join().unwrap().unwrap_err();
    let FinalizeError::GuardsOutstanding(outstanding) = &error else { panic!("{error:?}") };
    assert_eq!(outstanding.guards, 4);
    let sites: Vec<(u32, usize)> =
        outstanding.sites.as_ref().expect("tracked").iter().map(|s| (s.location.line(), s.held)).collect();
    assert_eq!(sites, vec![(owned_line, 1), (lent_line, 1), (view_line, 2)]);
    drop(lent);
    drop((owned, from_view));
    sub.finalize().unwrap();
}

#[test]
fn untracked_guards_keep_no_location() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let guard = sub.guard().unwrap();
    let owned = sub.guard_owned().unwrap();
    assert_eq!((guard.location(), owned.location(), owned.guard().unwrap().location()), (None, None, None));
}

#[test]
fn untracked_leaks_report_the_count() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let _leaked = sub.guard_owned().unwrap();
    let error = sub.finalize_timeout(Duration::from_millis(20)).unwrap_err();
    let FinalizeError::GuardsOutstanding(outstanding) = &error else { panic!("{error:?}") };
    assert_eq!((outstanding.guards, outstanding.sites.is_none()), (1, true));
    assert!(error.to_string().contains("enable Config::track_guards"));
}

#[test]
fn run_returns_values_and_failures_and_excludes_a_second_run() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    assert_eq!(sub.run(|py| py.interpreter_id()), Ok(sub.id()));
    assert_eq!(thread_state::current_id(), None, "run switches back");
    let failed = sub.run(|_| -> u8 { panic!("boom") }).unwrap_err();
    assert_eq!(failed, RunError::Failed { interpreter: sub.id(), summary: "boom".into() });
    let nested = sub.run(|_| {
        let sub = runtime.get(InterpreterId::MAIN).unwrap();
        sub.is_running()
    });
    assert_eq!(nested, Ok(false));
    let inner = sub.run(|py| py.interpreter().run(|_| ()));
    assert_eq!(inner, Ok(Err(RunError::AlreadyRunning(sub.id()))));
    let destroy_inside = sub.run(|py| py.interpreter().destroy());
    assert_eq!(destroy_inside, Ok(Err(DestroyError::Current(sub.id()))));
}

#[test]
fn destroy_refuses_a_running_interpreter() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let runner = {
        let (sub, started, release) = (sub.clone(), started.clone(), release.clone());
        thread::spawn(move || {
            sub.run(move |py| {
                started.store(true, Ordering::SeqCst);
                py.allow_threads(move || {
                    while !release.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })
            })
        })
    };
    eventually("the run started", || started.load(Ordering::SeqCst));
    assert!(sub.is_running());
    assert_eq!(sub.destroy(), Err(DestroyError::Running(sub.id())));
    assert_eq!(sub.run(|_| ()), Err(RunError::AlreadyRunning(sub.id())));
    release.store(true, Ordering::SeqCst);
    runner.join().unwrap().unwrap();
    sub.destroy().unwrap();
    assert_eq!(runtime.destroy(sub.id()), Err(DestroyError::NotFound(sub.id())));
    // Destroyed: not "already running", but gone.
    assert_eq!(sub.run(|_| ()), Err(RunError::Unavailable(GuardError::Gone(sub.id()))));
    assert!(!sub.is_running());
}

#[test]
fn finalization_waits_for_non_daemon_threads_and_refuses_daemon_attaches() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_daemon_threads(true)).unwrap();
    let go = Arc::new(AtomicBool::new(false));
    let worker = {
        let go = go.clone();
        sub.spawn_thread(ThreadKind::NonDaemon, "worker", move |t| {
            while !go.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            t.attach(|py| py.with_state(|s| s.insert("worker", ())).map(|_| ()).unwrap())
        })
        .unwrap()
    };
    let daemon_may_go = Arc::new(AtomicBool::new(false));
    let daemon = {
        let go = daemon_may_go.clone();
        sub.spawn_thread(ThreadKind::Daemon, "daemon", move |t| {
            while !go.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            t.attach(|_| ())
        })
        .unwrap()
    };
    assert_eq!(sub.threads_running(), (1, 1));
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize())
    };
    eventually("the finalizer waits for the worker", || {
        sub.spawn_thread(ThreadKind::NonDaemon, "late", |_| ()).is_err()
    });
    assert_eq!(sub.phase(), Phase::Running);
    go.store(true, Ordering::SeqCst);
    assert_eq!(worker.join().unwrap(), Ok(()), "a non-daemon thread attaches before finalization");
    assert_eq!(finalizer.join().unwrap(), Ok(()));
    daemon_may_go.store(true, Ordering::SeqCst);
    assert_eq!(daemon.join().unwrap(), Err(GuardError::Gone(sub.id())), "typed error, not a hang");
}

#[test]
fn thread_permissions_follow_the_config() {
    let runtime = Runtime::new();
    let no_threads = runtime.create_with(Config::isolated().with_threads(false)).unwrap();
    assert_eq!(
        no_threads.spawn_thread(ThreadKind::NonDaemon, "t", |_| ()).unwrap_err(),
        SpawnError::ThreadsNotAllowed(no_threads.id())
    );
    let no_daemons = runtime.create().unwrap();
    assert_eq!(
        no_daemons.spawn_thread(ThreadKind::Daemon, "t", |_| ()).unwrap_err(),
        SpawnError::DaemonThreadsNotAllowed(no_daemons.id())
    );
}

#[test]
fn at_exit_callbacks_run_attached_newest_first() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let order = Arc::new(xinterp::sync::Mutex::new(Vec::new()));
    for n in 1..=2 {
        let order = order.clone();
        sub.at_exit(move |py| {
            assert!(py.check().is_ok(), "callbacks run attached");
            order.lock().push(n);
        })
        .unwrap();
    }
    sub.finalize().unwrap();
    assert_eq!(*order.lock(), [2, 1]);
    assert_eq!(sub.at_exit(|_| ()), Err(GuardError::Gone(sub.id())));
}

#[test]
fn finalizing_main_finalizes_every_subinterpreter_then_the_runtime() {
    let runtime = Runtime::new();
    let subs: Vec<_> = (0..3).map(|_| runtime.create().unwrap()).collect();
    let main_view = runtime.main_view();
    runtime.finalize().unwrap();
    assert!(subs.iter().all(|s| s.phase() == Phase::Finalized));
    assert_eq!(runtime.main().phase(), Phase::Finalized);
    assert!(runtime.is_finalized());
    assert_eq!(runtime.create().unwrap_err(), CreateError::RuntimeFinalized);
    assert_eq!(main_view.guard().unwrap_err(), GuardError::Gone(InterpreterId::MAIN));
    assert!(runtime.list_all().is_empty());
}

#[test]
fn a_thread_cannot_finalize_the_interpreter_it_is_attached_to() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let guard = sub.guard().unwrap();
    guard.with_gil(|py| assert_eq!(py.interpreter().finalize(), Err(FinalizeError::CurrentThreadAttached)));
    drop(guard);
    sub.finalize().unwrap();
}

#[test]
fn drain_policy_refuses_new_guards_once_the_finalizer_drains() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_guard_policy(GuardPolicy::Drain)).unwrap();
    let held = sub.guard_owned().unwrap();
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize())
    };
    eventually("new guards are refused", || sub.guard().is_err());
    assert_eq!(sub.guard().unwrap_err(), GuardError::Finalizing(sub.id()));
    assert_eq!(sub.phase(), Phase::Running, "the held guard still holds finalization off");
    drop(held);
    assert_eq!(finalizer.join().unwrap(), Ok(()));
}

#[test]
fn drain_policy_lets_non_daemon_threads_finish_their_work() {
    let runtime = Runtime::new();
    let sub = runtime.create_with(Config::isolated().with_guard_policy(GuardPolicy::Drain)).unwrap();
    let go = Arc::new(AtomicBool::new(false));
    let worker = {
        let go = go.clone();
        sub.spawn_thread(ThreadKind::NonDaemon, "worker", move |t| {
            while !go.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            t.attach(|py| py.interpreter_id())
        })
        .unwrap()
    };
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize())
    };
    eventually("the finalizer waits for threads", || sub.spawn_thread(ThreadKind::NonDaemon, "late", |_| ()).is_err());
    go.store(true, Ordering::SeqCst);
    assert_eq!(worker.join().unwrap(), Ok(sub.id()), "draining starts after the threads step");
    assert_eq!(finalizer.join().unwrap(), Ok(()));
}

#[test]
fn nested_release_restores_the_outer_state_while_the_finalizer_drains() {
    let runtime = Runtime::new();
    let a = runtime.create_with(Config::isolated().with_guard_policy(GuardPolicy::Drain)).unwrap();
    let b = runtime.create().unwrap();
    let (ga, gb) = (a.guard().unwrap(), b.guard().unwrap());
    let outer = ensure(&ga);
    let finalizer = {
        let a = a.clone();
        thread::spawn(move || a.finalize())
    };
    eventually("the finalizer drains", || a.view().guard().is_err());
    let inner = ensure(&gb);
    assert_eq!(inner.release(), Ok(()));
    assert_eq!(thread_state::current_id(), Some(a.id()), "the outer thread state is back");
    assert!(outer.attached().with_state(|_| ()).is_ok());
    outer.release().unwrap();
    drop((ga, gb));
    assert_eq!(finalizer.join().unwrap(), Ok(()));
}

#[test]
fn cpython_policy_keeps_granting_guards_while_the_finalizer_waits() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let held = sub.guard_owned().unwrap();
    let finalizer = {
        let sub = sub.clone();
        thread::spawn(move || sub.finalize())
    };
    // No observable "requested" state under this policy except that a new
    // guard is still granted: take a few while the finalizer waits.
    let granted = AtomicUsize::new(0);
    for _ in 0..10 {
        if sub.guard().is_ok() {
            granted.fetch_add(1, Ordering::SeqCst);
        }
    }
    assert_eq!(granted.load(Ordering::SeqCst), 10);
    drop(held);
    assert_eq!(finalizer.join().unwrap(), Ok(()));
}

/// With tracing on, a session entered on the thread hears every protocol
/// step it takes.
#[test]
fn protocol_events_reach_the_entered_session() {
    let session = xinterp_check::trace::session::Session::new();
    let _entered = xinterp_check::trace::session::enter(Some(session.clone()));
    let runtime = Runtime::new();
    drop(runtime.main().guard().unwrap());
    let ops: Vec<String> = session.trace().events.iter().map(|e| e.op().to_owned()).collect();
    // The toolkit (a dev-dependency) turns tracing on in these tests; the
    // embedder's build, where it is off, is checked by
    // benches/tests/trace_compiled_out.rs.
    assert_eq!(ops, ["guard.acquire", "guard.release"]);
}

/// Public queries a user can race on record the value they read (an
/// observation), so a check-then-act shows both halves in a trace; with
/// tracing compiled out they record nothing.
#[test]
fn racy_queries_record_what_they_read() {
    use xinterp::channel::{self, Nowait, Status, UnboundPolicy};
    use xinterp::trace::event::{Observation, Read};
    use xinterp::trace::EventKind;
    let session = xinterp_check::trace::session::Session::new();
    let _entered = xinterp_check::trace::session::enter(Some(session.clone()));
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let view = sub.view();
    assert_eq!(view.phase(), Phase::Running);
    let id = runtime.main().guard().unwrap().with_gil(|py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 7, Nowait).unwrap();
        assert_eq!((rx.status(), rx.len()), (Status::Open, 1));
        rx.id().get()
    });
    sub.finalize().unwrap();
    assert!(!runtime.is_finalized());
    let reads: Vec<Read> = session
        .trace()
        .events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Observation(Observation { read, .. }) => Some(read),
            _ => None,
        })
        .collect();
    if xinterp::trace::ENABLED {
        assert_eq!(
            reads,
            [
                Read::Phase(Phase::Running),
                Read::ChannelStatus { channel: id, status: Status::Open },
                Read::ChannelLen { channel: id, len: 1 },
                Read::RuntimeFinalized(false),
            ]
        );
    } else {
        assert!(reads.is_empty(), "recorded without the trace feature: {reads:?}");
    }
}
