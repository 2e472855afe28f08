//! `sluice import-legacy`: migration from the vendor add-on (being written).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::GlobalArgs;

/// Arguments of `sluice import-legacy`.
#[derive(Debug, Args)]
pub struct ImportLegacyArgs {
    /// The vendor add-on's ITSMSettings.xml.
    pub itsm_settings: PathBuf,
    /// The vendor add-on's ServiceNowSettings.xml.
    pub servicenow_settings: PathBuf,
    /// Write the config here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(_args: ImportLegacyArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
