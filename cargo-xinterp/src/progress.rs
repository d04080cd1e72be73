//! Progress the way cargo-nextest shows it: a line per finished scenario,
//! and a status line (per backend: scenarios done of total, the running
//! ones, executions so far, elapsed time), redrawn in place on a terminal
//! and printed every [`PLAIN_EVERY`] otherwise (CI logs want lines, not
//! carriage returns). Everything goes to stderr: stdout is the table or the
//! JSON messages.
use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the status line is printed when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(30);

/// How often it is redrawn on a terminal.
pub const TTY_EVERY: Duration = Duration::from_millis(250);

/// What the status line shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The backend's name.
    pub backend: String,
    /// Scenarios finished.
    pub done: usize,
    /// Scenarios in all.
    pub total: usize,
    /// Of the finished, how many failed or had no verdict.
    pub failed: usize,
    /// The scenarios running now, oldest first.
    pub running: Vec<String>,
    /// Executions the finished scenarios explored.
    pub executions: u64,
    /// Since the backend's tests started.
    pub elapsed: Duration,
}

/// The status line, at most `width` characters.
pub fn status_line(s: &Snapshot, width: usize) -> String {
    let mut line = format!(
        "{:>8} [{}] {}/{} scenarios, {} failed, {} executions",
        s.backend,
        clock(s.elapsed),
        s.done,
        s.total,
        s.failed,
        s.executions
    );
    if let Some(first) = s.running.first() {
        line.push_str("; running ");
        line.push_str(first);
        if s.running.len() > 1 {
            line.push_str(&format!(" (+{} more)", s.running.len() - 1));
        }
    }
    truncate(&line, width)
}

/// A finished scenario's line: `    PASS [  1.2s] (3/10) loom models a::b: pass`.
pub fn finished_line(
    backend: &str,
    ok: bool,
    wall: Duration,
    done: usize,
    total: usize,
    label: &str,
    outcome: &str,
) -> String {
    let word = if ok { "PASS" } else { "FAIL" };
    format!("{word:>8} [{:>7}] ({done}/{total}) {backend} {label}: {outcome}", seconds(wall))
}

/// `hh:mm:ss`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn seconds(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn truncate(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The live progress of one backend's run.
pub struct Progress {
    state: Mutex<State>,
    tty: bool,
    width: usize,
}

struct State {
    snapshot: Snapshot,
    started: Instant,
    last_plain: Instant,
    /// When each running scenario started, by label.
    started_at: Vec<(String, Instant)>,
}

impl Progress {
    /// Progress for `total` scenarios under `backend`, drawn on stderr.
    pub fn new(backend: &str, total: usize) -> Self {
        let tty = std::io::stderr().is_terminal();
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(120);
        let now = Instant::now();
        let snapshot = Snapshot { backend: backend.to_owned(), total, ..Snapshot::default() };
        Self {
            state: Mutex::new(State { snapshot, started: now, last_plain: now, started_at: Vec::new() }),
            tty,
            width,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A scenario started.
    pub fn started(&self, label: &str) {
        let mut state = self.lock();
        state.snapshot.running.push(label.to_owned());
        state.started_at.push((label.to_owned(), Instant::now()));
        self.redraw(&mut state);
    }

    /// A scenario finished with `outcome`, having explored `executions`.
    pub fn finished(&self, label: &str, ok: bool, outcome: &str, executions: u64) {
        let mut state = self.lock();
        state.snapshot.running.retain(|r| r != label);
        let wall = match state.started_at.iter().position(|(l, _)| l == label) {
            Some(i) => state.started_at.remove(i).1.elapsed(),
            None => Duration::ZERO,
        };
        let s = &mut state.snapshot;
        s.done += 1;
        s.failed += usize::from(!ok);
        s.executions += executions;
        let line = finished_line(&s.backend, ok, wall, s.done, s.total, label, outcome);
        self.print_line(&line);
        self.redraw(&mut state);
    }

    /// Redraws the status line (on a terminal), or prints it if
    /// [`PLAIN_EVERY`] has passed (otherwise).
    pub fn tick(&self) {
        let mut state = self.lock();
        self.redraw(&mut state);
    }

    /// Clears the status line for good.
    pub fn finish(&self) {
        if self.tty {
            eprint!("\r\x1b[2K");
        }
    }

    fn print_line(&self, line: &str) {
        if self.tty {
            eprintln!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }

    fn redraw(&self, state: &mut State) {
        state.snapshot.elapsed = state.started.elapsed();
        if self.tty {
            eprint!("\r\x1b[2K{}", status_line(&state.snapshot, self.width));
            let _ = std::io::stderr().flush();
        } else if state.last_plain.elapsed() >= PLAIN_EVERY {
            state.last_plain = Instant::now();
            eprintln!("{}", status_line(&state.snapshot, usize::MAX));
        }
    }

    /// How often [`Progress::tick`] is worth calling.
    pub fn tick_every(&self) -> Duration {
        if self.tty {
            TTY_EVERY
        } else {
            Duration::from_secs(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            backend: "loom".into(),
            done: 3,
            total: 10,
            failed: 1,
            running: vec!["models a::b".into(), "models c".into()],
            executions: 12345,
            elapsed: Duration::from_secs(3723),
        }
    }

    #[test]
    fn the_status_line_shows_done_running_executions_and_time() {
        assert_eq!(
            status_line(&snapshot(), 200),
            "    loom [01:02:03] 3/10 scenarios, 1 failed, 12345 executions; running models a::b (+1 more)"
        );
        let idle = Snapshot { running: Vec::new(), ..snapshot() };
        assert_eq!(status_line(&idle, 200), "    loom [01:02:03] 3/10 scenarios, 1 failed, 12345 executions");
    }

    #[test]
    fn the_status_line_fits_the_terminal() {
        let line = status_line(&snapshot(), 30);
        assert_eq!(line.chars().count(), 30);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn a_finished_line_says_pass_or_fail() {
        let line = finished_line("shuttle", false, Duration::from_millis(1500), 2, 4, "models x", "ABORTED (SIGABRT)");
        assert_eq!(line, "    FAIL [ 1.500s] (2/4) shuttle models x: ABORTED (SIGABRT)");
        assert!(finished_line("std", true, Duration::ZERO, 1, 1, "t", "pass").starts_with("    PASS"));
    }
}
