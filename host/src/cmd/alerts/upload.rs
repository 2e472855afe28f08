//! `sluice alerts upload`: installs the shipped alert set into each selected alert directory
//! (the vendor tool's `/UploadTemplates`), creating the directory if needed, without
//! overwriting what the user changed. For each shipped file:
//!
//! - missing: written, unless another file there already defines the same alert name (then
//!   skipped: two definitions of one name stop `sluice run`);
//! - identical: left alone;
//! - different only in `enabled`: kept (turning alerts on and off is what users do);
//! - different otherwise: kept, with the shipped version written beside it as
//!   `<file>.shipped` to compare (the loader reads only `*.toml`); with `--force`, replaced.
//!
//! A `.shipped` copy is removed once its file is the shipped version again (or differs from it
//! only in `enabled`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde::Serialize;

use super::names::read_names;
use super::shipped::SHIPPED;
use super::toggle::set_enabled;
use super::{label, print, Targets};
use crate::exit;
use sluice_core::{read_regular_bytes, AlertSet, CONFIG_FILE_LIMIT};

#[derive(Debug, Serialize)]
struct Report {
    directories: Vec<DirReport>,
}

#[derive(Debug, Serialize)]
struct DirReport {
    path: String,
    pipelines: Vec<String>,
    created: bool,
    files: Vec<FileReport>,
    /// What `sluice run` would refuse in the directory afterwards.
    problems: Vec<String>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    file: String,
    alert: String,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Written,
    Unchanged,
    Kept,
    Replaced,
    Skipped,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Written,
        Outcome::Replaced,
        Outcome::Unchanged,
        Outcome::Kept,
        Outcome::Skipped,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Written => "written",
            Outcome::Unchanged => "unchanged",
            Outcome::Kept => "kept",
            Outcome::Replaced => "replaced",
            Outcome::Skipped => "skipped",
        }
    }
}

pub(super) fn run(targets: &Targets, force: bool, json: bool) -> anyhow::Result<ExitCode> {
    if SHIPPED.is_empty() {
        bail!(
            "this sluice was built without the shipped alert set (the alerts/ directory was \
             missing at build time); copy the alert files by hand, or use a complete build"
        );
    }
    let mut report = Report {
        directories: Vec::new(),
    };
    for dir in &targets.dirs {
        let created = !dir.path.is_dir();
        std::fs::create_dir_all(&dir.path).with_context(|| {
            format!(
                "cannot create the alert directory {} ({}); create it, or point intake.alerts \
                 somewhere you may write",
                dir.path.display(),
                dir.label()
            )
        })?;
        let mut files = Vec::new();
        for (file, content) in SHIPPED {
            files.push(install(&dir.path, file, content, force)?);
        }
        let problems = match AlertSet::load_dir(&dir.path) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        };
        report.directories.push(DirReport {
            path: dir.path.display().to_string(),
            pipelines: dir.pipeline_names(),
            created,
            files,
            problems,
        });
    }
    if json {
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        print(&render(&report))?;
        for dir in &report.directories {
            for p in &dir.problems {
                eprintln!("warning: {p}");
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// Installs one shipped file into `dir`.
fn install(dir: &Path, file: &str, content: &str, force: bool) -> anyhow::Result<FileReport> {
    let path = dir.join(file);
    let shipped_path = dir.join(format!("{file}.shipped"));
    let alert = name_of(content).unwrap_or_default();
    let report = |outcome, detail: Option<String>| FileReport {
        file: path.display().to_string(),
        alert: alert.clone(),
        outcome,
        detail,
    };
    let write = |target: &Path| {
        std::fs::write(target, content).with_context(|| {
            format!(
                "cannot write {}; check that you may change files in {}",
                target.display(),
                dir.display()
            )
        })
    };
    let existing = match read_regular_bytes(&path, CONFIG_FILE_LIMIT) {
        Ok(bytes) => bytes,
        Err(e) if e.io_kind() == Some(std::io::ErrorKind::NotFound) => {
            let clash = read_names(dir)?
                .into_iter()
                .find(|n| n.name.as_deref() == Some(alert.as_str()));
            if let Some(other) = clash {
                return Ok(report(
                    Outcome::Skipped,
                    Some(format!(
                        "{} already defines {alert:?}; two files with one name stop `sluice run`",
                        other.path.display()
                    )),
                ));
            }
            write(&path)?;
            return Ok(report(Outcome::Written, None));
        }
        Err(e) => return Err(e.into()),
    };
    if existing == content.as_bytes() {
        remove_copy(&shipped_path)?;
        return Ok(report(Outcome::Unchanged, None));
    }
    if force {
        write(&path)?;
        remove_copy(&shipped_path)?;
        return Ok(report(
            Outcome::Replaced,
            Some("your version was replaced (--force)".to_owned()),
        ));
    }
    let yours = String::from_utf8_lossy(&existing);
    if differs_only_in_enabled(&yours, content) {
        remove_copy(&shipped_path)?;
        return Ok(report(
            Outcome::Kept,
            Some("only `enabled` differs from the shipped version".to_owned()),
        ));
    }
    write(&shipped_path)?;
    Ok(report(
        Outcome::Kept,
        Some(format!(
            "kept your edited {}; the shipped version is in {} (compare them; \
             `sluice alerts upload --force` replaces yours)",
            path.display(),
            shipped_path.display()
        )),
    ))
}

/// Removes the `.shipped` copy an earlier upload left beside a file, once there is nothing
/// left to compare.
fn remove_copy(shipped_path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(shipped_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", shipped_path.display()))
        }
        _ => Ok(()),
    }
}

/// Whether `yours` is the shipped `content` with only its `enabled` value changed.
fn differs_only_in_enabled(yours: &str, content: &str) -> bool {
    let Ok(table) = yours.parse::<toml::Table>() else {
        return false;
    };
    let enabled = table
        .get("enabled")
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    match set_enabled(content, enabled) {
        Ok(Some(adjusted)) => adjusted == yours,
        Ok(None) | Err(_) => false,
    }
}

/// The `name` of an alert file's text.
fn name_of(content: &str) -> Option<String> {
    let table = content.parse::<toml::Table>().ok()?;
    Some(table.get("name")?.as_str()?.to_owned())
}

fn render(report: &Report) -> String {
    let mut out = Vec::new();
    for dir in &report.directories {
        out.push(format!(
            "{}{} ({}):",
            dir.path,
            if dir.created { ", created" } else { "" },
            label(&dir.pipelines)
        ));
        for f in &dir.files {
            let file = Path::new(&f.file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let outcome = f.outcome.as_str();
            out.push(match &f.detail {
                Some(detail) if detail.starts_with("kept") => format!("  {detail}"),
                Some(detail) => format!("  {outcome:<9}  {file} ({detail})"),
                None => format!("  {outcome:<9}  {file}"),
            });
        }
        let counts: Vec<String> = Outcome::ALL
            .iter()
            .filter_map(|o| {
                let n = dir.files.iter().filter(|f| f.outcome == *o).count();
                (n > 0).then(|| format!("{n} {}", o.as_str()))
            })
            .collect();
        out.push(format!(
            "{} shipped alert{}: {}.",
            dir.files.len(),
            if dir.files.len() == 1 { "" } else { "s" },
            counts.join(", ")
        ));
    }
    out.push(
        "Next: `sluice alerts list` prints each alert's response-action command line for \
         Netwrix Auditor; `sluice alerts enable NAME` and `disable NAME` turn one on or off."
            .to_owned(),
    );
    out.push(String::new());
    out.join("\n")
}
