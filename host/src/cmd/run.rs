//! `sluice run`: run the configured pipelines until stopped.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::prepare::config_and_plugins;
use crate::capabilities::SystemClock;
use crate::cli::{ConfigArg, GlobalArgs};
use crate::exit;
use crate::plugin::instantiate;

/// Arguments of `sluice run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Exit (code 69) at start if a source or sink cannot be reached, instead of logging it
    /// and retrying.
    #[arg(long)]
    pub require_healthy: bool,
}

pub(crate) fn run(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let (file, registry) = config_and_plugins(&args.config.config, global)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let clock = Arc::new(SystemClock);
    let mut unhealthy = 0;
    let mut sources = Vec::new();
    for (name, pipeline) in &file.config.pipelines {
        if !pipeline.enabled {
            tracing::info!(pipeline = %name, "Pipeline disabled; skipping.");
            continue;
        }
        let mut source = instantiate::source(
            &registry,
            &file,
            name,
            clock.clone(),
            runtime.handle().clone(),
        )
        .map_err(|d| crate::config::ConfigErrors::one(d))?;
        let mut sink = instantiate::sink(
            &registry,
            &file,
            name,
            clock.clone(),
            runtime.handle().clone(),
        )
        .map_err(|d| crate::config::ConfigErrors::one(d))?;
        for (role, result) in [
            ("source", source.instance.healthcheck()),
            ("sink", sink.instance.healthcheck()),
        ] {
            if let Err(error) = result {
                unhealthy += 1;
                tracing::error!(pipeline = %name, %role, %error, "Healthcheck failed.");
            }
        }
        sources.push((name.clone(), source, sink));
    }
    if unhealthy > 0 && args.require_healthy {
        eprintln!("error: {unhealthy} component(s) failed their healthcheck (--require-healthy)");
        return Ok(ExitCode::from(exit::UNAVAILABLE));
    }
    tracing::info!(pipelines = sources.len(), "Started.");
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    tracing::info!("Stopped.");
    Ok(ExitCode::from(exit::OK))
}
