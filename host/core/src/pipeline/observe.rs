//! What an engine tells whoever watches it: every source and sink call with its time and
//! result, and its totals after each step. Telemetry implements [`EngineObserver`] (metrics,
//! reachability); the pipeline only reports, so it never depends on how that is shown.

use std::time::{Duration, Instant};

use sluice_sdk::{ActionOutcome, Checkpoint, PluginError, Record, SourceBatch, TicketAction};

use super::delivery::TicketSink;
use super::engine::EngineStats;
use super::intake::RecordSource;

/// Which of the source's two calls was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceCall {
    /// A poll for new records.
    Poll,
    /// A fetch of the records named by response actions.
    ResponseAction,
}

impl SourceCall {
    /// The name metrics and logs use.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceCall::Poll => "poll",
            SourceCall::ResponseAction => "response_action",
        }
    }
}

/// Receives what an engine does, as it does it.
pub trait EngineObserver: Send {
    /// The source answered `call` after `took`: so many records, or an error.
    fn source_called(&self, call: SourceCall, took: Duration, result: Result<usize, &PluginError>);

    /// The sink answered a batch after `took`, one outcome per action.
    fn sink_called(&self, took: Duration, outcomes: &[ActionOutcome]);

    /// A step ended; `stats` are the engine's totals since it started.
    fn stepped(&mut self, stats: &EngineStats);
}

/// A source or sink whose calls are reported to an observer (when there is one).
pub(super) struct Observed<'a, T> {
    inner: &'a mut T,
    observer: Option<&'a dyn EngineObserver>,
}

impl<'a, T> Observed<'a, T> {
    pub(super) fn new(inner: &'a mut T, observer: Option<&'a dyn EngineObserver>) -> Self {
        Observed { inner, observer }
    }

    fn source_call<R>(
        &mut self,
        call: SourceCall,
        count: impl Fn(&R) -> usize,
        run: impl FnOnce(&mut T) -> Result<R, PluginError>,
    ) -> Result<R, PluginError> {
        let started = Instant::now();
        let result = run(self.inner);
        if let Some(observer) = self.observer {
            observer.source_called(call, started.elapsed(), result.as_ref().map(&count));
        }
        result
    }
}

impl<T: RecordSource> RecordSource for Observed<'_, T> {
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        self.source_call(
            SourceCall::Poll,
            |b: &SourceBatch| b.records.len(),
            |s| s.poll(checkpoint),
        )
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        self.source_call(SourceCall::ResponseAction, Vec::len, |s| s.fetch(ids))
    }
}

impl<T: TicketSink> TicketSink for Observed<'_, T> {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        let started = Instant::now();
        let outcomes = self.inner.deliver(actions);
        if let Some(observer) = self.observer {
            observer.sink_called(started.elapsed(), &outcomes);
        }
        outcomes
    }
}
