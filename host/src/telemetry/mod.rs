//! What sluice tells its operators: log lines (`logs.rs`), metrics (`metrics.rs`, fed by the
//! source and sink calls the engine reports to `observer.rs`), and the HTTP endpoint that serves health,
//! readiness and metrics (`endpoint.rs`).
//!
//! Logs go to standard error (or `--log-file`), human-readable or JSON, with every secret the
//! process resolved redacted. `SLUICE_LOG` (an `EnvFilter` directive like `sluice=debug,info`)
//! overrides the level the flags choose. Standard output stays free for the data commands
//! print (`--json`).

mod endpoint;
mod logs;
mod metrics;
mod observer;
#[cfg(test)]
mod tests;

pub use endpoint::serve;
pub use logs::reopen as reopen_log_file;
#[cfg(test)]
use metrics::Reachability;
pub use metrics::{IntakeMetrics, LeaseMetrics, Metrics, PipelineMetrics, Refusal, Renewal, Role};

use tracing_subscriber::EnvFilter;

use std::path::Path;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// How much to log, how, and where: what the command line says.
#[derive(Debug, Clone, Copy)]
pub struct LogSettings<'a> {
    /// `-v` given this many times.
    pub verbose: u8,
    /// `-q`: errors only.
    pub quiet: bool,
    /// The line format.
    pub format: LogFormat,
    /// A file to append to instead of standard error.
    pub file: Option<&'a Path>,
}

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
///
/// `quiet_by_default`: without `-v`, only warnings and errors (commands whose own output is
/// the point, like `sluice demo`).
///
/// # Errors
///
/// The log file named by `--log-file` cannot be opened.
pub fn init(args: LogSettings<'_>, quiet_by_default: bool) -> std::io::Result<()> {
    let default = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) if quiet_by_default => "warn",
        (false, 0) => "info",
        (false, 1) => "sluice=debug,sluice_sdk=debug,info",
        (false, _) => "trace",
    };
    let filter = std::env::var("SLUICE_LOG")
        .ok()
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let output = match args.file {
        Some(path) => logs::LogOutput::file(path)?,
        None => logs::LogOutput::stderr(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(output.is_terminal())
        .with_writer(output);
    let _ = match args.format {
        LogFormat::Human => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}
