//! What `cargo xinterp verify` exits with.
//!
//! | code | meaning |
//! |---:|---|
//! | 0 | every scenario under every backend passed |
//! | 1 | a scenario failed, or has no verdict (no report, aborted, crashed, not run), or none ran |
//! | 2 | a build failed, or the command line or the package is unusable |
use crate::report::RunReport;

/// The run's overall verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every scenario passed.
    Passed,
    /// Some scenario failed or has no verdict, or none ran.
    ScenarioFailed,
    /// A backend's build failed (or the run could not start).
    BuildFailed,
}

impl Verdict {
    /// The verdict of a run: `build_failed` if any backend did not build,
    /// and the runs of those that did.
    pub fn of(build_failed: bool, runs: &[RunReport]) -> Verdict {
        if build_failed {
            Verdict::BuildFailed
        } else if runs.is_empty() || runs.iter().any(|r| !r.ok) {
            Verdict::ScenarioFailed
        } else {
            Verdict::Passed
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Verdict::Passed => 0,
            Verdict::ScenarioFailed => 1,
            Verdict::BuildFailed => USAGE,
        }
    }

    /// The word for it in messages.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::ScenarioFailed => "scenario failed",
            Verdict::BuildFailed => "build failed",
        }
    }
}

/// The exit code of a usage error or a build failure (clap's own for
/// usage errors, too).
pub const USAGE: u8 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::NO_REPORT;

    fn passed() -> RunReport {
        let mut run = RunReport::placeholder("a", "loom", "pass", String::new());
        run.ok = true;
        run
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Verdict::of(false, &[passed()]).code(), 0);
        let missing = RunReport::placeholder("b", "loom", NO_REPORT, "why".into());
        assert_eq!(Verdict::of(false, &[passed(), missing.clone()]).code(), 1);
        assert_eq!(Verdict::of(false, &[]).code(), 1, "nothing verified is not a pass");
        assert_eq!(Verdict::of(true, &[passed(), missing]).code(), 2, "a build failure outranks a failure");
        assert_eq!(Verdict::of(true, &[]).code(), 2);
    }
}
