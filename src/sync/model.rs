//! What the two model backends share. loom and shuttle mirror std's API, so
//! their atomics, poisoning locks and thread builders are wrapped the same
//! way; only the crate differs. `model_backend!(loom)` writes the `atomic`
//! and `lock` modules and `thread::spawn` for that crate; each backend file
//! adds what differs (its `Arc`, how it names the current thread).

macro_rules! model_backend {
    ($krate:ident) => {
        pub(super) mod atomic {
            pub use $krate::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
        }

        pub(super) mod lock {
            use std::sync::PoisonError;
            pub type RawMutex<T> = $krate::sync::Mutex<T>;
            pub type RawGuard<'a, T> = $krate::sync::MutexGuard<'a, T>;
            pub type RawCondvar = $krate::sync::Condvar;

            // A panicking model thread aborts the whole execution, so
            // poisoning only ever shows up while unwinding: take the data
            // and carry on.
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
            // A model has no clock: a wait for an instant is a plain wait
            // (and `Deadline` never asks for one under a model).
            pub fn wait_until<'a, T>(c: &RawCondvar, g: RawGuard<'a, T>, _at: std::time::Instant) -> RawGuard<'a, T> {
                wait(c, g)
            }
        }

        pub(super) mod thread {
            pub use super::current_name;
            pub use $krate::thread::{park, yield_now, JoinHandle, Thread};
            pub use $krate::thread_local;

            pub fn spawn<F, T>(name: Option<String>, f: F) -> JoinHandle<T>
            where
                F: FnOnce() -> T + Send + 'static,
                T: Send + 'static,
            {
                // Model threads are coroutines on the test's OS thread: the
                // trace recorder (an OS thread-local) is already theirs.
                let mut builder = $krate::thread::Builder::new().stack_size(super::THREAD_STACK);
                if let Some(name) = name {
                    builder = builder.name(name);
                }
                builder
                    .spawn(move || crate::trace::run_thread(f))
                    .expect(concat!(stringify!($krate), " refused to spawn a thread"))
            }
        }
    };
}
