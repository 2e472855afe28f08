//! Where plugin libraries are looked for.
//!
//! 1. The directory of the `sluice` executable (`cargo build --release` leaves host and
//!    plugins side by side in `target/release`).
//! 2. The config's `plugins.directories`, in order.
//! 3. `--plugin-dir` arguments, in order.
//!
//! Every regular file with the platform's shared-library suffix (`.so`, `.dylib`, `.dll`) in
//! those directories is a candidate; a file that turns out not to be a sluice plugin is
//! refused with a clear message and the others still load. An entry with the suffix that is no
//! regular file (a directory, a dangling link, a FIFO) is skipped, and said so at debug level
//! (`-v`).

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
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(suffix))
            })
            .filter(|p| match not_a_file(p) {
                None => true,
                Some(why) => {
                    tracing::debug!(
                        "Skipped {}: {why}; only regular files are loaded as plugins.",
                        p.display()
                    );
                    false
                }
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

/// Why `path` (a link followed) is no regular file, if it is not. Only metadata is read: a
/// FIFO is never opened, so it cannot block.
fn not_a_file(path: &Path) -> Option<String> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(match std::fs::read_link(path) {
                Ok(target) => format!(
                    "it is a symbolic link to a file that does not exist ({})",
                    target.display()
                ),
                Err(_) => "it no longer exists".to_owned(),
            });
        }
        Err(e) => return Some(format!("it cannot be read ({e})")),
    };
    let kind = metadata.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("it is a directory".to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("it is a FIFO (named pipe)".to_owned());
        }
        if kind.is_socket() {
            return Some("it is a socket".to_owned());
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("it is a device".to_owned());
        }
    }
    Some("it is not a regular file".to_owned())
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
        // Skipped (said at debug level): not a regular file.
        let suffix = std::env::consts::DLL_SUFFIX;
        std::fs::create_dir(dir.path().join(format!("libdir{suffix}"))).unwrap();
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
