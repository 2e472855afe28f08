//! Where PostgreSQL's server binaries are: `SLUICE_TEST_PG_BIN` when set, else the newest
//! Debian install under `/usr/lib/postgresql/*/bin` (Debian keeps `initdb` off PATH), else
//! `initdb` on PATH.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::ClusterError;

/// The variable naming the directory of `initdb` and `postgres`.
pub(crate) const BIN_VARIABLE: &str = "SLUICE_TEST_PG_BIN";

/// Where Debian installs each major version, one directory per version.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// A PostgreSQL install this crate can run.
#[derive(Debug, Clone)]
pub(crate) struct Install {
    /// The directory holding `initdb` and `postgres`.
    pub bin: PathBuf,
    /// `postgres --version`'s version, such as `15.18`: templates are kept per version.
    pub version: String,
}

impl Install {
    /// Finds the install to use, looking where the module documentation says.
    pub(crate) fn find() -> Result<Install, ClusterError> {
        let bin = find_bin(
            env::var_os(BIN_VARIABLE),
            Path::new(DEBIAN_ROOT),
            env::var_os("PATH"),
        )?;
        let version = version(&bin)?;
        Ok(Install { bin, version })
    }

    /// The path of the program `name` in this install.
    pub(crate) fn program(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }
}

/// The directory to use: `variable` if given, else the newest under `debian_root`, else that
/// of the first `initdb` on `path`, links followed; a directory counts only if it has
/// `postgres` too.
fn find_bin(
    variable: Option<OsString>,
    debian_root: &Path,
    path: Option<OsString>,
) -> Result<PathBuf, ClusterError> {
    if let Some(dir) = variable.filter(|value| !value.is_empty()) {
        let dir = PathBuf::from(dir);
        return if is_server_dir(&dir) {
            Ok(dir)
        } else {
            Err(ClusterError::NotInstalled {
                searched: format!("{BIN_VARIABLE}={}", dir.display()),
            })
        };
    }
    if let Some(dir) = newest_debian_bin(debian_root) {
        return Ok(dir);
    }
    let path = path.unwrap_or_default();
    // `initdb` on PATH may be a link to the install's own directory, where `postgres` is.
    let on_path = env::split_paths(&path)
        .filter_map(|dir| fs::canonicalize(dir.join("initdb")).ok())
        .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
        .find(|dir| is_server_dir(dir));
    if let Some(dir) = on_path {
        return Ok(dir);
    }
    Err(ClusterError::NotInstalled {
        searched: format!(
            "{}/*/bin, then PATH={}; {BIN_VARIABLE} is not set",
            debian_root.display(),
            path.to_string_lossy()
        ),
    })
}

/// Whether `dir` holds both server programs.
fn is_server_dir(dir: &Path) -> bool {
    ["initdb", "postgres"]
        .iter()
        .all(|name| dir.join(name).is_file())
}

/// The `bin` directory of the highest version under `root` (`15` beats `9.6`).
fn newest_debian_bin(root: &Path) -> Option<PathBuf> {
    let entries = fs::read_dir(root).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let number = version_number(&entry.file_name().to_string_lossy())?;
            let bin = entry.path().join("bin");
            is_server_dir(&bin).then_some((number, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// `15` or `9.6` as numbers that compare the way versions do.
fn version_number(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// The version `postgres --version` reports (it runs as root for this one question).
fn version(bin: &Path) -> Result<String, ClusterError> {
    let program = bin.join("postgres");
    let output = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(ClusterError::io(format!(
            "run {} --version",
            program.display()
        )))?;
    let text = String::from_utf8_lossy(&output.stdout);
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let version = text.split_whitespace().nth(2).unwrap_or_default();
    if !output.status.success() || version.is_empty() {
        return Err(ClusterError::Command {
            program: format!("{} --version", program.display()),
            status: output.status,
            output: format!("{text}{}", String::from_utf8_lossy(&output.stderr)),
        });
    }
    Ok(version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake install: `initdb` and `postgres` as empty files under `dir`.
    fn fake_bin(dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        for name in ["initdb", "postgres"] {
            fs::write(dir.join(name), "").unwrap();
        }
        dir.to_path_buf()
    }

    #[test]
    fn the_variable_wins_and_is_the_only_place_searched_when_set() {
        let temp = tempfile::tempdir().unwrap();
        let chosen = fake_bin(&temp.path().join("chosen"));
        let debian = temp.path().join("debian");
        fake_bin(&debian.join("15/bin"));
        let found = find_bin(Some(chosen.clone().into()), &debian, None).unwrap();
        assert_eq!(found, chosen);

        let empty = temp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let error = find_bin(Some(empty.clone().into()), &debian, None).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(&format!("{BIN_VARIABLE}={}", empty.display())),
            "{message}"
        );
    }

    #[test]
    fn the_newest_debian_version_wins_over_path() {
        let temp = tempfile::tempdir().unwrap();
        let debian = temp.path().join("debian");
        fake_bin(&debian.join("9.6/bin"));
        fake_bin(&debian.join("15/bin"));
        fs::create_dir_all(debian.join("16/bin")).unwrap(); // no programs: not an install
        let on_path = fake_bin(&temp.path().join("on-path"));
        let found = find_bin(None, &debian, Some(on_path.into())).unwrap();
        assert_eq!(found, debian.join("15/bin"));
    }

    #[test]
    fn path_is_searched_last_and_the_error_lists_every_place() {
        let temp = tempfile::tempdir().unwrap();
        let debian = temp.path().join("no-debian");
        let empty = temp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let on_path = fake_bin(&temp.path().join("on-path"));
        let path = env::join_paths([&empty, &on_path]).unwrap();
        let found = find_bin(None, &debian, Some(path)).unwrap();
        assert_eq!(found, on_path.canonicalize().unwrap());

        // A link to initdb on PATH leads to the directory it lives in, beside postgres.
        let links = temp.path().join("links");
        fs::create_dir(&links).unwrap();
        std::os::unix::fs::symlink(on_path.join("initdb"), links.join("initdb")).unwrap();
        let found = find_bin(None, &debian, Some(links.into())).unwrap();
        assert_eq!(found, on_path.canonicalize().unwrap());

        let error = find_bin(None, &debian, Some(empty.clone().into())).unwrap_err();
        let message = error.to_string();
        for expected in [
            format!("{BIN_VARIABLE} is not set"),
            format!("{}/*/bin", debian.display()),
            format!("PATH={}", empty.display()),
            "`apt-get install postgresql`".to_owned(),
        ] {
            assert!(message.contains(&expected), "{expected:?} not in {message}");
        }
    }
}
