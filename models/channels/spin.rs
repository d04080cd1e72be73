//! Scenarios for the channel's spins (`src/channel/core.rs`: a receiver
//! spins, its GIL held, before it releases the GIL and parks; a blocking
//! sender spins, its GIL held too, before it parks) and the association hint
//! (`src/channel/assoc.rs`), each racing a close, a release or a
//! destruction.
//!
//! A spin decides nothing: it only watches the channel's change count and
//! then takes the lock and decides there, as the blocking path does. So the
//! invariants are the channel's own (CH-1, CH-2, CH-3, CH-4, CH-6), checked
//! here with the spin's look placed at every point the checkers try; the
//! witnesses show that the decision was taken *in* the spin (no GIL release
//! or no parking before it), not only after it.
use super::{assert_ledger, channel as step, on};
use xinterp::channel::{self, Ends, Forever, Nowait, Received, RecvError, SendError, Status, UnboundPolicy};
use xinterp::sync::thread;
use xinterp::trace::event::GilEvent;
use xinterp::trace::event::{ChannelOp, Receipt, SendRefusal};
use xinterp::trace::EventKind;
use xinterp::{Interpreter, Runtime};
use xinterp_check::trace::Event;
use xinterp_check::{LoomBounds, Scenario};

/// Whether the thread `name` began to wait (a step matching `start`) and
/// then took a step matching `outcome` without releasing its GIL in
/// between (`parked` false: the step was taken in its spin), or after
/// releasing it (`parked` true: after its spin ran out).
fn decided(
    events: &[Event],
    name: &str,
    start: fn(&ChannelOp) -> bool,
    outcome: fn(&ChannelOp) -> bool,
    parked: bool,
) -> bool {
    let mut waiting = None;
    for e in events.iter().filter(|e| e.thread == name) {
        match &e.kind {
            kind if step(kind).is_some_and(start) => waiting = Some(false),
            EventKind::Gil(GilEvent::Released { .. }) => waiting = waiting.map(|_| true),
            kind if step(kind).is_some_and(outcome) && waiting.is_some() => {
                if waiting == Some(parked) {
                    return true;
                }
                waiting = None;
            }
            _ => {}
        }
    }
    false
}

fn recv_started(op: &ChannelOp) -> bool {
    matches!(op, ChannelOp::RecvEmpty { waiting: true })
}

fn send_started(op: &ChannelOp) -> bool {
    matches!(op, ChannelOp::SendBlocked { .. })
}

fn item_taken_in_spin(events: &[Event]) -> bool {
    decided(events, "receiver", recv_started, |op| matches!(op, ChannelOp::Received { .. }), false)
}

fn close_seen_in_spin(events: &[Event]) -> bool {
    decided(events, "receiver", recv_started, |op| matches!(op, ChannelOp::RecvClosed), false)
}

/// A receiver in B waits (`Forever`) while a sender in A queues one item
/// and main force-closes the channel. The receiver gets the item or
/// `Closed`; the item is received, refused or dropped by the close, once
/// (CH-1, CH-2).
///
/// loom: exhaustive (3 threads: main as the closer, receiver, sender):
/// 7,929 executions, about 2 s.
#[test]
fn recv_vs_close() {
    Scenario::new("channels::spin::recv_vs_close")
        .witness_when("taken_in_spin", "the receiver took the item in its spin, its GIL held", item_taken_in_spin)
        .witness_when("closed_in_spin", "the receiver saw the close in its spin, its GIL held", close_seen_in_spin)
        .witness("dropped_by_close", "the item was queued and the close dropped it")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
            let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
            let receiver = {
                let rx = rx.clone();
                thread::spawn_named("receiver", move || on(&b, |py| rx.recv(py, Forever)))
            };
            let sender = thread::spawn_named("sender", move || on(&a, |py| tx.send(py, 1, Nowait)));
            assert_eq!(rx.close_ends(Ends::Both, true), Ok(()));
            let got = receiver.join().unwrap();
            let sent = sender.join().unwrap();
            let ledger = rx.ledger();
            match (&sent, &got) {
                (Ok(()), Ok(Received::Item(1))) => assert_eq!(ledger.received, 1),
                (Ok(()), Err(RecvError::Closed)) => {
                    assert_eq!(ledger.dropped, 1, "CH-1: the queued item was dropped by the close");
                    xinterp_check::reach("dropped_by_close");
                }
                (Err(SendError::Closed(1)), Err(RecvError::Closed)) => assert_eq!(ledger.refused, 1),
                other => panic!("invariant CH-2 violated: sent and got {other:?}"),
            }
            assert_eq!(rx.status(), Status::Closed);
            assert_ledger(ledger);
        });
}

fn delivered_in_spin(events: &[Event]) -> bool {
    decided(events, "sender", send_started, |op| matches!(op, ChannelOp::SendDelivered { .. }), false)
}

fn returned_in_spin(events: &[Event]) -> bool {
    decided(events, "sender", send_started, |op| matches!(op, ChannelOp::SendReturned { .. }), false)
}

fn returned_parked(events: &[Event]) -> bool {
    decided(events, "sender", send_started, |op| matches!(op, ChannelOp::SendReturned { .. }), true)
}

fn withdrawn_in_spin(events: &[Event]) -> bool {
    decided(events, "sender", send_started, |op| matches!(op, ChannelOp::SendWithdrawn { .. }), false)
}

/// `channels::send_timeout_vs_recv` with both interpreters spinning (the
/// default config): a blocking send with a deadline races a receiver with
/// the same deadline, main the timer. Exactly once (CH-2): delivered and
/// `Ok`, or withdrawn and `Timeout` with the item back; the sender may see
/// either while it spins.
///
/// loom: preemptions <= 4 (3 threads: main as the timer, sender,
/// receiver): 27,770 executions, 5 s. Exhaustive, the spins' looks in
/// both waits grow the search to 4,500,536 executions (28 minutes on a
/// loaded machine), more than a verify run can give one scenario; four
/// preemptions still let the timer fire between any two steps of either
/// wait (a timeout race needs one or two). The blocking path alone is
/// checked exhaustively by `channels::send_timeout_vs_recv`.
#[test]
fn send_timeout_vs_recv() {
    super::timeout_race(
        Scenario::new("channels::spin::send_timeout_vs_recv")
            .witness_when(
                "delivered_in_spin",
                "the receiver took the item while the sender spun, GIL held",
                delivered_in_spin,
            )
            .witness_when("withdrawn_in_spin", "the sender saw its deadline pass while it spun", withdrawn_in_spin)
            .loom(LoomBounds::preemptions(4)),
        true,
    );
}

/// A blocking sender in A races a receiver in B and a forced close by
/// main. Exactly once (CH-2): the sender is told `Ok` and the receiver got
/// the item, or the sender got it back (`Closed`) and the receiver got
/// `Closed`; a close while the sender spins or sleeps hands it back
/// (CH-3).
///
/// loom: exhaustive (3 threads: main as the closer, sender, receiver):
/// 73,950 executions, about 13 s.
#[test]
fn send_vs_close() {
    Scenario::new("channels::spin::send_vs_close")
        .witness_when(
            "delivered_in_spin",
            "the receiver took the item while the sender spun, GIL held",
            delivered_in_spin,
        )
        .witness_when("returned_in_spin", "the close handed the item back while the sender spun", returned_in_spin)
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
            let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
            let sender = thread::spawn_named("sender", move || on(&a, |py| tx.send(py, 1, Forever)));
            let receiver = {
                let rx = rx.clone();
                thread::spawn_named("receiver", move || on(&b, |py| rx.recv(py, Forever)))
            };
            assert_eq!(rx.close_ends(Ends::Both, true), Ok(()));
            let sent = sender.join().unwrap();
            let got = receiver.join().unwrap();
            let ledger = rx.ledger();
            match (&sent, &got) {
                (Ok(()), Ok(Received::Item(1))) => assert_eq!(ledger.received, 1),
                (Err(SendError::Closed(1)), Err(RecvError::Closed)) => {
                    assert_eq!(ledger.returned + ledger.refused, 1, "CH-1: the item came back once")
                }
                other => panic!("invariant CH-2 violated: sent and got {other:?}"),
            }
            assert_eq!(rx.status(), Status::Closed);
            assert_ledger(ledger);
        });
}

/// Two interpreters of `runtime` and a channel each has used once: A
/// sent on the send end, B received from the receive end (both associated,
/// B's hint set), and the queue is empty again.
fn associated_pair(
    runtime: &Runtime,
) -> (Interpreter, Interpreter, channel::RecvChannel<u32>, channel::SendChannel<u32>) {
    let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
    let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
    on(&a, |py| tx.send(py, 0, Nowait)).unwrap();
    assert_eq!(on(&b, |py| rx.recv(py, Nowait)), Ok(Received::Item(0)));
    (a, b, rx, tx)
}

/// A blocking sender in A waits for a receiver that never comes; another
/// thread of A releases the send end, and a thread of B the receive end.
/// The last release closes the channel: the sender gets its item back,
/// refused (its interpreter released the end first) or returned by the
/// close (CH-1, CH-3, CH-4).
///
/// A's release needs A's GIL, which the sender holds while it spins: the
/// closing release lands before the send or while the sender is parked
/// (the spin's race with a close is `send_vs_close`'s).
///
/// loom: preemption bound 2 (4 threads: main, sender and releaser in A,
/// releaser in B): 2,443 executions, under a second. Exhaustive did not
/// finish in 400 s; bound 2 covers every order of the two releases and
/// the send (each order needs at most two preemptions), which is what
/// decides the outcome.
#[test]
fn send_vs_release() {
    Scenario::new("channels::spin::send_vs_release")
        .witness_when("returned_parked", "the last release closed the channel under the parked sender", returned_parked)
        .witness_event("refused_released", "the sender's interpreter released the send end before it sent", |e| {
            matches!(step(e), Some(ChannelOp::SendRefused(SendRefusal::Released)))
        })
        .loom(LoomBounds::preemptions(2))
        .check(|| {
            let runtime = Runtime::new();
            let (a, b, rx, tx) = associated_pair(&runtime);
            let sender = {
                let (tx, a) = (tx.clone(), a.clone());
                thread::spawn_named("sender", move || on(&a, |py| tx.send(py, 1, Forever)))
            };
            let release_a = thread::spawn_named("release-a", move || on(&a, |py| tx.release(py)));
            let release_b = {
                let rx = rx.clone();
                thread::spawn_named("release-b", move || on(&b, |py| rx.release(py)))
            };
            assert_eq!(release_a.join().unwrap(), Ok(()), "CH-4: A's release succeeds");
            assert_eq!(release_b.join().unwrap(), Ok(()), "CH-4: B's release succeeds");
            match sender.join().unwrap() {
                Err(SendError::Closed(1)) => {}
                other => panic!("invariant CH-3 violated: the sender got {other:?}, not Closed with its item"),
            }
            assert_eq!(rx.status(), Status::Closed, "CH-4: no association left: closed");
            assert_ledger(rx.ledger());
        });
}

/// B received once (so its association answers from the hint), then one
/// thread of B waits in `recv` while another releases B's receive end; A
/// keeps the channel open. The receiver must be refused (`Closed`) however
/// the release and its wait interleave (CH-4): a hint left on B after its
/// release would let it wait forever.
///
/// The release needs B's GIL, which the receiver holds while it spins, so
/// it lands before the receiver's first look or while it is parked.
///
/// loom: preemption bound 2 (3 threads: main, receiver and releaser in B):
/// 215 executions, under a second. Exhaustive did not finish in 10
/// minutes (the two threads of B hand B's GIL back and forth around the
/// receiver's park); bound 2 lets the release land before the receiver's
/// first look, during its spin's hold of the GIL (where it waits), and
/// while it is parked, which is every case the outcome depends on.
#[test]
fn recv_vs_release() {
    Scenario::new("channels::spin::recv_vs_release")
        .witness_event("released_first", "the release came before the receiver looked", |e| {
            matches!(step(e), Some(ChannelOp::RecvReleased))
        })
        .witness_event("released_while_parked", "the receiver was parked when its end was released", |e| {
            matches!(e, EventKind::Channel(c) if matches!(c.op, ChannelOp::Released { .. }) && c.state.receivers_waiting == 1)
        })
        .loom(LoomBounds::preemptions(2))
        .check(|| {
            let runtime = Runtime::new();
            // A's interpreter and send end live to the end: A keeps the
            // channel open while B's receive end is released.
            let (_a, b, rx, _tx) = associated_pair(&runtime);
            let receiver = {
                let (rx, b) = (rx.clone(), b.clone());
                thread::spawn_named("receiver", move || on(&b, |py| rx.recv(py, Forever)))
            };
            let releaser = {
                let rx = rx.clone();
                thread::spawn_named("releaser", move || on(&b, |py| rx.release(py)))
            };
            assert_eq!(releaser.join().unwrap(), Ok(()), "CH-4: B's release succeeds");
            assert_eq!(receiver.join().unwrap(), Err(RecvError::Closed), "CH-4: a released end cannot receive");
            assert_eq!(rx.status(), Status::Open, "A is still associated with the send end");
            assert_ledger(rx.ledger());
        });
}

fn marker_taken_in_spin(events: &[Event]) -> bool {
    decided(
        events,
        "receiver",
        recv_started,
        |op| matches!(op, ChannelOp::Received { receipt: Receipt::Unbound, .. }),
        false,
    )
}

/// A receiver in B waits while a thread sends one item from A and then
/// destroys A. The receiver gets the item, or the `UNBOUND` marker it left
/// (CH-6), and the payload is received or unbound once (CH-1).
///
/// loom: exhaustive (3 threads: main, receiver, sender-then-destroyer):
/// 5,725 executions, about 1 s.
#[test]
fn recv_vs_destroy() {
    Scenario::new("channels::spin::recv_vs_destroy")
        .witness_when("item_in_spin", "the receiver took the item in its spin", item_taken_in_spin)
        .witness_when("marker_in_spin", "the receiver took the UNBOUND marker in its spin", marker_taken_in_spin)
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let (a, b) = (runtime.create().unwrap(), runtime.create().unwrap());
            let a_id = a.id();
            let (rx, tx) = on(runtime.main(), |py| channel::create::<u32>(py, UnboundPolicy::Replace));
            // B on the receive end: the channel outlives A.
            assert_eq!(on(&b, |py| rx.recv(py, Nowait)), Err(RecvError::Empty));
            let receiver = {
                let rx = rx.clone();
                thread::spawn_named("receiver", move || on(&b, |py| rx.recv(py, Forever)))
            };
            let destroyer = thread::spawn_named("sender", move || {
                on(&a, |py| tx.send(py, 1, Nowait)).unwrap();
                a.destroy()
            });
            assert_eq!(destroyer.join().unwrap(), Ok(()));
            let ledger = rx.ledger();
            match receiver.join().unwrap() {
                Ok(Received::Item(1)) => assert_eq!(ledger.received, 1),
                Ok(Received::Unbound(from)) => {
                    assert_eq!(from, a_id, "CH-6: the marker names the destroyed sender");
                    assert_eq!(ledger.unbound, 1, "CH-6: the payload is accounted as unbound");
                }
                other => panic!("invariant CH-6 violated: the receiver got {other:?}"),
            }
            assert_ledger(ledger);
        });
}
