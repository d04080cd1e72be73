//! Running a scenario under the checker the build selected.
#[cfg(loom)]
use super::config::LoomBounds;
#[cfg(all(shuttle, not(loom)))]
use super::config::ShuttleConfig;
#[cfg(not(any(loom, shuttle)))]
use super::config::StressConfig;
use super::golden::Counterexample;
use super::report::{Kind, Outcome, Report, SpecCheck, WitnessCount};
use super::validation::{self, Validation};
use super::{Scenario, Witness};
use crate::trace::session::{self, Session};
use crate::trace::Trace;
use std::any::Any;
use std::panic;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

/// What every execution shares: the session, and the witness tallies.
struct Tally {
    session: Arc<Session>,
    witnesses: Vec<Witness>,
    counts: Mutex<Vec<u64>>,
    executions: AtomicU64,
    /// The first execution that reached the most distinct witnesses.
    best: Mutex<Option<(usize, Trace)>>,
    /// Trace validation against the reference models; `None` for a
    /// known-bug run, or when this build records no protocol events.
    validation: Option<Validation>,
}

impl Tally {
    fn begin(&self) {
        self.executions.fetch_add(1, Ordering::Relaxed);
        self.session.reset();
    }

    /// Validates a finished execution's trace against the reference models,
    /// then scores it against the declared witnesses.
    fn end(&self) {
        self.validate();
        let reached: Vec<bool> =
            self.session.with_events(|events| self.witnesses.iter().map(|w| w.matches(events)).collect());
        let distinct = reached.iter().filter(|r| **r).count();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for (count, hit) in counts.iter_mut().zip(&reached) {
            *count += u64::from(*hit);
        }
        drop(counts);
        let mut best = self.best.lock().unwrap_or_else(PoisonError::into_inner);
        if distinct > 0 && best.as_ref().is_none_or(|(n, _)| distinct > *n) {
            *best = Some((distinct, self.session.trace()));
        }
    }

    /// An event the reference models do not allow fails the execution like
    /// an invariant violation: the panic goes through the hook (first
    /// failure, provisional report) and shows as the trace's last row.
    fn validate(&self) {
        let Some(validation) = &self.validation else { return };
        let execution = self.executions.load(Ordering::Relaxed);
        if let Some(rejection) = validation.check(execution, &self.session) {
            session::run_thread(|| panic!("{rejection}"));
        }
    }

    /// What validation came to, for the report.
    fn spec_check(&self, kind: Kind) -> SpecCheck {
        match (&self.validation, kind) {
            _ if !crate::trace::ENABLED => SpecCheck::Off,
            (Some(validation), _) => SpecCheck::Validated(validation.summary()),
            (None, Kind::Bug) => SpecCheck::KnownBug,
            (None, Kind::Model) => SpecCheck::Off,
        }
    }
}

/// What the panic hook needs to write a report on the spot.
struct Provisional {
    scenario: Scenario,
    kind: Kind,
    plan: Plan,
    tally: Arc<Tally>,
}

thread_local! {
    /// The run in progress on this OS thread (loom and shuttle run every
    /// model thread on it; stress threads panic on their own threads and
    /// unwind normally, so they need no provisional report).
    static ACTIVE: std::cell::RefCell<Option<Arc<Provisional>>> = const { std::cell::RefCell::new(None) };
}

impl Provisional {
    /// Writes the report of a failure the moment it is detected. loom's
    /// deadlock panic leaves its runtime without an active thread, and its
    /// own guards then panic again while unwinding, which aborts the
    /// process: whatever the harness would have written after unwinding is
    /// lost. Written here first, the violation, its trace and the replay
    /// command survive an abort; a run that unwinds normally overwrites it.
    fn write(&self, message: &str) {
        let trace = with_violation_row(self.tally.session.trace(), message);
        let executions = self.tally.executions.load(Ordering::Relaxed);
        let report = Report {
            scenario: self.scenario.name.clone(),
            backend: xinterp::sync::BACKEND.to_owned(),
            kind: self.kind,
            bound: self.plan.bound.clone(),
            executions,
            wall: Duration::ZERO,
            witnesses: Vec::new(),
            outcome: match self.kind {
                Kind::Model => Outcome::Failed,
                Kind::Bug => Outcome::BugFound,
            },
            replay: self.plan.replay.clone(),
            counterexample: Some(Counterexample {
                scenario: self.scenario.name.clone(),
                backend: xinterp::sync::BACKEND.to_owned(),
                bound: self.plan.bound.clone(),
                message: format!("{message}\n(provisional report, written when the violation was detected)"),
                trace,
                replay: self.plan.replay.clone(),
                execution: executions,
                // loom's order and shuttle's seed are deterministic: an
                // aborted run's counterexample is as reproducible as any.
                reproducible: xinterp::sync::BACKEND != "std" && self.plan.default_bounds,
            }),
            witness_trace: None,
            spec: self.tally.spec_check(self.kind),
            spec_on_counterexample: None,
        };
        report.write_files();
    }
}

/// Installs (once per process) the panic hook that records the first failure
/// of an execution in the panicking thread's session, writes a provisional
/// report for it, and keeps expected panics of known-bug runs quiet.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = session::with_current(|s| {
                let message = session::panic_message(info.payload());
                if s.failure().is_none() {
                    if let Some(active) = ACTIVE.with(|a| a.borrow().clone()) {
                        active.write(&message);
                    }
                }
                s.fail(message);
                s.quiet()
            });
            if quiet != Some(true) {
                previous(info);
            }
        }));
    });
}

/// Runs `scenario` under the build's checker and reports what came of it.
pub(super) fn run<F>(scenario: &Scenario, kind: Kind, f: F) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    install_hook();
    let session = Session::new();
    session.set_quiet(kind == Kind::Bug);
    let tally = Arc::new(Tally {
        session: Arc::clone(&session),
        witnesses: scenario.witnesses.clone(),
        counts: Mutex::new(vec![0; scenario.witnesses.len()]),
        executions: AtomicU64::new(0),
        best: Mutex::new(None),
        validation: (kind == Kind::Model && crate::trace::ENABLED).then(|| Validation::new(validation::sample_every())),
    });
    let body = {
        let tally = Arc::clone(&tally);
        move || {
            tally.begin();
            session::run_thread(&f);
            tally.end();
        }
    };

    let plan = plan(scenario);
    let provisional =
        Arc::new(Provisional { scenario: scenario.clone(), kind, plan: plan.clone(), tally: Arc::clone(&tally) });
    let previous = ACTIVE.with(|a| a.replace(Some(provisional)));
    let _entered = session::enter(Some(Arc::clone(&session)));
    let started = Instant::now();
    let result = explore(scenario, body);
    let wall = started.elapsed();
    ACTIVE.with(|a| *a.borrow_mut() = previous);

    let executions = tally.executions.load(Ordering::Relaxed);
    let counts = tally.counts.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let witnesses: Vec<WitnessCount> = scenario
        .witnesses
        .iter()
        .zip(counts)
        .map(|(w, count)| WitnessCount { name: w.name.to_owned(), description: w.description.to_owned(), count })
        .collect();

    let failure = result.err().map(|payload| session.failure().unwrap_or_else(|| session::panic_message(&*payload)));
    let deterministic = xinterp::sync::BACKEND != "std";
    let counterexample = failure.as_ref().map(|message| Counterexample {
        scenario: scenario.name.clone(),
        backend: xinterp::sync::BACKEND.to_owned(),
        bound: plan.bound.clone(),
        message: message.clone(),
        trace: with_violation_row(session.trace(), message),
        replay: plan.replay.clone(),
        execution: executions,
        reproducible: deterministic && plan.default_bounds,
    });

    let outcome = match (kind, &failure) {
        (Kind::Model, Some(_)) => Outcome::Failed,
        (Kind::Model, None) => {
            let missing: Vec<String> = witnesses.iter().filter(|w| w.count == 0).map(|w| w.name.clone()).collect();
            if missing.is_empty() {
                Outcome::Passed
            } else if !deterministic {
                Outcome::PassedWitnessesUnseen(missing)
            } else {
                Outcome::MissingWitnesses(missing)
            }
        }
        (Kind::Bug, Some(_)) => Outcome::BugFound,
        (Kind::Bug, None) if deterministic => Outcome::BugMissed,
        (Kind::Bug, None) => Outcome::BugNotSeenUnderStress,
    };
    let witness_trace = match kind {
        Kind::Model if failure.is_none() => {
            tally.best.lock().unwrap_or_else(PoisonError::into_inner).take().map(|(_, t)| t)
        }
        _ => None,
    };
    let spec = tally.spec_check(kind);
    let spec_on_counterexample = counterexample
        .as_ref()
        .filter(|c| crate::trace::ENABLED && !validation::is_rejection(&c.message))
        .map(|c| validation::verdict_on_counterexample(&c.trace.events));

    Report {
        scenario: scenario.name.clone(),
        backend: xinterp::sync::BACKEND.to_owned(),
        kind,
        bound: plan.bound,
        executions,
        wall,
        witnesses,
        outcome,
        replay: plan.replay,
        counterexample,
        witness_trace,
        spec,
        spec_on_counterexample,
    }
}

/// Ends a failing execution's trace with the violation. A panic in a model
/// thread already added its row (in that thread's column); a failure the
/// checker itself detected (a deadlock, a leak) gets one in a `(checker)`
/// column.
fn with_violation_row(mut trace: Trace, message: &str) -> Trace {
    if !trace.events.iter().any(crate::trace::Event::is_violation) {
        trace.events.push(crate::trace::Event {
            seq: trace.events.len() as u64 + 1,
            thread: "(checker)".to_owned(),
            kind: crate::trace::EventKind::Violation(message.to_owned()),
        });
    }
    trace
}

/// The bounds a run will use, in words, and how to replay it.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    pub(super) bound: String,
    pub(super) replay: String,
    /// No environment override changed the scenario's declared bounds.
    pub(super) default_bounds: bool,
}

/// The command that re-runs this test binary on this scenario.
fn test_command(name: &str) -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|stem| stem.rsplit_once('-').map_or(stem.clone(), |(b, _)| b.to_owned()))
        .unwrap_or_else(|| "models".to_owned());
    format!("cargo test --test {binary} -- {name} --exact --nocapture")
}

type Panicked = Result<(), Box<dyn Any + Send>>;

#[cfg(loom)]
pub(super) fn plan(scenario: &Scenario) -> Plan {
    let bounds: LoomBounds = scenario.loom.resolved();
    let preemptions = bounds.preemption_bound.map_or_else(|| "none".to_owned(), |n| n.to_string());
    Plan {
        bound: bounds.to_string(),
        replay: format!(
            "RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom CARGO_PROFILE_TEST_OPT_LEVEL=1 XINTERP_LOOM_PREEMPTIONS={preemptions} XINTERP_LOOM_MAX_BRANCHES={} {}\n  (loom explores in a fixed order: the same bounds reach the same first failing execution)\n  or: cargo xinterp trace {} --backend loom",
            bounds.max_branches,
            test_command(&scenario.name),
            scenario.name
        ),
        default_bounds: bounds == scenario.loom,
    }
}

#[cfg(loom)]
fn explore<F>(scenario: &Scenario, body: F) -> Panicked
where
    F: Fn() + Send + Sync + 'static,
{
    let bounds: LoomBounds = scenario.loom.resolved();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = bounds.preemption_bound;
    builder.max_branches = bounds.max_branches;
    // loom runs the root thread on a 32 KiB stack it does not let us size
    // (the threads a scenario spawns through the facade get 1 MiB). Running
    // the scenario on a spawned thread instead would cost one of loom's five
    // threads, which scenarios with four workers need; a debug build that
    // overflows the root's stack is reported as such, with its fix
    // (`session::STACK_OVERFLOW`).
    panic::catch_unwind(panic::AssertUnwindSafe(|| builder.check(body)))
}

#[cfg(all(shuttle, not(loom)))]
pub(super) fn plan(scenario: &Scenario) -> Plan {
    use super::config::ShuttleScheduler;
    let config: ShuttleConfig = scenario.shuttle.resolved();
    let (scheduler, depth) = match config.scheduler {
        ShuttleScheduler::Pct { depth } => ("pct", depth),
        ShuttleScheduler::Random => ("random", 0),
        ShuttleScheduler::Dfs => ("dfs", 0),
    };
    // A seed range replays whole: the seeds before the failing one pass
    // again, deterministically, and the same execution fails.
    let seeds = match config.seeds {
        Some(range) => format!("XINTERP_SEEDS={range}"),
        None => format!("XINTERP_SEED={}", config.seed),
    };
    Plan {
        bound: config.to_string(),
        replay: format!(
            "RUSTFLAGS=\"--cfg shuttle\" CARGO_TARGET_DIR=target/shuttle XINTERP_SHUTTLE_SCHEDULER={scheduler} XINTERP_SHUTTLE_DEPTH={depth} XINTERP_SHUTTLE_ITERATIONS={} {seeds} {}\n  (the seeded scheduler is deterministic: the same seed reaches the same failing schedule;\n   a failure inside an execution also has its schedule printed above by shuttle, for shuttle::replay)\n  or: cargo xinterp trace {} --backend shuttle",
            config.iterations,
            test_command(&scenario.name),
            scenario.name
        ),
        default_bounds: config == scenario.shuttle,
    }
}

#[cfg(all(shuttle, not(loom)))]
fn explore<F>(scenario: &Scenario, body: F) -> Panicked
where
    F: Fn() + Send + Sync + 'static,
{
    use super::config::ShuttleScheduler;
    use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler};
    let config: ShuttleConfig = scenario.shuttle.resolved();
    let mut shuttle_config = shuttle::Config::new();
    shuttle_config.failure_persistence = shuttle::FailurePersistence::Print;
    // The root task's stack, as the facade gives spawned ones: shuttle's
    // 60 KiB default overflows under a debug build's frames.
    shuttle_config.stack_size = 1 << 20;
    let iterations = config.iterations;
    let body = Arc::new(body);
    panic::catch_unwind(panic::AssertUnwindSafe(move || {
        // One run per seed; the first failure unwinds out of the loop.
        for seed in config.seed_list().iter() {
            let body = Arc::clone(&body);
            let body = move || body();
            let shuttle_config = shuttle_config.clone();
            match config.scheduler {
                ShuttleScheduler::Pct { depth } => {
                    shuttle::Runner::new(PctScheduler::new_from_seed(seed, depth, iterations), shuttle_config).run(body)
                }
                ShuttleScheduler::Random => {
                    shuttle::Runner::new(RandomScheduler::new_from_seed(seed, iterations), shuttle_config).run(body)
                }
                ShuttleScheduler::Dfs => {
                    shuttle::Runner::new(DfsScheduler::new(Some(iterations), false), shuttle_config).run(body)
                }
            };
        }
    }))
}

#[cfg(not(any(loom, shuttle)))]
pub(super) fn plan(scenario: &Scenario) -> Plan {
    let config: StressConfig = scenario.stress.resolved();
    Plan {
        bound: config.to_string(),
        replay: format!(
            "CARGO_TARGET_DIR=target/stress {} (add `--features trace` after `cargo test` to record protocol steps)\n  (production threads are not deterministic: a stress failure may need several runs)",
            test_command(&scenario.name)
        ),
        default_bounds: config == scenario.stress,
    }
}

#[cfg(not(any(loom, shuttle)))]
fn explore<F>(scenario: &Scenario, body: F) -> Panicked
where
    F: Fn() + Send + Sync + 'static,
{
    let config: StressConfig = scenario.stress.resolved();
    let stall = std::time::Duration::from_secs(config.stall_secs);
    let body = Arc::new(body);
    let session = session::current();
    for iteration in 1..=config.iterations {
        let body = Arc::clone(&body);
        let session = session.clone();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        // Each iteration's root runs on a fresh thread named `main`, as the
        // model checkers name it, so traces read the same on every backend.
        let root = std::thread::Builder::new()
            .name("main".to_owned())
            .spawn(move || {
                // Dropped when the body returns or unwinds: either way the
                // watchdog below stops waiting.
                let _signal = Signal(done);
                let _entered = session::enter(session);
                body();
            })
            .expect("failed to spawn the scenario's root thread");
        // The watchdog. OS threads that deadlock for real (a known bug such
        // as a lost wake-up, or a regression) would hang the test run for
        // ever; an iteration that makes no progress for `stall` is reported
        // as a deadlock instead, and its blocked threads are left behind
        // (the test process exits without them).
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(stall) {
            return Err(Box::new(format!(
                "deadlock: stress iteration {iteration} did not finish within {} s (the stress watchdog; its threads are left blocked)",
                stall.as_secs()
            )));
        }
        root.join()?;
    }
    Ok(())
}

/// Tells the stress watchdog that an iteration's root has finished.
#[cfg(not(any(loom, shuttle)))]
struct Signal(std::sync::mpsc::Sender<()>);

#[cfg(not(any(loom, shuttle)))]
impl Drop for Signal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
