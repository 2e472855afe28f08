//! What an engine tells whoever watches it: every source and sink call with its time and
//! result, and its totals after each step ([`EngineStats`]). Telemetry implements
//! [`EngineObserver`] (metrics, reachability); the pipeline only reports, so it never depends
//! on how that is shown.

use std::time::{Duration, Instant};

use sluice_sdk::{ActionOutcome, Checkpoint, PluginError, Record, SourceBatch, TicketAction};

use super::delivery::{DeliveryReport, TicketSink};
use super::intake::RecordSource;

/// Totals since the engine started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    /// Alerts decided.
    pub alerts: u64,
    /// Alerts that opened a ticket.
    pub opened: u64,
    /// Alerts consolidated into their open ticket.
    pub consolidated: u64,
    /// Alerts collected into a flood ticket.
    pub flooded: u64,
    /// Alerts that opened their window's flood ticket (counted in `opened` too).
    pub flood_opened: u64,
    /// Alerts ignored because their definition is disabled.
    pub ignored: u64,
    /// Records polled.
    pub records_polled: u64,
    /// Records fetched by id.
    pub records_fetched: u64,
    /// Delivery totals.
    pub delivery: DeliveryReportTotals,
}

/// Delivery totals since the engine started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReportTotals {
    /// Tickets opened (flood tickets included).
    pub created: u64,
    /// Flood tickets opened.
    pub flood_created: u64,
    /// Tickets adopted after an interrupted attempt.
    pub adopted: u64,
    /// Consolidated updates written.
    pub updated: u64,
    /// Tickets reopened.
    pub reopened: u64,
    /// Retries scheduled.
    pub retried: u64,
    /// Actions given up on.
    pub dead: u64,
    /// Calls to the sink.
    pub sink_calls: u64,
}

impl DeliveryReportTotals {
    /// Adds one delivery round.
    pub(super) fn add(&mut self, r: &DeliveryReport) {
        self.created += u64::from(r.created);
        self.flood_created += u64::from(r.flood_created);
        self.adopted += u64::from(r.adopted);
        self.updated += u64::from(r.updated);
        self.reopened += u64::from(r.reopened);
        self.retried += u64::from(r.retried);
        self.dead += u64::from(r.dead);
        self.sink_calls += u64::from(r.sink_calls);
    }
}

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
pub trait EngineObserver: Send + Sync {
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
