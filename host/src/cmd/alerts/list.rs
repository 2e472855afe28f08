//! `sluice alerts list`: every alert of the selected directories, on or off, with its file,
//! its threshold, and the response action to paste into Netwrix Auditor (the vendor tool's
//! `/List`).
//!
//! The response action depends on where Auditor runs it, which the config says: a config that
//! serves `[response_intake]` is taken to mean the Auditor server is another machine, which
//! forwards each alert to that intake; otherwise the Auditor server is this machine, and the
//! action runs `sluice alert-response --config` here. The listing names the topology it
//! assumed once, at the top, and how to choose the other.
//!
//! A file that does not load is reported (as `sluice run` would report it) after the alerts
//! that do, and the exit code is then 78, as for an invalid config.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::response_action::{self, ResponseAction, FORWARD_SCRIPT, TOKEN_FILE, WINDOWS_EXE};
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

/// Said where sluice is not a Windows build and the intake is off: the command lines start
/// sluice where Auditor runs them, which is a Windows machine.
const SAME_MACHINE_NOTE: &str = "These command lines start sluice on the machine where Netwrix \
     Auditor runs them, so they work as they are only where Auditor and sluice share a \
     machine. Auditor runs on Windows: to run sluice elsewhere, turn on [response_intake] in \
     this config, and `sluice alerts list` prints what to install on the Auditor server \
     instead (docs/operating.md, \"Three ways to run it\").";

/// What a forwarded response action needs besides its command line.
const FORWARD_NOTES: [&str; 3] = [
    "On the Auditor server, put sluice-forward.cmd and the token file sluice-intake.token \
     (`sluice generate intake-token --out sluice-intake.token` makes it) in \
     C:\\Program Files\\sluice\\, and set SLUICE_URL at the top of the script to the intake's \
     URL above. The account Auditor runs response actions as must be able to read both files.",
    "If Windows does not trust the intake's certificate (a self-signed one), copy the \
     certificate there too and set SLUICE_CA_FILE at the top of the script (--ca-file for \
     sluice.exe).",
    "The sluice.exe line is for a Windows build of sluice used instead of the script: \
     \"Run\" is C:\\Program Files\\sluice\\sluice.exe, \"With parameters\" the rest of the \
     line. The project makes and tests no Windows build.",
];

#[derive(Debug, Serialize)]
struct Listing {
    config: String,
    executable: String,
    /// `same_machine`: Auditor runs `sluice alert-response --config` on this machine;
    /// `forwarded`: the Auditor server forwards to this host's response intake.
    topology: &'static str,
    /// What the forwarded topology installs on the Auditor server; `None` on the same machine.
    forwarder: Option<ForwarderEntry>,
    directories: Vec<DirEntry>,
    alerts: Vec<AlertEntry>,
    problems: Vec<String>,
    notes: Vec<&'static str>,
}

/// The forwarded topology's pieces on the Auditor server, at the places the docs install them
/// (this host cannot see that machine).
#[derive(Debug, Serialize)]
struct ForwarderEntry {
    /// The intake's URL, `response_intake.url`.
    url: String,
    script: &'static str,
    token_file: &'static str,
    executable: &'static str,
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
    /// `None` when none of the directory's pipelines takes response actions. Forwarded: the
    /// script.
    response_action: Option<ResponseAction>,
    /// Forwarded only: the same through a Windows build of sluice (`alert-response --to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    sluice_forwarder: Option<ResponseAction>,
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
    let mut notes = NOTES.to_vec();
    if targets.intake_url.is_some() {
        notes.extend(FORWARD_NOTES);
    } else if !cfg!(windows) {
        notes.push(SAME_MACHINE_NOTE);
    }
    let mut listing = Listing {
        config: targets.config.display().to_string(),
        executable: exe.display().to_string(),
        topology: match targets.intake_url {
            Some(_) => "forwarded",
            None => "same_machine",
        },
        forwarder: targets.intake_url.as_ref().map(|url| ForwarderEntry {
            url: url.clone(),
            script: FORWARD_SCRIPT,
            token_file: TOKEN_FILE,
            executable: WINDOWS_EXE,
        }),
        directories: Vec::new(),
        alerts: Vec::new(),
        problems: Vec::new(),
        notes,
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
                    .push(entry(&definition, dir, targets, &exe, queue));
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
    targets: &Targets,
    exe: &Path,
    queue: Queue<'_>,
) -> AlertEntry {
    let name = definition.name.as_str();
    // No response action, or one that queues into the pipeline named (`None`: the default).
    let pipeline = match queue {
        Queue::Nowhere => None,
        Queue::Default => Some(None),
        Queue::Only(p) => Some(Some(p)),
    };
    let (response_action, sluice_forwarder) = match (pipeline, &targets.intake_url) {
        (None, _) => (None, None),
        (Some(p), None) => (
            Some(response_action::for_alert(exe, &targets.config, name, p)),
            None,
        ),
        (Some(p), Some(url)) => (
            Some(response_action::forward_script(name, p)),
            Some(response_action::forward_sluice(url, name, p)),
        ),
    };
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
        response_action,
        sluice_forwarder,
    }
}

fn render(listing: &Listing) -> String {
    let mut out = vec![format!("Config: {}", listing.config)];
    if let Some(f) = &listing.forwarder {
        out.push(format!(
            "Topology: the Auditor server forwards to this host's intake at {} \
             (response_intake.enabled = true; the URL is response_intake.public_url, or made \
             of this host's name), so each response action runs the forwarder installed on \
             the Auditor server. With response_intake.enabled = false, the Auditor server is \
             taken to be this machine, and the response action runs sluice here.",
            f.url
        ));
    }
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
                "No alerts in {} ({pipelines}): the directory does not exist. \
                 `sluice alerts upload` installs the shipped set there.",
                dir.path
            ));
        }
    }
    for a in &listing.alerts {
        render_alert(a, &mut out);
    }
    if !listing.alerts.is_empty() {
        out.push(String::new());
        out.extend(listing.notes.iter().map(|n| (*n).to_owned()));
    }
    out.push(String::new());
    out.join("\n")
}

fn render_alert(a: &AlertEntry, out: &mut Vec<String>) {
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
    let Some(r) = &a.response_action else {
        out.push(format!(
            "  response action  none: pipeline {} does not take response actions \
             (intake.response_action = false); polling raises this alert",
            a.pipelines.join(", ")
        ));
        return;
    };
    out.push(format!("  Run              {}", r.run));
    out.push(format!("  With parameters  {}", r.parameters));
    match &a.sluice_forwarder {
        Some(f) => out.push(format!("  sluice.exe       {}", f.cmd)),
        None => out.push(format!("  cmd              {}", r.cmd)),
    }
    if let Some(sh) = &r.sh {
        out.push(format!("  sh               {sh}"));
    }
    if let Some(w) = &r.warning {
        out.push(format!("  warning          {w}"));
    }
}
