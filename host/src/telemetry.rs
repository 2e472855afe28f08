//! Logging: tracing to standard error, human-readable or JSON.
//!
//! `SLUICE_LOG` (an `EnvFilter` directive like `sluice=debug,info`) overrides the level the
//! flags choose. Standard output stays free for the data commands print (`--json`).

use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
///
/// `quiet_by_default`: without `-v`, only warnings and errors (commands whose own output is
/// the point, like `sluice demo`).
pub fn init(args: &GlobalArgs, quiet_by_default: bool) {
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Human => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
