//! Embeds the shipped alert set (`../alerts/*.toml`) into the binary, so `sluice alerts upload`
//! can install it wherever sluice runs, without the source tree.
//!
//! Writes `OUT_DIR/shipped_alerts.rs`: one `(file name, content)` entry per file, sorted by
//! file name, each content pulled in with `include_str!` (so cargo also tracks the files).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let alerts = manifest.join("..").join("alerts");
    // A directory here makes cargo rerun the script when any file in it changes, is added or
    // is removed.
    println!("cargo:rerun-if-changed={}", alerts.display());

    let mut files: Vec<PathBuf> = match std::fs::read_dir(&alerts) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            println!(
                "cargo:warning=no shipped alerts embedded: cannot read {}: {e}",
                alerts.display()
            );
            Vec::new()
        }
    };
    files.sort();

    let mut out = String::from(
        "/// The shipped alert set: (file name, content), sorted by file name.\n\
         pub(crate) const SHIPPED: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let name = file_name(file);
        let path = file.canonicalize().unwrap_or_else(|_| file.clone());
        // `{:?}` writes a Rust string literal, escapes included (Windows backslashes too).
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");

    build_identity(&manifest);

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target = out_dir.join("shipped_alerts.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

/// Tells the build which revision and target it is (`sluice --version`, `sluice_build_info`):
/// `SLUICE_REVISION` from the environment (a build from a source archive sets it), else the
/// git commit of the work tree, else `unknown`; `SLUICE_TARGET`, the target triple.
fn build_identity(manifest: &Path) {
    println!("cargo:rerun-if-env-changed=SLUICE_REVISION");
    let git = manifest.join("..").join(".git");
    for file in ["HEAD", "packed-refs"] {
        if git.join(file).exists() {
            println!("cargo:rerun-if-changed={}", git.join(file).display());
        }
    }
    if let Some(head) = std::fs::read_to_string(git.join("HEAD"))
        .ok()
        .and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_owned()))
        .filter(|r| git.join(r).exists())
    {
        println!("cargo:rerun-if-changed={}", git.join(head).display());
    }
    let revision = std::env::var("SLUICE_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty())
        .or_else(|| {
            let out = std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .current_dir(manifest)
                .output()
                .ok()?;
            let rev = String::from_utf8(out.stdout).ok()?.trim().to_owned();
            (out.status.success() && !rev.is_empty()).then_some(rev)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SLUICE_REVISION={revision}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=SLUICE_TARGET={target}");
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
