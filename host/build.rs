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

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target = out_dir.join("shipped_alerts.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
