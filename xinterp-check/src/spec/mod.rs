//! Sequential reference models of xinterp's protocols: plain state machines,
//! no threads, no atomics, no facade, written from the protocols' semantics
//! (their module docs, the PEPs and `docs/`) and never by calling the
//! implementation.
//!
//! Each model has two uses:
//!
//! - **proptest**: `tests/*_state_machine.rs` runs random sequential
//!   operation sequences against the production implementation and compares
//!   every result and the observable state with the model's;
//! - **trace validation**: [`validate`] replays every trace the checking
//!   harness records (loom, shuttle, stress with `--features trace`) on the
//!   models and fails the scenario at the first event no model allows.
//!
//! | model | protocol |
//! |---|---|
//! | [`lifecycle`] | interpreters, guards, views, finalization (PEP 788), GILs and thread states (PEP 684) |
//! | [`channel`] | one channel or queue: FIFO, associations, close/release/force, blocked senders, unbound items, the ledger |
//! | [`xi`] | heaps, refcounts, XiData, pending-call rings, XiView; [`xi::Heaps`] takes the same rules one step at a time, for traces |
//!
//! Page: `docs/spec.md`.

pub mod channel;
pub mod lifecycle;
pub mod validate;
pub mod xi;
