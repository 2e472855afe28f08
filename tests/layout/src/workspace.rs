//! The workspace's product sources: which crates, which files.
//!
//! Members come from the root `Cargo.toml` at run time, so a crate added or moved (say
//! `host/core`) is checked without touching this crate. A member whose directory does not
//! exist yet is skipped; this crate itself is never checked. Files are parsed on every core:
//! `syn` in a debug build is the slow part of the checks.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crate::error::LayoutError;
use crate::source::{is_test_path, SourceFile, TestModules};

/// This crate's directory, relative to the workspace root: never checked.
pub const THIS_CRATE: &str = "tests/layout";

/// The directories of a crate that hold product code.
const PRODUCT_DIRS: [&str; 2] = ["src", "benches"];

/// The workspace root: two levels above this crate's manifest.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every member crate's product sources.
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root, as given.
    pub root: PathBuf,
    /// The member crates, in the order of the root manifest.
    pub crates: Vec<CrateSources>,
}

/// One crate's product files.
#[derive(Debug)]
pub struct CrateSources {
    /// The package name (`sluice`, `sluice-core`...).
    pub package: String,
    /// The crate directory, relative to the workspace root (`host/core`).
    pub dir: PathBuf,
    /// Its product files under `src/` and `benches/`, sorted by path.
    pub files: Vec<SourceFile>,
}

/// A file to parse: which crate, where.
#[derive(Debug)]
struct Job {
    krate: usize,
    root: PathBuf,
    dir: PathBuf,
    in_crate: PathBuf,
    has_lib: bool,
}

impl Workspace {
    /// Reads and parses the product files of every member but this crate.
    pub fn load(root: &Path) -> Result<Self, LayoutError> {
        let mut members = member_dirs(root)?;
        members.retain(|dir| dir != Path::new(THIS_CRATE));
        Workspace::load_members(root, &members)
    }

    /// Reads and parses the product files of the crates at `members` (relative to `root`);
    /// a member whose directory does not exist is skipped.
    pub fn load_members(root: &Path, members: &[PathBuf]) -> Result<Self, LayoutError> {
        let mut crates = Vec::new();
        let mut jobs = Vec::new();
        for dir in members.iter().filter(|dir| root.join(dir).is_dir()) {
            jobs.extend(crate_jobs(root, dir, crates.len())?);
            let package = package_name(&root.join(dir).join("Cargo.toml"))?;
            crates.push((package, dir.clone(), Vec::new()));
        }
        for (job, file) in jobs.iter().zip(parallel_map(&jobs, Job::run)) {
            crates[job.krate].2.push(file?);
        }
        let crates = crates
            .into_iter()
            .map(|(package, dir, files)| CrateSources::assemble(package, dir, files))
            .collect();
        Ok(Workspace {
            root: root.to_path_buf(),
            crates,
        })
    }

    /// Every product file of every crate.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.crates.iter().flat_map(|krate| &krate.files)
    }
}

impl Job {
    fn run(&self) -> Result<SourceFile, LayoutError> {
        let full = self.root.join(&self.dir).join(&self.in_crate);
        let text = fs::read_to_string(&full).map_err(LayoutError::io(&full))?;
        let path = self.dir.join(&self.in_crate);
        SourceFile::analyze(path, self.in_crate.clone(), self.has_lib, &text)
    }
}

/// The files of the crate at `root/dir` to parse: `.rs` files under `src/` and `benches/`,
/// less `tests.rs` files and `tests/` directories.
fn crate_jobs(root: &Path, dir: &Path, krate: usize) -> Result<Vec<Job>, LayoutError> {
    let crate_dir = root.join(dir);
    let mut files = Vec::new();
    for sub in PRODUCT_DIRS {
        files.extend(rust_files(&crate_dir, Path::new(sub))?);
    }
    files.retain(|in_crate| !is_test_path(in_crate));
    let has_lib = files.iter().any(|file| file == Path::new("src/lib.rs"));
    Ok(files
        .into_iter()
        .map(|in_crate| Job {
            krate,
            root: root.to_path_buf(),
            dir: dir.to_path_buf(),
            in_crate,
            has_lib,
        })
        .collect())
}

impl CrateSources {
    /// Builds a crate from sources in memory, exactly as [`Workspace::load`] builds one from
    /// disk (for tests of the checks themselves).
    pub fn from_sources(
        package: &str,
        dir: &str,
        sources: &[(&str, &str)],
    ) -> Result<Self, LayoutError> {
        let has_lib = sources
            .iter()
            .any(|(in_crate, _)| *in_crate == "src/lib.rs");
        let files = sources
            .iter()
            .filter(|(in_crate, _)| !is_test_path(Path::new(in_crate)))
            .map(|(in_crate, text)| {
                let path = Path::new(dir).join(in_crate);
                SourceFile::analyze(path, PathBuf::from(in_crate), has_lib, text)
            })
            .collect::<Result<_, _>>()?;
        Ok(CrateSources::assemble(
            package.to_owned(),
            dir.into(),
            files,
        ))
    }

    /// Drops the files that are test code: `#![cfg(test)]` files, and the files of modules
    /// declared `#[cfg(test)] mod x;`.
    fn assemble(package: String, dir: PathBuf, mut files: Vec<SourceFile>) -> Self {
        let mut test_modules = TestModules::default();
        for file in &files {
            test_modules.merge(&file.test_modules);
        }
        files.retain(|file| !file.test_only && !test_modules.contains(&file.in_crate));
        CrateSources {
            package,
            dir,
            files,
        }
    }
}

/// Applies `work` to every item on every core; results in the order of `items`.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let next = AtomicUsize::new(0);
    let (next, work) = (&next, &work);
    let mut results: Vec<(usize, R)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(items.len()))
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        done.push((index, work(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The `[workspace] members` of the root manifest, as relative directories.
pub fn member_dirs(root: &Path) -> Result<Vec<PathBuf>, LayoutError> {
    let manifest = root.join("Cargo.toml");
    let table = read_manifest(&manifest)?;
    let members = table
        .get("workspace")
        .and_then(|workspace| workspace.get("members"))
        .and_then(toml::Value::as_array)
        .ok_or_else(|| LayoutError::manifest(&manifest, "no [workspace] members array"))?;
    members
        .iter()
        .map(|member| match member.as_str() {
            Some(dir) if !dir.contains(['*', '?', '[']) => Ok(PathBuf::from(dir)),
            _ => Err(LayoutError::manifest(
                &manifest,
                format!("member {member} is not a plain path (globs are not supported here)"),
            )),
        })
        .collect()
}

fn read_manifest(path: &Path) -> Result<toml::Table, LayoutError> {
    let text = fs::read_to_string(path).map_err(LayoutError::io(path))?;
    toml::from_str(&text).map_err(|error| LayoutError::manifest(path, error.to_string()))
}

fn package_name(manifest: &Path) -> Result<String, LayoutError> {
    read_manifest(manifest)?
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| LayoutError::manifest(manifest, "no [package] name"))
}

/// The `.rs` files under `crate_dir/sub`, relative to `crate_dir`, sorted.
fn rust_files(crate_dir: &Path, sub: &Path) -> Result<Vec<PathBuf>, LayoutError> {
    let dir = crate_dir.join(sub);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(&dir).map_err(LayoutError::io(&dir))? {
        entries.push(entry.map_err(LayoutError::io(&dir))?.path());
    }
    entries.sort();
    let mut files = Vec::new();
    for entry in entries {
        let name = sub.join(entry.file_name().unwrap_or_default());
        if entry.is_dir() {
            files.extend(rust_files(crate_dir, &name)?);
        } else if entry.extension().is_some_and(|ext| ext == "rs") {
            files.push(name);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_and_test_only_modules_are_dropped() {
        let krate = CrateSources::from_sources(
            "demo",
            "demo",
            &[
                ("src/lib.rs", "mod page; #[cfg(test)] mod support;"),
                ("src/page/mod.rs", "#[cfg(test)] mod properties; mod parse;"),
                ("src/page/parse.rs", ""),
                ("src/page/properties.rs", ""),
                ("src/page/tests.rs", ""),
                ("src/support.rs", ""),
                ("src/only_tests.rs", "#![cfg(test)]"),
            ],
        )
        .expect("sources parse");
        let kept: Vec<&Path> = krate.files.iter().map(|f| f.in_crate.as_path()).collect();
        assert_eq!(
            kept,
            [
                Path::new("src/lib.rs"),
                Path::new("src/page/mod.rs"),
                Path::new("src/page/parse.rs"),
            ]
        );
    }

    #[test]
    fn parallel_map_keeps_the_order() {
        let items: Vec<usize> = (0..100).collect();
        assert_eq!(
            parallel_map(&items, |i| i * 2),
            (0..100).map(|i| i * 2).collect::<Vec<_>>()
        );
    }
}
