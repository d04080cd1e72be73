//! Thread states: attaching a thread to an interpreter (PEP 684), and
//! PEP 788's `PyThreadState_Ensure` / `PyThreadState_Release`.
//!
//! A thread acts on an interpreter only while **attached** to it: attaching
//! takes the interpreter's GIL, detaching releases it. The proof that the
//! calling thread is attached is an [`Attached`] value, which every API that
//! touches an interpreter's state requires. Every attachment is backed by a
//! guard (a [`Guard`](crate::Guard), an [`OwnedGuard`](crate::OwnedGuard),
//! or the guard an interpreter thread takes for each attach), so an
//! attached thread's interpreter cannot begin finalizing under it, and
//! re-attaching after [`Attached::allow_threads`] cannot fail.
//!
//! # Ensure and release
//!
//! [`ensure`] follows PEP 788 exactly:
//!
//! | case | the calling thread                                               | ensure does                              | release does                                   |
//! |------|------------------------------------------------------------------|------------------------------------------|------------------------------------------------|
//! | 1    | is attached to that interpreter                                  | counts +1 on the attached thread state   | counts −1                                      |
//! | 2    | is not attached, and its own (home) thread state is for it       | re-attaches that thread state, +1        | counts −1, detaches                            |
//! | 3    | otherwise (not attached, or attached to another interpreter)     | detaches the current one, creates a new thread state owned by ensure, attaches it | counts −1; at zero deletes it; re-attaches the previous one |
//!
//! The [`Token`] remembers the previous thread state; releasing it restores
//! that state. CPython's fatal error for a release below zero cannot happen
//! here: a token is consumed by its release. Tokens are released innermost
//! first; [`Token::release`] of an outer token while inner ones are
//! outstanding is a typed error ([`ReleaseError::NotInnermost`]), and
//! dropping one out of order defers its release until the inner ones are
//! released. [`ensure_from_view`] takes a guard from a view and holds it
//! until the token is released.
//!
//! # Files
//!
//! | file          | what                                                                  |
//! |---------------|-----------------------------------------------------------------------|
//! | `record.rs`   | the per-thread record: this thread's thread states, tokens, and what it is attached to |
//! | `attached.rs` | attaching and detaching (the GIL and the subsystems' hooks), and [`Attached`], the proof |
//! | `ensure.rs`   | [`ensure`] and its variants: the three cases                          |
//! | `token.rs`    | [`Token`] and its release: innermost first, restoring the previous thread state |
//!
//! # Races considered
//!
//! - *Attach vs finalization.* An attachment is guard-backed: the guard is
//!   taken before the GIL, so a finalizer either refused the guard (and the
//!   attach fails with [`GuardError`](crate::GuardError)) or waits for it.
//!   Teardown runs with the interpreter's GIL held by the finalizer.
//! - *Switching interpreters that share a GIL.* Case 3 releases the current
//!   GIL before taking the new one, so switching between two interpreters
//!   that share the main GIL cannot self-deadlock.
//!
//! Page: `docs/lifecycle.md#thread-states`. Scenarios:
//! `models/lifecycle/thread_states.rs`. Invariants: TS-1 to TS-5 in
//! `docs/invariants.md`.
//!
//! SPIN spec: `proofs/thread_state.pml`, whose inlines and labels are named
//! after these functions (its header has the table): label
//! `thread_state_ensure` for [`ensure`], `thread_state_ensure_from_view`
//! for [`ensure_from_view`], `Token_release` for [`Token::release`],
//! `Attached_allow_threads` for [`Attached::allow_threads`]; inlines
//! `thread_state_ensure_slot`, `thread_state_finish`,
//! `thread_state_attach` and `thread_state_detach` for the private
//! `ensure_slot`, `finish`, `attach` and `detach`. Proofs
//! (`cargo xtask proofs --filter thread_state`):
//! `thread_state_2threads_2ops`, `thread_state_1thread_3ops`,
//! `thread_state_daemon_from_view`, and the must-fail
//! `thread_state_daemon_guard_closed` (CPython's daemon hang) and
//! `thread_state_mutant_{no_restore,keep_owned}_1thread_3ops`.
mod attached;
mod ensure;
mod record;
mod token;

pub(crate) use attached::detached;
pub use attached::{Attached, NotAttached};
pub use ensure::{ensure, ensure_from_view, ensure_owned};
pub(crate) use ensure::{ensure_finalizer, ensure_held};
pub use record::{current, current_id};
pub(crate) use record::{involves, set_home, with_subsystems};
pub use token::{ReleaseError, Token};
