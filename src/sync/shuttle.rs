//! shuttle backend: randomized, PCT and DFS schedules.
pub(super) const NAME: &str = "shuttle";

// shuttle's `Arc` is std's (reference counts need no scheduling); the
// newtype keeps the facade the only place that names it.
#[path = "std_arc.rs"]
mod arc;
pub use arc::Arc;

pub(super) mod atomic {
    pub use shuttle::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

pub(super) mod lock {
    use std::sync::PoisonError;
    pub type RawMutex<T> = shuttle::sync::Mutex<T>;
    pub type RawGuard<'a, T> = shuttle::sync::MutexGuard<'a, T>;
    pub type RawCondvar = shuttle::sync::Condvar;

    // See the loom backend: poisoning is only seen while an execution unwinds.
    pub fn lock<T>(m: &RawMutex<T>) -> RawGuard<'_, T> {
        m.lock().unwrap_or_else(PoisonError::into_inner)
    }
    pub fn try_lock<T>(m: &RawMutex<T>) -> Option<RawGuard<'_, T>> {
        m.try_lock().ok()
    }
    pub fn into_inner<T>(m: RawMutex<T>) -> T {
        m.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
    pub fn wait<'a, T>(c: &RawCondvar, g: RawGuard<'a, T>) -> RawGuard<'a, T> {
        c.wait(g).unwrap_or_else(PoisonError::into_inner)
    }
    // A model has no clock: a wait for an instant is a plain wait (and
    // `Deadline` never asks for one under a model).
    pub fn wait_until<'a, T>(c: &RawCondvar, g: RawGuard<'a, T>, _at: std::time::Instant) -> RawGuard<'a, T> {
        wait(c, g)
    }
}

pub(super) mod thread {
    pub use shuttle::thread::{park, yield_now, JoinHandle, Thread};
    pub use shuttle::thread_local;

    pub fn spawn<F, T>(name: Option<String>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // shuttle tasks are continuations on the test's OS thread: the trace
        // session (an OS thread-local) is already theirs.
        let mut builder = shuttle::thread::Builder::new();
        if let Some(name) = name {
            builder = builder.name(name);
        }
        builder.spawn(move || crate::trace::session::run_thread(f)).expect("shuttle refused to spawn a thread")
    }

    /// The current task's name. Reads shuttle's execution state without a
    /// scheduling decision.
    pub fn current_name() -> Option<String> {
        // shuttle names the root task `main-thread`; loom leaves it unnamed
        // and the trace calls it `main`. Same scenario, same column names.
        match shuttle::thread::current().name() {
            Some("main-thread") | None => None,
            Some(name) => Some(name.to_owned()),
        }
    }
}
