//! The command line, as clap derives it. Each subcommand's arguments live with the
//! subcommand, in `cmd/`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::{
    AlertResponseArgs, AlertsArgs, DeadLettersArgs, DemoArgs, EmulateArgs, ExplainArgs,
    GenerateArgs, ImportLegacyArgs, MoveStoreArgs, PluginsArgs, RunArgs, SchemaArgs, StatusArgs,
    ValidateArgs,
};
pub use crate::cmd::{ConfigArg, GlobalArgs};

/// This build of sluice: its version, the git revision it was built from, and its target
/// (`sluice --version`, and `sluice_build_info` in the metrics).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision ",
    env!("SLUICE_REVISION"),
    ", ",
    env!("SLUICE_TARGET"),
    ")"
);

/// sluice: Netwrix Auditor activity to ServiceNow incidents, without the flood.
#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version = VERSION,
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
        let args: Vec<OsString> = std::env::args_os().collect();
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
        let mut cli = Cli::parse_from(&args);
        if let Some(dirs) = plugin_dirs(&args) {
            cli.global.plugin_dirs = dirs;
        }
        cli
    }
}

/// Every `--plugin-dir` of the command line, before and after the subcommand, in order. clap
/// keeps only the subcommand's when a global option is given on both sides, and a directory
/// given before the subcommand must not be dropped. (The arguments are valid: clap parsed
/// them first.) `None` for a `--plugin-dir=…` that is not UTF-8: clap's reading stands.
fn plugin_dirs(args: &[OsString]) -> Option<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--plugin-dir" {
            dirs.extend(args.next().map(PathBuf::from));
        } else if arg.to_string_lossy().starts_with("--plugin-dir=") {
            let dir = arg.to_str()?.strip_prefix("--plugin-dir=")?;
            dirs.push(PathBuf::from(dir));
        }
    }
    Some(dirs)
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
    /// Queue an alert from Netwrix Auditor's response action, and exit at once; with --to,
    /// forward it to `sluice run` on another machine.
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
    /// Say what sluice would do with an activity record, and why, without writing anything:
    /// which alerts it raises, what suppression decides now, the incident fields it sends.
    Explain(ExplainArgs),
    /// List, show and requeue the ticket actions sluice gave up on.
    DeadLetters(DeadLettersArgs),
    /// Move the state store from its SQLite file into a PostgreSQL database, for several
    /// hosts to share: every row, in one transaction, the store's id kept.
    MoveStore(MoveStoreArgs),
    /// Write shell completions or man pages, generated from these definitions, or a new token
    /// for the response intake.
    Generate(GenerateArgs),
}

/// Runs the subcommand `cli` names.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    use crate::cmd::{
        alert_response, alerts, dead_letters, demo, emulate, explain, generate, import_legacy,
        move_store, plugins, run, schema, status, validate,
    };
    let global = &cli.global;
    match cli.command {
        Command::Run(args) => run::run(args, global),
        Command::Validate(args) => validate::run(args, global),
        Command::Schema(args) => schema::run(args, global),
        Command::Plugins(args) => plugins::run(args, global),
        Command::AlertResponse(args) => alert_response::run(args, global),
        Command::Alerts(args) => alerts::run(args, global),
        Command::ImportLegacy(args) => import_legacy::run(args, global),
        Command::Emulate(args) => emulate::run(args, global),
        Command::Demo(args) => demo::run(args, global),
        Command::Status(args) => status::run(args, global),
        Command::Explain(args) => explain::run(args, global),
        Command::DeadLetters(args) => dead_letters::run(args, global),
        Command::MoveStore(args) => move_store::run(args, global),
        Command::Generate(args) => {
            generate::run(args, <Cli as clap::CommandFactory>::command(), global)
        }
    }
}
