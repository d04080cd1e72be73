//! Scenarios for cross-interpreter data and the refcount hand-off
//! (`src/xi/`, `docs/xi.md`).
//!
//! Invariants checked (ids from `docs/invariants.md`):
//! - XI-1 no access after free: a stale handle panics under loom and shuttle
//!   (`Table::stale` in `src/xi/heap.rs`);
//! - XI-2 a refcount is touched only under its owner's GIL: loom's race
//!   detector on the heap's `UnsafeCell`, and under shuttle the assertion in
//!   `Heap::with_table`;
//! - XI-3 every object is freed exactly once, when its last reference goes,
//!   and none is left at the end: each scenario ends by attaching to the
//!   owner (which runs what is pending) and asserting an empty heap, or by
//!   checking the runtime's leak counters;
//! - XI-4 an owner never finalizes with an open view: asserted at teardown
//!   (`xi::teardown`).
//!
//! The two scenarios with objects in channels (`src/channel/objects.rs`)
//! also check the channel invariants they touch: CH-1 (the ledger), CH-2
//! (a blocking send returns `Ok` once its item was received) and CH-6 (an
//! item whose sender was destroyed follows its unbound policy).

mod naive;

use xinterp::channel::{self, Forever, Nowait, Received, RecvError, UnboundPolicy};
use xinterp::sync::thread;
use xinterp::trace::event::XiEvent;
use xinterp::trace::EventKind;
use xinterp::xi::{Obj, Released, Value, XiData, XiError, XiStats};
use xinterp::{Attached, Config, Interpreter, Phase, Runtime};
use xinterp_check::{reach, LoomBounds, Scenario};

/// A run of pending calls that ran exactly one call.
fn ran_one_call(k: &EventKind) -> bool {
    matches!(k, EventKind::Xi(XiEvent::RunDone { ran: 1, .. }))
}

/// XI-3 at the end of a scenario: attaching to `interp` runs its pending
/// calls; then no object may be left.
fn assert_heap_empty(interp: &Interpreter) {
    let stats = interp.guard().expect("running").with_gil(|py| py.heap_stats().expect("attached"));
    assert!(
        stats.live == 0 && stats.freed == stats.allocated,
        "invariant XI-3 violated: {} has {} object(s) left at the end ({stats:?})",
        interp.id(),
        stats.live
    );
}

fn bytes_of(py: Attached<'_>, obj: Obj) -> Vec<u8> {
    match py.value(obj).expect("alive") {
        Value::Bytes(b) => b.to_vec(),
        Value::Int(i) => panic!("expected bytes, found {i}"),
    }
}

/// An object handed to another interpreter, which builds its own copy and
/// drops the data; the release is a pending call on the owner, while the
/// owner drops its own reference.
///
/// loom: exhaustive (2 threads: main is the owner, one receiver): 127
/// executions, well under a second; no bound is needed.
#[test]
fn handoff_released_by_pending_call() {
    Scenario::new("xi::handoff_released_by_pending_call")
        .witness_event("pending_call_ran", "the data's decref ran as a pending call in the owner", ran_one_call)
        .witness("freed_by_pending_call", "the owner's decref left 1; the pending call freed the object")
        .witness("freed_by_owner_decref", "the pending call ran first (at the owner's attach); its decref freed it")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let receiver = runtime.create().unwrap();
            let og = owner.guard_owned().unwrap();
            let (obj, data) = og.with_gil(|py| {
                let obj = py.new_bytes(*b"spam").unwrap();
                (obj, py.share(obj).unwrap())
            });
            let rg = receiver.guard_owned().unwrap();
            let receiving = thread::spawn_named("receiver", move || {
                rg.with_gil(|py| {
                    let copy = data.new_object(py).unwrap();
                    assert_eq!(bytes_of(py, copy), b"spam");
                    assert_eq!(data.release().unwrap(), Released::Pending, "not in the owner: a pending call");
                    assert_eq!(py.decref(copy), Ok(0));
                })
            });
            // The owner drops its own reference meanwhile.
            let left = og.with_gil(|py| py.decref(obj).unwrap());
            receiving.join().unwrap();
            drop(og);
            assert_heap_empty(&owner);
            assert_heap_empty(&receiver);
            reach(if left == 0 { "freed_by_owner_decref" } else { "freed_by_pending_call" });
        });
}

/// A view open on the owner's buffer while the owner is finalized: the
/// finalizer waits until the view is closed (from the receiver: switch to
/// the owner's GIL, decref, switch back, drop the guard).
///
/// loom: exhaustive (2 threads: main finalizes, one viewer): 7,759
/// executions, about 2 s.
#[test]
fn view_holds_off_finalization() {
    Scenario::new("xi::view_holds_off_finalization")
        .witness_on(
            "finalizer_waited_for_view",
            "finalization found the view's guard held and slept until the view closed",
            "finalize.wait",
            "blocked",
        )
        .witness(
            "closed_before_finalizing",
            "the view was closed while the owner was still running (before it entered Finalizing)",
        )
        .witness_event("view_decref_in_owner", "the close decref'd in the owner and freed the object", |k| {
            matches!(k, EventKind::Xi(XiEvent::Decref { freed: true, .. }))
        })
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let receiver = runtime.create().unwrap();
            let data = owner.guard().unwrap().with_gil(|py| {
                let obj = py.new_bytes(*b"buf").unwrap();
                let data = py.share(obj).unwrap();
                py.decref(obj).unwrap();
                data
            });
            let view = data.into_view().expect("the owner is running");
            let rg = receiver.guard_owned().unwrap();
            let watched = owner.clone();
            let viewer = thread::spawn_named("viewer", move || {
                rg.with_gil(|py| {
                    assert_eq!(&view[..], b"buf", "XI-1: the buffer is alive while the view is open");
                    view.close().unwrap();
                    assert!(py.check().is_ok(), "the close switched back to the receiver");
                });
                if watched.phase() == Phase::Running {
                    reach("closed_before_finalizing");
                }
            });
            owner.finalize().expect("finalization completes once the view is closed");
            viewer.join().unwrap();
            let stats = runtime.xi_stats();
            assert_eq!(stats.leaked_at_teardown, 0, "invariant XI-3 violated: the viewed object leaked");
            assert_eq!(stats.implicit_view_closes, 0);
        });
}

/// The owner is busy (attached, holding its GIL) while a receiver queues
/// the release; the owner runs it when it next attaches, after releasing
/// the GIL for a while (`allow_threads`).
///
/// loom: exhaustive (3 threads: main, owner, receiver; main only joins):
/// 4,239 executions, under a second.
#[test]
fn pending_release_while_owner_busy() {
    Scenario::new("xi::pending_release_while_owner_busy")
        .witness("ran_when_owner_reattached", "queued while the owner held its GIL; ran when it re-attached")
        .witness("ran_before_owner_looked", "queued before the owner attached; ran at that attach")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let (obj, data) = owner.guard().unwrap().with_gil(|py| {
                let obj = py.new_bytes(*b"busy").unwrap();
                let data = py.share(obj).unwrap();
                py.decref(obj).unwrap();
                (obj, data)
            });
            let og = owner.guard_owned().unwrap();
            let busy = thread::spawn_named("owner", move || {
                og.with_gil(|py| {
                    let before = py.is_alive(obj).unwrap();
                    py.allow_threads(|| ());
                    let after = py.is_alive(obj).unwrap();
                    match (before, after) {
                        (true, false) => reach("ran_when_owner_reattached"),
                        (false, false) => reach("ran_before_owner_looked"),
                        _ => {}
                    }
                })
            });
            let releasing =
                thread::spawn_named("receiver", move || assert_eq!(data.release().unwrap(), Released::Pending));
            busy.join().unwrap();
            releasing.join().unwrap();
            assert_heap_empty(&owner);
        });
}

/// A thread attached to the owner lets its GIL go (`allow_threads`) and
/// releases the data meanwhile, while another thread attaches to the owner
/// and drops its own reference: the release must be queued (a pending
/// call), since the releasing thread no longer holds the owner's GIL. Before
/// that, inside a heap session, the thread's checked operations are refused.
///
/// What it checks is the checked operations' cached attachment
/// (`src/xi/access.rs`): a cache the detach hook left set would still name
/// the owner's heap inside `allow_threads`, so the release would decref
/// directly, without the GIL, racing the other thread's decref; a cache a
/// session left set would let `incref` alias the session's `&mut`. Either
/// way the cross-check of the cached answer against the thread's record
/// (`heap::heap_access`) fails under both checkers, and loom's race
/// detector would see the first.
///
/// loom: exhaustive (2 threads: main, owner): see `docs/xi.md` for the
/// execution count.
#[test]
fn release_after_letting_the_gil_go_is_queued() {
    Scenario::new("xi::release_after_letting_the_gil_go_is_queued")
        .witness(
            "freed_by_pending_call",
            "the owner thread dropped its reference first; the queued release freed the object",
        )
        .witness(
            "freed_by_owner_decref",
            "the queued release ran first (at an attach); the owner thread's decref freed it",
        )
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let og = owner.guard_owned().unwrap();
            let (obj, data) = og.with_gil(|py| {
                let obj = py.new_bytes(*b"left").unwrap();
                let data = py.share(obj).unwrap();
                py.with_heap(|_| {
                    assert_eq!(py.incref(obj), Err(XiError::HeapBusy(owner.id())), "XI-2: a session is exclusive")
                })
                .unwrap();
                (obj, data)
            });
            let ug = owner.guard_owned().unwrap();
            let user = thread::spawn_named("owner", move || ug.with_gil(|py| py.decref(obj).unwrap()));
            og.with_gil(|py| {
                let released = py.allow_threads(move || data.release().unwrap());
                assert_eq!(released, Released::Pending, "XI-2: the GIL was let go: the release is queued");
            });
            let left = user.join().unwrap();
            drop(og);
            assert_heap_empty(&owner);
            reach(if left == 0 { "freed_by_owner_decref" } else { "freed_by_pending_call" });
        });
}

/// Two releases race for a ring of capacity 1: one is queued, the other is
/// handed back (full) and released directly by attaching to the owner.
///
/// loom: exhaustive (3 threads: main, two releasers): 146,556 executions,
/// about 24 s; both releasers contend for one ring
/// mutex and (the refused one) the owner's GIL. Still exhaustive, so no
/// bound to justify.
#[test]
fn ring_full_hands_back() {
    Scenario::new("xi::ring_full_hands_back")
        .witness_event("ring_full", "a push found the owner's ring full", |k| {
            matches!(k, EventKind::Xi(XiEvent::PushFull { .. }))
        })
        .witness("handed_back_then_direct", "the refused data came back and was released directly in the owner")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create_with(Config::isolated().with_pending_calls(1)).unwrap();
            let datas = owner.guard().unwrap().with_gil(|py| {
                let obj = py.new_bytes(*b"two").unwrap();
                let datas = [py.share(obj).unwrap(), py.share(obj).unwrap()];
                py.decref(obj).unwrap();
                datas
            });
            let releasers: Vec<_> = datas
                .into_iter()
                .enumerate()
                .map(|(n, data)| {
                    let view = owner.view();
                    thread::spawn_named(format!("releaser-{}", n + 1), move || match data.release() {
                        Ok(Released::Pending) => {}
                        Ok(other) => panic!("released {other:?} from outside the owner"),
                        Err(rejected) => {
                            assert_eq!(rejected.error, XiError::PendingFull(view.interpreter_id()));
                            let guard = view.guard_owned().expect("the owner runs");
                            let how = guard.with_gil(|_| rejected.data.release().unwrap());
                            assert_eq!(how, Released::Direct);
                            reach("handed_back_then_direct");
                        }
                    })
                })
                .collect();
            for r in releasers {
                r.join().unwrap();
            }
            assert_heap_empty(&owner);
            assert_eq!(runtime.xi_stats().pending_full, 1, "exactly one push can find the ring full");
        });
}

/// The owner is destroyed while its data is in flight: the release either
/// lands before (queued under a guard, drained at teardown: no leak) or
/// finds the owner gone (a typed error and a counter, and teardown reports
/// the object it leaked): accounted for either way, never silent.
///
/// loom: exhaustive (3 threads: main, receiver, destroyer): 2,814
/// executions, about 1 s.
#[test]
fn owner_destroyed_with_data_in_flight() {
    Scenario::new("xi::owner_destroyed_with_data_in_flight")
        .witness("released_before_destroy", "the release was queued before finalization; teardown ran it")
        .witness("owner_gone_reported", "the release found the owner finalizing or gone: reported and counted")
        .witness_event("drained_at_teardown", "teardown ran the queued release", ran_one_call)
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let receiver = runtime.create().unwrap();
            let data = owner.guard().unwrap().with_gil(|py| {
                let obj = py.new_bytes(*b"late").unwrap();
                let data = py.share(obj).unwrap();
                py.decref(obj).unwrap();
                data
            });
            let rg = receiver.guard_owned().unwrap();
            let receiving = thread::spawn_named("receiver", move || {
                rg.with_gil(|py| {
                    let copy = data.new_object(py).unwrap();
                    let released = data.release().map_err(|r| r.error);
                    assert_eq!(py.decref(copy), Ok(0));
                    released
                })
            });
            let destroyer = {
                let owner = owner.clone();
                thread::spawn_named("destroyer", move || owner.destroy())
            };
            let released = receiving.join().unwrap();
            destroyer.join().unwrap().expect("nothing holds the owner");
            let stats = runtime.xi_stats();
            match released {
                Ok(Released::Pending) => {
                    assert_eq!(stats.leaked_at_teardown, 0, "invariant XI-3 violated: a queued release leaked");
                    assert_eq!(stats.released_after_owner_gone, 0);
                    reach("released_before_destroy");
                }
                Err(XiError::OwnerGone(id)) => {
                    assert_eq!(id, owner.id());
                    assert_eq!(stats.released_after_owner_gone, 1, "XI-3: the failed release is counted");
                    assert_eq!(stats.leaked_at_teardown, 1, "XI-3: teardown reported the object");
                    reach("owner_gone_reported");
                }
                other => panic!("unexpected release: {other:?}"),
            }
        });
}

/// The owner sends an object through a real channel (`send_object`, which
/// waits until the item is received); the receiver, blocked in
/// `recv_object` or not there yet, builds its own copy, drops it, and the
/// data's release is queued on the owner as a pending call. The owner runs
/// it when it re-attaches after its send, before it drops its own
/// reference, or it drops its reference first and the call runs at the
/// next attach (here main's, at the end). Either way both heaps end empty
/// (XI-3), exactly one pending call ran, and the ledger balances (CH-1).
///
/// Both interpreters have [`Config::channel_spin`](xinterp::Config) off:
/// the send's and the receive's waits park at once. The hand-off is what
/// this checks; the spins' races are the channel's own
/// (`channels::spin::*`), and their extra look in both waits multiplies
/// this search past 20 minutes of a verify run.
///
/// loom: exhaustive (3 threads: main, owner, receiver; main only sets up,
/// joins and checks): 568,620 executions, 138 s (the most of any
/// scenario; exactly its count before the spins existed).
#[test]
fn object_through_channel_dropped_on_the_other_side() {
    Scenario::new("xi::object_through_channel_dropped_on_the_other_side")
        .witness_on("receiver_waited", "the receiver was blocked in recv before the send", "channel.recv", "blocked")
        .witness_event("release_queued", "the receiver queued the data's release on the owner", |k| {
            matches!(k, EventKind::Xi(XiEvent::ReleaseQueued { .. }))
        })
        .witness(
            "freed_by_owner_decref",
            "the pending call ran first (at the owner's re-attach after its send); the owner's own decref freed the object",
        )
        .witness("freed_by_pending_call", "the owner dropped its own reference first; the pending call freed the object")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let parks_at_once = Config::isolated().with_channel_spin(false);
            let owner = runtime.create_with(parks_at_once).unwrap();
            let receiver = runtime.create_with(parks_at_once).unwrap();
            let (rx, tx) =
                owner.guard().unwrap().with_gil(|py| channel::create::<XiData>(py, UnboundPolicy::Replace));
            let og = owner.guard_owned().unwrap();
            let sending = thread::spawn_named("owner", move || {
                og.with_gil(|py| {
                    let obj = py.new_bytes(*b"spam").unwrap();
                    tx.send_object(py, obj, Forever).expect("CH-2: received");
                    py.decref(obj).unwrap()
                })
            });
            let rg = receiver.guard_owned().unwrap();
            let receiving = {
                let rx = rx.clone();
                thread::spawn_named("receiver", move || {
                    rg.with_gil(|py| {
                        let copy = rx.recv_object(py, Forever).unwrap().into_item().expect("an object");
                        assert_eq!(copy.owner(), py.interpreter_id(), "the receiver's own object");
                        assert_eq!(bytes_of(py, copy), b"spam");
                        assert_eq!(py.decref(copy), Ok(0), "XI-3: the copy has one reference, the receiver's");
                    })
                })
            };
            let left = sending.join().unwrap();
            receiving.join().unwrap();
            assert_heap_empty(&owner);
            assert_heap_empty(&receiver);
            assert_eq!(
                runtime.xi_stats(),
                XiStats { pending_ran: 1, ..XiStats::default() },
                "XI-3: one release, by one pending call, nothing lost"
            );
            let ledger = rx.ledger();
            assert_eq!(ledger.received, 1);
            ledger.check().unwrap_or_else(|why| panic!("{why}"));
            reach(if left == 0 { "freed_by_owner_decref" } else { "freed_by_pending_call" });
        });
}

/// The owner sent an object through a channel (`send_object_nowait`) and
/// dropped its own reference: the queued data holds the only one. A
/// receiver takes what it finds while the owner is destroyed. Either the
/// destruction came first: finalization's step 5 turned the item into an
/// UNBOUND marker and dropped its data under the owner's GIL, before the
/// heap's teardown, so the object was freed there, no leak and no pending
/// call (CH-6, XI-3); or the receiver took the object first and its release
/// was queued under a guard and run at teardown (no leak), or found the owner
/// already finalizing: the leak is reported (`released_after_owner_gone`,
/// `leaked_at_teardown`), never silent.
///
/// loom: exhaustive (3 threads: main, receiver, destroyer): 12,936
/// executions, about 3.5 s.
#[test]
fn sender_destroyed_with_object_in_channel() {
    Scenario::new("xi::sender_destroyed_with_object_in_channel")
        .witness("unbound_after_destroy", "the owner was destroyed first: the receiver got the UNBOUND marker")
        .witness_when(
            "released_directly_at_destroy",
            "the destroyer's finalizer released the queued data directly in the owner (step 5, before the heap's teardown)",
            |events| {
                events
                    .iter()
                    .any(|e| e.thread == "destroyer" && matches!(e.kind, EventKind::Xi(XiEvent::ReleaseDirect { .. })))
            },
        )
        .witness("received_before_destroy", "the receiver took the object first; its release was queued and ran at teardown")
        .witness(
            "owner_gone_after_receipt",
            "the receiver took the object, then the owner began finalizing before the release: the leak is counted",
        )
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let owner = runtime.create().unwrap();
            let receiver = runtime.create().unwrap();
            let (rx, tx) = receiver.guard().unwrap().with_gil(|py| {
                let (rx, tx) = channel::create::<XiData>(py, UnboundPolicy::Replace);
                // The receiver associates first, so the channel outlives the
                // owner (its only other user): as in CPython, a channel whose
                // last open association is destroyed closes.
                assert_eq!(rx.recv(py, Nowait).map(|_| ()), Err(RecvError::Empty));
                (rx, tx)
            });
            owner.guard().unwrap().with_gil(|py| {
                let obj = py.new_bytes(*b"orphan").unwrap();
                tx.send_object(py, obj, Nowait).unwrap();
                py.decref(obj).unwrap();
            });
            let rg = receiver.guard_owned().unwrap();
            let receiving = {
                let rx = rx.clone();
                thread::spawn_named("receiver", move || {
                    rg.with_gil(|py| {
                        let got = rx.recv_object(py, Nowait);
                        if let Ok(Received::Item(copy)) = got {
                            assert_eq!(bytes_of(py, copy), b"orphan");
                            assert_eq!(py.decref(copy), Ok(0));
                        }
                        got
                    })
                })
            };
            let destroyer = {
                let owner = owner.clone();
                thread::spawn_named("destroyer", move || owner.destroy())
            };
            let got = receiving.join().unwrap();
            destroyer.join().unwrap().expect("nothing holds the owner");
            assert_heap_empty(&receiver);
            let stats = runtime.xi_stats();
            let ledger = rx.ledger();
            ledger.check().unwrap_or_else(|why| panic!("{why}"));
            match got {
                Ok(Received::Unbound(id)) => {
                    assert_eq!(id, owner.id());
                    assert_eq!(
                        stats,
                        XiStats::default(),
                        "invariant XI-3 violated: the queued object was not freed in its owner at its destruction"
                    );
                    assert_eq!((ledger.unbound, ledger.markers_received), (1, 1), "CH-6");
                    reach("unbound_after_destroy");
                }
                Ok(Received::Item(_)) if stats.released_after_owner_gone == 0 => {
                    assert_eq!(ledger.received, 1);
                    assert_eq!(
                        stats,
                        XiStats { pending_ran: 1, ..XiStats::default() },
                        "invariant XI-3 violated: the release queued before the destruction did not run at teardown"
                    );
                    reach("received_before_destroy");
                }
                Ok(Received::Item(_)) => {
                    assert_eq!(ledger.received, 1);
                    assert_eq!(
                        stats,
                        XiStats { released_after_owner_gone: 1, leaked_at_teardown: 1, ..XiStats::default() },
                        "XI-3: a release after the owner began finalizing is counted, and teardown reports the object"
                    );
                    reach("owner_gone_after_receipt");
                }
                other => panic!("invariant CH-6 violated: the receiver got {other:?}"),
            }
        });
}

/// Known bug (a): the receiver decrefs the owner's object under its own
/// GIL while the owner increfs and decrefs a temporary reference: a lost
/// update brings the count to 0 while the owner still holds a reference.
#[test]
fn bug_receiver_decref_use_after_free() {
    let cex = Scenario::new("xi::bug_receiver_decref_use_after_free")
        .loom(LoomBounds::default())
        .expect_bug(naive::receiver_decref_use_after_free);
    if let Some(cex) = cex {
        assert!(cex.message.contains("XI-1"), "the violation is XI-1: {}", cex.message);
        cex.assert_golden();
    }
}

/// Known bug (b): the sender increfs, the receiver decrefs under its own
/// GIL: the lost update leaves the count at 1 with no reference left.
#[test]
fn bug_send_incref_receiver_decref_leak() {
    let cex = Scenario::new("xi::bug_send_incref_receiver_decref_leak")
        .loom(LoomBounds::default())
        .expect_bug(naive::send_incref_receiver_decref_leak);
    if let Some(cex) = cex {
        assert!(cex.message.contains("XI-3"), "the violation is XI-3: {}", cex.message);
        cex.assert_golden();
    }
}

/// Known bug (c): release by pending call after the owner is gone: the
/// check and the push are two steps without a guard, and the call is
/// stranded on a torn-down owner's ring.
#[test]
fn bug_pending_after_owner_gone() {
    let cex = Scenario::new("xi::bug_pending_after_owner_gone")
        .loom(LoomBounds::default())
        .expect_bug(naive::pending_after_owner_gone);
    if let Some(cex) = cex {
        assert!(cex.message.contains("XI-3"), "the violation is XI-3: {}", cex.message);
        cex.assert_golden();
    }
}

/// Known bug (d), on the real heap (`src/xi/heap.rs`, not a naive model):
/// a borrowed reference decref'd as if owned (CPython's classic refcount
/// bug). A borrower thread, given the owner's handle, decrefs it without
/// having taken a reference. If that comes first, the object is freed while
/// its owner still holds a reference; the owner's next allocation reuses
/// the slot with a new generation, and the owner's incref through its now
/// stale handle is caught by the heap's generation check (`Table::slot`) as
/// XI-1. With the check switched off (the mutation
/// `stale-handle-undetected`) that incref silently lands on the other
/// object and the bug goes unseen.
///
/// loom: exhaustive: 2 threads (main owns, the borrower).
#[test]
fn bug_borrowed_reference_decref() {
    let cex = Scenario::new("xi::bug_borrowed_reference_decref").loom(LoomBounds::default()).expect_bug(|| {
        let runtime = Runtime::new();
        let sub = runtime.create().unwrap();
        let owned = sub.guard().expect("running").with_gil(|py| py.new_bytes(*b"spam")).expect("attached");
        let borrower = {
            let sub = sub.clone();
            thread::spawn_named("borrower", move || {
                // FLAW: a decref of a reference it never took.
                let _ = sub.guard().expect("running").with_gil(|py| py.decref(owned));
            })
        };
        sub.guard().expect("running").with_gil(|py| {
            // Reuses the slot if the borrower freed it, with a new generation.
            let _other = py.new_int(1).expect("attached");
            // The owner uses the reference it still believes it holds.
            let _ = py.incref(owned);
        });
        borrower.join().unwrap();
    });
    if let Some(cex) = cex {
        assert!(cex.message.contains("XI-1"), "the violation is XI-1: {}", cex.message);
        cex.assert_golden();
    }
}

/// Outcomes of sharing, receiving and viewing that the races above do not
/// reach, one after another on one thread: an int crosses by value (the
/// data holds no reference and its release does nothing); an object
/// received while its owner's pending-call ring is full is released by
/// switching to the owner (its GIL taken, the decref done directly, the
/// queued call run on the way); a view is refused once its owner is
/// finalized, and the data handed back is counted as leaked with it; a
/// view closed inside its owner's heap session with the ring full loses
/// its reference, counted.
///
/// Invariants: XI-2 (the switch decrefs under the owner's GIL), XI-3
/// (every object freed or its leak reported), XI-4 (no view on a
/// finalized owner).
///
/// The sequence runs on a thread of its own beside main's yield: shuttle's
/// scheduler refuses a body that gives it no choice to make.
///
/// loom: exhaustive (main, the sequence): 2 executions.
#[test]
fn outcomes_in_sequence() {
    Scenario::new("xi::outcomes_in_sequence").loom(LoomBounds::default()).check(|| {
        let sequence = thread::spawn_named("sequence", outcomes);
        // A step of main's beside the sequence's: shuttle's scheduler
        // refuses a body that gives it no choice to make.
        thread::yield_now();
        sequence.join().unwrap();
    });
}

/// [`outcomes_in_sequence`]'s steps.
fn outcomes() {
    let runtime = Runtime::new();
    let a = runtime.create_with(Config::isolated().with_pending_calls(1)).unwrap();
    let b = runtime.create().unwrap();
    let by_value = a.guard().unwrap().with_gil(|py| {
        let obj = py.new_int(42).unwrap();
        let data = py.share(obj).unwrap();
        py.decref(obj).unwrap();
        data
    });
    assert_eq!(by_value.object(), None, "an int crosses by value");
    assert!(matches!(by_value.release(), Ok(Released::Nothing)));

    let (rx, tx) = a.guard().unwrap().with_gil(|py| channel::create::<XiData>(py, UnboundPolicy::Replace));
    a.guard().unwrap().with_gil(|py| {
        let obj = py.new_bytes(*b"full").unwrap();
        tx.send_object(py, obj, Nowait).unwrap();
        py.decref(obj).unwrap();
    });
    let filler = a.guard().unwrap().with_gil(|py| {
        let obj = py.new_bytes(*b"filler").unwrap();
        let data = py.share(obj).unwrap();
        py.decref(obj).unwrap();
        data
    });
    b.guard().unwrap().with_gil(|py| {
        assert!(matches!(filler.release(), Ok(Released::Pending)), "a's ring (capacity 1) is full");
        let copy = rx.recv_object(py, Forever).unwrap().into_item().unwrap();
        assert_eq!(py.decref(copy), Ok(0));
    });
    assert_heap_empty(&a);

    // A view closed inside a heap session of its owner queues its decref;
    // with the ring full (a release queued in the same session) the
    // reference is lost, and counted (XI-3's report).
    let share = |bytes: &'static [u8]| {
        a.guard().unwrap().with_gil(|py| {
            let obj = py.new_bytes(bytes).unwrap();
            let data = py.share(obj).unwrap();
            py.decref(obj).unwrap();
            data
        })
    };
    let (view, filler) = (share(b"view").into_view().map_err(|r| r.error).unwrap(), share(b"filler"));
    let closed = a.guard().unwrap().with_gil(|py| {
        py.with_heap(|_| {
            assert!(matches!(filler.release(), Ok(Released::Pending)), "queued inside the session");
            view.close()
        })
    });
    assert_eq!(closed, Ok(Err(XiError::PendingFull(a.id()))), "the ring (capacity 1) is full");

    let late = a.guard().unwrap().with_gil(|py| {
        let obj = py.new_bytes(*b"late").unwrap();
        let data = py.share(obj).unwrap();
        py.decref(obj).unwrap();
        data
    });
    assert_eq!(a.finalize(), Ok(()));
    let refused = late.into_view().map(drop).unwrap_err();
    assert_eq!(refused.error, XiError::OwnerGone(a.id()), "XI-4: no view on a finalized owner");
    assert!(refused.data.release().is_err(), "XI-3: the owner is gone: the release is refused, and counted");
}
