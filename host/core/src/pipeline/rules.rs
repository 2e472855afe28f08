//! Alert definitions: one TOML file per alert in the pipeline's alert directory.
//!
//! A definition names the alert and describes it, and holds Integration API filters
//! (`filter.rs`), an optional threshold ("N records within T, per value of a field", as
//! Auditor alerts have) and optional overrides of the ticket's fields. Alerts that arrive from
//! Auditor's response action are already triggered: sluice only looks their definition up by
//! name (for the description and overrides). Polled records are matched against every enabled
//! definition.
//!
//! ```toml
//! name = "ITSM Add-On: User Account Locked Out"
//! description = "A user account was locked out."
//! enabled = true
//!
//! [filters]
//! DataSource = "Active Directory"
//! Detail = "Account Locked Out"
//!
//! [threshold]            # optional
//! count = 10
//! within = "5m"
//! group_by = "Who"       # optional
//!
//! [ticket]               # optional overrides of the pipeline's ticket fields
//! urgency = "2"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::filter::{Filters, RecordView, RuleIndex};
use super::mapping::ALERT_PLACEHOLDERS;
use super::template::Template;
use crate::config::{ConfigErrors, Diagnostic, HumanDuration, SourceMap};
use crate::file::{read_regular_file, CONFIG_FILE_LIMIT};
use crate::time::Timestamp;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    filters: toml::Table,
    #[serde(default)]
    threshold: Option<ThresholdFile>,
    #[serde(default)]
    ticket: BTreeMap<String, String>,
}

const fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdFile {
    count: u32,
    within: HumanDuration,
    #[serde(default)]
    group_by: Option<String>,
}

/// "N records within T, per value of a field."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// Records needed.
    pub count: u32,
    /// Within this long (by the records' own times).
    pub within: Duration,
    /// Counted separately per value of this record field (`Who`, say).
    pub group_by: Option<String>,
}

/// One alert definition.
#[derive(Debug, Clone)]
pub struct AlertDefinition {
    /// The alert's name, as Auditor and the tickets show it.
    pub name: String,
    /// What it means; `%AlertDescription%`.
    pub description: String,
    /// Whether it is in use.
    pub enabled: bool,
    /// Which records it selects (polling).
    pub filters: Filters,
    /// How many records it takes to fire (polling).
    pub threshold: Option<Threshold>,
    /// Ticket field overrides.
    pub ticket: BTreeMap<String, Template>,
    /// The file it came from.
    pub file: PathBuf,
}

/// The alert definitions of a pipeline.
#[derive(Debug, Clone, Default)]
pub struct AlertSet {
    alerts: Vec<AlertDefinition>,
    by_name: HashMap<String, usize>,
    /// The enabled definitions with filters (polling), and an index over their filters.
    polled: Vec<usize>,
    index: RuleIndex,
}

impl AlertSet {
    /// A set of `alerts`.
    pub fn new(alerts: Vec<AlertDefinition>) -> Self {
        let by_name = alerts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        let polled: Vec<usize> = alerts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.enabled && !a.filters.is_empty())
            .map(|(i, _)| i)
            .collect();
        let index = RuleIndex::new(polled.iter().map(|&i| &alerts[i].filters));
        AlertSet {
            alerts,
            by_name,
            polled,
            index,
        }
    }

    /// The enabled definitions whose filters select `record` at host time `now`, in file order
    /// (polling).
    /// Definitions without filters select nothing: they exist for response-action alerts.
    pub fn matching<'a>(
        &'a self,
        record: &'a RecordView,
        now: Timestamp,
    ) -> impl Iterator<Item = &'a AlertDefinition> + 'a {
        self.index
            .candidates(record)
            .into_iter()
            .map(move |i| &self.alerts[self.polled[i]])
            .filter(move |a| a.filters.matches(record, now))
    }

    /// Loads every `*.toml` file in `dir`. A missing directory is an empty set. Every problem
    /// in every file is reported, placed at its line and key.
    pub fn load_dir(dir: &Path) -> Result<AlertSet, ConfigErrors> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(ConfigErrors::one(Diagnostic::new(
                    dir,
                    format!("cannot read the alert directory: {e}"),
                )))
            }
        };
        files.sort();
        let mut alerts = Vec::new();
        let mut problems = Vec::new();
        for file in files {
            match load_file(&file) {
                Ok(alert) => alerts.push(alert),
                Err(errors) => problems.extend(errors.0),
            }
        }
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        for a in &alerts {
            if let Some(first) = seen.insert(a.name.as_str(), a.file.as_path()) {
                problems.push(Diagnostic::new(
                    &a.file,
                    format!(
                        "the alert name {:?} is also used by {}; names must be unique",
                        a.name,
                        first.display()
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(AlertSet::new(alerts))
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// The definition named `name`.
    pub fn get(&self, name: &str) -> Option<&AlertDefinition> {
        self.by_name.get(name).map(|&i| &self.alerts[i])
    }

    /// Every definition, in file order.
    pub fn all(&self) -> &[AlertDefinition] {
        &self.alerts
    }

    /// Whether alerts named `name` are turned off: a definition of that name exists and is
    /// disabled. (Response-action alerts without a definition are taken as they come.)
    pub fn is_disabled(&self, name: &str) -> bool {
        self.get(name).is_some_and(|d| !d.enabled)
    }

    /// The enabled definitions.
    pub fn enabled(&self) -> impl Iterator<Item = &AlertDefinition> {
        self.alerts.iter().filter(|a| a.enabled)
    }
}

/// Refuses an alert name that would forge lines in the host's log or rewrite a terminal:
/// empty, or holding a line break or another control character. Wherever a name arrives (an
/// alert file, `--alert-name`, the hand-off socket) it is checked with this.
///
/// # Errors
///
/// What is wrong with the name, to follow "the alert name {name:?} ".
pub fn check_alert_name(name: &str) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        Err("is empty")
    } else if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        Err("contains a line break or control character")
    } else {
        Ok(())
    }
}

/// Loads one alert definition file.
pub fn load_file(file: &Path) -> Result<AlertDefinition, ConfigErrors> {
    let text = read_regular_file(file, CONFIG_FILE_LIMIT).map_err(|e| {
        ConfigErrors::one(Diagnostic::new(
            file,
            format!("cannot read the alert definition: {}", e.problem()),
        ))
    })?;
    let source = SourceMap::new(file, text)?;
    let raw: AlertFile = source.deserialize()?;
    let mut problems = Vec::new();
    if raw.name.trim().is_empty() {
        problems.push(source.diagnostic("name", "must not be empty"));
    } else if let Err(problem) = check_alert_name(&raw.name) {
        problems.push(source.diagnostic("name", format!("{problem}; a name is one line")));
    }
    let filters = Filters::parse(&raw.filters).unwrap_or_else(|e| {
        problems.push(source.diagnostic(&format!("filters.{}", e.key), e.message));
        Filters::default()
    });
    let threshold = raw.threshold.map(|t| {
        if t.count == 0 {
            problems.push(source.diagnostic("threshold.count", "must be at least 1"));
        }
        if t.within.get().is_zero() {
            problems.push(
                source.diagnostic("threshold.within", "must be longer than zero, like \"5m\""),
            );
        }
        Threshold {
            count: t.count,
            within: t.within.get(),
            group_by: t.group_by,
        }
    });
    let mut ticket = BTreeMap::new();
    for (field, text) in &raw.ticket {
        match Template::parse(text, Some(ALERT_PLACEHOLDERS)) {
            Ok(t) => {
                ticket.insert(field.clone(), t);
            }
            Err(e) => problems.push(source.diagnostic(&format!("ticket.{field}"), e.to_string())),
        }
    }
    if !problems.is_empty() {
        return Err(ConfigErrors(problems));
    }
    Ok(AlertDefinition {
        name: raw.name,
        description: raw.description,
        enabled: raw.enabled,
        filters,
        threshold,
        ticket,
        file: file.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn loads_definitions_and_reports_every_problem_placed() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.toml",
            r#"name = "ITSM Add-On: User Account Locked Out"
description = "Locked."
[filters]
Detail = "Account Locked Out"
[threshold]
count = 3
within = "5m"
group_by = "Who"
[ticket]
urgency = "2"
"#,
        );
        write(dir.path(), "notes.txt", "ignored");
        let set = AlertSet::load_dir(dir.path()).unwrap();
        let a = set.get("ITSM Add-On: User Account Locked Out").unwrap();
        assert_eq!(a.threshold.as_ref().unwrap().count, 3);
        assert!(a.ticket.contains_key("urgency"));

        write(
            dir.path(),
            "b.toml",
            "name = \"B\"\n[filters]\nWhom = \"x\"\n[ticket]\nshort_description = \"%AlertNam%\"\n",
        );
        let err = AlertSet::load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.toml:3:1: filters.Whom: not a filter field"),
            "{err}"
        );
        assert!(
            err.contains("b.toml:5:1: ticket.short_description: unknown placeholder %AlertNam%"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_directory_is_an_empty_set() {
        let set = AlertSet::load_dir(Path::new("/nonexistent/alerts")).unwrap();
        assert!(set.all().is_empty());
    }

    #[test]
    fn a_name_that_would_forge_log_lines_is_refused() {
        for name in [
            "a\nb",
            "a\rb",
            "a\u{1b}[2Kb",
            "a\tb",
            "a\u{2028}b",
            "a\u{85}b",
        ] {
            assert_eq!(
                check_alert_name(name),
                Err("contains a line break or control character"),
                "{name:?}"
            );
        }
        assert_eq!(check_alert_name(" "), Err("is empty"));
        assert_eq!(
            check_alert_name("ITSM Add-On: User Account Locked Out (ü, 日本)"),
            Ok(())
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", "name = \"Locked\\nINFO forged\"\n");
        let err = AlertSet::load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("name: contains a line break or control character"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_among_the_alert_files_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        let alerts = dir.path().to_owned();
        std::thread::spawn(move || {
            let _ = tx.send(AlertSet::load_dir(&alerts).map(drop));
        });
        let err = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("loading the alert directory blocked on a FIFO")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("fifo.toml: cannot read the alert definition: it is a FIFO"),
            "{err}"
        );
    }
}
