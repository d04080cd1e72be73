//! `cargo xinterp`: run the [xinterp-check] scenarios of any crate under
//! production stress, loom and shuttle, and tabulate their verdicts.
//!
//! ```sh
//! cargo install --path cargo-xinterp      # from a checkout of xinterp
//! cargo xinterp verify                    # in the crate whose tests use xinterp-check
//! cargo xinterp trace worker_vs_shutdown  # a scenario's counterexample or witness trace
//! ```
//!
//! `verify` builds the package's test targets once per backend, each
//! backend in its own target dir (`<target>/xinterp/<backend>`: switching
//! `--cfg` in one dir would rebuild everything), the loom build at
//! `opt-level = 1`. It runs every test in a process of its own, with
//! cargo-nextest when it is installed and the test binaries themselves
//! otherwise ([`runner`]), so a scenario that aborts its process (loom
//! does, on a deadlock) gets an `ABORTED` verdict and the others keep
//! theirs. Each test's harness writes a report (`$XINTERP_REPORT_DIR`);
//! [`verify`] gives every listed test a verdict and writes
//! `<target>/xinterp/report.{md,json}`, and `coverage.json`: which
//! transitions of the reference models the runs reached ([`coverage`]).
//!
//! Exit codes ([`exit`]): 0 every scenario passed; 1 a scenario failed or
//! has no verdict, or none ran; 2 a build failed, or a usage error.
//!
//! The project's own `cargo xtask verify` and `cargo xtask trace` are this
//! library with the project's settings ([`package::Project`]).
//!
//! [xinterp-check]: https://docs.rs/xinterp-check

// A runner of test processes, never itself model-checked: it waits on child
// processes and pipes with std's threads and locks, not the facade's.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub mod backend;
pub mod cli;
pub mod coverage;
pub mod exit;
pub mod listing;
pub mod merge;
pub mod message;
pub mod package;
pub mod partition;
pub mod process;
pub mod progress;
pub mod report;
pub mod runner;
pub mod table;
pub mod trace;
pub mod verify;
