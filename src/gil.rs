//! The global interpreter lock, one per interpreter (PEP 684).
//!
//! An interpreter configured with [`GilMode::Own`](crate::GilMode::Own) has
//! its own GIL: its threads run in parallel with other interpreters'. One
//! configured with [`GilMode::Shared`](crate::GilMode::Shared) uses the main
//! interpreter's, exactly as CPython's `interp->ceval.gil` points at the main
//! interpreter's for a shared GIL: the two exclude each other.
//!
//! [`Runtime::create_with`](crate::Runtime::create_with) hands a shared-GIL
//! interpreter the main interpreter's `Gil` itself, so threads attached to
//! either exclude each other.
//!
//! A thread holds a GIL only while it is *attached* (see
//! [`crate::thread_state`]); the proof that it is, [`Attached`](crate::Attached),
//! is what every API that touches an interpreter's state requires. Switching
//! between two interpreters that share the main GIL releases it before
//! taking it again, so another thread may get the GIL in between.
//!
//! # The state
//!
//! | field    | meaning                                   | changed by                       |
//! |----------|-------------------------------------------|----------------------------------|
//! | `held`   | a thread holds the GIL                    | [`Gil::acquire`], [`Gil::release`] |
//! | `waiters`| threads blocked in `acquire`              | `acquire`                        |
//!
//! Both live under one facade `Mutex`; the `Condvar` wakes one waiter per
//! release. There is no forced switching interval (CPython's `eval_breaker`
//! drop request): a thread holds the GIL until it detaches.
//!
//! In traces, `gil.acquire` records `blocked` when it has to wait, and the
//! state names whose GIL it is: `gil(I0)=held`.
//!
//! # Orderings
//!
//! Everything is under the mutex: its lock/unlock pairs order a holder's
//! accesses to the interpreter's state before the next holder's.
use crate::interp::InterpreterId;
use crate::sync::{Condvar, Mutex};
use crate::trace::event::GilEvent;
use crate::trace_event;
use std::fmt;

/// One interpreter's GIL (or the main interpreter's, shared).
pub(crate) struct Gil {
    /// Whose GIL this is (the main interpreter's for a shared GIL).
    owner: InterpreterId,
    state: Mutex<GilState>,
    released: Condvar,
}

#[derive(Default)]
struct GilState {
    held: bool,
    waiters: usize,
}

impl Gil {
    pub(crate) fn new(owner: InterpreterId) -> Self {
        Self { owner, state: Mutex::new(GilState::default()), released: Condvar::new() }
    }

    /// Whose GIL this is.
    pub(crate) fn owner(&self) -> InterpreterId {
        self.owner
    }

    /// Blocks until the calling thread holds the GIL. `interp` is the
    /// interpreter the thread attaches to, for the trace.
    pub(crate) fn acquire(&self, interp: InterpreterId) {
        let mut state = self.state.lock();
        if state.held {
            trace_event!(GilEvent::Blocked { interp: interp.0, gil: self.describe(&state) });
            state.waiters += 1;
            while state.held {
                self.released.wait(&mut state);
            }
            state.waiters -= 1;
        }
        state.held = true;
        trace_event!(GilEvent::Acquired { interp: interp.0, gil: self.describe(&state) });
    }

    /// Releases the GIL and wakes one waiter.
    pub(crate) fn release(&self, interp: InterpreterId) {
        let mut state = self.state.lock();
        assert!(state.held, "invariant GIL-1 violated: {} released while not held", self.owner);
        state.held = false;
        trace_event!(GilEvent::Released { interp: interp.0, gil: self.describe(&state) });
        if state.waiters > 0 {
            self.released.notify_one();
        }
    }

    /// The state under the lock, as events record it.
    fn describe(&self, state: &GilState) -> crate::trace::event::GilState {
        crate::trace::event::GilState { owner: self.owner.0, held: state.held, waiters: state.waiters }
    }
}

impl fmt::Debug for Gil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gil").field("owner", &self.owner).finish_non_exhaustive()
    }
}
