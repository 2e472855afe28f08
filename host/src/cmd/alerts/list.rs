//! `sluice alerts list`: every alert of the selected directories, on or off, with its file,
//! its threshold, and the response action to paste into Netwrix Auditor (the vendor tool's
//! `/List`).
//!
//! A file that does not load is reported (as `sluice run` would report it) after the alerts
//! that do, and the exit code is then 78, as for an invalid config.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::response_action::{self, ResponseAction};
use super::{absolute, alert_files, label, print, AlertDir, Targets};
use crate::exit;
use sluice_core::{load_alert_file, AlertDefinition, AlertSet};

/// What Auditor's Response Action tab needs besides the command line.
const NOTES: [&str; 3] = [
    "In Netwrix Auditor, open the alert's Response Action tab, tick \"Take action when alert \
     occurs\", paste \"Run\" and \"With parameters\", and untick \"Write data to CSV file\": \
     sluice needs the {AlertID} {RecordID} that Auditor passes only without it.",
    "Auditor appends {AlertID} {RecordID} to the parameters itself; do not type them.",
    "`enabled = false` turns an alert off in sluice for both intakes: polling does not raise \
     it, and Auditor's response action still queues it but sluice ignores it (no ticket; \
     `sluice status` counts it as ignored). Switch the alert off in Auditor too, to stop the \
     response action running at all.",
];

#[derive(Debug, Serialize)]
struct Listing {
    config: String,
    executable: String,
    directories: Vec<DirEntry>,
    alerts: Vec<AlertEntry>,
    problems: Vec<String>,
    notes: [&'static str; 3],
}

#[derive(Debug, Serialize)]
struct DirEntry {
    path: String,
    pipelines: Vec<String>,
    exists: bool,
    alerts: usize,
}

#[derive(Debug, Serialize)]
struct AlertEntry {
    name: String,
    enabled: bool,
    description: String,
    file: String,
    pipelines: Vec<String>,
    threshold: Option<ThresholdEntry>,
    /// `None` when none of the directory's pipelines takes response actions.
    response_action: Option<ResponseAction>,
}

#[derive(Debug, Serialize)]
struct ThresholdEntry {
    count: u32,
    within: String,
    within_secs: u64,
    group_by: Option<String>,
}

pub(super) fn run(targets: &Targets, json: bool) -> anyhow::Result<ExitCode> {
    // What Auditor runs is the front, beside this executable.
    let exe = crate::executables::front()
        .context("cannot find the path of the running sluice executable")?;
    let exe = absolute(&exe)?;
    let mut listing = Listing {
        config: targets.config.display().to_string(),
        executable: exe.display().to_string(),
        directories: Vec::new(),
        alerts: Vec::new(),
        problems: Vec::new(),
        notes: NOTES,
    };
    for dir in &targets.dirs {
        let queue = queue(targets, dir);
        let files = alert_files(&dir.path)?;
        let before = listing.alerts.len();
        for file in &files {
            // Files that do not load are reported below, by the loader `sluice run` uses.
            if let Ok(definition) = load_alert_file(file) {
                listing
                    .alerts
                    .push(entry(&definition, dir, &exe, &targets.config, queue));
            }
        }
        if let Err(errors) = AlertSet::load_dir(&dir.path) {
            listing
                .problems
                .extend(errors.0.iter().map(ToString::to_string));
        }
        listing.directories.push(DirEntry {
            path: dir.path.display().to_string(),
            pipelines: dir.pipeline_names(),
            exists: dir.path.is_dir(),
            alerts: listing.alerts.len() - before,
        });
    }
    if json {
        print(&format!("{}\n", serde_json::to_string_pretty(&listing)?))?;
    } else {
        print(&render(&listing))?;
    }
    if listing.problems.is_empty() {
        Ok(ExitCode::from(exit::OK))
    } else {
        if !json {
            for p in &listing.problems {
                eprintln!("error: {p}");
            }
            eprintln!(
                "{} problem{} in the alert files; `sluice run` refuses to start until they are \
                 fixed.",
                listing.problems.len(),
                if listing.problems.len() == 1 { "" } else { "s" }
            );
        }
        Ok(ExitCode::from(exit::CONFIG))
    }
}

/// Where `sluice alert-response` should queue a directory's alerts.
#[derive(Debug, Clone, Copy)]
enum Queue<'a> {
    /// None of the directory's pipelines takes response actions: no command line.
    Nowhere,
    /// Into every enabled pipeline that takes them (no `--pipeline`).
    Default,
    /// Into this pipeline only (`--pipeline`): the config has other pipelines taking them.
    Only(&'a str),
}

fn queue<'a>(targets: &Targets, dir: &'a AlertDir) -> Queue<'a> {
    let taking: Vec<&str> = dir
        .pipelines
        .iter()
        .filter(|p| p.response_action)
        .map(|p| p.name.as_str())
        .collect();
    match taking.as_slice() {
        [] => Queue::Nowhere,
        [only] if targets.response_pipelines != [*only] => Queue::Only(only),
        _ => Queue::Default,
    }
}

fn entry(
    definition: &AlertDefinition,
    dir: &AlertDir,
    exe: &Path,
    config: &Path,
    queue: Queue<'_>,
) -> AlertEntry {
    AlertEntry {
        name: definition.name.clone(),
        enabled: definition.enabled,
        description: definition.description.clone(),
        file: definition.file.display().to_string(),
        pipelines: dir.pipeline_names(),
        threshold: definition.threshold.as_ref().map(|t| ThresholdEntry {
            count: t.count,
            within: humantime::format_duration(t.within).to_string(),
            within_secs: t.within.as_secs(),
            group_by: t.group_by.clone(),
        }),
        response_action: match queue {
            Queue::Nowhere => None,
            Queue::Default => Some(response_action::for_alert(
                exe,
                config,
                &definition.name,
                None,
            )),
            Queue::Only(p) => Some(response_action::for_alert(
                exe,
                config,
                &definition.name,
                Some(p),
            )),
        },
    }
}

fn render(listing: &Listing) -> String {
    let mut out = vec![format!("Config: {}", listing.config)];
    for dir in &listing.directories {
        let pipelines = label(&dir.pipelines);
        out.push(String::new());
        if dir.exists {
            out.push(format!(
                "{} alert{} in {} ({pipelines}):",
                dir.alerts,
                if dir.alerts == 1 { "" } else { "s" },
                dir.path
            ));
        } else {
            out.push(format!(
                "No alerts in {} (pipeline {pipelines}): the directory does not exist. \
                 `sluice alerts upload` installs the shipped set there.",
                dir.path
            ));
        }
    }
    for a in &listing.alerts {
        out.push(String::new());
        out.push(a.name.clone());
        out.push(format!(
            "  enabled          {}",
            if a.enabled { "yes" } else { "no" }
        ));
        out.push(format!("  file             {}", a.file));
        if let Some(t) = &a.threshold {
            let per = t
                .group_by
                .as_deref()
                .map(|g| format!(", counted per {g}"))
                .unwrap_or_default();
            out.push(format!(
                "  threshold        {} records within {}{per}",
                t.count, t.within
            ));
        }
        match &a.response_action {
            Some(r) => {
                out.push(format!("  Run              {}", r.run));
                out.push(format!("  With parameters  {}", r.parameters));
                out.push(format!("  cmd              {}", r.cmd));
                out.push(format!("  sh               {}", r.sh));
                if let Some(w) = &r.warning {
                    out.push(format!("  warning          {w}"));
                }
            }
            None => out.push(format!(
                "  response action  none: pipeline {} does not take response actions \
                 (intake.response_action = false); polling raises this alert",
                a.pipelines.join(", ")
            )),
        }
    }
    if !listing.alerts.is_empty() {
        out.push(String::new());
        out.extend(NOTES.iter().map(|n| (*n).to_owned()));
    }
    out.push(String::new());
    out.join("\n")
}
