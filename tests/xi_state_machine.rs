//! The production cross-interpreter data implementation against the
//! sequential reference model `xinterp_check::spec::xi`, on random operation
//! sequences (proptest-state-machine): every result and every runtime
//! counter must match after every step.
#![cfg(not(any(loom, shuttle)))]

use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::time::Duration;
use xinterp::xi::{Obj, XiData, XiError, XiView};
use xinterp::{Config, FinalizeError, Interpreter, Runtime};
use xinterp_check::spec::xi::{Outcome, SpecError, XiSpec};

const INTERPS: usize = 3;
const CAPACITY: usize = 1;

#[derive(Clone, Debug)]
enum Op {
    Alloc {
        at: usize,
        bytes: bool,
        seed: u8,
    },
    Incref {
        at: usize,
        obj: usize,
    },
    Decref {
        at: usize,
        obj: usize,
    },
    Share {
        at: usize,
        obj: usize,
    },
    NewObject {
        at: usize,
        data: usize,
    },
    Release {
        at: Option<usize>,
        data: usize,
    },
    IntoView {
        data: usize,
    },
    CloseView {
        at: Option<usize>,
        view: usize,
    },
    Attach {
        at: usize,
    },
    Finalize {
        interp: usize,
    },
    /// Only the invariants (counters, rings): always possible.
    Look,
}

struct Machine;

fn alive(state: &XiSpec) -> Vec<usize> {
    (0..INTERPS).filter(|&i| state.interps[i].alive).collect()
}

impl ReferenceStateMachine for Machine {
    type State = XiSpec;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<XiSpec> {
        Just(XiSpec::new(INTERPS, CAPACITY)).boxed()
    }

    fn transitions(state: &XiSpec) -> BoxedStrategy<Op> {
        let alive = alive(state);
        let live_datas: Vec<usize> = (0..state.datas.len()).filter(|&d| state.datas[d].live).collect();
        let open_views: Vec<usize> = (0..state.views.len()).filter(|&v| state.views[v].1).collect();
        let mut choices: Vec<(u32, BoxedStrategy<Op>)> = Vec::new();
        let maybe_at = || -> BoxedStrategy<Option<usize>> {
            if alive.is_empty() {
                Just(None).boxed()
            } else {
                proptest::option::of(proptest::sample::select(alive.clone())).boxed()
            }
        };
        if !alive.is_empty() {
            let at = proptest::sample::select(alive.clone());
            choices.push((
                3,
                (at.clone(), any::<bool>(), any::<u8>())
                    .prop_map(|(at, bytes, seed)| Op::Alloc { at, bytes, seed })
                    .boxed(),
            ));
            if !state.objects.is_empty() {
                let objs = 0..state.objects.len();
                choices.push((2, (at.clone(), objs.clone()).prop_map(|(at, obj)| Op::Incref { at, obj }).boxed()));
                choices.push((3, (at.clone(), objs.clone()).prop_map(|(at, obj)| Op::Decref { at, obj }).boxed()));
                choices.push((3, (at.clone(), objs).prop_map(|(at, obj)| Op::Share { at, obj }).boxed()));
            }
            if !live_datas.is_empty() {
                let data = proptest::sample::select(live_datas.clone());
                choices.push((1, (at.clone(), data).prop_map(|(at, data)| Op::NewObject { at, data }).boxed()));
            }
            choices.push((2, at.prop_map(|at| Op::Attach { at }).boxed()));
            choices
                .push((1, proptest::sample::select(alive.clone()).prop_map(|interp| Op::Finalize { interp }).boxed()));
        }
        if !live_datas.is_empty() {
            let data = proptest::sample::select(live_datas.clone());
            choices.push((3, (maybe_at(), data.clone()).prop_map(|(at, data)| Op::Release { at, data }).boxed()));
            choices.push((2, data.prop_map(|data| Op::IntoView { data }).boxed()));
        }
        if !open_views.is_empty() {
            let view = proptest::sample::select(open_views);
            choices.push((2, (maybe_at(), view).prop_map(|(at, view)| Op::CloseView { at, view }).boxed()));
        }
        choices.push((1, Just(Op::Look).boxed()));
        proptest::strategy::Union::new_weighted(choices).boxed()
    }

    fn preconditions(state: &XiSpec, op: &Op) -> bool {
        let alive = |i: &usize| state.interps[*i].alive;
        match op {
            Op::Alloc { at, .. } | Op::Attach { at } => alive(at),
            Op::Incref { at, obj } | Op::Decref { at, obj } | Op::Share { at, obj } => {
                alive(at) && *obj < state.objects.len()
            }
            Op::NewObject { at, data } => alive(at) && state.datas.get(*data).is_some_and(|d| d.live),
            Op::Release { at, data } => at.as_ref().is_none_or(alive) && state.datas.get(*data).is_some_and(|d| d.live),
            Op::IntoView { data } => state.datas.get(*data).is_some_and(|d| d.live),
            Op::CloseView { at, view } => at.as_ref().is_none_or(alive) && state.views.get(*view).is_some_and(|v| v.1),
            Op::Finalize { interp } => alive(interp),
            Op::Look => true,
        }
    }

    fn apply(mut state: XiSpec, op: &Op) -> XiSpec {
        match *op {
            Op::Alloc { at, bytes, seed } => {
                if bytes {
                    state.alloc(at, Some(vec![seed; 3]), 0)
                } else {
                    state.alloc(at, None, i64::from(seed))
                }
            }
            Op::Incref { at, obj } => state.incref(at, obj),
            Op::Decref { at, obj } => state.decref(at, obj),
            Op::Share { at, obj } => state.share(at, obj),
            Op::NewObject { at, data } => state.new_object(at, data),
            Op::Release { at, data } => state.release(at, data),
            Op::IntoView { data } => state.into_view(data),
            Op::CloseView { at, view } => state.close_view(at, view),
            Op::Attach { at } => state.attach_and_count(at),
            Op::Finalize { interp } => state.finalize(interp),
            Op::Look => {
                state.last = None;
                return state;
            }
        };
        state
    }
}

struct Sut {
    runtime: Runtime,
    interps: Vec<Interpreter>,
    objects: Vec<Obj>,
    datas: Vec<Option<XiData>>,
    views: Vec<Option<XiView>>,
}

impl Sut {
    /// Runs `f` attached to `at`.
    fn at<R>(&self, at: usize, f: impl FnOnce(xinterp::Attached<'_>) -> R) -> R {
        self.interps[at].guard().expect("the model attaches only to running interpreters").with_gil(f)
    }

    fn maybe_at<R>(&self, at: Option<usize>, f: impl FnOnce() -> R) -> R {
        match at {
            Some(at) => self.at(at, |_| f()),
            None => f(),
        }
    }
}

fn kind(e: XiError) -> SpecError {
    match e {
        XiError::WrongInterpreter { .. } => SpecError::WrongInterpreter,
        XiError::Freed(_) => SpecError::Freed,
        XiError::OwnerGone(_) => SpecError::OwnerGone,
        XiError::PendingFull(_) => SpecError::PendingFull,
        XiError::NotABuffer => SpecError::NotABuffer,
        other => panic!("the model never produces {other:?}"),
    }
}

fn refcnt(r: Result<usize, XiError>) -> Outcome {
    r.map_or_else(|e| Outcome::Error(kind(e)), Outcome::Refcnt)
}

struct XiTest;

impl StateMachineTest for XiTest {
    type SystemUnderTest = Sut;
    type Reference = Machine;

    fn init_test(_: &XiSpec) -> Sut {
        let runtime = Runtime::new();
        let interps = (0..INTERPS)
            .map(|_| runtime.create_with(Config::isolated().with_pending_calls(CAPACITY)).unwrap())
            .collect();
        Sut { runtime, interps, objects: Vec::new(), datas: Vec::new(), views: Vec::new() }
    }

    fn apply(mut sut: Sut, spec: &XiSpec, op: Op) -> Sut {
        let outcome = match op {
            Op::Alloc { at, bytes, seed } => {
                let obj = sut
                    .at(at, |py| if bytes { py.new_bytes(vec![seed; 3]) } else { py.new_int(i64::from(seed)) })
                    .unwrap();
                sut.objects.push(obj);
                Outcome::Object(sut.objects.len() - 1)
            }
            Op::Incref { at, obj } => refcnt(sut.at(at, |py| py.incref(sut.objects[obj]))),
            Op::Decref { at, obj } => refcnt(sut.at(at, |py| py.decref(sut.objects[obj]))),
            Op::Share { at, obj } => match sut.at(at, |py| py.share(sut.objects[obj])) {
                Ok(data) => {
                    sut.datas.push(Some(data));
                    Outcome::Data(sut.datas.len() - 1)
                }
                Err(e) => Outcome::Error(kind(e)),
            },
            Op::NewObject { at, data } => {
                let d = sut.datas[data].take().expect("live data");
                let obj = sut.at(at, |py| d.new_object(py)).unwrap();
                sut.datas[data] = Some(d);
                sut.objects.push(obj);
                Outcome::Object(sut.objects.len() - 1)
            }
            Op::Release { at, data } => {
                let d = sut.datas[data].take().expect("live data");
                match sut.maybe_at(at, || d.release()) {
                    Ok(released) => Outcome::Released(released),
                    Err(rejected) => {
                        if rejected.error != XiError::OwnerGone(rejected.data.owner()) {
                            sut.datas[data] = Some(rejected.data); // handed back
                        }
                        Outcome::Error(kind(rejected.error))
                    }
                }
            }
            Op::IntoView { data } => {
                let d = sut.datas[data].take().expect("live data");
                match d.into_view() {
                    Ok(view) => {
                        sut.views.push(Some(view));
                        Outcome::View(sut.views.len() - 1)
                    }
                    Err(rejected) => {
                        sut.datas[data] = Some(rejected.data);
                        Outcome::Error(kind(rejected.error))
                    }
                }
            }
            Op::CloseView { at, view } => {
                let v = sut.views[view].take().expect("open view");
                match sut.maybe_at(at, || v.close()) {
                    Ok(()) => Outcome::Closed,
                    Err(e) => Outcome::Error(kind(e)),
                }
            }
            Op::Attach { at } => Outcome::Live(sut.at(at, |py| py.heap_stats().unwrap().live)),
            Op::Finalize { interp } => {
                let before = sut.runtime.xi_stats().leaked_at_teardown;
                match sut.interps[interp].finalize_timeout(Duration::from_millis(2)) {
                    Ok(()) => {
                        Outcome::Finalized { leaked: (sut.runtime.xi_stats().leaked_at_teardown - before) as usize }
                    }
                    Err(FinalizeError::GuardsOutstanding(_)) => Outcome::Error(SpecError::ViewsOpen),
                    Err(other) => panic!("unexpected finalization error: {other}"),
                }
            }
            Op::Look => return sut,
        };
        assert_eq!(Some(&outcome), spec.last.as_ref(), "the implementation and the model disagree on {op:?}");
        sut
    }

    fn check_invariants(sut: &Sut, spec: &XiSpec) {
        assert_eq!(sut.runtime.xi_stats(), spec.stats, "runtime counters");
        for (i, interp) in sut.interps.iter().enumerate() {
            if spec.interps[i].alive {
                assert_eq!(interp.pending_calls(), spec.interps[i].ring.len(), "pending calls of interpreter {i}");
            }
        }
    }

    fn teardown(sut: Sut) {
        // Close what is still open, explicitly, so nothing is left holding
        // a guard when the runtime goes.
        for view in sut.views.into_iter().flatten() {
            let _ = view.close();
        }
        drop(sut.datas);
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn xi_matches_the_reference_model(sequential 1..60 => XiTest);
}
