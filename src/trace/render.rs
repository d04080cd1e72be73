//! Renderers: one trace, four readings of it.
//!
//! - [`text`]: a column per thread, for terminals and golden files;
//! - [`json_lines`]: one JSON object per event, for tools;
//! - [`mermaid`]: a sequence diagram (GitHub renders it);
//! - [`chrome`]: Chrome trace-event JSON (open in Perfetto or `chrome://tracing`).
use super::{Event, EventKind, Trace};
use std::fmt::Write as _;

/// The formats `cargo xtask trace --format` understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// [`text`]
    Text,
    /// [`json_lines`]
    Json,
    /// [`mermaid`]
    Mermaid,
    /// [`chrome`]
    Chrome,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "mermaid" => Ok(Self::Mermaid),
            "chrome" => Ok(Self::Chrome),
            other => Err(format!("unknown trace format `{other}` (text, json, mermaid, chrome)")),
        }
    }
}

/// Renders `trace` in `format`.
pub fn render(trace: &Trace, format: Format) -> String {
    match format {
        Format::Text => text(trace),
        Format::Json => json_lines(trace),
        Format::Mermaid => mermaid(trace),
        Format::Chrome => chrome(trace),
    }
}

const MIN_COLUMN: usize = 18;
const MAX_COLUMN: usize = 34;

/// The text cell of a step: `I1 guard.acquire -> ok`, `* witness`, or
/// `!! ` and the first line of the failure (the whole message is printed
/// with the report).
fn step(e: &Event) -> String {
    match &e.kind {
        EventKind::Witness(name) => format!("* {name}"),
        EventKind::Violation(message) => format!("!! {}", message.lines().next().unwrap_or("")),
        _ => {
            let interp = e.interp().map(|i| format!("I{i} ")).unwrap_or_default();
            format!("{interp}{} -> {}", e.op(), e.outcome())
        }
    }
}

/// Wraps `s` into lines of at most `width` characters, breaking at spaces.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in s.split(' ') {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// A column per thread; each row is one step, in the column of the thread
/// that took it, with the state it left in the last column. `*` marks a
/// witness, `!!` the failing step.
///
/// ```text
///   # | holder                   | finalizer                | state after
/// ----+--------------------------+--------------------------+------------------------
///   1 | I1 guard.acquire -> ok   |                          | I1 phase=running guards=1
/// ```
pub fn text(trace: &Trace) -> String {
    let threads = trace.threads();
    let width = trace
        .events
        .iter()
        .map(|e| step(e).chars().count())
        .chain(threads.iter().map(|t| t.chars().count()))
        .max()
        .unwrap_or(0)
        .clamp(MIN_COLUMN, MAX_COLUMN);
    let mut out = String::new();
    let _ = write!(out, "{:>4} |", "#");
    for t in &threads {
        let _ = write!(out, " {t:<width$} |");
    }
    out.push_str(" state after\n");
    let _ = write!(out, "{}+", "-".repeat(5));
    for _ in &threads {
        let _ = write!(out, "{}+", "-".repeat(width + 2));
    }
    out.push_str(&"-".repeat(24));
    out.push('\n');
    for e in &trace.events {
        let column = threads.iter().position(|t| *t == e.thread).expect("thread listed");
        let cells = wrap(&step(e), width);
        let state = e.state().to_string();
        let state = match (e.interp(), state.is_empty()) {
            (_, true) => String::new(),
            (Some(i), false) => format!("I{i} {state}"),
            (None, false) => state,
        };
        for (row, cell) in cells.iter().enumerate() {
            if row == 0 {
                let _ = write!(out, "{:>4} |", e.seq);
            } else {
                let _ = write!(out, "{:>4} |", "");
            }
            for c in 0..threads.len() {
                let content = if c == column { cell.as_str() } else { "" };
                let _ = write!(out, " {content:<width$} |");
            }
            if row == 0 && !state.is_empty() {
                let _ = write!(out, " {state}");
            }
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
        }
    }
    out
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Escapes `s` as a JSON string literal (quotes included).
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_string(&mut out, s);
    out
}

/// One JSON object per line: `seq`, `thread`, `interp` (or null), `op`,
/// `outcome`, `state`.
pub fn json_lines(trace: &Trace) -> String {
    let mut out = String::new();
    for e in &trace.events {
        let _ = write!(out, "{{\"seq\":{},\"thread\":", e.seq);
        json_string(&mut out, &e.thread);
        match e.interp() {
            Some(i) => {
                let _ = write!(out, ",\"interp\":{i}");
            }
            None => out.push_str(",\"interp\":null"),
        }
        out.push_str(",\"op\":");
        json_string(&mut out, e.op());
        out.push_str(",\"outcome\":");
        json_string(&mut out, &e.outcome().to_string());
        out.push_str(",\"state\":");
        json_string(&mut out, &e.state().to_string());
        out.push_str("}\n");
    }
    out
}

fn mermaid_id(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn mermaid_text(s: &str) -> String {
    // `;` and `#` end or escape a Mermaid message; keep the text literal.
    s.replace(';', ",").replace('#', "no. ")
}

/// A Mermaid `sequenceDiagram`: threads and interpreters are participants;
/// each step is a message from its thread to its interpreter (a note over the
/// thread when it names none), with the state as the reply.
pub fn mermaid(trace: &Trace) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for t in trace.threads() {
        let _ = writeln!(out, "    participant {} as {}", mermaid_id(t), mermaid_text(t));
    }
    let mut interps: Vec<u64> = trace.events.iter().filter_map(Event::interp).collect();
    interps.sort_unstable();
    interps.dedup();
    for i in &interps {
        let _ = writeln!(out, "    participant I{i} as interpreter {i}");
    }
    for e in &trace.events {
        let t = mermaid_id(&e.thread);
        let (op, outcome, state) = (e.op(), e.outcome().to_string(), e.state().to_string());
        match e.interp() {
            _ if e.is_witness() => {
                let _ = writeln!(out, "    Note over {t}: {}. witness: {}", e.seq, mermaid_text(&outcome));
            }
            _ if e.is_violation() => {
                let _ = writeln!(out, "    Note over {t}: {}. VIOLATION: {}", e.seq, mermaid_text(&outcome));
            }
            Some(i) => {
                let _ = writeln!(out, "    {t}->>I{i}: {}. {}", e.seq, mermaid_text(op));
                let reply = if state.is_empty() { outcome } else { format!("{outcome} [{state}]") };
                let _ = writeln!(out, "    I{i}-->>{t}: {}", mermaid_text(&reply));
            }
            None => {
                let _ =
                    writeln!(out, "    Note over {t}: {}. {} -> {}", e.seq, mermaid_text(op), mermaid_text(&outcome));
            }
        }
    }
    out
}

/// Chrome trace-event JSON: one instant event per step, `pid` the interpreter
/// (0 for none), `tid` the thread, `ts` the step number in microseconds.
pub fn chrome(trace: &Trace) -> String {
    let threads = trace.threads();
    let mut out = String::from("{\"traceEvents\":[\n");
    // Name every (process, thread) pair that appears: a process is an
    // interpreter (0 for steps that name none), a thread is a trace column.
    let mut pairs: Vec<(u64, usize)> = trace
        .events
        .iter()
        .map(|e| (e.interp().unwrap_or(0), threads.iter().position(|t| *t == e.thread).unwrap_or(0)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut pids: Vec<u64> = pairs.iter().map(|(pid, _)| *pid).collect();
    pids.dedup();
    for pid in pids {
        let name = if pid == 0 { "no interpreter".to_owned() } else { format!("interpreter {pid}") };
        let _ = write!(out, "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{pid},\"args\":{{\"name\":");
        json_string(&mut out, &name);
        out.push_str("}},\n");
    }
    for (pid, tid) in pairs {
        let _ = write!(out, "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":");
        json_string(&mut out, threads[tid]);
        out.push_str("}},\n");
    }
    for (k, e) in trace.events.iter().enumerate() {
        let tid = threads.iter().position(|t| *t == e.thread).unwrap_or(0);
        out.push_str("{\"name\":");
        json_string(&mut out, e.op());
        let _ = write!(
            out,
            ",\"ph\":\"i\",\"s\":\"t\",\"ts\":{},\"pid\":{},\"tid\":{tid},\"args\":{{\"outcome\":",
            e.seq,
            e.interp().unwrap_or(0)
        );
        json_string(&mut out, &e.outcome().to_string());
        out.push_str(",\"state\":");
        json_string(&mut out, &e.state().to_string());
        out.push_str("}}");
        out.push_str(if k + 1 == trace.events.len() { "\n" } else { ",\n" });
    }
    out.push_str("]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Trace {
        let ev = |seq, thread: &str, interp, op: &'static str, outcome: &str, state: &str| Event {
            seq,
            thread: thread.into(),
            kind: EventKind::from_columns(interp, op, outcome.into(), state.into()),
        };
        Trace {
            events: vec![
                ev(1, "holder", Some(1), "guard.acquire", "ok", "phase=running guards=1"),
                ev(2, "finalizer", Some(1), "finalize.wait", "blocked", "phase=running guards=1 waiting"),
                ev(3, "holder", None, "witness", "held \"x\"", ""),
            ],
        }
    }

    #[test]
    fn text_puts_each_step_in_its_threads_column() {
        let out = text(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("holder") && lines[0].contains("finalizer"));
        let holder_col = lines[0].find("holder").unwrap();
        let finalizer_col = lines[0].find("finalizer").unwrap();
        assert_eq!(lines[2].find("I1 guard.acquire").unwrap(), holder_col);
        assert_eq!(lines[3].find("I1 finalize.wait").unwrap(), finalizer_col);
        assert!(lines[2].ends_with("I1 phase=running guards=1"));
        assert!(lines[4].contains("* held \"x\""));
    }

    #[test]
    fn json_lines_escape_and_keep_every_field() {
        let out = json_lines(&sample());
        assert_eq!(out.lines().count(), 3);
        assert!(out.starts_with("{\"seq\":1,\"thread\":\"holder\",\"interp\":1,\"op\":\"guard.acquire\""));
        assert!(out.contains("\"interp\":null"));
        assert!(out.contains("held \\\"x\\\""));
    }

    #[test]
    fn mermaid_has_participants_messages_and_notes() {
        let out = mermaid(&sample());
        assert!(out.starts_with("sequenceDiagram\n"));
        assert!(out.contains("participant I1 as interpreter 1"));
        assert!(out.contains("holder->>I1: 1. guard.acquire"));
        assert!(out.contains("I1-->>finalizer: blocked [phase=running guards=1 waiting]"));
        assert!(out.contains("Note over holder: 3. witness"));
    }

    #[test]
    fn chrome_is_one_event_per_step() {
        let out = chrome(&sample());
        assert_eq!(out.matches("\"ph\":\"i\"").count(), 3);
        // Processes: interpreter 1 and "no interpreter"; threads: holder and
        // finalizer under interpreter 1, holder under no interpreter.
        assert_eq!(out.matches("\"name\":\"process_name\"").count(), 2);
        assert_eq!(out.matches("\"name\":\"thread_name\"").count(), 3);
        assert!(out.contains("\"pid\":1,\"tid\":1,\"args\":{\"name\":\"finalizer\"}"));
    }

    #[test]
    fn formats_parse() {
        assert_eq!("mermaid".parse::<Format>(), Ok(Format::Mermaid));
        assert!("svg".parse::<Format>().is_err());
    }
}
