//! The running host: each enabled pipeline built from config and run by its engine on a
//! thread of its own, until a stop is asked for.
//!
//! A stop (SIGTERM, SIGINT) lets each pipeline finish the step it is in (a step ends after
//! its current sink call) and then returns; nothing is half-done, because every step commits
//! what it confirmed and leaves the rest queued. A step still running when the drain limit
//! expires is abandoned: what it sent is reconciled at the next start.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capabilities::Clock;
use crate::config::{ConfigFile, Diagnostic, PipelineSettings};
use crate::pipeline::delivery::TicketSink;
use crate::pipeline::engine::{Engine, PipelineSpec};
use crate::pipeline::intake::RecordSource;
use crate::pipeline::mapping::{computer_name, default_ticket_fields, TicketTemplate};
use crate::pipeline::rules::AlertSet;
use crate::state::millis;

/// Builds pipeline `name`'s spec: its alert definitions and ticket template, checked.
pub fn build_spec(
    file: &ConfigFile,
    name: &str,
    settings: &PipelineSettings,
) -> Result<PipelineSpec, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let alerts = AlertSet::load_dir(&settings.intake.alerts).unwrap_or_else(|e| {
        problems.extend(e.0);
        AlertSet::default()
    });
    let fields = settings
        .ticket
        .clone()
        .unwrap_or_else(default_ticket_fields);
    let template = match TicketTemplate::new(&fields, &settings.correlation_format) {
        Ok(t) => Some(t),
        Err(errors) => {
            for e in errors {
                problems.push(file.source.diagnostic(
                    &format!("pipelines.{name}.ticket.{}", e.field),
                    e.error.to_string(),
                ));
            }
            None
        }
    };
    for (i, field) in settings.suppression.group_by.iter().enumerate() {
        if field.trim().is_empty() {
            problems.push(file.source.diagnostic(
                &format!("pipelines.{name}.suppression.group_by[{i}]"),
                "must name a record field, like \"Who\"",
            ));
        }
    }
    match template {
        Some(template) if problems.is_empty() => Ok(PipelineSpec {
            name: name.to_owned(),
            settings: settings.clone(),
            alerts,
            template,
            computer: computer_name(),
        }),
        _ => Err(problems),
    }
}

/// A stop signal that wakes sleeping pipelines at once.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl StopSignal {
    /// Asks every holder to stop.
    pub fn stop(&self) {
        let (flag, wake) = &*self.inner;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps up to `timeout`; returns `true` if a stop was asked for.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, wake) = &*self.inner;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = wake
            .wait_timeout_while(guard, timeout, |stopped| !*stopped)
            .unwrap_or_else(|p| p.into_inner());
        *guard
    }
}

/// The pipelines running on their threads.
#[derive(Debug, Default)]
pub struct Running {
    threads: Vec<(String, JoinHandle<()>)>,
    stop: StopSignal,
}

/// The longest a pipeline thread sleeps between steps (when nothing is due sooner).
const MAX_SLEEP: Duration = Duration::from_secs(5);

impl Running {
    /// Starts `engine` on a thread named after its pipeline.
    pub fn spawn<S, K>(&mut self, mut engine: Engine<S, K>, clock: Arc<dyn Clock>)
    where
        S: RecordSource + Send + 'static,
        K: TicketSink + Send + 'static,
    {
        let name = engine.spec().name.clone();
        let stop = self.stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("pipeline-{name}"))
            .spawn(move || {
                let span = tracing::info_span!("pipeline", pipeline = %engine.spec().name);
                let _entered = span.enter();
                let mut failures = 0u32;
                while !stop.is_stopped() {
                    let sleep = match engine.step().and_then(|()| engine.next_wakeup()) {
                        Ok(next) => {
                            failures = 0;
                            let now = millis(clock.now());
                            Duration::from_millis(u64::try_from(next - now).unwrap_or(0))
                                .min(MAX_SLEEP)
                        }
                        Err(error) => {
                            failures += 1;
                            tracing::error!(%error, "The state store failed; retrying.");
                            Duration::from_millis(250u64.saturating_mul(1 << failures.min(6)))
                        }
                    };
                    if stop.wait(sleep) {
                        break;
                    }
                }
                tracing::info!("Pipeline stopped.");
            });
        match handle {
            Ok(h) => self.threads.push((name, h)),
            Err(error) => {
                tracing::error!(pipeline = %name, %error, "Cannot start the pipeline's thread.")
            }
        }
    }

    /// Stops every pipeline, waiting at most `drain` for them to finish their current step.
    /// Returns the names of pipelines that did not finish in time.
    pub fn stop(self, drain: Duration) -> Vec<String> {
        self.stop.stop();
        let deadline = Instant::now() + drain;
        let mut late = Vec::new();
        for (name, handle) in self.threads {
            while !handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                late.push(name);
            }
        }
        late
    }

    /// Whether any pipeline runs.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }
}

/// The state store path of `file`.
pub fn state_path(file: &ConfigFile) -> &Path {
    &file.config.state.path
}
