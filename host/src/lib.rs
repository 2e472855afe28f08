//! # sluice
//!
//! The sluice host: it loads source and sink plugins, reads Netwrix Auditor activity, decides
//! which ServiceNow incidents to open, update or reopen without flooding the service desk,
//! and delivers them durably.
//!
//! The executable `sluice-host` is a thin shell over [`main`]; every subcommand lives in its
//! own module under `cmd/`. The executable `sluice` in front of it hands response actions over
//! by itself and starts `sluice-host` for the rest (`executables`, `handoff::front`). The rest
//! is laid out in data-flow order:
//!
//! - `config/`: the config file, its diagnostics and secret references;
//! - `plugin/`: finding and loading plugin libraries, resolving components;
//! - `capabilities/`: what plugins get from the host (HTTP, logging, clock);
//! - `runtime/`: the running host: pipelines on their threads, reload, stop;
//! - `state/`: the durable store;
//! - `handoff/`: response actions' alerts handed to the running host over a socket;
//! - `telemetry/`: logs, metrics, and the health and metrics endpoint.

pub mod capabilities;
pub mod cli;
mod cmd;
pub mod config;
pub mod executables;
pub mod exit;
pub mod handoff;
pub mod pipeline;
pub mod plugin;
pub mod retry;
pub mod runtime;
pub mod state;
pub mod telemetry;
pub mod testkit;

use std::process::ExitCode;

use config::ConfigErrors;

/// Runs the command line `cli` and returns the process exit code (see [`exit`]).
///
/// Errors are printed to standard error here, every secret redacted: config problems one per
/// line with file, line, column and key path (exit 78), anything else with its cause chain
/// (exit 1).
pub fn main(cli: cli::Cli) -> ExitCode {
    if let Err(error) = telemetry::init(&cli.global, matches!(cli.command, cli::Command::Demo(_))) {
        let path = cli
            .global
            .log_file
            .as_deref()
            .unwrap_or(std::path::Path::new(""));
        eprintln!(
            "error: cannot open the log file {}: {error}",
            path.display()
        );
        return ExitCode::from(exit::FAILURE);
    }
    match cmd::run(cli) {
        Ok(code) => code,
        Err(error) => {
            if let Some(config) = error.downcast_ref::<ConfigErrors>() {
                for d in &config.0 {
                    eprintln!("error: {}", config::redact(&d.to_string()));
                }
                let n = config.0.len();
                eprintln!(
                    "{n} problem{} in the config; `sluice schema` prints every key with its documentation.",
                    if n == 1 { "" } else { "s" }
                );
                ExitCode::from(exit::CONFIG)
            } else {
                eprintln!("error: {}", config::redact(&format!("{error:#}")));
                ExitCode::from(exit::FAILURE)
            }
        }
    }
}
