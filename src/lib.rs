//! # xinterp
//!
//! CPython's multiple-interpreter concurrency protocols, in Rust, written
//! once and run three ways: in production on real atomics and
//! `parking_lot`; under [loom], which explores every interleaving of a small
//! scenario; and under [shuttle], which samples schedules of larger ones.
//! Every failure comes with a readable interleaving trace at the level of
//! interpreters, guards, GILs and thread states. SPIN proofs of the same
//! protocols, liveness included, live in `proofs/`.
//!
//! The protocols follow CPython's design discussions: PEP 788 finalization
//! guards and views ([`Guard`], [`View`], [`Interpreter::finalize`]) and PEP
//! 684 per-interpreter GILs and thread states ([`thread_state`]); PEP
//! 554/734 channels and queues ([`channel`]) and the cross-interpreter
//! refcount hand-off ([`xi`]).
//!
//! ## Quick start
//!
//! ```
//! use xinterp::Runtime;
//!
//! let runtime = Runtime::new();
//! let sub = runtime.create()?;                 // own GIL, isolated config
//! let view = sub.view();                       // Send + Sync, outlives `sub`
//! let worker = xinterp::sync::thread::spawn(move || {
//!     // Promote the view: fails once `sub` began finalizing.
//!     if let Ok(guard) = view.guard() {
//!         // Attach (take sub's GIL); the proof `py` is what touching
//!         // interpreter state requires.
//!         guard.with_gil(|py| py.with_state(|state| state.insert("seen", true)))
//!             .expect("attached");
//!     }
//! });
//! sub.finalize()?;                             // waits for the worker's guard
//! worker.join().unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pieces: [`Runtime`] (the registry, [`Config`]), [`Interpreter`]
//! (`run`, `destroy`, threads, finalization), [`Guard`] / [`OwnedGuard`] /
//! [`View`] (PEP 788), [`thread_state`] (`ensure`, `ensure_from_view`,
//! [`Attached`]: PEP 684 attach/detach), [`xi`] (cross-interpreter data:
//! per-interpreter heaps with GIL-protected plain refcounts, `XiData`
//! released in its owner directly or by pending call, `XiView`),
//! [`channel`] (channels and queues between interpreters).
//!
//! ## The three ways to run
//!
//! | build                             | what runs                                              |
//! |-----------------------------------|--------------------------------------------------------|
//! | `cargo test`                      | production: std atomics, parking_lot, OS threads       |
//! | `RUSTFLAGS="--cfg loom" cargo test`    | every protocol step is a loom operation           |
//! | `RUSTFLAGS="--cfg shuttle" cargo test` | every protocol step is a shuttle operation        |
//!
//! [`sync`] is the facade that makes this possible; [`trace`] describes
//! every protocol step as a typed event and hands it to a recorder. The
//! checking toolkit, the `xinterp-check` crate (a dev-dependency), runs a
//! scenario under whichever checker the build selected, with witnesses,
//! reports, rendered traces and a reference model that replays them; its
//! `Session` is the [`trace::Recorder`] that [`trace::enter`] installs. The
//! `cargo-xinterp` runner (`cargo xinterp verify` / `trace`) drives it from
//! the command line.
//!
//! Each protocol's state table, races and memory orderings are in the
//! essay of the module that implements it ([`interp::lifecycle`],
//! [`thread_state`], [`channel`], [`xi`]). The repository's `docs/` holds
//! what spans modules: the architecture, how to read traces, the
//! invariants catalogue, the SPIN proofs and the CPython name map.
//!
//! [loom]: https://docs.rs/loom
//! [shuttle]: https://docs.rs/shuttle
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod channel;
pub mod interp;
pub mod sync;
pub mod thread_state;
pub mod trace;
pub mod xi;

mod config;
mod gil;
mod guard;
mod runtime;
mod view;

pub(crate) use trace::trace_event;

pub use config::{Config, ConfigError, GilMode, GuardPolicy};
pub use guard::{Guard, GuardError, GuardSite, Outstanding, OwnedGuard};
pub use interp::{
    DestroyError, FinalizeError, Interpreter, InterpreterId, InterpreterState, InterpreterThread, Phase, RunError,
    SpawnError, ThreadKind,
};
pub use runtime::{CreateError, NotFound, Runtime};
pub use thread_state::{Attached, NotAttached, ReleaseError, Token};
pub use view::View;

/// The README's example compiles (it is a doc test).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
