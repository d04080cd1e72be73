//! Behaviours taken from CPython's `test__interpchannels` and
//! `test_interpreters` (channels and queues) where xinterp once differed:
//! ids across runtimes, listing a closed channel's interpreters, a channel
//! whose only user is destroyed, releasing both ends, and the shapes of the
//! API an embedder uses (`docs/channels.md`, "Differences from CPython").
#![cfg(not(any(loom, shuttle)))]

use std::collections::HashSet;
use std::time::{Duration, Instant};
use xinterp::channel::{
    self, ChannelId, ClosedError, Ends, Forever, LookupError, Nowait, Queue, Received, RecvChannel, RecvError,
    ReleaseError, SendChannel, SendError, SendOptions, Status, UnboundPolicy, Wait,
};
use xinterp::{Attached, Interpreter, Runtime};

fn on<R>(interp: &Interpreter, f: impl FnOnce(Attached<'_>) -> R) -> R {
    interp.guard().expect("running").with_gil(f)
}

#[test]
fn an_id_of_another_runtime_is_not_found_there() {
    let (a, b) = (Runtime::new(), Runtime::new());
    let (rx_a, _tx_a) = on(a.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    let (rx_b, _tx_b) = on(b.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    assert_eq!(rx_a.id().get(), rx_b.id().get(), "the numbers restart at 1 in every runtime");
    assert_ne!(rx_a.id(), rx_b.id(), "the ids do not");
    on(b.main(), |py| {
        assert_eq!(SendChannel::<u32>::from_id(py, rx_a.id()), Err(LookupError::NotFound(rx_a.id())));
        // The same number, minted in b, is b's channel.
        let raw = i64::try_from(rx_a.id().get()).unwrap();
        let tx = SendChannel::<u32>::from_id(py, ChannelId::from_raw(py, raw).unwrap()).unwrap();
        tx.send(py, 1, Nowait).unwrap();
        assert_eq!(rx_b.recv(py, Nowait), Ok(Received::Item(1)));
    });
    assert_eq!(rx_a.len(), 0, "nothing landed in a's channel");
    // An id of a runtime that is gone stays foreign.
    let stale = rx_a.id();
    drop((rx_a, _tx_a, a));
    let c = Runtime::new();
    on(c.main(), |py| {
        let _ = channel::create::<u32>(py, UnboundPolicy::Replace);
        assert_eq!(RecvChannel::<u32>::from_id(py, stale), Err(LookupError::NotFound(stale)));
    });
}

/// Difference a: CPython raises `ChannelClosedError` when listing a closed
/// channel's interpreters (after a forced close, too).
#[test]
fn listing_a_closed_channels_interpreters_is_closed() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 1, Nowait).unwrap();
        assert_eq!(tx.list_interpreters(), Ok(vec![py.interpreter_id()]));
        tx.close_ends(Ends::Both, true).unwrap();
        assert_eq!(tx.list_interpreters(), Err(ClosedError(tx.id())));
        assert_eq!(rx.list_interpreters(), Err(ClosedError(rx.id())));
        assert!(tx.is_closed() && rx.is_closed());
    });
}

/// Difference b: after `close(send=True)` on a non-empty channel, CPython
/// refuses to list the send end; the receive end still lists.
#[test]
fn listing_the_send_end_of_a_closing_channel_is_closed() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 1, Nowait).unwrap();
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Item(1)));
        tx.send(py, 2, Nowait).unwrap();
        tx.close(false).unwrap();
        assert_eq!(tx.status(), Status::Closing);
        assert!(!tx.is_closed());
        assert_eq!(tx.list_interpreters(), Err(ClosedError(tx.id())));
        assert_eq!(rx.list_interpreters(), Ok(vec![py.interpreter_id()]));
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Item(2)));
        assert!(rx.is_closed(), "drained: closed");
    });
}

/// Difference c: a channel whose only associated interpreter (a
/// subinterpreter) is destroyed is closed, as in CPython ("channel N is
/// closed"), not left open with the unbound marker.
#[test]
fn a_channel_whose_only_user_is_destroyed_is_closed() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(&sub, |py| tx.send(py, 1, Nowait)).unwrap();
    sub.destroy().unwrap();
    assert!(rx.is_closed());
    on(runtime.main(), |py| assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed)));
    let ledger = rx.ledger();
    assert_eq!((ledger.unbound, ledger.markers_made, ledger.markers_dropped), (1, 1, 1), "{ledger}");
    assert!(ledger.is_balanced());
}

/// CPython's `release(cid, send=True, recv=True)` releases both ends in one
/// step; two releases in a row close the channel at the first (nobody else
/// is associated) and refuse the second.
#[test]
fn releasing_both_ends_is_one_step() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        rx.release(py).unwrap();
        assert_eq!(tx.release(py), Err(ReleaseError::Closed), "the first release closed it");

        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.release_ends(py, Ends::Both).unwrap();
        assert!(rx.is_closed());
        assert_eq!(rx.release_ends(py, Ends::Both), Err(ReleaseError::Closed));
    });
    // With another user left, both ends released keeps the channel open.
    let sub = runtime.create().unwrap();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(&sub, |py| tx.send(py, 1, Nowait)).unwrap();
    on(runtime.main(), |py| {
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Item(1)));
        rx.release_ends(py, Ends::Both).unwrap();
        assert!(!rx.is_closed(), "sub still holds the send end");
        assert!(rx.is_released(py));
        assert_eq!(rx.release_ends(py, Ends::Both), Err(ReleaseError::Closed), "both released already");
    });
}

#[test]
fn ends_compare_and_hash_by_channel() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        let (rx2, _tx2) = channel::create::<u32>(py, UnboundPolicy::Replace);
        assert_eq!(rx, rx.clone());
        assert_eq!(tx, SendChannel::from_id(py, tx.id()).unwrap());
        assert_ne!(rx, rx2);
        // The hash is the channel's id, which never changes: the lint's
        // interior mutability (the channel's state) is not part of it.
        #[allow(clippy::mutable_key_type)]
        let set: HashSet<_> = [rx.clone(), rx.clone(), rx2.clone()].into_iter().collect();
        assert_eq!(set.len(), 2);
        let q = Queue::<u32>::create(py, None, UnboundPolicy::Error);
        assert_eq!(q, q.clone());
        // get_channel_defaults / get_queue_defaults.
        assert_eq!((tx.unbound_policy(), q.unbound_policy()), (UnboundPolicy::Replace, UnboundPolicy::Error));
    });
}

/// One send and one receive; every wait converts into the same argument.
#[test]
fn every_wait_converts_and_options_carry_the_unbound_policy() {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(runtime.main(), |py| assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty)));
    on(&sub, |py| {
        tx.send(py, 1, Nowait).unwrap();
        tx.send(py, 2, SendOptions::new(Nowait).unbound(UnboundPolicy::Remove)).unwrap();
        tx.send(py, 3, SendOptions::from(Nowait).unbound(UnboundPolicy::Error)).unwrap();
    });
    on(runtime.main(), |py| {
        assert_eq!(rx.recv(py, Duration::from_secs(5)), Ok(Received::Item(1)));
        assert_eq!(rx.recv(py, Instant::now() + Duration::from_secs(5)), Ok(Received::Item(2)));
        assert_eq!(rx.recv(py, Wait::Forever), Ok(Received::Item(3)));
        assert_eq!(rx.recv(py, Instant::now()), Err(RecvError::Timeout), "a deadline that passed");
    });
    // A blocking send with a timeout nobody meets: withdrawn, handed back.
    on(&sub, |py| {
        let refused = tx.send(py, 4, Duration::from_millis(5)).unwrap_err();
        assert!(matches!(refused, SendError::Timeout(4)));
    });
    // Per-item unbound policy on the blocking-free path of every face.
    let q = on(runtime.main(), |py| Queue::<u32>::create(py, None, UnboundPolicy::Replace));
    on(&sub, |py| {
        q.put(py, 5, SendOptions::new(Nowait).unbound(UnboundPolicy::Remove)).unwrap();
        q.put(py, 6, SendOptions::new(Duration::from_secs(1)).unbound(UnboundPolicy::Error)).unwrap();
        tx.send(py, 7, SendOptions::new(Nowait).unbound(UnboundPolicy::Remove)).unwrap();
    });
    sub.destroy().unwrap();
    on(runtime.main(), |py| {
        assert_eq!(q.get(py, Nowait), Err(RecvError::ItemInterpreterDestroyed(sub.id())), "5 removed, 6 errors");
        assert_eq!(q.get(py, Nowait), Err(RecvError::Empty));
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty), "7 removed");
        let _ = Forever;
    });
    assert!(rx.ledger().is_balanced() && q.ledger().is_balanced());
}

#[test]
fn an_unbalanced_ledger_is_a_typed_error() {
    let runtime = Runtime::new();
    let (rx, _tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    assert_eq!(rx.ledger().check(), Ok(()));
    let mut ledger = rx.ledger();
    ledger.offered += 1;
    let err = ledger.check().unwrap_err();
    assert_eq!(err.0, ledger);
    assert!(err.to_string().contains("CH-1"));
}
