//! Sequential reference models: plain state machines of each protocol,
//! with no locks and no threads, that the production implementation is
//! tested against (proptest state machines in `tests/`).
pub mod channel;
