//! # xinterp
//!
//! CPython's multiple-interpreter concurrency protocols, in Rust, written
//! once and run three ways: in production on real atomics and
//! `parking_lot`; under [loom], which explores every interleaving of a small
//! scenario; and under [shuttle], which samples schedules of larger ones.
//! Every failure comes with a readable interleaving trace at the level of
//! interpreters and guards. (SPIN proofs of liveness, in `proofs/`, are
//! planned; none exist yet.)
//!
//! The protocols follow CPython's design discussions: PEP 788 finalization
//! guards and views ([`Guard`], [`View`], [`Interpreter::finalize`]); the
//! rest (PEP 684 GILs and thread states, PEP 554/734 channels and queues,
//! the cross-interpreter refcount hand-off) are being built on the same
//! foundation.
//!
//! ## Quick start
//!
//! ```
//! use xinterp::Runtime;
//!
//! let runtime = Runtime::new();
//! let sub = runtime.create();
//! let view = sub.view();
//! let worker = xinterp::sync::thread::spawn(move || {
//!     // Promote the view: fails if `sub` began finalizing.
//!     if let Ok(guard) = view.guard() {
//!         guard.with_state(|state| state.insert("seen", true));
//!     }
//! });
//! sub.finalize().expect("first finalize");   // waits for the worker's guard
//! worker.join().unwrap();
//! ```
//!
//! ## The three ways to run
//!
//! | build                             | what runs                                              |
//! |-----------------------------------|--------------------------------------------------------|
//! | `cargo test`                      | production: std atomics, parking_lot, OS threads       |
//! | `RUSTFLAGS="--cfg loom" cargo test`    | every protocol step is a loom operation           |
//! | `RUSTFLAGS="--cfg shuttle" cargo test` | every protocol step is a shuttle operation        |
//!
//! [`sync`] is the facade that makes this possible; [`check`] runs a
//! scenario under whichever checker the build selected, with witnesses and
//! reports; [`trace`] records and renders what happened.
//!
//! [loom]: https://docs.rs/loom
//! [shuttle]: https://docs.rs/shuttle
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod check;
pub mod interp;
pub mod sync;
pub mod trace;

mod guard;
mod runtime;
mod view;

pub use guard::{Guard, GuardError};
pub use interp::{FinalizeError, Interpreter, InterpreterId, InterpreterState, Phase};
pub use runtime::Runtime;
pub use view::View;

/// The README's example compiles (it is a doc test).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
