//! Conformance tests for channels and queues (production build): the
//! behaviours CPython's `_interpchannels` and PEP 734 queues specify, in our
//! own words. The tables they follow are in docs/channels.md.
#![cfg(not(any(loom, shuttle)))]

use std::num::NonZeroUsize;
use std::time::Duration;
use xinterp::channel::{
    self, ChannelId, CloseError, Ends, Forever, InvalidId, LookupError, MaxSize, Nowait, Queue, Received, RecvChannel,
    RecvError, ReleaseError, SendChannel, SendError, SendOptions, Status, UnboundPolicy,
};
use xinterp::{Attached, Interpreter, Runtime};

/// Runs `f` attached to `interp`.
fn on<R>(interp: &Interpreter, f: impl FnOnce(Attached<'_>) -> R) -> R {
    interp.guard().expect("running").with_gil(f)
}

fn item<T>(r: Result<Received<T>, RecvError>) -> T {
    match r {
        Ok(Received::Item(t)) => t,
        other => panic!("expected an item, got {:?}", other.map(|r| r.is_unbound())),
    }
}

fn balanced<T: Send>(rx: &RecvChannel<T>) {
    let ledger = rx.ledger();
    assert!(ledger.is_balanced(), "CH-1: {ledger}");
}

#[test]
fn ids_are_unique_across_channels_and_queues_and_lookup_by_id_works() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx1, tx1) = channel::create::<u32>(py, UnboundPolicy::Replace);
        let queue = Queue::<u32>::create(py, MaxSize::UNBOUNDED, UnboundPolicy::Replace);
        let (rx2, _tx2) = channel::create::<u32>(py, UnboundPolicy::Replace);
        assert_eq!(rx1.id(), tx1.id());
        let ids = [rx1.id(), queue.id(), rx2.id()];
        assert!(ids[0] < ids[1] && ids[1] < ids[2], "ids increase: {ids:?}");

        let tx = SendChannel::<u32>::from_id(py, rx1.id()).unwrap();
        tx.send(py, 5, Nowait).unwrap();
        assert_eq!(item(rx1.recv(py, Nowait)), 5);
        // The wrong face or an unknown id: NotFound; the wrong item type:
        // WrongItemType.
        assert_eq!(Queue::<u32>::from_id(py, rx1.id()), Err(LookupError::NotFound(rx1.id())));
        assert!(matches!(
            SendChannel::<String>::from_id(py, rx1.id()),
            Err(LookupError::WrongItemType { id, .. }) if id == rx1.id()
        ));
        assert_eq!(SendChannel::<u32>::from_id(py, queue.id()), Err(LookupError::NotFound(queue.id())));
        let unknown = ChannelId::from_raw(py, 1000).unwrap();
        assert_eq!(RecvChannel::<u32>::from_id(py, unknown), Err(LookupError::NotFound(unknown)));
        // The raw number an embedder gets from Python resolves; a negative
        // one is an invalid id (CPython's ValueError).
        let raw = i64::try_from(rx1.id().get()).unwrap();
        assert_eq!(ChannelId::from_raw(py, raw), Ok(rx1.id()));
        assert_eq!(RecvChannel::<u32>::from_id(py, ChannelId::from_raw(py, raw).unwrap()).unwrap(), rx1);
        assert_eq!(ChannelId::from_raw(py, -1), Err(InvalidId::Negative(-1)));
        assert_eq!(Queue::<u32>::from_id(py, queue.id()).unwrap().id(), queue.id());
        let mut listed = channel::list_all(py);
        listed.sort();
        assert_eq!(listed, vec![rx1.id(), rx2.id()]);
        assert_eq!(Queue::<u32>::list_all(py), vec![queue.id()]);
    });
}

#[test]
fn a_channel_is_forgotten_when_its_last_handle_is_dropped() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        let id = rx.id();
        let tx2 = tx.clone();
        drop(tx);
        drop(rx);
        assert!(SendChannel::<u32>::from_id(py, id).is_ok(), "a handle is still alive");
        drop(tx2);
        assert!(SendChannel::<u32>::from_id(py, id).is_err(), "no handle left: gone");
        assert!(channel::list_all(py).is_empty());
    });
}

#[test]
fn items_arrive_in_order_and_nowait_variants_do_not_block() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        // Nothing queued: a typed Empty, never a default item.
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty));
        for i in 0..5 {
            tx.send(py, i, Nowait).unwrap();
        }
        assert_eq!(rx.len(), 5);
        for i in 0..5 {
            assert_eq!(item(rx.recv(py, Forever)), i);
        }
        assert_eq!(rx.recv(py, Duration::from_millis(5)), Err(RecvError::Timeout));
        let ledger = rx.ledger();
        assert_eq!((ledger.offered, ledger.received, ledger.queued), (5, 5, 0));
        balanced(&rx);
    });
}

#[test]
fn a_blocking_send_returns_once_its_item_is_received() {
    let runtime = Runtime::new();
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (rx, tx) = on(&a, |py| channel::create::<String>(py, UnboundPolicy::Replace));
    let sender = {
        let a = a.clone();
        xinterp::sync::thread::spawn(move || on(&a, |py| tx.send(py, "hello".into(), Forever)))
    };
    let got = on(&b, |py| item(rx.recv(py, Forever)));
    assert_eq!(got, "hello");
    assert_eq!(sender.join().unwrap(), Ok(()));
    assert_eq!(rx.list_interpreters(), Ok(vec![b.id()]));
    balanced(&rx);
}

#[test]
fn a_send_that_times_out_withdraws_its_item_and_hands_it_back() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<Vec<u8>>(py, UnboundPolicy::Replace);
        match tx.send(py, vec![1, 2, 3], Duration::from_millis(10)) {
            Err(SendError::Timeout(back)) => assert_eq!(back, vec![1, 2, 3]),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(rx.is_empty(), "withdrawn: never delivered");
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty));
        assert_eq!(rx.ledger().withdrawn, 1);
        balanced(&rx);
    });
}

#[test]
fn close_table_for_an_empty_channel() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        for which in [Ends::Send, Ends::Recv, Ends::Both] {
            for force in [false, true] {
                let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
                assert_eq!(tx.close_ends(which, force), Ok(()), "{which:?} force={force}");
                assert_eq!(rx.status(), Status::Closed);
                assert_eq!(rx.close_ends(which, force), Err(CloseError::Closed), "second close");
                assert!(matches!(tx.send(py, 1, Nowait), Err(SendError::Closed(1))));
                assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed));
                assert_eq!(rx.release(py), Err(ReleaseError::Closed));
                balanced(&rx);
            }
        }
    });
}

#[test]
fn close_table_for_a_non_empty_channel() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        // Unforced: recv or both -> NotEmpty, nothing changes.
        for which in [Ends::Recv, Ends::Both] {
            let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
            tx.send(py, 1, Nowait).unwrap();
            assert_eq!(rx.close_ends(which, false), Err(CloseError::NotEmpty));
            assert_eq!(rx.status(), Status::Open);
            assert_eq!(item(rx.recv(py, Nowait)), 1);
        }
        // Forced, any ends: items dropped and accounted for, closed.
        for which in [Ends::Send, Ends::Recv, Ends::Both] {
            let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
            tx.send(py, 1, Nowait).unwrap();
            tx.send(py, 2, Nowait).unwrap();
            assert_eq!(rx.close_ends(which, true), Ok(()));
            assert_eq!(rx.status(), Status::Closed);
            assert_eq!(rx.ledger().dropped, 2);
            assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed));
            balanced(&rx);
        }
    });
}

#[test]
fn closing_the_send_end_drains_then_closes() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 1, Nowait).unwrap();
        tx.send(py, 2, Nowait).unwrap();
        assert_eq!(tx.close(false), Ok(()));
        assert_eq!(tx.status(), Status::Closing);
        assert!(matches!(tx.send(py, 3, Nowait), Err(SendError::Closed(3))), "new sends fail while closing");
        assert_eq!(tx.close(false), Err(CloseError::Closed), "closing twice");
        assert_eq!(rx.close(false), Err(CloseError::NotEmpty), "recv close while closing and non-empty");
        assert_eq!(item(rx.recv(py, Nowait)), 1);
        assert_eq!(rx.status(), Status::Closing);
        assert_eq!(item(rx.recv(py, Nowait)), 2);
        assert_eq!(rx.status(), Status::Closed, "closed once drained");
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed));
        let ledger = rx.ledger();
        assert_eq!((ledger.offered, ledger.refused, ledger.received), (3, 1, 2));
        balanced(&rx);
    });
}

#[test]
fn a_forced_close_wakes_a_blocked_sender_with_its_item() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let (rx, tx) = on(&a, |py| channel::create::<String>(py, UnboundPolicy::Replace));
    let sender = {
        let a = a.clone();
        xinterp::sync::thread::spawn(move || on(&a, |py| tx.send(py, "stuck".into(), Forever)))
    };
    while rx.is_empty() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(rx.close(false), Err(CloseError::NotEmpty));
    assert_eq!(rx.close(true), Ok(()));
    match sender.join().unwrap() {
        Err(SendError::Closed(back)) => assert_eq!(back, "stuck"),
        other => panic!("expected Closed with the item, got {other:?}"),
    }
    assert_eq!(rx.ledger().returned, 1);
    balanced(&rx);
}

#[test]
fn a_blocked_receiver_is_woken_by_a_close() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let (rx, tx) = on(&a, |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    let receiver = {
        let a = a.clone();
        xinterp::sync::thread::spawn(move || on(&a, |py| rx.recv(py, Forever)))
    };
    std::thread::sleep(Duration::from_millis(20));
    tx.close(false).unwrap();
    assert_eq!(receiver.join().unwrap(), Err(RecvError::Closed));
}

#[test]
fn release_by_the_only_user_closes_the_channel() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 1, Nowait).unwrap();
        assert_eq!(item(rx.recv(py, Nowait)), 1);
        assert_eq!(tx.release(py), Ok(()));
        assert_eq!(rx.status(), Status::Open, "still associated with the recv end");
        assert_eq!(rx.release(py), Ok(()));
        assert_eq!(rx.status(), Status::Closed);
        assert!(matches!(tx.send(py, 2, Nowait), Err(SendError::Closed(2))));
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed));
        assert_eq!(rx.release(py), Err(ReleaseError::Closed), "second release");
    });
}

#[test]
fn release_of_one_end_keeps_the_other_usable_and_bars_the_releaser() {
    let runtime = Runtime::new();
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (rx, tx) = on(&a, |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(&a, |py| tx.send(py, 1, Nowait)).unwrap();
    on(&b, |py| tx.send(py, 2, Nowait)).unwrap();
    assert_eq!(tx.list_interpreters(), Ok(vec![a.id(), b.id()]));
    on(&a, |py| {
        assert_eq!(tx.release(py), Ok(()));
        assert!(tx.is_released(py));
        assert_eq!(tx.release(py), Err(ReleaseError::Closed), "released twice by the same interpreter");
        assert!(matches!(tx.send(py, 3, Nowait), Err(SendError::Closed(3))), "a released end cannot be used");
    });
    assert_eq!(tx.list_interpreters(), Ok(vec![b.id()]));
    on(&b, |py| tx.send(py, 4, Nowait)).unwrap();
    on(runtime.main(), |py| {
        assert_eq!(item(rx.recv(py, Nowait)), 1);
        assert_eq!(item(rx.recv(py, Nowait)), 2);
        assert_eq!(item(rx.recv(py, Nowait)), 4);
    });
    balanced(&rx);
}

/// The association hint (`assoc.rs`: the last interpreter found open on an
/// end answers without a scan) is cleared by a release: an interpreter that
/// just sent, then released the send end, is refused at its next send.
#[test]
fn released_sender_is_refused_after_using_the_end() {
    let runtime = Runtime::new();
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (rx, tx) = on(&a, |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    assert_eq!(on(&b, |py| rx.recv(py, Nowait)), Err(RecvError::Empty), "b keeps the channel open");
    on(&a, |py| {
        tx.send(py, 1, Nowait).unwrap();
        tx.send(py, 2, Nowait).unwrap();
        assert_eq!(tx.release(py), Ok(()));
        assert!(matches!(tx.send(py, 3, Nowait), Err(SendError::Closed(3))), "a released end cannot be used");
    });
    on(&b, |py| {
        assert_eq!(item(rx.recv(py, Nowait)), 1);
        assert_eq!(item(rx.recv(py, Nowait)), 2);
    });
    balanced(&rx);
}

#[test]
fn release_of_a_never_used_channel_closes_it_and_leftover_items_are_accounted_for() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        assert_eq!(rx.release(py), Ok(()));
        assert_eq!(rx.status(), Status::Closed);

        let (rx, tx2) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx2.send(py, 1, Nowait).unwrap();
        tx2.send(py, 2, Nowait).unwrap();
        tx2.release(py).unwrap();
        assert_eq!(rx.status(), Status::Closed, "the only association is gone");
        assert_eq!(rx.ledger().dropped, 2);
        balanced(&rx);
        drop(tx);
    });
}

#[test]
fn an_interpreter_that_released_the_recv_end_cannot_receive() {
    let runtime = Runtime::new();
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (rx, tx) = on(&a, |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(&a, |py| tx.send(py, 1, Nowait)).unwrap();
    on(&b, |py| {
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Item(1)));
        rx.release(py).unwrap();
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Closed));
    });
    assert_eq!(rx.status(), Status::Open, "a is still associated with the send end");
}

fn destroyed_sender(policy: UnboundPolicy) -> (Runtime, RecvChannel<String>, Interpreter) {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<String>(py, policy));
    on(&a, |py| {
        tx.send(py, "from a".into(), Nowait).unwrap();
    });
    on(runtime.main(), |py| tx.send(py, "from main".into(), Nowait)).unwrap();
    a.destroy().unwrap();
    (runtime, rx, a)
}

#[test]
fn unbound_items_are_replaced_by_a_marker() {
    let (runtime, rx, a) = destroyed_sender(UnboundPolicy::Replace);
    on(runtime.main(), |py| {
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Unbound(a.id())));
        assert_eq!(item(rx.recv(py, Nowait)), "from main");
    });
    let ledger = rx.ledger();
    assert_eq!((ledger.unbound, ledger.markers_made, ledger.markers_received), (1, 1, 1));
    balanced(&rx);
}

#[test]
fn unbound_items_fail_on_receive_with_the_error_policy() {
    let (runtime, rx, a) = destroyed_sender(UnboundPolicy::Error);
    on(runtime.main(), |py| {
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::ItemInterpreterDestroyed(a.id())));
        assert_eq!(item(rx.recv(py, Nowait)), "from main", "the error consumed the item");
    });
    balanced(&rx);
}

#[test]
fn unbound_items_are_removed_with_the_remove_policy() {
    let (runtime, rx, _a) = destroyed_sender(UnboundPolicy::Remove);
    on(runtime.main(), |py| {
        assert_eq!(item(rx.recv(py, Nowait)), "from main");
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty));
    });
    assert_eq!(rx.ledger().unbound, 1);
    balanced(&rx);
}

#[test]
fn a_per_item_unbound_policy_overrides_the_channels() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    // main associates with the receive end, so the channel outlives `a`.
    on(runtime.main(), |py| assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty)));
    on(&a, |py| tx.send(py, 1, SendOptions::new(Nowait).unbound(UnboundPolicy::Remove))).unwrap();
    on(&a, |py| tx.send(py, 2, Nowait)).unwrap();
    a.destroy().unwrap();
    on(runtime.main(), |py| {
        assert_eq!(rx.recv(py, Nowait), Ok(Received::Unbound(a.id())));
        assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty));
    });
    assert_eq!(tx.list_interpreters(), Ok(vec![]), "the destroyed interpreter's association is gone");
    balanced(&rx);
}

#[test]
fn an_end_sent_through_a_channel_works_on_the_other_side() {
    let runtime = Runtime::new();
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (data_rx, data_tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    let (ends_rx, ends_tx) = on(runtime.main(), |py| channel::create::<SendChannel<u32>>(py, UnboundPolicy::Remove));
    on(&a, |py| ends_tx.send(py, data_tx, Nowait)).unwrap();
    on(&b, |py| {
        let tx = item(ends_rx.recv(py, Nowait));
        tx.send(py, 42, Nowait).unwrap();
        assert_eq!(tx.list_interpreters(), Ok(vec![b.id()]));
    });
    on(runtime.main(), |py| assert_eq!(item(data_rx.recv(py, Nowait)), 42));
}

#[test]
fn queues_respect_maxsize_and_report_full_and_empty() {
    let runtime = Runtime::new();
    on(runtime.main(), |py| {
        let q = Queue::<u32>::create(py, NonZeroUsize::new(2), UnboundPolicy::Replace);
        assert_eq!((q.maxsize(), q.is_empty(), q.is_full()), (NonZeroUsize::new(2), true, false));
        assert_eq!(q.python_maxsize(), 2);
        q.put(py, 1, Nowait).unwrap();
        q.put(py, 2, Forever).unwrap();
        assert!(q.is_full());
        assert!(matches!(q.put(py, 3, Nowait), Err(SendError::Full(3))));
        assert!(matches!(q.put(py, 4, Duration::from_millis(5)), Err(SendError::Full(4))));
        assert_eq!(q.len(), 2);
        assert_eq!(item(q.get(py, Forever)), 1);
        assert_eq!(item(q.get(py, Nowait)), 2);
        assert_eq!(q.get(py, Nowait), Err(RecvError::Empty));
        assert_eq!(q.get(py, Duration::from_millis(5)), Err(RecvError::Empty), "PEP 734: QueueEmpty");
        let ledger = q.ledger();
        assert_eq!((ledger.offered, ledger.refused, ledger.received), (4, 2, 2));
        assert!(ledger.is_balanced());

        for maxsize in [0, -1, -10, isize::MIN] {
            let q = Queue::<u32>::create(py, MaxSize::python(maxsize), UnboundPolicy::Replace);
            for i in 0..100 {
                q.put(py, i, Nowait).unwrap();
            }
            assert_eq!((q.maxsize(), q.is_full()), (None, false), "maxsize {maxsize} is unbounded");
            // As CPython stores it: -10 stays -10 (difference d, fixed).
            assert_eq!(q.python_maxsize(), maxsize);
            let again = Queue::<u32>::from_id(py, q.id()).unwrap();
            assert_eq!(again.python_maxsize(), maxsize, "kept by the queue, not the handle");
        }
    });
}

#[test]
fn a_blocking_put_waits_for_space() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let q = on(&a, |py| Queue::<u32>::create(py, MaxSize::python(1), UnboundPolicy::Replace));
    on(&a, |py| q.put(py, 1, Nowait)).unwrap();
    let putter = {
        let (a, q) = (a.clone(), q.clone());
        xinterp::sync::thread::spawn(move || on(&a, |py| q.put(py, 2, Forever)))
    };
    std::thread::sleep(Duration::from_millis(20));
    on(runtime.main(), |py| {
        assert_eq!(item(q.get(py, Forever)), 1);
        assert_eq!(putter.join().unwrap(), Ok(()));
        assert_eq!(item(q.get(py, Forever)), 2);
    });
    assert!(q.ledger().is_balanced());
}

#[test]
fn queue_items_follow_the_unbound_policy() {
    let runtime = Runtime::new();
    let a = runtime.create().unwrap();
    let q = on(runtime.main(), |py| Queue::<u32>::create(py, MaxSize::UNBOUNDED, UnboundPolicy::Error));
    on(&a, |py| q.put(py, 1, Nowait)).unwrap();
    a.destroy().unwrap();
    on(runtime.main(), |py| assert_eq!(q.get(py, Nowait), Err(RecvError::ItemInterpreterDestroyed(a.id()))));
    assert!(q.ledger().is_balanced());
}

#[test]
fn errors_debug_without_the_item_being_debug_and_display() {
    struct Opaque;
    let e: SendError<Opaque> = SendError::Timeout(Opaque);
    assert_eq!(format!("{e:?}"), "Timeout(..)");
    assert!(e.to_string().contains("withdrawn"));
    let boxed: Box<dyn std::error::Error> = Box::new(SendError::Closed(Opaque));
    assert!(boxed.to_string().contains("closed"));
    for e in [RecvError::Closed, RecvError::Empty, RecvError::Timeout] {
        assert!(!e.to_string().is_empty());
    }
    assert!(!CloseError::NotEmpty.to_string().is_empty());
    assert!(!ReleaseError::Closed.to_string().is_empty());
    let _ = format!("{:?}", std::mem::size_of::<RecvChannel<Opaque>>());
}

#[test]
fn the_main_interpreters_finalization_unbinds_its_items_too() {
    let runtime = Runtime::new();
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Remove));
    on(runtime.main(), |py| tx.send(py, 1, Nowait)).unwrap();
    runtime.finalize().unwrap();
    assert_eq!(rx.ledger().unbound, 1);
    assert!(rx.ledger().is_balanced());
}

/// The steps a blocking send with a deadline (no receiver: it times out)
/// takes on the calling thread of an interpreter with `channel_spin` set as
/// given, as the trace names them.
fn steps_of_a_send_that_times_out(spin: bool) -> Vec<String> {
    let session = xinterp_check::trace::session::Session::new();
    let runtime = Runtime::new();
    let sender = runtime.create_with(xinterp::Config::isolated().with_channel_spin(spin)).unwrap();
    let _entered = xinterp_check::trace::session::enter(Some(session.clone()));
    let sent = on(&sender, |py| {
        let (_rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
        tx.send(py, 1, Duration::from_millis(1))
    });
    assert_eq!(sent, Err(SendError::Timeout(1)));
    session.trace().events.iter().map(|e| format!("{} {}", e.op(), e.outcome())).collect()
}

/// `Config::channel_spin` decides whether a waiter holds its GIL past the
/// start of its wait: spinning (the default), a blocking sender queues its
/// item attached and releases its GIL only when it parks; parking at once
/// (off, as CPython does), it releases its GIL before it queues.
#[test]
fn channel_spin_off_releases_the_gil_before_the_wait_starts() {
    // The toolkit (a dev-dependency) turns tracing on in these tests;
    // without it the steps are empty and the look below fails.
    let gil_released_before_queuing = |steps: &[String]| {
        let released = steps.iter().position(|s| s.starts_with("gil.release"));
        let queued = steps.iter().position(|s| s.starts_with("channel.send"));
        match (released, queued) {
            (Some(r), Some(q)) => r < q,
            _ => panic!("no GIL release or no send in {steps:?}"),
        }
    };
    let spinning = steps_of_a_send_that_times_out(true);
    let parking = steps_of_a_send_that_times_out(false);
    assert!(!gil_released_before_queuing(&spinning), "spinning: {spinning:?}");
    assert!(gil_released_before_queuing(&parking), "parking at once: {parking:?}");
}
