//! `cargo xtask mutants`: each invariant's checks must be able to fail.
//!
//! A mutation re-introduces a known bug into the real protocol code. For
//! each one, the scenarios named beside it must fail under loom and under
//! shuttle; a mutation that survives means those scenarios (or their
//! invariants) have lost their teeth. The mutations are applied to a copy of
//! the crate under `target/xinterp/mutants/`, never to the working tree.
//!
//! Besides these hand-written mutations, `--orderings` runs the generated
//! ones: every atomic ordering of the library weakened one step
//! (`crate::orderings`), each of which a loom scenario must kill. The plain
//! run checks only that the generated list matches the recorded outcomes
//! (cheap); the sweep itself rebuilds the crate once per mutant.
use crate::orderings;
use cargo_xinterp::backend::Backend;
use cargo_xinterp::process;
use cargo_xinterp::report::{stem, RunReport};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One bug put back into the real code.
struct Mutation {
    id: &'static str,
    what: &'static str,
    file: &'static str,
    original: &'static str,
    mutated: &'static str,
    /// Every one of these must fail under each model checker.
    killers: &'static [&'static str],
}

const MUTATIONS: &[Mutation] = &[
    Mutation {
        id: "finalize-ignores-guards",
        what: "begin_finalizing enters Finalizing without waiting for the guard count to reach zero",
        file: "src/interp/lifecycle.rs",
        original: "            if word.guards() == 0 {\n                // Acquire on success",
        mutated: "            if true {\n                // Acquire on success",
        killers: &[
            "lifecycle::guards::guard_vs_finalizer",
            "lifecycle::guards::guards_vs_finalizer",
            "lifecycle::guards::two_finalizers",
        ],
    },
    Mutation {
        id: "acquire-ignores-phase",
        what: "acquire admits a guard whatever the phase (the Py_IsFinalizing-then-attach bug without the check)",
        file: "src/interp/lifecycle.rs",
        original: "            GuardPolicy::CPython => PHASE_MASK,",
        mutated: "            GuardPolicy::CPython => 0,",
        killers: &["lifecycle::guards::guard_vs_finalizer", "lifecycle::guards::guards_vs_finalizer"],
    },
    Mutation {
        id: "last-release-does-not-wake",
        what: "the release that brings the count to zero does not wake the waiting finalizer (lost wake-up)",
        file: "src/interp/lifecycle.rs",
        original: "            self.zero_guards.notify_all();",
        mutated: "            // (mutant: no wake-up)",
        killers: &[
            "lifecycle::guards::guard_vs_finalizer",
            "lifecycle::guards::guards_vs_finalizer",
            "lifecycle::guards::two_finalizers",
        ],
    },
    Mutation {
        id: "drain-admits",
        what: "the drain policy admits guards while the finalizer drains (it behaves like CPython's)",
        file: "src/interp/lifecycle.rs",
        original: "            GuardPolicy::Drain => PHASE_MASK | DRAINING,",
        mutated: "            GuardPolicy::Drain => PHASE_MASK,",
        killers: &["lifecycle::policies::drain_policy_never_overtaken"],
    },
    Mutation {
        id: "release-does-not-restore",
        what: "a thread-state release does not re-attach the previous thread state (finish skips the restore)",
        file: "src/thread_state/token.rs",
        original: "    let Some(previous) = entry.previous.filter(|p| *p != entry.slot) else {",
        mutated: "    let Some(previous) = entry.previous.filter(|_| false) else {",
        killers: &[
            "lifecycle::thread_states::ensure_nesting_across_two_interpreters",
            "lifecycle::thread_states::restore_previous_under_drain",
            "lifecycle::gil::own_gils_run_at_once_shared_gils_exclude",
        ],
    },
    Mutation {
        id: "threadstate-kept-at-zero",
        what: "a release keeps the owned thread state when its count reaches zero (finish skips the deletion; the recording reads the record, which still holds it)",
        file: "src/thread_state/token.rs",
        original: "    if delete {\n        with_thread(|t| {\n            t.slots[entry.slot] = None;",
        mutated: "    if false && delete {\n        with_thread(|t| {\n            t.slots[entry.slot] = None;",
        killers: &["lifecycle::thread_states::ensure_nesting_across_two_interpreters"],
    },
    Mutation {
        id: "ensure-from-view-drops-guard",
        what: "ensure_from_view releases its guard at once instead of holding it until the token's release",
        file: "src/thread_state/ensure.rs",
        original: "    Ok(ensure_arc(core, Some(guard)))",
        mutated: "    drop(guard);\n    Ok(ensure_arc(core, None))",
        killers: &["lifecycle::guards::ensure_from_view_vs_finalizer"],
    },
    Mutation {
        id: "thread-attach-without-guard",
        what: "InterpreterThread::attach attaches without taking a guard (a daemon can attach after teardown)",
        file: "src/interp/threads.rs",
        original: "        let guard = match Guard::acquire(&self.core, Location::caller()) {",
        mutated: "        if true {\n            let token = crate::thread_state::ensure_finalizer(&self.core);\n            return Ok(f(token.attached()));\n        }\n        let guard = match Guard::acquire(&self.core, Location::caller()) {",
        killers: &["lifecycle::finalization::daemon_and_non_daemon_threads"],
    },
    Mutation {
        id: "shared-gil-not-shared",
        what: "a shared-GIL interpreter gets a GIL of its own in Runtime::create_with",
        file: "src/runtime.rs",
        original: "            GilMode::Shared => Arc::clone(&self.shared.main_gil),",
        mutated: "            GilMode::Shared => Arc::new(Gil::new(id)),",
        killers: &["lifecycle::gil::own_gils_run_at_once_shared_gils_exclude"],
    },
    Mutation {
        id: "run-not-exclusive",
        what: "run enters whatever the interpreter's activity (a second run, or a run during a destroy)",
        file: "src/interp/handle.rs",
        original: "core.activity.compare_exchange(IDLE, RUNNING_CODE, Ordering::Relaxed, Ordering::Relaxed)",
        mutated: "Ok::<usize, usize>(core.activity.swap(RUNNING_CODE, Ordering::Relaxed))",
        killers: &["lifecycle::interpreters::run_vs_run", "lifecycle::interpreters::run_vs_destroy"],
    },
    Mutation {
        id: "destroy-ignores-run",
        what: "destroy claims the interpreter even while a run is in progress",
        file: "src/interp/handle.rs",
        original: "match core.activity.compare_exchange(IDLE, CLOSING, Ordering::Relaxed, Ordering::Relaxed) {",
        mutated: "match Ok::<usize, usize>(core.activity.swap(CLOSING, Ordering::Relaxed)) {",
        killers: &["lifecycle::interpreters::run_vs_destroy"],
    },
    Mutation {
        id: "channel-withdraw-skipped",
        what: "a blocking send whose deadline passed takes its payload back but leaves its item queued (hollowed)",
        file: "src/channel/core.rs",
        original: "        let item = self.items.remove(pos)?;",
        mutated: "        let item = Item { payload: std::mem::replace(&mut self.items[pos].payload, Payload::Unbound), ..self.items[pos] };",
        killers: &["channels::send_timeout_vs_recv"],
    },
    Mutation {
        id: "channel-force-close-no-wake",
        what: "a forced close settles the waiting senders' items but wakes only the receivers (lost wake-up)",
        file: "src/channel/core.rs",
        original: "                let (doomed, removed) = st.close_now();\n                self.wake_all(&mut st);\n                trace_event!({",
        mutated: "                let (doomed, removed) = st.close_now();\n                self.not_empty.notify_all(); // (mutant: senders not woken)\n                trace_event!({",
        killers: &["channels::force_close_wakes_sender"],
    },
    Mutation {
        id: "channel-release-wrong-end",
        what: "a release decides whether the channel closes from the other end's associations only",
        file: "src/channel/core.rs",
        original: "        let closes = ends.open_on(end) == 0 && ends.open_on(end.other()) == 0 && ends.ever_associated();",
        mutated: "        let closes = ends.open_on(end.other()) == 0 && ends.ever_associated();",
        killers: &["channels::last_release_closes"],
    },
    Mutation {
        id: "channel-unbound-every-interpreter",
        what: "a destroyed interpreter's unbound policy is applied to every interpreter's queued items, not only its own",
        file: "src/channel/core.rs",
        original: "            if item.sender != who || item.waiter || !item.payload.is_value() {",
        mutated: "            if item.waiter || !item.payload.is_value() {",
        killers: &["channels::destroy_unbound_beside_survivor"],
    },
    Mutation {
        id: "channel-assoc-hint-survives-release",
        what: "a release leaves the association hint on the releaser, so its next use of the end is admitted (a released receiver waits forever)",
        file: "src/channel/assoc.rs",
        original: "        self.open_hint[end as usize] = None;\n        let (records, open) = self.end_mut(end);",
        mutated: "        let (records, open) = self.end_mut(end);",
        killers: &["channels::spin::recv_vs_release"],
    },
    Mutation {
        id: "channel-spin-watch-unmarked",
        what: "a spinner lets the lock go without marking the change count watched, so no step publishes a change and every spin runs out (the spin never takes an item)",
        file: "src/channel/core.rs",
        original: "        st.watched = true;\n        let seen = st.published;",
        mutated: "        let seen = st.published;",
        killers: &["channels::spin::recv_vs_close", "channels::spin::send_vs_close"],
    },
    Mutation {
        id: "queue-get-does-not-wake-putter",
        what: "a get that frees a slot in a full bounded queue does not wake the blocked putter (lost wake-up)",
        file: "src/channel/core.rs",
        original: "            self.not_full.notify_one();",
        mutated: "            // (mutant: putter not woken)",
        killers: &["channels::queue_put_waits_for_space"],
    },
    // Cross-interpreter data: the refcount hand-off.
    Mutation {
        id: "xi-release-without-switching",
        what: "an XiData released outside its owner decrefs the owner's heap under the caller's GIL instead of queuing a pending call (XI-2: loom's race detector, shuttle's assertion)",
        file: "src/xi/data.rs",
        original: "        let pushed = core.subsystems.xi.pending.push(core, Call::Decref(obj));",
        mutated: "        let pushed = core.subsystems.xi.heap.decref(GilHeld::checked(core), obj).map_err(|_| Call::Decref(obj));",
        killers: &["xi::handoff_released_by_pending_call", "xi::pending_release_while_owner_busy"],
    },
    Mutation {
        id: "xiview-guard-before-decref",
        what: "XiView::close drops its guard on the owner before switching to the owner's GIL and decref'ing (XI-4 / XI-1)",
        file: "src/xi/view.rs",
        original: "        let token = thread_state::ensure_held(&core);",
        mutated: "        drop(guard.take());\n        let token = thread_state::ensure_held(&core);",
        killers: &["xi::view_holds_off_finalization"],
    },
    Mutation {
        id: "pending-calls-never-run",
        what: "attaching to an interpreter never runs its pending calls (XI-3: released objects are never freed)",
        file: "src/xi/pending.rs",
        original: "    if core.subsystems.xi.pending.flag.load(Ordering::Relaxed) {",
        mutated: "    if false && core.subsystems.xi.pending.flag.load(Ordering::Relaxed) {",
        killers: &[
            "xi::handoff_released_by_pending_call",
            "xi::pending_release_while_owner_busy",
            "xi::ring_full_hands_back",
        ],
    },
    Mutation {
        id: "xi-push-without-guard",
        what: "a release queues its pending call without a guard on the owner (the naive check-then-push: the call can land after teardown drained the ring)",
        file: "src/xi/data.rs",
        original: "        let guard = match OwnedGuard::acquire(core, location) {",
        mutated: "        let guard = match Ok::<(), crate::GuardError>(()) {",
        killers: &["xi::owner_destroyed_with_data_in_flight"],
    },
    Mutation {
        id: "stale-handle-undetected",
        what: "the heap's stale-handle check is switched off: a handle whose slot was freed (and reused) reaches the slot (XI-1 goes unseen)",
        file: "src/xi/heap.rs",
        original: "        if !live {\n            return Err(self.stale(obj));",
        mutated: "        if false && !live {\n            return Err(self.stale(obj));",
        killers: &["xi::bug_borrowed_reference_decref"],
    },
    Mutation {
        id: "xi-cache-kept-on-detach",
        what: "the detach hook leaves the checked operations' cached attachment set: a thread that let the owner's GIL go still passes for attached (XI-2: the cross-check of the cache against the record, and loom's race detector)",
        file: "src/xi/access.rs",
        original: "    set_may_touch(0);\n}",
        mutated: "    // (mutant: the cache is kept)\n}",
        killers: &["xi::release_after_letting_the_gil_go_is_queued"],
    },
    Mutation {
        id: "xi-cache-kept-in-session",
        what: "opening a heap session leaves the cached attachment set: a checked operation inside the session aliases its `&mut` (XI-2: the cross-check of the cache against the record)",
        file: "src/xi/access.rs",
        original: "            Some(core) if !pinned => heap_key(&core.subsystems.xi.heap),",
        mutated: "            Some(core) => heap_key(&core.subsystems.xi.heap),",
        killers: &["xi::release_after_letting_the_gil_go_is_queued"],
    },
    // xi through channels: objects in channels and queues.
    Mutation {
        id: "xi-unbound-after-teardown",
        what: "finalization tears the heap down before it clears the channels: an unbound item's XiData is released after its owner's teardown (XI-1 under the models; a leak in production)",
        file: "src/lib.rs",
        original: "        channel::registry::teardown(core);\n        xi::teardown(core, py);",
        mutated: "        xi::teardown(core, py);\n        channel::registry::teardown(core);",
        killers: &["xi::sender_destroyed_with_object_in_channel"],
    },
    Mutation {
        id: "recv-object-forgets-release",
        what: "recv_object builds the receiver's copy but never releases the data (XI-3: the owner's object is never freed)",
        file: "src/channel/objects.rs",
        original: "    let _ = data.release_or_switch();",
        mutated: "    std::mem::forget(data);",
        killers: &["xi::object_through_channel_dropped_on_the_other_side"],
    },
];

const CHECKERS: [Backend; 2] = [Backend::Loom, Backend::Shuttle];

/// Every mutation's id: what `docs/invariants.md` must cite
/// (`crate::catalogue`).
#[cfg(test)]
pub fn ids() -> Vec<&'static str> {
    MUTATIONS.iter().map(|m| m.id).collect()
}

pub fn run(root: &Path) -> Result<(), String> {
    run_filtered(root, None)
}

/// Runs the mutations whose id, or one of whose killer scenarios, contains
/// `filter` (all of them without one).
pub fn run_filtered(root: &Path, filter: Option<&str>) -> Result<(), String> {
    let selected: Vec<&Mutation> = MUTATIONS
        .iter()
        .filter(|m| filter.is_none_or(|f| m.id.contains(f) || m.killers.iter().any(|k| k.contains(f))))
        .collect();
    if selected.is_empty() {
        return Err(format!("no mutation matches the filter {filter:?}"));
    }
    // Cheap: the ordering sweep's table still names every generated mutant.
    let sites = orderings::library_sites(root)?;
    orderings::check_table(&sites, &orderings::mutants(&sites))?;
    let misplaced = misplaced(root);
    if !misplaced.is_empty() {
        return Err(format!(
            "mutations whose original text is not found exactly once (the code moved: update xtask/src/mutants.rs): {}",
            misplaced.join("; ")
        ));
    }
    let copy = root.join("target/xinterp/mutants/tree");
    copy_crate(root, &copy)?;
    let mut survivors = Vec::new();
    let mut rows = Vec::new();
    for mutation in selected.iter().copied() {
        let path = copy.join(mutation.file);
        let pristine = read(&path)?;
        if pristine.matches(mutation.original).count() != 1 {
            return Err(format!(
                "mutation `{}`: its original text is not found exactly once in {} (the code moved: update xtask/src/mutants.rs)",
                mutation.id, mutation.file
            ));
        }
        write(&path, &pristine.replacen(mutation.original, mutation.mutated, 1))?;
        println!("\n=== mutants: {} ({}) ===", mutation.id, mutation.what);
        let outcome = CHECKERS.iter().try_for_each(|&backend| {
            let results = run_killers(root, &copy, backend, mutation.id, mutation.killers)?;
            for (scenario, killed) in results {
                if !killed {
                    survivors.push(format!("{} survived {scenario} under {}", mutation.id, backend.name()));
                }
                rows.push((mutation.id, backend.name(), scenario, killed));
            }
            Ok::<(), String>(())
        });
        write(&path, &pristine)?;
        outcome?;
    }
    println!("\n{:<28} | {:<7} | {:<64} | result", "mutation", "checker", "scenario");
    println!("{}", "-".repeat(116));
    for (id, backend, scenario, killed) in &rows {
        println!("{id:<28} | {backend:<7} | {scenario:<64} | {}", if *killed { "killed" } else { "SURVIVED" });
    }
    if survivors.is_empty() {
        println!("mutants: OK: all {} mutations killed by loom and shuttle", selected.len());
        Ok(())
    } else {
        Err(format!("mutants FAILED: {}", survivors.join("; ")))
    }
}

/// `cargo xtask mutants --orderings`: every generated ordering mutant (whose
/// key contains `filter`, if given) applied to the copy in turn, its
/// recorded killers run under loom; fails if one survives, or if the
/// generated list and the recorded table disagree.
pub fn run_orderings(root: &Path, filter: Option<&str>) -> Result<(), String> {
    let sites = orderings::library_sites(root)?;
    let all = orderings::mutants(&sites);
    orderings::check_table(&sites, &all)?;
    let relaxed = sites.iter().filter(|s| s.strength == orderings::Strength::Relaxed).count();
    println!(
        "orderings: {} sites in src/ (minus src/sync/), {relaxed} of them Relaxed; {} mutants",
        sites.len(),
        all.len()
    );
    let selected: Vec<&orderings::Mutant> = all.iter().filter(|m| filter.is_none_or(|f| m.key().contains(f))).collect();
    if selected.is_empty() {
        return Err(format!("no ordering mutant matches the filter {filter:?}"));
    }
    let copy = root.join("target/xinterp/mutants/tree");
    copy_crate(root, &copy)?;
    let mut rows = Vec::new();
    for (n, mutant) in selected.iter().enumerate() {
        let key = mutant.key();
        let outcome = orderings::OUTCOMES.iter().find(|o| o.mutant == key).ok_or("checked above")?;
        let path = copy.join(&mutant.site.file);
        let pristine = read(&path)?;
        write(&path, &mutant.apply(&pristine))?;
        println!(
            "\n=== mutants --orderings {}/{}: {key} (line {}): {} ===",
            n + 1,
            selected.len(),
            mutant.site.line,
            outcome.how
        );
        let id = format!("ordering-{}", key.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        let results = run_killers(root, &copy, Backend::Loom, &id, outcome.killers);
        write(&path, &pristine)?;
        for (scenario, killed) in results? {
            rows.push((mutant.site.line, key.clone(), scenario, killed));
        }
    }
    println!("\n{:<5} | {:<86} | {:<60} | loom", "line", "mutant", "killer");
    println!("{}", "-".repeat(164));
    for (line, key, scenario, killed) in &rows {
        println!("{line:<5} | {key:<86} | {scenario:<60} | {}", if *killed { "killed" } else { "SURVIVED" });
    }
    let survivors: Vec<String> =
        rows.iter().filter(|r| !r.3).map(|(_, key, scenario, _)| format!("{key} survived {scenario}")).collect();
    println!("\nlowered to Relaxed (no mutant), with what orders them instead:");
    for lowered in orderings::LOWERED {
        println!("  {} (was {}): {}", lowered.site, lowered.was, lowered.why);
    }
    if survivors.is_empty() {
        println!("mutants --orderings: OK: all {} ordering mutants killed under loom", selected.len());
        Ok(())
    } else {
        Err(format!("mutants --orderings FAILED: {}", survivors.join("; ")))
    }
}

/// Runs the mutation's killer scenarios under `backend`; for each, whether
/// the checker reported a violation.
fn run_killers(
    root: &Path,
    copy: &Path,
    backend: Backend,
    id: &str,
    killers: &[&'static str],
) -> Result<Vec<(&'static str, bool)>, String> {
    let target = root.join("target/mutants").join(backend.name());
    let reports = root.join("target/xinterp/mutants/reports").join(id).join(backend.name());
    process::fresh_dir(&reports)?;
    // A mutant that does not build would "fail" every scenario: build first.
    let mut build = models_command(copy, &target, backend);
    build.arg("--no-run");
    if !process::run_silent(build) {
        return Err(format!("mutation `{id}` does not build under {}", backend.name()));
    }
    let log = reports.join("cargo.log");
    let mut results = Vec::new();
    for scenario in killers {
        // One process per scenario: a loom deadlock aborts its process (see
        // `Provisional` in xinterp-check/src/run.rs), which must not take the other
        // scenarios down with it.
        let mut test = models_command(copy, &target, backend);
        test.env("XINTERP_REPORT_DIR", &reports).args(["--", scenario, "--exact"]);
        process::run_logged(test, &log, |_| {})?;
        let file = reports.join(backend.name()).join(format!("{}.json", stem(scenario)));
        let killed = match RunReport::read(&file) {
            Ok(report) => {
                println!(
                    "  {:<7} {scenario}: {} ({} executions){}",
                    backend.name(),
                    report.outcome,
                    report.executions,
                    report.violation.as_deref().map(|v| format!(": {v}")).unwrap_or_default()
                );
                !report.ok
            }
            Err(why) => {
                println!("  {:<7} {scenario}: no report ({why}); see {}", backend.name(), log.display());
                false
            }
        };
        results.push((*scenario, killed));
    }
    Ok(results)
}

fn models_command(copy: &Path, target: &Path, backend: Backend) -> Command {
    let mut cmd = backend.cargo(copy, target, "test");
    // Every mutation rebuilds the crate and the models binary twice; the
    // killers mostly fail at their first execution, so build time is what
    // this step costs. No debug info: a smaller, faster build and link.
    cmd.env("CARGO_PROFILE_TEST_DEBUG", "0").args(["--test", "models"]);
    cmd
}

/// Copies the library and the toolkit (what git tracks or would track, minus
/// xtask and the benchmarks) and makes them a workspace of their own.
fn copy_crate(root: &Path, copy: &Path) -> Result<(), String> {
    let listing = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .map_err(|e| format!("could not run git ls-files: {e}"))?;
    if !listing.status.success() {
        return Err("git ls-files failed: mutants needs a git checkout".to_owned());
    }
    process::fresh_dir(copy)?;
    for file in listing.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let relative = PathBuf::from(String::from_utf8_lossy(file).into_owned());
        let runner_or_bench = ["xtask", "benches", "cargo-xinterp"].iter().any(|dir| relative.starts_with(dir));
        if runner_or_bench || !root.join(&relative).is_file() {
            continue;
        }
        let destination = copy.join(&relative);
        if let Some(parent) = destination.parent() {
            process::create_dir(parent)?;
        }
        std::fs::copy(root.join(&relative), &destination)
            .map_err(|e| format!("could not copy {}: {e}", relative.display()))?;
    }
    let manifest = copy.join("Cargo.toml");
    let text = read(&manifest)?;
    write(&manifest, &only_the_toolkit(&text)?)
}

/// The workspace manifest with the toolkit as its only other member: the
/// copy has neither the runners nor the benchmarks.
fn only_the_toolkit(manifest: &str) -> Result<String, String> {
    let members = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members = ["))
        .ok_or("Cargo.toml has no `members = [...]` line: update xtask/src/mutants.rs")?;
    if !members.contains("\"xinterp-check\"") {
        return Err(format!("Cargo.toml's `{members}` lacks xinterp-check: update xtask/src/mutants.rs"));
    }
    Ok(manifest.replacen(members, "members = [\"xinterp-check\"]", 1))
}

/// Whether every mutation's original text is found exactly once in its
/// file of `root` (what `run_filtered` requires before it runs anything).
fn misplaced(root: &Path) -> Vec<String> {
    MUTATIONS
        .iter()
        .filter_map(|m| {
            let found = read(&root.join(m.file)).map(|text| text.matches(m.original).count());
            (found != Ok(1)).then(|| format!("{} in {}: {found:?}", m.id, m.file))
        })
        .collect()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("could not write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_mutation_applies_exactly_once() {
        let misplaced = super::misplaced(&crate::workspace_root());
        assert!(misplaced.is_empty(), "mutations whose original text moved (update MUTATIONS): {misplaced:?}");
    }

    /// The copy's workspace is the library and the toolkit alone, whatever
    /// runners the real one lists (a member the copy lacks fails cargo).
    #[test]
    fn the_copy_keeps_only_the_toolkit_as_a_member() {
        let manifest = std::fs::read_to_string(crate::workspace_root().join("Cargo.toml")).unwrap();
        let copy = super::only_the_toolkit(&manifest).unwrap();
        let members: Vec<&str> = copy.lines().filter(|l| l.trim_start().starts_with("members = [")).collect();
        assert_eq!(members, ["members = [\"xinterp-check\"]"]);
        assert!(super::only_the_toolkit("[workspace]\nmembers = [\"xtask\"]\n").is_err(), "no toolkit: refused");
        assert!(super::only_the_toolkit("[package]\n").is_err(), "no members line: refused");
    }
}
