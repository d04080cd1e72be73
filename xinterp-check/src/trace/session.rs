//! The trace session: where the events of the running scenario go.
//!
//! A [`Session`] is the [`Recorder`] the harness enters for a scenario.
//! The library's hook holds it in an OS thread-local: under loom and shuttle
//! every model thread is a coroutine on the test's OS thread, so they all
//! see the session the harness entered; in production the facade's `spawn`
//! hands the parent's recorder to the child.
use super::{Event, EventKind, Trace};
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use xinterp::trace::Recorder;

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

    fn push(&self, kind: EventKind) {
        let thread = xinterp::sync::thread::current_name().unwrap_or_else(|| "main".to_owned());
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
        let thread = xinterp::sync::thread::current_name().unwrap_or_else(|| "main".to_owned());
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

impl Recorder for Session {
    fn record(&self, kind: EventKind) {
        self.push(kind);
    }

    fn thread_panicked(&self, payload: &(dyn Any + Send)) {
        self.show_violation(&panic_message(payload));
    }
}

/// The message a panic carried. A payload that is not a string is not a
/// scenario's assertion: loom's coroutines unwind with their own error when
/// a model thread overflows its stack, and that is named with its fix.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if overflowed(payload) {
        STACK_OVERFLOW.to_owned()
    } else {
        "a panic whose payload is not a string (not an assertion of the scenario's: see the \
         message printed above it)"
            .to_owned()
    }
}

/// What a model thread's stack overflow is reported as.
pub const STACK_OVERFLOW: &str = "a model thread overflowed its stack (loom runs the scenario's \
    root thread on a 32 KiB stack; threads spawned through xinterp::sync get 1 MiB): build the \
    tests with optimisation (`[profile.test] opt-level = 1` in Cargo.toml, \
    `CARGO_PROFILE_TEST_OPT_LEVEL=1` in the environment, or `cargo xinterp verify`, which sets \
    it), or move the deep work off the root thread";

#[cfg(loom)]
fn overflowed(payload: &(dyn Any + Send)) -> bool {
    matches!(payload.downcast_ref::<generator::Error>(), Some(generator::Error::StackErr))
}

#[cfg(not(loom))]
fn overflowed(_: &(dyn Any + Send)) -> bool {
    false
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

/// Runs the scenario's root body; if it panics, the failing step is added to
/// the session before the panic goes on (spawned threads get the same from
/// the library's hook, [`Recorder::thread_panicked`]).
pub fn run_thread<T>(f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            with_current(|s| s.show_violation(&panic_message(&*payload)));
            std::panic::resume_unwind(payload)
        }
    }
}

/// The calling thread's session, if the harness entered one.
pub fn current() -> Option<Arc<Session>> {
    let recorder: Arc<dyn Any + Send + Sync> = xinterp::trace::current()?;
    recorder.downcast::<Session>().ok()
}

/// Runs `f` with the calling thread's session, if it has one.
pub fn with_current<R>(f: impl FnOnce(&Session) -> R) -> Option<R> {
    current().map(|s| f(&s))
}

/// Makes `session` the calling thread's recorder until the returned guard
/// drops, which restores the previous one.
pub fn enter(session: Option<Arc<Session>>) -> xinterp::trace::Entered {
    xinterp::trace::enter(session.map(|s| s as Arc<dyn Recorder>))
}
