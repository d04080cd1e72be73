//! `cargo-xinterp`: the cargo subcommand `cargo xinterp` (see the library's
//! docs for what it does and its exit codes).
use cargo_xinterp::cli::{Cargo, Command, Merge, ReportCommand, Trace, Verify};
use cargo_xinterp::exit::USAGE;
use cargo_xinterp::package::Project;
use cargo_xinterp::verify::{self, MessageFormat};
use cargo_xinterp::{report, trace};
use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Cargo::Xinterp(args) = Cargo::parse();
    let result = match args.command {
        Command::Verify(options) => run_verify(&options),
        Command::Trace(options) => run_trace(&options),
        Command::Report(ReportCommand::Merge(options)) => run_merge(&options),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(USAGE)
        }
    }
}

fn run_verify(args: &Verify) -> Result<u8, String> {
    let options = verify::Options::from_cli(&args.scenarios, args.message_format)?;
    let project = options.project(Project::locate(args.package.manifest_path.as_deref(), &args.package.tests)?);
    let verification = verify::run_scenarios(&project, &options)?;
    let reports = verify::write_reports(&project, &verification, &options, &verify::Extra::default())?;
    match options.format {
        MessageFormat::Json => println!("{}", verify::summary_message(&verification, &reports)),
        MessageFormat::Human => {
            println!();
            print!("{}", report::text_table(&verification.runs()));
            println!();
            println!("reports: {} and {}", reports[0].display(), reports[1].display());
            println!("{}", verification.verdict_line());
        }
    }
    Ok(verification.verdict().code())
}

fn run_merge(args: &Merge) -> Result<u8, String> {
    let merged = cargo_xinterp::merge::merge_files(&args.reports)?;
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    let paths = cargo_xinterp::merge::write(&merged, "", &args.out)?;
    print!("{}", report::text_table(&merged.runs));
    println!("merged {} reports: {} and {}", args.reports.len(), paths[0].display(), paths[1].display());
    Ok(if cargo_xinterp::merge::passed(&merged) { 0 } else { 1 })
}

fn run_trace(args: &Trace) -> Result<u8, String> {
    let project = Project::locate(args.package.manifest_path.as_deref(), &args.package.tests)?;
    let options = trace::Options { scenario: args.scenario.clone(), backend: args.backend, format: args.format };
    match trace::run(&project, &options) {
        Ok(()) => Ok(0),
        Err(why) => {
            eprintln!("error: {why}");
            Ok(1)
        }
    }
}
