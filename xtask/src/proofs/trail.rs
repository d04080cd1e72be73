//! A pan trail, replayed by `spin -t` and read back as an xinterp trace.
//!
//! The specs print one line per protocol step (see proofs/lifecycle.pml):
//!
//! ```text
//! XI-NAME|<pid>|<thread name>
//! XI|<pid>|<interpreter id, or - for none>|<op>|<outcome>|<state>
//! ```
//!
//! The replay runs with `-p` (every step is printed as `N: proc P (...)`),
//! because that is the only way to tell which process failed an assertion,
//! and with `-T` so printf output is not indented per process. `-p` does not
//! reorder the printf lines; it only adds lines, which are skipped.
use super::catalog::Violation;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use xinterp::trace::EventKind;
use xinterp::trace::VIOLATION_OP;
use xinterp_check::trace::{Event, Trace};

/// spin's marker for the first step of an acceptance cycle.
const CYCLE_MARK: &str = "<<<<<START OF CYCLE>>>>>";

/// Turns `spin -t -p -T` output into a trace. `violation` (from pan) says
/// how the trail ends; `specs` is the directory holding the `.pml` files, to
/// name where a blocked process is stuck.
pub fn to_trace(replay: &str, violation: Violation, specs: &Path) -> Trace {
    let mut reader = Reader::default();
    for line in replay.lines() {
        reader.line(line, violation, specs);
    }
    reader.finish()
}

#[derive(Default)]
struct Reader {
    names: BTreeMap<u32, String>,
    events: Vec<Event>,
    /// A cycle mark waiting for the next event to know its column.
    cycle_pending: bool,
    /// An assertion failure waiting for the `proc N` line of its step.
    assertion_pending: Option<String>,
    assertion_text: Option<String>,
    /// Past `spin: trail ends`: the process list follows.
    ended: bool,
    /// An assertion failed: spin still finishes the atomic step it was in,
    /// but what it prints after the failure is not part of the execution.
    failed: bool,
}

impl Reader {
    fn thread(&self, pid: u32) -> String {
        self.names
            .get(&pid)
            .cloned()
            .unwrap_or_else(|| if pid == 0 { "init".to_owned() } else { format!("proc-{pid}") })
    }

    fn push(&mut self, thread: String, interp: Option<u64>, op: Cow<'static, str>, outcome: String, state: String) {
        let seq = self.events.len() as u64 + 1;
        self.events.push(Event { seq, thread, kind: EventKind::from_columns(interp, &op, outcome, state) });
    }

    fn violation(&mut self, thread: String, message: String) {
        self.push(thread, None, Cow::Borrowed(VIOLATION_OP), message, String::new());
    }

    fn line(&mut self, raw: &str, violation: Violation, specs: &Path) {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("XI-NAME|") {
            if let Some((pid, name)) = rest.split_once('|') {
                if let Ok(pid) = pid.parse() {
                    self.names.insert(pid, name.to_owned());
                }
            }
        } else if let Some(rest) = line.strip_prefix("XI|") {
            if !self.failed {
                self.event(rest);
            }
        } else if line.starts_with(CYCLE_MARK) {
            self.cycle_pending = true;
        } else if line.contains(", Error: assertion violated") {
            self.assertion_pending = Some(String::new());
        } else if let Some(text) = line.strip_prefix("spin: text of failed assertion: ") {
            self.assertion_text = Some(text.to_owned());
        } else if line.starts_with("spin: trail ends after") {
            self.ended = true;
        } else if let Some((pid, location)) = process_line(line) {
            if self.assertion_pending.take().is_some() {
                let text = self.assertion_text.take().unwrap_or_default();
                self.violation(self.thread(pid), format!("assertion violated: {text}"));
                self.failed = true;
            } else if self.ended && violation == Violation::InvalidEndState && !line.ends_with("<valid end state>") {
                let place = where_blocked(&location, specs);
                self.violation(self.thread(pid), format!("blocked for ever {place}"));
            }
        }
    }

    /// `<pid>|<interp>|<op>|<outcome>|<state>`
    fn event(&mut self, rest: &str) {
        let fields: Vec<&str> = rest.splitn(5, '|').collect();
        let [pid, interp, op, outcome, state] = fields[..] else { return };
        let Ok(pid) = pid.parse::<u32>() else { return };
        let thread = self.thread(pid);
        if std::mem::take(&mut self.cycle_pending) {
            self.violation(
                thread.clone(),
                "acceptance cycle starts here: the steps from here on repeat for ever".to_owned(),
            );
        }
        // `-` (or anything not a number) names no interpreter.
        let interp = interp.parse::<u64>().ok();
        self.push(thread, interp, Cow::Owned(op.to_owned()), outcome.to_owned(), render_state(state));
    }

    fn finish(mut self) -> Trace {
        if self.cycle_pending {
            // The cycle is the last step (a stutter): mark it on the last column.
            let thread = self.events.last().map_or_else(|| "init".to_owned(), |e| e.thread.clone());
            self.violation(thread, "acceptance cycle starts here: the last state repeats for ever".to_owned());
        }
        Trace { events: self.events }
    }
}

/// `29: proc  2 (Finalizer:1) lifecycle.pml:119 (state 60) ...` (a tab after the colon) →
/// `(2, "lifecycle.pml:119")`.
fn process_line(line: &str) -> Option<(u32, String)> {
    let (step, rest) = line.split_once(':')?;
    step.trim().parse::<u64>().ok()?;
    let rest = rest.trim_start().strip_prefix("proc")?.trim_start();
    let (pid, rest) = rest.split_once(' ')?;
    let pid = pid.parse().ok()?;
    let after_name = &rest[rest.find(')')? + 1..];
    let location = after_name.split_whitespace().next()?.to_owned();
    Some((pid, location))
}

/// Names where a process is stuck: the label or inline that encloses its
/// line, which stays put when lines move (golden files must not change
/// because a comment was added).
fn where_blocked(location: &str, specs: &Path) -> String {
    let Some((file, line)) = location.rsplit_once(':') else { return format!("at {location}") };
    let Ok(line) = line.parse::<usize>() else { return format!("at {location}") };
    let Ok(text) = std::fs::read_to_string(specs.join(file)) else { return format!("at {location}") };
    let lines: Vec<&str> = text.lines().collect();
    let upto = line.min(lines.len());
    for candidate in lines[..upto].iter().rev() {
        let candidate = candidate.trim();
        if let Some(rest) = candidate.strip_prefix("inline ") {
            let name = rest.split('(').next().unwrap_or(rest).trim();
            return format!("in {name} ({file})");
        }
        if let Some(label) = candidate.strip_suffix(':') {
            if !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return format!("at {label} ({file})");
            }
        }
        if candidate.starts_with("proctype ") || candidate.starts_with("active proctype ") || candidate == "init {" {
            break;
        }
    }
    format!("in {file}")
}

/// The spec's state text as the Rust traces write it: a key ending in `?`
/// is a flag, shown by its name when 1 and left out when 0.
pub fn render_state(state: &str) -> String {
    let words: Vec<String> = state
        .split_whitespace()
        .filter_map(|word| match word.split_once("?=") {
            Some((_, "0")) => None,
            Some((flag, _)) => Some(flag.to_owned()),
            None => Some(word.to_owned()),
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLAY: &str = "\
ltl finalizes: <> (((word&3)==2))
XI-NAME|2|finalizer-1
  2:	proc  2 (Finalizer:1) lifecycle.pml:300 (state 1)	[printf(...)]
XI-NAME|1|holder-1
XI|1|1|guard.acquire|ok|phase=running guards=1 finalizer-waiting?=0 draining?=0
<<<<<START OF CYCLE>>>>>
XI|2|1|finalize.wait|blocked until no guard is held|phase=running guards=1 finalizer-waiting?=1 draining?=0
spin: lifecycle.pml:138, Error: assertion violated
spin: text of failed assertion: assert(!(fin_begun))
 25:	proc  1 (Holder:1) lifecycle.pml:138 (state 9)	[assert(!(fin_begun))]
spin: trail ends after 25 steps
#processes: 2
 25:	proc  1 (Holder:1) lifecycle.pml:145 (state 21)
 25:	proc  0 (:init::1) wrapper.pml:19 (state 4) <valid end state>
";

    #[test]
    fn flags_render_like_the_rust_traces() {
        assert_eq!(
            render_state("phase=running guards=1 finalizer-waiting?=1 draining?=0"),
            "phase=running guards=1 finalizer-waiting"
        );
        assert_eq!(render_state(""), "");
    }

    #[test]
    fn reads_events_cycles_and_assertions() {
        let trace = to_trace(REPLAY, Violation::Assertion, Path::new("/nonexistent"));
        let rows: Vec<(String, &str, String)> =
            trace.events.iter().map(|e| (e.thread.clone(), e.op(), e.outcome().to_string())).collect();
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(rows[0], ("holder-1".to_owned(), "guard.acquire", "ok".to_owned()));
        assert_eq!(rows[1].0, "finalizer-1");
        assert!(rows[1].2.starts_with("acceptance cycle starts here"));
        assert_eq!(rows[2].1, "finalize.wait");
        assert_eq!(
            rows[3],
            ("holder-1".to_owned(), VIOLATION_OP, "assertion violated: assert(!(fin_begun))".to_owned())
        );
        assert_eq!(trace.events[0].state().to_string(), "phase=running guards=1");
        assert_eq!(trace.events[0].interp(), Some(1));
    }

    #[test]
    fn names_blocked_processes() {
        let trace = to_trace(REPLAY, Violation::InvalidEndState, Path::new("/nonexistent"));
        let last = trace.events.last().expect("events");
        assert_eq!(last.thread, "holder-1");
        // The spec is not there to name the enclosing label: the location stands.
        assert_eq!(last.outcome().to_string(), "blocked for ever at lifecycle.pml:145");
    }

    #[test]
    fn parses_process_lines() {
        assert_eq!(
            process_line(" 29:\tproc  2 (Finalizer:1) lifecycle.pml:119 (state 60)"),
            Some((2, "lifecycle.pml:119".to_owned()))
        );
        assert_eq!(process_line("#processes: 2"), None);
    }
}
