//! Request statistics: how many requests each endpoint answered, by status. Benchmarks and
//! economy tests count HTTP requests with these (e.g. "a full pass of 100,000 records at 200 per
//! page costs 501 requests").

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::faults::Dropped;

/// The endpoints the statistics distinguish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET`/`POST /netwrix/api/v1/activity_records/enum`.
    Enum,
    /// `POST /netwrix/api/v1/activity_records/search`.
    Search,
    /// `POST /netwrix/api/v1/activity_records/`.
    Write,
    /// Any other path (answered 404).
    Other,
}

/// What one endpoint answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointStats {
    /// Responses by HTTP status code.
    pub by_status: BTreeMap<u16, u64>,
    /// Requests whose connection was dropped without a response (fault injection).
    pub dropped: u64,
}

impl EndpointStats {
    /// All requests this endpoint received, answered or dropped.
    pub fn total(&self) -> u64 {
        self.by_status.values().sum::<u64>() + self.dropped
    }
}

/// A snapshot of the request counts, from [`Auditor::requests`](super::Auditor::requests).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    /// Counts per endpoint; endpoints never called are absent.
    pub endpoints: BTreeMap<Endpoint, EndpointStats>,
}

impl RequestStats {
    /// All requests received.
    pub fn total(&self) -> u64 {
        self.endpoints.values().map(EndpointStats::total).sum()
    }

    /// All requests one endpoint received.
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.endpoints
            .get(&endpoint)
            .map_or(0, EndpointStats::total)
    }

    /// Requests one endpoint answered with `status`.
    pub fn count_status(&self, endpoint: Endpoint, status: u16) -> u64 {
        self.endpoints
            .get(&endpoint)
            .and_then(|stats| stats.by_status.get(&status))
            .copied()
            .unwrap_or(0)
    }
}

/// The live counters of one emulator.
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    stats: Mutex<RequestStats>,
}

impl StatsRecorder {
    pub(crate) fn snapshot(&self) -> RequestStats {
        self.lock().clone()
    }

    pub(crate) fn reset(&self) {
        *self.lock() = RequestStats::default();
    }

    fn record(&self, endpoint: Endpoint, status: Option<u16>) {
        let mut stats = self.lock();
        let entry = stats.endpoints.entry(endpoint).or_default();
        match status {
            Some(status) => *entry.by_status.entry(status).or_default() += 1,
            None => entry.dropped += 1,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RequestStats> {
        // Counters stay meaningful after a poisoning panic elsewhere.
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Middleware: counts every response by the endpoint its handler tagged it with.
pub(crate) async fn count(
    State(recorder): State<Arc<StatsRecorder>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let endpoint = response
        .extensions()
        .get::<Endpoint>()
        .copied()
        .unwrap_or(Endpoint::Other);
    let status = if response.extensions().get::<Dropped>().is_some() {
        None
    } else {
        Some(response.status().as_u16())
    };
    recorder.record(endpoint, status);
    response
}
