//! Per-interpreter GILs (PEP 684): interpreters with their own GIL run at
//! once; interpreters that share the main GIL exclude each other
//! (`src/gil.rs`, `Runtime::create_with`).
//!
//! Invariants (`docs/invariants.md`): GIL-2 (threads attached to
//! interpreters that share a GIL are never attached at the same time),
//! GIL-3 (interpreters with their own GIL can be attached at the same
//! time: a witness, since it is a possibility, not a promise).
use super::Inside;
use xinterp::sync::{thread, Arc};
use xinterp::thread_state::{current_id, ensure};
use xinterp::trace::event::GilEvent;
use xinterp::trace::EventKind;
use xinterp::{Config, GilMode, Interpreter, Runtime};
use xinterp_check::trace::Event;
use xinterp_check::{reach, LoomBounds, Scenario};

/// Runs `work` attached to `interp`, counted in `inside` while attached.
fn attached_in(interp: &Interpreter, inside: &Inside, work: &str) {
    let guard = interp.guard().expect("running");
    guard.with_gil(|py| {
        inside.enter();
        py.with_state(|s| s.insert(work, ())).expect("attached");
        inside.leave();
    });
}

/// Two interpreters with their own GILs (O1, O2) and two that share the
/// main GIL (the main interpreter and S, `GilMode::Shared`).
///
/// | thread | first        | then                                                        |
/// |--------|--------------|-------------------------------------------------------------|
/// | left   | attach O1    | attach S                                                    |
/// | right  | attach O2    | attach main; inside it, `ensure(S)` (a switch between two interpreters on the same GIL) and release back to main |
///
/// Every stretch attached to O1 or O2 is counted in `own`; every stretch
/// attached to main or S in `shared`, which allows one thread: two threads
/// attached on the shared GIL at once fail GIL-2. The right thread's switch
/// from main to S releases the GIL before taking it again (case 3 detaches
/// first), so it cannot deadlock on itself; between the release and the
/// re-take the left thread may get in, which is why each stretch is
/// counted separately.
///
/// loom: preemption bound 5. Three threads, but left and right attach
/// five times between them, each attach a guard RMW and two GIL lock
/// sections that contend on the shared GIL, and every stretch is counted:
/// exhaustive ran over 2 minutes without finishing (2 cores). Measured:
/// bound 2: 257 executions (0.06 s); bound 3: 1,563 (0.4 s); bound 4:
/// 7,333 (2.0 s); bound 5: 27,648 (6.2 s). Every witness is reached from
/// bound 2 on; bound 5 lets each thread be preempted at every step of one
/// attach-switch-release sequence.
#[test]
fn own_gils_run_at_once_shared_gils_exclude() {
    Scenario::new("lifecycle::gil::own_gils_run_at_once_shared_gils_exclude")
        .witness("own_gils_both_attached", "threads of O1 and O2 (own GILs) were attached at the same moment")
        .witness_when(
            "shared_gil_blocked",
            "a thread blocked on the main GIL because another interpreter sharing it was attached",
            blocked_on_main_gil,
        )
        .witness_when(
            "switch_let_other_in",
            "the left thread took the shared GIL between the right thread's switch away from main and its attach to S",
            left_between_switch,
        )
        .loom(LoomBounds::preemptions(5))
        .check(|| {
            let runtime = Runtime::new();
            let o1 = runtime.create().unwrap();
            let o2 = runtime.create().unwrap();
            let s = runtime.create_with(Config::isolated().with_gil(GilMode::Shared)).unwrap();
            let main = runtime.main().clone();
            let own = Arc::new(Inside::new(2, "GIL-3"));
            let shared = Arc::new(Inside::new(1, "GIL-2"));
            let left = {
                let (own, shared, s) = (Arc::clone(&own), Arc::clone(&shared), s.clone());
                thread::spawn_named("left", move || {
                    let guard = o1.guard().expect("running");
                    guard.with_gil(|py| {
                        if own.enter() == 2 {
                            reach("own_gils_both_attached");
                        }
                        py.with_state(|st| st.insert("left", ())).expect("attached");
                        own.leave();
                    });
                    attached_in(&s, &shared, "left");
                })
            };
            let right = {
                let (own, shared) = (Arc::clone(&own), Arc::clone(&shared));
                thread::spawn_named("right", move || {
                    let guard = o2.guard().expect("running");
                    guard.with_gil(|py| {
                        if own.enter() == 2 {
                            reach("own_gils_both_attached");
                        }
                        py.with_state(|st| st.insert("right", ())).expect("attached");
                        own.leave();
                    });
                    let on_main = main.guard().expect("running");
                    let on_s = s.guard().expect("running");
                    on_main.with_gil(|py| {
                        shared.enter();
                        py.with_state(|st| st.insert("right", ())).expect("attached");
                        shared.leave();
                        // Switch to S on the same GIL, and back.
                        let token = ensure(&on_s);
                        shared.enter();
                        assert_eq!(current_id(), Some(s.id()));
                        token.attached().with_state(|st| st.insert("right", ())).expect("attached to S");
                        shared.leave();
                        token.release().expect("innermost");
                        shared.enter();
                        assert_eq!(current_id(), Some(main.id()), "restored to main");
                        shared.leave();
                    });
                })
            };
            left.join().unwrap();
            right.join().unwrap();
        });
}

/// A `gil.acquire` blocked on the main interpreter's GIL (`gil(I0)`).
fn blocked_on_main_gil(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e.kind, EventKind::Gil(GilEvent::Blocked { gil, .. }) if gil.owner == 0))
}

/// The right thread released the shared GIL to switch to S, and the left
/// thread took it before the right thread had it again.
fn left_between_switch(events: &[Event]) -> bool {
    let takes_shared = |e: &Event| matches!(e.kind, EventKind::Gil(GilEvent::Acquired { gil, .. }) if gil.owner == 0);
    events.iter().enumerate().any(|(i, e)| {
        let right_leaves_main =
            e.thread == "right" && matches!(e.kind, EventKind::Gil(GilEvent::Released { interp: 0, .. }));
        let rest = &events[i + 1..];
        right_leaves_main
            && rest.iter().find(|e| takes_shared(e)).is_some_and(|e| e.thread == "left")
            && rest
                .iter()
                .any(|e| e.thread == "right" && matches!(e.kind, EventKind::Gil(GilEvent::Acquired { interp: 3, .. })))
    })
}
