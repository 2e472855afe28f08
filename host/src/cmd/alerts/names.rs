//! Alert names: which file in a directory defines which name, and known names ranked by how
//! close they are to a mistyped one.
//!
//! Names are read from the TOML alone, without checking filters or templates, so a file with
//! a bad filter can still be found by name (to turn it off, or to notice a clash).

use std::path::{Path, PathBuf};

use super::alert_files;
use sluice_core::{read_regular_file, CONFIG_FILE_LIMIT};

/// One alert file and the name it defines.
#[derive(Debug)]
pub(super) struct NamedFile {
    pub(super) path: PathBuf,
    /// `None` when the file is not TOML or has no `name` string; `problem` says which.
    pub(super) name: Option<String>,
    pub(super) problem: Option<String>,
}

/// The alert files of `dir` with their names, sorted by file name.
pub(super) fn read_names(dir: &Path) -> anyhow::Result<Vec<NamedFile>> {
    let mut out = Vec::new();
    for path in alert_files(dir)? {
        let (name, problem) = match read_regular_file(&path, CONFIG_FILE_LIMIT) {
            Err(e) => (None, Some(format!("cannot read it: {}", e.problem()))),
            Ok(text) => match text.parse::<toml::Table>() {
                Err(e) => (None, Some(format!("invalid TOML: {}", e.message().trim()))),
                Ok(table) => match table.get("name").and_then(toml::Value::as_str) {
                    Some(name) => (Some(name.to_owned()), None),
                    None => (None, Some("it has no `name = \"...\"`".to_owned())),
                },
            },
        };
        out.push(NamedFile {
            path,
            name,
            problem,
        });
    }
    Ok(out)
}

/// `names` sorted closest to `wanted` first (edit distance, ignoring case), then by name.
pub(super) fn closest_first(wanted: &str, names: &mut [String]) {
    let wanted = wanted.to_lowercase();
    names.sort_by_cached_key(|n| (distance(&wanted, &n.to_lowercase()), n.clone()));
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_come_first() {
        let mut names = vec![
            "ITSM Add-On: Mass File Deletion".to_owned(),
            "ITSM Add-On: User Account Locked Out".to_owned(),
            "ITSM Add-On: User Account Enabled".to_owned(),
        ];
        closest_first("itsm add-on: user acount locked out", &mut names);
        assert_eq!(names[0], "ITSM Add-On: User Account Locked Out");
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
}
