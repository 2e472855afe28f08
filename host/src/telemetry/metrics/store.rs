//! The gauges read from the state store at each scrape: what waits in the queue, the dead
//! letters, when each pipeline last fetched and delivered, and its flood window. They come
//! from the store, not from counters in memory, so they survive a restart and agree with
//! `sluice status`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use sluice_core::store::checkpoints::{self, Activity};
use sluice_core::store::{alerts, dead_letters, tickets};
use sluice_core::{AlertState, PipelineSettings, Store, StoreError, Timestamp};

use super::{registered, Metrics, PipelineLabels, QueueLabels};

/// The alert states `sluice_queue_depth` reports: every state of an alert not yet delivered.
pub(super) const QUEUE_STATES: [AlertState; 5] = AlertState::WAITING;

/// A gauge of seconds, fractional.
type Seconds = Gauge<f64, AtomicU64>;

/// What a pipeline's settings say that its gauges need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PipelineFacts {
    flood_interval: Duration,
    flood_limit: u32,
    poll_interval: Option<Duration>,
}

/// The series read from the store.
#[derive(Debug)]
pub(super) struct StoreSeries {
    pub(super) queue_depth: Family<QueueLabels, Gauge>,
    dead_letters: Family<PipelineLabels, Gauge>,
    last_fetch: Family<PipelineLabels, Seconds>,
    last_delivery: Family<PipelineLabels, Seconds>,
    flood_tickets: Family<PipelineLabels, Gauge>,
    flood_active: Family<PipelineLabels, Gauge>,
    poll_interval: Family<PipelineLabels, Seconds>,
}

fn seconds(r: &mut Registry, name: &str, help: &str) -> Family<PipelineLabels, Seconds> {
    let family = Family::<PipelineLabels, Seconds>::default();
    r.register_with_unit(name, help, Unit::Seconds, family.clone());
    family
}

impl StoreSeries {
    pub(super) fn declare(r: &mut Registry) -> Self {
        StoreSeries {
            queue_depth: registered(
                r,
                "queue_depth",
                "Alerts not yet delivered, by state: queued (waiting for their record), ready \
                 (to decide), collecting (in a consolidation buffer), pending (to deliver or \
                 retry), in_flight",
                Family::default(),
            ),
            dead_letters: registered(
                r,
                "dead_letters",
                "Ticket actions given up on that still carry alerts (`sluice dead-letters list` \
                 shows them; `requeue` sends them again)",
                Family::default(),
            ),
            last_fetch: seconds(
                r,
                "last_successful_fetch_timestamp",
                "When the pipeline last read records from its source (a poll or a fetch by \
                 id), seconds since 1970; absent until it first did",
            ),
            last_delivery: seconds(
                r,
                "last_successful_delivery_timestamp",
                "When the sink last confirmed a ticket action of the pipeline, seconds since \
                 1970; absent until it first did",
            ),
            flood_tickets: registered(
                r,
                "flood_window_tickets",
                "New tickets opened in the pipeline's current flood window (0 when none is \
                 open)",
                Family::default(),
            ),
            flood_active: registered(
                r,
                "flood_active",
                "1 while the current flood window has reached ticket_flood_limit: new alerts \
                 go into the flood ticket",
                Family::default(),
            ),
            poll_interval: seconds(
                r,
                "poll_interval",
                "The pipeline's poll_interval; present only for pipelines that poll",
            ),
        }
    }

    /// Forgets `pipeline`'s gauges (a reload removed it).
    pub(super) fn forget(&self, pipeline: &str) {
        let labels = PipelineLabels {
            pipeline: pipeline.to_owned(),
        };
        for state in QUEUE_STATES {
            self.queue_depth.remove(&QueueLabels {
                pipeline: pipeline.to_owned(),
                state: state.as_str(),
            });
        }
        self.dead_letters.remove(&labels);
        self.last_fetch.remove(&labels);
        self.last_delivery.remove(&labels);
        self.flood_tickets.remove(&labels);
        self.flood_active.remove(&labels);
        self.poll_interval.remove(&labels);
    }
}

/// A time as seconds since 1970.
fn unix_seconds(t: Timestamp) -> f64 {
    t.as_millis() as f64 / 1000.0
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    /// Remembers what `pipeline`'s settings say that its gauges need: its flood limit and
    /// window, and its poll interval if it polls.
    pub fn describe_pipeline(&self, pipeline: &str, settings: &PipelineSettings) {
        let facts = PipelineFacts {
            flood_interval: settings.suppression.ticket_flood_interval.get(),
            flood_limit: settings.suppression.ticket_flood_limit,
            poll_interval: settings
                .intake
                .poll
                .then(|| settings.intake.poll_interval.get()),
        };
        let labels = PipelineLabels {
            pipeline: pipeline.to_owned(),
        };
        match facts.poll_interval {
            Some(every) => {
                self.series
                    .store
                    .poll_interval
                    .get_or_create(&labels)
                    .set(every.as_secs_f64());
            }
            None => {
                self.series.store.poll_interval.remove(&labels);
            }
        }
        self.facts().insert(pipeline.to_owned(), facts);
    }

    /// Sets the gauges read from the state store for `pipeline`: the queue depth, the dead
    /// letters, when it last fetched and delivered, and its flood window (at `now`).
    pub fn refresh_store_gauges(&self, store: &Store, pipeline: &str) -> Result<(), StoreError> {
        let s = &self.series.store;
        let db = &store.db();
        let counts = store.read(alerts::by_state(db, pipeline))?;
        for state in QUEUE_STATES {
            let n = counts
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n);
            s.queue_depth
                .get_or_create(&QueueLabels {
                    pipeline: pipeline.to_owned(),
                    state: state.as_str(),
                })
                .set(count(n));
        }
        let labels = PipelineLabels {
            pipeline: pipeline.to_owned(),
        };
        let dead = store.read(dead_letters::count(db, pipeline))?;
        s.dead_letters.get_or_create(&labels).set(count(dead));
        for (what, family) in [
            (Activity::Fetch, &s.last_fetch),
            (Activity::Delivery, &s.last_delivery),
        ] {
            if let Some(at) = store.read(checkpoints::last_done(db, pipeline, what))? {
                family.get_or_create(&labels).set(unix_seconds(at));
            }
        }
        let facts = self.facts().get(pipeline).copied();
        if let Some(facts) = facts {
            let window = store.read(tickets::flood_window(db, pipeline))?;
            let now = Timestamp::now();
            let current = window.filter(|w| now < w.started_at + facts.flood_interval);
            let tickets = current.map_or(0, |w| w.created);
            s.flood_tickets
                .get_or_create(&labels)
                .set(i64::from(tickets));
            let active = current.is_some() && tickets >= facts.flood_limit;
            s.flood_active.get_or_create(&labels).set(i64::from(active));
        }
        Ok(())
    }

    pub(super) fn facts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PipelineFacts>> {
        self.series.facts.lock().unwrap_or_else(|p| p.into_inner())
    }
}
