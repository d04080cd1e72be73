//! An interpreter's thread bookkeeping: how many of its threads run, of
//! each kind, and whether finalization closed the door to new ones.
//!
//! | field        | meaning                                             |
//! |--------------|-----------------------------------------------------|
//! | `non_daemon` | non-daemon threads started and not yet finished     |
//! | `daemon`     | daemon threads started and not yet finished         |
//! | `closed`     | the finalizer is waiting: no thread may be started  |
//!
//! All three live under one mutex, so "the finalizer saw no non-daemon
//! thread" and "a new non-daemon thread was counted" cannot both happen.
//! The counts a trace shows are read under the same mutex, so they are
//! exact (trace validation checks them).
//!
//! This file knows nothing of the interpreter that owns the counts (its
//! core holds them; `threads.rs` starts the threads and counts them here),
//! so the core and the threads it starts do not depend on each other.
use super::thread_kind::ThreadKind;
use super::InterpreterId;
use crate::sync::time::Deadline;
use crate::sync::{Condvar, Mutex};
use crate::trace::event::InterpEvent;
use crate::trace_event;

#[derive(Default)]
struct Counts {
    non_daemon: usize,
    daemon: usize,
    closed: bool,
}

/// An interpreter's thread bookkeeping.
#[derive(Default)]
pub(crate) struct Threads {
    counts: Mutex<Counts>,
    finished: Condvar,
}

impl Threads {
    /// Counts a new thread of `kind` for interpreter `id`, unless the door
    /// is closed or `running` (asked under the lock, after the door) says
    /// the interpreter no longer runs. Returns whether it was counted.
    pub(crate) fn admit(&self, id: InterpreterId, kind: ThreadKind, running: impl FnOnce() -> bool) -> bool {
        let mut counts = self.counts.lock();
        if counts.closed || !running() {
            trace_event!(InterpEvent::SpawnRefused { interp: id.0 });
            return false;
        }
        match kind {
            ThreadKind::NonDaemon => counts.non_daemon += 1,
            ThreadKind::Daemon => counts.daemon += 1,
        }
        trace_event!(InterpEvent::ThreadSpawned {
            interp: id.0,
            kind,
            non_daemon: counts.non_daemon,
            daemon: counts.daemon
        });
        true
    }

    /// Uncounts a thread of `kind` that ended, and wakes the finalizer when
    /// it was the last non-daemon one.
    pub(crate) fn exited(&self, id: InterpreterId, kind: ThreadKind) {
        let mut counts = self.counts.lock();
        match kind {
            ThreadKind::NonDaemon => counts.non_daemon -= 1,
            ThreadKind::Daemon => counts.daemon -= 1,
        }
        // Under the lock, like `admit`: the counts a trace shows are exact.
        trace_event!(InterpEvent::ThreadExited {
            interp: id.0,
            kind,
            non_daemon: counts.non_daemon,
            daemon: counts.daemon
        });
        if counts.non_daemon == 0 {
            self.finished.notify_all();
        }
    }

    /// Closes the door to new threads and waits until no non-daemon thread
    /// runs. On timeout, opens the door again and returns how many remain.
    pub(crate) fn close_and_wait(&self, deadline: &Deadline) -> Result<usize, usize> {
        let mut counts = self.counts.lock();
        counts.closed = true;
        while counts.non_daemon > 0 {
            if self.finished.wait_until(&mut counts, deadline) && counts.non_daemon > 0 {
                counts.closed = false;
                return Err(counts.non_daemon);
            }
        }
        Ok(counts.daemon)
    }

    /// Opens the door again (a finalization that gave up).
    pub(crate) fn reopen(&self) {
        self.counts.lock().closed = false;
    }

    /// How many threads of each kind are running (non-daemon, daemon).
    pub(crate) fn running(&self) -> (usize, usize) {
        let counts = self.counts.lock();
        (counts.non_daemon, counts.daemon)
    }
}
