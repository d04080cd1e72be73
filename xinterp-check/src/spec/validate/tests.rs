//! The validator on hand-made traces: a correct one passes, and each broken
//! one is rejected at the right event with the right invariant.
use super::*;
use crate::trace::event::{ChannelEnds, ChannelEvent, ChannelOp, ChannelState, CloseOutcome, Receipt, SendRefusal};
use crate::trace::event::{
    EnsureCase, FinalizeEvent as F, GilEvent as G, GilState, GuardEvent as Gd, InterpEvent as In,
    ThreadStateEvent as Ts, Word,
};
use xinterp::channel::{End, Status, UnboundPolicy};
use xinterp::trace::{Custom, EventKind};
use xinterp::{GilMode, GuardPolicy, Phase};

/// A typed event of `thread`.
fn at(thread: &str, kind: impl Into<EventKind>) -> Event {
    Event { seq: 0, thread: thread.to_owned(), kind: kind.into() }
}

const RUN: Phase = Phase::Running;
const FIN: Phase = Phase::Finalizing;
const GONE: Phase = Phase::Finalized;
/// `finalize-requested`.
const REQ: u8 = 1;
/// `draining`.
const DRAIN: u8 = 2;
/// `finalizer-waiting`.
const WAIT: u8 = 4;

/// A lifecycle word: `w(RUN, 1, REQ | WAIT)` is `phase=running guards=1
/// finalize-requested finalizer-waiting`.
fn w(phase: Phase, guards: usize, flags: u8) -> Word {
    Word { phase, guards, requested: flags & REQ != 0, draining: flags & DRAIN != 0, waiting: flags & WAIT != 0 }
}

/// A GIL's state: `gil(1, true, 2)` is `gil(I1)=held waiters=2`.
fn gil(owner: u64, held: bool, waiters: usize) -> GilState {
    GilState { owner, held, waiters }
}

/// The id of an interpreter the caller names as an `Option` (`I1`).
fn id(interp: Option<u64>) -> u64 {
    interp.expect("an interpreter")
}
use crate::trace::event::{RingLen, ViewClose, XiEvent};
use xinterp::xi::Obj;

fn ev(thread: &str, interp: Option<u64>, op: &'static str, outcome: &str, state: &str) -> Event {
    Event { seq: 0, thread: thread.to_owned(), kind: Custom::new(interp, op, outcome, state).into() }
}

/// Turns a step (typed or text) into a scenario's own, skipped, step.
fn skip(e: &mut Event) {
    e.kind = Custom::new(e.interp(), "scenario.skip", e.outcome(), e.state()).into();
}

/// Numbers the events 1, 2, 3, ... as a session does.
fn trace(mut events: Vec<Event>) -> Vec<Event> {
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    events
}

const I1: Option<u64> = Some(1);

fn create(policy: GuardPolicy) -> Event {
    at("main", In::Created { interp: 1, gil: GilMode::Own, policy, word: w(RUN, 0, 0) })
}

/// `lifecycle::guard_vs_finalizer`'s witness execution: the holder attaches
/// under its guard, the finalizer waits for it, finalizes, and a late
/// promotion is refused.
fn guard_vs_finalizer() -> Vec<Event> {
    trace(vec![
        create(GuardPolicy::CPython),
        at("holder", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("holder", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("holder", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }),
        at("finalizer", F::Requested { interp: 1, word: w(RUN, 1, REQ) }),
        at("finalizer", F::ThreadsWaited { interp: 1, daemons: 0 }),
        at("finalizer", F::AtExit { interp: 1, ran: 0, panicked: 0 }),
        at("finalizer", F::Waits { interp: 1, word: w(RUN, 1, REQ | WAIT) }),
        ev("holder", None, "witness", "guard_used", ""),
        at("holder", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("holder", Ts::Released { interp: 1, count: 0, present: false }),
        at("holder", Gd::Released { interp: 1, word: w(RUN, 0, REQ | WAIT) }),
        at("finalizer", F::Began { interp: 1, word: w(FIN, 0, 0) }),
        at("finalizer", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("finalizer", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }),
        at("finalizer", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("finalizer", Ts::Released { interp: 1, count: 0, present: false }),
        at("finalizer", F::TornDown { interp: 1, values: 1 }),
        at("finalizer", F::Done { interp: 1, word: w(GONE, 0, 0) }),
        at("main", Gd::Refused { interp: 1, word: w(GONE, 0, 0) }),
    ])
}

#[track_caller]
fn rejected(events: &[Event]) -> Rejection {
    match validate(events).outcome {
        Outcome::Rejected(r) => *r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_correct_trace_is_allowed_in_recorded_order() {
    let verdict = validate(&guard_vs_finalizer());
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: false }), "{verdict:?}");
    assert_eq!(verdict.covered, 19);
    assert_eq!(verdict.uncovered, ["witness"]);
}

#[test]
fn a_guard_granted_after_finalizing_is_rejected_as_lc_1() {
    let mut events = guard_vs_finalizer();
    *events.last_mut().unwrap() = at("main", Gd::Granted { interp: 1, word: w(GONE, 1, 0) });
    events = trace(events);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-1", 20), "{r}");
    assert!(r.expected.contains("the interpreter is finalized"), "{r}");
    assert!(r.to_string().starts_with("invariant LC-1 violated (reference model): event #20 [main]"), "{r}");
    assert!(r.state.contains("I1 phase=finalized guards=0"), "{r}");
}

/// The finalizer does not wait for the held guard (the known bug
/// `bug_finalize_does_not_wait` in the real protocol's vocabulary): the
/// first event the model refuses is the begin, with the guard still held.
#[test]
fn finalization_beginning_with_a_guard_held_is_rejected_as_lc_2() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("holder", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("finalizer", F::Requested { interp: 1, word: w(RUN, 1, REQ) }),
        at("finalizer", F::Began { interp: 1, word: w(FIN, 0, 0) }),
        at("finalizer", F::TornDown { interp: 1, values: 0 }),
        at("holder", Gd::Released { interp: 1, word: w(FIN, 0, 0) }),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-2", 4), "{r}");
    assert!(r.expected.contains("1 guard(s) counted (1 held)"), "{r}");
}

#[test]
fn a_teardown_before_finalization_began_is_rejected_as_lc_2() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("holder", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("finalizer", F::Requested { interp: 1, word: w(RUN, 1, REQ) }),
        at("finalizer", F::TornDown { interp: 1, values: 0 }),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-2", 4), "{r}");
    assert!(r.expected.contains("after finalize.begin"), "{r}");
}

#[test]
fn two_gil_holders_are_rejected_as_gil_1() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("b", Gd::Granted { interp: 1, word: w(RUN, 2, 0) }),
        at("a", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("b", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("GIL-1", 5), "{r}");
    assert!(r.expected.contains("GIL I1 to be free: thread 1 holds it"), "{r}");
    assert!(r.state.contains("GIL I1 held by thread 1"), "{r}");
}

#[test]
fn a_wrong_guard_count_is_rejected_as_tr_3() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 3, 0) }),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("TR-3", 3), "{r}");
    assert!(r.expected.contains("the word phase=running guards=2"), "{r}");
}

#[test]
fn drain_refuses_guards_once_draining_and_cpython_admits_them() {
    let request = at("f", F::Requested { interp: 1, word: w(RUN, 1, REQ) });
    let drain = at("f", F::Drains { interp: 1, word: w(RUN, 1, REQ | DRAIN) });
    let late = |granted: bool, guards, flags| {
        let word = w(RUN, guards, REQ | flags);
        at("b", if granted { Gd::Granted { interp: 1, word } } else { Gd::Refused { interp: 1, word } })
    };
    let held = at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) });
    // Between the request and the drain (threads, at-exit) guards are admitted.
    let before_drain = trace(vec![create(GuardPolicy::Drain), held.clone(), request.clone(), late(true, 2, 0)]);
    assert!(matches!(validate(&before_drain).outcome, Outcome::Allowed { .. }));
    let drain_ok =
        trace(vec![create(GuardPolicy::Drain), held.clone(), request.clone(), drain.clone(), late(false, 1, DRAIN)]);
    assert!(matches!(validate(&drain_ok).outcome, Outcome::Allowed { .. }));
    let drain_bad =
        trace(vec![create(GuardPolicy::Drain), held.clone(), request.clone(), drain.clone(), late(true, 2, DRAIN)]);
    assert_eq!(rejected(&drain_bad).rule, "LC-1");
    let cpython_ok = trace(vec![create(GuardPolicy::CPython), held.clone(), request.clone(), late(true, 2, 0)]);
    assert!(matches!(validate(&cpython_ok).outcome, Outcome::Allowed { .. }));
    let cpython_bad = trace(vec![create(GuardPolicy::CPython), held.clone(), request.clone(), late(false, 1, 0)]);
    assert_eq!(rejected(&cpython_bad).rule, "LC-1");
    let cpython_drains = trace(vec![create(GuardPolicy::CPython), held, request, drain]);
    assert_eq!(rejected(&cpython_drains).rule, "LC-1");
}

/// The main interpreter's policy is not recorded: a drain tells it, and
/// later decisions must agree.
#[test]
fn the_main_interpreters_policy_is_learned_from_its_drain() {
    let events = trace(vec![
        at("a", Gd::Granted { interp: 0, word: w(RUN, 1, 0) }),
        at("f", F::Requested { interp: 0, word: w(RUN, 1, REQ) }),
        at("f", F::Drains { interp: 0, word: w(RUN, 1, REQ | DRAIN) }),
        at("b", Gd::Refused { interp: 0, word: w(RUN, 1, REQ | DRAIN) }),
        at("c", Gd::Granted { interp: 0, word: w(RUN, 2, REQ | DRAIN) }),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-1", 5), "{r}");
    assert!(r.state.contains("policy=drain"), "{r}");
}

/// A release takes effect before a later acquire but is recorded after it
/// (the releaser was preempted between its `fetch_sub` and its record): a
/// permitted order exists, so the trace is allowed.
#[test]
fn a_step_recorded_late_is_allowed_in_a_permitted_order() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("b", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("a", Gd::Released { interp: 1, word: w(RUN, 0, 0) }),
    ]);
    assert!(matches!(validate(&events).outcome, Outcome::Allowed { reordered: true }));
    // But not an order the recording forbids: `a` recorded its release
    // before `b` acquired, so `b` must see `a`'s release.
    let forbidden = trace(vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("a", Gd::Released { interp: 1, word: w(RUN, 0, 0) }),
        at("b", Gd::Granted { interp: 1, word: w(RUN, 2, 0) }),
    ]);
    let r = rejected(&forbidden);
    assert_eq!((r.rule, r.event.seq), ("TR-3", 4), "{r}");
}

/// A refused guard's transient count shows in another thread's word.
#[test]
fn a_refused_guards_transient_count_is_accepted() {
    let events = trace(vec![
        create(GuardPolicy::Drain),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("f", F::Requested { interp: 1, word: w(RUN, 1, REQ) }),
        at("f", F::Drains { interp: 1, word: w(RUN, 1, REQ | DRAIN) }),
        at("a", Gd::Released { interp: 1, word: w(RUN, 1, REQ | DRAIN) }),
        at("b", Gd::Refused { interp: 1, word: w(RUN, 0, REQ | DRAIN) }),
    ]);
    assert!(matches!(validate(&events).outcome, Outcome::Allowed { reordered: true }));
}

/// `lifecycle::finalization::daemon_and_non_daemon_threads`, a stress run
/// under load: the daemon thread starts after the teardown; its guard's
/// `fetch_add` sees Finalizing, the finalizer's `mark_finalized` adds to
/// the word (so `finalize.done` records the daemon's transient count,
/// `guards=1`), then the daemon's undo reads Finalized, and the daemon
/// records `refused: finalized ... guards=0` before main records
/// `finalize.done`. The only order that replays puts main's step between
/// the two actions of the daemon's refused guard: the recording permits it
/// (both happened before either was recorded), and it is allowed.
fn daemon_refused_around_finalize_done(refused: Word) -> Vec<Event> {
    use xinterp::ThreadKind::{Daemon, NonDaemon};
    let home = |t: &str, kind| at(t, In::ThreadStarted { interp: 1, kind });
    trace(vec![
        create(GuardPolicy::CPython),
        at("main", In::ThreadSpawned { interp: 1, kind: NonDaemon, non_daemon: 1, daemon: 0 }),
        home("worker", NonDaemon),
        at("worker", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("worker", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("worker", Ts::Ensured { interp: 1, case: EnsureCase::Reattach, count: 1, present: true }),
        at("worker", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("worker", Ts::Released { interp: 1, count: 0, present: true }),
        at("worker", Gd::Released { interp: 1, word: w(RUN, 0, 0) }),
        at("worker", In::ThreadExited { interp: 1, kind: NonDaemon, non_daemon: 0, daemon: 0 }),
        at("main", In::ThreadSpawned { interp: 1, kind: Daemon, non_daemon: 0, daemon: 1 }),
        at("main", F::Requested { interp: 1, word: w(RUN, 0, REQ) }),
        at("main", F::ThreadsWaited { interp: 1, daemons: 1 }),
        at("main", F::AtExit { interp: 1, ran: 0, panicked: 0 }),
        at("main", F::Began { interp: 1, word: w(FIN, 0, 0) }),
        at("main", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("main", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }),
        xi("main", XiEvent::RingClosed { owner: 1, len: 0, closed: true }),
        xi("main", XiEvent::Teardown { owner: 1, ran: 0, live: 0, allocated: 0, freed: 0, leaked: 0, refs: 0 }),
        at("main", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("main", Ts::Released { interp: 1, count: 0, present: false }),
        at("main", F::TornDown { interp: 1, values: 1 }),
        home("daemon", Daemon),
        at("daemon", Gd::Refused { interp: 1, word: refused }),
        at("main", F::Done { interp: 1, word: w(GONE, 1, 0) }),
        at(
            "daemon",
            In::AttachRefused { interp: 1, error: xinterp::GuardError::Finalizing(xinterp::InterpreterId::new(1)) },
        ),
        at("daemon", In::ThreadExited { interp: 1, kind: Daemon, non_daemon: 0, daemon: 0 }),
    ])
}

#[test]
fn a_step_between_a_refused_guards_count_and_undo_is_allowed() {
    let events = daemon_refused_around_finalize_done(w(GONE, 0, 0));
    assert_eq!((events[23].op(), events[24].op()), ("guard.acquire", "finalize.done"));
    assert_eq!(
        events[23].to_string(),
        "#24 [daemon] interp 1 guard.acquire -> refused: finalized (phase=finalized guards=0)"
    );
    let verdict = validate(&events);
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: true }), "{verdict:?}");
    // But the undo must still come after the `finalize.done` its word shows:
    // an undo that saw Finalizing leaves no count for `finalize.done` to
    // record.
    let forbidden = daemon_refused_around_finalize_done(w(FIN, 0, 0));
    let r = rejected(&forbidden);
    assert_eq!((r.rule, r.event.seq), ("TR-3", 25), "{r}");
}

#[test]
fn thread_state_counts_and_order_are_checked() {
    let base = vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("a", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("a", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }),
    ];
    let mut reuse_wrong_count = base.clone();
    reuse_wrong_count.push(at("a", Ts::Ensured { interp: 1, case: EnsureCase::Reuse, count: 1, present: true }));
    let r = rejected(&trace(reuse_wrong_count));
    assert_eq!((r.rule, r.expected.as_str()), ("TS-1", "count=2 after the ensure"), "{r}");
    let mut created_again = base.clone();
    created_again.push(at("a", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }));
    assert_eq!(rejected(&trace(created_again)).rule, "TS-1");
    let mut kept_at_zero = base;
    kept_at_zero.push(at("a", G::Released { interp: 1, gil: gil(1, false, 0) }));
    kept_at_zero.push(at("a", Ts::Released { interp: 1, count: 0, present: true }));
    let r = rejected(&trace(kept_at_zero));
    assert_eq!((r.rule, r.expected.as_str()), ("TS-2", "count=0 and the thread state deleted"), "{r}");
}

/// Facts, not claims: a release records whether the thread's record still
/// holds the thread state. An owned thread state kept at count 0 (the
/// mutation `threadstate-kept-at-zero`), and one deleted while its count is
/// not zero, are rejected; so is an ensure whose thread state is missing.
#[test]
fn a_thread_state_kept_or_deleted_against_its_count_is_rejected_as_ts_2() {
    let attach = |extra: Vec<Event>| {
        let mut events = vec![
            create(GuardPolicy::CPython),
            at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
            at("a", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
            at("a", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }),
        ];
        events.extend(extra);
        trace(events)
    };
    let deleted = attach(vec![
        at("a", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("a", Ts::Released { interp: 1, count: 0, present: false }),
    ]);
    assert!(matches!(validate(&deleted).outcome, Outcome::Allowed { .. }));
    let kept = attach(vec![
        at("a", G::Released { interp: 1, gil: gil(1, false, 0) }),
        at("a", Ts::Released { interp: 1, count: 0, present: true }),
    ]);
    assert_eq!(kept.last().unwrap().outcome().to_string(), "ok");
    let r = rejected(&kept);
    assert_eq!((r.rule, r.event.seq, r.expected.as_str()), ("TS-2", 6, "count=0 and the thread state deleted"), "{r}");
    let deleted_early = attach(vec![
        at("a", Ts::Ensured { interp: 1, case: EnsureCase::Reuse, count: 2, present: true }),
        at("a", Ts::Released { interp: 1, count: 1, present: false }),
    ]);
    let r = rejected(&deleted_early);
    assert_eq!((r.rule, r.expected.as_str()), ("TS-2", "count=1 and the thread state kept"), "{r}");
    let missing = attach(vec![at("a", Ts::Ensured { interp: 1, case: EnsureCase::Reuse, count: 2, present: false })]);
    assert_eq!(rejected(&missing).rule, "TS-1");
}

#[test]
fn a_gil_released_by_another_thread_and_a_second_run_are_rejected() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("a", G::Acquired { interp: 1, gil: gil(1, true, 0) }),
        at("b", G::Released { interp: 1, gil: gil(1, false, 0) }),
    ]);
    assert_eq!(rejected(&events).rule, "GIL-1");
    let runs = trace(vec![
        create(GuardPolicy::CPython),
        at("a", In::RunStarted { interp: 1 }),
        at("b", In::RunStarted { interp: 1 }),
    ]);
    let r = rejected(&runs);
    assert_eq!((r.rule, r.event.seq), ("RUN-1", 3), "{r}");
}

#[test]
fn an_attach_without_a_guard_is_rejected_as_lc_5() {
    let events = trace(vec![create(GuardPolicy::CPython), at("a", G::Acquired { interp: 1, gil: gil(1, true, 0) })]);
    assert_eq!(rejected(&events).rule, "LC-2");
}

#[test]
fn unknown_ops_are_skipped_and_unknown_outcomes_and_interpreters_are_not() {
    let events = trace(vec![
        create(GuardPolicy::CPython),
        ev("a", None, "channel.ledger", "balanced", "offered=0"),
        ev("a", None, "witness", "w", ""),
    ]);
    let verdict = validate(&events);
    assert!(matches!(verdict.outcome, Outcome::Allowed { .. }));
    assert_eq!((verdict.covered, verdict.uncovered.len()), (1, 2));
    // A lifecycle op recorded as text is a scenario's own step (a naive
    // known-bug model's): shown, never replayed.
    let naive = trace(vec![create(GuardPolicy::CPython), ev("a", I1, "guard.acquire", "perhaps", "guards=1")]);
    let verdict = validate(&naive);
    assert!(matches!(verdict.outcome, Outcome::Allowed { .. }));
    assert_eq!(verdict.uncovered, ["guard.acquire"]);
    let stranger = trace(vec![at("a", Gd::Granted { interp: 7, word: w(RUN, 1, 0) })]);
    assert_eq!(rejected(&stranger).rule, "RG-1");
}

/// With the `trace` feature the production records real traces: a few
/// sequential programs' traces are allowed.
#[test]
fn production_traces_are_allowed() {
    if !crate::trace::ENABLED {
        return;
    }
    let session = crate::trace::session::Session::new();
    {
        let _entered = crate::trace::session::enter(Some(session.clone()));
        let runtime = xinterp::Runtime::new();
        let sub =
            runtime.create_with(xinterp::Config::isolated().with_guard_policy(xinterp::GuardPolicy::Drain)).unwrap();
        let shared = runtime.create_with(xinterp::Config::legacy()).unwrap();
        let outer = sub.guard().unwrap();
        outer.with_gil(|py| {
            let _ = shared.run(|_| runtime.list_all().len());
            py.allow_threads(|| ());
        });
        let token = xinterp::thread_state::ensure_from_view(&shared.view()).unwrap();
        assert!(sub.finalize_timeout(std::time::Duration::from_millis(1)).is_err());
        token.release().unwrap();
        drop(outer);
        runtime.finalize().unwrap();
    }
    let events = session.trace().events;
    let verdict = validate(&events);
    assert!(
        matches!(verdict.outcome, Outcome::Allowed { .. }),
        "{verdict:?}\n{}",
        crate::trace::render::text(&session.trace())
    );
    assert!(verdict.covered > 30, "{}", verdict.covered);
}

/// Finalization under faults, recorded from the production: a panicking
/// at-exit callback, a finalizer refused for the guard it holds, and the
/// main interpreter's finalization reporting a subinterpreter it leaves.
/// The validator accepts each, and the events say what happened.
#[test]
fn production_traces_of_faulted_finalizations_are_allowed() {
    if !crate::trace::ENABLED {
        return;
    }
    let session = crate::trace::session::Session::new();
    {
        let _entered = crate::trace::session::enter(Some(session.clone()));
        let runtime = xinterp::Runtime::new();
        let sub = runtime.create().unwrap();
        let left = runtime.create().unwrap();
        // Quiet: the panic hook would print this intended panic.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        sub.at_exit(|_| panic!("at-exit panic on purpose")).unwrap();
        sub.at_exit(|_| ()).unwrap();
        let guard = sub.guard().unwrap();
        assert!(matches!(sub.finalize(), Err(xinterp::FinalizeError::CurrentThreadHoldsGuard { guards: 1 })));
        drop(guard);
        assert!(sub.finalize().unwrap_err().finalized());
        std::panic::set_hook(hook);
        let kept = left.guard_owned().unwrap();
        let error = runtime.finalize_timeout(std::time::Duration::from_millis(1)).unwrap_err();
        assert!(error.finalized(), "{error}");
        drop(kept);
        left.finalize().unwrap();
    }
    let events = session.trace().events;
    let verdict = validate(&events);
    assert!(
        matches!(verdict.outcome, Outcome::Allowed { .. }),
        "{verdict:?}\n{}",
        crate::trace::render::text(&session.trace())
    );
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(kinds.contains(&&EventKind::Finalize(F::RefusedHoldsGuard { interp: 1, guards: 1 })));
    assert!(kinds.contains(&&EventKind::Finalize(F::AtExit { interp: 1, ran: 2, panicked: 1 })));
    assert!(kinds.contains(&&EventKind::Finalize(F::Subinterpreters { interp: 0, finalized: 0, failed: 1 })));
}

#[test]
fn more_panicking_at_exit_callbacks_than_ran_are_rejected() {
    let mut events = guard_vs_finalizer();
    events[6] = at("finalizer", F::AtExit { interp: 1, ran: 0, panicked: 1 });
    let r = rejected(&trace(events));
    assert_eq!((r.rule, r.event.seq), ("LC-3", 7), "{r}");
}

#[test]
fn a_holds_guard_refusal_without_a_held_guard_is_rejected() {
    let events = trace(vec![create(GuardPolicy::CPython), at("main", F::RefusedHoldsGuard { interp: 1, guards: 1 })]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-3", 2), "{r}");
    let held = trace(vec![
        create(GuardPolicy::CPython),
        at("main", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }),
        at("main", F::RefusedHoldsGuard { interp: 1, guards: 1 }),
    ]);
    assert!(matches!(validate(&held).outcome, Outcome::Allowed { .. }));
}

// ------------------------------------------------------------- channels

const I0: Option<u64> = Some(0);
const I2: Option<u64> = Some(2);
const I3: Option<u64> = Some(3);

/// A step of channel C1 by `who` on `thread`, leaving `state`.
fn chan(thread: &str, who: Option<u64>, op: ChannelOp, state: ChannelState) -> Event {
    Event { seq: 0, thread: thread.to_owned(), kind: ChannelEvent { channel: 1, queue: false, who, op, state }.into() }
}

/// An open channel's state with `items` queued and these association
/// records, oldest first (`-n`: I`n` released that end): nobody waiting.
fn state(items: usize, send: &[i64], recv: &[i64]) -> ChannelState {
    let records = |side: &[i64]| side.iter().map(|&r| (r.unsigned_abs(), r > 0)).collect();
    ChannelState {
        items,
        senders_waiting: 0,
        receivers_waiting: 0,
        putters_waiting: 0,
        status: Status::Open,
        ends: Some(ChannelEnds { send: records(send), recv: records(recv) }),
    }
}

fn closed(state: ChannelState) -> ChannelState {
    ChannelState { status: Status::Closed, ..state }
}

fn sent(seq: u64) -> ChannelOp {
    ChannelOp::Sent { seq, policy: None }
}

fn received(seq: u64, sender: u64) -> ChannelOp {
    ChannelOp::Received { seq, sender, receipt: Receipt::Item }
}

fn chan_create() -> Event {
    chan("main", I0, ChannelOp::Created { maxsize: 0, policy: UnboundPolicy::Replace }, state(0, &[], &[]))
}

#[track_caller]
fn allowed(events: &[Event]) -> Verdict {
    let verdict = validate(events);
    assert!(matches!(verdict.outcome, Outcome::Allowed { .. }), "{verdict:?}");
    verdict
}

/// `channels::rendezvous`: the receiver waits, the sender queues its item
/// and waits, the receiver takes it, the sender is told.
fn rendezvous() -> Vec<Event> {
    trace(vec![
        chan_create(),
        chan("receiver", I2, ChannelOp::RecvBlocked, state(0, &[], &[2])),
        chan(
            "sender",
            I1,
            ChannelOp::SendBlocked { seq: 1 },
            ChannelState { receivers_waiting: 1, ..state(1, &[1], &[2]) },
        ),
        chan("receiver", I2, received(1, 1), ChannelState { senders_waiting: 1, ..state(0, &[1], &[2]) }),
        chan("sender", I1, ChannelOp::SendDelivered { seq: 1 }, state(0, &[1], &[2])),
        ev("main", None, "channel.ledger", "balanced", "offered=1 = received=1"),
    ])
}

#[test]
fn a_correct_channel_trace_is_allowed_and_covered() {
    let verdict = validate(&rendezvous());
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: false }), "{verdict:?}");
    assert_eq!(verdict.covered, 5);
    assert_eq!(verdict.uncovered, ["channel.ledger"]);
}

#[test]
fn an_item_received_twice_is_rejected_as_ch_2() {
    let mut events = rendezvous();
    events.insert(4, chan("thief", I3, received(1, 1), ChannelState { senders_waiting: 1, ..state(0, &[1], &[2, 3]) }));
    let r = rejected(&trace(events));
    assert_eq!((r.rule, r.event.seq), ("CH-2", 5), "{r}");
    assert!(r.expected.contains("nothing: the channel is empty (item #1 is not queued)"), "{r}");
    assert!(r.to_string().starts_with("invariant CH-2 violated (reference model): event #5 [thief] interp 3"), "{r}");
    assert!(r.state.contains("C1 queue=[] send=[1] recv=[2] settled=[#1 received]"), "{r}");
}

#[test]
fn a_receive_from_an_empty_channel_is_rejected_as_ch_2() {
    let events = trace(vec![chan_create(), chan("receiver", I2, received(1, 1), state(0, &[], &[2]))]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("CH-2", 2), "{r}");
    assert!(r.expected.starts_with("nothing: the channel is empty"), "{r}");
}

/// Channel events are recorded under the channel's lock, in effect order:
/// the search never moves one, so a receive recorded before the send it
/// needs is rejected even though the send is the sender's next event.
#[test]
fn channel_events_are_never_reordered() {
    let events = trace(vec![
        chan_create(),
        chan("receiver", I2, received(1, 1), state(0, &[1], &[2])),
        chan("sender", I1, sent(1), state(1, &[1], &[])),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("CH-2", 2), "{r}");
    // A channel's creation may be recorded after another thread found it by
    // id and used it (it is recorded just after the registry lists it).
    let late_creation = trace(vec![chan("finder", I1, sent(1), state(1, &[1], &[])), chan_create()]);
    assert!(matches!(validate(&late_creation).outcome, Outcome::Allowed { reordered: true }));
}

#[test]
fn a_send_accepted_on_a_closed_channel_is_rejected_as_ch_7() {
    let events = trace(vec![
        chan_create(),
        chan("closer", None, ChannelOp::Close(CloseOutcome::Empty), closed(state(0, &[], &[]))),
        chan("sender", I1, sent(1), closed(state(1, &[1], &[]))),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("CH-7", 3), "{r}");
    assert_eq!(r.expected, "a refusal: the channel is closed", "{r}");
    // And a send refused while the model would admit it.
    let refused = trace(vec![
        chan_create(),
        chan("sender", I1, ChannelOp::SendRefused(SendRefusal::Closing), state(0, &[], &[])),
    ]);
    let r = rejected(&refused);
    assert_eq!((r.rule, r.event.seq), ("CH-7", 2), "{r}");
    assert!(r.expected.contains("the send admitted (as item #1)"), "{r}");
}

#[test]
fn out_of_order_receives_are_rejected_as_ch_5() {
    let events = trace(vec![
        chan_create(),
        chan("sender", I1, sent(1), state(1, &[1], &[])),
        chan("sender", I1, sent(2), state(2, &[1], &[])),
        chan("receiver", I2, received(2, 1), state(1, &[1], &[2])),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq, r.expected.as_str()), ("CH-5", 4, "item #1 from I1"), "{r}");
}

/// `channels::bug_timeout_without_withdrawal`, in the production's events:
/// the sender reports its item withdrawn, but the item stays queued, and a
/// receiver takes it.
#[test]
fn a_timeout_that_does_not_withdraw_is_rejected() {
    let blocked = chan("sender", I1, ChannelOp::SendBlocked { seq: 1 }, state(1, &[1], &[]));
    let withdrawn = |state| chan("sender", I1, ChannelOp::SendWithdrawn { seq: 1 }, state);
    let left_queued = trace(vec![chan_create(), blocked.clone(), withdrawn(state(1, &[1], &[]))]);
    let r = rejected(&left_queued);
    assert_eq!((r.rule, r.event.seq), ("TR-3", 3), "{r}");
    assert_eq!(r.expected, "the state C1 items=0 send=[1] recv=[]", "{r}");
    // Withdrawn, then delivered anyway: the receive finds nothing.
    let delivered = trace(vec![
        chan_create(),
        blocked.clone(),
        withdrawn(state(0, &[1], &[])),
        chan("receiver", I2, received(1, 1), state(0, &[1], &[2])),
    ]);
    let r = rejected(&delivered);
    assert_eq!((r.rule, r.event.seq), ("CH-2", 4), "{r}");
    // Received, then the sender times out anyway.
    let both = trace(vec![
        chan_create(),
        blocked,
        chan("receiver", I2, received(1, 1), ChannelState { senders_waiting: 1, ..state(0, &[1], &[2]) }),
        withdrawn(state(0, &[1], &[2])),
    ]);
    let r = rejected(&both);
    assert_eq!((r.rule, r.event.seq), ("CH-2", 4), "{r}");
    assert!(r.expected.contains("item #1 was received"), "{r}");
}

/// A forced close must hand a blocked sender's item back and wake it
/// (`bug_force_close_does_not_wake` drops it and sleeps forever).
#[test]
fn a_forced_close_accounts_for_blocked_senders() {
    let blocked = chan("sender", I1, ChannelOp::SendBlocked { seq: 1 }, state(1, &[1], &[]));
    let close = |woken| {
        chan(
            "closer",
            None,
            ChannelOp::Close(CloseOutcome::Forced { items: 1, woken }),
            ChannelState { senders_waiting: 1, ..closed(state(0, &[1], &[])) },
        )
    };
    let ok = trace(vec![
        chan_create(),
        blocked.clone(),
        close(1),
        chan("sender", I1, ChannelOp::SendReturned { seq: 1 }, closed(state(0, &[1], &[]))),
    ]);
    allowed(&ok);
    let nobody_woken = trace(vec![chan_create(), blocked.clone(), close(0)]);
    let r = rejected(&nobody_woken);
    assert_eq!((r.rule, r.expected.as_str()), ("CH-3", "1 blocked sender(s) woken"), "{r}");
    // Told `ok` as if received, though the close handed it back.
    let told_ok = trace(vec![
        chan_create(),
        blocked,
        close(1),
        chan("sender", I1, ChannelOp::SendDelivered { seq: 1 }, closed(state(0, &[1], &[]))),
    ]);
    let r = rejected(&told_ok);
    assert_eq!((r.rule, r.event.seq), ("CH-3", 4), "{r}");
}

/// `channels::bug_release_checks_wrong_end` in the production's events:
/// the first send-end release closes the channel although I2 still holds
/// the send end.
#[test]
fn a_release_that_closes_too_early_is_rejected_as_ch_4() {
    let release =
        |thread, who, end, closes, state| chan(thread, who, ChannelOp::Released { end, closed: closes }, state);
    let base = vec![
        chan_create(),
        chan("setup", I1, sent(1), state(1, &[1], &[])),
        chan("setup", I2, sent(2), state(2, &[1, 2], &[])),
        chan("setup", I3, received(1, 1), state(1, &[1, 2], &[3])),
        chan("setup", I3, received(2, 2), state(0, &[1, 2], &[3])),
        release("release-b", I3, End::Recv, false, state(0, &[1, 2], &[-3])),
    ];
    let mut bad = base.clone();
    bad.push(release("release-a1", I1, End::Send, true, closed(state(0, &[-1, 2], &[-3]))));
    let r = rejected(&trace(bad));
    assert_eq!((r.rule, r.event.seq), ("CH-4", 7), "{r}");
    assert_eq!(r.expected, "the channel to stay open: an association is left", "{r}");
    let mut good = base;
    good.push(release("release-a1", I1, End::Send, false, state(0, &[-1, 2], &[-3])));
    good.push(release("release-a2", I2, End::Send, true, closed(state(0, &[-1, -2], &[-3]))));
    good.push(chan("release-a2", I2, ChannelOp::ReleaseRefusedClosed, closed(state(0, &[-1, -2], &[-3]))));
    allowed(&trace(good));
}

/// One release of both ends (`release_ends(Ends::Both)`): it closes only
/// if no association is left once both are released.
#[test]
fn a_release_of_both_ends_is_one_step() {
    let both = |closed, state| chan("main", I1, ChannelOp::ReleasedBoth { closed }, state);
    // Never used by anyone else: both released, closed.
    let alone = trace(vec![chan_create(), both(true, closed(state(0, &[-1], &[-1])))]);
    allowed(&alone);
    // I2 still holds the send end: open.
    let base = vec![chan_create(), chan("b", I2, sent(1), state(1, &[2], &[]))];
    let mut good = base.clone();
    good.push(both(false, state(1, &[2, -1], &[-1])));
    good.push(chan("main", I1, ChannelOp::ReleaseRefusedAgain { end: End::Recv }, state(1, &[2, -1], &[-1])));
    allowed(&trace(good));
    let mut bad = base;
    bad.push(both(true, closed(state(0, &[2, -1], &[-1]))));
    let r = rejected(&trace(bad));
    assert_eq!(r.rule, "CH-4", "{r}");
}

#[test]
fn recorded_channel_states_must_be_the_models() {
    // A sender counted as waiting that never blocked.
    let ghost = trace(vec![
        chan_create(),
        chan("sender", I1, sent(1), ChannelState { senders_waiting: 1, ..state(1, &[1], &[]) }),
    ]);
    let r = rejected(&ghost);
    assert_eq!((r.rule, r.expected.as_str()), ("TR-3", "the state C1 items=1 send=[1] recv=[]"), "{r}");
    // Wrong association records.
    let records = trace(vec![chan_create(), chan("sender", I1, sent(1), state(1, &[2], &[]))]);
    assert_eq!(rejected(&records).rule, "TR-3");
    // Records are compared as sets: the production lists them oldest
    // first, the model by interpreter.
    let oldest_first = trace(vec![
        chan_create(),
        chan("a", I2, sent(1), state(1, &[2], &[])),
        chan("b", I1, sent(2), state(2, &[2, 1], &[])),
    ]);
    allowed(&oldest_first);
    // Items numbered out of order.
    let numbering = trace(vec![chan_create(), chan("sender", I1, sent(2), state(1, &[1], &[]))]);
    let r = rejected(&numbering);
    assert_eq!((r.rule, r.expected.as_str()), ("TR-3", "the item numbered #1"), "{r}");
    // A creation whose state is not a fresh channel's.
    let mut created = chan_create();
    if let EventKind::Channel(c) = &mut created.kind {
        c.state.ends = None;
    }
    let r = rejected(&trace(vec![created]));
    assert_eq!((r.rule, r.expected.as_str()), ("TR-3", "the state C1 items=0 send=[] recv=[]"), "{r}");
    // An event on a channel never created.
    let stranger = trace(vec![Event {
        seq: 0,
        thread: "sender".to_owned(),
        kind: ChannelEvent { channel: 7, queue: false, who: I1, op: sent(1), state: state(1, &[1], &[]) }.into(),
    }]);
    let r = rejected(&stranger);
    assert_eq!((r.rule, r.expected.as_str()), ("TR-2", "C7 to have been created first"), "{r}");
    // A queue's op on a channel.
    let mut put = chan("putter", I1, sent(1), state(1, &[1], &[]));
    if let EventKind::Channel(c) = &mut put.kind {
        c.queue = true;
    }
    let r = rejected(&trace(vec![chan_create(), put]));
    assert_eq!((r.rule, r.expected.as_str()), ("TR-2", "the ops of a channel on C1"), "{r}");
    // Channel steps are typed events: text that only looks like one (a
    // naive known-bug model's own step) is not read, only shown.
    let text_only = trace(vec![chan_create(), ev("sender", I1, "channel.send", "ok: queued at last", "C1 items=1")]);
    let verdict = allowed(&text_only);
    assert_eq!((verdict.covered, verdict.uncovered.len()), (1, 1), "{verdict:?}");
    assert_eq!(verdict.uncovered[0], "channel.send", "{verdict:?}");
}

/// The receive that drains a closing channel records the close first, in
/// the same critical section: nothing else of the channel in between.
#[test]
fn a_drain_is_followed_by_its_removal() {
    let base = vec![
        chan_create(),
        chan("sender", I1, sent(1), state(1, &[1], &[])),
        chan(
            "main",
            None,
            ChannelOp::Close(CloseOutcome::Closing),
            ChannelState { status: Status::Closing, ..state(1, &[1], &[]) },
        ),
        chan("receiver", I2, ChannelOp::Drained, closed(state(0, &[1], &[2]))),
    ];
    let mut good = base.clone();
    good.push(chan("receiver", I2, received(1, 1), closed(state(0, &[1], &[2]))));
    good.push(chan("late", I1, ChannelOp::SendRefused(SendRefusal::Closed), closed(state(0, &[1], &[2]))));
    allowed(&trace(good));
    let mut interleaved = base;
    interleaved.push(chan(
        "late",
        I1,
        ChannelOp::SendRefused(SendRefusal::Closing),
        ChannelState { status: Status::Closing, ..state(1, &[1], &[]) },
    ));
    let r = rejected(&trace(interleaved));
    assert_eq!((r.rule, r.event.seq), ("CH-7", 5), "{r}");
}

#[test]
fn unbound_items_follow_their_policies() {
    let base = vec![
        chan_create(),
        // b associates with the receive end first: the channel outlives a.
        chan("b", I2, ChannelOp::RecvEmpty { waiting: false }, state(0, &[], &[2])),
        chan("a", I1, sent(1), state(1, &[1], &[2])),
        chan("a", I1, ChannelOp::Sent { seq: 2, policy: Some(UnboundPolicy::Remove) }, state(2, &[1], &[2])),
    ];
    let destroyed = |replaced, removed, state| {
        chan("finalizer", I1, ChannelOp::Unbound { destroyed: 1, replaced, errored: 0, removed, closed: false }, state)
    };
    let mut good = base.clone();
    good.push(destroyed(1, 1, state(1, &[], &[2])));
    good.push(chan("b", I2, ChannelOp::Received { seq: 1, sender: 1, receipt: Receipt::Unbound }, state(0, &[], &[2])));
    allowed(&trace(good));
    let mut wrong = base;
    wrong.push(destroyed(2, 0, state(2, &[], &[2])));
    let r = rejected(&trace(wrong));
    assert_eq!(r.rule, "CH-6", "{r}");
    assert!(r.expected.contains("1 replaced by UNBOUND, 0 replaced by an error marker, 1 removed"), "{r}");
}

/// A channel whose only associated interpreter is destroyed closes (as in
/// CPython); one that stays open is rejected.
#[test]
fn a_channel_whose_only_user_is_destroyed_closes() {
    let base = vec![chan_create(), chan("a", I1, sent(1), state(1, &[1], &[]))];
    let destroyed = |closed, state| {
        chan("finalizer", I1, ChannelOp::Unbound { destroyed: 1, replaced: 1, errored: 0, removed: 0, closed }, state)
    };
    let mut good = base.clone();
    good.push(destroyed(true, closed(state(0, &[], &[]))));
    good.push(chan("b", I2, ChannelOp::RecvClosed, closed(state(0, &[], &[]))));
    allowed(&trace(good));
    let mut open = base;
    open.push(destroyed(false, state(1, &[], &[])));
    let r = rejected(&trace(open));
    assert_eq!(r.rule, "CH-6", "{r}");
}

// ------------------------------------------------------------------- xi

/// A typed xi event by `thread`.
fn xi(thread: &str, event: XiEvent) -> Event {
    Event { seq: 0, thread: thread.to_owned(), kind: event.into() }
}

/// `obj#0` of `I<owner>`.
fn obj0(owner: u64) -> Obj {
    Obj::from_parts(owner, 0, 0)
}

fn ring(len: usize) -> RingLen {
    RingLen { len, capacity: 300 }
}

/// The xi event of `e`, to break it.
fn xi_mut(e: &mut Event) -> &mut XiEvent {
    match &mut e.kind {
        EventKind::Xi(x) => x,
        other => panic!("not an xi event: {other:?}"),
    }
}

/// `I1`'s teardown with `obj#0` still referenced once.
fn leaky_teardown() -> Event {
    xi("finalizer", XiEvent::Teardown { owner: 1, ran: 0, live: 0, allocated: 1, freed: 0, leaked: 1, refs: 1 })
}

/// `obj#0` of `I1` allocated, shared (incref), and its own reference dropped.
fn shared_by_main() -> Vec<Event> {
    vec![
        xi("main", XiEvent::Alloc { obj: obj0(1), refcnt: 1 }),
        xi("main", XiEvent::Incref { obj: obj0(1), refcnt: 2 }),
        xi("main", XiEvent::Share { obj: obj0(1), refcnt: 2 }),
        xi("main", XiEvent::Decref { obj: obj0(1), refcnt: 1, freed: false }),
    ]
}

fn guarded_attach(thread: &str, interp: Option<u64>, guards: usize) -> Vec<Event> {
    let i = interp.unwrap_or_default();
    vec![
        at(thread, Gd::Granted { interp: i, word: w(RUN, guards, 0) }),
        at(thread, G::Acquired { interp: i, gil: gil(i, true, 0) }),
        at(thread, Ts::Ensured { interp: id(interp), case: EnsureCase::Create, count: 1, present: true }),
    ]
}

fn detach(thread: &str, interp: Option<u64>, guards: usize) -> Vec<Event> {
    let i = interp.unwrap_or_default();
    vec![
        at(thread, G::Released { interp: i, gil: gil(i, false, 0) }),
        at(thread, Ts::Released { interp: id(interp), count: 0, present: false }),
        at(thread, Gd::Released { interp: i, word: w(RUN, guards, 0) }),
    ]
}

/// `xi::handoff_released_by_pending_call`, as shuttle recorded it: the
/// owner shares, the receiver copies and queues the release, the owner
/// drops its reference and later runs the queued decref.
fn handoff() -> Vec<Event> {
    let mut events = vec![
        create(GuardPolicy::CPython),
        at("main", In::Created { interp: 2, gil: GilMode::Own, policy: GuardPolicy::CPython, word: w(RUN, 0, 0) }),
    ];
    events.extend(guarded_attach("main", I1, 1));
    events.push(xi("main", XiEvent::Alloc { obj: obj0(1), refcnt: 1 }));
    events.push(xi("main", XiEvent::Incref { obj: obj0(1), refcnt: 2 }));
    events.push(xi("main", XiEvent::Share { obj: obj0(1), refcnt: 2 }));
    events.push(at("main", G::Released { interp: 1, gil: gil(1, false, 0) }));
    events.push(at("main", Ts::Released { interp: 1, count: 0, present: false }));
    events.extend(guarded_attach("receiver", I2, 1));
    events.push(xi("receiver", XiEvent::Alloc { obj: obj0(2), refcnt: 1 }));
    events.push(xi("receiver", XiEvent::NewObject { obj: obj0(2), refcnt: 1, from: 1 }));
    events.push(at("receiver", Gd::Granted { interp: 1, word: w(RUN, 2, 0) }));
    events.push(xi("receiver", XiEvent::Push { owner: 1, obj: obj0(1), ring: ring(1) }));
    events.push(at("receiver", Gd::Released { interp: 1, word: w(RUN, 1, 0) }));
    events.push(xi("receiver", XiEvent::ReleaseQueued { at: I2, obj: obj0(1) }));
    events.push(xi("receiver", XiEvent::Decref { obj: obj0(2), refcnt: 0, freed: true }));
    events.extend(detach("receiver", I2, 0));
    events.push(at("main", G::Acquired { interp: 1, gil: gil(1, true, 0) }));
    events.push(xi("main", XiEvent::Decref { obj: obj0(1), refcnt: 1, freed: false }));
    events.push(xi("main", XiEvent::RunDone { owner: 1, ran: 1, ring: ring(0) }));
    events.push(at("main", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }));
    events.push(xi("main", XiEvent::Decref { obj: obj0(1), refcnt: 0, freed: true }));
    events.extend(detach("main", I1, 0));
    trace(events)
}

#[test]
fn a_correct_xi_trace_is_allowed_and_covered() {
    let events = handoff();
    let verdict = validate(&events);
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: false }), "{verdict:?}");
    assert_eq!((verdict.covered, verdict.uncovered.len()), (events.len(), 0));
}

/// The index of the first event with this op and outcome prefix.
fn find(events: &[Event], op: &str, outcome: &str) -> usize {
    events
        .iter()
        .position(|e| e.op() == op && e.outcome().to_string().starts_with(outcome))
        .expect("the event is in the trace")
}

#[test]
fn a_decref_to_a_count_the_model_does_not_have_is_rejected_as_xi_3() {
    let mut events = handoff();
    let i = find(&events, "refcount.decref", "ok");
    *xi_mut(&mut events[i]) = XiEvent::Decref { obj: obj0(1), refcnt: 2, freed: false };
    let r = rejected(&events);
    assert_eq!((r.rule, r.expected.as_str(), r.event.seq), ("XI-3", "refcnt=1 after the step", i as u64 + 1), "{r}");
    assert!(r.state.contains("I1 heap [obj#0 refcnt=2] ring=[obj#0]/300"), "{r}");
}

/// The free is the slot's own: a decref that says it freed the object
/// while references are left, or left it alive at 0, is rejected; so is
/// an allocation with more than one reference.
#[test]
fn a_free_the_model_does_not_have_is_rejected_as_xi_3() {
    let mut events = handoff();
    let i = find(&events, "refcount.decref", "ok");
    *xi_mut(&mut events[i]) = XiEvent::Decref { obj: obj0(1), refcnt: 1, freed: true };
    let r = rejected(&events);
    assert_eq!(
        (r.rule, r.expected.as_str(), r.event.seq),
        ("XI-3", "obj#0 of I1 still alive (refcnt=1)", i as u64 + 1)
    );
    let mut events = handoff();
    let last = events.iter().rposition(|e| e.op() == "refcount.decref").expect("a decref");
    *xi_mut(&mut events[last]) = XiEvent::Decref { obj: obj0(1), refcnt: 0, freed: false };
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("XI-3", last as u64 + 1), "{r}");
    let mut events = handoff();
    let alloc = find(&events, "heap.alloc", "ok");
    *xi_mut(&mut events[alloc]) = XiEvent::Alloc { obj: obj0(1), refcnt: 2 };
    let r = rejected(&events);
    assert_eq!((r.rule, r.expected.as_str()), ("XI-3", "refcnt=1 after the step"), "{r}");
}

#[test]
fn an_object_freed_twice_is_rejected_as_xi_1() {
    let mut events = handoff();
    let last_free = events.iter().rposition(|e| e.op() == "refcount.decref").expect("a decref");
    events.insert(last_free + 1, xi("main", XiEvent::Decref { obj: obj0(1), refcnt: 0, freed: true }));
    let r = rejected(&trace(events));
    assert_eq!((r.rule, r.event.seq), ("XI-1", last_free as u64 + 2), "{r}");
    assert_eq!(r.expected, "no access to obj#0 of I1: it was freed", "{r}");
}

/// `xi::bug_receiver_decref_use_after_free`'s first step in the
/// production's words: the receiver decrefs the owner's object under its
/// own GIL.
#[test]
fn a_decref_outside_the_owners_gil_is_rejected_as_xi_2() {
    let mut events = handoff();
    let i = find(&events, "xi.release", "queued");
    events[i - 3..=i].iter_mut().for_each(skip);
    events.insert(i + 1, xi("receiver", XiEvent::Decref { obj: obj0(1), refcnt: 1, freed: false }));
    let r = rejected(&trace(events));
    assert_eq!((r.rule, r.event.seq), ("XI-2", i as u64 + 2), "{r}");
    assert_eq!(r.expected, "the thread attached to I1 (holding its GIL), not to interpreter 2", "{r}");
}

#[test]
fn pending_calls_run_what_was_queued_once_in_order() {
    // A run with nothing queued.
    let mut events = handoff();
    let push = find(&events, "pending.push", "ok");
    skip(&mut events[push]);
    let release = find(&events, "xi.release", "queued");
    skip(&mut events[release]);
    let r = rejected(&events);
    assert_eq!(r.rule, "XI-3", "{r}");
    assert!(r.expected.contains("a run of the 0 call(s) on I1's ring, not 1"), "{r}");
    // A run that says it ran more calls than it recorded.
    let mut events = handoff();
    let run = find(&events, "pending.run", "ran");
    *xi_mut(&mut events[run]) = XiEvent::RunDone { owner: 1, ran: 2, ring: ring(0) };
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("XI-3", run as u64 + 1), "{r}");
}

/// `xi::bug_pending_after_owner_gone` in the production's words: a release
/// queued on a ring teardown already closed.
#[test]
fn a_push_after_the_ring_closed_is_rejected_as_xi_3() {
    let mut events = vec![create(GuardPolicy::CPython)];
    events.extend(guarded_attach("main", I1, 1));
    events.extend(shared_by_main());
    events.extend(detach("main", I1, 0));
    events.push(at("finalizer", F::Requested { interp: 1, word: w(RUN, 0, REQ) }));
    events.push(at("finalizer", F::ThreadsWaited { interp: 1, daemons: 0 }));
    events.push(at("finalizer", F::AtExit { interp: 1, ran: 0, panicked: 0 }));
    events.push(at("finalizer", F::Began { interp: 1, word: w(FIN, 0, 0) }));
    events.push(at("finalizer", G::Acquired { interp: 1, gil: gil(1, true, 0) }));
    events.push(at("finalizer", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }));
    events.push(xi("finalizer", XiEvent::RingClosed { owner: 1, len: 0, closed: true }));
    let teardown = leaky_teardown();
    let mut good = events.clone();
    good.push(teardown.clone());
    good.push(at("receiver", Gd::Refused { interp: 1, word: w(FIN, 0, 0) }));
    good.push(xi("receiver", XiEvent::ReleaseOwnerGone { obj: obj0(1) }));
    allowed(&trace(good.clone()));
    // The teardown's facts: the heap empty, the ring empty and closed.
    let mut live = good.clone();
    let at = live.iter().position(|e| e.op() == "heap.teardown").expect("the teardown");
    *xi_mut(&mut live[at]) =
        XiEvent::Teardown { owner: 1, ran: 0, live: 1, allocated: 1, freed: 0, leaked: 1, refs: 1 };
    let r = rejected(&trace(live));
    assert_eq!((r.rule, r.expected.as_str()), ("XI-3", "no object of I1 live after its teardown (live=1)"), "{r}");
    let mut open = good;
    let at = open.iter().position(|e| e.op() == "pending.close").expect("the close");
    *xi_mut(&mut open[at]) = XiEvent::RingClosed { owner: 1, len: 0, closed: false };
    let r = rejected(&trace(open));
    assert_eq!((r.rule, r.expected.as_str()), ("XI-3", "I1's ring empty and closed (ring=closed), not ring=0 open"));
    let mut bad = events;
    bad.push(xi("receiver", XiEvent::Push { owner: 1, obj: obj0(1), ring: ring(1) }));
    bad.push(teardown);
    let r = rejected(&trace(bad));
    assert_eq!(r.rule, "XI-3", "{r}");
    assert_eq!(r.expected, "no push: teardown closed I1's ring (the call would never run)", "{r}");
}

/// A view keeps its reference until its close releases it in the owner;
/// teardown with a view open is XI-4.
#[test]
fn views_release_their_reference_and_hold_off_teardown() {
    let mut events = vec![
        create(GuardPolicy::CPython),
        at("main", In::Created { interp: 2, gil: GilMode::Own, policy: GuardPolicy::CPython, word: w(RUN, 0, 0) }),
    ];
    events.extend(guarded_attach("main", I1, 1));
    events.extend(shared_by_main());
    events.extend(detach("main", I1, 0));
    events.push(at("main", Gd::Granted { interp: 1, word: w(RUN, 1, 0) }));
    events.push(xi("main", XiEvent::ViewOpen { obj: obj0(1), views: 1 }));
    let opened = events.clone();
    events.extend(guarded_attach("viewer", I2, 1));
    events.push(xi("viewer", XiEvent::ViewClosing { obj: obj0(1), how: ViewClose::Explicit }));
    events.push(at("viewer", G::Released { interp: 2, gil: gil(2, false, 0) }));
    events.push(at("viewer", G::Acquired { interp: 1, gil: gil(1, true, 0) }));
    events.push(at("viewer", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }));
    let decref = xi("viewer", XiEvent::Decref { obj: obj0(1), refcnt: 0, freed: true });
    let closed = xi("viewer", XiEvent::ViewClosed { obj: obj0(1), views: 0, error: None });
    let mut good = events.clone();
    good.push(decref);
    good.push(closed.clone());
    allowed(&trace(good));
    // The close skips its decref: the view's reference is lost.
    let mut leaky = events;
    leaky.push(closed);
    let r = rejected(&trace(leaky));
    assert_eq!(r.rule, "XI-3", "{r}");
    assert!(r.expected.contains("the view's reference to obj#0 released in I1 before the close ends"), "{r}");
    // Teardown while the view is open (its guard released too early).
    let mut early = opened;
    early.push(at("main", Gd::Released { interp: 1, word: w(RUN, 0, 0) }));
    early.push(at("finalizer", F::Requested { interp: 1, word: w(RUN, 0, REQ) }));
    early.push(at("finalizer", F::ThreadsWaited { interp: 1, daemons: 0 }));
    early.push(at("finalizer", F::AtExit { interp: 1, ran: 0, panicked: 0 }));
    early.push(at("finalizer", F::Began { interp: 1, word: w(FIN, 0, 0) }));
    early.push(at("finalizer", G::Acquired { interp: 1, gil: gil(1, true, 0) }));
    early.push(at("finalizer", Ts::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }));
    early.push(xi("finalizer", XiEvent::RingClosed { owner: 1, len: 0, closed: true }));
    early.push(leaky_teardown());
    let r = rejected(&trace(early));
    assert_eq!((r.rule, r.expected.as_str()), ("XI-4", "no view open on I1 at teardown: 1 are"), "{r}");
}

#[test]
fn a_share_without_its_incref_is_rejected_as_xi_3() {
    let mut events = handoff();
    let incref = find(&events, "refcount.incref", "ok");
    events.remove(incref);
    let share = find(&events, "xi.share", "ok");
    *xi_mut(&mut events[share]) = XiEvent::Share { obj: obj0(1), refcnt: 1 };
    let r = rejected(&trace(events));
    assert_eq!((r.rule, r.event.seq), ("XI-3", share as u64 + 1), "{r}");
    assert!(
        r.expected.contains("the share's own reference: the incref of obj#0 in I1 (refcnt=1) just before it"),
        "{r}"
    );
}

/// A push takes effect under the ring's lock and is recorded after it:
/// a run that took the call may be recorded first.
#[test]
fn a_push_recorded_after_the_run_that_took_it_is_allowed() {
    let events = handoff();
    let push = find(&events, "pending.push", "ok");
    let run = find(&events, "pending.run", "ran");
    let mut late = events.clone();
    let moved = late.remove(push);
    // The receiver recorded nothing else before its push: move its whole
    // tail after the run's events.
    let receiver_tail: Vec<Event> =
        late.iter().filter(|e| e.thread == "receiver" && e.seq > moved.seq).cloned().collect();
    late.retain(|e| !(e.thread == "receiver" && e.seq > moved.seq));
    let at = late.iter().position(|e| e.seq == events[run].seq).expect("the run") + 1;
    late.insert(at, moved);
    for (k, e) in receiver_tail.into_iter().enumerate() {
        late.insert(at + 1 + k, e);
    }
    let verdict = validate(&trace(late));
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: true }), "{verdict:?}");
}

/// With the `trace` feature the production records real traces: a
/// sequential program over channels, queues and cross-interpreter data is
/// allowed, and every one of its events is covered.
#[test]
fn production_channel_and_xi_traces_are_allowed() {
    use std::time::Duration;
    use xinterp::channel::{self, Ends, MaxSize, Nowait, Queue, SendOptions, UnboundPolicy};
    if !crate::trace::ENABLED {
        return;
    }
    let session = crate::trace::session::Session::new();
    {
        let _entered = crate::trace::session::enter(Some(session.clone()));
        let runtime = xinterp::Runtime::new();
        let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
        let ms = Duration::from_millis(1);
        let (rx, tx) =
            runtime.main().guard().unwrap().with_gil(|py| channel::create::<u32>(py, UnboundPolicy::Replace));
        a.guard().unwrap().with_gil(|py| {
            tx.send(py, 1, Nowait).unwrap();
            tx.send(py, 2, SendOptions::new(Nowait).unbound(UnboundPolicy::Remove)).unwrap();
            tx.send(py, 3, SendOptions::new(Nowait).unbound(UnboundPolicy::Error)).unwrap();
            assert!(tx.send(py, 4, ms).is_err(), "nobody receives: withdrawn");
        });
        b.guard().unwrap().with_gil(|py| {
            assert_eq!(rx.recv(py, Nowait), Ok(channel::Received::Item(1)));
            assert!(!rx.is_released(py));
        });
        let (rx2, tx2) =
            runtime.main().guard().unwrap().with_gil(|py| channel::create::<u32>(py, UnboundPolicy::Error));
        b.guard().unwrap().with_gil(|py| {
            tx2.send(py, 5, Nowait).unwrap();
            assert!(rx2.recv(py, ms).is_ok());
            assert!(rx2.recv(py, ms).is_err(), "empty: times out");
            tx2.send(py, 6, Nowait).unwrap();
            tx2.send(py, 7, Nowait).unwrap();
        });
        assert!(rx2.close_ends(Ends::Both, false).is_err(), "not empty");
        assert_eq!(tx2.close(false), Ok(()), "closing");
        b.guard().unwrap().with_gil(|py| {
            assert!(tx2.send(py, 8, Nowait).is_err(), "closing");
            assert!(rx2.recv(py, Nowait).is_ok());
            assert!(rx2.recv(py, Nowait).is_ok(), "drains and closes");
            assert!(rx2.recv(py, Nowait).is_err(), "closed");
            assert!(tx2.release(py).is_err(), "closed");
        });
        let queue = runtime
            .main()
            .guard()
            .unwrap()
            .with_gil(|py| Queue::<u32>::create(py, MaxSize::python(1), UnboundPolicy::Remove));
        a.guard().unwrap().with_gil(|py| {
            queue.put(py, 1, Nowait).unwrap();
            assert!(queue.put(py, 2, ms).is_err(), "full at the deadline");
            assert!(queue.get(py, Nowait).is_ok());
            assert!(queue.get(py, ms).is_err(), "empty");
        });
        // Cross-interpreter data: a direct release, a pending one run at
        // the owner's next attach, a view, and a leak reported at teardown.
        let (data, kept) = a.guard().unwrap().with_gil(|py| {
            let obj = py.new_bytes(*b"spam").unwrap();
            let int = py.new_int(7).unwrap();
            let by_value = py.share(int).unwrap();
            let datas = [py.share(obj).unwrap(), py.share(obj).unwrap(), py.share(obj).unwrap()];
            py.decref(obj).unwrap();
            drop(by_value);
            (datas, py.share(int).unwrap())
        });
        let [direct, pending, viewed] = data;
        b.guard().unwrap().with_gil(|py| {
            let copy = pending.new_object(py).unwrap();
            assert_eq!(pending.release().unwrap(), xinterp::xi::Released::Pending);
            py.decref(copy).unwrap();
        });
        a.guard().unwrap().with_gil(|_| assert_eq!(direct.release().unwrap(), xinterp::xi::Released::Direct));
        let view = viewed.into_view().unwrap();
        b.guard().unwrap().with_gil(|_| view.close().unwrap());
        drop(kept);
        // A leaked reference: a's int stays referenced; destroying `a`
        // unbinds its channel items too.
        a.destroy().unwrap();
        b.guard().unwrap().with_gil(|py| {
            let got = rx.recv(py, Nowait);
            assert!(matches!(got, Err(channel::RecvError::ItemInterpreterDestroyed(_))), "{got:?}");
        });
        drop((rx, tx, rx2, tx2, queue));
        runtime.finalize().unwrap();
    }
    let events = session.trace().events;
    let verdict = validate(&events);
    assert!(
        matches!(verdict.outcome, Outcome::Allowed { .. }),
        "{verdict:?}\n{}",
        crate::trace::render::text(&session.trace())
    );
    assert!(verdict.uncovered.is_empty(), "{:?}", verdict.uncovered);
    if std::env::var_os("XINTERP_SHOW").is_some() {
        println!("{}", crate::trace::render::text(&session.trace()));
    }
    for op in ["channel.unbound", "channel.close", "queue.put", "pending.run", "xiview.close", "heap.teardown"] {
        assert!(events.iter().any(|e| e.op() == op), "no {op} recorded");
    }
}

/// Objects through a channel (`send_object` / `recv_object`): the channel
/// carries XiData, and a receive that finds the owner's ring full releases
/// the data by switching to the owner's GIL. The production trace is
/// allowed, every event covered.
#[test]
fn production_object_channel_traces_are_allowed() {
    use xinterp::channel::{self, Forever, Nowait, UnboundPolicy};
    use xinterp::xi::{Released, XiData};
    if !crate::trace::ENABLED {
        return;
    }
    let session = crate::trace::session::Session::new();
    {
        let _entered = crate::trace::session::enter(Some(session.clone()));
        let runtime = xinterp::Runtime::new();
        let a = runtime.create_with(xinterp::Config::isolated().with_pending_calls(1)).unwrap();
        let b = runtime.create().unwrap();
        let (rx, tx) = a.guard().unwrap().with_gil(|py| channel::create::<XiData>(py, UnboundPolicy::Replace));
        let filler = a.guard().unwrap().with_gil(|py| {
            let obj = py.new_bytes(*b"full").unwrap();
            tx.send_object(py, obj, Nowait).unwrap();
            py.decref(obj).unwrap();
            let other = py.new_bytes(*b"filler").unwrap();
            let data = py.share(other).unwrap();
            py.decref(other).unwrap();
            data
        });
        b.guard().unwrap().with_gil(|py| {
            assert_eq!(filler.release().unwrap(), Released::Pending);
            let copy = rx.recv_object(py, Forever).unwrap().into_item().unwrap();
            py.decref(copy).unwrap();
        });
        assert_eq!(runtime.xi_stats().switched_releases, 1, "the receive switched to a's GIL");
        drop((rx, tx));
        runtime.finalize().unwrap();
    }
    let events = session.trace().events;
    let verdict = validate(&events);
    assert!(
        matches!(verdict.outcome, Outcome::Allowed { .. }),
        "{verdict:?}\n{}",
        crate::trace::render::text(&session.trace())
    );
    assert!(verdict.uncovered.is_empty(), "{:?}", verdict.uncovered);
    assert!(events.iter().any(|e| e.outcome().to_string().contains("switching to its GIL to release directly")));
}

// ----------------------------------------------------------- transitions

fn names(verdict: &Verdict) -> Vec<String> {
    verdict.transitions.iter().map(|t| t.to_string()).collect()
}

/// An allowed verdict names the transitions its replay took, each once, in
/// the models' order.
#[test]
fn an_allowed_verdict_names_the_transitions_it_took() {
    let verdict = validate(&guard_vs_finalizer());
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: false }), "{verdict:?}");
    assert_eq!(
        names(&verdict),
        [
            "guard.acquire/granted",
            "guard.acquire/refused:finalized",
            "guard.release/last:finalizer-waiting",
            "finalize.request/ok",
            "finalize.threads/waited",
            "finalize.atexit/ran",
            "finalize.wait/blocked",
            "finalize.begin/ok",
            "finalize.teardown/ok",
            "finalize.done/subinterpreter",
            "interp.create/own-gil",
            "gil.acquire/ok",
            "gil.release/ok",
            "threadstate.ensure/create",
            "threadstate.release/deleted",
        ],
    );
    let rendezvous = validate(&rendezvous());
    assert_eq!(
        names(&rendezvous),
        [
            "channel.create/channel",
            "channel.send/blocked",
            "channel.send/delivered",
            "channel.recv/item",
            "channel.recv/blocked"
        ]
    );
    // A rejected trace names none.
    let mut late = guard_vs_finalizer();
    late.push(at("late", Gd::Granted { interp: 1, word: w(GONE, 1, 0) }));
    assert!(validate(&trace(late)).transitions.is_empty());
}

/// The refusal's reason is the model's when it counted the guard: the
/// drain refuses while the interpreter runs; CPython's policy admits a
/// guard while finalization is requested.
#[test]
fn a_refused_guards_transition_is_the_reason_the_model_refused_it() {
    let request = at("f", F::Requested { interp: 1, word: w(RUN, 1, REQ) });
    let drain = at("f", F::Drains { interp: 1, word: w(RUN, 1, REQ | DRAIN) });
    let held = at("a", Gd::Granted { interp: 1, word: w(RUN, 1, 0) });
    let refused = at("b", Gd::Refused { interp: 1, word: w(RUN, 1, REQ | DRAIN) });
    let draining = allowed(&trace(vec![create(GuardPolicy::Drain), held.clone(), request.clone(), drain, refused]));
    assert!(draining.transitions.contains(Transition::GuardRefusedDraining), "{:?}", names(&draining));
    let granted = at("b", Gd::Granted { interp: 1, word: w(RUN, 2, REQ) });
    let cpython = allowed(&trace(vec![create(GuardPolicy::CPython), held, request, granted]));
    assert!(cpython.transitions.contains(Transition::GuardGrantedWhileRequested), "{:?}", names(&cpython));
    assert!(!cpython.transitions.contains(Transition::GuardRefusedDraining));
}

/// The transitions are those of the order the replay accepted, not the
/// recorded one: the daemon's guard, recorded as `refused: finalized`, was
/// counted while the interpreter was Finalizing (its undo came after
/// `finalize.done`), and that is the transition the model took.
#[test]
fn the_transitions_are_the_accepted_orders() {
    let verdict = validate(&daemon_refused_around_finalize_done(w(GONE, 0, 0)));
    assert!(matches!(verdict.outcome, Outcome::Allowed { reordered: true }), "{verdict:?}");
    assert!(verdict.transitions.contains(Transition::GuardRefusedFinalizing), "{:?}", names(&verdict));
    assert!(!verdict.transitions.contains(Transition::GuardRefusedFinalized), "{:?}", names(&verdict));
}

/// A destroyed interpreter's items follow its policy; a surviving
/// interpreter's items queued beside them are kept as they were, which is
/// a transition of its own (`channel.unbound/others-kept`).
#[test]
fn an_unbound_clear_beside_a_survivors_items_is_its_own_transition() {
    let destroyed = |state| {
        chan(
            "finalizer",
            I1,
            ChannelOp::Unbound { destroyed: 1, replaced: 1, errored: 0, removed: 0, closed: false },
            state,
        )
    };
    let alone = allowed(&trace(vec![
        chan_create(),
        chan("b", I2, ChannelOp::RecvEmpty { waiting: false }, state(0, &[], &[2])),
        chan("a", I1, sent(1), state(1, &[1], &[2])),
        destroyed(state(1, &[], &[2])),
    ]));
    assert!(alone.transitions.contains(Transition::UnboundReplaced), "{:?}", names(&alone));
    assert!(!alone.transitions.contains(Transition::UnboundOthersKept), "{:?}", names(&alone));
    let beside = allowed(&trace(vec![
        chan_create(),
        chan("b", I2, ChannelOp::RecvEmpty { waiting: false }, state(0, &[], &[2])),
        chan("a", I1, sent(1), state(1, &[1], &[2])),
        chan("b", I2, sent(2), state(2, &[1, 2], &[2])),
        destroyed(state(2, &[2], &[2])),
        chan("b", I2, ChannelOp::Received { seq: 1, sender: 1, receipt: Receipt::Unbound }, state(1, &[2], &[2])),
        chan("b", I2, received(2, 2), state(0, &[2], &[2])),
    ]));
    let want = [Transition::UnboundReplaced, Transition::UnboundOthersKept, Transition::ReceivedUnbound];
    for t in want {
        assert!(beside.transitions.contains(t), "{t} not in {:?}", names(&beside));
    }
}
