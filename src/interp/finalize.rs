//! Finalization, step by step, in CPython's documented order.
//!
//! | step | trace op            | what                                                                  |
//! |------|---------------------|-----------------------------------------------------------------------|
//! | 0    | `finalize.request`  | claim the finalizer role ([`Lifecycle::request`]); a second finalizer is refused |
//! | 1    | `finalize.threads`  | close the door to new threads; wait for the non-daemon threads         |
//! | 2    | `finalize.atexit`   | run the at-exit callbacks, attached                                   |
//! | 3    | `finalize.drain` / `finalize.wait` / `finalize.begin` | (drain policy: stop admitting guards), wait until no guard is held, then enter Finalizing in one CAS |
//! | 4    | `finalize.subinterpreters` | (main interpreter only) finalize every other interpreter       |
//! | 5    | `finalize.teardown` | drop the interpreter's state, holding its GIL                         |
//! | 6    | `finalize.done`     | leave the registry; mark Finalized                                    |
//!
//! The finalizing thread detaches from whatever it is attached to for the
//! whole finalization (it blocks on other threads, and teardown takes a GIL
//! that may be shared with the one it holds).
//!
//! # What callers see
//!
//! - Step 0 refuses, before claiming anything, a caller that would wait for
//!   itself: a thread attached to the interpreter or holding a
//!   thread-state token on it ([`FinalizeError::CurrentThreadAttached`]),
//!   or holding a borrowed [`Guard`](crate::Guard) on it
//!   ([`FinalizeError::CurrentThreadHoldsGuard`], from the thread's count in
//!   `thread_state/held.rs`; a `Guard` is `!Send`, so the count is exact).
//!   An [`OwnedGuard`](crate::OwnedGuard) may be released by any thread and
//!   is not counted: a caller holding one needs a deadline.
//! - Step 1 closes the door: `Interpreter::spawn_thread` then fails with
//!   `SpawnError::Finalizing`.
//! - Step 2 runs the at-exit callbacks newest first; `Interpreter::at_exit`
//!   is refused once finalization was requested. A callback that panics is
//!   caught (the panic hook prints it, as CPython's `atexit` prints the
//!   exception) and the next one runs; the trace's `finalize.atexit` says
//!   how many panicked.
//! - Step 4 (the main interpreter only) finalizes the other interpreters
//!   newest first, then the runtime: `Runtime::create` then fails with
//!   `CreateError::RuntimeFinalized`. A subinterpreter it cannot finalize
//!   (a guard held past the deadline, a caller's guard or token on it, a
//!   non-daemon thread still running) is left as it was, Running and
//!   registered, and main goes on: it is past the point of no return
//!   (Finalizing), as `Py_FinalizeEx` goes on. The stragglers can be
//!   finalized or destroyed later through their handles or the runtime.
//! - A finalization that completed but not cleanly (a callback panicked,
//!   or step 4 left subinterpreters) returns
//!   [`FinalizeError::Faulted`] with the panics and each subinterpreter
//!   and why, after step 6: the interpreter is Finalized
//!   ([`FinalizeError::finalized`]). An error, not an `Ok` with a report,
//!   so that `?` and `unwrap` cannot pass a fault by unseen. Every other
//!   error means the interpreter was not finalized and runs on.
//!
//! # Deadlines
//!
//! A deadline (`finalize_timeout`, `destroy_timeout`,
//! `Runtime::finalize_timeout`, `Runtime::destroy_timeout`, or a
//! `Deadline::manual` in a model) that passes in step 1 or 3 abandons the
//! finalization: the interpreter runs on, guards and threads are admitted
//! again, and the error says what was still running:
//! [`FinalizeError::ThreadsOutstanding`] in step 1,
//! [`FinalizeError::GuardsOutstanding`] in step 3, with the caller location
//! of every held guard when `Config::track_guards` is on. The main
//! interpreter's deadline also bounds each subinterpreter's finalization in
//! step 4; one that passes there is reported in `Faulted`. Without a
//! deadline (`finalize`, `destroy`), a guard never released by another
//! thread makes the finalizer wait forever, as in CPython.
//!
//! [`Lifecycle::request`]: super::lifecycle::Lifecycle::request
use super::lifecycle::WaitFailed;
use super::{Core, FinalizeFaults, Interpreter, InterpreterId, Phase, RuntimeShared};
use crate::guard_sites::Outstanding;
use crate::subsystem::{Installed, Subsystem};
use crate::sync::time::Deadline;
use crate::sync::Arc;
use crate::thread_state;
use crate::thread_state::held;
use crate::trace::event::FinalizeEvent;
use crate::trace_event;
use crate::FinalizeError;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

impl Interpreter {
    /// Finalizes the interpreter, waiting as long as it takes: for its
    /// non-daemon threads and for every guard. A guard never dropped blocks
    /// it forever, as in CPython; [`finalize_timeout`](Self::finalize_timeout)
    /// gives up instead and says which guards are held. A caller that would
    /// wait for itself is refused at once
    /// ([`FinalizeError::CurrentThreadAttached`],
    /// [`FinalizeError::CurrentThreadHoldsGuard`]).
    ///
    /// Finalizing the main interpreter finalizes every subinterpreter after
    /// the main interpreter enters Finalizing, then the runtime: no
    /// interpreter can be created afterwards.
    ///
    /// `Err(`[`FinalizeError::Faulted`]`)` means the finalization completed
    /// but an at-exit callback panicked or (main interpreter) a
    /// subinterpreter could not be finalized; every other error means the
    /// interpreter was not finalized and runs on.
    pub fn finalize(&self) -> Result<(), FinalizeError> {
        self.finalize_until(&Deadline::never())
    }

    /// [`finalize`](Self::finalize), giving up after `timeout` (production
    /// time; a model has no clock, see [`Deadline`]).
    pub fn finalize_timeout(&self, timeout: Duration) -> Result<(), FinalizeError> {
        self.finalize_until(&Deadline::after(timeout))
    }

    /// [`finalize`](Self::finalize), giving up when `deadline` passes.
    pub fn finalize_until(&self, deadline: &Deadline) -> Result<(), FinalizeError> {
        let core = &self.core;
        let id = core.id.0;
        if thread_state::involves(core) {
            trace_event!(FinalizeEvent::RefusedAttached { interp: id });
            return Err(FinalizeError::CurrentThreadAttached);
        }
        let guards = held::held_on(core);
        if guards > 0 {
            trace_event!(FinalizeEvent::RefusedHoldsGuard { interp: id, guards });
            return Err(FinalizeError::CurrentThreadHoldsGuard { guards });
        }
        match core.lifecycle.request() {
            Ok(word) => trace_event!(FinalizeEvent::Requested { interp: id, word: word.decoded() }),
            Err((error, word)) => {
                trace_event!(FinalizeEvent::RefusedAlready { interp: id, word: word.decoded() });
                return Err(error);
            }
        }
        thread_state::detached(|| self.finalize_claimed(deadline))
    }

    /// Steps 1 to 6, by the thread whose request succeeded.
    fn finalize_claimed(&self, deadline: &Deadline) -> Result<(), FinalizeError> {
        let core = &self.core;
        let id = core.id.0;

        // 1. Non-daemon threads.
        match core.threads.close_and_wait(deadline) {
            Ok(daemons) => {
                trace_event!(FinalizeEvent::ThreadsWaited { interp: id, daemons })
            }
            Err(threads) => {
                let word = core.lifecycle.abandon();
                trace_event!(FinalizeEvent::ThreadsTimedOut { interp: id, running: threads, word: word.decoded() });
                return Err(FinalizeError::ThreadsOutstanding { threads });
            }
        }

        // 2. At-exit callbacks, attached, newest first (as `atexit` runs
        //    them). A panic is caught and counted, and the next callback
        //    runs: as CPython's `atexit` prints an exception and goes on.
        let mut faults = FinalizeFaults::default();
        let callbacks = std::mem::take(&mut *core.at_exit.lock());
        let ran = callbacks.len();
        if ran > 0 {
            let token = thread_state::ensure_finalizer(core);
            for callback in callbacks.into_iter().rev() {
                let attached = token.attached();
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| callback(attached.core()))) {
                    faults.at_exit_panicked += 1;
                    if faults.first_panic.is_none() {
                        faults.first_panic = Some(crate::trace::panic_message(&*payload));
                    }
                }
            }
            token.close();
        }
        trace_event!(FinalizeEvent::AtExit { interp: id, ran, panicked: faults.at_exit_panicked });

        // 3. Guards: wait for zero, then Finalizing in the same CAS.
        let entered = core.lifecycle.begin_finalizing(
            deadline,
            |word| trace_event!(FinalizeEvent::Drains { interp: id, word: word.decoded() }),
            |word| trace_event!(FinalizeEvent::Waits { interp: id, word: word.decoded() }),
        );
        match entered {
            Ok(word) => trace_event!(FinalizeEvent::Began { interp: id, word: word.decoded() }),
            Err((WaitFailed::TimedOut { guards }, _)) => {
                let sites = core.guard_sites.as_ref().map(|s| s.snapshot());
                let word = core.lifecycle.abandon();
                core.threads.reopen();
                trace_event!(FinalizeEvent::WaitTimedOut { interp: id, guards, word: word.decoded() });
                return Err(FinalizeError::GuardsOutstanding(Outstanding { interpreter: core.id, guards, sites }));
            }
        }

        // 4. The main interpreter ends the others first. One it cannot end
        //    is reported, and main goes on, as `Py_FinalizeEx` does: it is
        //    past the point of no return (Finalizing).
        if core.id == InterpreterId::MAIN {
            let (finalized, failed) = finalize_subinterpreters(&core.runtime, deadline);
            trace_event!(FinalizeEvent::Subinterpreters { interp: id, finalized, failed: failed.len() });
            faults.subinterpreters = failed;
        }

        // 5. Teardown under the interpreter's GIL: an attached daemon thread
        //    (which began before Finalizing) finishes its step first. The
        //    subsystems let go of what they keep for it before its state
        //    goes: what they release may still need its heap or its GIL.
        let token = thread_state::ensure_finalizer(core);
        Installed::teardown(core, token.attached());
        let state = core.take_state();
        let values = state.as_ref().map_or(0, |s| s.len());
        drop(state);
        token.close();
        trace_event!(FinalizeEvent::TornDown { interp: id, values });

        // 6. Gone.
        core.runtime.interpreter_finalized(core);
        let word = core.lifecycle.mark_finalized();
        trace_event!(FinalizeEvent::Done { interp: id, word: word.decoded() });
        if faults.is_empty() {
            Ok(())
        } else {
            Err(FinalizeError::Faulted(faults))
        }
    }
}

/// Step 4 of the main interpreter's finalization: finalizes every other
/// registered interpreter, newest first. Returns how many it finalized, and
/// those it could not, with why.
///
/// One that another finalizer owns is that finalizer's to finish, and is
/// not reported once it is Finalizing or Finalized (past the point of no
/// return: teardown cannot fail). Still Running, that finalizer is waiting
/// and may give up (a deadline), so it is reported: the runtime must not
/// say everything was finalized while it may run on.
fn finalize_subinterpreters(
    runtime: &RuntimeShared,
    deadline: &Deadline,
) -> (usize, Vec<(InterpreterId, FinalizeError)>) {
    let others: Vec<Arc<Core>> = {
        let registry = runtime.registry.lock();
        registry.interpreters.values().filter(|c| c.id != InterpreterId::MAIN).cloned().collect()
    };
    let mut finalized = 0;
    let mut failed = Vec::new();
    for core in others.into_iter().rev() {
        let id = core.id;
        match Interpreter::from_core(Arc::clone(&core)).finalize_until(deadline) {
            Ok(()) => finalized += 1,
            // Finalized all the same: counted, and its faults reported.
            Err(error) if error.finalized() => {
                finalized += 1;
                failed.push((id, error));
            }
            Err(FinalizeError::AlreadyFinalizing) if core.lifecycle.phase() != Phase::Running => {}
            Err(error) => failed.push((id, error)),
        }
    }
    (finalized, failed)
}
