//! The command line of `cargo xinterp`, and the arguments `cargo xtask`
//! shares with it.
use crate::backend::Backend;
use crate::runner::RunnerKind;
use crate::verify::MessageFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use xinterp_check::trace::render::Format;

/// The exit codes, as `--help` prints them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  every scenario passed under every backend
  1  a scenario failed or has no verdict (aborted, crashed, no report), or none ran
  2  a build failed, or a usage error";

/// `cargo xinterp ...`: cargo runs `cargo-xinterp xinterp ...`.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::plain())]
pub enum Cargo {
    /// Model-check a crate's xinterp-check scenarios under stress, loom and shuttle.
    Xinterp(Xinterp),
}

/// `cargo xinterp`'s own arguments.
#[derive(Debug, Args)]
#[command(version, after_help = EXIT_CODES)]
pub struct Xinterp {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and run the package's scenarios under each backend, each test in
    /// its own process; print a table and write target/xinterp/report.{md,json}.
    #[command(after_help = EXIT_CODES)]
    Verify(Verify),
    /// Re-run one scenario and print its counterexample or witness trace.
    Trace(Trace),
}

/// Which package: the current directory's, or the manifest's.
#[derive(Debug, Args, Default, PartialEq, Eq)]
pub struct Package {
    /// The package's Cargo.toml (default: the one cargo finds here).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// A test target holding scenarios (repeatable; default: every test
    /// target of the package).
    #[arg(long = "test", value_name = "TARGET")]
    pub tests: Vec<String>,
}

/// Which scenarios under which backends, and how: shared by `cargo xinterp
/// verify` and `cargo xtask verify`.
#[derive(Debug, Args, PartialEq, Eq)]
pub struct Scenarios {
    /// A backend to run (repeatable; default: all three, in the order loom,
    /// shuttle, std).
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub backend: Vec<Backend>,
    /// Only the tests whose name contains this.
    #[arg(long, value_name = "SUBSTRING")]
    pub filter: Option<String>,
    /// What gives each test its process: cargo-nextest if installed, else
    /// the test binaries one test at a time.
    #[arg(long, value_enum, default_value_t = RunnerKind::Auto)]
    pub runner: RunnerKind,
}

impl Scenarios {
    /// The backends in canonical order.
    pub fn backends(&self) -> Vec<Backend> {
        Backend::canonical(&self.backend)
    }
}

/// `cargo xinterp verify`.
#[derive(Debug, Args, PartialEq, Eq)]
pub struct Verify {
    /// The package.
    #[command(flatten)]
    pub package: Package,
    /// The scenarios and backends.
    #[command(flatten)]
    pub scenarios: Scenarios,
    /// human: progress, a table and a verdict; json: one JSON object per
    /// line (each scenario's verdict, then a summary).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

/// `cargo xinterp trace` (and `cargo xtask trace`).
#[derive(Debug, Args)]
pub struct Trace {
    /// The test to re-run (its path in the test binary, which by
    /// convention is its scenario's name).
    pub scenario: String,
    /// The backend to run it under.
    #[arg(long, value_enum, default_value_t = Backend::Loom)]
    pub backend: Backend,
    /// text, json, mermaid or chrome (for all but text, the header goes to
    /// stderr so stdout can be redirected to a file).
    #[arg(long, default_value = "text")]
    pub format: Format,
    /// The package.
    #[command(flatten)]
    pub package: Package,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let mut argv = vec!["cargo", "xinterp"];
        argv.extend_from_slice(args);
        Cargo::try_parse_from(argv).map(|Cargo::Xinterp(x)| x.command)
    }

    #[test]
    fn verify_defaults_to_every_backend_and_every_test_target() {
        let Ok(Command::Verify(v)) = parse(&["verify"]) else { panic!("verify parses") };
        assert_eq!(v.scenarios.backends(), Backend::ALL.to_vec());
        assert_eq!(v.package, Package::default());
        assert_eq!((v.message_format, v.scenarios.runner), (MessageFormat::Human, RunnerKind::Auto));
    }

    #[test]
    fn verify_takes_repeated_backends_and_tests_in_either_spelling() {
        let Ok(Command::Verify(v)) = parse(&[
            "verify",
            "--backend",
            "std",
            "--backend=loom",
            "--test",
            "shutdown",
            "--test=models",
            "--filter",
            "two",
            "--message-format",
            "json",
            "--manifest-path",
            "x/Cargo.toml",
            "--runner",
            "libtest",
        ]) else {
            panic!("verify parses")
        };
        assert_eq!(v.scenarios.backends(), [Backend::Loom, Backend::Std]);
        assert_eq!(v.package.tests, ["shutdown", "models"]);
        assert_eq!(v.scenarios.filter.as_deref(), Some("two"));
        assert_eq!(v.message_format, MessageFormat::Json);
        assert_eq!(v.package.manifest_path, Some(PathBuf::from("x/Cargo.toml")));
        assert_eq!(v.scenarios.runner, RunnerKind::Libtest);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [&["verify", "--backend", "miri"][..], &["verify", "--message-format", "xml"], &["frobnicate"]] {
            let err = parse(args).expect_err("rejected");
            assert_eq!(err.exit_code(), i32::from(crate::exit::USAGE), "{args:?}");
        }
        assert!(parse(&["trace"]).is_err(), "trace needs a test name");
        assert!(parse(&["trace", "a", "--format", "svg"]).is_err());
    }

    #[test]
    fn trace_defaults_to_loom_and_text() {
        let Ok(Command::Trace(t)) = parse(&["trace", "worker_vs_shutdown"]) else { panic!("trace parses") };
        assert_eq!((t.scenario.as_str(), t.backend, t.format), ("worker_vs_shutdown", Backend::Loom, Format::Text));
        let Ok(Command::Trace(t)) = parse(&["trace", "a::b", "--backend", "shuttle", "--format", "mermaid"]) else {
            panic!("trace parses")
        };
        assert_eq!((t.backend, t.format), (Backend::Shuttle, Format::Mermaid));
    }

    #[test]
    fn the_help_documents_the_exit_codes() {
        let err = parse(&["verify", "--help"]).expect_err("help exits");
        assert!(err.to_string().contains("2  a build failed"), "{err}");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory as _;
        Cargo::command().debug_assert();
    }
}
