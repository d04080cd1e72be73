//! Threads an interpreter starts (CPython's `threading` threads), daemon and
//! non-daemon.
//!
//! [`Interpreter::spawn_thread(kind, name, body)`](Interpreter::spawn_thread)
//! (`threading.Thread`) refuses [`ThreadKind::Daemon`] when the config does
//! not allow daemon threads ([`SpawnError::DaemonThreadsNotAllowed`]).
//!
//! Finalization's first step waits for the non-daemon threads to finish;
//! daemon threads are not waited for. Every attach of an interpreter thread
//! takes a guard first. A non-daemon thread's attaches therefore always
//! succeed, even after finalization was requested: the guard wait comes
//! after step 1, which waits for it. A daemon thread that tries to attach
//! once finalization has begun gets a typed error ([`GuardError::Finalizing`]
//! or [`GuardError::Gone`]) where CPython would hang it forever, and one
//! that is attached when finalization begins holds the finalizer off until
//! it detaches.
//!
//! The counts, and the door finalization closes, are kept by
//! `thread_counts.rs`, which the interpreter's core holds; this file starts
//! the threads and counts them there.
use super::core::Core;
use super::thread_kind::ThreadKind;
use super::{Interpreter, InterpreterId};
use crate::guard::Guard;
use crate::guard_error::GuardError;
use crate::sync::{thread, Arc};
use crate::trace::event::InterpEvent;
use crate::trace_event;
use crate::Attached;
use std::fmt;
use std::panic::Location;

/// Why a thread could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// The interpreter's config does not allow threads.
    ThreadsNotAllowed(InterpreterId),
    /// The interpreter's config does not allow daemon threads.
    DaemonThreadsNotAllowed(InterpreterId),
    /// The interpreter is finalizing (or gone).
    Finalizing(InterpreterId),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ThreadsNotAllowed(id) => write!(f, "{id} does not allow threads"),
            Self::DaemonThreadsNotAllowed(id) => write!(f, "{id} does not allow daemon threads"),
            Self::Finalizing(id) => write!(f, "{id} is finalizing: no thread can be started"),
        }
    }
}

impl std::error::Error for SpawnError {}

/// Uncounts a thread when it ends, even by panic.
struct Finished {
    core: Arc<Core>,
    kind: ThreadKind,
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.core.threads.exited(self.core.id, self.kind);
    }
}

/// What an interpreter thread's body gets: its way to attach.
pub struct InterpreterThread {
    core: Arc<Core>,
    kind: ThreadKind,
}

impl InterpreterThread {
    /// The interpreter this thread belongs to.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core.id
    }

    /// Daemon or not.
    pub fn kind(&self) -> ThreadKind {
        self.kind
    }

    /// Attaches to the interpreter (a guard, then its GIL), runs `f`, and
    /// detaches. Fails, without running `f`, once finalization has begun:
    /// the typed error where CPython hangs the thread forever.
    #[track_caller]
    pub fn attach<R>(&self, f: impl FnOnce(Attached<'_>) -> R) -> Result<R, GuardError> {
        let guard = match Guard::acquire(&self.core, Location::caller()) {
            Ok(guard) => guard,
            Err(error) => {
                trace_event!(InterpEvent::AttachRefused { interp: self.core.id.0, error });
                return Err(error);
            }
        };
        Ok(guard.with_gil(f))
    }
}

impl fmt::Debug for InterpreterThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterpreterThread").field("interpreter", &self.core.id).field("kind", &self.kind).finish()
    }
}

impl Interpreter {
    /// Starts a thread that belongs to this interpreter (`threading.Thread`),
    /// named `name` in traces. Non-daemon threads are waited for by
    /// finalization; daemon threads are not, and their attaches fail once
    /// finalization has begun.
    pub fn spawn_thread<T, F>(
        &self,
        kind: ThreadKind,
        name: impl Into<String>,
        body: F,
    ) -> Result<thread::JoinHandle<T>, SpawnError>
    where
        F: FnOnce(&InterpreterThread) -> T + Send + 'static,
        T: Send + 'static,
    {
        let core = &self.core;
        if !core.config.allow_threads {
            return Err(SpawnError::ThreadsNotAllowed(core.id));
        }
        if kind == ThreadKind::Daemon && !core.config.allow_daemon_threads {
            return Err(SpawnError::DaemonThreadsNotAllowed(core.id));
        }
        if !core.threads.admit(core.id, kind, || core.lifecycle.phase() == super::Phase::Running) {
            return Err(SpawnError::Finalizing(core.id));
        }
        let core = Arc::clone(core);
        Ok(thread::spawn_named(name, move || {
            let _finished = Finished { core: Arc::clone(&core), kind };
            crate::thread_state::set_home(&core);
            // The thread's own thread state, which ensure's case 2 re-attaches.
            trace_event!(InterpEvent::ThreadStarted { interp: core.id.0, kind });
            body(&InterpreterThread { core, kind })
        }))
    }
}
