//! The host `sluice run` runs: the config in force and its pipelines, started, reloaded and
//! stopped.
//!
//! A reload reads and checks the new config exactly as `sluice validate` does (the host's
//! keys, the plugins, each plugin's checks of its settings, the alert definitions and ticket
//! templates) and builds every new component before anything running is touched. When any of
//! that fails, the error is logged with its file, line and column, and the running pipelines
//! carry on with the config they have. When it succeeds, the pipelines whose settings or
//! alert files changed are stopped (each finishes its batch) and start again on the same state
//! store, where every alert not yet delivered waits: a reload in the middle of a flood loses
//! nothing, and the flood window and open tickets carry over. The others run on untouched.
//! A change of `[telemetry]` or `[response_intake]` is applied at the next restart, and said
//! so; the rest of the new config is applied at once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_sdk::{PluginError, SinkInstance, SourceInstance};

mod build;

use build::{build_all, checkpoint, prepare};

use super::inputs::PipelineInputs;
use super::leadership::{Leadership, Role as LeaseRole};
use super::running::{Late, Running};
use super::wakeup::AlertWakeup;

use crate::telemetry::{Metrics, Role};
use sluice_core::store::lease::Fence;
use sluice_core::Clock;
use sluice_core::Doorbell;
use sluice_core::Engine;
use sluice_core::{check_identity, DeliveryLock, Store, StoreError};
use sluice_core::{ConfigErrors, ConfigFile, Diagnostic};

/// The engine of a pipeline built from config.
type PipelineEngine = Engine<SourceInstance, SinkInstance>;

/// Why the host could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The config (or a plugin's view of it) is invalid.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// The state store cannot be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A component whose healthcheck failed.
#[derive(Debug, Clone)]
pub struct Unhealthy {
    /// Its pipeline.
    pub pipeline: String,
    /// Source or sink.
    pub role: Role,
    /// Why.
    pub error: PluginError,
}

/// How `sluice run` was started.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The config file.
    pub config: PathBuf,
    /// Plugin directories given on the command line (`--plugin-dir`).
    pub plugin_dirs: Vec<PathBuf>,
    /// The tokio runtime plugins' HTTP requests run on.
    pub runtime: tokio::runtime::Handle,
    /// The host clock.
    pub clock: Arc<dyn Clock>,
    /// The process's metrics.
    pub metrics: Metrics,
    /// How long a stop waits for pipelines to finish their batch.
    pub drain: Duration,
    /// Rung when an alert is handed over: wakes the running pipelines.
    pub doorbell: Doorbell,
    /// Where the host's own events go (a change of its role on a shared store).
    pub events: std::sync::mpsc::Sender<super::Event>,
}

/// A pipeline built and checked, not yet running.
struct Prepared {
    engine: PipelineEngine,
    source_plugin: String,
    sink_plugin: String,
    checks: Vec<(Role, Result<(), PluginError>)>,
    /// What it was built from, to tell on a reload whether it changed.
    inputs: PipelineInputs,
}

/// Who delivers from the store.
enum Delivery {
    /// This host alone: it holds the lock beside its SQLite store.
    Alone { _lock: DeliveryLock },
    /// The holder of a shared store's lease; `fence` while that is this host.
    Shared {
        leadership: Leadership,
        fence: Option<Fence>,
        /// Wakes the pipelines for alerts other hosts queue.
        _wakeup: AlertWakeup,
    },
}

/// A new pipeline waiting for the thread of its predecessor to return.
struct Waiting {
    old: Late,
    next: Option<Prepared>,
}

/// The config in force and its pipelines.
pub struct Host {
    /// Who delivers: this host alone (the lock beside its SQLite store, held while it runs),
    /// or the holder of a shared store's lease.
    delivery: Delivery,
    options: HostOptions,
    file: ConfigFile,
    /// Built, not running: before the start, and while this host stands by.
    prepared: Vec<Prepared>,
    running: Running,
    waiting: Vec<Waiting>,
    /// What each running pipeline was built from.
    applied: std::collections::BTreeMap<String, PipelineInputs>,
    /// When the store is next checkpointed (`[state] checkpoint_interval`).
    next_checkpoint: Instant,
    /// The checkpoint under way, on a thread of its own: it can wait for the store's locks,
    /// and the thread that handles signals must not.
    checkpointing: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("config", &self.options.config)
            .field("running", &self.running.names())
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Reads and checks the config, loads its plugins and builds every enabled pipeline;
    /// nothing runs yet.
    ///
    /// # Errors
    ///
    /// Every problem of the config at once, a state store that cannot be opened, or one
    /// that another host delivers from.
    pub fn load(options: HostOptions) -> Result<Host, StartError> {
        let (file, registry) = super::config_and_plugins(&options.config, &options.plugin_dirs)?;
        // Before anything opens the store: a second host must not even recover in-flight
        // actions, which are the first host's.
        let state = &file.config.state;
        let delivery = match state.database() {
            None => Delivery::Alone {
                _lock: DeliveryLock::acquire(&state.path)?,
            },
            Some(database) => Delivery::Shared {
                leadership: Leadership::start(
                    database,
                    state.lease.get(),
                    options.metrics.lease(),
                    options.events.clone(),
                )?,
                fence: None,
                _wakeup: AlertWakeup::start(database, options.doorbell.clone()),
            },
        };
        if let Delivery::Alone { .. } = delivery {
            options.metrics.lease().delivering(true);
        }
        // A store replaced behind our back must not pass for this site's, and one that cannot
        // be written must not start a host that could acknowledge nothing.
        let mut store = Store::connect(state.location())?;
        check_identity(&mut store)?;
        store.check_writable()?;
        let prepared = build_all(&file, &registry, &options)?;
        let next_checkpoint = Instant::now() + state.checkpoint_interval.get();
        Ok(Host {
            delivery,
            running: Running::new(options.doorbell.clone()),
            options,
            file,
            prepared,
            waiting: Vec::new(),
            applied: std::collections::BTreeMap::new(),
            next_checkpoint,
            checkpointing: None,
        })
    }

    /// The config in force.
    pub fn config(&self) -> &ConfigFile {
        &self.file
    }

    /// Runs the healthcheck of every component not yet started; returns the failures.
    pub fn healthcheck(&mut self) -> Vec<Unhealthy> {
        self.prepared.iter_mut().flat_map(Prepared::check).collect()
    }

    /// Starts the pipelines built by [`Host::load`] (on a shared store, once this host holds
    /// the delivery lease).
    pub fn start(&mut self) {
        let prepared = std::mem::take(&mut self.prepared);
        self.keep_metrics_of(&prepared);
        if prepared.is_empty() {
            tracing::warn!("No enabled pipeline in the config; nothing to run.");
        }
        for p in prepared {
            self.spawn(p);
        }
    }

    /// Reads the config again and, if it is valid, replaces the running pipelines with its
    /// own. Returns whether the new config is in force; when not, the error is logged and the
    /// running pipelines carry on.
    pub fn reload(&mut self, trigger: &str) -> bool {
        tracing::info!(%trigger, config = %self.options.config.display(), "Reloading the config.");
        let (mut file, prepared) = match prepare(&self.options) {
            Ok(ready) => ready,
            Err(error) => {
                self.options.metrics.reloaded(false);
                if let StartError::Config(errors) = &error {
                    for d in &errors.0 {
                        tracing::error!("{d}");
                    }
                } else {
                    tracing::error!(%error);
                }
                tracing::error!(
                    config = %self.options.config.display(),
                    "The new config is invalid; the running pipelines keep the previous one."
                );
                return false;
            }
        };
        if let Err(d) = self.same_state_store(&file) {
            self.options.metrics.reloaded(false);
            tracing::error!("{d}");
            tracing::error!(
                config = %self.options.config.display(),
                "The new config changes [state], which needs a restart; the running pipelines \
                 keep the previous config."
            );
            return false;
        }
        self.keep_bound_at_start(&mut file);
        let changed = self.restart_changed(prepared);
        self.file = file;
        self.options.metrics.reloaded(true);
        tracing::info!(
            pipelines = ?self.running.names(), restarted = ?changed, "Reloaded the config."
        );
        true
    }

    /// Stops the pipelines whose inputs changed or that the new config removed, and starts
    /// the changed and new ones of `prepared`; the others run on. Returns the pipelines
    /// started anew.
    fn restart_changed(&mut self, prepared: Vec<Prepared>) -> Vec<String> {
        let running: Vec<String> = self.running.names().iter().map(|n| n.to_string()).collect();
        let (unchanged, mut prepared): (Vec<Prepared>, Vec<Prepared>) =
            prepared.into_iter().partition(|p| {
                let name = &p.engine.spec().name;
                running.contains(name) && self.applied.get(name) == Some(&p.inputs)
            });
        let kept: Vec<&str> = unchanged.iter().map(|p| p.name()).collect();
        let stale: Vec<&str> = running
            .iter()
            .map(String::as_str)
            .filter(|n| !kept.contains(n))
            .collect();
        for p in &mut prepared {
            p.check();
        }
        // Pipelines still waiting for an earlier reload's predecessor get the newest config.
        let mut olds: Vec<Late> = self.waiting.drain(..).map(|w| w.old).collect();
        olds.extend(self.running.take(&stale).stop(self.options.drain));
        for name in &stale {
            self.applied.remove(*name);
        }
        let names: Vec<&str> = kept
            .iter()
            .copied()
            .chain(prepared.iter().map(Prepared::name))
            .collect();
        self.options.metrics.keep_pipelines(&names);
        let started = prepared.iter().map(|p| p.name().to_owned()).collect();
        for p in prepared {
            match olds.iter().position(|l| l.name == p.engine.spec().name) {
                Some(i) => {
                    let old = olds.swap_remove(i);
                    tracing::warn!(
                        pipeline = %old.name,
                        "The pipeline is still finishing a batch; its new config starts when it is done."
                    );
                    self.waiting.push(Waiting { old, next: Some(p) });
                }
                None => self.spawn(p),
            }
        }
        // Late pipelines the new config removed: wait for them all the same, then start
        // nothing.
        self.waiting
            .extend(olds.into_iter().map(|old| Waiting { old, next: None }));
        started
    }

    /// Keeps the telemetry endpoint and the response intake in force when the new config
    /// changes `[telemetry]` or `[response_intake]`: both are bound at start, so the change
    /// waits for a restart (and is said so); the rest of the new config is applied.
    fn keep_bound_at_start(&self, new: &mut ConfigFile) {
        let running = &self.file.config;
        self.keep(
            "telemetry endpoint",
            "telemetry",
            &running.telemetry,
            &mut new.config.telemetry,
        );
        self.keep(
            "response intake",
            "response_intake",
            &running.response_intake,
            &mut new.config.response_intake,
        );
    }

    /// Keeps `running` in place of `new` when they differ, saying that the new `[section]`
    /// (the `what` sluice serves) applies at the next restart.
    fn keep<T: PartialEq + Clone>(&self, what: &str, section: &str, running: &T, new: &mut T) {
        if new != running {
            tracing::warn!(
                config = %self.options.config.display(),
                "The {what} is set when sluice run starts: the new [{section}] applies at the \
                 next restart; the rest of the new config applies now."
            );
            *new = running.clone();
        }
    }

    /// Starts the new pipelines whose predecessors have returned since the last reload,
    /// starts or stops the pipelines when this host's role on a shared store changed, and
    /// checkpoints the store when that is due.
    pub fn tick(&mut self) {
        self.follow_leadership();
        let now = Instant::now();
        let idle = self
            .checkpointing
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished);
        if now >= self.next_checkpoint && idle {
            self.next_checkpoint = now + self.file.config.state.checkpoint_interval.get();
            let state = self.file.config.state.clone();
            let checkpointing = std::thread::Builder::new()
                .name("checkpoint".to_owned())
                .spawn(move || {
                    if let Err(error) = checkpoint(&state) {
                        tracing::warn!(%error, "Cannot checkpoint the state store; trying again after [state] checkpoint_interval.");
                    }
                });
            match checkpointing {
                Ok(handle) => self.checkpointing = Some(handle),
                Err(error) => tracing::warn!(%error, "Cannot start the state store's checkpoint."),
            }
        }
        let (done, waiting): (Vec<Waiting>, Vec<Waiting>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| w.old.is_finished());
        self.waiting = waiting;
        for w in done {
            w.old.join();
            if let Some(next) = w.next {
                self.spawn(next);
            }
        }
    }

    /// Stops every pipeline, waiting at most the drain limit for each to finish its batch,
    /// then hands a shared store's lease over; returns the pipelines that did not finish.
    pub fn stop(self) -> Vec<String> {
        let state = self.file.config.state.clone();
        // One checkpoint at a time: both write the marker beside the store.
        if let Some(checkpointing) = self.checkpointing {
            let _ = checkpointing.join();
        }
        let mut late: Vec<String> = self
            .running
            .stop(self.options.drain)
            .into_iter()
            .map(|l| l.name)
            .collect();
        for w in self.waiting {
            let deadline = Instant::now() + self.options.drain;
            while !w.old.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if !w.old.is_finished() {
                late.push(w.old.name.clone());
            }
        }
        if late.is_empty() {
            // Still holding the lock: the next start knows this generation of the store.
            if let Err(error) = checkpoint(&state) {
                tracing::warn!(%error, "Cannot record the state store's generation at this stop.");
            }
        }
        if let Delivery::Shared { leadership, .. } = self.delivery {
            // After the pipelines' last commits: a standby takes over at once.
            leadership.stop();
        }
        late
    }

    /// Starts the pipelines when this host took a shared store's lease; stops them when it
    /// lost it, keeping them built (anew) for when it takes the lease again.
    fn follow_leadership(&mut self) {
        let Delivery::Shared {
            leadership, fence, ..
        } = &mut self.delivery
        else {
            return;
        };
        match (leadership.role(), fence.clone()) {
            (LeaseRole::Delivering { fence: new, .. }, held) if held.as_ref() != Some(&new) => {
                *fence = Some(new);
                for p in std::mem::take(&mut self.prepared) {
                    self.spawn(p);
                }
            }
            (LeaseRole::Standby, Some(_)) => {
                *fence = None;
                // Fenced already: whatever they still try to commit is refused.
                let names: Vec<String> =
                    self.running.names().iter().map(|n| n.to_string()).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let mut late = self.running.take(&names).stop(self.options.drain);
                late.extend(self.waiting.drain(..).map(|w| w.old));
                for name in late.iter().map(|l| &l.name) {
                    tracing::warn!(pipeline = %name, "The pipeline had not finished its batch when this host stopped delivering; the host that delivers now reconciles it.");
                }
                self.applied.clear();
                match prepare(&self.options) {
                    Ok((_, prepared)) => self.prepared = prepared,
                    Err(error) => {
                        tracing::error!(%error, "Cannot build the pipelines again for when this host delivers next; restart it.")
                    }
                }
            }
            _ => {}
        }
    }

    fn spawn(&mut self, mut p: Prepared) {
        let name = p.engine.spec().name.clone();
        match &self.delivery {
            Delivery::Alone { .. } => {}
            Delivery::Shared { fence: None, .. } => {
                // Standing by: kept until this host takes the lease (a reload replaces it).
                self.prepared.retain(|q| q.name() != name);
                self.prepared.push(p);
                return;
            }
            Delivery::Shared {
                fence: Some(fence), ..
            } => p.engine.store_mut().set_fence(fence.clone()),
        }
        self.applied.insert(name.clone(), p.inputs.clone());
        let metrics = &self.options.metrics;
        metrics.describe_pipeline(&name, &p.engine.spec().settings);
        let view = || metrics.pipeline(&name, &p.source_plugin, &p.sink_plugin);
        let health = view();
        for (role, result) in &p.checks {
            health.checked(*role, result);
        }
        let observer = Box::new(view());
        let engine = p.engine.with_observer(observer);
        self.running
            .spawn(engine, self.options.clock.clone(), Some(health));
    }

    /// Forgets the metrics of pipelines that no longer run.
    fn keep_metrics_of(&self, prepared: &[Prepared]) {
        let names: Vec<&str> = prepared
            .iter()
            .map(|p| p.engine.spec().name.as_str())
            .collect();
        self.options.metrics.keep_pipelines(&names);
    }

    /// The settings a reload cannot change: the state store's (the running host holds its
    /// lock, checked its identity and checkpoints it; its pipelines' alerts are there).
    fn same_state_store(&self, new: &ConfigFile) -> Result<(), Diagnostic> {
        let (running, next) = (&self.file.config.state, &new.config.state);
        if next == running {
            return Ok(());
        }
        // Named for the message; the comparison above is what decides, whatever the keys.
        let changed: Vec<&str> = [
            ("path", running.path != next.path),
            ("durability", running.durability != next.durability),
            (
                "checkpoint_interval",
                running.checkpoint_interval != next.checkpoint_interval,
            ),
            ("url", running.url != next.url),
            ("ca_file", running.ca_file != next.ca_file),
            ("lease", running.lease != next.lease),
        ]
        .into_iter()
        .filter_map(|(key, differs)| differs.then_some(key))
        .collect();
        let (at, what) = match changed.first() {
            Some(first) => (format!("state.{first}"), changed.join(", ")),
            None => ("state".to_owned(), "settings".to_owned()),
        };
        Err(new.source.diagnostic(
            &at,
            format!(
                "[state] {what} cannot change while sluice runs; restart it to apply the new value"
            ),
        ))
    }
}
