//! One module per subcommand, each with its arguments and its `run`.

mod alert_response;
mod alerts;
mod demo;
mod emulate;
mod import_legacy;
mod output;
mod plugins;
mod run;
mod schema;
mod status;
mod validate;

use std::process::ExitCode;

pub use alert_response::AlertResponseArgs;
pub use alerts::{AlertsArgs, AlertsCommand};
pub use demo::DemoArgs;
pub use emulate::{AuditorArgs, EmulateArgs, EmulatedSystem, ServiceNowArgs};
pub use import_legacy::ImportLegacyArgs;
pub use plugins::PluginsArgs;
pub use run::RunArgs;
pub use schema::SchemaArgs;
pub use status::StatusArgs;
pub use validate::ValidateArgs;

use crate::cli::{Cli, Command};

/// Runs the subcommand `cli` names.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, &cli.global),
        Command::Validate(args) => validate::run(args, &cli.global),
        Command::Schema(args) => schema::run(args, &cli.global),
        Command::Plugins(args) => plugins::run(args, &cli.global),
        Command::AlertResponse(args) => alert_response::run(args, &cli.global),
        Command::Alerts(args) => alerts::run(args, &cli.global),
        Command::ImportLegacy(args) => import_legacy::run(args, &cli.global),
        Command::Emulate(args) => emulate::run(args, &cli.global),
        Command::Demo(args) => demo::run(args, &cli.global),
        Command::Status(args) => status::run(args, &cli.global),
    }
}
