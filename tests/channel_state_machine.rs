//! Random sequential operation sequences against the production channel
//! and queue, compared step by step with the reference model
//! `xinterp_check::spec::channel`: the same outcome, the same ledger, the same
//! status and length after every operation.
#![cfg(not(any(loom, shuttle)))]
// proptest's `prop_oneof!` expands to `std::sync::Arc`; nothing here is
// concurrent (the facade rule guards protocol code, not proptest's insides).
#![allow(clippy::disallowed_types)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use xinterp::channel::{
    self, Ends, MaxSize, Nowait, Queue, Received, RecvChannel, RecvError, SendChannel, SendError, SendOptions, Status,
    UnboundPolicy,
};
use xinterp::sync::time::Deadline;
use xinterp::{Interpreter, Runtime};
use xinterp_check::spec::channel::{ChannelSpec, Interp, Op, Outcome};

const INTERPS: u8 = 3;

#[derive(Clone, Debug)]
struct RefState {
    spec: ChannelSpec,
    destroyed: [bool; INTERPS as usize],
}

fn policy() -> impl Strategy<Value = UnboundPolicy> {
    prop_oneof![Just(UnboundPolicy::Replace), Just(UnboundPolicy::Error), Just(UnboundPolicy::Remove)]
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = RefState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<RefState> {
        (any::<bool>(), 0..4_usize, policy())
            .prop_map(|(is_channel, maxsize, policy)| RefState {
                spec: ChannelSpec::new(is_channel, if is_channel { 0 } else { maxsize }, policy),
                destroyed: [false; INTERPS as usize],
            })
            .boxed()
    }

    fn transitions(state: &RefState) -> BoxedStrategy<Op> {
        // Interpreter 0 is never destroyed, so some operation is always possible.
        let alive: Vec<Interp> = (0..INTERPS).filter(|i| !state.destroyed[usize::from(*i)]).collect();
        let who = proptest::sample::select(alive.clone());
        let sends = (who.clone(), any::<u32>(), proptest::option::of(policy()))
            .prop_map(|(who, value, policy)| Op::SendNowait { who, value, policy });
        let recvs = who.clone().prop_map(|who| Op::Recv { who });
        let destroys = proptest::sample::select(alive).prop_map(|who| Op::Destroy { who: who.max(1) });
        if state.spec.is_channel {
            prop_oneof![
                4 => sends,
                4 => recvs,
                1 => (who.clone(), any::<u32>()).prop_map(|(who, value)| Op::SendTimeout { who, value }),
                1 => (any::<bool>(), any::<bool>()).prop_map(|(send_only, force)| Op::Close { send_only, force }),
                1 => (who, any::<bool>()).prop_map(|(who, send)| Op::Release { who, send }),
                1 => destroys,
            ]
            .boxed()
        } else {
            prop_oneof![4 => sends, 4 => recvs, 1 => destroys].boxed()
        }
    }

    fn preconditions(state: &RefState, op: &Op) -> bool {
        let who = match *op {
            Op::SendNowait { who, .. }
            | Op::SendTimeout { who, .. }
            | Op::Recv { who }
            | Op::Release { who, .. }
            | Op::Destroy { who } => Some(who),
            Op::Close { .. } => None,
        };
        who.is_none_or(|w| !state.destroyed[usize::from(w)])
    }

    fn apply(mut state: RefState, op: &Op) -> RefState {
        state.spec.apply(*op);
        if let Op::Destroy { who } = *op {
            state.destroyed[usize::from(who)] = true;
        }
        state
    }
}

enum Face {
    Channel(RecvChannel<u32>, SendChannel<u32>),
    Queue(Queue<u32>),
}

struct Sut {
    // Dropped last.
    _runtime: Runtime,
    interps: Vec<Interpreter>,
    face: Face,
    /// Our own copy of the reference, stepped with the system.
    spec: ChannelSpec,
}

fn outcome(r: Result<Received<u32>, RecvError>, interps: &[Interpreter]) -> Outcome {
    let index = |id| interps.iter().position(|i| i.id() == id).expect("a known interpreter") as Interp;
    match r {
        Ok(Received::Item(v)) => Outcome::Item(v),
        Ok(Received::Unbound(id)) => Outcome::Unbound(index(id)),
        Err(RecvError::ItemInterpreterDestroyed(id)) => Outcome::ItemInterpreterDestroyed(index(id)),
        Err(RecvError::Empty) => Outcome::Empty,
        Err(RecvError::Closed) => Outcome::Closed,
        Err(RecvError::Timeout) => panic!("a non-blocking receive timed out"),
        Err(other) => panic!("a receive error the reference model has no outcome for: {other:?}"),
    }
}

fn sent(r: Result<(), SendError<u32>>, value: u32) -> Outcome {
    match r {
        Ok(()) => Outcome::Ok,
        Err(e) => {
            assert_eq!(*e.item(), value, "CH-1: a failed send hands its own item back");
            match e {
                SendError::Closed(_) => Outcome::RefusedClosed,
                SendError::Full(_) => Outcome::RefusedFull,
                SendError::Timeout(_) => Outcome::Withdrawn,
                other => panic!("a send error the reference model has no outcome for: {other:?}"),
            }
        }
    }
}

impl StateMachineTest for Sut {
    type SystemUnderTest = Self;
    type Reference = Reference;

    fn init_test(reference: &RefState) -> Self {
        let runtime = Runtime::new();
        let interps: Vec<Interpreter> = (0..INTERPS).map(|_| runtime.create().unwrap()).collect();
        let spec = reference.spec.clone();
        let face = runtime.main().guard().unwrap().with_gil(|py| {
            if spec.is_channel {
                let (rx, tx) = channel::create(py, spec.policy);
                Face::Channel(rx, tx)
            } else {
                Face::Queue(Queue::create(py, MaxSize::python(spec.maxsize as isize), spec.policy))
            }
        });
        Self { _runtime: runtime, interps, face, spec }
    }

    fn apply(mut sut: Self, _reference: &RefState, op: Op) -> Self {
        let expected = sut.spec.apply(op);
        let on = |who: Interp| sut.interps[usize::from(who)].clone();
        let got = match (&sut.face, op) {
            (Face::Channel(_, tx), Op::SendNowait { who, value, policy }) => on(who).guard().unwrap().with_gil(|py| {
                sent(
                    match policy {
                        Some(p) => tx.send(py, value, SendOptions::new(Nowait).unbound(p)),
                        None => tx.send(py, value, Nowait),
                    },
                    value,
                )
            }),
            (Face::Queue(q), Op::SendNowait { who, value, policy }) => on(who).guard().unwrap().with_gil(|py| {
                let expired = Deadline::manual();
                expired.expire();
                sent(
                    match policy {
                        Some(p) => q.put(py, value, SendOptions::new(&expired).unbound(p)),
                        None => q.put(py, value, Nowait),
                    },
                    value,
                )
            }),
            (Face::Channel(_, tx), Op::SendTimeout { who, value }) => on(who).guard().unwrap().with_gil(|py| {
                let expired = Deadline::manual();
                expired.expire();
                sent(tx.send(py, value, &expired), value)
            }),
            (Face::Channel(rx, _), Op::Recv { who }) => {
                on(who).guard().unwrap().with_gil(|py| outcome(rx.recv(py, Nowait), &sut.interps))
            }
            (Face::Queue(q), Op::Recv { who }) => {
                on(who).guard().unwrap().with_gil(|py| outcome(q.get(py, Nowait), &sut.interps))
            }
            (Face::Channel(rx, _), Op::Close { send_only, force }) => {
                match rx.close_ends(if send_only { Ends::Send } else { Ends::Both }, force) {
                    Ok(()) => Outcome::Ok,
                    Err(channel::CloseError::Closed) => Outcome::Closed,
                    Err(channel::CloseError::NotEmpty) => Outcome::NotEmpty,
                    Err(other) => panic!("a close error the reference model has no outcome for: {other:?}"),
                }
            }
            (Face::Channel(rx, tx), Op::Release { who, send }) => {
                on(who).guard().unwrap().with_gil(|py| match if send { tx.release(py) } else { rx.release(py) } {
                    Ok(()) => Outcome::Ok,
                    Err(channel::ReleaseError::Closed) => Outcome::Closed,
                    Err(other) => panic!("a release error the reference model has no outcome for: {other:?}"),
                })
            }
            (_, Op::Destroy { who }) => {
                on(who).destroy().unwrap();
                Outcome::Ok
            }
            (Face::Queue(_), op) => panic!("not a queue operation: {op:?}"),
        };
        assert_eq!(got, expected, "{op:?}: the implementation and the reference disagree");
        let (ledger, status, len) = match &sut.face {
            Face::Channel(rx, _) => (rx.ledger(), Some(rx.status()), rx.len()),
            Face::Queue(q) => (q.ledger(), None, q.len()),
        };
        assert_eq!(ledger, sut.spec.ledger, "after {op:?}: ledgers differ");
        assert!(ledger.is_balanced(), "CH-1 after {op:?}: {ledger}");
        if let Some(status) = status {
            assert_eq!(status, sut.spec.status, "after {op:?}: status differs");
        }
        assert_eq!(len, sut.spec.len(), "after {op:?}: lengths differ");
        if let Face::Channel(rx, tx) = &sut.face {
            let ids = |v: Vec<Interp>| v.into_iter().map(|i| sut.interps[usize::from(i)].id()).collect::<Vec<_>>();
            // CPython refuses to list a closed channel, and the send end of
            // a closing one (ChannelClosedError).
            let status = sut.spec.status;
            let want = |send: bool| {
                let refused = status == Status::Closed || (send && status == Status::Closing);
                (!refused).then(|| ids(sut.spec.associated(send)))
            };
            let sorted = |mut v: Vec<_>| {
                v.sort();
                v
            };
            let send = tx.list_interpreters().ok().map(sorted);
            let recv = rx.list_interpreters().ok().map(sorted);
            assert_eq!(send, want(true), "after {op:?}: send-end associations differ");
            assert_eq!(recv, want(false), "after {op:?}: recv-end associations differ");
        }
        sut
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, .. Config::default() })]

    #[test]
    fn channel_matches_its_reference_model(sequential 1..40 => Sut);
}
