//! `cargo xtask`: xinterp's verification driver.
//!
//! - `verify` runs the scenarios (`cargo test --test models`) under loom,
//!   shuttle and production stress, and tabulates the reports the harness
//!   writes;
//! - `ci` runs the whole gate: formatting, clippy under every backend, the
//!   tests, the doctests, then `verify`;
//! - `trace` re-runs one scenario and prints its trace;
//! - `mutants` puts known bugs back into the real code and checks that the
//!   scenarios catch each one under loom and shuttle;
//! - `layers` checks that the crate's files form no import cycle and that
//!   the kernel names neither channels nor cross-interpreter data;
//! - `mermaid` parses the Mermaid renderer's output for hostile names with
//!   Mermaid itself (installing the npm package when missing);
//! - `proofs` runs the SPIN proofs in `proofs/` (installing SPIN when it
//!   can) and compares their counterexample trails with golden files.
//!
//! Arguments are parsed by hand: the surface is small and a CLI framework
//! would be the heaviest dependency of the workspace.

mod backend;
#[cfg(test)]
mod catalogue;
mod ci;
mod layers;
mod mermaid;
mod mutants;
mod process;
mod proofs;
mod report;
mod trace;
mod verify;

use backend::Backend;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xinterp::trace::render::Format;

const USAGE: &str = "\
usage: cargo xtask <command> [flags]

commands:
  verify   run every scenario under each backend and tabulate the reports
           --backend loom|shuttle|std   (repeatable; default: all three)
           --filter SUBSTRING           (only the scenarios and proofs whose name contains it)
           --no-proofs                  (skip the SPIN proofs)
           writes target/xinterp/report.md and target/xinterp/report.json
  ci       fmt check, layers, clippy under std/std+trace/loom/shuttle, tests, doctests,
           mutants, proofs, then verify; stops at the first failing step
  proofs   run the SPIN proofs in proofs/ (installs spin and gcc with apt-get
           when missing and running as root), compare counterexample trails
           with proofs/trails/, write proofs/results/
           --filter SUBSTRING           (only the proofs whose id contains it)
           --bless                      (rewrite the golden trails; or XINTERP_BLESS=1)
  trace    <scenario>                   re-run one scenario and print its trace
           --backend loom|shuttle|std   (default: loom)
           --format text|json|mermaid|chrome   (default: text; for the other
                                        formats the header goes to stderr so
                                        stdout can be redirected to a file)
  mutants  re-introduce each known bug into a copy of the real code and check
           that loom and shuttle fail the scenarios that guard against it
           --filter SUBSTRING           (only the mutations whose id or killer
                                        scenarios contain it)
  layers   check that src/ has no import cycle between files and that the
           kernel (listed in xtask/src/layers.rs) names neither crate::channel
           nor crate::xi
  mermaid  render a trace with hostile thread names and outcomes as Mermaid and
           parse it with the npm package mermaid under node (installs it into
           target/xinterp/mermaid/ when missing)
  help     print this message

examples:
  cargo xtask verify --backend std --filter two_finalizers
  cargo xtask trace lifecycle::naive::bug_check_then_increment --format mermaid
  cargo xtask proofs --filter lifecycle_cpython
";

/// A parsed command line.
#[derive(Debug)]
enum Command {
    Help,
    Verify(verify::Options),
    Ci,
    Trace(trace::Options),
    Mutants(Option<String>),
    Proofs(proofs::Options),
    Mermaid,
    Layers,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let root = workspace_root();
    let result = match command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::Verify(options) => verify::run(&root, &options),
        Command::Ci => ci::run(&root),
        Command::Trace(options) => trace::run(&root, &options),
        Command::Mutants(filter) => mutants::run_filtered(&root, filter.as_deref()),
        Command::Proofs(options) => proofs::run(&root, &options),
        Command::Mermaid => mermaid::run(&root),
        Command::Layers => layers::run(&root),
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

fn parse(args: Vec<String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Command::Help);
    };
    let rest: Vec<String> = args.collect();
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "verify" => parse_verify(rest).map(Command::Verify),
        "ci" => match rest.first() {
            None => Ok(Command::Ci),
            Some(arg) => Err(format!("`ci` takes no arguments (got `{arg}`)")),
        },
        "trace" => parse_trace(rest).map(Command::Trace),
        "mutants" => parse_mutants(rest).map(Command::Mutants),
        "proofs" => parse_proofs(rest).map(Command::Proofs),
        "mermaid" => match rest.first() {
            None => Ok(Command::Mermaid),
            Some(arg) => Err(format!("`mermaid` takes no arguments (got `{arg}`)")),
        },
        "layers" => match rest.first() {
            None => Ok(Command::Layers),
            Some(arg) => Err(format!("`layers` takes no arguments (got `{arg}`)")),
        },
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_verify(args: Vec<String>) -> Result<verify::Options, String> {
    let mut backends = Vec::new();
    let mut filter = None;
    let mut proofs = verify::Proofs::Run;
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next_arg() {
        match arg.as_str() {
            "--backend" => backends.push(flags.value(&arg)?.parse::<Backend>()?),
            "--filter" => filter = Some(flags.value(&arg)?),
            "--no-proofs" => proofs = verify::Proofs::Skip,
            other => return Err(format!("unknown argument `{other}` for `verify`")),
        }
    }
    // Always run in the canonical order (the cheap exhaustive checker first),
    // whatever order the flags came in, and each backend once.
    let backends = if backends.is_empty() {
        Backend::ALL.to_vec()
    } else {
        Backend::ALL.into_iter().filter(|b| backends.contains(b)).collect()
    };
    Ok(verify::Options { backends, filter, proofs })
}

fn parse_proofs(args: Vec<String>) -> Result<proofs::Options, String> {
    let mut options = proofs::Options::default();
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next_arg() {
        match arg.as_str() {
            "--filter" => options.filter = Some(flags.value(&arg)?),
            "--bless" => options.bless = true,
            other => return Err(format!("unknown argument `{other}` for `proofs`")),
        }
    }
    Ok(options)
}

fn parse_mutants(args: Vec<String>) -> Result<Option<String>, String> {
    let mut filter = None;
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next_arg() {
        match arg.as_str() {
            "--filter" => filter = Some(flags.value(&arg)?),
            other => return Err(format!("unknown argument `{other}` for `mutants`")),
        }
    }
    Ok(filter)
}

fn parse_trace(args: Vec<String>) -> Result<trace::Options, String> {
    let mut scenario = None;
    let mut backend = Backend::Loom;
    let mut format = Format::Text;
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next_arg() {
        match arg.as_str() {
            "--backend" => backend = flags.value(&arg)?.parse()?,
            "--format" => format = flags.value(&arg)?.parse()?,
            flag if flag.starts_with('-') => return Err(format!("unknown argument `{flag}` for `trace`")),
            name if scenario.is_none() => scenario = Some(name.to_owned()),
            extra => return Err(format!("`trace` takes one scenario (got also `{extra}`)")),
        }
    }
    let scenario = scenario.ok_or("`trace` needs a scenario name, e.g. lifecycle::guards::two_finalizers")?;
    Ok(trace::Options { scenario, backend, format })
}

/// Walks a command's arguments, accepting both `--flag value` and
/// `--flag=value`.
struct Flags {
    args: std::vec::IntoIter<String>,
    /// The value of a `--flag=value` just split off, waiting for `value`.
    inline: Option<String>,
}

impl Flags {
    fn new(args: Vec<String>) -> Self {
        Self { args: args.into_iter(), inline: None }
    }

    /// The next flag or positional argument.
    fn next_arg(&mut self) -> Option<String> {
        let arg = self.args.next()?;
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value.to_owned());
                Some(flag.to_owned())
            }
            _ => {
                self.inline = None;
                Some(arg)
            }
        }
    }

    /// The value of `flag`, just returned by `next_arg`.
    fn value(&mut self, flag: &str) -> Result<String, String> {
        self.inline.take().or_else(|| self.args.next()).ok_or_else(|| format!("`{flag}` needs a value"))
    }
}
