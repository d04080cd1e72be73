//! The JSON forms of events, counterexamples and reports.
//!
//! The toolkit's types keep what is convenient in Rust (a [`Duration`], an
//! [`EventKind`], an [`Outcome`] carrying its witness list); the structs here
//! are the files' layout, field for field, and convert both ways. A report
//! is one object with the fields `cargo xtask verify` reads (`scenario`,
//! `backend`, `kind`, `bound`, `executions`, `wall_ms`, `outcome`, `ok`,
//! `witnesses`, `violation`, `failing_execution`, `spec`,
//! `spec_on_counterexample`, `replay`) plus what reading it back needs:
//! `unseen_witnesses` (the list an [`Outcome`] carries) and the whole
//! `counterexample` (an isolated child hands its counterexample to the
//! parent this way). A passing model's witness trace is not part of it: it
//! is written beside the report, as JSON lines.
//!
//! An event is written through its accessors (interpreter, op, outcome,
//! state, kind name), the library's event types knowing nothing of serde;
//! it reads back as those columns ([`EventKind::from_columns`]), which
//! render, validate and compare as the original does.
use crate::golden::Counterexample;
use crate::report::{Kind, Outcome, Report, SpecCheck, ValidationSummary, WitnessCount};
use crate::spec::validate::{Transition, TransitionSet};
use crate::trace::render::kind_name;
use crate::trace::{Event, EventKind, Trace};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

/// One event: a line of `*.trace.jsonl`, an item of a counterexample's trace.
#[derive(Serialize, Deserialize)]
struct EventJson<'a> {
    seq: u64,
    thread: Cow<'a, str>,
    interp: Option<u64>,
    op: Cow<'a, str>,
    /// A violation's whole message.
    outcome: String,
    state: String,
    /// The [`EventKind`] variant ([`kind_name`]); not needed to read back.
    kind: Cow<'a, str>,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EventJson {
            seq: self.seq,
            thread: Cow::Borrowed(&self.thread),
            interp: self.interp(),
            op: Cow::Borrowed(self.op()),
            outcome: self.outcome().to_string(),
            state: self.state().to_string(),
            kind: Cow::Borrowed(kind_name(&self.kind)),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let e = EventJson::deserialize(deserializer)?;
        Ok(Event {
            seq: e.seq,
            thread: e.thread.into_owned(),
            kind: EventKind::from_columns(e.interp, &e.op, e.outcome, e.state),
        })
    }
}

impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.events.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Trace { events: Vec::deserialize(deserializer)? })
    }
}

/// A report file.
#[derive(Serialize, Deserialize)]
struct ReportJson {
    scenario: String,
    backend: String,
    kind: Kind,
    bound: String,
    executions: u64,
    wall_ms: f64,
    /// [`Outcome::label`].
    outcome: String,
    ok: bool,
    witnesses: Vec<WitnessCount>,
    /// The counterexample's whole message.
    violation: Option<String>,
    failing_execution: Option<u64>,
    spec: SpecJson,
    spec_on_counterexample: Option<String>,
    replay: String,
    /// The witnesses an unseen-witness outcome names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unseen_witnesses: Vec<String>,
    counterexample: Option<Counterexample>,
}

/// A report's `spec` object, tagged by `mode`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
enum SpecJson {
    Validated {
        validated: u64,
        /// The run's executions, repeated for a reader of this object alone.
        executions: u64,
        sample_every: u64,
        reordered: u64,
        undecided: u64,
        covered_events: u64,
        uncovered_events: u64,
        /// Each uncovered op and how often it occurred.
        uncovered_ops: BTreeMap<String, u64>,
        /// The model transitions the validated executions took
        /// (`guard.acquire/refused:draining`), in the models' order.
        #[serde(default)]
        transitions: Vec<String>,
        validation_ms: f64,
    },
    KnownBug,
    Off,
}

/// Milliseconds with microsecond resolution, as the files carry times.
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

fn from_millis(ms: f64) -> Duration {
    Duration::from_micros((ms * 1000.0).round() as u64)
}

impl From<&Report> for ReportJson {
    fn from(r: &Report) -> Self {
        let unseen = match &r.outcome {
            Outcome::PassedWitnessesUnseen(names) | Outcome::MissingWitnesses(names) => names.clone(),
            _ => Vec::new(),
        };
        ReportJson {
            scenario: r.scenario.clone(),
            backend: r.backend.clone(),
            kind: r.kind,
            bound: r.bound.clone(),
            executions: r.executions,
            wall_ms: millis(r.wall),
            outcome: r.outcome.label().to_owned(),
            ok: r.outcome.ok(),
            witnesses: r.witnesses.clone(),
            violation: r.counterexample.as_ref().map(|c| c.message.clone()),
            failing_execution: r.counterexample.as_ref().map(|c| c.execution),
            spec: match &r.spec {
                SpecCheck::Validated(v) => SpecJson::Validated {
                    validated: v.validated,
                    executions: r.executions,
                    sample_every: v.sample_every,
                    reordered: v.reordered,
                    undecided: v.undecided,
                    covered_events: v.covered_events,
                    uncovered_events: v.uncovered_events,
                    uncovered_ops: v.uncovered_ops.iter().cloned().collect(),
                    transitions: v.transitions.iter().map(|t| t.to_string()).collect(),
                    validation_ms: millis(v.spent),
                },
                SpecCheck::KnownBug => SpecJson::KnownBug,
                SpecCheck::Off => SpecJson::Off,
            },
            spec_on_counterexample: r.spec_on_counterexample.clone(),
            replay: r.replay.clone(),
            unseen_witnesses: unseen,
            counterexample: r.counterexample.clone(),
        }
    }
}

impl TryFrom<ReportJson> for Report {
    type Error = String;

    fn try_from(r: ReportJson) -> Result<Self, String> {
        let outcome = Outcome::from_label(&r.outcome, r.unseen_witnesses)
            .ok_or_else(|| format!("unknown outcome `{}`", r.outcome))?;
        Ok(Report {
            scenario: r.scenario,
            backend: r.backend,
            kind: r.kind,
            bound: r.bound,
            executions: r.executions,
            wall: from_millis(r.wall_ms),
            witnesses: r.witnesses,
            outcome,
            replay: r.replay,
            counterexample: r.counterexample,
            witness_trace: None,
            spec: match r.spec {
                SpecJson::Validated {
                    validated,
                    executions: _,
                    sample_every,
                    reordered,
                    undecided,
                    covered_events,
                    uncovered_events,
                    uncovered_ops,
                    transitions,
                    validation_ms,
                } => SpecCheck::Validated(ValidationSummary {
                    validated,
                    sample_every,
                    reordered,
                    undecided,
                    covered_events,
                    uncovered_events,
                    uncovered_ops: uncovered_ops.into_iter().collect(),
                    transitions: transitions
                        .iter()
                        .map(|t| t.parse::<Transition>())
                        .collect::<Result<TransitionSet, _>>()?,
                    spent: from_millis(validation_ms),
                }),
                SpecJson::KnownBug => SpecCheck::KnownBug,
                SpecJson::Off => SpecCheck::Off,
            },
            spec_on_counterexample: r.spec_on_counterexample,
        })
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ReportJson::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Report::try_from(ReportJson::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, thread: &str, kind: EventKind) -> Event {
        Event { seq, thread: thread.into(), kind }
    }

    /// A found bug with a hostile message and trace, validated executions
    /// and an outcome that carries a list: every field the file holds.
    fn bug_report() -> Report {
        let message = "deadlock; threads = [(0, Blocked)]\n\tsecond line \\ with a \"quote\" and \u{1}";
        let cex = Counterexample {
            scenario: "channels::bug_x".into(),
            backend: "loom".into(),
            bound: "exhaustive, branches<=1000".into(),
            message: message.into(),
            trace: Trace {
                events: vec![
                    event(
                        1,
                        "sender\t1",
                        xinterp::trace::Custom::new(Some(3), "channel.send", "blocked\nuntil taken", "items=1").into(),
                    ),
                    event(2, "(checker)", EventKind::Witness("w; \"2\"".into())),
                    event(3, "(checker)", EventKind::Violation(message.into())),
                ],
            },
            replay: "cargo test\n  or: cargo xtask trace".into(),
            execution: 42,
            reproducible: true,
        };
        Report {
            scenario: cex.scenario.clone(),
            backend: cex.backend.clone(),
            kind: Kind::Bug,
            bound: cex.bound.clone(),
            executions: 42,
            wall: Duration::from_micros(1_234_567),
            witnesses: vec![
                WitnessCount { name: "blocked".into(), description: "a sender \"slept\"".into(), count: 3 },
                WitnessCount { name: "woken".into(), description: "never".into(), count: 0 },
            ],
            outcome: Outcome::MissingWitnesses(vec!["woken".into()]),
            replay: cex.replay.clone(),
            counterexample: Some(cex),
            witness_trace: None,
            spec: SpecCheck::Validated(ValidationSummary {
                validated: 7,
                sample_every: 6,
                reordered: 1,
                undecided: 0,
                covered_events: 120,
                uncovered_events: 5,
                uncovered_ops: vec![("flag.check".into(), 2), ("flag.wait".into(), 3)],
                transitions: [Transition::GuardGranted, Transition::UnboundOthersKept].into_iter().collect(),
                spent: Duration::from_micros(2_500),
            }),
            spec_on_counterexample: Some("allowed up to the failure".into()),
        }
    }

    #[test]
    fn a_report_reads_back_as_written() {
        let report = bug_report();
        let json = report.to_json();
        let back = Report::from_json(&json).expect("the report reads back");
        assert_eq!(back.to_json(), json);
        assert_eq!(back.outcome, report.outcome);
        assert_eq!(back.wall, report.wall);
        assert_eq!(back.spec, report.spec);
        assert_eq!(back.witnesses, report.witnesses);
        assert_eq!(back.spec_on_counterexample, report.spec_on_counterexample);
        let (cex, original) = (back.counterexample.unwrap(), report.counterexample.unwrap());
        assert_eq!(cex.trace, original.trace);
        assert_eq!(cex.message, original.message);
        assert_eq!(cex.golden_text(), original.golden_text());
        assert_eq!((cex.execution, cex.reproducible), (42, true));
        for outcome in
            [Outcome::Passed, Outcome::PassedWitnessesUnseen(vec!["a".into(), "b".into()]), Outcome::BugFound]
        {
            let r = Report { outcome: outcome.clone(), counterexample: None, spec: SpecCheck::Off, ..bug_report() };
            assert_eq!(Report::from_json(&r.to_json()).unwrap().outcome, outcome);
        }
    }

    /// The fields `cargo xtask verify` reads keep their names and types.
    #[test]
    fn a_report_keeps_the_fields_its_readers_use() {
        let v: serde_json::Value = serde_json::from_str(&bug_report().to_json()).unwrap();
        for field in ["scenario", "backend", "bound", "outcome", "replay", "violation", "spec_on_counterexample"] {
            assert!(v[field].is_string(), "{field}: {v}");
        }
        assert_eq!(v["kind"], "bug");
        assert_eq!(v["executions"], 42);
        assert_eq!(v["failing_execution"], 42);
        assert_eq!(v["wall_ms"], 1234.567);
        assert_eq!(v["ok"], false);
        assert_eq!(v["outcome"], "FAIL (witness never reached)");
        assert_eq!(v["witnesses"][0]["name"], "blocked");
        assert_eq!(v["witnesses"][1]["count"], 0);
        assert_eq!(v["spec"]["mode"], "validated");
        assert_eq!(v["spec"]["executions"], 42);
        assert_eq!(v["spec"]["uncovered_ops"]["flag.wait"], 3);
        assert_eq!(v["spec"]["validation_ms"], 2.5);
        let off = Report { spec: SpecCheck::KnownBug, counterexample: None, ..bug_report() };
        let v: serde_json::Value = serde_json::from_str(&off.to_json()).unwrap();
        assert_eq!(v["spec"], serde_json::json!({"mode": "known-bug"}));
        assert!(v["violation"].is_null() && v["failing_execution"].is_null());
    }

    #[test]
    fn a_report_with_an_unknown_outcome_is_rejected() {
        let json = bug_report().to_json().replace("FAIL (witness never reached)", "maybe");
        let err = Report::from_json(&json).expect_err("not an outcome");
        assert!(err.to_string().contains("unknown outcome `maybe`"), "{err}");
    }
}
