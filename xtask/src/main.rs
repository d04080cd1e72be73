//! `cargo xtask`: xinterp's verification driver.
//!
//! - `verify` runs the scenarios (the `models` test target) under loom,
//!   shuttle and production stress, each in its own process, and tabulates
//!   the reports the harness writes, with the SPIN proofs beside them: the
//!   runner of `cargo xinterp verify` (the `cargo-xinterp` library) with
//!   this project's settings, plus the proofs;
//! - `ci` runs the whole gate: formatting, clippy under every backend, the
//!   tests, the README's scenario as a downstream crate, the doctests, then
//!   `verify`;
//! - `trace` re-runs one scenario and prints its trace (`cargo xinterp
//!   trace`'s code);
//! - `mutants` puts known bugs back into the real code and checks that the
//!   scenarios catch each one under loom and shuttle;
//! - `mermaid` parses the Mermaid renderer's output for hostile names with
//!   Mermaid itself (installing the npm package when missing);
//! - `proofs` runs the SPIN proofs in `proofs/` (installing SPIN when it
//!   can) and compares their counterexample trails with golden files.

#[cfg(test)]
mod catalogue;
mod ci;
mod downstream;
mod mermaid;
mod mutants;
mod proofs;
mod verify;

use cargo_xinterp::backend::Backend;
use cargo_xinterp::cli::Scenarios;
use cargo_xinterp::package::Project;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xinterp_check::trace::render::Format;

/// xinterp's verification driver.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    styles = clap::builder::Styles::plain(),
    after_help = "examples:
  cargo xtask verify --backend std --filter two_finalizers
  cargo xtask trace lifecycle::naive::bug_check_then_increment --format mermaid
  cargo xtask proofs --filter lifecycle_cpython"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every scenario under each backend (each in its own process) and
    /// the SPIN proofs; tabulate them in target/xinterp/report.{md,json}.
    Verify {
        #[command(flatten)]
        scenarios: Scenarios,
        /// Skip the SPIN proofs.
        #[arg(long)]
        no_proofs: bool,
    },
    /// fmt check, clippy under std/std+trace/loom/shuttle, tests, the
    /// README's downstream crate, doctests, mutants, proofs, then verify;
    /// stops at the first failing step.
    Ci,
    /// Run the SPIN proofs in proofs/ (installs spin and gcc with apt-get
    /// when missing and running as root), compare counterexample trails with
    /// proofs/trails/, write proofs/results/.
    Proofs {
        /// Only the proofs whose id contains this.
        #[arg(long, value_name = "SUBSTRING")]
        filter: Option<String>,
        /// Rewrite the golden trails (or XINTERP_BLESS=1).
        #[arg(long)]
        bless: bool,
    },
    /// Re-run one scenario and print its trace.
    Trace {
        /// The scenario, e.g. lifecycle::guards::two_finalizers.
        scenario: String,
        /// The backend to run it under.
        #[arg(long, value_enum, default_value_t = Backend::Loom)]
        backend: Backend,
        /// text, json, mermaid or chrome (for all but text the header goes
        /// to stderr so stdout can be redirected to a file).
        #[arg(long, default_value = "text")]
        format: Format,
    },
    /// Re-introduce each known bug into a copy of the real code and check
    /// that loom and shuttle fail the scenarios that guard against it.
    Mutants {
        /// Only the mutations whose id or killer scenarios contain this.
        #[arg(long, value_name = "SUBSTRING")]
        filter: Option<String>,
    },
    /// Render a trace with hostile names as Mermaid and parse it with the npm
    /// package mermaid under node (installed into target/xinterp/mermaid/).
    Mermaid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Verify { scenarios, no_proofs } => {
            let proofs = if no_proofs { verify::Proofs::Skip } else { verify::Proofs::Run };
            verify::run(&root, &verify::Options { scenarios: verify::scenario_options(&scenarios), proofs })
        }
        Command::Ci => ci::run(&root),
        Command::Trace { scenario, backend, format } => {
            cargo_xinterp::trace::run(&project(&root), &cargo_xinterp::trace::Options { scenario, backend, format })
        }
        Command::Mutants { filter } => mutants::run_filtered(&root, filter.as_deref()),
        Command::Proofs { filter, bless } => proofs::run(&root, &proofs::Options { filter, bless }),
        Command::Mermaid => mermaid::run(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it, and is always built
/// from its source tree, so the compile-time manifest dir is reliable.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The project as the runner sees it: the scenarios are the `models` test
/// target of the root package; the production build turns on `trace` (or
/// its witnesses could never be observed); each backend builds in the
/// target dir clippy uses too (`target/{loom,shuttle,stress}`), so neither
/// invalidates the other's artifacts.
fn project(root: &Path) -> Project {
    let target = root.join("target");
    Project {
        name: "xinterp".into(),
        manifest: root.join("Cargo.toml"),
        tests: vec!["models".into()],
        std_features: vec!["trace".into()],
        target_dirs: [target.join("loom"), target.join("shuttle"), target.join("stress")],
        out: target.join("xinterp"),
        command: "cargo xtask verify".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_flags_are_the_runners() {
        let cli = Cli::try_parse_from(["cargo xtask", "verify", "--backend", "std", "--filter=two", "--no-proofs"])
            .expect("parses");
        let Command::Verify { scenarios, no_proofs } = cli.command else { panic!("verify") };
        assert_eq!(
            (scenarios.backends(), scenarios.filter.as_deref(), no_proofs),
            (vec![Backend::Std], Some("two"), true)
        );
    }

    #[test]
    fn unknown_commands_and_stray_arguments_are_rejected() {
        for args in [&["cargo xtask", "frobnicate"][..], &["cargo xtask", "ci", "extra"], &["cargo xtask", "trace"]] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
