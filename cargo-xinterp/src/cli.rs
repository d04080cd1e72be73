//! The command line of `cargo xinterp`, and the arguments `cargo xtask`
//! shares with it.
use crate::backend::Backend;
use crate::partition::Partition;
use crate::runner::RunnerKind;
use crate::verify::MessageFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use xinterp_check::trace::render::Format;
use xinterp_check::SeedRange;

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
    /// Work on verify's reports.
    #[command(subcommand)]
    Report(ReportCommand),
}

/// `report ...`: shared by `cargo xinterp report` and `cargo xtask report`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the report.json of each shard of a campaign (verify
    /// --partition k/n, or --seed-shard k/n) into one report.{md,json};
    /// refuses reports that are not shares of one campaign.
    #[command(
        after_help = "Exit codes:\n  0  merged, and every run passed\n  1  merged, and a run failed or none ran\n  2  the reports are not shares of one campaign (nothing written), or a usage error"
    )]
    Merge(Merge),
}

/// `report merge`.
#[derive(Debug, Args, PartialEq, Eq)]
pub struct Merge {
    /// The shards' report.json files.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Where the merged report.{md,json} go.
    #[arg(short, long, value_name = "DIR", default_value = "target/xinterp/merged")]
    pub out: PathBuf,
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
    /// Run one shard of the scenarios: count:k/n deals each test target's
    /// tests round-robin in name order, hash:k/n by a hash of the test's
    /// name (cargo-nextest's notation); the n shards are disjoint and
    /// together run every scenario. Merge their reports with `report merge`.
    #[arg(long, value_name = "count:k/n|hash:k/n")]
    pub partition: Option<Partition>,
    /// shuttle: executions per seed for every scenario
    /// (XINTERP_SHUTTLE_ITERATIONS; default: each scenario's own, 10,000).
    #[arg(long, value_name = "N")]
    pub iterations: Option<usize>,
    /// shuttle: run every seed of A..B (B excluded) in turn, --iterations
    /// executions each (XINTERP_SEEDS; default: one seed per scenario,
    /// derived from its name).
    #[arg(long, value_name = "A..B")]
    pub seeds: Option<SeedRange>,
    /// shuttle: only shard k of n of the --seeds range (contiguous, disjoint
    /// pieces that together are the range), so n machines share one
    /// campaign over every scenario.
    #[arg(long, value_name = "k/n", value_parser = parse_shard, requires = "seeds")]
    pub seed_shard: Option<(u64, u64)>,
    /// Where runs/, logs/ and report.{md,json} go (default: xinterp/ in
    /// the target dir); shards run side by side on one machine need one each.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl Scenarios {
    /// The backends in canonical order.
    pub fn backends(&self) -> Vec<Backend> {
        Backend::canonical(&self.backend)
    }

    /// The seeds this run's shuttle campaign covers: `--seeds`, cut to
    /// `--seed-shard`.
    pub fn seed_range(&self) -> Result<Option<SeedRange>, String> {
        match (self.seeds, self.seed_shard) {
            (Some(range), Some((k, n))) => range
                .shard(k, n)
                .map(Some)
                .ok_or_else(|| format!("--seed-shard {k}/{n}: {range} has fewer than {n} seeds")),
            (seeds, _) => Ok(seeds),
        }
    }
}

/// `k/n` with `1 <= k <= n`.
fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let invalid = || format!("`{s}` is not k/n with 1 <= k <= n");
    let (k, n) = s.split_once('/').ok_or_else(invalid)?;
    let (k, n): (u64, u64) = (k.parse().map_err(|_| invalid())?, n.parse().map_err(|_| invalid())?);
    if k == 0 || k > n {
        return Err(invalid());
    }
    Ok((k, n))
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
    fn verify_takes_a_partition_and_a_shuttle_campaign() {
        let Ok(Command::Verify(v)) = parse(&[
            "verify",
            "--partition",
            "hash:2/3",
            "--iterations",
            "1000",
            "--seeds",
            "0..1000",
            "--seed-shard",
            "4/10",
            "--out",
            "t/shard2",
        ]) else {
            panic!("verify parses")
        };
        assert_eq!(v.scenarios.partition.map(|p| p.to_string()), Some("hash:2/3".to_owned()));
        assert_eq!(v.scenarios.iterations, Some(1000));
        assert_eq!(v.scenarios.seed_range().unwrap(), Some(SeedRange { start: 300, end: 400 }));
        assert_eq!(v.scenarios.out, Some(PathBuf::from("t/shard2")));
        let Ok(Command::Verify(v)) = parse(&["verify", "--seeds", "0..3", "--seed-shard", "1/4"]) else {
            panic!("verify parses")
        };
        assert!(v.scenarios.seed_range().is_err(), "more shards than seeds");
        for args in [
            &["verify", "--partition", "count:3/2"][..],
            &["verify", "--partition", "slice:1/2"],
            &["verify", "--seeds", "5..5"],
            &["verify", "--seed-shard", "1/2"],
            &["verify", "--seeds", "0..9", "--seed-shard", "0/2"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn report_merge_takes_reports_and_an_output_dir() {
        let Ok(Command::Report(ReportCommand::Merge(m))) = parse(&["report", "merge", "a.json", "b.json", "-o", "m"])
        else {
            panic!("merge parses")
        };
        assert_eq!((m.reports, m.out), (vec![PathBuf::from("a.json"), PathBuf::from("b.json")], PathBuf::from("m")));
        assert!(parse(&["report", "merge"]).is_err(), "at least one report");
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
