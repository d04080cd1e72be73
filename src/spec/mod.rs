//! Sequential reference models ("specs") of the protocols: plain state
//! machines with no threads and no atomics, which the production
//! implementation is tested against (proptest state machines in `tests/`)
//! and which say, one step at a time, what each protocol promises.
pub mod channel;
pub mod xi;
