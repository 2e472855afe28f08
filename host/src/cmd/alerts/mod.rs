//! `sluice alerts`: the alert set of the configured pipelines, what the vendor's
//! `Netwrix.ITSM.AlertsUploaderTool.exe` does for the add-on.
//!
//! | sluice | vendor tool | what it does |
//! |---|---|---|
//! | `list` | `/List` | each alert, on or off, with the response-action command line for Auditor |
//! | `upload` | `/UploadTemplates` | installs the shipped set (`alerts/` in the source tree, embedded in the binary) |
//! | `enable NAME`, `disable NAME` | `/Update "NAME" Enable\|Disable` | sets `enabled` in that alert's file, matched by exact name |
//!
//! The alert directories come from the config: each pipeline's `intake.alerts` (relative to the
//! config file's directory, as `sluice run` reads it), for every enabled pipeline or the one named
//! with `--pipeline`. These commands read alert files and the config only: they load no
//! plugin, open no state store and contact nothing, so they work on a machine where the
//! service's secrets or plugins are not at hand.

mod list;
mod names;
mod response_action;
mod shipped;
mod toggle;
mod upload;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::output::print;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::cmd::GlobalArgs;
use sluice_core::{read_regular_file, ConfigFile, SecretResolver, CONFIG_FILE_LIMIT};

/// Arguments of `sluice alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// The config file; each pipeline's `intake.alerts` names its alert directory.
    #[arg(
        short,
        long,
        value_name = "FILE",
        env = "SLUICE_CONFIG",
        default_value = "sluice.toml",
        global = true
    )]
    pub config: PathBuf,
    /// Only this pipeline's alert directory. Default: every enabled pipeline's.
    #[arg(long, value_name = "NAME", global = true)]
    pub pipeline: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: AlertsCommand,
}

/// The `sluice alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List the alerts, enabled or not, with the response-action command line for Auditor.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Install the shipped alert set into the alert directory; files you edited are kept.
    Upload {
        /// Replace files that differ from the shipped version (your edits are lost).
        #[arg(long)]
        force: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Turn an alert on: set `enabled = true` in its file (the rest of the file is kept).
    Enable {
        /// The alert's name, exactly (e.g. "ITSM Add-On: User Account Locked Out").
        name: String,
    },
    /// Turn an alert off: set `enabled = false` in its file (the rest of the file is kept).
    Disable {
        /// The alert's name, exactly (e.g. "ITSM Add-On: User Account Locked Out").
        name: String,
    },
}

pub(crate) fn run(args: AlertsArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let targets = Targets::load(&args.config, args.pipeline.as_deref())?;
    match args.command {
        AlertsCommand::List { json } => list::run(&targets, json),
        AlertsCommand::Upload { force, json } => upload::run(&targets, force, json),
        AlertsCommand::Enable { name } => toggle::run(&targets, &name, true),
        AlertsCommand::Disable { name } => toggle::run(&targets, &name, false),
    }
}

/// The alert directories a command works on, from the config.
#[derive(Debug)]
struct Targets {
    /// The config file, absolute (it goes into the response action's command line).
    config: PathBuf,
    /// Every pipeline of the config that takes response actions and is enabled.
    response_pipelines: Vec<String>,
    /// The URL of this host's response intake when the config serves one: the Auditor server
    /// is then another machine, and its response actions forward alerts there.
    intake_url: Option<String>,
    /// The selected directories, each with the selected pipelines that use it, in pipeline
    /// order; absolute.
    dirs: Vec<AlertDir>,
}

/// One alert directory and the pipelines that read it.
#[derive(Debug)]
struct AlertDir {
    path: PathBuf,
    pipelines: Vec<Pipeline>,
}

#[derive(Debug)]
struct Pipeline {
    name: String,
    response_action: bool,
}

impl AlertDir {
    fn pipeline_names(&self) -> Vec<String> {
        self.pipelines.iter().map(|p| p.name.clone()).collect()
    }

    fn label(&self) -> String {
        label(&self.pipeline_names())
    }
}

/// "pipeline main" or "pipelines a, b", for messages.
fn label(pipelines: &[String]) -> String {
    match pipelines {
        [one] => format!("pipeline {one}"),
        _ => format!("pipelines {}", pipelines.join(", ")),
    }
}

impl Targets {
    fn load(config: &Path, only: Option<&str>) -> anyhow::Result<Targets> {
        let file = read_config(config)?;
        let config = absolute(config)?;
        let pipelines = &file.config.pipelines;
        if let Some(name) = only {
            if !pipelines.contains_key(name) {
                bail!(
                    "the config {} has no pipeline named {name:?}; its pipelines are: {}",
                    config.display(),
                    list_or_none(pipelines.keys())
                );
            }
        } else if !pipelines.values().any(|p| p.enabled) {
            bail!(
                "the config {} has no enabled pipeline, so no alert directory to work on; \
                 enable one, or name one with --pipeline NAME (its pipelines are: {})",
                config.display(),
                list_or_none(pipelines.keys())
            );
        }
        let mut dirs: BTreeMap<PathBuf, AlertDir> = BTreeMap::new();
        let mut order: Vec<PathBuf> = Vec::new();
        for (name, p) in pipelines {
            let selected = match only {
                Some(wanted) => name == wanted,
                None => p.enabled,
            };
            if !selected {
                continue;
            }
            let path = absolute(&p.intake.alerts)?;
            let dir = dirs.entry(path.clone()).or_insert_with(|| {
                order.push(path.clone());
                AlertDir {
                    path,
                    pipelines: Vec::new(),
                }
            });
            dir.pipelines.push(Pipeline {
                name: name.clone(),
                response_action: p.intake.response_action,
            });
        }
        let intake = &file.config.response_intake;
        Ok(Targets {
            config,
            intake_url: intake.enabled.then(|| intake.url(&host_name())),
            response_pipelines: crate::handoff::response_pipelines(
                pipelines
                    .iter()
                    .map(|(n, p)| (n.as_str(), p.takes_response_actions())),
                None,
            ),
            dirs: order
                .into_iter()
                .filter_map(|path| dirs.remove(&path))
                .collect(),
        })
    }
}

/// The config at `path`, its secrets left unresolved.
fn read_config(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = read_regular_file(path, CONFIG_FILE_LIMIT)
        .map_err(|e| anyhow::Error::msg(e.problem()))
        .with_context(|| {
            format!(
                "cannot read the config {}; pass --config FILE (the file `sluice run` uses)",
                path.display()
            )
        })?;
    // The alerts commands never use a secret's value, and the shell an administrator runs
    // them from rarely has the service's environment: an unset `${VAR}` must not stop them.
    Ok(ConfigFile::parse(
        path,
        text,
        &SecretResolver::placeholders(),
    )?)
}

/// This machine's name, for the intake's URL when the config gives no `public_url` (which a
/// site sets when the Auditor server knows this host by another name): the `HOSTNAME`
/// variable, else `/etc/hostname`, else `localhost`.
fn host_name() -> String {
    [
        std::env::var("HOSTNAME").ok(),
        std::fs::read_to_string("/etc/hostname").ok(),
    ]
    .into_iter()
    .flatten()
    .map(|name| name.trim().to_owned())
    .find(|name| !name.is_empty())
    .unwrap_or_else(|| "localhost".to_owned())
}

/// `path` made absolute against the working directory, without resolving links: a Windows
/// `canonicalize` would turn it into a `\\?\` path, which Auditor's form and cmd do not take.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make {} absolute", path.display()))
}

fn list_or_none<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The `*.toml` files of `dir`, sorted by name, as the loader reads them; none if the
/// directory does not exist.
fn alert_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the alert directory {}", dir.display()))
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
