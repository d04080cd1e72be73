//! Counterexamples and their committed golden traces.
use crate::trace::render;
use crate::trace::{Event, EventKind, Trace};
use std::path::PathBuf;

/// A failing execution found by a checker.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The scenario's name.
    pub scenario: String,
    /// `loom`, `shuttle` or `std`.
    pub backend: String,
    /// The bounds in force.
    pub bound: String,
    /// The violation: the first panic message of the failing execution
    /// (an assertion, loom's deadlock or race report, shuttle's deadlock).
    pub message: String,
    /// The failing execution's events, up to the violation.
    pub trace: Trace,
    /// How to replay it.
    pub replay: String,
    /// Which execution failed (1-based).
    pub execution: u64,
    /// Found by a deterministic checker with the scenario's own bounds, so a
    /// golden comparison is meaningful.
    pub reproducible: bool,
}

impl Counterexample {
    /// The violation, the trace as text, and nothing that changes when code
    /// moves (no file names or line numbers): the golden file's content.
    pub fn golden_text(&self) -> String {
        let message = self.message.lines().next().unwrap_or("");
        format!(
            "scenario:  {}\nchecker:   {} ({})\nviolation: {}\n\n{}",
            self.scenario,
            self.backend,
            self.bound,
            message,
            render::text(&self.trace)
        )
    }

    /// The counterexample explained for a failing test's output.
    pub fn explain(&self) -> String {
        format!("violation in execution {}: {}\n\n{}\n", self.execution, self.message, render::text(&self.trace))
    }

    /// `tests/golden/<scenario with :: as __>.<backend>.txt` in the package
    /// being tested.
    pub fn golden_path(&self) -> PathBuf {
        let root = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
        root.join("tests").join("golden").join(format!("{}.{}.txt", self.scenario.replace("::", "__"), self.backend))
    }

    /// Compares the counterexample with its committed golden file, failing
    /// the test on a difference. `XINTERP_BLESS=1` writes the file instead.
    ///
    /// Skipped (with a note) when the counterexample is not reproducible:
    /// found under production stress, or with bounds or a seed overridden
    /// from the environment.
    #[track_caller]
    pub fn assert_golden(&self) {
        if !self.reproducible {
            println!(
                "golden comparison skipped for {} under {}: not a deterministic run with the scenario's own bounds",
                self.scenario, self.backend
            );
            return;
        }
        let path = self.golden_path();
        let actual = self.golden_text();
        if std::env::var_os("XINTERP_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().expect("golden files live in a folder"))
                .expect("create tests/golden");
            std::fs::write(&path, &actual).expect("write the golden trace");
            println!("blessed {}", path.display());
            return;
        }
        let expected = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => panic!(
                "no golden trace at {} ({e}).\nThe counterexample was:\n{actual}\nRun with XINTERP_BLESS=1 to record it.",
                path.display()
            ),
        };
        if expected != actual {
            panic!(
                "the counterexample of {} under {} differs from {}.\n--- expected\n{expected}\n--- actual\n{actual}\nIf the change is intended, re-run with XINTERP_BLESS=1.",
                self.scenario,
                self.backend,
                path.display()
            );
        }
    }
}

/// The first line of a counterexample record (see [`Counterexample::to_record`]).
const RECORD_HEADER: &str = "xinterp-counterexample v1";

impl Counterexample {
    /// The counterexample as a line-oriented record, for a parent process
    /// to read back with [`from_record`](Self::from_record) when the run
    /// happened in an isolated child (see `xinterp_check`'s `isolate` module). Lossless for
    /// every field the golden text and the report use.
    pub(crate) fn to_record(&self) -> String {
        let mut out = format!("{RECORD_HEADER}\n");
        for (key, value) in [
            ("scenario", self.scenario.as_str()),
            ("backend", &self.backend),
            ("bound", &self.bound),
            ("message", &self.message),
            ("replay", &self.replay),
        ] {
            out.push_str(&format!("{key}\t{}\n", escape(value)));
        }
        out.push_str(&format!("execution\t{}\nreproducible\t{}\n", self.execution, self.reproducible));
        for e in &self.trace.events {
            let interp = e.interp().map_or_else(String::new, |i| i.to_string());
            out.push_str(&format!(
                "event\t{}\t{}\t{interp}\t{}\t{}\t{}\n",
                e.seq,
                escape(&e.thread),
                escape(e.op()),
                escape(&e.outcome().to_string()),
                escape(&e.state().to_string())
            ));
        }
        out
    }

    /// Reads a record written by [`to_record`](Self::to_record).
    pub(crate) fn from_record(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        if lines.next() != Some(RECORD_HEADER) {
            return Err("not a counterexample record".to_owned());
        }
        let mut cex = Counterexample {
            scenario: String::new(),
            backend: String::new(),
            bound: String::new(),
            message: String::new(),
            trace: Trace::default(),
            replay: String::new(),
            execution: 0,
            reproducible: false,
        };
        for line in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            let bad = || format!("malformed record line: {line:?}");
            match fields.as_slice() {
                ["scenario", v] => cex.scenario = unescape(v),
                ["backend", v] => cex.backend = unescape(v),
                ["bound", v] => cex.bound = unescape(v),
                ["message", v] => cex.message = unescape(v),
                ["replay", v] => cex.replay = unescape(v),
                ["execution", v] => cex.execution = v.parse().map_err(|_| bad())?,
                ["reproducible", v] => cex.reproducible = *v == "true",
                ["event", seq, thread, interp, op, outcome, state] => cex.trace.events.push(Event {
                    seq: seq.parse().map_err(|_| bad())?,
                    thread: unescape(thread),
                    kind: EventKind::from_columns(
                        if interp.is_empty() { None } else { Some(interp.parse().map_err(|_| bad())?) },
                        &unescape(op),
                        unescape(outcome),
                        unescape(state),
                    ),
                }),
                _ => return Err(bad()),
            }
        }
        Ok(cex)
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let cex = Counterexample {
            scenario: "channels::bug_x".into(),
            backend: "loom".into(),
            bound: "exhaustive, branches<=1000".into(),
            message: "deadlock; threads = [(0, Blocked)]\n\tsecond line \\ with a backslash".into(),
            trace: Trace {
                events: vec![
                    Event {
                        seq: 1,
                        thread: "sender".into(),
                        kind: xinterp::trace::Custom::new(Some(3), "channel.send", "blocked\tuntil taken", "items=1")
                            .into(),
                    },
                    Event {
                        seq: 2,
                        thread: "(checker)".into(),
                        kind: EventKind::Violation("deadlock\n  left: 1\n right: 2".into()),
                    },
                ],
            },
            replay: "cargo test\n  or: cargo xtask trace".into(),
            execution: 42,
            reproducible: true,
        };
        let back = Counterexample::from_record(&cex.to_record()).unwrap();
        assert_eq!(back.to_record(), cex.to_record());
        assert_eq!(back.trace, cex.trace);
        assert_eq!(back.message, cex.message);
        assert_eq!(back.golden_text(), cex.golden_text());
        assert!(Counterexample::from_record("something else").is_err());
    }
}
