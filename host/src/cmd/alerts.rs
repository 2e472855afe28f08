//! `sluice alerts`: the alert set (being written).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::{ConfigArg, GlobalArgs};

/// Arguments of `sluice alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// What to do.
    #[command(subcommand)]
    pub command: AlertsCommand,
}

/// The `sluice alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List the alerts, enabled or not, with the response-action command line for Auditor.
    List,
}

pub(crate) fn run(_args: AlertsArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
