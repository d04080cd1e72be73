//! One scenario that aborts its process under loom must not hide the
//! verdict of another: `cargo xinterp verify` on the fixture crate in
//! `cargo-xinterp/tests/fixtures/abort` (scenario `joins` passes, `aborts` calls
//! `std::process::abort()` under loom) must report `joins` as passed and
//! `aborts` as aborted, with either runner, and exit 1.
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/abort/Cargo.toml");

/// `cargo xinterp verify --backend loom --message-format json` on the
/// fixture with `runner`: its exit code and its messages.
fn verify(runner: &str) -> (Option<i32>, Vec<Value>) {
    // Shared by both runs and kept between test runs: the loom build of
    // xinterp is the expensive part.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xinterp-fixtures");
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-xinterp"))
        .args(["xinterp", "verify", "--backend", "loom", "--message-format", "json", "--runner", runner])
        .args(["--manifest-path", FIXTURE])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo-xinterp runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let messages = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    assert!(!stdout.is_empty(), "no messages; stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    (output.status.code(), messages)
}

fn verdict<'a>(messages: &'a [Value], test: &str) -> &'a Value {
    messages
        .iter()
        .find(|m| m["type"] == "scenario" && m["test"] == test)
        .unwrap_or_else(|| panic!("no verdict for `{test}` in {messages:#?}"))
}

fn assert_isolated(runner: &str) {
    let (code, messages) = verify(runner);
    let joins = verdict(&messages, "joins");
    assert_eq!((joins["ok"].as_bool(), joins["outcome"].as_str()), (Some(true), Some("pass")), "{joins:#}");
    assert_eq!(joins["report"]["witnesses"][0]["count"], 1, "the harness's own report: {joins:#}");
    let aborts = verdict(&messages, "aborts");
    assert_eq!(aborts["ok"], false, "{aborts:#}");
    assert_eq!(aborts["outcome"], "ABORTED (SIGABRT)", "{aborts:#}");
    let summary = messages.last().expect("a summary");
    assert_eq!(summary["type"], "summary");
    assert_eq!((summary["passed"].as_u64(), summary["failed"].as_u64()), (Some(1), Some(1)), "{summary:#}");
    assert_eq!(code, Some(1), "a failed scenario exits 1");
}

/// One test for both runners, one after the other: they share the
/// fixture's target dir and its report dir.
#[test]
fn an_aborting_scenario_does_not_hide_the_others() {
    assert_isolated("libtest");
    let installed =
        Command::new(env!("CARGO")).args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success());
    if installed {
        assert_isolated("nextest");
    } else {
        eprintln!("cargo-nextest is not installed: only the libtest runner was tested");
    }
}
