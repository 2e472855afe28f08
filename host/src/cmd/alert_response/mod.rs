//! `sluice alert-response`: what Netwrix Auditor runs as an alert's response action.
//!
//! It only queues the alert, durably, and exits 0 at once, whether or not `sluice run` is up:
//! Auditor retries a failing action up to 200 times and waits for it, so it must be quick
//! and idempotent (a retried duplicate is accepted and ignored). It loads no plugin and makes
//! no network call; the running host fetches the record and decides about the ticket.
//!
//! Auditor appends `{AlertID} {RecordID}` after any parameters the action's command line
//! has, so the last two arguments are taken. Handed one path to a CSV file instead (the
//! "Write data to CSV file" option), it reads the records from the file.
//!
//! With `--to URL`, it forwards the alert instead, to `sluice run` on another machine
//! (`forward.rs`): for the Auditor server, where sluice does not run. That reads no config,
//! makes one HTTPS request per intake named (several hosts sharing a store: tried in order,
//! the next only while one could not take the alert), and exits 0 only once a host has
//! committed the alert.

pub(crate) use crate::handoff::csv;
mod forward;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
#[cfg(unix)]
use crate::handoff::hand_off;
use crate::handoff::{self, Handoff};
use sluice_core::{ConfigFile, SecretResolver};

use sluice_core::{Store, Timestamp};

/// Arguments of `sluice alert-response`.
#[derive(Debug, Args)]
pub struct AlertResponseArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The alert's name, as in Auditor (`sluice alerts list` prints the command line with it).
    #[arg(long, value_name = "NAME")]
    pub alert_name: Option<String>,
    /// The pipeline to queue into. Default: every enabled pipeline that takes response actions.
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
    /// `<AlertID> <RecordID>` as Auditor appends them (earlier arguments are ignored), or the
    /// path of the CSV file Auditor wrote.
    #[arg(required = true, num_args = 1.., value_name = "ARGS")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub forward: forward::ForwardArgs,
}

pub(crate) fn run(args: AlertResponseArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if let Some(name) = &args.alert_name {
        check_alert_name(name)?;
    }
    if !args.forward.to.is_empty() {
        return forward::run(&args, &args.forward.to);
    }
    // Auditor runs this once per alert, as its own account: no secret is needed here, so none
    // is looked up (no variable that may be unset, no `exec:` command to wait for).
    let file = ConfigFile::load_with(&args.config.config, &SecretResolver::placeholders())?;
    let pipelines = pipelines(&args, &file)?;
    let now = Timestamp::now();
    let state = &file.config.state;
    let open_store = || {
        // A shared store's URL carries a password, which only this path needs: read the
        // config again, secrets and all.
        let resolved;
        let state = if state.url.is_some() {
            resolved = ConfigFile::load_with(&args.config.config, &SecretResolver::from_env())?;
            &resolved.config.state
        } else {
            state
        };
        Store::connect(state.location()).context("cannot open the state store to queue the alert")
    };

    let csv_path = match args.args.as_slice() {
        [one] => Some(PathBuf::from(one)),
        _ => None,
    };
    let (queued, duplicates) = match csv_path {
        Some(path) if path.exists() => {
            let rows = csv::read(&path).map_err(anyhow::Error::msg)?;
            let name = args.alert_name.as_deref();
            open_store()?.write(|tx| csv::enqueue(tx, &pipelines, &rows, name, now))?
        }
        Some(path) => bail!(
            "expected <AlertID> <RecordID>, or the path of a CSV file; {} is neither. Check the \
             response action's command line in Netwrix Auditor (`sluice alerts list` prints it).",
            path.display()
        ),
        None => {
            let n = args.args.len();
            let (alert_id, record_id) = (&args.args[n - 2], &args.args[n - 1]);
            check_id("AlertID", alert_id)?;
            check_id("RecordID", record_id)?;
            let handoff = Handoff::new(
                pipelines,
                alert_id,
                record_id,
                args.alert_name.as_deref(),
                now,
            );
            match hand_off(&state.path, &handoff) {
                Ok(counts) => counts,
                Err(why) => {
                    tracing::debug!(%why, "Writing the state store directly.");
                    queue_directly(&mut open_store()?, &handoff)?
                }
            }
        }
    };
    tracing::debug!(queued, duplicates, "Queued the alert.");
    Ok(ExitCode::from(exit::OK))
}

/// The pipelines the alert goes to; an error when there are none.
fn pipelines(args: &AlertResponseArgs, file: &ConfigFile) -> anyhow::Result<Vec<String>> {
    let pipelines = handoff::response_pipelines(
        file.config
            .pipelines
            .iter()
            .map(|(name, p)| (name.as_str(), p.takes_response_actions())),
        args.pipeline.as_deref(),
    );
    if pipelines.is_empty() {
        match &args.pipeline {
            Some(p) => bail!(
                "the config {} has no pipeline named {p}",
                args.config.config.display()
            ),
            None => bail!(
                "no enabled pipeline in {} takes response actions (intake.response_action)",
                args.config.config.display()
            ),
        }
    }
    Ok(pipelines)
}

/// The host is not running (or did not answer): queue into the store, as the host would.
fn queue_directly(store: &mut Store, alert: &Handoff) -> anyhow::Result<(usize, usize)> {
    Ok(store.write(|tx| alert.enqueue(tx))?)
}

/// Hands the alert to the running host (`handoff`); not on this platform.
#[cfg(not(unix))]
fn hand_off(_: &std::path::Path, _: &Handoff) -> Result<(usize, usize), &'static str> {
    Err("no hand-off on this platform")
}

/// Refuses an alert name that would forge lines in the host's log
/// ([`sluice_core::check_alert_name`]): nothing is queued. The name is quoted escaped
/// (`{:?}`), so the message is one line.
fn check_alert_name(name: &str) -> anyhow::Result<()> {
    sluice_core::check_alert_name(name).or_else(|problem| {
        bail!(
            "the --alert-name argument {name:?} {problem}. Give the alert's name as it is in \
             Netwrix Auditor, on one line (`sluice alerts list` prints the command line); \
             nothing was queued."
        )
    })
}

/// Refuses an id Auditor would never pass ([`handoff::check_id`]): nothing is queued.
fn check_id(what: &str, id: &str) -> anyhow::Result<()> {
    handoff::check_id(id).or_else(|problem| {
        bail!(
            "the {what} argument {id:?} {problem}. In Netwrix Auditor, the response action's \
             command line must end with {{AlertID}} {{RecordID}} (`sluice alerts list` prints \
             it); nothing was queued."
        )
    })
}
