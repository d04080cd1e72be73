//! loom backend: every interleaving of a scenario is explored.
pub(super) const NAME: &str = "loom";

pub use loom::sync::Arc;

pub(super) mod atomic {
    pub use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

pub(super) mod lock {
    use std::sync::PoisonError;
    pub type RawMutex<T> = loom::sync::Mutex<T>;
    pub type RawGuard<'a, T> = loom::sync::MutexGuard<'a, T>;
    pub type RawCondvar = loom::sync::Condvar;

    // A panicking model thread aborts the whole execution, so poisoning only
    // ever shows up while unwinding: take the data and carry on.
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
    pub use loom::thread::{park, yield_now, JoinHandle, Thread};
    pub use loom::thread_local;

    pub fn spawn<F, T>(name: Option<String>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // loom threads are coroutines on the test's OS thread: the trace
        // session (an OS thread-local) is already theirs.
        let mut builder = loom::thread::Builder::new();
        if let Some(name) = name {
            builder = builder.name(name);
        }
        builder.spawn(move || crate::trace::session::run_thread(f)).expect("loom refused to spawn a thread")
    }

    /// The current model thread's name. Reads loom's execution state without
    /// creating a branch point.
    pub fn current_name() -> Option<String> {
        loom::thread::current().name().map(str::to_owned)
    }
}
