//! Random sequential programs run against the production lifecycle and the
//! reference model (`xinterp-check/src/spec/lifecycle.rs`), comparing every result and
//! the observable state after every operation.
//!
//! One thread (the test's) creates interpreters with random configs (valid
//! and not), takes and drops guards (borrowed, owned, from views), ensures
//! and releases thread states (from views, in and out of order, and around
//! `allow_threads`), runs code in interpreters (with a few operations
//! inside), registers at-exit callbacks, starts and joins interpreter
//! threads, destroys and finalizes. After each operation it compares, for
//! every interpreter created: its phase, `is_running`, what a view's
//! promotion would get, whether `get` finds it; and `list_all`, the current
//! interpreter, whether the runtime is finalized, and the at-exit callbacks
//! that ran.
//!
//! Nothing may block forever on one thread: a finalization that would wait
//! for a guard this thread holds runs with a short timeout and its
//! `GuardsOutstanding` is compared; `finalize()`, `Runtime::finalize` and
//! `destroy` (no deadline) are only generated when the model says they
//! would not wait (the same check guards them while shrinking).
//!
//! With the `trace` feature, each case's recorded trace is also replayed on
//! the model (`xinterp_check::spec::validate`): it shows what results cannot
//! (which of ensure's cases ran, whether a thread state was deleted).
//!
//! 4,096 cases of 1 to 49 operations, a few seconds in the test profile
//! (`PROPTEST_CASES` overrides the count). `XINTERP_SM_LOG=1` prints each
//! operation's outcome (with `--nocapture`), to see what the cases cover.
#![cfg(not(any(loom, shuttle)))]
// proptest's `prop_oneof!` expands to `std::sync::Arc`; this file drives
// the production from one thread and is not protocol code.
#![allow(clippy::disallowed_types)]

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use xinterp::sync::atomic::{AtomicBool, Ordering};
use xinterp::sync::{Arc, Mutex};
use xinterp::thread_state::{self, Token};
use xinterp::{
    Config, CreateError, DestroyError, FinalizeError, GilMode, GuardError, GuardPolicy, Interpreter, NotFound,
    OwnedGuard, ReleaseError, RunError, Runtime, SpawnError, ThreadKind,
};
use xinterp_check::spec::lifecycle::{AtExitRun, Lifecycle, SpawnOutcome, ThreadKey, TokenHandle, MAIN};
use xinterp_check::spec::validate::validate;
use xinterp_check::trace::session::{self, Session};

/// The test's thread, as the model names it.
const T: ThreadKey = ThreadKey(0);

/// The deadline of a finalization that must give up.
const SHORT: Duration = Duration::from_millis(1);

/// What the code given to `run` does inside the interpreter.
#[derive(Clone, Debug)]
enum Inside {
    CurrentId,
    IsRunning(u64),
    /// `run` another interpreter (or the same: `AlreadyRunning`), whose
    /// code reports the current interpreter.
    NestedRun(u64),
    DestroySelf,
    FinalizeSelf,
    GuardSelf,
    Panic,
}

#[derive(Clone, Debug)]
enum Op {
    Create(Config),
    Get(u64),
    ListAll,
    Current,
    /// An owned guard, kept: from the handle or from a view.
    Guard {
        interp: u64,
        via_view: bool,
    },
    DropGuard(usize),
    /// A borrowed guard and `with_gil` around reading the current interpreter.
    GuardScoped(u64),
    /// `ensure_from_view`, the token kept.
    Ensure(u64),
    /// `Token::release` (explicit) or dropping it.
    ReleaseToken {
        index: usize,
        explicit: bool,
    },
    /// `allow_threads` on a kept token's proof, optionally with a scoped
    /// `ensure_from_view` + release inside.
    AllowThreads {
        token: usize,
        inner: Option<u64>,
    },
    Run {
        interp: u64,
        inside: Vec<Inside>,
    },
    Destroy {
        interp: u64,
        by_id: bool,
    },
    /// `finalize_timeout(SHORT)`, or `finalize()` when it would not wait.
    Finalize {
        interp: u64,
        timeout: bool,
    },
    RuntimeFinalize,
    AtExit(u64),
    Spawn {
        interp: u64,
        kind: ThreadKind,
        attach: bool,
    },
}

/// A finalize error with what the model can know (sites are the caller's
/// locations: the model knows only whether they are tracked).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fin {
    AlreadyFinalizing,
    CurrentThreadAttached,
    GuardsOutstanding {
        interp: u64,
        guards: usize,
        tracked: bool,
    },
    ThreadsOutstanding(usize),
    /// Finalized, with the subinterpreters it could not finalize (and
    /// why), and how many at-exit callbacks panicked.
    Faulted {
        subinterpreters: Vec<(u64, Fin)>,
        at_exit_panicked: usize,
    },
}

/// [`fin`] for the production's errors, whose tracked sites (the model
/// does not know them) must account for every outstanding guard.
fn fin_sut(e: &FinalizeError) -> Fin {
    if let FinalizeError::GuardsOutstanding(o) = e {
        if let Some(sites) = &o.sites {
            assert_eq!(sites.iter().map(|s| s.held).sum::<usize>(), o.guards, "tracked sites count every guard");
        }
    }
    if let FinalizeError::Faulted(faults) = e {
        faults.subinterpreters.iter().for_each(|(_, e)| drop(fin_sut(e)));
    }
    fin(e)
}

fn fin(e: &FinalizeError) -> Fin {
    match e {
        FinalizeError::AlreadyFinalizing => Fin::AlreadyFinalizing,
        FinalizeError::CurrentThreadAttached => Fin::CurrentThreadAttached,
        FinalizeError::GuardsOutstanding(o) => {
            Fin::GuardsOutstanding { interp: o.interpreter.get(), guards: o.guards, tracked: o.sites.is_some() }
        }
        FinalizeError::ThreadsOutstanding { threads } => Fin::ThreadsOutstanding(*threads),
        FinalizeError::Faulted(faults) => Fin::Faulted {
            subinterpreters: faults.subinterpreters.iter().map(|(i, e)| (i.get(), fin(e))).collect(),
            at_exit_panicked: faults.at_exit_panicked,
        },
        other => panic!("a finalize error the reference model has no outcome for: {other:?}"),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Destroyed {
    NotFound(u64),
    Running(u64),
    Current(u64),
    Main(u64),
    Finalize(Fin),
}

fn destroyed(e: &DestroyError) -> Destroyed {
    match e {
        DestroyError::NotFound(i) => Destroyed::NotFound(i.get()),
        DestroyError::Running(i) => Destroyed::Running(i.get()),
        DestroyError::Current(i) => Destroyed::Current(i.get()),
        DestroyError::Main(i) => Destroyed::Main(i.get()),
        DestroyError::Finalize(f) => Destroyed::Finalize(fin(f)),
        other => panic!("a destroy error the reference model has no outcome for: {other:?}"),
    }
}

/// What an operation inside `run` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum InsideResult {
    Current(Option<u64>),
    IsRunning(bool),
    Nested(Result<Option<u64>, RunError>),
    Destroy(Result<(), Destroyed>),
    Finalize(Result<(), Fin>),
    Guard(Result<(), GuardError>),
}

/// An ensure inside `allow_threads`: the current interpreter after it, its
/// release's result, the current interpreter after that.
type InnerEnsure = (Option<u64>, Result<(), ReleaseError>, Option<u64>);

/// What an operation returned, in the model's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Create(Result<u64, CreateError>),
    Get(Result<u64, NotFound>),
    List(Vec<u64>),
    Current(Option<u64>),
    Guard(Result<(), GuardError>),
    Done,
    Scoped(Result<Option<u64>, GuardError>),
    Ensure(Result<(), GuardError>),
    Release(Result<(), ReleaseError>),
    /// The current interpreter inside `allow_threads`, and the inner
    /// ensure's (current after ensure, release result, current after release).
    AllowThreads(Option<u64>, Option<Result<InnerEnsure, GuardError>>),
    Run(Result<Vec<InsideResult>, RunError>),
    Destroy(Result<(), Destroyed>),
    Finalize(Result<(), Fin>),
    AtExit(Result<(), GuardError>),
    Spawn(Result<SpawnOutcome, SpawnError>),
}

/// The reference: the model, and what the test holds.
#[derive(Clone, Debug)]
struct Reference {
    main_config: Config,
    spec: Lifecycle,
    /// Every interpreter created, main first.
    ids: Vec<u64>,
    /// The interpreter of each owned guard the test holds.
    guards: Vec<u64>,
    /// Each token the test holds, with its interpreter.
    tokens: Vec<(TokenHandle, u64)>,
    next_callback: u32,
    /// The model's result of the last operation.
    last: Option<Outcome>,
}

fn config_strategy() -> impl Strategy<Value = Config> {
    let policy = prop_oneof![Just(GuardPolicy::CPython), Just(GuardPolicy::Drain)];
    let valid = (any::<bool>(), policy.clone(), any::<bool>(), 0..3_u8).prop_map(|(legacy, policy, track, threads)| {
        let base = if legacy { Config::legacy() } else { Config::isolated() };
        let base = match threads {
            0 => base.with_threads(false).with_daemon_threads(false),
            1 => base.with_threads(true).with_daemon_threads(false),
            _ => base.with_threads(true).with_daemon_threads(true),
        };
        base.with_guard_policy(policy).with_track_guards(track)
    });
    let any_fields = (any::<[bool; 6]>(), policy).prop_map(|(b, policy)| Config {
        gil: if b[0] { GilMode::Own } else { GilMode::Shared },
        use_main_obmalloc: b[1],
        check_multi_interp_extensions: b[2],
        allow_threads: b[3],
        allow_daemon_threads: b[4],
        allow_fork: false,
        allow_exec: false,
        guard_policy: policy,
        track_guards: b[5],
        pending_calls: Config::isolated().pending_calls,
        channel_spin: true,
    });
    prop_oneof![3 => valid, 1 => any_fields]
}

fn inside_strategy(ids: Vec<u64>) -> impl Strategy<Value = Inside> {
    let id = prop::sample::select(ids);
    prop_oneof![
        Just(Inside::CurrentId),
        id.clone().prop_map(Inside::IsRunning),
        id.prop_map(Inside::NestedRun),
        Just(Inside::DestroySelf),
        Just(Inside::FinalizeSelf),
        Just(Inside::GuardSelf),
        Just(Inside::Panic),
    ]
}

struct LifecycleMachine;

/// Whether a destroy returns (is refused, or finalizes without waiting):
/// it has no deadline.
fn destroy_returns(state: &Reference, interp: u64, by_id: bool) -> bool {
    (by_id && state.spec.get(interp).is_err()) || !state.spec.destroy_would_wait(T, interp)
}

impl ReferenceStateMachine for LifecycleMachine {
    type State = Reference;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Reference> {
        config_strategy()
            .prop_filter_map("the main interpreter's config must be valid", |config| {
                let spec = Lifecycle::with_main(&config).ok()?;
                Some(Reference {
                    main_config: config,
                    spec,
                    ids: vec![MAIN],
                    guards: Vec::new(),
                    tokens: Vec::new(),
                    next_callback: 0,
                    last: None,
                })
            })
            .boxed()
    }

    fn transitions(state: &Reference) -> BoxedStrategy<Op> {
        let id = prop::sample::select(state.ids.clone());
        let guards = state.guards.len();
        let tokens = state.tokens.len();
        let finalize_ids: Vec<(u64, bool)> =
            state.ids.iter().map(|i| (*i, !state.spec.finalize_would_wait(T, *i))).collect();
        let kind = prop_oneof![Just(ThreadKind::NonDaemon), Just(ThreadKind::Daemon)];
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (3, config_strategy().prop_map(Op::Create).boxed()),
            (1, id.clone().prop_map(Op::Get).boxed()),
            (1, Just(Op::ListAll).boxed()),
            (1, Just(Op::Current).boxed()),
            (4, (id.clone(), any::<bool>()).prop_map(|(interp, via_view)| Op::Guard { interp, via_view }).boxed()),
            (2, id.clone().prop_map(Op::GuardScoped).boxed()),
            (4, id.clone().prop_map(Op::Ensure).boxed()),
            (
                3,
                (id.clone(), prop::collection::vec(inside_strategy(state.ids.clone()), 0..4))
                    .prop_map(|(interp, inside)| Op::Run { interp, inside })
                    .boxed(),
            ),
            (
                3,
                prop::sample::select(finalize_ids)
                    .prop_flat_map(|(interp, may_wait_forever)| {
                        // Only a finalization that would not wait may do so without a deadline.
                        let timeout = if may_wait_forever { any::<bool>().boxed() } else { Just(true).boxed() };
                        timeout.prop_map(move |timeout| Op::Finalize { interp, timeout })
                    })
                    .boxed(),
            ),
            (2, id.clone().prop_map(Op::AtExit).boxed()),
            (
                2,
                (id.clone(), kind, any::<bool>())
                    .prop_map(|(interp, kind, attach)| Op::Spawn { interp, kind, attach })
                    .boxed(),
            ),
        ];
        let destroyable: Vec<Op> = state
            .ids
            .iter()
            .flat_map(|i| [(*i, false), (*i, true)])
            .filter(|(i, by_id)| destroy_returns(state, *i, *by_id))
            .map(|(interp, by_id)| Op::Destroy { interp, by_id })
            .collect();
        if !destroyable.is_empty() {
            ops.push((1, prop::sample::select(destroyable).boxed()));
        }
        if !state.spec.finalize_would_wait(T, MAIN) {
            ops.push((1, Just(Op::RuntimeFinalize).boxed()));
        }
        if guards > 0 {
            ops.push((3, (0..guards).prop_map(Op::DropGuard).boxed()));
        }
        if tokens > 0 {
            ops.push((
                4,
                (0..tokens, any::<bool>()).prop_map(|(index, explicit)| Op::ReleaseToken { index, explicit }).boxed(),
            ));
            ops.push((
                2,
                (0..tokens, prop::option::of(id)).prop_map(|(token, inner)| Op::AllowThreads { token, inner }).boxed(),
            ));
        }
        prop::strategy::Union::new_weighted(ops).boxed()
    }

    fn preconditions(state: &Reference, op: &Op) -> bool {
        let known = |i: &u64| state.ids.contains(i);
        match op {
            Op::Get(i) | Op::GuardScoped(i) | Op::Ensure(i) | Op::AtExit(i) => known(i),
            Op::Guard { interp, .. } | Op::Spawn { interp, .. } => known(interp),
            Op::Run { interp, inside } => {
                known(interp)
                    && inside.iter().all(|x| match x {
                        Inside::IsRunning(j) | Inside::NestedRun(j) => known(j),
                        _ => true,
                    })
            }
            Op::DropGuard(k) => *k < state.guards.len(),
            Op::ReleaseToken { index, .. } => *index < state.tokens.len(),
            Op::AllowThreads { token, inner } => *token < state.tokens.len() && inner.as_ref().is_none_or(known),
            Op::Destroy { interp, by_id } => known(interp) && destroy_returns(state, *interp, *by_id),
            Op::Finalize { interp, timeout } => {
                known(interp) && (*timeout || !state.spec.finalize_would_wait(T, *interp))
            }
            Op::RuntimeFinalize => !state.spec.finalize_would_wait(T, MAIN),
            Op::Create(_) | Op::ListAll | Op::Current => true,
        }
    }

    fn apply(mut state: Reference, op: &Op) -> Reference {
        let spec = &mut state.spec;
        let outcome = match op {
            Op::Create(config) => {
                let created = spec.create(config).map(|i| i.get());
                if let Ok(i) = created {
                    state.ids.push(i);
                }
                Outcome::Create(created)
            }
            Op::Get(i) => Outcome::Get(spec.get(*i).map(|i| i.get())),
            Op::ListAll => Outcome::List(spec.list_all()),
            Op::Current => Outcome::Current(spec.current(T)),
            Op::Guard { interp, .. } => {
                let taken = spec.take_guard(*interp);
                if taken.is_ok() {
                    state.guards.push(*interp);
                }
                Outcome::Guard(taken)
            }
            Op::DropGuard(k) => {
                let interp = state.guards.remove(*k);
                spec.drop_guard(interp);
                Outcome::Done
            }
            Op::GuardScoped(interp) => Outcome::Scoped(spec.take_guard(*interp).map(|()| {
                let token = spec.ensure(T, *interp);
                let current = spec.current(T);
                let _ = spec.release_token(T, token, false);
                spec.drop_guard(*interp);
                current
            })),
            Op::Ensure(interp) => {
                let ensured = spec.ensure_from_view(T, *interp);
                if let Ok(token) = ensured {
                    state.tokens.push((token, *interp));
                }
                Outcome::Ensure(ensured.map(drop))
            }
            Op::ReleaseToken { index, explicit } => {
                let (token, _) = state.tokens.remove(*index);
                Outcome::Release(spec.release_token(T, token, *explicit))
            }
            Op::AllowThreads { token, inner } => {
                let interp = state.tokens[*token].1;
                let (inside, inner) = spec.allow_threads(T, interp, |m| {
                    let inside = m.current(T);
                    let inner = inner.map(|j| {
                        m.ensure_from_view(T, j).map(|token| {
                            let attached = m.current(T);
                            let released = m.release_token(T, token, true);
                            (attached, released, m.current(T))
                        })
                    });
                    (inside, inner)
                });
                Outcome::AllowThreads(inside, inner)
            }
            Op::Run { interp, inside } => {
                let me = *interp;
                Outcome::Run(spec.run(T, me, |m| {
                    let mut results = Vec::new();
                    for step in inside {
                        results.push(match step {
                            Inside::CurrentId => InsideResult::Current(m.current(T)),
                            Inside::IsRunning(j) => InsideResult::IsRunning(m.is_running(*j)),
                            Inside::NestedRun(j) => InsideResult::Nested(m.run(T, *j, |m| Ok(m.current(T)))),
                            Inside::DestroySelf => InsideResult::Destroy(m.destroy(T, me).map_err(|e| destroyed(&e))),
                            Inside::FinalizeSelf => InsideResult::Finalize(m.finalize(T, me).map_err(|e| fin(&e))),
                            Inside::GuardSelf => InsideResult::Guard(m.take_guard(me).map(|()| m.drop_guard(me))),
                            Inside::Panic => return Err("boom".to_owned()),
                        });
                    }
                    Ok(results)
                }))
            }
            Op::Destroy { interp, by_id } => {
                let result = if *by_id { spec.destroy_by_id(T, *interp) } else { spec.destroy(T, *interp) };
                Outcome::Destroy(result.map_err(|e| destroyed(&e)))
            }
            Op::Finalize { interp, .. } => Outcome::Finalize(spec.finalize(T, *interp).map_err(|e| fin(&e))),
            Op::RuntimeFinalize => Outcome::Finalize(spec.finalize(T, MAIN).map_err(|e| fin(&e))),
            Op::AtExit(interp) => {
                let callback = state.next_callback;
                state.next_callback += 1;
                Outcome::AtExit(spec.at_exit(*interp, callback))
            }
            Op::Spawn { interp, kind, attach } => Outcome::Spawn(spec.spawn_thread(*interp, *kind, *attach)),
        };
        state.last = Some(outcome);
        state
    }
}

/// The production side.
struct Sut {
    runtime: Runtime,
    interps: BTreeMap<u64, Interpreter>,
    guards: Vec<OwnedGuard>,
    tokens: Vec<Token<'static>>,
    /// At-exit callbacks that ran, with the guard each took.
    at_exit_log: Arc<Mutex<Vec<AtExitRun>>>,
    /// Names each interpreter thread apart (a trace's thread is its name).
    workers: u32,
    /// With the `trace` feature: the case's trace session (validated at the
    /// end), left after everything else dropped.
    _entered: Option<xinterp::trace::Entered>,
}

impl Sut {
    /// Releases every token (innermost first, so none is deferred) and guard.
    fn release_all(&mut self) {
        while let Some(token) = self.tokens.pop() {
            drop(token);
        }
        self.guards.clear();
    }
}

impl Drop for Sut {
    fn drop(&mut self) {
        self.release_all();
    }
}

/// Joins `handle`, failing the test instead of hanging if the thread is
/// stuck (the model said it would not be).
fn join<T>(handle: xinterp::sync::thread::JoinHandle<T>) -> T {
    let started = Instant::now();
    while !handle.is_finished() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "an interpreter thread is stuck: the model said it would not be"
        );
        std::thread::sleep(Duration::from_micros(50));
    }
    handle.join().expect("interpreter threads do not panic")
}

fn run_inside(me: &Interpreter, handles: &BTreeMap<u64, Interpreter>, inside: &[Inside]) -> Vec<InsideResult> {
    let mut results = Vec::new();
    for step in inside {
        results.push(match step {
            Inside::CurrentId => InsideResult::Current(thread_state::current_id().map(|i| i.get())),
            Inside::IsRunning(j) => InsideResult::IsRunning(handles[j].is_running()),
            Inside::NestedRun(j) => {
                InsideResult::Nested(handles[j].run(|_| thread_state::current_id().map(|i| i.get())))
            }
            Inside::DestroySelf => InsideResult::Destroy(me.destroy().map_err(|e| destroyed(&e))),
            Inside::FinalizeSelf => InsideResult::Finalize(me.finalize_timeout(SHORT).map_err(|e| fin_sut(&e))),
            Inside::GuardSelf => InsideResult::Guard(me.guard().map(drop)),
            Inside::Panic => panic!("boom"),
        });
    }
    results
}

struct LifecycleTest;

impl StateMachineTest for LifecycleTest {
    type SystemUnderTest = Sut;
    type Reference = LifecycleMachine;

    fn init_test(reference: &Reference) -> Sut {
        quiet_boom();
        assert_eq!(thread_state::current_id(), None, "a previous case left this thread attached");
        let runtime = Runtime::with_main_config(reference.main_config).expect("the model accepted it");
        let interps = BTreeMap::from([(MAIN, runtime.main().clone())]);
        // With the `trace` feature, the case's trace is validated against
        // the model too: it sees what results cannot show (which ensure
        // case ran, whether a thread state was deleted).
        let entered = xinterp::trace::ENABLED.then(|| session::enter(Some(Session::new())));
        Sut {
            runtime,
            interps,
            guards: Vec::new(),
            tokens: Vec::new(),
            at_exit_log: Arc::new(Mutex::new(Vec::new())),
            workers: 0,
            _entered: entered,
        }
    }

    fn teardown(mut sut: Sut) {
        sut.release_all();
        let trace = session::with_current(|s| s.trace());
        drop(sut);
        if let Some(trace) = trace {
            let verdict = validate(&trace.events);
            if let Some(rejection) = verdict.rejection() {
                panic!("{rejection}\n{}", xinterp_check::trace::render::text(&trace));
            }
            assert!(
                !matches!(verdict.outcome, xinterp_check::spec::validate::Outcome::Undecided),
                "validation undecided"
            );
        }
    }

    fn apply(mut sut: Sut, reference: &Reference, op: Op) -> Sut {
        let handle = |i: u64| sut.interps[&i].clone();
        let actual = match op {
            Op::Create(config) => {
                let created = sut.runtime.create_with(config);
                let id = created.as_ref().map(|i| i.id().get()).map_err(|e| *e);
                if let Ok(interp) = created {
                    sut.interps.insert(interp.id().get(), interp);
                }
                Outcome::Create(id)
            }
            Op::Get(i) => Outcome::Get(sut.runtime.get(handle(i).id()).map(|i| i.id().get())),
            Op::ListAll => Outcome::List(sut.runtime.list_all().iter().map(|i| i.id().get()).collect()),
            Op::Current => {
                let current = sut.runtime.current().map(|i| i.id().get());
                assert_eq!(current, thread_state::current_id().map(|i| i.get()));
                Outcome::Current(current)
            }
            Op::Guard { interp, via_view } => {
                let interp = handle(interp);
                let guard = if via_view { interp.view().guard_owned() } else { interp.guard_owned() };
                let result = guard.as_ref().map(drop).map_err(|e| *e);
                sut.guards.extend(guard);
                Outcome::Guard(result)
            }
            Op::DropGuard(k) => {
                drop(sut.guards.remove(k));
                Outcome::Done
            }
            Op::GuardScoped(interp) => {
                let interp = handle(interp);
                Outcome::Scoped(interp.guard().map(|g| g.with_gil(|_| thread_state::current_id().map(|i| i.get()))))
            }
            Op::Ensure(interp) => {
                let ensured = thread_state::ensure_from_view(&handle(interp).view());
                let result = ensured.as_ref().map(drop).map_err(|e| *e);
                sut.tokens.extend(ensured);
                Outcome::Ensure(result)
            }
            Op::ReleaseToken { index, explicit } => {
                let token = sut.tokens.remove(index);
                Outcome::Release(if explicit {
                    token.release()
                } else {
                    drop(token);
                    Ok(())
                })
            }
            Op::AllowThreads { token, inner } => {
                let view = inner.map(|j| handle(j).view());
                let (inside, inner) = sut.tokens[token].attached().allow_threads(move || {
                    let current = || thread_state::current_id().map(|i| i.get());
                    let inside = current();
                    let inner = view.map(|view| {
                        thread_state::ensure_from_view(&view).map(|token| {
                            let attached = current();
                            let released = token.release();
                            (attached, released, current())
                        })
                    });
                    (inside, inner)
                });
                Outcome::AllowThreads(inside, inner)
            }
            Op::Run { interp, inside } => {
                let me = handle(interp);
                let handles = sut.interps.clone();
                Outcome::Run(me.run(|_| run_inside(&me, &handles, &inside)))
            }
            Op::Destroy { interp, by_id } => {
                let interp = handle(interp);
                let result = if by_id { sut.runtime.destroy(interp.id()) } else { interp.destroy() };
                Outcome::Destroy(result.map_err(|e| destroyed(&e)))
            }
            Op::Finalize { interp, timeout } => {
                let interp = handle(interp);
                let result = if timeout { interp.finalize_timeout(SHORT) } else { interp.finalize() };
                Outcome::Finalize(result.map_err(|e| fin_sut(&e)))
            }
            Op::RuntimeFinalize => Outcome::Finalize(sut.runtime.finalize().map_err(|e| fin_sut(&e))),
            Op::AtExit(interp) => {
                let callback = reference.next_callback - 1;
                let log = Arc::clone(&sut.at_exit_log);
                Outcome::AtExit(handle(interp).at_exit(move |py| {
                    assert!(py.check().is_ok(), "at-exit callbacks run attached");
                    // Finalization is requested: the policies differ here.
                    let guard = py.guard().map(drop);
                    log.lock().push(AtExitRun { interp: py.interpreter_id().get(), callback, guard });
                }))
            }
            Op::Spawn { interp, kind, .. } => {
                // Attach only where the model says it would not wait forever
                // for a GIL this thread holds.
                let attach = matches!(&reference.last, Some(Outcome::Spawn(Ok(o))) if o.attached.is_some());
                sut.workers += 1;
                let name = format!("worker-{}", sut.workers);
                let spawned = handle(interp)
                    .spawn_thread(kind, name, move |t| attach.then(|| t.attach(|py| py.interpreter_id())));
                Outcome::Spawn(spawned.map(|h| SpawnOutcome { attached: join(h) }))
            }
        };
        if std::env::var_os("XINTERP_SM_LOG").is_some() {
            eprintln!("OUTCOME {actual:?}");
        }
        assert_eq!(Some(&actual), reference.last.as_ref(), "the production's result differs from the model's");
        sut
    }

    fn check_invariants(sut: &Sut, reference: &Reference) {
        let spec = &reference.spec;
        for id in &reference.ids {
            let interp = &sut.interps[id];
            let what = format!("interpreter {id}");
            assert_eq!(interp.phase(), spec.phase(*id), "{what}: phase");
            assert_eq!(interp.is_running(), spec.is_running(*id), "{what}: is_running");
            assert_eq!(interp.view().guard().map(drop), spec.admission(*id), "{what}: a view's promotion");
            assert_eq!(sut.runtime.get(interp.id()).is_ok(), spec.get(*id).is_ok(), "{what}: get");
            assert_eq!(interp.threads_running(), (0, 0), "{what}: threads are joined");
        }
        let listed: Vec<u64> = sut.runtime.list_all().iter().map(|i| i.id().get()).collect();
        assert_eq!(listed, spec.list_all(), "list_all");
        assert_eq!(thread_state::current_id().map(|i| i.get()), spec.current(T), "the current interpreter");
        assert_eq!(sut.runtime.is_finalized(), spec.runtime_finalized(), "runtime finalized");
        assert_eq!(
            *sut.at_exit_log.lock(),
            spec.at_exit_log(),
            "at-exit callbacks: run newest first, and a guard in them"
        );
    }
}

/// The `run` cases panic on purpose ("boom"): keep them quiet.
fn quiet_boom() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"boom") {
            previous(info);
        }
    }));
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: 4096,
        max_shrink_iters: 4096,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn the_production_lifecycle_matches_the_reference_model(sequential 1..50 => LifecycleTest);
}
