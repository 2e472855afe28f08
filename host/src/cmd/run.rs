//! `sluice run`: run the configured pipelines until stopped.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::prepare::{config_and_plugins, pipeline_specs};
use crate::capabilities::{Clock, SystemClock};
use crate::cli::{ConfigArg, GlobalArgs};
use crate::config::ConfigErrors;
use crate::exit;
use crate::pipeline::engine::Engine;
use crate::plugin::instantiate;
use crate::runtime::Running;
use crate::state::Store;

/// Arguments of `sluice run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Exit (code 69) at start if a source or sink cannot be reached, instead of logging it
    /// and retrying.
    #[arg(long)]
    pub require_healthy: bool,
    /// On SIGTERM or SIGINT, wait at most this long for pipelines to finish the step they
    /// are in (what is left stays queued).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub drain: Duration,
}

pub(crate) fn run(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let (file, registry) = config_and_plugins(&args.config.config, global)?;
    let specs = pipeline_specs(&file)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut unhealthy = Vec::new();
    let mut engines = Vec::new();
    for spec in specs {
        let name = spec.name.clone();
        let mut source = instantiate::source(
            &registry,
            &file,
            &name,
            clock.clone(),
            runtime.handle().clone(),
        )
        .map_err(ConfigErrors::one)?;
        let mut sink = instantiate::sink(
            &registry,
            &file,
            &name,
            clock.clone(),
            runtime.handle().clone(),
        )
        .map_err(ConfigErrors::one)?;
        for (role, result) in [
            ("source", source.instance.healthcheck()),
            ("sink", sink.instance.healthcheck()),
        ] {
            if let Err(error) = result {
                tracing::error!(pipeline = %name, %role, %error, "Healthcheck failed.");
                unhealthy.push(format!("{name}/{role}: {error}"));
            }
        }
        let store = Store::open(&file.config.state.path, file.config.state.durability)?;
        engines.push(Engine::new(
            Arc::new(spec),
            store,
            source.instance,
            sink.instance,
            clock.clone(),
        ));
    }
    if !unhealthy.is_empty() && args.require_healthy {
        for u in &unhealthy {
            eprintln!("error: {u}");
        }
        eprintln!(
            "error: {} component(s) failed their healthcheck; not starting (--require-healthy)",
            unhealthy.len()
        );
        return Ok(ExitCode::from(exit::UNAVAILABLE));
    }
    let mut running = Running::default();
    for engine in engines {
        running.spawn(engine, clock.clone());
    }
    if running.is_empty() {
        tracing::warn!("No enabled pipeline in the config; nothing to run.");
    }
    tracing::info!(state = %file.config.state.path.display(), "sluice is running.");
    let signal = runtime.block_on(wait_for_stop());
    tracing::info!(%signal, drain = ?args.drain, "Stopping: finishing the steps in progress.");
    let late = running.stop(args.drain);
    if late.is_empty() {
        tracing::info!("Stopped cleanly.");
    } else {
        tracing::warn!(pipelines = ?late, "Stopped before these pipelines finished their step; what they sent is reconciled at the next start.");
    }
    Ok(ExitCode::from(exit::OK))
}

/// Waits for SIGTERM or SIGINT (Ctrl-C); returns which.
async fn wait_for_stop() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
