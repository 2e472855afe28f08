//! Source and sink calls timed, counted and classified into a pipeline's metrics, and what
//! they show of the systems' reachability.

use std::time::Instant;

use sluice_sdk::{
    ActionOutcome, Checkpoint, ErrorKind, PluginError, Record, SourceBatch, TicketAction,
};

use super::metrics::{PipelineMetrics, Reachability, Role};
use crate::config::redact;
use crate::pipeline::delivery::TicketSink;
use crate::pipeline::intake::RecordSource;

/// Whether a failure of this kind means the system answered (it refused one request) rather
/// than that it could not be used.
fn answered(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Rejected | ErrorKind::Unsupported)
}

/// A source or sink whose calls are timed, counted and classified into `metrics` (when there
/// are metrics).
#[derive(Debug)]
pub struct Measured<'a, T> {
    inner: &'a mut T,
    metrics: Option<&'a PipelineMetrics>,
}

impl<'a, T> Measured<'a, T> {
    /// `inner`, reporting into `metrics`.
    pub fn new(inner: &'a mut T, metrics: Option<&'a PipelineMetrics>) -> Self {
        Measured { inner, metrics }
    }

    fn source_call<R>(
        &mut self,
        intake: &'static str,
        count: impl Fn(&R) -> usize,
        call: impl FnOnce(&mut T) -> Result<R, PluginError>,
    ) -> Result<R, PluginError> {
        let Some(m) = self.metrics else {
            return call(self.inner);
        };
        let started = Instant::now();
        let result = call(self.inner);
        m.latency(Role::Source, started);
        match &result {
            Ok(r) => {
                m.records(intake, count(r));
                m.contact(Role::Source, Reachability::Up);
            }
            Err(e) => {
                m.error(Role::Source, e.kind());
                if answered(e.kind()) {
                    m.contact(Role::Source, Reachability::Up);
                } else {
                    m.checked(Role::Source, &Err(e.clone()));
                }
            }
        }
        result
    }
}

impl<T: RecordSource> RecordSource for Measured<'_, T> {
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        self.source_call(
            "poll",
            |b: &SourceBatch| b.records.len(),
            |s| s.poll(checkpoint),
        )
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        self.source_call("response_action", Vec::len, |s| s.fetch(ids))
    }
}

impl<T: TicketSink> TicketSink for Measured<'_, T> {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        let Some(m) = self.metrics else {
            return self.inner.deliver(actions);
        };
        let started = Instant::now();
        let outcomes = self.inner.deliver(actions);
        m.latency(Role::Sink, started);
        let mut reached = false;
        let mut trouble: Option<String> = None;
        for outcome in &outcomes {
            match outcome {
                ActionOutcome::Retry { reason, .. } => {
                    m.error_class(Role::Sink, "transient");
                    trouble.get_or_insert_with(|| reason.clone());
                }
                ActionOutcome::Failed(e) => {
                    m.error(Role::Sink, e.kind());
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
            (true, _) => m.contact(Role::Sink, Reachability::Up),
            (false, Some(error)) => {
                m.contact(Role::Sink, Reachability::Down(redact(&error).into_owned()));
            }
            (false, None) => {}
        }
        outcomes
    }
}
