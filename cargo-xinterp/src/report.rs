//! The reports the harness writes (one JSON object per scenario run), read
//! back and tabulated.
use crate::table::Columns;
use serde_json::{json, Value};
use std::path::Path;

/// A declared witness and in how many executions it was reached.
#[derive(Clone, Debug)]
pub struct Witness {
    /// The witness's name.
    pub name: String,
    /// What reaching it means.
    pub description: String,
    /// In how many executions it was reached.
    pub count: u64,
}

/// One scenario under one backend, as its report file describes it.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The scenario's name (by convention its test's path).
    pub scenario: String,
    /// `loom`, `shuttle` or `std`.
    pub backend: String,
    /// `model` or `bug`.
    pub kind: String,
    /// The bounds in force, in words.
    pub bound: String,
    /// Executions explored.
    pub executions: u64,
    /// Wall time of the exploration.
    pub wall_ms: f64,
    /// The harness's word for the result (`pass`, `bug found`, `FAIL`, ...).
    pub outcome: String,
    /// Whether the run counts as a success.
    pub ok: bool,
    /// The declared witnesses and their counts.
    pub witnesses: Vec<Witness>,
    /// What was violated (for a placeholder: why there is no verdict).
    pub violation: Option<String>,
    /// The execution that failed, if one did.
    pub failing_execution: Option<u64>,
    /// The command that replays the run.
    pub replay: String,
    /// Trace validation against the reference models: `validated/executions`,
    /// `bug run`, `off`, or `-` for a report written before validation existed.
    pub spec: String,
    /// The object as read, kept verbatim for `report.json`.
    pub raw: Value,
}

/// The outcome of a listed test that left no report: it never went through
/// the harness, so nothing was checked.
pub const NO_REPORT: &str = "NO REPORT";

impl RunReport {
    /// Reads the report at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses one report (the JSON object the harness writes).
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let witnesses = match raw.get("witnesses") {
            Some(Value::Array(items)) => items.iter().map(parse_witness).collect::<Result<_, _>>()?,
            _ => return Err("no `witnesses` array".to_owned()),
        };
        Ok(Self {
            scenario: string(&raw, "scenario")?,
            backend: string(&raw, "backend")?,
            kind: string(&raw, "kind")?,
            bound: string(&raw, "bound")?,
            executions: number(&raw, "executions")?,
            wall_ms: raw.get("wall_ms").and_then(Value::as_f64).ok_or("no number `wall_ms`")?,
            outcome: string(&raw, "outcome")?,
            ok: raw.get("ok").and_then(Value::as_bool).ok_or("no boolean `ok`")?,
            witnesses,
            violation: raw.get("violation").and_then(Value::as_str).map(str::to_owned),
            failing_execution: raw.get("failing_execution").and_then(Value::as_u64),
            replay: string(&raw, "replay")?,
            spec: spec_cell(raw.get("spec")),
            raw,
        })
    }

    /// A failing placeholder for a run that left no usable report: `outcome`
    /// says which (`NO REPORT`, `BAD REPORT`) and `why` explains it.
    pub fn placeholder(scenario: &str, backend: &str, outcome: &str, why: String) -> Self {
        Self {
            scenario: scenario.to_owned(),
            backend: backend.to_owned(),
            kind: "-".to_owned(),
            bound: "-".to_owned(),
            executions: 0,
            wall_ms: 0.0,
            outcome: outcome.to_owned(),
            ok: false,
            witnesses: Vec::new(),
            violation: Some(why.clone()),
            failing_execution: None,
            replay: String::new(),
            spec: "-".to_owned(),
            raw: json!({
                "scenario": scenario,
                "backend": backend,
                "outcome": outcome,
                "ok": false,
                "violation": why,
            }),
        }
    }

    /// Whether this came from the harness (not a placeholder).
    pub fn has_report(&self) -> bool {
        self.kind != "-"
    }

    /// `reached/declared`, or `-` when the scenario declares none.
    fn witnesses_cell(&self) -> String {
        if self.witnesses.is_empty() {
            return "-".to_owned();
        }
        let reached = self.witnesses.iter().filter(|w| w.count > 0).count();
        format!("{reached}/{}", self.witnesses.len())
    }

    /// The table row: scenario, backend, kind, bound, executions, time,
    /// witnesses, spec-validated executions, result.
    fn cells(&self) -> [String; 9] {
        let (executions, time) = if self.has_report() {
            (self.executions.to_string(), human_ms(self.wall_ms))
        } else {
            ("-".to_owned(), "-".to_owned())
        };
        [
            self.scenario.clone(),
            self.backend.clone(),
            self.kind.clone(),
            self.bound.clone(),
            executions,
            time,
            self.witnesses_cell(),
            self.spec.clone(),
            self.outcome.clone(),
        ]
    }
}

/// The table cell for a report's `spec` object.
fn spec_cell(spec: Option<&Value>) -> String {
    let Some(spec) = spec else { return "-".to_owned() };
    match spec.get("mode").and_then(Value::as_str) {
        Some("validated") => {
            let n = |key| spec.get(key).and_then(Value::as_u64).unwrap_or(0);
            let mut cell = format!("{}/{}", n("validated"), n("executions"));
            if n("undecided") > 0 {
                cell.push_str(&format!(" ({} undecided)", n("undecided")));
            }
            cell
        }
        Some("known-bug") => "bug run".to_owned(),
        Some("off") => "off".to_owned(),
        _ => "?".to_owned(),
    }
}

fn string(v: &Value, key: &str) -> Result<String, String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("no string `{key}`"))
}

fn number(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key).and_then(Value::as_u64).ok_or_else(|| format!("no integer `{key}`"))
}

fn parse_witness(v: &Value) -> Result<Witness, String> {
    Ok(Witness { name: string(v, "name")?, description: string(v, "description")?, count: number(v, "count")? })
}

const HEADERS: [&str; 9] =
    ["scenario", "backend", "kind", "bound", "executions", "time", "witnesses", "spec-validated", "result"];

/// Columns that hold numbers, right-aligned in the terminal table.
const NUMERIC: [bool; 9] = [false, false, false, false, true, true, true, true, false];

const COLUMNS: Columns<'static> = Columns { headers: &HEADERS, numeric: &NUMERIC };

/// The runs as an aligned plain-text table.
pub fn text_table(runs: &[RunReport]) -> String {
    COLUMNS.text(&runs.iter().map(RunReport::cells).collect::<Vec<_>>())
}

/// The runs as a markdown table.
pub fn markdown_table(runs: &[RunReport]) -> String {
    COLUMNS.markdown(&runs.iter().map(RunReport::cells).collect::<Vec<_>>())
}

/// The markdown section explaining one failing run: what was violated, the
/// witnesses, how to replay it.
pub fn markdown_failure(run: &RunReport) -> String {
    let mut out = format!("### `{}` under {}: {}\n\n", run.scenario, run.backend, run.outcome);
    if run.has_report() {
        out.push_str(&format!("bound: {}; {} executions", run.bound, run.executions));
        if let Some(n) = run.failing_execution {
            out.push_str(&format!("; failing execution: {n}"));
        }
        out.push_str("\n\n");
    }
    if let Some(violation) = &run.violation {
        // A placeholder's "violation" is why there is no report.
        let label = if run.has_report() { "violation" } else { "problem" };
        out.push_str(&format!("{label}:\n\n```text\n{violation}\n```\n\n"));
    }
    if !run.witnesses.is_empty() {
        out.push_str("witnesses:\n\n");
        for w in &run.witnesses {
            out.push_str(&format!("- `{}` ({}x): {}\n", w.name, w.count, w.description));
        }
        out.push('\n');
    }
    if !run.replay.is_empty() {
        out.push_str(&format!("replay:\n\n```sh\n{}\n```\n\n", run.replay));
    }
    out
}

/// The harness's file stem for a scenario (`a::b` is `a__b`).
pub fn stem(scenario: &str) -> String {
    scenario.replace("::", "__")
}

/// Milliseconds, in the unit that reads best.
pub fn human_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"scenario":"lifecycle::two_finalizers","backend":"loom","kind":"model","bound":"exhaustive, branches<=1000","executions":1234,"wall_ms":12.345,"outcome":"pass","ok":true,"witnesses":[{"name":"a","description":"d","count":3},{"name":"b","description":"e","count":0}],"violation":null,"failing_execution":null,"replay":"cargo test"}"#;

    #[test]
    fn parses_a_harness_report() {
        let run = RunReport::parse(SAMPLE).expect("valid report");
        assert_eq!(run.scenario, "lifecycle::two_finalizers");
        assert_eq!(run.executions, 1234);
        assert!(run.ok);
        assert_eq!(run.violation, None);
        assert_eq!(run.witnesses_cell(), "1/2");
        assert_eq!(run.spec, "-", "a report without validation");
        let validated = SAMPLE.replace(
            "\"replay\"",
            "\"spec\":{\"mode\":\"validated\",\"validated\":1234,\"executions\":1234,\"undecided\":0},\"replay\"",
        );
        assert_eq!(RunReport::parse(&validated).expect("valid report").spec, "1234/1234");
    }

    #[test]
    fn rejects_a_truncated_report() {
        assert!(RunReport::parse(&SAMPLE[..40]).is_err());
        assert!(RunReport::parse(r#"{"scenario":"x"}"#).is_err());
    }

    #[test]
    fn tables_have_a_row_per_run() {
        let runs = vec![
            RunReport::parse(SAMPLE).expect("valid report"),
            RunReport::placeholder("x::y", "std", NO_REPORT, "why".to_owned()),
        ];
        assert_eq!(text_table(&runs).lines().count(), 4);
        assert_eq!(markdown_table(&runs).lines().count(), 4);
        assert!(text_table(&runs).contains(NO_REPORT));
    }
}
