//! # sluice
//!
//! The sluice host: it loads source and sink plugins, reads Netwrix Auditor activity, decides
//! which ServiceNow incidents to open, update or reopen without flooding the service desk,
//! and delivers them durably. The pipeline itself, the state store and the settings model are
//! in `sluice-core`; this crate puts the command line, the running host, plugin loading,
//! telemetry and the hand-off on top.
//!
//! The executable `sluice-host` is a thin shell over [`main`]; every subcommand lives in its
//! own module under `cmd/`. The executable `sluice` in front of it hands response actions over
//! by itself and starts `sluice-host` for the rest (`executables`, `handoff::front`). The
//! modules, from the outside in:
//!
//! - `cli`, `cmd/`: the command line and one module per subcommand;
//! - `runtime/`: the running host: pipelines on their threads, reload, stop;
//! - `handoff/`: response actions' alerts handed to the running host over a socket, and the
//!   group commit every way in shares;
//! - `intake/`: the HTTPS intake of `sluice run` for response actions forwarded from the
//!   Auditor server;
//! - `plugin/`: finding and loading plugin libraries, resolving components;
//! - `capabilities/`: what plugins get from the host (HTTP, logging, clock);
//! - `telemetry/`: logs, metrics, and the health and metrics endpoint.
//!
//! The module tree is private; the executables and tests use what is re-exported below.

mod capabilities;
pub mod cli;
mod cmd;
mod executables;
pub mod exit;
mod handoff;
mod intake;
mod plugin;
mod runtime;
mod telemetry;

use std::process::ExitCode;

use sluice_core::ConfigErrors;

pub use executables::run_host;
#[cfg(unix)]
pub use handoff::front::alert_response as hand_off_response_action;

/// What plugins get from the host, for tests that drive a plugin without a running host.
pub mod plugin_host {
    pub use crate::capabilities::{ComponentContext, HostCapabilities, HttpClient};
}

/// Runs the command line `cli` and returns the process exit code: 0 success, 1 failure, 2
/// usage, 78 a config problem (and, for `alert-response --to`, 65, 75 and 77: see [`exit`]).
///
/// Errors are printed to standard error here, every secret redacted: config problems one per
/// line with file, line, column and key path (exit 78), anything else with its cause chain
/// (exit 1).
pub fn main(cli: cli::Cli) -> ExitCode {
    if let Err(error) = telemetry::init(
        cli.global.log_settings(),
        matches!(cli.command, cli::Command::Demo(_)),
    ) {
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
    match cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            if let Some(config) = error.downcast_ref::<ConfigErrors>() {
                for d in &config.0 {
                    eprintln!("error: {}", sluice_core::redact(&d.to_string()));
                }
                let n = config.0.len();
                eprintln!(
                    "{n} problem{} in the config; `sluice schema` prints every key with its documentation.",
                    if n == 1 { "" } else { "s" }
                );
                ExitCode::from(exit::CONFIG)
            } else {
                eprintln!("error: {}", sluice_core::redact(&format!("{error:#}")));
                ExitCode::from(exit::FAILURE)
            }
        }
    }
}
