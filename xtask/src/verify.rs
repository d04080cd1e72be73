//! `cargo xtask verify`: `cargo xinterp verify`'s runner on the project's
//! scenarios (see `crate::project`), with the SPIN proofs (`crate::proofs`)
//! run after them; their table is printed beside the scenarios' and written
//! into the same reports. A whole campaign's model coverage is recorded in
//! `models/coverage.json` (`crate::coverage`).
use crate::proofs::{self, table::Row as ProofRow};
use cargo_xinterp::cli::Scenarios;
use cargo_xinterp::coverage::Coverage;
use cargo_xinterp::exit::Verdict;
use cargo_xinterp::report;
use cargo_xinterp::verify::{self as runner, Extra, MessageFormat};
use serde_json::Value;
use std::path::Path;

/// What to run.
#[derive(Debug)]
pub struct Options {
    /// The scenarios and backends.
    pub scenarios: runner::Options,
    /// What to do about the SPIN proofs.
    pub proofs: Proofs,
}

/// The runner's options from the shared command-line flags.
pub fn scenario_options(scenarios: &Scenarios) -> Result<runner::Options, String> {
    runner::Options::from_cli(scenarios, MessageFormat::Human)
}

/// What `verify` does about the SPIN proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proofs {
    /// Run them (the default).
    Run,
    /// Report the results `cargo xtask proofs` just left in
    /// `target/xinterp/proofs/results.json` (`ci` runs the proofs as their
    /// own step, first).
    Reuse,
    /// Leave them out (`--no-proofs`).
    Skip,
}

pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let project = options.scenarios.project(crate::project(root));
    let verification = runner::run_scenarios(&project, &options.scenarios)?;
    let proof_rows = run_proofs(root, options)?;
    println!();
    print!("{}", report::text_table(&verification.runs()));
    if let Some(rows) = &proof_rows {
        println!();
        if rows.is_empty() {
            println!("SPIN proofs: none matches the filter");
        } else {
            print!("{}", proofs::table::text(rows));
        }
    }
    let reports =
        runner::write_reports(&project, &verification, &options.scenarios, &proofs_extra(proof_rows.as_deref()))?;
    println!();
    println!("reports: {} and {}", reports[0].display(), reports[1].display());
    let whole = options.scenarios.filter.is_none() && options.scenarios.partition.is_none();
    if let Some(path) = crate::coverage::record(root, &Coverage::of(&verification.runs())?, whole)? {
        println!("model coverage: {}", path.display());
    }
    let scenarios = if verification.verdict() == Verdict::Passed {
        println!("{}", verification.verdict_line());
        Ok(())
    } else {
        Err(verification.verdict_line())
    };
    let proofs = match &proof_rows {
        Some(rows) if !rows.is_empty() => proofs::verdict(rows, rows.iter().map(|r| r.wall_seconds).sum()),
        _ => Ok(()),
    };
    match (scenarios, proofs) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Err(b)) => Err(format!("{a}; {b}")),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
    }
}

/// `cargo xtask report merge`: the shards' reports as one, the proofs'
/// table rebuilt from the rows each shard ran.
pub fn merge(args: &cargo_xinterp::cli::Merge) -> Result<(), String> {
    let merged = cargo_xinterp::merge::merge_files(&args.reports)?;
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    let rows = match merged.document.get("proofs") {
        Some(Value::Array(items)) => Some(items.iter().map(ProofRow::from_json).collect::<Result<Vec<_>, _>>()?),
        _ => None,
    };
    let extra = proofs_extra(rows.as_deref());
    let paths = cargo_xinterp::merge::write(&merged, &extra.markdown, &args.out)?;
    print!("{}", report::text_table(&merged.runs));
    if let Some(rows) = rows.as_deref().filter(|r| !r.is_empty()) {
        println!();
        print!("{}", proofs::table::text(rows));
    }
    println!("merged {} reports: {} and {}", args.reports.len(), paths[0].display(), paths[1].display());
    // The merge refused shards that are not all of one campaign.
    let whole = merged.document["filter"].is_null();
    if let Some(path) = crate::coverage::record(&crate::workspace_root(), &merged.coverage, whole)? {
        println!("model coverage: {}", path.display());
    }
    let proofs_ok = rows.as_deref().is_none_or(|rows| rows.iter().all(|r| r.ok));
    if cargo_xinterp::merge::passed(&merged) && proofs_ok {
        println!("report merge: OK: {} runs passed", merged.runs.len());
        Ok(())
    } else {
        Err("report merge: the merged campaign FAILED (see the report's Failures)".to_owned())
    }
}

/// The proof rows for the report: `None` when skipped.
fn run_proofs(root: &Path, options: &Options) -> Result<Option<Vec<ProofRow>>, String> {
    match options.proofs {
        Proofs::Skip => Ok(None),
        Proofs::Reuse => proofs::read_results(root).map(Some),
        Proofs::Run => {
            println!("== SPIN proofs ==");
            let proof_options = proofs::Options {
                filter: options.scenarios.filter.clone(),
                bless: false,
                partition: options.scenarios.partition,
            };
            proofs::run_all(root, &proof_options).map(Some)
        }
    }
}

/// The proofs' section of `report.md` and their key in `report.json`.
fn proofs_extra(rows: Option<&[ProofRow]>) -> Extra {
    let markdown = match rows {
        Some(rows) if !rows.is_empty() => format!(
            "\n## SPIN proofs\n\nLogs and trails: `proofs/results/`, `proofs/trails/`; \
             what each proof means: `docs/proofs.md`.\n\n{}",
            proofs::table::markdown(rows)
        ),
        Some(_) => "\n## SPIN proofs\n\nNo proof matches the filter.\n".to_owned(),
        None => "\n## SPIN proofs\n\nNot run (`--no-proofs`).\n".to_owned(),
    };
    let json = rows.map_or(Value::Null, |rows| Value::Array(rows.iter().map(ProofRow::to_json).collect()));
    Extra { markdown, json: vec![("proofs", json)] }
}
