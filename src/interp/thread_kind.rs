//! Whether finalization waits for a thread: a plain value, kept apart from
//! the thread bookkeeping (`thread_counts.rs`) so that the events, which
//! record it, sit below the code that counts threads.

/// Whether finalization waits for a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadKind {
    /// Finalization waits for it to finish.
    NonDaemon,
    /// Finalization does not wait; it cannot attach once finalization began.
    Daemon,
}
