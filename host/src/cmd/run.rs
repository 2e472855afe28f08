//! `sluice run`: run the configured pipelines until stopped; reload the config on SIGHUP and
//! when its files change; serve health and metrics when `[telemetry]` says so, and forwarded
//! response actions when `[response_intake]` does.

use std::process::ExitCode;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use crate::handoff::ResponsePipelines;
use crate::intake::ResponseIntake;
use crate::runtime::{listen, ConfigWatch, Event, Host, HostOptions, StartError};
use crate::telemetry::{self, Metrics};
use sluice_core::Doorbell;
use sluice_core::{Clock, SystemClock};

/// Arguments of `sluice run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Exit (code 69) at start if a source or sink cannot be reached, instead of logging it
    /// and retrying.
    #[arg(long)]
    pub require_healthy: bool,
    /// On SIGTERM or SIGINT, wait at most this long for pipelines to finish the batch they
    /// are in (what is left stays queued).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub drain: Duration,
    /// Do not reload the config when its file or alert files change (SIGHUP still does).
    #[arg(long)]
    pub no_watch_config: bool,
}

/// How often the main loop looks at the config files and at pipelines waiting to restart.
const TICK: Duration = Duration::from_secs(1);

pub(crate) fn run(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    // First: a SIGHUP (log rotation, say) while starting must not end the process, as the
    // default action would; signals that come early are acted on once the pipelines run.
    let (own_events, events) = listen(runtime.handle());
    let metrics = Metrics::new();
    let doorbell = Doorbell::default();
    let mut host = load_host(&args, global, &runtime, &metrics, &doorbell, own_events)?;
    // Taken now, so an edit made while the pipelines start is not missed.
    let mut watch = (!args.no_watch_config).then(|| ConfigWatch::new(host.config()));
    let config = host.config().config.clone();
    if config.telemetry.enabled {
        runtime.block_on(telemetry::serve(
            config.telemetry.listen,
            metrics.clone(),
            config.state.clone(),
        ))?;
    }
    let unreachable = unreachable_components(&mut host);
    if !unreachable.is_empty() && args.require_healthy {
        refuse_to_start(&unreachable);
        return Ok(ExitCode::from(exit::UNAVAILABLE));
    }
    // Which pipelines take response actions, for the intake; kept current at each reload.
    let routes = ResponsePipelines::of(&config);
    let intake = config
        .response_intake
        .enabled
        .then(|| {
            ResponseIntake::start(
                &config.response_intake,
                &config.state,
                routes.clone(),
                metrics.intake(),
                doorbell.clone(),
                runtime.handle(),
            )
        })
        .transpose()?;
    host.start();
    // Response actions hand their alerts over instead of each writing the store (`handoff`).
    #[cfg(unix)]
    let handoff = crate::handoff::HandoffListener::start(&config.state, doorbell);
    #[cfg(not(unix))]
    drop(doorbell);
    tracing::info!(state = %config.state.path.display(), "sluice is running.");
    let signal = serve_until_stopped(&mut host, &events, watch.as_mut(), &routes);
    tracing::info!(%signal, drain = ?args.drain, "Stopping: finishing the batches in progress.");
    // From here, forwarders are refused (and retry) and response actions on this machine
    // write the store themselves.
    drop(intake);
    #[cfg(unix)]
    drop(handoff);
    if !stop(host) {
        // A pipeline still inside a plugin call would panic once the runtime its HTTP
        // requests run on shuts down. What it sent is reconciled at the next start, so the
        // process ends here, without tearing the runtime down under it.
        std::process::exit(i32::from(exit::OK));
    }
    Ok(ExitCode::from(exit::OK))
}

/// Reads the config and loads the plugins; the pipelines are built but not started.
fn load_host(
    args: &RunArgs,
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    metrics: &Metrics,
    doorbell: &Doorbell,
    events: std::sync::mpsc::Sender<Event>,
) -> anyhow::Result<Host> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Host::load(HostOptions {
        config: args.config.config.clone(),
        plugin_dirs: global.plugin_dirs.clone(),
        runtime: runtime.handle().clone(),
        clock,
        metrics: metrics.clone(),
        drain: args.drain,
        doorbell: doorbell.clone(),
        events,
    })
    .map_err(|e| match e {
        StartError::Config(errors) => anyhow::Error::new(errors),
        StartError::Store(error) => anyhow::Error::new(error),
    })
}

/// Runs every source's and sink's healthcheck; what failed, one line each
/// (`pipeline security: the sink cannot be reached: ...`).
fn unreachable_components(host: &mut Host) -> Vec<String> {
    host.healthcheck()
        .iter()
        .map(|u| {
            format!(
                "pipeline {}: the {} cannot be reached: {}",
                u.pipeline,
                u.role.as_str(),
                u.error
            )
        })
        .collect()
}

/// `--require-healthy` and a component failed its healthcheck: says which, and that sluice
/// does not start.
fn refuse_to_start(unreachable: &[String]) {
    for line in unreachable {
        eprintln!("error: {}", sluice_core::redact(line));
    }
    eprintln!(
        "error: {} component(s) failed their healthcheck; not starting (--require-healthy)",
        unreachable.len()
    );
}

/// Reloads on SIGHUP and when the config files change, until a stop signal (or the signal
/// listener's end); returns what stopped it.
fn serve_until_stopped(
    host: &mut Host,
    events: &Receiver<Event>,
    mut watch: Option<&mut ConfigWatch>,
    routes: &ResponsePipelines,
) -> &'static str {
    loop {
        match events.recv_timeout(TICK) {
            Ok(Event::Stop(signal)) => return signal,
            // Acted on below, at once.
            Ok(Event::Leadership) => {}
            Ok(Event::Reload) => {
                telemetry::reopen_log_file();
                let seen = watch.as_deref().map(ConfigWatch::fingerprint);
                reload(host, watch.as_deref_mut(), seen, "SIGHUP", routes);
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(seen) = watch.as_deref_mut().and_then(ConfigWatch::changed) {
                    reload(
                        host,
                        watch.as_deref_mut(),
                        Some(seen),
                        "the config files changed",
                        routes,
                    );
                }
            }
            Err(RecvTimeoutError::Disconnected) => return "the signal listener ended",
        }
        host.tick();
    }
}

/// Stops the pipelines, each after the batch it is in, and says whether all finished.
fn stop(host: Host) -> bool {
    let late = host.stop();
    if late.is_empty() {
        tracing::info!("Stopped cleanly.");
    } else {
        tracing::warn!(pipelines = ?late, "Stopped before these pipelines finished their batch; what they sent is reconciled at the next start.");
    }
    late.is_empty()
}

/// Reloads the config, and keeps `routes` (the pipelines the intake queues into) to the config
/// in force; `seen` is the watch's fingerprint of the files, taken before reading them.
fn reload(
    host: &mut Host,
    watch: Option<&mut ConfigWatch>,
    seen: Option<u64>,
    trigger: &str,
    routes: &ResponsePipelines,
) {
    let applied = host.reload(trigger);
    if applied {
        routes.update(&host.config().config);
    }
    if let (Some(watch), Some(seen)) = (watch, seen) {
        if applied && watch.follow(host.config()) {
            // Other alert directories now: their files were read just now.
            watch.loaded(watch.fingerprint());
        } else {
            watch.loaded(seen);
        }
    }
}
