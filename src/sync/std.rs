//! Production backend: std atomics and `Arc`, parking_lot locks, OS threads.
pub(super) const NAME: &str = "std";

#[path = "std_arc.rs"]
mod arc;
pub use arc::Arc;

#[path = "std_atomic.rs"]
pub(super) mod atomic;

pub(super) mod lock {
    pub type RawMutex<T> = parking_lot::Mutex<T>;
    pub type RawGuard<'a, T> = parking_lot::MutexGuard<'a, T>;
    pub type RawCondvar = parking_lot::Condvar;

    pub fn lock<T>(m: &RawMutex<T>) -> RawGuard<'_, T> {
        m.lock()
    }
    pub fn try_lock<T>(m: &RawMutex<T>) -> Option<RawGuard<'_, T>> {
        m.try_lock()
    }
    pub fn into_inner<T>(m: RawMutex<T>) -> T {
        m.into_inner()
    }
    pub fn wait<'a, T>(c: &RawCondvar, g: RawGuard<'a, T>) -> RawGuard<'a, T> {
        let mut g = g;
        c.wait(&mut g);
        g
    }
    pub fn wait_until<'a, T>(c: &RawCondvar, g: RawGuard<'a, T>, at: std::time::Instant) -> RawGuard<'a, T> {
        let mut g = g;
        c.wait_until(&mut g, at);
        g
    }
}

pub(super) mod thread {
    pub use std::thread::{JoinHandle, Thread};
    pub use std::thread_local;

    /// Gives up the rest of this thread's time slice.
    #[inline]
    pub fn yield_now() {
        std::thread::yield_now();
    }

    /// Blocks until this thread is unparked (or spuriously).
    #[inline]
    pub fn park() {
        std::thread::park();
    }

    pub fn spawn<F, T>(name: Option<String>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let recorder = crate::trace::current();
        let mut builder = std::thread::Builder::new();
        if let Some(name) = name {
            builder = builder.name(name);
        }
        builder
            .spawn(move || {
                let _entered = crate::trace::enter(recorder);
                crate::trace::run_thread(f)
            })
            .expect("failed to spawn an OS thread")
    }

    /// The current thread's name, without touching any scheduler.
    pub fn current_name() -> Option<String> {
        std::thread::current().name().map(str::to_owned)
    }
}
