//! The stage the demo plays on: both emulators on loopback ports, a working directory with a
//! config for two pipelines and their alert directories, and the engines built from that
//! config with the real plugins, all on one manual clock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use jiff::Timestamp;
use sluice_emulators::auditor::{Auditor, AuditorConfig};
use sluice_emulators::servicenow::{Release, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;
use sluice_sdk::{SinkInstance, SourceInstance};

use crate::cmd::GlobalArgs;
use crate::plugin::instantiate;
use crate::runtime::config_and_plugins;
use crate::telemetry::Metrics;
use sluice_core::pipeline_specs;
use sluice_core::ConfigErrors;
use sluice_core::Engine;
use sluice_core::Store;
use sluice_core::{Clock, ManualClock};

/// The pipeline that takes the alerts Netwrix Auditor raises (its response action runs
/// `sluice alert-response`).
pub(super) const RESPONSE_PIPELINE: &str = "auditor-alerts";
/// The pipeline that polls the Integration API and evaluates the alert set itself.
pub(super) const POLLING_PIPELINE: &str = "auditor-polling";
/// The alert the polling pipeline leaves to Auditor's response action.
pub(super) const LOCKOUT_ALERT: &str = "ITSM Add-On: User Account Locked Out";

const AUDITOR_USER: &str = r"CORP\svc-sluice";
const AUDITOR_PASSWORD: &str = "sluice-demo";
const SERVICENOW_USER: &str = "sluice";
const SERVICENOW_PASSWORD: &str = "sluice";

/// A pipeline's engine with the real plugins.
pub(super) type PluginEngine = Engine<SourceInstance, SinkInstance>;

/// Everything the scenario acts on.
pub(super) struct Stage {
    /// The working directory (config, alert directories, state store).
    pub dir: PathBuf,
    /// Removes the working directory when the demo ends, unless the user chose it.
    _temp: Option<tempfile::TempDir>,
    /// The config file.
    pub config: PathBuf,
    /// Runs the emulators and the plugins' HTTP requests.
    pub runtime: tokio::runtime::Runtime,
    /// The Netwrix Auditor emulator.
    pub auditor: Auditor,
    /// The ServiceNow emulator.
    pub servicenow: ServiceNow,
    /// Its base URL.
    pub servicenow_url: String,
    /// The release it emulates.
    pub release: Release,
    served: Vec<Served>,
    /// The host clock of every engine and plugin.
    pub clock: Arc<ManualClock>,
    /// When the scenario starts.
    pub start: Timestamp,
    /// The pipelines, once built.
    pub engines: Vec<PluginEngine>,
    /// What `/metrics` would serve for this run.
    pub metrics: Metrics,
}

impl std::fmt::Debug for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stage")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Stage {
    /// Starts the emulators and writes the config into `dir` (a new temporary directory if
    /// `None`).
    pub fn new(dir: Option<&Path>, release: Release) -> anyhow::Result<Stage> {
        let (dir, temp) = match dir {
            Some(dir) => {
                let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
                if !empty {
                    bail!(
                        "{} is not empty; give --dir a new or empty directory (the demo writes \
                         a config, alert files and a state store there)",
                        dir.display()
                    );
                }
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                (dir.to_owned(), None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("sluice-demo-")
                    .tempdir()
                    .context("cannot create a temporary directory for the demo")?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let auditor = Auditor::new(AuditorConfig {
            username: AUDITOR_USER.to_owned(),
            password: AUDITOR_PASSWORD.to_owned(),
            ..AuditorConfig::default()
        });
        let servicenow = ServiceNow::new(ServiceNowConfig {
            username: SERVICENOW_USER.to_owned(),
            password: SERVICENOW_PASSWORD.to_owned(),
            ..ServiceNowConfig::for_release(release)
        });
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let (auditor_served, servicenow_served) = runtime
            .block_on(async {
                let a = sluice_emulators::serve(auditor.router(), loopback).await?;
                let s = sluice_emulators::serve(servicenow.router(), loopback).await?;
                std::io::Result::Ok((a, s))
            })
            .context("cannot listen on a loopback port for the emulators")?;

        // Whole seconds, like Auditor's `When`; the clock never runs behind the real one,
        // because `sluice alert-response` stamps alerts with the real time.
        let start = Timestamp::from_second(Timestamp::now().as_second())?;
        let clock = Arc::new(ManualClock::new(
            sluice_core::Timestamp::from_millis(start.as_millisecond()).to_system_time(),
        ));
        let config = dir.join("sluice.toml");
        std::fs::write(
            &config,
            config_text(
                &auditor_served.base_url(),
                &servicenow_served.base_url(),
                release,
                start,
            ),
        )
        .with_context(|| format!("cannot write {}", config.display()))?;
        Ok(Stage {
            dir,
            _temp: temp,
            config,
            runtime,
            auditor,
            servicenow_url: servicenow_served.base_url(),
            servicenow,
            release,
            served: vec![auditor_served, servicenow_served],
            clock,
            start,
            engines: Vec::new(),
            metrics: Metrics::new(),
        })
    }

    /// Runs `sluice ARGS --config <the demo's config>` as a separate process, as a user or
    /// Netwrix Auditor would; its output if it succeeds.
    pub fn sluice(&self, args: &[&str]) -> anyhow::Result<String> {
        let exe = crate::executables::front().context("cannot find the sluice executable")?;
        let output = Command::new(&exe)
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .arg("--quiet")
            .env_remove("SLUICE_CONFIG")
            .output()
            .with_context(|| format!("cannot run {}", exe.display()))?;
        if !output.status.success() {
            bail!(
                "`sluice {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Loads the config and the real plugins and builds both pipelines' engines.
    pub fn build_engines(&mut self, global: &GlobalArgs) -> anyhow::Result<()> {
        let (file, registry) =
            config_and_plugins(&self.config, &global.plugin_dirs).map_err(|e| {
                if registry_missing(&e) {
                    anyhow::anyhow!(
                    "the demo needs the netwrix-auditor and servicenow plugins next to the sluice \
                     executable ({}); build them with `cargo build --release` and run \
                     target/release/sluice, or point --plugin-dir at them (`sluice plugins` \
                     lists what this executable finds)",
                    std::env::current_exe()
                        .ok()
                        .and_then(|p| p.parent().map(|d| d.display().to_string()))
                        .unwrap_or_default()
                )
                } else {
                    e.into()
                }
            })?;
        let clock: Arc<dyn Clock> = self.clock.clone();
        for spec in pipeline_specs(&file)? {
            let name = spec.name.clone();
            let handle = self.runtime.handle().clone();
            let source =
                instantiate::source(&registry, &file, &name, clock.clone(), handle.clone())
                    .map_err(ConfigErrors::one)?;
            let sink = instantiate::sink(&registry, &file, &name, clock.clone(), handle)
                .map_err(ConfigErrors::one)?;
            let store = Store::connect(file.config.state.location())?;
            let metrics =
                self.metrics
                    .pipeline(&name, &source.context.plugin, &sink.context.plugin);
            self.engines.push(
                Engine::new(
                    Arc::new(spec),
                    store,
                    source.instance,
                    sink.instance,
                    clock.clone(),
                )
                .with_observer(Box::new(metrics)),
            );
        }
        Ok(())
    }

    /// Moves the host clock (and the emulators' clocks) to `offset` after the start, but
    /// never behind the real time.
    pub fn at(&self, offset: Duration) {
        let target = sluice_core::Timestamp::from_millis(self.start.as_millisecond())
            .to_system_time()
            + offset;
        let now = target.max(SystemTime::now()).max(self.clock.now());
        self.clock.set(now);
        self.servicenow.set_now(now);
        self.auditor.set_now(
            Timestamp::from_millisecond(sluice_core::Timestamp::from_system_time(now).as_millis())
                .ok(),
        );
    }

    /// The scenario's time `offset` after the start.
    pub fn time(&self, offset: Duration) -> Timestamp {
        self.start
            .checked_add(jiff::SignedDuration::try_from(offset).unwrap_or_default())
            .unwrap_or(self.start)
    }

    /// Steps every pipeline until none has anything more to do now.
    pub fn settle(&mut self) -> anyhow::Result<()> {
        for _ in 0..20 {
            let before: Vec<_> = self.engines.iter().map(PluginEngine::stats).collect();
            for engine in &mut self.engines {
                engine.step()?;
            }
            let after: Vec<_> = self.engines.iter().map(PluginEngine::stats).collect();
            if before == after {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The run's metrics in the Prometheus text format, queue depths read now.
    pub fn render_metrics(&self) -> anyhow::Result<String> {
        for engine in &self.engines {
            self.metrics
                .refresh_store_gauges(engine.store(), &engine.spec().name)?;
        }
        Ok(self.metrics.render())
    }

    /// Stops the emulators.
    pub fn shut_down(self) {
        let Stage {
            runtime,
            served,
            engines,
            ..
        } = self;
        // The plugins go first: their requests run on this runtime.
        drop(engines);
        runtime.block_on(async {
            for s in served {
                s.shutdown().await;
            }
        });
    }
}

/// Whether `errors` say a component is not installed (rather than misconfigured).
fn registry_missing(errors: &ConfigErrors) -> bool {
    errors
        .0
        .iter()
        .any(|d| d.message.contains("no loaded plugin"))
}

/// The demo's config: two pipelines, one per intake, with the vendor add-on's suppression
/// defaults; the polling one gives each account its own ticket.
fn config_text(auditor: &str, servicenow: &str, release: Release, start: Timestamp) -> String {
    let release = release.key();
    let source = format!(
        "type = \"netwrix_auditor\"\nendpoint = \"{auditor}\"\nusername = '{AUDITOR_USER}'\n\
         password = \"{AUDITOR_PASSWORD}\"\nstart = \"{start}\"\n"
    );
    let sink = format!(
        "type = \"servicenow\"\nrelease = \"{release}\"\nendpoint = \"{servicenow}\"\n\
         username = \"{SERVICENOW_USER}\"\npassword = \"{SERVICENOW_PASSWORD}\"\n\
         # One request at a time (the default is 4): tickets get the same numbers on every run.\n\
         max_concurrent_requests = 1\n"
    );
    format!(
        "# Written by `sluice demo`: the emulators listen on loopback ports that change on every\n\
         # run, so this file works only while the demo runs. `sluice status --config` this file\n\
         # reads the state store afterwards.\n\n\
         [state]\npath = \"sluice.db\"\ndurability = \"normal\"\n\n\
         # Alerts Netwrix Auditor raises; its response action runs `sluice alert-response`.\n\
         [pipelines.{RESPONSE_PIPELINE}]\n\
         intake = {{ response_action = true, poll = false, alerts = \"alerts/response\" }}\n\n\
         [pipelines.{RESPONSE_PIPELINE}.source]\n{source}\n\
         [pipelines.{RESPONSE_PIPELINE}.sink]\n{sink}\n\
         # sluice polls the Integration API and evaluates the alert set itself.\n\
         [pipelines.{POLLING_PIPELINE}]\n\
         intake = {{ response_action = false, poll = true, poll_interval = \"1m\", alerts = \"alerts/polling\" }}\n\
         suppression = {{ group_by = [\"Who\"] }}\n\n\
         [pipelines.{POLLING_PIPELINE}.source]\n{source}\n\
         [pipelines.{POLLING_PIPELINE}.sink]\n{sink}"
    )
}
