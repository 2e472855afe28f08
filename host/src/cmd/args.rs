//! The arguments many subcommands share: the global options and `--config`.

use std::path::PathBuf;

use clap::Args;
use sluice_core::{CONFIG_ENV, DEFAULT_CONFIG};

use crate::telemetry::{LogFormat, LogSettings};

/// Options for every subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// More detail: -v for debug logs and the long form of plugin refusals, -vv for trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on standard error.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// Write log lines to this file (appending) instead of standard error. `sluice run` opens
    /// it again on SIGHUP, after log rotation moved it.
    #[arg(long, value_name = "FILE", global = true)]
    pub log_file: Option<PathBuf>,
    /// Also look for plugins in this directory (repeatable), after the executable's directory
    /// and the config's `plugins.directories`.
    #[arg(long = "plugin-dir", value_name = "DIR", global = true)]
    pub plugin_dirs: Vec<PathBuf>,
}

impl GlobalArgs {
    /// What the flags say about logging.
    pub(crate) fn log_settings(&self) -> LogSettings<'_> {
        LogSettings {
            verbose: self.verbose,
            quiet: self.quiet,
            format: self.log_format,
            file: self.log_file.as_deref(),
        }
    }
}

/// The `--config` option shared by subcommands that read a config.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The config file.
    #[arg(
        short,
        long,
        value_name = "FILE",
        env = CONFIG_ENV,
        default_value = DEFAULT_CONFIG
    )]
    pub config: PathBuf,
}
