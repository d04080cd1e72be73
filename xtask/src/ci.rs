//! `cargo xtask ci`: the whole gate, cheapest checks first, stopping at the
//! first failure.
use crate::verify;
use cargo_xinterp::backend::Backend;
use cargo_xinterp::process;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One step of the gate.
struct Step {
    name: &'static str,
    run: fn(&Path) -> Result<(), String>,
}

const STEPS: &[Step] = &[
    Step { name: "toolchain: rustfmt and clippy", run: toolchain },
    Step { name: "fmt --check", run: fmt },
    Step { name: "docs --check (generated tables, cited files)", run: docs },
    Step { name: "layers", run: crate::layers::run },
    Step { name: "clippy (std)", run: clippy_std },
    Step { name: "clippy (std, trace)", run: clippy_std_trace },
    Step { name: "clippy (loom)", run: |root| clippy_model(root, Backend::Loom) },
    Step { name: "clippy (shuttle)", run: |root| clippy_model(root, Backend::Shuttle) },
    Step { name: "unit + API tests (std, with and without trace)", run: test_std },
    Step { name: "downstream (the README's scenario in a fresh crate, by cargo xinterp)", run: crate::downstream::run },
    Step { name: "doctests", run: doctests },
    Step { name: "rustdoc (-D warnings)", run: rustdoc },
    Step { name: "mermaid (the renderer's output parsed by Mermaid)", run: crate::mermaid::run },
    Step { name: "mutants (loom, shuttle)", run: crate::mutants::run },
    Step { name: "mutants --orderings (loom)", run: |root| crate::mutants::run_orderings(root, None) },
    Step { name: "proofs (SPIN)", run: proofs },
    Step { name: "verify (loom, shuttle, std; reports the proofs)", run: verify_all },
];

pub fn run(root: &Path) -> Result<(), String> {
    let mut results: Vec<(&Step, Duration, Result<(), String>)> = Vec::new();
    for step in STEPS {
        println!("\n=== ci: {} ===", step.name);
        let started = Instant::now();
        let result = (step.run)(root);
        let failed = result.is_err();
        results.push((step, started.elapsed(), result));
        if failed {
            break;
        }
    }
    print_summary(&results);
    match results.iter().find(|(_, _, result)| result.is_err()) {
        Some((step, _, Err(why))) => Err(format!("ci FAILED at `{}`: {why}", step.name)),
        _ => {
            println!("ci: OK");
            Ok(())
        }
    }
}

fn print_summary(results: &[(&Step, Duration, Result<(), String>)]) {
    let width = STEPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    println!("\n{:<width$} | {:>8} | result", "step", "time");
    println!("{}-+-{}-+-{}", "-".repeat(width), "-".repeat(8), "-".repeat(7));
    for step in STEPS {
        let (time, result) = match results.iter().find(|(s, _, _)| s.name == step.name) {
            Some((_, elapsed, Ok(()))) => (format!("{:.1} s", elapsed.as_secs_f64()), "ok"),
            Some((_, elapsed, Err(_))) => (format!("{:.1} s", elapsed.as_secs_f64()), "FAILED"),
            None => ("-".to_owned(), "skipped"),
        };
        println!("{:<width$} | {time:>8} | {result}", step.name);
    }
}

/// Fails if `cmd` does not succeed, naming it.
fn succeed(cmd: Command) -> Result<(), String> {
    let line = process::describe(&cmd);
    if process::run_visible(cmd)? {
        Ok(())
    } else {
        Err(format!("`{line}` failed"))
    }
}

/// The later steps need both components; say how to get them rather than
/// letting cargo print "no such command".
fn toolchain(root: &Path) -> Result<(), String> {
    let missing: Vec<&str> = ["fmt", "clippy"]
        .into_iter()
        .filter(|tool| {
            let mut cmd = process::cargo(root, tool);
            cmd.arg("--version");
            !process::run_silent(cmd)
        })
        .collect();
    if missing.is_empty() {
        println!("cargo fmt and cargo clippy are available");
        return Ok(());
    }
    Err(format!(
        "`cargo {}` is not available: the rustfmt and clippy components are needed \
         (rustup component add rustfmt clippy)",
        missing.join("` and `cargo ")
    ))
}

/// The generated tables of docs/ are current and every cited file exists:
/// no build beyond xtask's own, so it goes before clippy.
fn docs(root: &Path) -> Result<(), String> {
    crate::docs::run(root, &crate::docs::Options { check: true })
}

fn fmt(root: &Path) -> Result<(), String> {
    let mut cmd = process::cargo(root, "fmt");
    cmd.args(["--all", "--", "--check"]);
    succeed(cmd)
}

/// Production clippy in the default target dir (the one `cargo build` and
/// `cargo test` use), over the whole workspace including xtask.
fn clippy_std(root: &Path) -> Result<(), String> {
    let mut cmd = process::cargo(root, "clippy");
    cmd.args(["--workspace", "--all-targets", "--", "-D", "warnings"]);
    succeed(cmd)
}

/// With `trace`, the recording code paths compile in: lint them too.
fn clippy_std_trace(root: &Path) -> Result<(), String> {
    let mut cmd = process::cargo(root, "clippy");
    cmd.args(["--workspace", "--all-targets", "--features", "trace", "--", "-D", "warnings"]);
    succeed(cmd)
}

/// Under a model checker's cfg, in that backend's target dir with the same
/// RUSTFLAGS `verify` uses: the library and the toolkit. `--lib --tests`:
/// benches are not meant to build under model cfgs, and xtask is not either.
fn clippy_model(root: &Path, backend: Backend) -> Result<(), String> {
    let mut cmd = backend.cargo(root, crate::project(root).target_dir(backend), "clippy");
    cmd.args(["-p", "xinterp", "-p", "xinterp-check", "--lib", "--tests", "--", "-D", "warnings"]);
    succeed(cmd)
}

/// The unit and API tests of the library, the toolkit and xtask (built with
/// tracing: the toolkit, their dev-dependency, turns it on), then the
/// library as an embedder builds it, where the recorder must be compiled
/// out of the protocols (TR-1). The scenarios are left to `verify`.
fn test_std(root: &Path) -> Result<(), String> {
    let mut traced = process::cargo(root, "test");
    traced.args(["--workspace", "--exclude", "xinterp-bench", "--lib", "--bins"]);
    for test in TESTS {
        traced.args(["--test", test]);
    }
    succeed(traced)?;
    // The runner's own integration test: an aborting loom scenario in a
    // fixture crate must not hide the other's verdict.
    let mut runner = process::cargo(root, "test");
    runner.args(["-p", "cargo-xinterp", "--test", "isolation"]);
    succeed(runner)?;
    let mut embedder = process::cargo(root, "test");
    embedder.args(["-p", "xinterp-bench", "--tests"]);
    succeed(embedder)
}

/// Every integration test target but `models` (which `verify` runs under
/// each backend): API behaviour, conformance, the soak, and the proptest
/// state machines against the reference models. A new `[[test]]` in
/// Cargo.toml belongs here.
const TESTS: &[&str] = &[
    "api",
    "finalize_faults",
    "lifecycle_state_machine",
    "channels",
    "channels_cpython",
    "channel_state_machine",
    "channels_soak",
    "xi",
    "xi_state_machine",
];

/// The API docs build without a warning (a broken or private link is one).
fn rustdoc(root: &Path) -> Result<(), String> {
    let mut cmd = process::cargo(root, "doc");
    cmd.args(["--no-deps", "-p", "xinterp", "-p", "xinterp-check"]);
    cmd.env("RUSTDOCFLAGS", "-D warnings");
    succeed(cmd)
}

fn doctests(root: &Path) -> Result<(), String> {
    let mut cmd = process::cargo(root, "test");
    cmd.args(["--doc", "-p", "xinterp", "-p", "xinterp-check"]);
    succeed(cmd)
}

/// Every SPIN proof, golden trails compared; cheaper than verify, so first.
fn proofs(root: &Path) -> Result<(), String> {
    crate::proofs::run(root, &crate::proofs::Options::default())
}

/// verify reports the proofs the step before just ran rather than running
/// them again.
fn verify_all(root: &Path) -> Result<(), String> {
    let scenarios = cargo_xinterp::verify::Options {
        backends: Backend::ALL.to_vec(),
        filter: None,
        runner: cargo_xinterp::runner::RunnerKind::Auto,
        format: cargo_xinterp::verify::MessageFormat::Human,
        partition: None,
        iterations: None,
        seeds: None,
        out: None,
    };
    verify::run(root, &verify::Options { scenarios, proofs: verify::Proofs::Reuse })
}

#[cfg(test)]
mod tests {
    /// `TESTS` must name every `[[test]]` of the crate but `models`, or a
    /// new test target would silently never run in CI.
    #[test]
    fn every_integration_test_but_models_runs_in_ci() {
        let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let mut declared: Vec<&str> = Vec::new();
        let mut in_test = false;
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                in_test = line == "[[test]]";
            } else if let (true, Some(name)) = (in_test, line.strip_prefix("name = ")) {
                declared.push(name.trim_matches('"'));
            }
        }
        let mut expected: Vec<&str> = declared.into_iter().filter(|t| *t != "models").collect();
        let mut listed = super::TESTS.to_vec();
        expected.sort_unstable();
        listed.sort_unstable();
        assert_eq!(listed, expected, "xtask/src/ci.rs TESTS and Cargo.toml's [[test]] targets differ");
    }
}
