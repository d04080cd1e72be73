//! Sequential reference models ("specs") of the protocols: plain state
//! machines with no threads and no atomics, which the production
//! implementation is tested against (proptest-state-machine) and which
//! say, one step at a time, what each protocol promises.
//!
//! Only the cross-interpreter data model lives here on this branch; the
//! lifecycle model is written on another branch and merged by the lead.

pub mod xi;
