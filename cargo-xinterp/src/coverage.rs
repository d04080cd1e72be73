//! Model coverage: which transitions of the reference models
//! ([`Transition::ALL`]: each rule of the lifecycle, channel and xi models
//! crossed with its outcomes) the scenarios' validated executions took, per
//! backend and scenario.
//!
//! Each run's report carries the transitions of the executions the
//! validator allowed (`spec.transitions`: the accepted replay's, never a
//! rejected search branch's); this module takes their union over the runs
//! of a `verify` (or of a `report merge` of its shards), writes it as
//! `coverage.json` beside `report.json`, and adds a "Model coverage"
//! section to `report.md`: per protocol, the transitions each backend
//! reached out of all, and the transitions no loom run reached.
//!
//! A transition nobody reached is not a failure here: whether it must be
//! reached is the project's call (xinterp's `cargo xtask docs` lists each
//! one with the reason it is not, and a test fails on a gap without one).
use crate::report::RunReport;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use xinterp_check::spec::validate::{Protocol, Transition};

/// The layout of `coverage.json`.
pub const COVERAGE_FORMAT: u64 = 1;

/// Which runs reached each transition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The backends whose runs were read, in run order.
    pub backends: Vec<String>,
    /// Per transition reached: per backend, the scenarios that reached it
    /// (sorted).
    pub reached: BTreeMap<Transition, BTreeMap<String, Vec<String>>>,
}

impl Coverage {
    /// The union of the runs' `spec.transitions`; a name that is not a
    /// model transition (a report of another version) is an error.
    pub fn of(runs: &[RunReport]) -> Result<Self, String> {
        let mut coverage = Self::default();
        for run in runs {
            if !coverage.backends.contains(&run.backend) {
                coverage.backends.push(run.backend.clone());
            }
            for t in transitions_of(&run.raw).map_err(|e| format!("{} under {}: {e}", run.scenario, run.backend))? {
                let scenarios = coverage.reached.entry(t).or_default().entry(run.backend.clone()).or_default();
                if let Err(at) = scenarios.binary_search(&run.scenario) {
                    scenarios.insert(at, run.scenario.clone());
                }
            }
        }
        Ok(coverage)
    }

    /// The scenarios of `backend` that reached `t`.
    pub fn scenarios(&self, t: Transition, backend: &str) -> &[String] {
        self.reached.get(&t).and_then(|b| b.get(backend)).map_or(&[], Vec::as_slice)
    }

    /// Whether some run of `backend` reached `t`.
    pub fn reached_by(&self, t: Transition, backend: &str) -> bool {
        !self.scenarios(t, backend).is_empty()
    }

    /// The transitions of `protocol` no run of `backend` reached.
    pub fn unreached(&self, protocol: Protocol, backend: &str) -> Vec<Transition> {
        Transition::ALL.iter().copied().filter(|t| t.protocol() == protocol && !self.reached_by(*t, backend)).collect()
    }

    /// `coverage.json`: every transition, with the scenarios that reached
    /// it per backend (empty when none did).
    pub fn to_json(&self) -> Value {
        let transitions: Vec<Value> = Transition::ALL
            .iter()
            .map(|t| {
                let reached: serde_json::Map<String, Value> =
                    self.backends.iter().map(|b| (b.clone(), json!(self.scenarios(*t, b)))).collect();
                json!({ "protocol": t.protocol().name(), "transition": t.to_string(), "reached": reached })
            })
            .collect();
        json!({ "format": COVERAGE_FORMAT, "backends": self.backends, "transitions": transitions })
    }

    /// Reads `coverage.json` back; a transition it names that the models
    /// no longer have is an error (the file is stale).
    pub fn from_json(value: &Value) -> Result<Self, String> {
        if value["format"].as_u64() != Some(COVERAGE_FORMAT) {
            return Err(format!("coverage layout {} is not {COVERAGE_FORMAT}", value["format"]));
        }
        let strings = |v: &Value, what: &str| -> Result<Vec<String>, String> {
            v.as_array()
                .ok_or(format!("no `{what}` array"))?
                .iter()
                .map(|s| s.as_str().map(str::to_owned).ok_or(format!("`{what}`: not a string")))
                .collect()
        };
        let mut coverage = Self { backends: strings(&value["backends"], "backends")?, ..Self::default() };
        for item in value["transitions"].as_array().ok_or("no `transitions` array")? {
            let name = item["transition"].as_str().ok_or("a transition without its name")?;
            let t: Transition = name.parse()?;
            for backend in &coverage.backends {
                let scenarios = strings(&item["reached"][backend], backend)?;
                if !scenarios.is_empty() {
                    coverage.reached.entry(t).or_default().insert(backend.clone(), scenarios);
                }
            }
        }
        Ok(coverage)
    }

    /// `report.md`'s "Model coverage" section.
    pub fn markdown(&self) -> String {
        let mut md = String::from(
            "\n## Model coverage\n\nThe reference models' transitions (rule/outcome) the validated executions \
             took, per backend, out of all (`coverage.json` lists the scenarios that reached each).\n\n",
        );
        md.push_str("| protocol | transitions |");
        for b in &self.backends {
            let _ = write!(md, " {b} |");
        }
        md.push_str("\n|---|---:|");
        md.push_str(&"---:|".repeat(self.backends.len()));
        md.push('\n');
        for p in Protocol::ALL {
            let total = Transition::ALL.iter().filter(|t| t.protocol() == p).count();
            let _ = write!(md, "| {p} | {total} |");
            for b in &self.backends {
                let _ = write!(md, " {} |", total - self.unreached(p, b).len());
            }
            md.push('\n');
        }
        if self.backends.iter().any(|b| b == "loom") {
            let gaps: Vec<String> = Protocol::ALL
                .into_iter()
                .flat_map(|p| self.unreached(p, "loom"))
                .map(|t| {
                    let others: Vec<&str> =
                        self.backends.iter().filter(|b| self.reached_by(t, b)).map(String::as_str).collect();
                    let by = if others.is_empty() { "no backend".to_owned() } else { others.join(", ") };
                    format!("- `{t}` ({}; reached by {by})\n", t.protocol())
                })
                .collect();
            if gaps.is_empty() {
                md.push_str("\nEvery transition was reached by a loom scenario.\n");
            } else {
                let _ = write!(md, "\nNot reached by any loom scenario ({}):\n\n", gaps.len());
                md.extend(gaps);
            }
        }
        md
    }
}

/// A run's `spec.transitions` (none for a run that validated nothing).
fn transitions_of(raw: &Value) -> Result<Vec<Transition>, String> {
    match raw.get("spec").and_then(|s| s.get("transitions")) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| format!("spec.transitions: {v} is not a string"))?.parse())
            .collect(),
        Some(other) => Err(format!("spec.transitions is not a list: {other}")),
    }
}

/// Writes `coverage.json` into `dir`; its path.
pub fn write(coverage: &Coverage, dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let path = dir.join("coverage.json");
    let text = serde_json::to_string_pretty(&coverage.to_json()).map_err(|e| format!("coverage.json: {e}"))?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scenario: &str, backend: &str, transitions: &[&str]) -> RunReport {
        let mut run = RunReport::placeholder(scenario, backend, "pass", String::new());
        run.raw["spec"] = json!({ "mode": "validated", "transitions": transitions });
        run
    }

    #[test]
    fn coverage_is_the_union_of_the_runs_per_backend_and_scenario() {
        let runs = [
            run("a", "loom", &["guard.acquire/granted", "channel.unbound/others-kept"]),
            run("b", "loom", &["guard.acquire/granted"]),
            run("a", "shuttle", &["guard.acquire/refused:draining"]),
            run("bug", "loom", &[]),
        ];
        let c = Coverage::of(&runs).unwrap();
        assert_eq!(c.backends, ["loom", "shuttle"]);
        assert_eq!(c.scenarios(Transition::GuardGranted, "loom"), ["a", "b"]);
        assert!(c.reached_by(Transition::GuardRefusedDraining, "shuttle"));
        assert!(!c.reached_by(Transition::GuardRefusedDraining, "loom"));
        let lifecycle = Transition::ALL.iter().filter(|t| t.protocol() == Protocol::Lifecycle).count();
        assert_eq!(c.unreached(Protocol::Lifecycle, "loom").len(), lifecycle - 1);
        assert_eq!(Coverage::from_json(&c.to_json()), Ok(c.clone()));
        let md = c.markdown();
        assert!(md.contains(&format!("| lifecycle | {lifecycle} | 1 | 1 |")), "{md}");
        assert!(md.contains("- `guard.acquire/refused:draining` (lifecycle; reached by shuttle)"), "{md}");
        assert!(md.contains("- `thread.attach/refused` (lifecycle; reached by no backend)"), "{md}");
        assert!(!md.contains("- `guard.acquire/granted`"), "{md}");
    }

    #[test]
    fn an_unknown_transition_is_an_error() {
        let e = Coverage::of(&[run("a", "loom", &["guard.acquire/teleported"])]).unwrap_err();
        assert!(e.contains("a under loom") && e.contains("guard.acquire/teleported"), "{e}");
        let mut stale = Coverage::default().to_json();
        stale["transitions"] = json!([{ "transition": "gil.acquire/stolen", "reached": {} }]);
        assert!(Coverage::from_json(&stale).is_err());
    }
}
