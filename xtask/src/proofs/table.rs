//! The proof results as a table (terminal, markdown) and as JSON, which is
//! what `verify` reads back when `ci` has just run the proofs.
use cargo_xinterp::table::Columns;
use serde_json::{json, Value};

/// One proof's result, as tables and reports show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub proof: String,
    pub spec: String,
    pub kind: String,
    /// `holds`, `fails as expected`, or `FAILED: why`.
    pub result: String,
    pub ok: bool,
    pub states: u64,
    pub depth: u64,
    pub memory_mb: f64,
    /// pan's search time.
    pub pan_seconds: f64,
    /// spin -a + cc + pan + trail replay.
    pub wall_seconds: f64,
}

const HEADERS: [&str; 8] = ["proof", "kind", "result", "states", "depth", "memory", "search", "wall"];
const NUMERIC: [bool; 8] = [false, false, false, true, true, true, true, true];

impl Row {
    fn cells(&self) -> [String; 8] {
        [
            self.proof.clone(),
            self.kind.clone(),
            self.result.clone(),
            self.states.to_string(),
            self.depth.to_string(),
            format!("{:.1} MB", self.memory_mb),
            format!("{:.2} s", self.pan_seconds),
            format!("{:.1} s", self.wall_seconds),
        ]
    }

    pub fn to_json(&self) -> Value {
        json!({
            "proof": self.proof,
            "spec": self.spec,
            "kind": self.kind,
            "result": self.result,
            "ok": self.ok,
            "states": self.states,
            "depth": self.depth,
            "memory_mb": self.memory_mb,
            "pan_s": self.pan_seconds,
            "wall_s": self.wall_seconds,
        })
    }

    pub fn from_json(v: &Value) -> Result<Self, String> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or(format!("no string `{k}`"));
        let int = |k: &str| v.get(k).and_then(Value::as_u64).ok_or(format!("no integer `{k}`"));
        let float = |k: &str| v.get(k).and_then(Value::as_f64).ok_or(format!("no number `{k}`"));
        Ok(Self {
            proof: text("proof")?,
            spec: text("spec")?,
            kind: text("kind")?,
            result: text("result")?,
            ok: v.get("ok").and_then(Value::as_bool).ok_or("no boolean `ok`")?,
            states: int("states")?,
            depth: int("depth")?,
            memory_mb: float("memory_mb")?,
            pan_seconds: float("pan_s")?,
            wall_seconds: float("wall_s")?,
        })
    }
}

const COLUMNS: Columns<'static> = Columns { headers: &HEADERS, numeric: &NUMERIC };

/// An aligned plain-text table.
pub fn text(rows: &[Row]) -> String {
    COLUMNS.text(&rows.iter().map(Row::cells).collect::<Vec<_>>())
}

/// A markdown table.
pub fn markdown(rows: &[Row]) -> String {
    COLUMNS.markdown(&rows.iter().map(Row::cells).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            proof: "lifecycle_x.safety".into(),
            spec: "lifecycle_x.pml".into(),
            kind: "safety".into(),
            result: "holds".into(),
            ok: true,
            states: 19406,
            depth: 103,
            memory_mb: 9.7,
            pan_seconds: 0.01,
            wall_seconds: 0.7,
        }
    }

    #[test]
    fn json_round_trips() {
        let r = row();
        assert_eq!(Row::from_json(&r.to_json()), Ok(r));
    }

    #[test]
    fn tables_have_a_line_per_row() {
        assert_eq!(text(&[row(), row()]).lines().count(), 4);
        assert!(markdown(&[row()]).contains("| lifecycle_x.safety | safety | holds | 19406 |"));
    }
}
