//! Pipelines on their threads: each engine stepped in a loop, sleeping until it has work, until
//! its stop signal is raised.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sluice_sdk::{PluginError, SinkInstance, SourceInstance};

use sluice_core::{
    jitter, Backoff, Clock, Doorbell, Engine, RecordSource, StopSignal, TicketSink, Timestamp,
};

use crate::telemetry::{PipelineMetrics, Role};

/// The longest a pipeline thread sleeps between steps (when nothing is due sooner).
const MAX_SLEEP: Duration = Duration::from_secs(5);

/// How a pipeline waits after its state store failed (a full or read-only disk, a lock held
/// too long): soon at first, then up to a quarter of a minute.
const STORE_BACKOFF: Backoff = Backoff {
    initial: Duration::from_millis(500),
    max: Duration::from_secs(16),
    retry_after_max: Duration::from_secs(16),
};

/// How long a system marked unreachable may stay unheard of before its healthcheck runs again
/// (an idle pipeline makes no calls that would show it is back).
pub const HEALTH_RECHECK: Duration = Duration::from_secs(30);

/// A component that can say whether its system is reachable.
pub trait Healthcheck {
    /// Contacts the system once (see [`sluice_sdk::Source::healthcheck`]).
    fn healthcheck(&mut self) -> Result<(), PluginError>;
}

impl Healthcheck for SourceInstance {
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        SourceInstance::healthcheck(self)
    }
}

impl Healthcheck for SinkInstance {
    fn healthcheck(&mut self) -> Result<(), PluginError> {
        SinkInstance::healthcheck(self)
    }
}

/// One pipeline's thread.
#[derive(Debug)]
struct PipelineThread {
    name: String,
    handle: JoinHandle<()>,
    stop: StopSignal,
}

/// A pipeline thread that had not returned when the drain limit expired.
#[derive(Debug)]
pub struct Late {
    /// The pipeline.
    pub name: String,
    handle: JoinHandle<()>,
}

impl Late {
    /// Whether it has returned by now.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for it to return.
    pub fn join(self) {
        let _ = self.handle.join();
    }
}

/// The pipelines running on their threads.
#[derive(Debug, Default)]
pub struct Running {
    threads: Vec<PipelineThread>,
    doorbell: Doorbell,
}

impl Running {
    /// No pipeline yet; those started will be woken by `doorbell`.
    pub fn new(doorbell: Doorbell) -> Running {
        Running {
            threads: Vec::new(),
            doorbell,
        }
    }

    /// Starts `engine` on a thread named after its pipeline; `health` follows its systems'
    /// reachability.
    pub fn spawn<S, K>(
        &mut self,
        engine: Engine<S, K>,
        clock: Arc<dyn Clock>,
        health: Option<PipelineMetrics>,
    ) where
        S: RecordSource + Healthcheck + Send + 'static,
        K: TicketSink + Healthcheck + Send + 'static,
    {
        let name = engine.spec().name.clone();
        let stop = StopSignal::default();
        self.doorbell.register(stop.clone());
        let mut engine = engine.with_stop(stop.clone());
        let thread_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("pipeline-{name}"))
            .spawn(move || {
                let span = tracing::info_span!("pipeline", pipeline = %engine.spec().name);
                let _entered = span.enter();
                run(&mut engine, &*clock, &thread_stop, health.as_ref());
                tracing::info!("Pipeline stopped.");
            });
        match handle {
            Ok(handle) => self.threads.push(PipelineThread { name, handle, stop }),
            Err(error) => {
                tracing::error!(pipeline = %name, %error, "Cannot start the pipeline's thread.")
            }
        }
    }

    /// Stops every pipeline, waiting at most `drain` for them to finish the batch they are
    /// in. Returns the ones that did not return in time.
    pub fn stop(self, drain: Duration) -> Vec<Late> {
        for t in &self.threads {
            t.stop.stop();
        }
        let deadline = Instant::now() + drain;
        let mut late = Vec::new();
        for t in self.threads {
            while !t.handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if t.handle.is_finished() {
                let _ = t.handle.join();
            } else {
                late.push(Late {
                    name: t.name,
                    handle: t.handle,
                });
            }
        }
        late
    }

    /// Takes the pipelines named in `names` out, to stop them apart from the others.
    pub fn take(&mut self, names: &[&str]) -> Running {
        let (taken, kept) = std::mem::take(&mut self.threads)
            .into_iter()
            .partition(|t| names.contains(&t.name.as_str()));
        self.threads = kept;
        Running {
            threads: taken,
            doorbell: self.doorbell.clone(),
        }
    }

    /// The names of the running pipelines.
    pub fn names(&self) -> Vec<&str> {
        self.threads.iter().map(|t| t.name.as_str()).collect()
    }
}

/// Steps `engine` until `stop`.
fn run<S, K>(
    engine: &mut Engine<S, K>,
    clock: &dyn Clock,
    stop: &StopSignal,
    health: Option<&PipelineMetrics>,
) where
    S: RecordSource + Healthcheck,
    K: TicketSink + Healthcheck,
{
    let mut failures = 0u32;
    while !stop.is_stopped() {
        if let Some(health) = health {
            recheck(engine, health);
        }
        let sleep = match engine.step().and_then(|()| engine.next_wakeup()) {
            Ok(next) => {
                failures = 0;
                let now = Timestamp::from_system_time(clock.now());
                next.saturating_since(now).min(MAX_SLEEP)
            }
            Err(error) => {
                failures += 1;
                if let Some(health) = health {
                    health.store_failed();
                }
                tracing::error!(%error, "The state store failed; retrying.");
                STORE_BACKOFF.delay(failures, None, jitter())
            }
        };
        if stop.wait(sleep) {
            break;
        }
    }
}

/// Runs the healthcheck of a component whose system is marked unreachable and was not heard
/// of for [`HEALTH_RECHECK`], so that `/readyz` sees it come back even when idle.
fn recheck<S, K>(engine: &mut Engine<S, K>, health: &PipelineMetrics)
where
    S: RecordSource + Healthcheck,
    K: TicketSink + Healthcheck,
{
    for role in [Role::Source, Role::Sink] {
        if !health.needs_check(role, HEALTH_RECHECK) {
            continue;
        }
        let result = match role {
            Role::Source => engine.source_mut().healthcheck(),
            Role::Sink => engine.sink_mut().healthcheck(),
        };
        health.checked(role, &result);
    }
}
