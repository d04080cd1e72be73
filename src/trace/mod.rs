//! Protocol events, and the hook through which a checker records them.
//!
//! Every protocol step calls `trace_event!` with a typed [`EventKind`]
//! ([`event`]): the interpreter it acts on, what came of it, and the state it
//! left behind, read from the real state. The event goes to the calling
//! thread's [`Recorder`], if it has one: a checking tool (the
//! `xinterp-check` crate) installs one per scenario with [`enter`], keeps the
//! events of each execution, and renders and validates them. This crate only
//! defines what an event *is* and where it goes; it keeps none.
//!
//! The hook uses plain `std` primitives, never the [`sync`](crate::sync)
//! facade, so recording adds no schedule points and cannot change what loom
//! or shuttle explore. In production builds without the `trace` feature
//! `trace_event!` expands to nothing: the protocols pay nothing for being
//! traceable. Under loom and shuttle recording is always compiled in.
#![allow(clippy::disallowed_types)]

pub mod event;

pub use event::{Custom, EventKind, Step, VIOLATION_OP, WITNESS_OP};

use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// Where a thread's protocol events go: implemented by a checking tool.
///
/// A recorder is entered on a thread with [`enter`]. Under loom and shuttle
/// every model thread is a coroutine on the OS thread that entered it, so
/// they all record into it; in production a thread spawned through
/// [`sync::thread`](crate::sync::thread) records into its parent's recorder.
pub trait Recorder: Any + Send + Sync {
    /// Records one step taken by the calling thread.
    fn record(&self, kind: EventKind);

    /// A thread running under this recorder is unwinding with `payload`:
    /// called once the panic has left the thread's body (outside any
    /// checker's internals), before the panic goes on.
    fn thread_panicked(&self, payload: &(dyn Any + Send)) {
        let _ = payload;
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<dyn Recorder>>> = const { RefCell::new(None) };
}

/// Whether the calling thread records its steps.
pub(crate) fn active() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Records one event with the calling thread's recorder, if it has one.
///
/// Scenarios use it (usually through [`custom`]) to add their own steps to a
/// trace; the protocols in this crate record through `trace_event!`, which
/// compiles away in production builds without the `trace` feature.
pub fn record(kind: impl Into<EventKind>) {
    // Borrowed, not cloned: a recorded step costs no reference count. A
    // recorder may record again from `record` (a shared borrow); it may not
    // `enter` another recorder there.
    CURRENT.with(|c| {
        if let Some(recorder) = c.borrow().as_ref() {
            recorder.record(kind.into());
        }
    });
}

/// Records a scenario's own step ([`Custom`]): free-form text, shown in the
/// trace, never replayed on a reference model.
pub fn custom(
    interp: Option<u64>,
    op: impl Into<Cow<'static, str>>,
    outcome: impl fmt::Display,
    state: impl fmt::Display,
) {
    if active() {
        record(Custom::new(interp, op, outcome, state));
    }
}

/// The calling thread's recorder: to hand to a thread it spawns, or for a
/// checking tool to find its own (`Arc<dyn Any>` upcast and downcast).
pub fn current() -> Option<Arc<dyn Recorder>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Makes `recorder` the calling thread's until the returned guard drops,
/// which restores the previous one.
pub fn enter(recorder: Option<Arc<dyn Recorder>>) -> Entered {
    let previous = CURRENT.with(|c| c.replace(recorder));
    Entered { previous }
}

/// Restores the thread's previous recorder when dropped.
#[must_use = "the recorder is left as soon as this guard drops"]
pub struct Entered {
    previous: Option<Arc<dyn Recorder>>,
}

impl fmt::Debug for Entered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entered").field("restores_a_recorder", &self.previous.is_some()).finish()
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs a spawned thread's body; if it panics, its recorder hears of it
/// ([`Recorder::thread_panicked`]) before the panic goes on.
pub(crate) fn run_thread<T>(f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            if let Some(recorder) = current() {
                recorder.thread_panicked(&*payload);
            }
            std::panic::resume_unwind(payload)
        }
    }
}

/// The message a panic carried, for a thread's join summary.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic whose payload is not a string".to_owned()
    }
}

/// Records a protocol step: `trace_event!(kind)`, where `kind` is an
/// [`EventKind`] (or converts into one).
///
/// `kind` is only evaluated when tracing is compiled in (`--cfg loom`,
/// `--cfg shuttle`, or the `trace` feature) and the calling thread has a
/// recorder; otherwise the macro expands to nothing that runs.
#[cfg(any(loom, shuttle, feature = "trace"))]
macro_rules! trace_event {
    ($kind:expr $(,)?) => {
        if $crate::trace::active() {
            $crate::trace::record($kind)
        }
    };
}

#[cfg(not(any(loom, shuttle, feature = "trace")))]
macro_rules! trace_event {
    ($kind:expr $(,)?) => {{
        // Compiled out: nothing is evaluated. The closure keeps the
        // argument type-checked without running it.
        let _ = || {
            let _ = $kind;
        };
    }};
}

pub(crate) use trace_event;

/// Whether protocol steps are recorded in this build.
pub const ENABLED: bool = cfg!(any(loom, shuttle, feature = "trace"));
