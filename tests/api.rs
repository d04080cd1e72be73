//! Behaviour of the public API in production builds: typed errors, views
//! that outlive their interpreter, sizes, and the trace recorder's switch.
#![cfg(not(any(loom, shuttle)))]

use xinterp::{FinalizeError, GuardError, Phase, Runtime};

#[test]
fn ids_are_unique_and_main_is_zero() {
    let runtime = Runtime::new();
    assert_eq!(runtime.main().id().get(), 0);
    let a = runtime.create();
    let b = runtime.create();
    assert_eq!((a.id().get(), b.id().get()), (1, 2));
    assert_eq!(runtime.get(a.id()).map(|i| i.id()), Some(a.id()));
}

#[test]
fn a_guard_is_refused_once_finalization_began_and_the_view_reports_gone() {
    let runtime = Runtime::new();
    let sub = runtime.create();
    let view = sub.view();
    sub.finalize().unwrap();
    assert_eq!(sub.phase(), Phase::Finalized);
    assert_eq!(sub.guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(view.guard().unwrap_err(), GuardError::Gone(sub.id()));
    assert_eq!(sub.finalize(), Err(FinalizeError::AlreadyFinalizing));
}

#[test]
fn finalization_waits_for_the_last_guard_and_drops_the_state() {
    let runtime = Runtime::new();
    let sub = runtime.create();
    let guard = sub.guard().unwrap();
    let dropped = xinterp::sync::Arc::new(xinterp::sync::atomic::AtomicBool::new(false));
    struct SetOnDrop(xinterp::sync::Arc<xinterp::sync::atomic::AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, xinterp::sync::atomic::Ordering::SeqCst);
        }
    }
    guard.with_state(|state| state.insert("witness", SetOnDrop(dropped.clone())));
    let finalizer = {
        let sub = sub.clone();
        xinterp::sync::thread::spawn(move || sub.finalize())
    };
    // The finalizer cannot get past the guard.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(sub.phase(), Phase::Running, "finalization must wait for the guard");
    assert!(!dropped.load(xinterp::sync::atomic::Ordering::SeqCst));
    guard.close();
    assert_eq!(finalizer.join().unwrap(), Ok(()));
    assert_eq!(sub.phase(), Phase::Finalized);
    assert!(dropped.load(xinterp::sync::atomic::Ordering::SeqCst), "teardown drops the interpreter's values");
}

#[test]
fn state_is_per_interpreter() {
    let runtime = Runtime::new();
    let a = runtime.create();
    let b = runtime.create();
    a.guard().unwrap().with_state(|s| s.insert("k", 1_u8));
    assert_eq!(a.guard().unwrap().with_state(|s| s.get::<u8>("k").copied()), Some(1));
    assert_eq!(b.guard().unwrap().with_state(|s| s.get::<u8>("k").copied()), None);
}

#[test]
fn guards_and_views_are_one_word() {
    assert_eq!(std::mem::size_of::<xinterp::Guard>(), std::mem::size_of::<usize>());
    assert_eq!(std::mem::size_of::<xinterp::View>(), std::mem::size_of::<usize>());
}

#[test]
fn views_and_guards_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<xinterp::View>();
    send::<xinterp::Guard>();
}

#[test]
fn errors_display_and_are_errors() {
    let runtime = Runtime::new();
    let e: Box<dyn std::error::Error> = Box::new(GuardError::Finalizing(runtime.main().id()));
    assert_eq!(e.to_string(), "interpreter 0 has begun finalizing: no guard can be taken");
    let e: Box<dyn std::error::Error> = Box::new(FinalizeError::AlreadyFinalizing);
    assert!(e.to_string().contains("already finalizing"));
}

/// Without the `trace` feature the recorder is compiled out of the
/// protocols: a session sees no protocol events.
#[test]
fn protocol_events_follow_the_trace_feature() {
    let session = xinterp::trace::session::Session::new();
    let _entered = xinterp::trace::session::adopt(Some(session.clone()));
    let runtime = Runtime::new();
    drop(runtime.main().guard().unwrap());
    let ops: Vec<String> = session.trace().events.iter().map(|e| e.op.to_string()).collect();
    if xinterp::trace::ENABLED {
        assert_eq!(ops, ["guard.acquire", "guard.release"]);
    } else {
        assert!(ops.is_empty(), "recorded without the trace feature: {ops:?}");
    }
}
