//! Pending calls: work other interpreters queue on an interpreter, run by
//! the next thread that holds its GIL (CPython's `_PyEval_AddPendingCall`
//! and `_Py_HandlePending`).
//!
//! The only call queued here is the release of an [`XiData`](super::XiData)'s
//! strong reference: a decref that must happen under the owner's GIL, from
//! a thread that is not attached to the owner. The ring is bounded
//! ([`Config::pending_calls`](crate::Config::pending_calls), CPython's 300;
//! the models use 1 to reach "full");
//! a full ring is an error the releasing caller sees, with its XiData handed
//! back ([`Rejected`](super::Rejected)).
//!
//! # The state
//!
//! | field | meaning | under |
//! |---|---|---|
//! | `calls` | queued decrefs, oldest first, at most `capacity` | the ring mutex |
//! | `running` | a thread is running this interpreter's calls (only one at a time) | the ring mutex |
//! | `closed` | teardown drained the ring: a later push is a protocol bug (XI-3) | the ring mutex |
//! | `flag` | a hint that `calls` may be non-empty, read on every attach without the mutex | atomic |
//!
//! | step | by | trace op |
//! |---|---|---|
//! | push | a releaser not attached to the owner, **holding a guard on it** | `pending.push` |
//! | run | `on_attach`, the kernel's attach hook (`subsystem.rs`): the thread just took the owner's GIL (every attach: `ensure`, `with_gil`, the re-attach after `allow_threads`, the restore after a release) | `pending.run` |
//! | drain and close | finalization step 5, before the heap is torn down | `pending.run`, `pending.close` |
//!
//! # Races considered
//!
//! - *Push vs teardown.* A push is made under a guard on the owner, so it
//!   happens before the owner can begin finalizing, and teardown (after
//!   Finalizing) drains it. A releaser whose guard is refused gets
//!   [`XiError::OwnerGone`](super::XiError::OwnerGone) and the runtime
//!   counts it: the strong reference leaks, loudly (the known bug
//!   `xi::bug_pending_after_owner_gone` pushes without the guard and loses
//!   the call; so does the mutation `xi-push-without-guard`). Pushing to a closed ring panics (XI-3) rather than lose it.
//! - *Push vs run.* Both take the ring mutex; a run takes the calls queued
//!   so far and clears the flag under it. A push after that sets the flag
//!   again and is run at the next attach (or by teardown's drain).
//! - *Two runners.* With a per-interpreter GIL only its holder runs; the
//!   `running` flag also keeps a shared GIL or a nested attach from running
//!   the same interpreter's calls twice at once (CPython's rule: one thread
//!   per interpreter runs pending calls at a time).
//! - *A missed flag.* The flag is a hint read with `Relaxed`: if an attach
//!   reads it before a concurrent push sets it, that push's call waits for
//!   the next attach, which is exactly "run when a thread next holds the
//!   GIL". A push that happens before an attach (through any
//!   synchronization) is seen by it: coherence gives the flag's store to a
//!   load ordered after it, whatever the ordering.
//!
//! # Orderings
//!
//! The ring mutex orders the calls. `flag` is `Relaxed` both ways: it
//! carries no data (the runner takes the mutex before reading `calls`), and
//! the only reader that must see it (teardown) takes the mutex anyway.
use super::heap::GilHeld;
use super::Obj;
use crate::interp::Core;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::Mutex;
use crate::trace::event::{RingLen, XiEvent};
use crate::trace_event;
use std::collections::VecDeque;

/// A call queued on an interpreter.
#[derive(Debug)]
pub(crate) enum Call {
    /// Release one strong reference: the decref of an XiData released
    /// outside its owner.
    Decref(Obj),
}

struct Ring {
    calls: VecDeque<Call>,
    running: bool,
    closed: bool,
}

/// One interpreter's pending-call ring.
pub(crate) struct Pending {
    ring: Mutex<Ring>,
    flag: AtomicBool,
    capacity: usize,
}

impl Pending {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(Ring { calls: VecDeque::new(), running: false, closed: false }),
            flag: AtomicBool::new(false),
            capacity,
        }
    }

    /// Queues `call`. The caller holds a guard on the owner (see the module
    /// docs). A full ring hands the call back.
    pub(crate) fn push(&self, core: &Core, call: Call) -> Result<usize, Call> {
        let mut ring = self.ring.lock();
        if ring.closed {
            // The guard the caller holds makes this unreachable; losing the
            // call silently would be the leak of `bug_pending_after_owner_gone`.
            panic!(
                "invariant XI-3 violated: {call:?} was queued on {}'s pending calls after teardown drained them (it would never run)",
                core.id
            );
        }
        if ring.calls.len() >= self.capacity {
            let len = ring.calls.len();
            drop(ring);
            trace_event!(XiEvent::PushFull { owner: core.id.0, ring: RingLen { len, capacity: self.capacity } });
            return Err(call);
        }
        let &Call::Decref(obj) = &call;
        ring.calls.push_back(call);
        let len = ring.calls.len();
        // Relaxed: a hint (see `# Orderings`); the mutex orders the call.
        self.flag.store(true, Ordering::Relaxed);
        drop(ring);
        trace_event!(XiEvent::Push { owner: core.id.0, obj, ring: RingLen { len, capacity: self.capacity } });
        Ok(len)
    }

    /// Takes the queued calls, unless another thread is running them.
    fn take(&self) -> Option<VecDeque<Call>> {
        let mut ring = self.ring.lock();
        if ring.running || ring.calls.is_empty() {
            return None;
        }
        ring.running = true;
        // Relaxed: see `# Orderings`.
        self.flag.store(false, Ordering::Relaxed);
        Some(std::mem::take(&mut ring.calls))
    }

    fn done(&self) -> usize {
        let mut ring = self.ring.lock();
        ring.running = false;
        ring.calls.len()
    }

    /// Calls queued now (a snapshot, for tests).
    pub(crate) fn len(&self) -> usize {
        self.ring.lock().calls.len()
    }
}

/// Runs `core`'s pending calls if there may be any: called by
/// the kernel's attach hook right after the thread took `core`'s GIL.
#[inline]
pub(crate) fn on_attach(core: &Core) {
    // Relaxed: a hint; `run` takes the ring mutex (see `# Orderings`).
    if core.subsystems.xi.pending.flag.load(Ordering::Relaxed) {
        run(core);
    }
}

/// Runs the calls queued so far, under `core`'s GIL (held by the caller).
/// Returns how many ran.
fn run(core: &Core) -> usize {
    let pending = &core.subsystems.xi.pending;
    let Some(calls) = pending.take() else {
        return 0;
    };
    let ran = calls.len();
    for call in calls {
        match call {
            Call::Decref(obj) => {
                // The calling thread holds `core`'s GIL: it just attached.
                if let Err(e) = core.subsystems.xi.heap.decref(GilHeld::checked(core), obj) {
                    trace_event!(XiEvent::CallFailed { owner: core.id.0, obj, error: e });
                }
            }
        }
    }
    let left = pending.done();
    core.runtime.subsystems.xi.pending_ran.fetch_add(ran as u64, Ordering::Relaxed);
    trace_event!(XiEvent::RunDone { owner: core.id.0, ran, ring: RingLen { len: left, capacity: pending.capacity } });
    ran
}

/// Teardown's drain: runs every queued call, then closes the ring. The
/// finalizer is attached to `core`. Returns how many ran.
pub(crate) fn drain_and_close(core: &Core) -> usize {
    let mut ran = 0;
    loop {
        ran += run(core);
        let mut ring = core.subsystems.xi.pending.ring.lock();
        if ring.calls.is_empty() && !ring.running {
            ring.closed = true;
            // The facts, read in the critical section that closed the ring.
            let (len, closed) = (ring.calls.len(), ring.closed);
            drop(ring);
            trace_event!(XiEvent::RingClosed { owner: core.id.0, len, closed });
            return ran;
        }
    }
}
