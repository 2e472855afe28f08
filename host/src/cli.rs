//! The command line, as clap derives it. Each subcommand's arguments live with the
//! subcommand, in `cmd/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::cmd::{
    AlertResponseArgs, AlertsArgs, AlertsCommand, AuditorArgs, DemoArgs, EmulateArgs,
    EmulatedSystem, ImportLegacyArgs, PluginsArgs, RunArgs, SchemaArgs, ServiceNowArgs, StatusArgs,
    ValidateArgs,
};

/// sluice: Netwrix Auditor activity to ServiceNow incidents, without the flood.
#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options for every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message when they are wrong.
    ///
    /// `alert-response` is parsed on its own: Netwrix Auditor runs it once per alert, up to
    /// eight at a time, and building the whole command tree was a fifth of its start-up work.
    /// Help and version requests still go through the whole tree, so they read the same.
    pub fn parse_args() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let asks_for_help = args.iter().skip(2).any(|a| {
            matches!(
                a.to_str(),
                Some("-h" | "--help" | "-V" | "--version" | "help")
            )
        });
        if args.get(1).is_some_and(|a| a == "alert-response") && !asks_for_help {
            let own = std::iter::once(args[0].clone()).chain(args.into_iter().skip(2));
            let parsed = AlertResponseCli::parse_from(own);
            return Cli {
                global: parsed.global,
                command: Command::AlertResponse(parsed.args),
            };
        }
        Cli::parse_from(args)
    }
}

/// `sluice alert-response`'s arguments, parsed without the other subcommands.
#[derive(Debug, Parser)]
#[command(
    name = "sluice alert-response",
    bin_name = "sluice alert-response",
    max_term_width = 100
)]
struct AlertResponseCli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(flatten)]
    args: AlertResponseArgs,
}

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

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a realistic scenario against built-in emulators and report what sluice did.
    Demo(DemoArgs),
    /// Run the configured pipelines until stopped.
    Run(RunArgs),
    /// Check a config file: exit 0 when valid, 78 when not.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the config, the host's keys and every installed component's.
    Schema(SchemaArgs),
    /// List the installed plugins, their components and ABI versions, and refused files.
    Plugins(PluginsArgs),
    /// Queue an alert from Netwrix Auditor's response action, and exit at once.
    AlertResponse(AlertResponseArgs),
    /// Manage the alert set: list, upload the shipped alerts, enable, disable.
    Alerts(AlertsArgs),
    /// Write a sluice config from the vendor add-on's ITSMSettings.xml and ServiceNowSettings.xml.
    ImportLegacy(ImportLegacyArgs),
    /// Serve an emulator of Netwrix Auditor or ServiceNow on a port.
    Emulate(EmulateArgs),
    /// Show what the state store says of each pipeline: queue, last fetch and delivery, flood
    /// window, open tickets, recent problems (also while `sluice run` runs).
    Status(StatusArgs),
}

/// The variable that names the config file when `--config` does not.
pub const CONFIG_ENV: &str = "SLUICE_CONFIG";
/// The config file when neither `--config` nor [`CONFIG_ENV`] names one.
pub const DEFAULT_CONFIG: &str = "sluice.toml";

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
