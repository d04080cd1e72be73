//! Renderers: one trace, four readings of it.
//!
//! - [`text`]: a column per thread, for terminals and golden files;
//! - [`json_lines`]: one JSON object per event, for tools;
//! - [`mermaid`]: a sequence diagram (GitHub renders it);
//! - [`chrome`]: Chrome trace-event JSON (open in Perfetto or `chrome://tracing`).
use super::{Event, EventKind, Trace};
use serde::Serialize;
use std::fmt::Write as _;

/// The formats `cargo xinterp trace --format` (and `cargo xtask trace`) understand.
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

/// The name of `kind`'s [`EventKind`] variant (`Guard`, `Channel`,
/// `Witness`, `Custom`): tells a tool a typed protocol step from a
/// scenario's own text.
pub fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Guard(_) => "Guard",
        EventKind::Finalize(_) => "Finalize",
        EventKind::Interp(_) => "Interp",
        EventKind::Gil(_) => "Gil",
        EventKind::ThreadState(_) => "ThreadState",
        EventKind::Channel(_) => "Channel",
        EventKind::Xi(_) => "Xi",
        EventKind::Observation(_) => "Observation",
        EventKind::Witness(_) => "Witness",
        EventKind::Violation(_) => "Violation",
        EventKind::Custom(_) => "Custom",
        _ => "Other",
    }
}

/// One JSON object per line: `seq`, `thread`, `interp` (or null), `op`,
/// `outcome`, `state`, and `kind`, the [`EventKind`] variant ([`kind_name`]).
/// A violation's `outcome` is its whole message.
pub fn json_lines(trace: &Trace) -> String {
    let mut out = String::new();
    for e in &trace.events {
        out.push_str(&json_line(e));
        out.push('\n');
    }
    out
}

/// Mermaid text: every character the sequence-diagram grammar or its
/// renderer could read as syntax is written as an entity code (`#35;` for
/// `#`, `#59;` for `;`, which would end the statement, `#37;` for `%`, which
/// starts comments and directives, `#58;` for `:`, `#60;`/`#62;`/`#38;` for
/// `<`, `>`, `&`, which the renderer reads as HTML); a line break is
/// `<br/>`; other control characters are entity codes too.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br/>"),
            '#' | ';' | '%' | ':' | '<' | '>' | '&' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Mermaid `sequenceDiagram`: threads and interpreters are participants;
/// each step is a message from its thread to its interpreter, answered by
/// the outcome and `[state]`, or a note over the thread when it names none.
///
/// Participant ids are made here, never taken from a name: `t0`, `t1`, ...
/// for the threads in order of first appearance, `i0`, `i1`, ... for the
/// interpreters by id (no collision: a thread's id starts with `t`, an
/// interpreter's with `i`; no reserved word such as `end` or `loop` has
/// that shape). The real names are the `as` labels, and every label,
/// message and note goes through the same escaping (entity codes, `<br/>`
/// for line breaks), so a thread named `end` or an outcome spanning lines
/// cannot break the diagram.
pub fn mermaid(trace: &Trace) -> String {
    let threads = trace.threads();
    let thread_id = |name: &str| format!("t{}", threads.iter().position(|t| *t == name).expect("thread listed"));
    let mut out = String::from("sequenceDiagram\n");
    for (k, t) in threads.iter().enumerate() {
        let _ = writeln!(out, "    participant t{k} as {}", mermaid_text(t));
    }
    let mut interps: Vec<u64> = trace.events.iter().filter_map(Event::interp).collect();
    interps.sort_unstable();
    interps.dedup();
    for i in &interps {
        let _ = writeln!(out, "    participant i{i} as {}", mermaid_text(&interp_name(*i)));
    }
    for e in &trace.events {
        let t = thread_id(&e.thread);
        let (op, outcome) = (mermaid_text(e.op()), mermaid_text(&e.outcome().to_string()));
        let state = match e.state().to_string() {
            s if s.is_empty() => s,
            s => format!(" [{}]", mermaid_text(&s)),
        };
        match e.interp() {
            _ if e.is_witness() => {
                let _ = writeln!(out, "    Note over {t}: {}. witness: {outcome}", e.seq);
            }
            _ if e.is_violation() => {
                let _ = writeln!(out, "    Note over {t}: {}. VIOLATION: {outcome}", e.seq);
            }
            Some(i) => {
                let _ = writeln!(out, "    {t}->>i{i}: {}. {op}", e.seq);
                let _ = writeln!(out, "    i{i}-->>{t}: {outcome}{state}");
            }
            None => {
                let _ = writeln!(out, "    Note over {t}: {}. {op} -> {outcome}{state}", e.seq);
            }
        }
    }
    out
}

/// `interpreter 0 (main)`, `interpreter 3`.
fn interp_name(id: u64) -> String {
    if id == 0 {
        "interpreter 0 (main)".to_owned()
    } else {
        format!("interpreter {id}")
    }
}

/// The Chrome process of a step: its interpreter's id plus one, 0 for a
/// step that names no interpreter (so the main interpreter, id 0, has a
/// track of its own).
fn chrome_pid(e: &Event) -> u64 {
    e.interp().map_or(0, |i| i + 1)
}

/// A Chrome metadata event: the name of a process (`tid` absent) or of a
/// thread in a process.
#[derive(Serialize)]
struct ChromeName<'a> {
    name: &'static str,
    ph: &'static str,
    pid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tid: Option<usize>,
    args: NameArgs<'a>,
}

#[derive(Serialize)]
struct NameArgs<'a> {
    name: &'a str,
}

/// A Chrome instant event, thread-scoped (`s` = `t`).
#[derive(Serialize)]
struct ChromeInstant<'a> {
    name: &'a str,
    ph: &'static str,
    s: &'static str,
    ts: u64,
    pid: u64,
    tid: usize,
    args: InstantArgs,
}

#[derive(Serialize)]
struct InstantArgs {
    outcome: String,
    state: String,
    kind: &'static str,
}

/// Chrome trace-event JSON: one instant event per step, `ts` the step number
/// in microseconds. A process is an interpreter (`pid` = its id + 1, named
/// `interpreter 0 (main)`, `interpreter 1`, ...), with `pid` 0 named `no
/// interpreter` for steps that name none; `tid` is the thread's column in
/// the text rendering, named after the thread in every process it appears
/// in. `args` carry the outcome (a violation's whole message), the state
/// and the event's kind ([`kind_name`]). One event per line.
pub fn chrome(trace: &Trace) -> String {
    let threads = trace.threads();
    let tid_of = |e: &Event| threads.iter().position(|t| *t == e.thread).expect("thread listed");
    let mut pairs: Vec<(u64, usize)> = trace.events.iter().map(|e| (chrome_pid(e), tid_of(e))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut pids: Vec<u64> = pairs.iter().map(|(pid, _)| *pid).collect();
    pids.dedup();
    let mut lines: Vec<String> = Vec::new();
    for pid in pids {
        let name = match pid {
            0 => "no interpreter".to_owned(),
            pid => interp_name(pid - 1),
        };
        let meta = ChromeName { name: "process_name", ph: "M", pid, tid: None, args: NameArgs { name: &name } };
        lines.push(json_line(&meta));
    }
    for (pid, tid) in pairs {
        let meta =
            ChromeName { name: "thread_name", ph: "M", pid, tid: Some(tid), args: NameArgs { name: threads[tid] } };
        lines.push(json_line(&meta));
    }
    for e in &trace.events {
        let instant = ChromeInstant {
            name: e.op(),
            ph: "i",
            s: "t",
            ts: e.seq,
            pid: chrome_pid(e),
            tid: tid_of(e),
            args: InstantArgs {
                outcome: e.outcome().to_string(),
                state: e.state().to_string(),
                kind: kind_name(&e.kind),
            },
        };
        lines.push(json_line(&instant));
    }
    let mut out = String::from("{\"traceEvents\":[\n");
    out.push_str(&lines.join(",\n"));
    if !lines.is_empty() {
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}

/// `value` as one line of JSON.
fn json_line(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("string keys only: serializes")
}

/// A trace whose thread names and outcomes are Mermaid syntax (`end`,
/// `loop`, `I1`, `worker-1` beside `worker_1`, `a;b`, `%%{init: {}}%%`,
/// multi-line text): the fixture of the renderer's tests and of `cargo
/// xtask mermaid`, which parses its diagram with Mermaid itself.
#[doc(hidden)]
pub fn hostile_trace() -> Trace {
    let threads = [
        "end",
        "loop",
        "I1",
        "i1",
        "t0",
        "worker-1",
        "worker_1",
        "a;b",
        "x#y",
        "note",
        "participant",
        "alt",
        "k: v",
        "%% comment",
        "%%{init: {}}%%",
        "a as b",
        "<b>bold</b>",
    ];
    let outcomes = [
        "line one\nline two",
        "a;b",
        "#1 #35;",
        "x -->> y",
        "end",
        "k: v",
        "100% %% sure",
        "<br/> & &amp;",
        "assertion `left == right` failed\n  left: 1\n right: 2",
    ];
    let mut events = Vec::new();
    let mut push = |thread: &str, interp: Option<u64>, op: &str, outcome: &str, state: &str| {
        let kind = EventKind::from_columns(interp, op, outcome.to_owned(), state.to_owned());
        events.push(Event { seq: events.len() as u64 + 1, thread: thread.to_owned(), kind });
    };
    for (k, t) in threads.iter().enumerate() {
        push(t, [Some(0), Some(1), None][k % 3], "x.step", outcomes[k % outcomes.len()], "s;t\nu #2");
    }
    push("end", None, "witness", "w; #2", "");
    push("loop", None, "violation", outcomes[8], "");
    Trace { events }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, thread: &str, interp: Option<u64>, op: &str, outcome: &str, state: &str) -> Event {
        Event { seq, thread: thread.into(), kind: EventKind::from_columns(interp, op, outcome.into(), state.into()) }
    }

    fn sample() -> Trace {
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
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            for field in ["seq", "thread", "interp", "op", "outcome", "state", "kind"] {
                assert!(v.get(field).is_some(), "{field} missing in {line}");
            }
        }
        let kinds: Vec<serde_json::Value> =
            out.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].clone()).collect();
        assert_eq!(kinds, ["Custom", "Custom", "Witness"]);
    }

    #[test]
    fn json_and_chrome_carry_the_whole_violation_message() {
        let message = crate::trace::session::assert_eq_message();
        assert!(message.contains("left: 1") && message.contains("right: 2"), "{message}");
        let trace = Trace { events: vec![ev(1, "main", None, "violation", &message, "")] };
        let line: serde_json::Value = serde_json::from_str(json_lines(&trace).trim_end()).unwrap();
        assert_eq!(line["outcome"], message.as_str());
        assert_eq!(line["kind"], "Violation");
        let chrome: serde_json::Value = serde_json::from_str(&chrome(&trace)).unwrap();
        let instant = chrome["traceEvents"].as_array().unwrap().iter().find(|e| e["ph"] == "i").unwrap();
        assert_eq!(instant["args"]["outcome"], message.as_str());
        // The text column shows the first line; the report prints it whole.
        let column = text(&trace);
        assert!(column.contains("!! assertion `left == right`") && column.contains("failed"), "{column}");
        assert!(!column.contains("right: 2"), "{column}");
    }

    #[test]
    fn mermaid_has_participants_messages_and_notes() {
        let out = mermaid(&sample());
        assert!(out.starts_with("sequenceDiagram\n"));
        assert!(out.contains("participant t0 as holder"));
        assert!(out.contains("participant t1 as finalizer"));
        assert!(out.contains("participant i1 as interpreter 1"));
        assert!(out.contains("t0->>i1: 1. guard.acquire"));
        assert!(out.contains("i1-->>t1: blocked [phase=running guards=1 waiting]"));
        assert!(out.contains("Note over t0: 3. witness: held \"x\""));
    }

    /// Structural checks of the Mermaid output for hostile names and
    /// outcomes (`cargo xtask mermaid` also parses it with Mermaid itself).
    #[test]
    fn mermaid_ids_are_unique_and_text_is_escaped() {
        let trace = hostile_trace();
        let out = mermaid(&trace);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "sequenceDiagram");
        // One statement per line: one per participant, one per step, two
        // per step with an interpreter (request and reply).
        let participants: Vec<&str> = lines.iter().filter(|l| l.starts_with("    participant ")).copied().collect();
        let interps = {
            let mut v: Vec<u64> = trace.events.iter().filter_map(Event::interp).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        assert_eq!(participants.len(), trace.threads().len() + interps.len());
        let steps: usize =
            trace.events.iter().map(|e| if e.interp().is_some() && !e.is_violation() { 2 } else { 1 }).sum();
        assert_eq!(lines.len(), 1 + participants.len() + steps, "{out}");
        // Ids: generated, unique, never a reserved word.
        let reserved = [
            "participant",
            "actor",
            "as",
            "loop",
            "alt",
            "else",
            "opt",
            "par",
            "and",
            "rect",
            "critical",
            "break",
            "end",
            "note",
            "over",
            "left",
            "right",
            "of",
            "activate",
            "deactivate",
            "autonumber",
            "title",
            "box",
            "link",
            "links",
            "properties",
            "details",
            "create",
            "destroy",
        ];
        let ids: Vec<&str> = participants.iter().map(|l| l.split(' ').nth(5).unwrap()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "participant ids collide: {ids:?}");
        for id in &ids {
            assert!(!reserved.contains(&id.to_ascii_lowercase().as_str()), "{id} is reserved");
            let (head, digits) = id.split_at(1);
            assert!(matches!(head, "t" | "i") && digits.parse::<u64>().is_ok(), "{id} is not generated");
        }
        assert!(participants.contains(&"    participant t0 as end"));
        assert!(participants.contains(&"    participant t5 as worker-1"));
        assert!(participants.contains(&"    participant t6 as worker_1"));
        assert!(participants.contains(&"    participant i0 as interpreter 0 (main)"));
        // Every statement's text is escaped: no statement separator, comment
        // or HTML outside entity codes, and every message uses known ids.
        for line in &lines[1..] {
            let unescaped = line.replace("<br/>", "");
            let without_entities: String = {
                let mut s = unescaped.clone();
                while let Some(start) = s.find('#') {
                    let end = s[start..].find(';').expect("an entity code ends with ;") + start;
                    assert!(s[start + 1..end].chars().all(|c| c.is_ascii_digit()), "bad entity in {line}");
                    s.replace_range(start..=end, "");
                }
                s
            };
            assert!(!without_entities.contains(';') && !without_entities.contains('%'), "{line}");
            assert!(!without_entities.contains('<') && !without_entities.contains('&'), "{line}");
            let statement = line.trim_start();
            if let Some(rest) = statement.strip_prefix("Note over ") {
                assert!(ids.contains(&rest.split(':').next().unwrap()), "{line}");
            } else if !statement.starts_with("participant ") {
                let (arrow, _) = statement.split_once(':').expect("a message has a text");
                let (from, to) = arrow.split_once("->>").expect("an arrow");
                assert!(ids.contains(&from.trim_end_matches('-')) && ids.contains(&to), "{line}");
            }
        }
        assert!(out.contains("line one<br/>line two"));
        assert!(out.contains("participant t7 as a#59;b"));
        assert!(out.contains("participant t8 as x#35;y"));
        assert!(out.contains("left#58; 1<br/> right#58; 2"), "{out}");
    }

    #[test]
    fn chrome_gives_main_and_no_interpreter_their_own_tracks() {
        let trace = Trace {
            events: vec![
                ev(1, "main", Some(0), "interp.create", "ok", ""),
                ev(2, "main", None, "flag.set", "ok", ""),
                ev(3, "worker", Some(1), "guard.acquire", "ok", "phase=running guards=1"),
                ev(4, "worker", Some(0), "gil.take", "ok", ""),
                ev(5, "worker", None, "witness", "w", ""),
            ],
        };
        let out = chrome(&trace);
        let json: serde_json::Value = serde_json::from_str(&out).expect("Chrome JSON parses");
        let events = json["traceEvents"].as_array().expect("traceEvents");
        let meta = |name: &str, pid: u64, tid: Option<u64>| {
            events
                .iter()
                .filter(|e| {
                    e["ph"] == "M" && e["name"] == name && e["pid"] == pid && tid.is_none_or(|tid| e["tid"] == tid)
                })
                .map(|e| e["args"]["name"].as_str().expect("a name").to_owned())
                .collect::<Vec<_>>()
        };
        let instants: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "i").collect();
        assert_eq!(instants.len(), trace.events.len());
        for (e, instant) in trace.events.iter().zip(&instants) {
            let pid = instant["pid"].as_u64().unwrap();
            let tid = instant["tid"].as_u64().unwrap();
            assert_eq!(pid, e.interp().map_or(0, |i| i + 1));
            let process = meta("process_name", pid, None);
            assert_eq!(process.len(), 1, "one process_name for pid {pid}");
            let expected = match e.interp() {
                None => "no interpreter".to_owned(),
                Some(0) => "interpreter 0 (main)".to_owned(),
                Some(i) => format!("interpreter {i}"),
            };
            assert_eq!(process[0], expected);
            assert_eq!(meta("thread_name", pid, Some(tid)), [e.thread.as_str()], "thread_name of ({pid}, {tid})");
            assert_eq!(instant["ts"], e.seq);
            assert_eq!(instant["name"], e.op());
        }
        // The main interpreter and "no interpreter" are distinct tracks.
        assert_ne!(instants[0]["pid"], instants[1]["pid"]);
        assert_eq!(instants[0]["tid"], instants[1]["tid"]);
        assert_eq!(events.iter().filter(|e| e["name"] == "process_name").count(), 3);
        assert_eq!(events.iter().filter(|e| e["name"] == "thread_name").count(), 5);
        assert_eq!(instants[4]["args"]["kind"], "Witness");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("mermaid".parse::<Format>(), Ok(Format::Mermaid));
        assert!("svg".parse::<Format>().is_err());
    }
}
