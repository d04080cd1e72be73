//! Naive refcount hand-offs, for the known-bug models only: each is the
//! hand-off with one flaw, written against the facade so that loom and
//! shuttle can find what goes wrong, and recording the same trace events as
//! `src/xi/`.
//!
//! The refcount is CPython's plain `ob_refcnt++`: a load and a store. It is
//! modelled with a facade atomic read and a separate atomic write, so the
//! window between them is a schedule point under both checkers (shuttle has
//! no race detector: a lost update must be a schedule it can pick). Each
//! interpreter's GIL is a facade mutex; the flaw is always *which* GIL a
//! thread holds while it touches the count (or, for (c), a check and a push
//! that are two steps).
//!
//! | model | flaw | found as |
//! |---|---|---|
//! | [`receiver_decref_use_after_free`] | the receiver decrefs the owner's object under its own GIL while the owner increfs and decrefs a temporary reference | XI-1: the count reaches 0 while the owner still holds a reference, which it then uses |
//! | [`send_incref_receiver_decref_leak`] | the sender increfs correctly, the receiver decrefs under its own GIL, concurrently with the sender's own decref | XI-3: both decrefs read 2 and write 1; every reference is gone, the count never reaches 0 |
//! | [`pending_after_owner_gone`] | the release checks "owner alive", then queues its decref without a guard | XI-3: the owner tore down (and drained) in between; the call sits on a ring nobody will run |
use xinterp::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use xinterp::sync::{thread, Arc, Mutex};
use xinterp::trace::custom as record;

const I1: Option<u64> = Some(1);
const I2: Option<u64> = Some(2);

/// One object of interpreter 1, with a plain refcount.
struct Object {
    refcnt: AtomicUsize,
    freed: AtomicUsize,
}

/// The two interpreters' GILs.
struct World {
    obj: Object,
    gil1: Mutex<()>,
    gil2: Mutex<()>,
}

impl World {
    fn new(refcnt: usize) -> Arc<Self> {
        Arc::new(Self {
            obj: Object { refcnt: AtomicUsize::new(refcnt), freed: AtomicUsize::new(0) },
            gil1: Mutex::new(()),
            gil2: Mutex::new(()),
        })
    }

    fn gil(&self, interp: Option<u64>) -> &Mutex<()> {
        if interp == I1 {
            &self.gil1
        } else {
            &self.gil2
        }
    }

    /// `Py_INCREF` as C compiles it: read, then write.
    fn incref(&self, under: Option<u64>) {
        let n = self.obj.refcnt.load(Ordering::SeqCst);
        record(under, "refcount.incref", "read", format!("obj#0 refcnt={n} owner=I1"));
        self.obj.refcnt.store(n + 1, Ordering::SeqCst);
        record(under, "refcount.incref", "wrote", format!("obj#0 refcnt={} owner=I1", n + 1));
    }

    /// `Py_DECREF`: read, write, free at zero.
    fn decref(&self, under: Option<u64>) {
        let n = self.obj.refcnt.load(Ordering::SeqCst);
        record(under, "refcount.decref", "read", format!("obj#0 refcnt={n} owner=I1"));
        self.obj.refcnt.store(n - 1, Ordering::SeqCst);
        if n - 1 == 0 {
            let times = self.obj.freed.fetch_add(1, Ordering::SeqCst) + 1;
            record(under, "refcount.decref", "wrote: freed (the last reference went)", "obj#0 refcnt=0 owner=I1 freed");
            assert!(times == 1, "invariant XI-3 violated: obj#0 of interpreter 1 was freed {times} times");
        } else {
            record(under, "refcount.decref", "wrote", format!("obj#0 refcnt={} owner=I1", n - 1));
        }
    }

    /// Reads the object through a reference the caller holds.
    fn use_object(&self, under: Option<u64>) {
        if self.obj.freed.load(Ordering::SeqCst) > 0 {
            panic!("invariant XI-1 violated: use after free: obj#0 of interpreter 1 was freed while I1 still held a reference");
        }
        record(under, "object.use", "ok", "");
    }
}

/// (a) The owner holds one reference and takes a temporary one (incref,
/// use, decref, use again: ordinary C code under its GIL); the receiver,
/// which was handed the other reference, decrefs it under **its own** GIL.
pub fn receiver_decref_use_after_free() {
    // Two references: the owner's and the one sent to the receiver (the
    // sender's incref was made under the owner's GIL, correctly).
    let world = World::new(2);
    let receiver = {
        let world = Arc::clone(&world);
        thread::spawn_named("receiver", move || {
            // FLAW: the owner's refcount under the receiver's GIL.
            let _gil = world.gil(I2).lock();
            world.decref(I2);
        })
    };
    {
        let _gil = world.gil(I1).lock();
        world.incref(I1);
        world.use_object(I1);
        world.decref(I1);
        // The owner's own reference is still held: this must be safe.
        world.use_object(I1);
    }
    receiver.join().unwrap();
}

/// (b) The sender increfs for the send under its GIL (correct), then drops
/// its own reference under its GIL; the receiver drops the sent reference
/// under **its own** GIL.
pub fn send_incref_receiver_decref_leak() {
    let world = World::new(1);
    {
        let _gil = world.gil(I1).lock();
        world.incref(I1);
        record(I1, "xi.share", "ok: sent with a new reference", "obj#0 refcnt=2 owner=I1");
    }
    let receiver = {
        let world = Arc::clone(&world);
        thread::spawn_named("receiver", move || {
            // FLAW: the owner's refcount under the receiver's GIL.
            let _gil = world.gil(I2).lock();
            world.decref(I2);
        })
    };
    {
        let _gil = world.gil(I1).lock();
        world.decref(I1);
    }
    receiver.join().unwrap();
    let left = world.obj.refcnt.load(Ordering::SeqCst);
    let freed = world.obj.freed.load(Ordering::SeqCst);
    record(I1, "scenario.end", "both references were released", format!("obj#0 refcnt={left} freed={freed}"));
    assert!(
        freed == 1,
        "invariant XI-3 violated: obj#0 of interpreter 1 leaked: both references were released but refcnt={left}"
    );
}

/// (c) The release checks that the owner is alive, then queues its decref
/// on the owner's ring without a guard; the owner finalizes in between:
/// it drains its ring, tears down, and nothing will ever run the call.
pub fn pending_after_owner_gone() {
    struct Owner {
        alive: AtomicBool,
        ring: Mutex<Vec<&'static str>>,
        torn_down: AtomicBool,
        world: Arc<World>,
    }
    // One reference: the one the XiData holds.
    let owner = Arc::new(Owner {
        alive: AtomicBool::new(true),
        ring: Mutex::new(Vec::new()),
        torn_down: AtomicBool::new(false),
        world: World::new(1),
    });
    let receiver = {
        let owner = Arc::clone(&owner);
        thread::spawn_named("receiver", move || {
            if owner.alive.load(Ordering::SeqCst) {
                record(I1, "xi.release", "owner is alive: queuing", "");
                // FLAW: no guard holds the owner between the check and the push.
                let mut ring = owner.ring.lock();
                ring.push("decref obj#0");
                record(I1, "pending.push", "ok: decref obj#0", format!("ring={}", ring.len()));
                true
            } else {
                record(I1, "xi.release", "refused: the owner is gone (counted)", "");
                false
            }
        })
    };
    let finalizer = {
        let owner = Arc::clone(&owner);
        thread::spawn_named("finalizer", move || {
            owner.alive.store(false, Ordering::SeqCst);
            record(I1, "finalize.begin", "ok", "phase=finalizing");
            let _gil = owner.world.gil(I1).lock();
            let calls: Vec<_> = std::mem::take(&mut *owner.ring.lock());
            for _ in &calls {
                owner.world.decref(I1);
            }
            record(I1, "pending.run", format!("ran {} call(s)", calls.len()), "ring=0");
            owner.torn_down.store(true, Ordering::SeqCst);
            let left = owner.world.obj.refcnt.load(Ordering::SeqCst);
            record(I1, "heap.teardown", "torn down", format!("obj#0 refcnt={left}"));
        })
    };
    let queued = receiver.join().unwrap();
    finalizer.join().unwrap();
    let stranded = owner.ring.lock().len();
    if queued {
        assert!(
            stranded == 0,
            "invariant XI-3 violated: obj#0's release was queued on I1's pending calls after I1 was torn down: it never runs (leaked, unreported)"
        );
    }
}
