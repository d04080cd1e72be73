//! xinterp's scenarios: one test binary, three checkers.
//!
//! `cargo test --test models` runs each scenario as production stress;
//! with `RUSTFLAGS="--cfg loom"` under loom, exhaustively within the bounds
//! each scenario states; with `RUSTFLAGS="--cfg shuttle"` under shuttle's
//! seeded PCT scheduler. `cargo xtask verify` runs all three and tabulates
//! the reports.
//!
//! Every scenario is named after its test path, so
//! `cargo xtask trace <name>` can re-run it and print its trace.

mod channels;
mod harness;
mod lifecycle;
