//! The validator on hand-made traces: a correct one passes, and each broken
//! one is rejected at the right event with the right invariant.
use super::*;

fn ev(thread: &str, interp: Option<u64>, op: &'static str, outcome: &str, state: &str) -> Event {
    Event {
        seq: 0,
        thread: thread.to_owned(),
        interp,
        op: Cow::Borrowed(op),
        outcome: outcome.to_owned(),
        state: state.to_owned(),
    }
}

/// Numbers the events 1, 2, 3, ... as a session does.
fn trace(mut events: Vec<Event>) -> Vec<Event> {
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    events
}

const I1: Option<u64> = Some(1);

fn create(policy: &str) -> Event {
    ev("main", I1, "interp.create", &format!("ok: Own GIL, {policy} policy"), "phase=running guards=0")
}

/// `lifecycle::guard_vs_finalizer`'s witness execution: the holder attaches
/// under its guard, the finalizer waits for it, finalizes, and a late
/// promotion is refused.
fn guard_vs_finalizer() -> Vec<Event> {
    trace(vec![
        create("CPython"),
        ev("holder", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("holder", I1, "gil.acquire", "ok", "gil(I1)=held"),
        ev("holder", I1, "threadstate.ensure", "created a thread state (owned by ensure)", "count=1"),
        ev("finalizer", I1, "finalize.request", "ok", "phase=running guards=1 finalize-requested"),
        ev("finalizer", I1, "finalize.threads", "no non-daemon thread runs", "daemon=0"),
        ev("finalizer", I1, "finalize.atexit", "ran 0 callback(s)", ""),
        ev(
            "finalizer",
            I1,
            "finalize.wait",
            "blocked until no guard is held",
            "phase=running guards=1 finalize-requested finalizer-waiting",
        ),
        ev("holder", None, "witness", "guard_used", ""),
        ev("holder", I1, "gil.release", "ok", "gil(I1)=free"),
        ev("holder", I1, "threadstate.release", "deleted the thread state", "count=0"),
        ev("holder", I1, "guard.release", "ok", "phase=running guards=0 finalize-requested finalizer-waiting"),
        ev("finalizer", I1, "finalize.begin", "ok: no guard can be taken now", "phase=finalizing guards=0"),
        ev("finalizer", I1, "gil.acquire", "ok", "gil(I1)=held"),
        ev("finalizer", I1, "threadstate.ensure", "created a thread state (owned by ensure)", "count=1"),
        ev("finalizer", I1, "gil.release", "ok", "gil(I1)=free"),
        ev("finalizer", I1, "threadstate.release", "deleted the thread state", "count=0"),
        ev("finalizer", I1, "finalize.teardown", "values dropped: 1", "state=gone"),
        ev("finalizer", I1, "finalize.done", "ok", "phase=finalized guards=0"),
        ev("main", I1, "guard.acquire", "refused: finalized", "phase=finalized guards=0"),
    ])
}

#[track_caller]
fn rejected(events: &[Event]) -> Rejection {
    match validate(events).outcome {
        Outcome::Rejected(r) => r,
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
    let last = events.last_mut().unwrap();
    last.outcome = "ok".to_owned();
    last.state = "phase=finalized guards=1".to_owned();
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
        create("CPython"),
        ev("holder", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("finalizer", I1, "finalize.request", "ok", "phase=running guards=1 finalize-requested"),
        ev("finalizer", I1, "finalize.begin", "ok: no guard can be taken now", "phase=finalizing guards=0"),
        ev("finalizer", I1, "finalize.teardown", "values dropped: 0", "state=gone"),
        ev("holder", I1, "guard.release", "ok", "phase=finalizing guards=0"),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-2", 4), "{r}");
    assert!(r.expected.contains("1 guard(s) counted (1 held)"), "{r}");
}

#[test]
fn a_teardown_before_finalization_began_is_rejected_as_lc_2() {
    let events = trace(vec![
        create("CPython"),
        ev("holder", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("finalizer", I1, "finalize.request", "ok", "phase=running guards=1 finalize-requested"),
        ev("finalizer", I1, "finalize.teardown", "values dropped: 0", "state=gone"),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-2", 4), "{r}");
    assert!(r.expected.contains("after finalize.begin"), "{r}");
}

#[test]
fn two_gil_holders_are_rejected_as_gil_1() {
    let events = trace(vec![
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("b", I1, "guard.acquire", "ok", "phase=running guards=2"),
        ev("a", I1, "gil.acquire", "ok", "gil(I1)=held"),
        ev("b", I1, "gil.acquire", "ok", "gil(I1)=held"),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("GIL-1", 5), "{r}");
    assert!(r.expected.contains("GIL I1 to be free: thread 1 holds it"), "{r}");
    assert!(r.state.contains("GIL I1 held by thread 1"), "{r}");
}

#[test]
fn a_wrong_guard_count_is_rejected_as_lc_7() {
    let events = trace(vec![
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=3"),
    ]);
    let r = rejected(&events);
    assert_eq!((r.rule, r.event.seq), ("LC-7", 3), "{r}");
    assert!(r.expected.contains("the word phase=running guards=2"), "{r}");
}

#[test]
fn drain_refuses_guards_once_draining_and_cpython_admits_them() {
    let request = ev("f", I1, "finalize.request", "ok", "phase=running guards=1 finalize-requested");
    let drain = ev(
        "f",
        I1,
        "finalize.drain",
        "ok: no new guard is admitted",
        "phase=running guards=1 finalize-requested draining",
    );
    let late = |outcome: &str, guards, flags: &str| {
        ev("b", I1, "guard.acquire", outcome, &format!("phase=running guards={guards} finalize-requested{flags}"))
    };
    let held = ev("a", I1, "guard.acquire", "ok", "phase=running guards=1");
    // Between the request and the drain (threads, at-exit) guards are admitted.
    let before_drain = trace(vec![create("Drain"), held.clone(), request.clone(), late("ok", 2, "")]);
    assert!(matches!(validate(&before_drain).outcome, Outcome::Allowed { .. }));
    let drain_ok = trace(vec![
        create("Drain"),
        held.clone(),
        request.clone(),
        drain.clone(),
        late("refused: running", 1, " draining"),
    ]);
    assert!(matches!(validate(&drain_ok).outcome, Outcome::Allowed { .. }));
    let drain_bad =
        trace(vec![create("Drain"), held.clone(), request.clone(), drain.clone(), late("ok", 2, " draining")]);
    assert_eq!(rejected(&drain_bad).rule, "LC-1");
    let cpython_ok = trace(vec![create("CPython"), held.clone(), request.clone(), late("ok", 2, "")]);
    assert!(matches!(validate(&cpython_ok).outcome, Outcome::Allowed { .. }));
    let cpython_bad = trace(vec![create("CPython"), held.clone(), request.clone(), late("refused: running", 1, "")]);
    assert_eq!(rejected(&cpython_bad).rule, "LC-1");
    let cpython_drains = trace(vec![create("CPython"), held, request, drain]);
    assert_eq!(rejected(&cpython_drains).rule, "LC-1");
}

/// The main interpreter's policy is not recorded: a drain tells it, and
/// later decisions must agree.
#[test]
fn the_main_interpreters_policy_is_learned_from_its_drain() {
    let i0 = Some(0);
    let events = trace(vec![
        ev("a", i0, "guard.acquire", "ok", "phase=running guards=1"),
        ev("f", i0, "finalize.request", "ok", "phase=running guards=1 finalize-requested"),
        ev(
            "f",
            i0,
            "finalize.drain",
            "ok: no new guard is admitted",
            "phase=running guards=1 finalize-requested draining",
        ),
        ev("b", i0, "guard.acquire", "refused: running", "phase=running guards=1 finalize-requested draining"),
        ev("c", i0, "guard.acquire", "ok", "phase=running guards=2 finalize-requested draining"),
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
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("b", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("a", I1, "guard.release", "ok", "phase=running guards=0"),
    ]);
    assert!(matches!(validate(&events).outcome, Outcome::Allowed { reordered: true }));
    // But not an order the recording forbids: `a` recorded its release
    // before `b` acquired, so `b` must see `a`'s release.
    let forbidden = trace(vec![
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("a", I1, "guard.release", "ok", "phase=running guards=0"),
        ev("b", I1, "guard.acquire", "ok", "phase=running guards=2"),
    ]);
    let r = rejected(&forbidden);
    assert_eq!((r.rule, r.event.seq), ("LC-7", 4), "{r}");
}

/// A refused guard's transient count shows in another thread's word.
#[test]
fn a_refused_guards_transient_count_is_accepted() {
    let events = trace(vec![
        create("Drain"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("f", I1, "finalize.request", "ok", "phase=running guards=1 finalize-requested"),
        ev(
            "f",
            I1,
            "finalize.drain",
            "ok: no new guard is admitted",
            "phase=running guards=1 finalize-requested draining",
        ),
        ev("a", I1, "guard.release", "ok", "phase=running guards=1 finalize-requested draining"),
        ev("b", I1, "guard.acquire", "refused: running", "phase=running guards=0 finalize-requested draining"),
    ]);
    assert!(matches!(validate(&events).outcome, Outcome::Allowed { reordered: true }));
}

#[test]
fn thread_state_counts_and_order_are_checked() {
    let base = vec![
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("a", I1, "gil.acquire", "ok", "gil(I1)=held"),
        ev("a", I1, "threadstate.ensure", "created a thread state (owned by ensure)", "count=1"),
    ];
    let mut reuse_wrong_count = base.clone();
    reuse_wrong_count.push(ev("a", I1, "threadstate.ensure", "reused the attached thread state", "count=1"));
    let r = rejected(&trace(reuse_wrong_count));
    assert_eq!((r.rule, r.expected.as_str()), ("TS-2", "count=2 after the ensure"), "{r}");
    let mut created_again = base.clone();
    created_again.push(ev("a", I1, "threadstate.ensure", "created a thread state (owned by ensure)", "count=1"));
    assert_eq!(rejected(&trace(created_again)).rule, "TS-2");
    let mut kept_at_zero = base;
    kept_at_zero.push(ev("a", I1, "gil.release", "ok", "gil(I1)=free"));
    kept_at_zero.push(ev("a", I1, "threadstate.release", "ok", "count=0"));
    let r = rejected(&trace(kept_at_zero));
    assert_eq!((r.rule, r.expected.as_str()), ("TS-3", "count=0 and the thread state deleted"), "{r}");
}

#[test]
fn a_gil_released_by_another_thread_and_a_second_run_are_rejected() {
    let events = trace(vec![
        create("CPython"),
        ev("a", I1, "guard.acquire", "ok", "phase=running guards=1"),
        ev("a", I1, "gil.acquire", "ok", "gil(I1)=held"),
        ev("b", I1, "gil.release", "ok", "gil(I1)=free"),
    ]);
    assert_eq!(rejected(&events).rule, "GIL-1");
    let runs = trace(vec![
        create("CPython"),
        ev("a", I1, "interp.run", "started", "running=true"),
        ev("b", I1, "interp.run", "started", "running=true"),
    ]);
    let r = rejected(&runs);
    assert_eq!((r.rule, r.event.seq), ("RUN-1", 3), "{r}");
}

#[test]
fn an_attach_without_a_guard_is_rejected_as_lc_5() {
    let events = trace(vec![create("CPython"), ev("a", I1, "gil.acquire", "ok", "gil(I1)=held")]);
    assert_eq!(rejected(&events).rule, "LC-5");
}

#[test]
fn unknown_ops_are_skipped_and_unknown_outcomes_and_interpreters_are_not() {
    let events =
        trace(vec![create("CPython"), ev("a", I1, "channel.send", "ok", "len=1"), ev("a", None, "witness", "w", "")]);
    let verdict = validate(&events);
    assert!(matches!(verdict.outcome, Outcome::Allowed { .. }));
    assert_eq!((verdict.covered, verdict.uncovered.len()), (1, 2));
    let garbled = trace(vec![create("CPython"), ev("a", I1, "guard.acquire", "perhaps", "phase=running guards=1")]);
    assert_eq!(rejected(&garbled).rule, "TR-2");
    let stranger = trace(vec![ev("a", Some(7), "guard.acquire", "ok", "phase=running guards=1")]);
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
        let _entered = crate::trace::session::adopt(Some(session.clone()));
        let runtime = crate::Runtime::new();
        let sub = runtime.create_with(crate::Config::isolated().with_guard_policy(crate::GuardPolicy::Drain)).unwrap();
        let shared = runtime.create_with(crate::Config::legacy()).unwrap();
        let outer = sub.guard().unwrap();
        outer.with_gil(|py| {
            let _ = shared.run(|_| runtime.list_all().len());
            py.allow_threads(|| ());
        });
        let token = crate::thread_state::ensure_from_view(&shared.view()).unwrap();
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
