//! Which tests there are: read from `cargo nextest list --message-format
//! json`, or from cargo's build messages and each test binary's own
//! `--list --format terse`.
use serde_json::Value;
use std::path::PathBuf;

/// One test of one test target: run in a process of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// The test target (`[[test]]` name).
    pub target: String,
    /// The test's path in its binary (`lifecycle::two_finalizers`); by the
    /// harness's convention also its scenario's name.
    pub name: String,
}

impl TestCase {
    /// `target::name`, as the progress lines and messages show it.
    pub fn label(&self) -> String {
        format!("{} {}", self.target, self.name)
    }
}

/// The test names in a libtest binary's `--list --format terse` output
/// (`name: test` lines; benchmarks and the summary are not tests).
pub fn libtest_terse(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|line| line.trim_end().strip_suffix(": test")).map(str::to_owned).collect()
}

/// The test binaries in `cargo test --no-run --message-format json` output:
/// `(target, executable)` for each integration test target built.
pub fn cargo_test_binaries(stdout: &str) -> Vec<(String, PathBuf)> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "test")))
        .filter_map(|m| Some((m["target"]["name"].as_str()?.to_owned(), PathBuf::from(m["executable"].as_str()?))))
        .collect()
}

/// The tests `cargo nextest run` will run, from `cargo nextest list
/// --message-format json`: every listed test that matches the filter and is
/// not `#[ignore]`d, with the id nextest names it by in its events
/// (`<binary id>$<name>`).
pub fn nextest_list(json: &str) -> Result<Vec<(String, TestCase)>, String> {
    let list: Value = serde_json::from_str(json).map_err(|e| format!("nextest printed no JSON list: {e}"))?;
    let suites = list["rust-suites"].as_object().ok_or("the nextest list has no `rust-suites`")?;
    let mut cases = Vec::new();
    for (binary_id, suite) in suites {
        let target = suite["binary-name"].as_str().ok_or("a nextest suite without `binary-name`")?;
        let Some(tests) = suite["testcases"].as_object() else { continue };
        for (name, test) in tests {
            let matches = test["filter-match"]["status"] == "matches";
            if matches && test["ignored"] != true {
                let case = TestCase { target: target.to_owned(), name: name.clone() };
                cases.push((format!("{binary_id}${name}"), case));
            }
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terse_listing_keeps_tests_only() {
        let out = "lifecycle::a: test\nlifecycle::b: test\nsome_bench: benchmark\n\n2 tests, 1 benchmark\n";
        assert_eq!(libtest_terse(out), ["lifecycle::a", "lifecycle::b"]);
        assert!(libtest_terse("").is_empty());
    }

    #[test]
    fn build_messages_name_the_test_binaries() {
        let out = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"xinterp","kind":["lib"]},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"shutdown","kind":["test"]},"executable":"/t/deps/shutdown-1"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\nnot json\n",
        );
        assert_eq!(cargo_test_binaries(out), [("shutdown".to_owned(), PathBuf::from("/t/deps/shutdown-1"))]);
    }

    #[test]
    fn nextest_listing_skips_ignored_and_filtered_tests() {
        let json = r#"{"rust-suites":{"fx::scenarios":{"binary-name":"scenarios","testcases":{
            "aborts":{"ignored":false,"filter-match":{"status":"matches"}},
            "joins":{"ignored":false,"filter-match":{"status":"matches"}},
            "slow":{"ignored":true,"filter-match":{"status":"matches"}},
            "other":{"ignored":false,"filter-match":{"status":"mismatch","reason":"string"}}}}}}"#;
        let cases = nextest_list(json).unwrap();
        let ids: Vec<&str> = cases.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["fx::scenarios$aborts", "fx::scenarios$joins"]);
        assert_eq!(cases[0].1, TestCase { target: "scenarios".into(), name: "aborts".into() });
        assert!(nextest_list("{}").is_err());
    }
}
