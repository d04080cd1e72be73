//! SPIN and a C compiler: found, installed when we can, or the exact
//! command to run when we cannot.
use std::path::Path;
use std::process::{Command, Stdio};

/// The tools a proof run needs.
#[derive(Clone, Debug)]
pub struct Tools {
    /// `spin -V`'s first line.
    pub spin_version: String,
    /// The C compiler that builds pan (`cc`, else `gcc`).
    pub cc: String,
}

/// Finds SPIN and a C compiler, installing the Debian packages `spin` and
/// `gcc` when running as root on a system with apt-get.
pub fn ensure() -> Result<Tools, String> {
    let spin_version = match spin_version() {
        Some(v) => v,
        None => {
            install("spin", "spin")?;
            spin_version().ok_or("`spin -V` still fails after installing the Debian package `spin`")?
        }
    };
    let cc = match c_compiler() {
        Some(cc) => cc,
        None => {
            install("gcc", "a C compiler (cc or gcc), which builds SPIN's verifier pan.c")?;
            c_compiler().ok_or("no `cc` or `gcc` found after installing the Debian package `gcc`")?
        }
    };
    Ok(Tools { spin_version, cc })
}

fn spin_version() -> Option<String> {
    let output = Command::new("spin").arg("-V").stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    // `Spin Version 6.5.2 -- 6 December 2019`
    let line = text.lines().next()?.trim().to_owned();
    (output.status.success() && line.starts_with("Spin Version")).then_some(line)
}

fn c_compiler() -> Option<String> {
    ["cc", "gcc"].into_iter().find(|cc| succeeds(Command::new(cc).arg("--version"))).map(str::to_owned)
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// `apt-get update && apt-get install -y <package>` if we are root and have
/// apt-get; otherwise the error says what to run.
fn install(package: &str, what: &str) -> Result<(), String> {
    let how = format!(
        "{what} is needed for `cargo xtask proofs`: install it with \
         `sudo apt-get update && sudo apt-get install -y {package}` (Debian/Ubuntu){}",
        if package == "spin" {
            ", or build SPIN from https://github.com/nimble-code/Spin and put `spin` on PATH"
        } else {
            ""
        }
    );
    if !is_root() || !has_apt_get() {
        return Err(how);
    }
    println!("proofs: `{package}` is missing; installing it with apt-get (running as root)");
    for args in [vec!["update"], vec!["install", "-y", package]] {
        let mut cmd = Command::new("apt-get");
        cmd.args(&args).env("DEBIAN_FRONTEND", "noninteractive");
        println!("$ apt-get {}", args.join(" "));
        let status = cmd.status().map_err(|e| format!("could not run apt-get: {e}. {how}"))?;
        if !status.success() {
            return Err(format!("`apt-get {}` failed ({status}). {how}", args.join(" ")));
        }
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn has_apt_get() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| Path::new(&dir).join("apt-get").is_file()))
}
