//! Running cargo: with its output streamed to the terminal, or kept in a log
//! with only the interesting lines forwarded; and the files they leave.
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// `cargo <subcommand>` run from the workspace root, with the same cargo
/// that runs xtask (cargo sets `$CARGO` for `cargo run`).
///
/// Inherited RUSTFLAGS are dropped: a backend sets its own, and a stray value
/// from the shell would make every build in a target dir disagree with the
/// last one and rebuild everything.
pub fn cargo(root: &Path, subcommand: &str) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(root).arg(subcommand).env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd
}

/// The command as a shell line, with the environment it sets, for logs and
/// error messages.
pub fn describe(cmd: &Command) -> String {
    let mut words: Vec<String> =
        cmd.get_envs().filter_map(|(key, value)| Some(format!("{}={}", show(key), quote(&show(value?))))).collect();
    let program = Path::new(cmd.get_program());
    words.push(show(program.file_name().unwrap_or(program.as_os_str())));
    words.extend(cmd.get_args().map(|a| quote(&show(a))));
    words.join(" ")
}

fn show(s: &OsStr) -> String {
    s.to_string_lossy().into_owned()
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.contains([' ', '"', '\'']) {
        format!("{s:?}")
    } else {
        s.to_owned()
    }
}

/// Runs `cmd` with its output on the terminal; whether it succeeded.
pub fn run_visible(mut cmd: Command) -> Result<bool, String> {
    println!("$ {}", describe(&cmd));
    let status = cmd.status().map_err(|e| format!("could not start `{}`: {e}", describe(&cmd)))?;
    Ok(status.success())
}

/// Runs `cmd` quietly; whether it succeeded (false if it could not start).
pub fn run_silent(mut cmd: Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// What a logged command left behind.
pub struct Logged {
    /// Whether it exited with 0.
    pub success: bool,
    /// Its stdout, line by line.
    pub stdout: Vec<String>,
}

/// Runs `cmd`, appending its stdout and stderr to `log` and handing each
/// stdout line to `on_line` as it arrives (so progress streams).
///
/// stderr goes straight to the log through a second handle on the same
/// append-mode file: no reader thread, and the two streams interleave in the
/// log roughly as they were written.
pub fn run_logged(mut cmd: Command, log: &Path, mut on_line: impl FnMut(&str)) -> Result<Logged, String> {
    let context = |what: &str, e: std::io::Error| format!("{what} {}: {e}", log.display());
    let mut file =
        OpenOptions::new().create(true).append(true).open(log).map_err(|e| context("could not open the log", e))?;
    writeln!(file, "$ {}", describe(&cmd)).map_err(|e| context("could not write", e))?;
    let stderr = file.try_clone().map_err(|e| context("could not reopen the log", e))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", describe(&cmd)))?;
    let stdout = child.stdout.take().ok_or("the child's stdout was not piped")?;
    let lines = forward_lines(stdout, &mut file, &mut on_line)
        .map_err(|e| context("lost the output of cargo while writing", e));
    // Reap the child even if forwarding failed, so it never lingers.
    let status = child.wait().map_err(|e| format!("could not wait for `{}`: {e}", describe(&cmd)))?;
    Ok(Logged { success: status.success(), stdout: lines? })
}

fn forward_lines(
    stdout: impl std::io::Read,
    log: &mut File,
    on_line: &mut impl FnMut(&str),
) -> std::io::Result<Vec<String>> {
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(lines);
        }
        log.write_all(&buf)?;
        // Test output is ours and UTF-8, but a panic message need not be:
        // never fail the run over it.
        let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
        on_line(&line);
        lines.push(line);
    }
}

/// The last `n` lines of the log at `path` (or why it could not be read).
pub fn log_tail(path: &Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => tail(&String::from_utf8_lossy(&bytes), n),
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Prints the tail of a failed command's log, framed so it stands out from
/// the progress lines.
pub fn print_log_tail(path: &Path, n: usize) {
    eprintln!("---- last {n} lines of {} ----", path.display());
    eprintln!("{}", log_tail(path, n));
    eprintln!("---- end of {} ----", path.display());
}

/// Removes `dir` if it exists and creates it empty.
pub fn fresh_dir(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("could not remove {}: {e}", dir.display())),
    }
    create_dir(dir)
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("could not create {}: {e}", dir.display()))
}

/// Creates (or empties) the file at `path`.
pub fn truncate(path: &Path) -> Result<(), String> {
    File::create(path).map(drop).map_err(|e| format!("could not create {}: {e}", path.display()))
}
