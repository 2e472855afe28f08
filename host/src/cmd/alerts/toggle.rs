//! `sluice alerts enable NAME` and `disable NAME`: set `enabled` in the file that defines the
//! alert, matched by its exact name as the vendor tool's `/Update "NAME" Enable|Disable` does.
//!
//! Only the value of `enabled` changes: comments, layout and every other byte of the file stay
//! as they are (`toml_edit`). A file without `enabled` is enabled (the loader's default);
//! disabling it adds `enabled = false` after its last top-level key.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use toml_edit::DocumentMut;

use super::names::{closest_first, read_names};
use super::{print, Targets};
use crate::exit;
use sluice_core::{load_alert_file, read_regular_file, CONFIG_FILE_LIMIT};

pub(super) fn run(targets: &Targets, name: &str, enabled: bool) -> anyhow::Result<ExitCode> {
    let word = if enabled { "enabled" } else { "disabled" };
    let mut found = 0;
    let mut known: Vec<String> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    for dir in &targets.dirs {
        for file in read_names(&dir.path)? {
            match (&file.name, &file.problem) {
                (Some(n), _) if n == name => {
                    found += 1;
                    let changed = set_in_file(&file.path, enabled)?;
                    print(&if changed {
                        format!("{name:?} is now {word} ({}).\n", file.path.display())
                    } else {
                        format!(
                            "{name:?} is already {word} ({}); nothing changed.\n",
                            file.path.display()
                        )
                    })?;
                    // Show what `sluice run` will make of the file, in case it was broken
                    // before (a disabled alert still has to load).
                    if let Err(errors) = load_alert_file(&file.path) {
                        for d in &errors.0 {
                            eprintln!("warning: {d}");
                        }
                    }
                }
                (Some(n), _) => known.push(n.clone()),
                (None, Some(problem)) => {
                    unreadable.push(format!("{}: {problem}", file.path.display()))
                }
                (None, None) => {}
            }
        }
    }
    if found > 0 {
        print(
            "A running `sluice run` notices the edit and reloads its alert files (its log says \
             \"Reloaded the config.\"); a stopped one reads them when it starts.\n",
        )?;
        return Ok(ExitCode::from(exit::OK));
    }
    let dirs: Vec<String> = targets
        .dirs
        .iter()
        .map(|d| format!("{} ({})", d.path.display(), d.label()))
        .collect();
    let mut message = format!(
        "no alert is named {name:?} in {}; names match exactly, case included.",
        dirs.join(", ")
    );
    if known.is_empty() {
        message.push_str(
            " There are no alert files there: `sluice alerts upload` installs the shipped set.",
        );
    } else {
        known.sort();
        known.dedup();
        closest_first(name, &mut known);
        message.push_str(" The alerts there, closest first:");
        for n in &known {
            message.push_str(&format!("\n  {n}"));
        }
    }
    if !unreadable.is_empty() {
        message.push_str("\nThese files could not be searched:");
        for u in &unreadable {
            message.push_str(&format!("\n  {u}"));
        }
    }
    bail!(message)
}

/// Sets `enabled` in `path`; whether the file changed.
fn set_in_file(path: &Path, enabled: bool) -> anyhow::Result<bool> {
    let text = read_regular_file(path, CONFIG_FILE_LIMIT)?;
    let Some(new) =
        set_enabled(&text, enabled).with_context(|| format!("cannot edit {}", path.display()))?
    else {
        return Ok(false);
    };
    std::fs::write(path, new).with_context(|| {
        format!(
            "cannot write {}; check that you may change files in its directory",
            path.display()
        )
    })?;
    Ok(true)
}

/// `text` with `enabled` set, or `None` if it already says so. Everything else is kept byte
/// for byte, the value's surrounding spaces and comment included.
pub(super) fn set_enabled(
    text: &str,
    enabled: bool,
) -> Result<Option<String>, toml_edit::TomlError> {
    let mut doc: DocumentMut = text.parse()?;
    match doc
        .get_mut("enabled")
        .and_then(toml_edit::Item::as_value_mut)
    {
        Some(value) => {
            if value.as_bool() == Some(enabled) {
                return Ok(None);
            }
            let decor = value.decor().clone();
            *value = toml_edit::Value::from(enabled);
            *value.decor_mut() = decor;
        }
        None => {
            // Absent means enabled (the loader's default).
            if enabled && doc.get("enabled").is_none() {
                return Ok(None);
            }
            doc.insert("enabled", toml_edit::value(enabled));
        }
    }
    Ok(Some(doc.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "name = \"A\"  # the name\ndescription = \"\"\"\nline one \\\nline two\"\"\"\nenabled = true   # on\n\n# Filters.\n[filters]\nWhat = [\n    { EndsWith = '\\Domain Admins' },\n]\n";

    #[test]
    fn only_the_value_changes() {
        let off = set_enabled(FILE, false).unwrap().unwrap();
        assert_eq!(off, FILE.replace("enabled = true", "enabled = false"));
        assert_eq!(set_enabled(&off, false).unwrap(), None);
        assert_eq!(set_enabled(&off, true).unwrap().unwrap(), FILE);
    }

    #[test]
    fn an_absent_enabled_is_on_and_is_added_when_turned_off() {
        let text = "name = \"A\"\n\n[filters]\nWho = \"x\"\n";
        assert_eq!(set_enabled(text, true).unwrap(), None);
        let off = set_enabled(text, false).unwrap().unwrap();
        assert_eq!(
            off,
            "name = \"A\"\nenabled = false\n\n[filters]\nWho = \"x\"\n"
        );
    }
}
