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
//! Traces show the case as the `threadstate.ensure` event's text: case 1
//! `reused the attached thread state`, case 2 `re-attached this thread's
//! thread state`, case 3 `created a thread state (owned by ensure)`.
//!
//! A token borrows its guard (`ensure<'g>(&'g Guard) -> Token<'g>`), so the
//! guard cannot be dropped while the token lives: PEP 788's daemon pattern
//! that closes the guard and later re-attaches (the legacy API's daemon
//! hang) does not compile.
//!
//! The [`Token`] remembers the previous thread state; releasing it restores
//! that state. CPython's fatal error for a release below zero cannot happen
//! here: a token is consumed by its release. Tokens are released innermost
//! first; [`Token::release`] of an outer token while inner ones are
//! outstanding is a typed error ([`ReleaseError::NotInnermost`]), and
//! dropping one out of order defers its release until the inner ones are
//! released. [`ensure_from_view`] takes a guard from a view and holds it
//! until the token is released, releasing it after the thread state, so
//! the interpreter stays guarded until the thread detached.
//!
//! # The proof
//!
//! [`Attached::check`] says whether a proof is current. While an inner
//! `ensure` has switched the thread to another interpreter, an outer proof
//! is stale ([`NotAttached`], and [`Attached::with_state`] refuses); it is
//! current again once the inner token is released.
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
//! - *Restoring the previous thread state vs its finalization.* While the
//!   outer token that attached it is outstanding, that token's guard holds
//!   the interpreter, and the release re-attaches it directly, whatever the
//!   guard policy. If the outer token was dropped out of order (so its
//!   guard may be gone), the restore is admitted like a guard, by one RMW
//!   on the interpreter's lifecycle word; when that is refused the release
//!   returns [`ReleaseError::PreviousGone`]`(Some(id))` and leaves the
//!   thread detached. Scenarios:
//!   `lifecycle::thread_states::restore_previous_under_drain`,
//!   `lifecycle::thread_states::restore_previous_vs_finalizer`.
//!
//! Page: `docs/lifecycle.md` (how the protocols compose). Scenarios:
//! `models/lifecycle/thread_states.rs`. Invariants: TS-1 to TS-5 in
//! `docs/invariants.md`.
//!
//! SPIN spec: `proofs/thread_state.pml`, whose inlines and labels are named
//! after these functions; its header and `docs/proofs.md` map the names
//! and list the proofs (`cargo xtask proofs --filter thread_state`).
mod attached;
mod ensure;
pub(crate) mod held;
mod record;
mod token;

pub(crate) use attached::detached;
pub use attached::{Attached, NotAttached};
pub use ensure::{ensure, ensure_from_view, ensure_owned};
pub(crate) use ensure::{ensure_finalizer, ensure_held};
pub use record::{current, current_id};
pub(crate) use record::{involves, set_home, with_subsystems};
pub use token::{ReleaseError, Token};
