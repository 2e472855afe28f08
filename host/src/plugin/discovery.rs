//! Where plugin libraries are looked for.
//!
//! 1. The directory of the `sluice` executable (`cargo build --release` leaves host and
//!    plugins side by side in `target/release`).
//! 2. The config's `plugins.directories`, in order.
//! 3. `--plugin-dir` arguments, in order.
//!
//! Every file with the platform's shared-library suffix (`.so`, `.dylib`, `.dll`) in those
//! directories is a candidate; a file that turns out not to be a sluice plugin is refused
//! with a clear message and the others still load.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The directories to search, in order, without duplicates.
pub fn plugin_directories(configured: &[PathBuf], extra: &[PathBuf]) -> Vec<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.canonicalize().ok())
        .and_then(|exe| exe.parent().map(Path::to_owned));
    let mut seen = HashSet::new();
    exe_dir
        .into_iter()
        .chain(configured.iter().cloned())
        .chain(extra.iter().cloned())
        .filter(|dir| seen.insert(dir.canonicalize().unwrap_or_else(|_| dir.clone())))
        .collect()
}

/// The candidate library files in `directories`, each once, sorted within a directory.
/// Directories that do not exist or cannot be read are reported in the second list.
pub fn plugin_files(directories: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, std::io::Error)>) {
    let suffix = std::env::consts::DLL_SUFFIX;
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for dir in directories {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                unreadable.push((dir.clone(), e));
                continue;
            }
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(suffix))
            })
            .collect();
        found.sort();
        for file in found {
            let key = file.canonicalize().unwrap_or_else(|_| file.clone());
            if seen.insert(key) {
                files.push(file);
            }
        }
    }
    (files, unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_shared_libraries_once_and_reports_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir
            .path()
            .join(format!("libx{}", std::env::consts::DLL_SUFFIX));
        std::fs::write(&lib, b"not really").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
        let dirs = vec![
            dir.path().to_owned(),
            dir.path().to_owned(),
            dir.path().join("nope"),
        ];
        let (files, unreadable) = plugin_files(&dirs);
        assert_eq!(files, vec![lib]);
        assert_eq!(unreadable.len(), 1);
    }
}
