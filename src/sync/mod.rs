//! The sync facade: the one door through which xinterp reaches atomics,
//! locks, `Arc` and threads.
//!
//! Every protocol in this crate is written once, against this module. Which
//! implementation sits behind it is a build-time choice:
//!
//! | build                         | backend                                   | used for                      |
//! |-------------------------------|-------------------------------------------|-------------------------------|
//! | (default)                     | `std` atomics, `parking_lot`, OS threads  | production, stress runs       |
//! | `RUSTFLAGS="--cfg loom"`      | `loom::sync`, `loom::thread`, `loom::cell` | exhaustive model checking     |
//! | `RUSTFLAGS="--cfg shuttle"`   | `shuttle::sync`, `shuttle::thread`        | randomized / PCT model checking|
//!
//! The surface is exactly what the crate uses, and the same on every backend:
//! atomics and `fence`, `Arc`, a non-poisoning [`Mutex`] and
//! [`Condvar`] (parking_lot's shape: `wait(&mut guard)`), threads with names,
//! and an [`UnsafeCell`] with loom's `with`/`with_mut` closures.
//!
//! Nothing outside this module and `crate::trace` (the recorder hook, which
//! must add no schedule points) may name `std::sync`, `parking_lot`, `loom` or
//! `shuttle`: `clippy.toml`'s `disallowed-types` / `disallowed-methods`
//! enforce it.
//!
//! Downstream crates that model-check *their own* code with xinterp switched
//! along build with the same cfg (`RUSTFLAGS="--cfg loom"`), write their
//! scenarios against `xinterp::sync`, and run them through the checking
//! toolkit, `xinterp-check`.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

#[cfg(any(loom, shuttle))]
#[macro_use]
mod model;

#[cfg(loom)]
#[path = "loom.rs"]
mod backend;

#[cfg(all(shuttle, not(loom)))]
#[path = "shuttle.rs"]
mod backend;

#[cfg(not(any(loom, shuttle)))]
#[path = "std.rs"]
mod backend;

/// The backend's `thread_local!` for one value with a `const`
/// initializer: std's `const { .. }` form in production (each access skips
/// the lazy-initialization check, which matters on a guard's fast path),
/// the plain form under loom and shuttle, whose `thread_local!` has no
/// `const` form (one value per model thread, as for
/// [`thread::thread_local`]).
#[cfg(not(any(loom, shuttle)))]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        std::thread_local! { $(#[$attr])* static $name: $t = const { $init }; }
    };
}
#[cfg(loom)]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        loom::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}
#[cfg(all(shuttle, not(loom)))]
macro_rules! const_thread_local {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        shuttle::thread_local! { $(#[$attr])* static $name: $t = $init; }
    };
}
pub(crate) use const_thread_local;

mod cell;
mod lock;
pub mod spin;
pub mod time;

pub use backend::Arc;
pub use cell::UnsafeCell;
pub use lock::{Condvar, Mutex, MutexGuard};

/// A zero-sized marker that makes the type holding it `!Send` and keeps it
/// `Sync` (std's `MutexGuard` is both, on every backend: it is never
/// built, only named), without `unsafe`. A borrowed `Guard` holds one: the
/// thread that took it releases it.
pub(crate) type NotSend = std::marker::PhantomData<std::sync::MutexGuard<'static, ()>>;

/// Atomic integers, booleans and fences of the selected backend.
pub mod atomic {
    pub use super::backend::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// Threads of the selected backend: spawn (optionally named), join, yield, park.
pub mod thread {
    pub use super::backend::thread::{current_name, park, yield_now, JoinHandle, Thread};

    /// The backend's `thread_local!`: one value per *model* thread under
    /// loom and shuttle (whose threads share one OS thread), per OS thread
    /// in production.
    pub use super::backend::thread::thread_local;

    /// Spawns a thread running `f`.
    ///
    /// Under the production backend the new thread joins the calling thread's
    /// trace recorder (if any), so that a stress run's events and witnesses are
    /// recorded from every thread of the scenario.
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        super::backend::thread::spawn(None, f)
    }

    /// Spawns a thread with a name; traces show events under this name.
    pub fn spawn_named<F, T>(name: impl Into<String>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        super::backend::thread::spawn(Some(name.into()), f)
    }

    /// The backend's current time source for deadlines in production; model
    /// backends have no real time, so this is only for production paths.
    pub use std::time::Instant;
}

/// A number no other call in this process returned (from 1): a tag that
/// tells one runtime's registries from another's, so that an id minted by
/// one runtime is never resolved by another. Only uniqueness matters, not
/// order: a std atomic on every backend, outside any model (it synchronizes
/// nothing, so a model has nothing to explore in it, and `Relaxed` suffices:
/// `fetch_add` is unique whatever the ordering).
pub(crate) fn process_unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Whether this build runs under a model checker (loom or shuttle), which
/// has no clock: see [`time`].
pub const MODEL: bool = cfg!(any(loom, shuttle));

/// Which backend this build selected: `"loom"`, `"shuttle"` or `"std"`.
pub const BACKEND: &str = backend::NAME;
