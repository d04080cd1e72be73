//! `cargo xtask mermaid`: the Mermaid renderer checked by Mermaid itself.
//!
//! Renders a trace whose thread names and outcomes are Mermaid syntax
//! (`end`, `loop`, `I1`, `a;b`, `x#y`, `%%`, `-->>`, multi-line text), parses
//! it with the `mermaid` npm package under Node.js, and compares what the
//! parser read (participants, messages, notes; entity codes and `<br/>`
//! decoded) with the trace's own names and texts: a parse error or a
//! participant or text that did not survive fails the check. The package is
//! installed with npm into `target/xinterp/mermaid/` when missing.
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use xinterp_check::trace::render;
use xinterp_check::trace::{Event, Trace};

/// The `mermaid` release the check parses with.
const MERMAID: &str = "11.17.2";

/// Reads a diagram (`argv[2]`), prints what Mermaid parsed as JSON:
/// `{"actors": [[id, label]], "messages": [[from, to, text]]}`, with entity
/// codes decoded and `<br/>` as a line break; exits 1 on a parse error.
const SCRIPT: &str = r#"
import { readFileSync } from 'node:fs';
const { default: mermaid } = await import('mermaid');
const text = readFileSync(process.argv[2], 'utf8');
const decode = (s) => (s ?? '')
  .replace(/<br\s*\/?>/g, '\n')
  .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)));
try {
  await mermaid.parse(text);
  const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
  const actors = [...db.getActors().entries()].map(([id, a]) => [id, decode(a.description)]);
  const messages = db.getMessages().map((m) => [m.from ?? null, m.to ?? null, decode(m.message)]);
  console.log(JSON.stringify({ actors, messages }));
} catch (e) {
  console.error(`mermaid could not parse the diagram: ${e.message ?? e}`);
  process.exit(1);
}
"#;

/// Installs Mermaid if needed, renders [`render::hostile_trace`], parses it with
/// Mermaid and checks that every name and text came through.
pub fn run(root: &Path) -> Result<(), String> {
    let dir = root.join("target").join("xinterp").join("mermaid");
    ensure_installed(&dir)?;
    let trace = render::hostile_trace();
    let diagram = render::mermaid(&trace);
    let diagram_path = dir.join("hostile.mmd");
    let script_path = dir.join("parse.mjs");
    std::fs::write(&diagram_path, &diagram).map_err(|e| format!("write {}: {e}", diagram_path.display()))?;
    std::fs::write(&script_path, SCRIPT).map_err(|e| format!("write {}: {e}", script_path.display()))?;
    let output = Command::new("node")
        .arg(&script_path)
        .arg(&diagram_path)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("could not run node: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{}\nthe diagram is {}",
            String::from_utf8_lossy(&output.stderr).trim(),
            diagram_path.display()
        ));
    }
    let parsed: Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("node's output: {e}"))?;
    compare(&trace, &parsed).map_err(|why| format!("{why}\nthe diagram is {}", diagram_path.display()))?;
    println!(
        "mermaid {MERMAID} parsed {} ({} participants, {} messages and notes): every name and text came through",
        diagram_path.display(),
        parsed["actors"].as_array().map_or(0, Vec::len),
        parsed["messages"].as_array().map_or(0, Vec::len)
    );
    Ok(())
}

/// `npm install mermaid@MERMAID` into `dir` unless it is there.
fn ensure_installed(dir: &Path) -> Result<(), String> {
    let installed = std::fs::read_to_string(dir.join("node_modules/mermaid/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{MERMAID}\"")));
    if installed {
        return Ok(());
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("the Mermaid check needs Node.js (18 or later) and npm on PATH \
                    (Debian: apt-get install nodejs npm)"
            .to_owned());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let package = format!(
        "{{\"name\":\"xinterp-mermaid-check\",\"private\":true,\"type\":\"module\",\"dependencies\":{{\"mermaid\":\"{MERMAID}\"}}}}\n"
    );
    std::fs::write(dir.join("package.json"), package).map_err(|e| format!("write package.json: {e}"))?;
    println!("mermaid: installing the npm package mermaid@{MERMAID} into {}", dir.display());
    let mut cmd = Command::new("npm");
    cmd.args(["install", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir);
    if !cargo_xinterp::process::run_visible(cmd)? {
        return Err(format!("`npm install` of mermaid@{MERMAID} failed in {}", dir.display()));
    }
    Ok(())
}

/// What Mermaid read against what the trace says: one participant per
/// thread and interpreter with the real name, and per step its message(s)
/// or note, holding its op, outcome and state word for word.
fn compare(trace: &Trace, parsed: &Value) -> Result<(), String> {
    let pairs = |v: &Value| -> Vec<Vec<String>> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|row| {
                        row.as_array()
                            .map(|r| r.iter().map(|c| c.as_str().unwrap_or("").to_owned()).collect())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let actors = pairs(&parsed["actors"]);
    let messages = pairs(&parsed["messages"]);
    let label = |id: &str| actors.iter().find(|a| a[0] == id).map(|a| a[1].clone());
    let mut expected_actors: Vec<(String, String)> =
        trace.threads().iter().enumerate().map(|(k, t)| (format!("t{k}"), (*t).to_owned())).collect();
    let mut interps: Vec<u64> = trace.events.iter().filter_map(Event::interp).collect();
    interps.sort_unstable();
    interps.dedup();
    for i in interps {
        let name = if i == 0 { "interpreter 0 (main)".to_owned() } else { format!("interpreter {i}") };
        expected_actors.push((format!("i{i}"), name));
    }
    if actors.len() != expected_actors.len() {
        return Err(format!("mermaid read {} participants, the trace has {}", actors.len(), expected_actors.len()));
    }
    for (id, name) in &expected_actors {
        match label(id) {
            Some(l) if l.trim() == name.trim() => {}
            other => return Err(format!("participant {id} should be {name:?}, mermaid read {other:?}")),
        }
    }
    let mut rows = messages.iter();
    for e in &trace.events {
        let count = if e.interp().is_some() && !e.is_witness() && !e.is_violation() { 2 } else { 1 };
        let texts: Vec<&Vec<String>> = rows.by_ref().take(count).collect();
        if texts.len() != count {
            return Err(format!("mermaid read fewer messages than the trace has steps (at step {})", e.seq));
        }
        // The thread's participant: its own, not one sharing its name.
        let thread = expected_actors.iter().find(|(id, name)| id.starts_with('t') && *name == e.thread);
        let thread = thread.map(|(id, _)| id.as_str()).unwrap_or("?");
        if texts[0][0] != thread {
            return Err(format!("step {} should come from {thread}, mermaid read {:?}", e.seq, texts[0]));
        }
        let all: String = texts.iter().map(|r| r[2].as_str()).collect::<Vec<_>>().join("\n");
        // A witness's or violation's note names the mark in its own words.
        let op = if e.is_witness() || e.is_violation() { String::new() } else { e.op().to_owned() };
        for part in [op, e.outcome().to_string(), e.state().to_string()] {
            if !all.contains(part.trim()) {
                return Err(format!("step {} should show {part:?}; mermaid read {all:?}", e.seq));
            }
        }
    }
    if rows.next().is_some() {
        return Err("mermaid read more messages than the trace has steps".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_catches_a_lost_participant_or_text() {
        let kind = xinterp::trace::EventKind::from_columns(None, "x.step", "a;b".to_owned(), String::new());
        let trace = Trace { events: vec![Event { seq: 1, thread: "end".to_owned(), kind }] };
        let parsed =
            |label: &str, text: &str| serde_json::json!({"actors": [["t0", label]], "messages": [["t0", "t0", text]]});
        assert_eq!(compare(&trace, &parsed("end", "1. x.step -> a;b")), Ok(()));
        assert!(compare(&trace, &parsed("", "1. x.step -> a;b")).is_err());
        assert!(compare(&trace, &parsed("end", "1. x.step -> a")).is_err());
        let extra = serde_json::json!({"actors": [["t0", "end"]], "messages": [["t0", "t0", "1. x.step -> a;b"], ["t0", "t0", "b"]]});
        assert!(compare(&trace, &extra).is_err());
        // The hostile trace's own diagram is well formed as far as Rust can
        // tell (Mermaid's verdict needs node: `cargo xtask mermaid`).
        assert!(render::mermaid(&render::hostile_trace()).starts_with("sequenceDiagram\n"));
    }
}
