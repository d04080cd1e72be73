//! Runs every test in a process of its own, so that one scenario that takes
//! its process down (a loom deadlock aborts from inside the scheduler; a
//! crash is a signal) never hides the verdicts of the others.
//!
//! With cargo-nextest installed, `cargo nextest run` does that (it gives
//! each test its own process); otherwise the test binaries cargo built are
//! listed (`--list --format terse`) and each test is run as `<binary>
//! <name> --exact`, [`LIBTEST_JOBS`] at a time.
use crate::backend::Backend;
use crate::listing::{self, TestCase};
use crate::package::Project;
use crate::partition::Partition;
use crate::process;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How many tests the libtest fallback runs at once.
pub const LIBTEST_JOBS: usize = 2;

/// How many lines of a failed test's output its verdict quotes.
pub const OUTPUT_TAIL: usize = 20;

/// Which runner gives each test its process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunnerKind {
    /// cargo-nextest when `cargo nextest` runs, libtest otherwise.
    Auto,
    /// `cargo nextest run` (fails if it is not installed).
    Nextest,
    /// The test binaries themselves, one `<binary> <name> --exact` per test.
    Libtest,
}

impl RunnerKind {
    /// `Auto` decided: whether `cargo nextest` is installed.
    pub fn resolve(self, dir: &Path) -> RunnerKind {
        match self {
            RunnerKind::Auto => {
                let mut cmd = process::cargo(dir, "nextest");
                cmd.arg("--version");
                if process::run_silent(cmd) {
                    RunnerKind::Nextest
                } else {
                    RunnerKind::Libtest
                }
            }
            chosen => chosen,
        }
    }
}

/// How a test's process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Passed,
    /// A non-zero exit code (a panic, a failed assertion).
    Failed,
    /// Killed by a signal (`SIGABRT`: aborted, as loom does on a deadlock).
    Crashed(String),
    /// The runner never reported it.
    NotRun,
}

/// What the runner tells its caller, on the caller's thread.
#[derive(Debug)]
pub enum Event {
    /// A test's process started.
    Started(TestCase),
    /// A test's process ended.
    Finished {
        /// The test.
        case: TestCase,
        /// How its process ended.
        status: Status,
        /// The last lines of its output.
        tail: String,
    },
}

/// The listed tests of one backend, ready to run.
pub struct Plan {
    kind: RunnerKind,
    /// The tests, in the order listed.
    pub cases: Vec<TestCase>,
    /// The libtest fallback's binaries (by target); nextest's test ids.
    binaries: HashMap<String, PathBuf>,
    ids: HashMap<String, TestCase>,
    /// Only a share of the listed tests is planned: nextest is told which.
    partitioned: bool,
    /// Set for every test process (the harness's bounds).
    env: Vec<(&'static str, String)>,
}

impl Plan {
    /// This plan with only `partition`'s share of its tests (all of them
    /// for `None`).
    pub fn partitioned(mut self, partition: Option<Partition>) -> Self {
        if let Some(partition) = partition {
            self.cases = partition.select(&self.cases);
            self.ids.retain(|_, case| self.cases.contains(case));
            self.partitioned = true;
        }
        self
    }

    /// This plan, running each test with `env` set (the variables the
    /// harness reads its bounds from).
    pub fn with_env(mut self, env: Vec<(&'static str, String)>) -> Self {
        self.env = env;
        self
    }
}

/// Builds the tests for `backend` and lists them; `Err` with the reason if
/// the build or the listing failed (the details are in `log`).
pub fn plan(
    project: &Project,
    backend: Backend,
    kind: RunnerKind,
    filter: Option<&str>,
    log: &Path,
) -> Result<Plan, String> {
    match kind {
        RunnerKind::Nextest => plan_nextest(project, backend, filter, log),
        _ => plan_libtest(project, backend, filter, log),
    }
}

fn plan_nextest(project: &Project, backend: Backend, filter: Option<&str>, log: &Path) -> Result<Plan, String> {
    let mut cmd = project.cargo(backend, &["nextest", "list"]);
    cmd.args(["--message-format", "json"]);
    cmd.args(filter);
    let listed = process::run_logged(cmd, log, |_| {})?;
    if !listed.success {
        return Err("`cargo nextest list` failed (the build, most likely)".into());
    }
    let json = listed.stdout.iter().find(|l| l.starts_with('{')).ok_or("`cargo nextest list` printed no JSON")?;
    let ids: HashMap<String, TestCase> = listing::nextest_list(json)?.into_iter().collect();
    let mut cases: Vec<TestCase> = ids.values().cloned().collect();
    cases.sort_by(|a, b| (&a.target, &a.name).cmp(&(&b.target, &b.name)));
    Ok(Plan { kind: RunnerKind::Nextest, cases, binaries: HashMap::new(), ids, partitioned: false, env: Vec::new() })
}

fn plan_libtest(project: &Project, backend: Backend, filter: Option<&str>, log: &Path) -> Result<Plan, String> {
    let cmd = project.cargo(backend, &["test", "--no-run", "--message-format", "json-render-diagnostics"]);
    let built = process::run_logged(cmd, log, |_| {})?;
    if !built.success {
        return Err("`cargo test --no-run` failed: the tests did not build".into());
    }
    let binaries: HashMap<String, PathBuf> =
        listing::cargo_test_binaries(&built.stdout.join("\n")).into_iter().collect();
    let mut cases = Vec::new();
    for target in &project.tests {
        let binary = binaries.get(target).ok_or_else(|| format!("cargo built no binary for the test `{target}`"))?;
        let list = |ignored: bool| -> Result<Vec<String>, String> {
            let mut cmd = Command::new(binary);
            cmd.current_dir(project.dir()).args(filter).args(["--list", "--format", "terse"]);
            if ignored {
                cmd.arg("--ignored");
            }
            let listed = process::run_logged(cmd, log, |_| {})?;
            if !listed.success {
                return Err(format!("`{}` could not list its tests", binary.display()));
            }
            Ok(listing::libtest_terse(&listed.stdout.join("\n")))
        };
        let ignored = list(true)?;
        for name in list(false)?.into_iter().filter(|t| !ignored.contains(t)) {
            cases.push(TestCase { target: target.clone(), name });
        }
    }
    Ok(Plan { kind: RunnerKind::Libtest, cases, binaries, ids: HashMap::new(), partitioned: false, env: Vec::new() })
}

/// Runs every test of `plan`, each in its own process with the harness's
/// report dir set to `reports`, telling `on_event` as each starts and ends.
/// Every planned test gets a `Finished` event (`NotRun` if the runner never
/// ran it).
pub fn run(
    project: &Project,
    backend: Backend,
    plan: &Plan,
    filter: Option<&str>,
    reports: &Path,
    logs: &Path,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), String> {
    let mut finished: Vec<TestCase> = Vec::new();
    let mut record = |event: Event| {
        if let Event::Finished { case, .. } = &event {
            finished.push(case.clone());
        }
        on_event(event);
    };
    match plan.kind {
        _ if plan.cases.is_empty() => {}
        RunnerKind::Nextest => run_nextest(project, backend, plan, filter, reports, logs, &mut record)?,
        _ => run_libtest(project, plan, reports, logs, &mut record)?,
    }
    for case in plan.cases.iter().filter(|c| !finished.contains(c)) {
        on_event(Event::Finished {
            case: case.clone(),
            status: Status::NotRun,
            tail: "the runner never reported this test".into(),
        });
    }
    Ok(())
}

/// `cargo nextest run`, its libtest-like JSON events on stdout; its human
/// status lines (the only place a signal is named) on stderr.
fn run_nextest(
    project: &Project,
    backend: Backend,
    plan: &Plan,
    filter: Option<&str>,
    reports: &Path,
    logs: &Path,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), String> {
    let mut cmd = project.cargo(backend, &["nextest", "run"]);
    cmd.args(["--no-fail-fast", "--test-threads", &LIBTEST_JOBS.to_string()]);
    cmd.args(["--message-format", "libtest-json-plus"]).env("NEXTEST_EXPERIMENTAL_LIBTEST_JSON", "1");
    if plan.partitioned {
        // The share, by exact name: the partition is dealt here, the same
        // under either runner, not by nextest's own `--partition`.
        cmd.args(["-E", &nextest_filterset(&plan.cases)]);
    } else {
        cmd.args(filter);
    }
    cmd.envs(plan.env.iter().map(|(k, v)| (k, v)));
    cmd.env("XINTERP_REPORT_DIR", reports).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let log = logs.join(format!("nextest-{}.log", backend.name()));
    let mut log_file = std::fs::File::create(&log).map_err(|e| format!("could not create {}: {e}", log.display()))?;
    let line = process::describe(&cmd);
    let mut child = cmd.spawn().map_err(|e| format!("could not start `{line}`: {e}"))?;
    let stdout = child.stdout.take().ok_or("nextest's stdout was not piped")?;
    let stderr = child.stderr.take().ok_or("nextest's stderr was not piped")?;
    let signals = Signals::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            use std::io::Write as _;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(log_file, "{line}");
                if let Some((id, signal)) = nextest_crash_line(&line) {
                    signals.record(id, signal);
                }
            }
            signals.close();
        });
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(event) = nextest_event(&line, plan, &signals) {
                on_event(event);
            }
        }
    });
    let status = child.wait().map_err(|e| format!("could not wait for `{line}`: {e}"))?;
    // 100: some test failed, which the events already say.
    if !status.success() && status.code() != Some(100) && status.code() != Some(4) {
        return Err(format!("`{line}` failed ({status}); log: {}", log.display()));
    }
    Ok(())
}

/// A nextest filterset matching exactly `cases`.
pub fn nextest_filterset(cases: &[TestCase]) -> String {
    let one = |c: &TestCase| format!("(binary(={}) & test(={}))", c.target, c.name);
    cases.iter().map(one).collect::<Vec<_>>().join(" | ")
}

/// Signals nextest named on stderr, by `<binary id> <name>`.
#[derive(Default)]
struct Signals {
    seen: Mutex<(HashMap<String, String>, bool)>,
    changed: Condvar,
}

impl Signals {
    fn record(&self, id: String, signal: String) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.0.insert(id, signal);
        self.changed.notify_all();
    }

    fn close(&self) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.changed.notify_all();
    }

    /// The signal that ended `id`, if nextest names one. Its status line
    /// and its JSON event come on two pipes in no fixed order: wait a
    /// moment for the line (or for stderr to close).
    fn of(&self, id: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(signal) = seen.0.get(id) {
                return Some(signal.clone());
            }
            let now = Instant::now();
            if seen.1 || now >= deadline {
                return None;
            }
            seen = self.changed.wait_timeout(seen, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// A nextest status line naming a signal (`SIGABRT [ 0.017s] (1/2) crate::bin test`):
/// `("crate::bin test", "SIGABRT")`.
pub fn nextest_crash_line(line: &str) -> Option<(String, String)> {
    let line = line.trim_start();
    let (status, rest) = line.split_once(' ')?;
    if !status.starts_with("SIG") && status != "ABORT" {
        return None;
    }
    let rest = rest.split_once("] ")?.1.trim_start();
    let rest = match rest.strip_prefix('(') {
        Some(counted) => counted.split_once(") ")?.1,
        None => rest,
    };
    Some((rest.trim().to_owned(), status.to_owned()))
}

fn nextest_event(line: &str, plan: &Plan, signals: &Signals) -> Option<Event> {
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    if event["type"] != "test" {
        return None;
    }
    let id = event["name"].as_str()?;
    let case = plan.ids.get(id)?.clone();
    let status = match event["event"].as_str()? {
        "started" => return Some(Event::Started(case)),
        "ok" => Status::Passed,
        "failed" => signals.of(&id.replacen('$', " ", 1)).map_or(Status::Failed, Status::Crashed),
        _ => return None,
    };
    let output = event["stdout"].as_str().unwrap_or("");
    Some(Event::Finished { case, status, tail: process::tail(output, OUTPUT_TAIL) })
}

/// The fallback: each test as `<binary> <name> --exact`, a few at a time.
fn run_libtest(
    project: &Project,
    plan: &Plan,
    reports: &Path,
    logs: &Path,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), String> {
    let queue = Mutex::new(plan.cases.iter().cloned().collect::<VecDeque<_>>());
    let (events, received) = mpsc::channel::<Event>();
    std::thread::scope(|scope| {
        for _ in 0..LIBTEST_JOBS.min(plan.cases.len()) {
            let events = events.clone();
            let queue = &queue;
            scope.spawn(move || loop {
                let Some(case) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else { return };
                let _ = events.send(Event::Started(case.clone()));
                let finished = run_one(project, plan, &case, reports, logs);
                let _ = events.send(finished);
            });
        }
        drop(events);
        for event in received {
            on_event(event);
        }
    });
    Ok(())
}

fn run_one(project: &Project, plan: &Plan, case: &TestCase, reports: &Path, logs: &Path) -> Event {
    let finished = |status, tail| Event::Finished { case: case.clone(), status, tail };
    let Some(binary) = plan.binaries.get(&case.target) else {
        return finished(Status::NotRun, format!("no binary for the test target `{}`", case.target));
    };
    let log = logs.join(&case.target).join(format!("{}.log", case.name.replace("::", "__")));
    let opened = std::fs::create_dir_all(log.parent().unwrap_or(logs)).and_then(|()| std::fs::File::create(&log));
    let (out, err) = match opened.and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(files) => files,
        Err(e) => return finished(Status::NotRun, format!("could not create {}: {e}", log.display())),
    };
    let mut cmd = Command::new(binary);
    cmd.current_dir(project.dir())
        .args([case.name.as_str(), "--exact", "--nocapture"])
        .env("XINTERP_REPORT_DIR", reports)
        .env("CARGO_MANIFEST_DIR", project.dir())
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    match cmd.status() {
        Ok(status) => finished(status_of(status), process::log_tail(&log, OUTPUT_TAIL)),
        Err(e) => finished(Status::NotRun, format!("could not start {}: {e}", binary.display())),
    }
}

/// A test process's exit status as a [`Status`].
pub fn status_of(status: ExitStatus) -> Status {
    if status.success() {
        return Status::Passed;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return Status::Crashed(signal_name(signal));
        }
    }
    Status::Failed
}

/// `SIGABRT` for 6, and so on for the signals a test dies of.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nextest_names_the_signal_on_its_status_line() {
        let line = "     SIGABRT [   0.017s] (1/2) xinterp-abort-fixture::scenarios aborts";
        assert_eq!(
            nextest_crash_line(line),
            Some(("xinterp-abort-fixture::scenarios aborts".into(), "SIGABRT".into()))
        );
        let summary = "     SIGSEGV [   0.017s] fx::scenarios a::b";
        assert_eq!(nextest_crash_line(summary), Some(("fx::scenarios a::b".into(), "SIGSEGV".into())));
        assert_eq!(nextest_crash_line("        PASS [   0.022s] (2/2) fx::scenarios joins"), None);
        assert_eq!(nextest_crash_line("        FAIL [   0.022s] (2/2) fx::scenarios joins"), None);
    }

    #[test]
    fn nextest_is_told_the_share_by_exact_name() {
        let cases = [
            TestCase { target: "models".into(), name: "a::b".into() },
            TestCase { target: "other".into(), name: "c".into() },
        ];
        assert_eq!(nextest_filterset(&cases), "(binary(=models) & test(=a::b)) | (binary(=other) & test(=c))");
    }

    #[cfg(unix)]
    #[test]
    fn an_aborted_process_is_a_crash_not_a_failure() {
        let sh = |script: &str| Command::new("sh").args(["-c", script]).status().expect("sh runs");
        assert_eq!(status_of(sh("exit 0")), Status::Passed);
        assert_eq!(status_of(sh("exit 101")), Status::Failed);
        assert_eq!(status_of(sh("kill -ABRT $$")), Status::Crashed("SIGABRT".into()));
    }
}
