//! One proof: generate pan with `spin -a`, compile it, run it, and read its
//! statistics. Everything runs in the proof's own work directory (pan and
//! spin write their files into the current directory).
use super::catalog::{Proof, Violation};
use super::tools::Tools;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What pan reported.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub states_stored: u64,
    pub transitions: u64,
    pub depth: u64,
    /// `total actual memory usage`, MB.
    pub memory_mb: f64,
    /// pan's own `elapsed time`, seconds.
    pub pan_seconds: f64,
    pub errors: u64,
    /// The first error pan reported (`pan:1: ...`), classified.
    pub found: Option<Found>,
    /// pan said `max search depth too small`: the search was cut short.
    pub depth_limited: bool,
    /// pan wrote a trail file.
    pub trail_written: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// `None` for an error kind we do not classify (it fails any proof).
    pub violation: Option<Violation>,
    /// pan's line, e.g. `assertion violated !(fin_begun) (at depth 24)`.
    pub message: String,
}

/// A finished pan run: its statistics and the transcript for the log.
pub struct Run {
    pub stats: Stats,
    /// Every command and its output, for `proofs/results/<proof>.log`.
    pub transcript: String,
    /// Wall time of generate + compile + search, seconds.
    pub wall_seconds: f64,
}

/// Generates, compiles and runs pan for `proof` in `work`, which holds a
/// copy of the specs.
pub fn run(proof: &Proof, tools: &Tools, work: &Path) -> Result<Run, String> {
    let started = Instant::now();
    let mut transcript = String::new();
    let mut spin = Command::new("spin");
    spin.arg("-a").arg(proof.spec);
    step(&mut transcript, spin, work, "spin -a")?;

    let mut cc = Command::new(&tools.cc);
    cc.args(proof.compile_flags()).args(["-o", "pan", "pan.c"]);
    step(&mut transcript, cc, work, "compiling pan.c")?;

    let mut pan = Command::new(work.join("pan"));
    pan.args(proof.run_flags());
    // pan exits non-zero on some errors; its statistics say what happened.
    let output = output_of(&mut transcript, pan, work)?;
    let stats = parse(&output);
    Ok(Run { stats, transcript, wall_seconds: started.elapsed().as_secs_f64() })
}

/// Runs `cmd` in `dir`, appending the command line and output to
/// `transcript`; fails (naming `what`) if it does not succeed.
fn step(transcript: &mut String, mut cmd: Command, dir: &Path, what: &str) -> Result<String, String> {
    cmd.current_dir(dir);
    let line = command_line(&cmd);
    let output = cmd.output().map_err(|e| format!("could not run `{line}`: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let _ = write!(transcript, "$ {line}\n{text}\n");
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!("{what} failed (`{line}` in {}):\n{text}", dir.display()))
    }
}

fn output_of(transcript: &mut String, mut cmd: Command, dir: &Path) -> Result<String, String> {
    cmd.current_dir(dir);
    let line = command_line(&cmd);
    let output = cmd.output().map_err(|e| format!("could not run `{line}`: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let _ = write!(transcript, "$ {line}\n{text}\n");
    Ok(text)
}

/// The command as typed in a shell (program name without its directory).
pub fn command_line(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    let program = program.file_name().map_or_else(|| program.display().to_string(), |n| n.to_string_lossy().into());
    let program = if program == "pan" { "./pan".to_owned() } else { program };
    let mut words = vec![program];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

/// Reads pan's report.
pub fn parse(output: &str) -> Stats {
    let mut stats = Stats::default();
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("State-vector ") {
            // `State-vector 56 byte, depth reached 193, errors: 0`
            stats.depth = number_after(rest, "depth reached ").unwrap_or(0);
            stats.errors = number_after(rest, "errors: ").unwrap_or(0);
        } else if line.contains("states, stored") {
            stats.states_stored = leading_number(line).unwrap_or(0);
        } else if line.contains("transitions (= ") {
            stats.transitions = leading_number(line).unwrap_or(0);
        } else if line.ends_with("total actual memory usage") {
            stats.memory_mb = line.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0.0);
        } else if let Some(rest) = line.strip_prefix("pan: elapsed time ") {
            stats.pan_seconds = rest.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0.0);
        } else if line.contains("max search depth too small") {
            stats.depth_limited = true;
        } else if line.starts_with("pan: wrote ") && line.ends_with(".trail") {
            stats.trail_written = true;
        } else if let Some(rest) = line.strip_prefix("pan:1: ") {
            stats.found = Some(classify(rest));
        }
    }
    stats
}

fn classify(message: &str) -> Found {
    let violation = if message.starts_with("assertion violated") {
        Some(Violation::Assertion)
    } else if message.starts_with("invalid end state") {
        Some(Violation::InvalidEndState)
    } else if message.starts_with("acceptance cycle") {
        Some(Violation::AcceptanceCycle)
    } else {
        None
    };
    Found { violation, message: message.to_owned() }
}

fn number_after(s: &str, key: &str) -> Option<u64> {
    let rest = &s[s.find(key)? + key.len()..];
    leading_number(rest)
}

fn leading_number(s: &str) -> Option<u64> {
    let digits: String = s.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLDS: &str = "\
(Spin Version 6.5.2 -- 6 December 2019)
State-vector 64 byte, depth reached 193, errors: 0
    16636 states, stored (148899 visited)
   133250 states, matched
   282149 transitions (= visited+matched)
  129.706	total actual memory usage
pan: elapsed time 0.06 seconds
";

    const CYCLE: &str = "\
pan:1: acceptance cycle (at depth 90)
pan: wrote lifecycle_cpython_2takers.pml.trail
State-vector 56 byte, depth reached 299, errors: 1
      932 states, stored (3875 visited)
error: max search depth too small
";

    #[test]
    fn reads_the_statistics() {
        let s = parse(HOLDS);
        assert_eq!((s.states_stored, s.transitions, s.depth, s.errors), (16636, 282149, 193, 0));
        assert!((s.memory_mb - 129.706).abs() < 1e-9 && (s.pan_seconds - 0.06).abs() < 1e-9);
        assert!(s.found.is_none() && !s.depth_limited && !s.trail_written);
    }

    #[test]
    fn reads_an_error() {
        let s = parse(CYCLE);
        assert_eq!(s.errors, 1);
        assert_eq!(s.found.map(|f| f.violation), Some(Some(Violation::AcceptanceCycle)));
        assert!(s.depth_limited && s.trail_written);
    }
}
