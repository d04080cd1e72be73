//! The trace session: where the events of the running scenario go.
//!
//! A session is an `Arc` held in an OS thread-local. Under loom and shuttle
//! every model thread is a coroutine on the test's OS thread, so they all see
//! the session the harness entered; in production the facade's `spawn` hands
//! the parent's session to the child ([`inherit`] / [`adopt`]).
use super::{Event, EventKind, Trace};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The events of the current execution, and whether recording has stopped.
#[derive(Debug, Default)]
pub struct Session {
    inner: Mutex<Inner>,
    /// A known-bug run expects panics: do not print them.
    quiet: AtomicBool,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Event>,
    /// Set at the first failure: what follows (unwinding, teardown) is not
    /// part of the counterexample.
    failure: Option<String>,
    /// The failing step is in the trace (as a `violation` event).
    violation_shown: bool,
}

impl Session {
    /// A new, empty session.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether panics in this session are expected (a known-bug run).
    pub fn quiet(&self) -> bool {
        self.quiet.load(Ordering::Relaxed)
    }

    /// Marks panics in this session as expected, so they are not printed.
    pub fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Relaxed);
    }

    /// Forgets the previous execution: a new one starts.
    pub fn reset(&self) {
        let mut inner = self.inner();
        inner.events.clear();
        inner.failure = None;
        inner.violation_shown = false;
    }

    pub(crate) fn push(&self, kind: EventKind) {
        let thread = crate::sync::thread::current_name().unwrap_or_else(|| "main".to_owned());
        let mut inner = self.inner();
        if inner.failure.is_some() {
            return;
        }
        let seq = inner.events.len() as u64 + 1;
        inner.events.push(Event { seq, thread, kind });
    }

    /// Records the first failure of this execution and stops recording.
    pub fn fail(&self, message: String) {
        let mut inner = self.inner();
        if inner.failure.is_none() {
            inner.failure = Some(message);
        }
    }

    /// Adds the failing step to the trace, in the column of the thread that
    /// failed: called as a panic leaves a model thread (see [`run_thread`]).
    /// Only the first failure is shown; later panics are consequences.
    fn show_violation(&self, message: &str) {
        let thread = crate::sync::thread::current_name().unwrap_or_else(|| "main".to_owned());
        let mut inner = self.inner();
        if inner.violation_shown {
            return;
        }
        inner.violation_shown = true;
        let first = inner.failure.clone().unwrap_or_else(|| message.to_owned());
        let seq = inner.events.len() as u64 + 1;
        inner.events.push(Event { seq, thread, kind: EventKind::Violation(first) });
    }

    /// The first failure of this execution, if any.
    pub fn failure(&self) -> Option<String> {
        self.inner().failure.clone()
    }

    /// A copy of this execution's events.
    pub fn trace(&self) -> Trace {
        Trace { events: self.inner().events.clone() }
    }

    /// Runs `f` over this execution's events without copying them.
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        f(&self.inner().events)
    }
}

pub use super::event::VIOLATION_OP;

/// The message a panic carried.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// The message `assert_eq!(1, 2)` panics with: three lines (a test
/// fixture for the renderers and reports, which must keep it whole).
#[cfg(test)]
pub(crate) fn assert_eq_message() -> String {
    let payload = std::panic::catch_unwind(|| {
        let (left, right) = (std::hint::black_box(1), 2);
        assert_eq!(left, right);
    })
    .expect_err("1 != 2");
    panic_message(&*payload)
}

/// Runs a thread's body; if it panics, the failing step is added to the
/// calling thread's session before the panic goes on. The check happens
/// after unwinding, outside any checker's internals, so it is safe to ask
/// the checker for the thread's name.
pub fn run_thread<T>(f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            with_current(|s| s.show_violation(&panic_message(&*payload)));
            std::panic::resume_unwind(payload)
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Session>>> = const { RefCell::new(None) };
}

/// Whether the calling thread records into a session.
pub fn active() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Runs `f` with the calling thread's session, if it has one.
pub fn with_current<R>(f: impl FnOnce(&Session) -> R) -> Option<R> {
    let session = CURRENT.with(|c| c.borrow().clone())?;
    Some(f(&session))
}

/// The calling thread's session, to hand to a thread it spawns.
pub fn inherit() -> Option<Arc<Session>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Makes `session` the calling thread's until the returned guard drops, which
/// restores the previous one.
pub fn adopt(session: Option<Arc<Session>>) -> Entered {
    let previous = CURRENT.with(|c| c.replace(session));
    Entered { previous }
}

/// Restores the thread's previous session when dropped.
#[derive(Debug)]
#[must_use = "the session is left as soon as this guard drops"]
pub struct Entered {
    previous: Option<Arc<Session>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}
