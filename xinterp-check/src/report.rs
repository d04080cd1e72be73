//! What one scenario run under one checker came to.
use super::golden::Counterexample;
use crate::trace::render;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::time::Duration;

/// Whether the scenario is a model that must pass or a known bug that must
/// be found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A correct protocol: no violation, every witness reached.
    Model,
    /// A known bug: the checker must find a violation.
    Bug,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No violation in any execution, every witness reached.
    Passed,
    /// Stress only: no violation, but these witnesses were not seen (stress
    /// cannot steer the schedule, so this is reported, not failed).
    PassedWitnessesUnseen(Vec<String>),
    /// An invariant was violated (a panic, a deadlock, a data race).
    Failed,
    /// Loom or shuttle only: no violation, but these witnesses were never
    /// reached, so the model never entered the race it is about.
    MissingWitnesses(Vec<String>),
    /// A known bug was found, as it must be.
    BugFound,
    /// Loom or shuttle only: a known bug was not found.
    BugMissed,
    /// Stress only: a known bug was not seen (reported, not failed).
    BugNotSeenUnderStress,
}

impl Outcome {
    /// The report table's word for it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Passed => "pass",
            Self::PassedWitnessesUnseen(_) => "pass (witnesses unseen)",
            Self::Failed => "FAIL",
            Self::MissingWitnesses(_) => "FAIL (witness never reached)",
            Self::BugFound => "bug found",
            Self::BugMissed => "FAIL (bug not found)",
            Self::BugNotSeenUnderStress => "bug not seen (stress)",
        }
    }

    /// The outcome whose [`label`](Self::label) is `label`, carrying
    /// `witnesses` if it is one that names witnesses.
    pub(crate) fn from_label(label: &str, witnesses: Vec<String>) -> Option<Self> {
        let all = [
            Self::Passed,
            Self::PassedWitnessesUnseen(Vec::new()),
            Self::Failed,
            Self::MissingWitnesses(Vec::new()),
            Self::BugFound,
            Self::BugMissed,
            Self::BugNotSeenUnderStress,
        ];
        Some(match all.into_iter().find(|o| o.label() == label)? {
            Self::PassedWitnessesUnseen(_) => Self::PassedWitnessesUnseen(witnesses),
            Self::MissingWitnesses(_) => Self::MissingWitnesses(witnesses),
            other => other,
        })
    }

    /// Whether the run counts as a success.
    pub fn ok(&self) -> bool {
        matches!(self, Self::Passed | Self::PassedWitnessesUnseen(_) | Self::BugFound | Self::BugNotSeenUnderStress)
    }
}

/// How often a witness was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessCount {
    /// The witness's name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// In how many executions it was reached.
    pub count: u64,
}

/// What trace validation against the reference models (`crate::spec`)
/// came to in one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecCheck {
    /// The sampled executions' traces were replayed on the models.
    Validated(ValidationSummary),
    /// A known-bug run: its executions are not validated (they run a broken
    /// protocol on purpose); see [`Report::spec_on_counterexample`].
    KnownBug,
    /// No protocol events are recorded in this build (production without
    /// the `trace` feature): nothing to validate.
    Off,
}

/// How many executions were validated and how much of their traces the
/// models cover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationSummary {
    /// Executions whose traces were replayed.
    pub validated: u64,
    /// Every `n`-th execution was validated.
    pub sample_every: u64,
    /// Of those, how many replayed only in an order other than the
    /// recorded one (a step took effect before an earlier-recorded one).
    pub reordered: u64,
    /// Of those, how many the reordering search could not decide (budget).
    pub undecided: u64,
    /// Events a model covers, over all validated executions.
    pub covered_events: u64,
    /// Events no model covers (skipped), over all validated executions.
    pub uncovered_events: u64,
    /// The uncovered ops and how often each occurred.
    pub uncovered_ops: Vec<(String, u64)>,
    /// The reference models' transitions the validated executions took
    /// (the union over the allowed ones).
    pub transitions: crate::spec::validate::TransitionSet,
    /// Time spent validating, included in the run's wall time.
    pub spent: Duration,
}

impl SpecCheck {
    /// The table cell: `validated/executions`, `bug`, or `off`.
    pub fn cell(&self, executions: u64) -> String {
        match self {
            Self::Validated(v) => format!("{}/{executions}", v.validated),
            Self::KnownBug => "bug run".to_owned(),
            Self::Off => "off".to_owned(),
        }
    }

    fn sentence(&self, executions: u64) -> String {
        match self {
            Self::Validated(v) => {
                let mut s = format!(
                    "spec-validated {}/{executions} executions ({} events checked, {} reordered, {} not covered",
                    v.validated, v.covered_events, v.reordered, v.uncovered_events
                );
                if !v.uncovered_ops.is_empty() {
                    let ops: Vec<&str> = v.uncovered_ops.iter().map(|(op, _)| op.as_str()).collect();
                    let _ = write!(s, ": {}", ops.join(", "));
                }
                s.push(')');
                if v.undecided > 0 {
                    let _ = write!(s, ", {} undecided", v.undecided);
                }
                let _ = write!(s, ", {:.2?} validating", v.spent);
                s
            }
            Self::KnownBug => "spec: known-bug run, executions not validated".to_owned(),
            Self::Off => "spec: off (no protocol events without --features trace)".to_owned(),
        }
    }
}

/// One scenario under one checker: what was explored and what came of it.
#[derive(Clone, Debug)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// `loom`, `shuttle` or `std`.
    pub backend: String,
    /// Model or known bug.
    pub kind: Kind,
    /// The bounds in force, in words.
    pub bound: String,
    /// Executions explored (for a found bug: up to and including the failing one).
    pub executions: u64,
    /// Wall time of the whole exploration.
    pub wall: Duration,
    /// Each declared witness and its count.
    pub witnesses: Vec<WitnessCount>,
    /// The result.
    pub outcome: Outcome,
    /// The command that replays the run.
    pub replay: String,
    /// The failing execution, if one was found.
    pub counterexample: Option<Counterexample>,
    /// For a passing model: the first execution that reached the most witnesses.
    pub witness_trace: Option<Trace>,
    /// Trace validation against the reference models.
    pub spec: SpecCheck,
    /// The reference model's verdict on the counterexample, when the
    /// failure is not already a rejection by the model (an invariant
    /// assertion, a deadlock, a known bug): where the model would have
    /// stopped the execution, if anywhere before the failure.
    pub spec_on_counterexample: Option<String>,
}

impl Report {
    /// `Ok` when the run succeeded; otherwise the full explanation: what
    /// failed, the trace, and the replay command.
    pub fn verdict(&self) -> Result<(), String> {
        if self.outcome.ok() {
            return Ok(());
        }
        let mut why =
            format!("scenario `{}` under {} ({}): {}\n", self.scenario, self.backend, self.bound, self.outcome.label());
        match &self.outcome {
            Outcome::MissingWitnesses(missing) => {
                let _ = writeln!(why, "after {} executions these witnesses were never reached:", self.executions);
                for w in self.witnesses.iter().filter(|w| missing.contains(&w.name)) {
                    let _ = writeln!(why, "  - {}: {}", w.name, w.description);
                }
                why.push_str(
                    "a model that never enters the race window proves nothing: widen the bounds or fix the scenario.\n",
                );
            }
            Outcome::BugMissed => {
                let _ = writeln!(
                    why,
                    "the known bug was not found in {} executions: the checker (or the model) lost its teeth.",
                    self.executions
                );
            }
            _ => {}
        }
        if let Some(cex) = &self.counterexample {
            why.push_str(&cex.explain());
        }
        if let Some(verdict) = &self.spec_on_counterexample {
            let _ = writeln!(why, "reference model (xinterp-check/src/spec) on this trace: {verdict}");
        }
        let _ = write!(why, "replay:\n  {}\n", self.replay);
        Err(why)
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        let reached = self.witnesses.iter().filter(|w| w.count > 0).count();
        format!(
            "{} [{}; {}]: {} in {} executions, {:.2?}, witnesses {}/{}, {}",
            self.scenario,
            self.backend,
            self.bound,
            self.outcome.label(),
            self.executions,
            self.wall,
            reached,
            self.witnesses.len(),
            self.spec.sentence(self.executions)
        ) + &self
            .spec_on_counterexample
            .as_ref()
            .map(|v| format!("; spec on the counterexample: {v}"))
            .unwrap_or_default()
    }

    /// The report as one JSON object (the format `cargo xtask verify` reads;
    /// see `json.rs` for its fields).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report serializes: string keys, finite numbers")
    }

    /// Reads a report written by [`to_json`](Self::to_json). The witness
    /// trace is not part of it (it is written beside, as JSON lines).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Writes the report (and its trace, as JSON lines) under
    /// `$XINTERP_REPORT_DIR/<backend>/` when that variable is set.
    pub fn write(&self) {
        println!("{}", self.summary());
        self.write_files();
    }

    /// Writes the report files only (see [`Report::write`]), printing nothing.
    pub fn write_files(&self) {
        let Some(dir) = std::env::var_os("XINTERP_REPORT_DIR") else {
            return;
        };
        let dir = std::path::Path::new(&dir).join(&self.backend);
        let stem = self.scenario.replace("::", "__");
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(format!("{stem}.json")), self.to_json() + "\n")?;
            let trace = self.counterexample.as_ref().map(|c| &c.trace).or(self.witness_trace.as_ref());
            if let Some(trace) = trace {
                std::fs::write(dir.join(format!("{stem}.trace.jsonl")), render::json_lines(trace))?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            eprintln!("xinterp: could not write the report for {} to {}: {e}", self.scenario, dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, EventKind};

    fn failed(message: &str) -> Report {
        let trace = Trace {
            events: vec![
                Event {
                    seq: 1,
                    thread: "t".into(),
                    kind: xinterp::trace::Custom::new(Some(1), "x.step", "ok", "").into(),
                },
                Event { seq: 2, thread: "t".into(), kind: EventKind::Violation(message.to_owned()) },
            ],
        };
        Report {
            scenario: "report::assert_eq".into(),
            backend: "std".into(),
            kind: Kind::Model,
            bound: "1 iteration".into(),
            executions: 1,
            wall: Duration::ZERO,
            witnesses: Vec::new(),
            outcome: Outcome::Failed,
            replay: "cargo test".into(),
            counterexample: Some(Counterexample {
                scenario: "report::assert_eq".into(),
                backend: "std".into(),
                bound: "1 iteration".into(),
                message: message.to_owned(),
                trace,
                replay: "cargo test".into(),
                execution: 1,
                reproducible: false,
            }),
            witness_trace: None,
            spec: SpecCheck::Off,
            spec_on_counterexample: None,
        }
    }

    /// The failure a user reads (the test's panic, the JSON report, the
    /// trace files) carries `assert_eq!`'s whole message, not its first line.
    #[test]
    fn a_failure_report_shows_the_whole_message() {
        let message = crate::trace::session::assert_eq_message();
        assert!(message.lines().count() >= 3, "{message}");
        let report = failed(&message);
        let why = report.verdict().expect_err("a failure");
        assert!(why.contains("assertion `left == right` failed"), "{why}");
        assert!(why.lines().any(|l| l.trim() == "left: 1"), "{why}");
        assert!(why.lines().any(|l| l.trim() == "right: 2"), "{why}");
        let escaped = serde_json::to_string(&message).unwrap();
        assert!(report.to_json().contains(&escaped));
        let trace = &report.counterexample.as_ref().unwrap().trace;
        assert!(render::json_lines(trace).contains(&escaped));
        assert!(render::chrome(trace).contains(&escaped));
    }

    /// The same through the harness: a scenario failing with
    /// `assert_eq!(1, 2)` (production backend, one iteration).
    #[cfg(not(any(loom, shuttle)))]
    #[test]
    fn a_failing_scenario_reports_left_and_right() {
        let scenario = crate::Scenario::new("report::assert_eq")
            .stress(crate::StressConfig { iterations: 1, ..Default::default() });
        let report = super::super::run::run(&scenario, Kind::Model, || {
            let (left, right) = (std::hint::black_box(1), 2);
            assert_eq!(left, right);
        });
        let why = report.verdict().expect_err("the scenario fails");
        assert!(why.lines().any(|l| l.trim() == "left: 1"), "{why}");
        assert!(why.lines().any(|l| l.trim() == "right: 2"), "{why}");
    }
}
