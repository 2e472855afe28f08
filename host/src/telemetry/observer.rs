//! A pipeline's metrics as the engine's observer: source and sink calls timed, counted and
//! classified, what they show of the systems' reachability, and the engine's totals.

use std::time::Duration;

use sluice_core::{redact, EngineObserver, EngineStats, SourceCall};
use sluice_sdk::{ActionOutcome, ErrorKind, PluginError};

use super::metrics::{PipelineMetrics, Reachability, Role};

/// Whether a failure of this kind means the system answered (it refused one request) rather
/// than that it could not be used.
fn answered(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Rejected | ErrorKind::Unsupported)
}

impl EngineObserver for PipelineMetrics {
    fn source_called(&self, call: SourceCall, took: Duration, result: Result<usize, &PluginError>) {
        self.latency(Role::Source, took);
        match result {
            Ok(records) => {
                self.records(call.as_str(), records);
                self.contact(Role::Source, Reachability::Up);
            }
            Err(e) => {
                self.error(Role::Source, e.kind());
                if answered(e.kind()) {
                    self.contact(Role::Source, Reachability::Up);
                } else {
                    self.checked(Role::Source, &Err(e.clone()));
                }
            }
        }
    }

    fn sink_called(&self, took: Duration, outcomes: &[ActionOutcome]) {
        self.latency(Role::Sink, took);
        let mut reached = false;
        let mut trouble: Option<String> = None;
        for outcome in outcomes {
            match outcome {
                ActionOutcome::Retry { reason, .. } | ActionOutcome::InDoubt { reason } => {
                    self.error_class(Role::Sink, "transient");
                    trouble.get_or_insert_with(|| reason.clone());
                }
                ActionOutcome::Failed(e) => {
                    self.error(Role::Sink, e.kind());
                    if answered(e.kind()) {
                        reached = true;
                    } else {
                        trouble.get_or_insert_with(|| e.to_string());
                    }
                }
                _ => reached = true,
            }
        }
        match (reached, trouble) {
            (true, _) => self.contact(Role::Sink, Reachability::Up),
            (false, Some(error)) => {
                self.contact(Role::Sink, Reachability::Down(redact(&error).into_owned()));
            }
            (false, None) => {}
        }
    }

    fn stepped(&mut self, stats: &EngineStats) {
        self.observe(stats);
    }
}
