//! The metrics of one sluice process, in the Prometheus registry `/metrics` renders, and what
//! `/readyz` knows: whether each pipeline's source and sink answered last time.
//!
//! One [`Metrics`] is made per process. Each engine gets a [`PipelineMetrics`] from it
//! ([`Metrics::pipeline`]), which carries the pipeline and plugin names every series is
//! labelled with; the engine reports its totals to it after each step, and wraps its source
//! and sink calls the engine reports (`observer.rs`), which times them, counts records and
//! classifies errors.
//! Series names start with `sluice_`, except the process metrics every client library
//! exports as `process_*` (`process.rs`); the gauges read from the state store at each scrape
//! are in `store.rs`. `docs/operating.md` lists them all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Metric, Registry, Unit};

use sluice_core::EngineStats;

mod intake;
mod lease;
mod pipeline;
mod process;
mod store;

pub use intake::{IntakeMetrics, Refusal};
pub use lease::{LeaseMetrics, Renewal};
pub use pipeline::PipelineMetrics;
use store::{PipelineFacts, StoreSeries};

/// Upper bounds of the sink and source latency buckets, seconds: 5 ms to about 41 s (a batch
/// of ticket actions takes one request per action).
pub const SINK_LATENCY_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96,
];

/// Source or sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Where records come from.
    Source,
    /// Where tickets go.
    Sink,
}

impl Role {
    /// `source` or `sink`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Sink => "sink",
        }
    }
}

/// What sluice last saw of a system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// Not contacted yet.
    Unknown,
    /// It answered.
    Up,
    /// It could not be reached, or refused us; the error, redacted.
    Down(String),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PipelineLabels {
    pipeline: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    pipeline: String,
    plugin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RecordLabels {
    pipeline: String,
    plugin: String,
    intake: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SuppressedLabels {
    pipeline: String,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TicketLabels {
    pipeline: String,
    plugin: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    pipeline: String,
    plugin: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    pipeline: String,
    plugin: String,
    component: &'static str,
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    pipeline: String,
    plugin: String,
    component: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    pipeline: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    result: &'static str,
}

type HistogramFamily = Family<PluginLabels, Histogram, fn() -> Histogram>;

/// Now, in seconds since 1970.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Registers `metric` under `sluice_{name}`, and returns it.
fn registered<M: Metric + Clone>(r: &mut Registry, name: &str, help: &str, metric: M) -> M {
    r.register(name, help, metric.clone());
    metric
}

/// Registers a latency histogram family under `sluice_{name}_seconds`.
fn latency(r: &mut Registry, name: &str, help: &str) -> HistogramFamily {
    let family: HistogramFamily =
        Family::new_with_constructor(|| Histogram::new(SINK_LATENCY_BUCKETS));
    r.register_with_unit(name, help, Unit::Seconds, family.clone());
    family
}

/// Every series, and the reachability of each component.
#[derive(Debug)]
struct Series {
    registry: Registry,
    records: Family<RecordLabels, Counter>,
    alerts_received: Family<PipelineLabels, Counter>,
    alerts_suppressed: Family<SuppressedLabels, Counter>,
    tickets_created: Family<TicketLabels, Counter>,
    tickets_updated: Family<PluginLabels, Counter>,
    tickets_reopened: Family<PluginLabels, Counter>,
    tickets_adopted: Family<PluginLabels, Counter>,
    ticket_actions: Family<ActionLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    store_errors: Family<PipelineLabels, Counter>,
    sink_latency: HistogramFamily,
    source_latency: HistogramFamily,
    store: StoreSeries,
    up: Family<ComponentLabels, Gauge>,
    reloads: Family<ReloadLabels, Counter>,
    last_reload_successful: Gauge,
    last_reload_success_time: Gauge<f64, std::sync::atomic::AtomicU64>,
    intake: IntakeMetrics,
    lease: LeaseMetrics,
    reachability: Mutex<BTreeMap<(String, Role), Contact>>,
    /// What each pipeline's settings say that its store gauges need.
    facts: Mutex<BTreeMap<String, PipelineFacts>>,
}

/// What is known of one component's system.
#[derive(Debug, Clone)]
struct Contact {
    plugin: String,
    state: Reachability,
    at: Instant,
}

/// What enters the pipelines: records, and the alerts they raise.
struct AlertSeries {
    records: Family<RecordLabels, Counter>,
    alerts_received: Family<PipelineLabels, Counter>,
    alerts_suppressed: Family<SuppressedLabels, Counter>,
}

impl AlertSeries {
    fn declare(r: &mut Registry) -> Self {
        AlertSeries {
            records: registered(
                r,
                "records_fetched",
                "Activity records read from the source, by intake (poll or response_action)",
                Family::default(),
            ),
            alerts_received: registered(
                r,
                "alerts_received",
                "Alerts taken into the pipeline and decided",
                Family::default(),
            ),
            alerts_suppressed: registered(
                r,
                "alerts_suppressed",
                "Alerts that opened no ticket of their own, by reason: consolidated (into \
                 their open ticket), flood (into the window's flood ticket), disabled (their \
                 definition is off)",
                Family::default(),
            ),
        }
    }
}

/// What became of tickets and ticket actions at the sink.
struct TicketSeries {
    tickets_created: Family<TicketLabels, Counter>,
    tickets_updated: Family<PluginLabels, Counter>,
    tickets_reopened: Family<PluginLabels, Counter>,
    tickets_adopted: Family<PluginLabels, Counter>,
    ticket_actions: Family<ActionLabels, Counter>,
}

impl TicketSeries {
    fn declare(r: &mut Registry) -> Self {
        TicketSeries {
            tickets_created: registered(
                r,
                "tickets_created",
                "Tickets opened at the sink, by kind (alert or flood)",
                Family::default(),
            ),
            tickets_updated: registered(
                r,
                "tickets_updated",
                "Consolidated updates written to open tickets",
                Family::default(),
            ),
            tickets_reopened: registered(
                r,
                "tickets_reopened",
                "Closed tickets reopened because their alert repeated",
                Family::default(),
            ),
            tickets_adopted: registered(
                r,
                "tickets_adopted",
                "Tickets an interrupted attempt had opened, found by their correlation key \
                 instead of opened again",
                Family::default(),
            ),
            ticket_actions: registered(
                r,
                "ticket_actions",
                "Ticket actions settled by the sink, by outcome: done (confirmed), retried \
                 (to be tried again), dead_lettered (given up on, or refused for good)",
                Family::default(),
            ),
        }
    }
}

/// How the calls to the source and the sink went, and what waits in the store.
struct CallSeries {
    errors: Family<ErrorLabels, Counter>,
    store_errors: Family<PipelineLabels, Counter>,
    sink_latency: HistogramFamily,
    source_latency: HistogramFamily,
}

impl CallSeries {
    fn declare(r: &mut Registry) -> Self {
        CallSeries {
            errors: registered(
                r,
                "errors",
                "Failed source calls and sink actions, by component and class (config, \
                 credentials, transient, protocol, rejected, unsupported, panicked, internal)",
                Family::default(),
            ),
            store_errors: registered(
                r,
                "state_store_errors",
                "Steps that failed because the state store did",
                Family::default(),
            ),
            sink_latency: latency(
                r,
                "sink_latency",
                "Time of each call to the sink with a batch of ticket actions",
            ),
            source_latency: latency(
                r,
                "source_latency",
                "Time of each call to the source (a poll or a fetch by id)",
            ),
        }
    }
}

/// Whether the components answer, how config reloads went, and the build.
struct HealthSeries {
    up: Family<ComponentLabels, Gauge>,
    reloads: Family<ReloadLabels, Counter>,
    last_reload_successful: Gauge,
    last_reload_success_time: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl HealthSeries {
    /// Declares the series, at their initial values (the last reload successful: the start
    /// is), and registers the build's version.
    fn declare(r: &mut Registry) -> Self {
        let series = HealthSeries {
            up: registered(
                r,
                "component_up",
                "1 when the component's system answered the last call or healthcheck, 0 when \
                 not",
                Family::default(),
            ),
            reloads: registered(
                r,
                "config_reloads",
                "Config reloads, by result (success or failure)",
                Family::default(),
            ),
            last_reload_successful: registered(
                r,
                "config_last_reload_successful",
                "1 when the last config reload (or the start) succeeded, 0 when the running \
                 config is older than the file",
                Gauge::default(),
            ),
            last_reload_success_time: {
                let gauge = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
                r.register_with_unit(
                    "config_last_reload_success_timestamp",
                    "When the config was last loaded successfully (at start or by a reload), \
                     seconds since 1970",
                    Unit::Seconds,
                    gauge.clone(),
                );
                gauge
            },
        };
        r.register(
            "build",
            "The version of sluice, the git revision it was built from, and its target",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION")),
                ("revision", env!("SLUICE_REVISION")),
                ("target", env!("SLUICE_TARGET")),
            ]),
        );
        series.last_reload_successful.set(1);
        series.last_reload_success_time.set(unix_now());
        for result in ["success", "failure"] {
            let _ = series.reloads.get_or_create(&ReloadLabels { result });
        }
        series
    }
}

/// The metrics of one process. Cheap to clone; every clone reports into the same registry.
///
/// `sluice run` wires it as any embedder (`sluice demo`, a test) can:
///
/// ```text
/// let metrics = Metrics::new();                                   // once per process
/// let engine = Engine::new(spec, store, source, sink, clock)
///     .with_metrics(metrics.pipeline(&name, &source_plugin, &sink_plugin));
/// engine.step()?; …                                               // reports as it goes
/// metrics.refresh_store_gauges(engine.store(), &name)?;           // gauges from the store
/// print!("{}", metrics.render());                                 // the text /metrics serves
/// ```
#[derive(Debug, Clone)]
pub struct Metrics {
    series: Arc<Series>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry with every series declared.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(process::ProcessCollector));
        let r = registry.sub_registry_with_prefix("sluice");
        // Declared in the order `/metrics` lists them.
        let AlertSeries {
            records,
            alerts_received,
            alerts_suppressed,
        } = AlertSeries::declare(r);
        let TicketSeries {
            tickets_created,
            tickets_updated,
            tickets_reopened,
            tickets_adopted,
            ticket_actions,
        } = TicketSeries::declare(r);
        let CallSeries {
            errors,
            store_errors,
            sink_latency,
            source_latency,
        } = CallSeries::declare(r);
        let store = StoreSeries::declare(r);
        let HealthSeries {
            up,
            reloads,
            last_reload_successful,
            last_reload_success_time,
        } = HealthSeries::declare(r);
        let intake = IntakeMetrics::declare(r);
        let lease = LeaseMetrics::declare(r);
        let series = Series {
            registry,
            records,
            alerts_received,
            alerts_suppressed,
            tickets_created,
            tickets_updated,
            tickets_reopened,
            tickets_adopted,
            ticket_actions,
            errors,
            store_errors,
            sink_latency,
            source_latency,
            store,
            up,
            reloads,
            last_reload_successful,
            last_reload_success_time,
            intake,
            lease,
            reachability: Mutex::new(BTreeMap::new()),
            facts: Mutex::new(BTreeMap::new()),
        };
        Metrics {
            series: Arc::new(series),
        }
    }

    /// The handle the delivery lease reports into.
    pub fn lease(&self) -> LeaseMetrics {
        self.series.lease.clone()
    }

    /// The handle the response intake reports into.
    pub fn intake(&self) -> IntakeMetrics {
        self.series.intake.clone()
    }

    /// The handle an engine of `pipeline` reports into; its source and sink are provided by
    /// the plugins named `source_plugin` and `sink_plugin`.
    pub fn pipeline(
        &self,
        pipeline: &str,
        source_plugin: &str,
        sink_plugin: &str,
    ) -> PipelineMetrics {
        let handle = PipelineMetrics {
            metrics: self.clone(),
            pipeline: pipeline.to_owned(),
            source_plugin: source_plugin.to_owned(),
            sink_plugin: sink_plugin.to_owned(),
            reported: EngineStats::default(),
        };
        // Series that exist from the start, at zero, so dashboards and rate() see them
        // before the first event.
        for intake in ["poll", "response_action"] {
            handle.records(intake, 0);
        }
        let _ = self.series.store_errors.get_or_create(&PipelineLabels {
            pipeline: pipeline.to_owned(),
        });
        for role in [Role::Source, Role::Sink] {
            let family = match role {
                Role::Source => &self.series.source_latency,
                Role::Sink => &self.series.sink_latency,
            };
            let _ = family.get_or_create(&handle.labels(role));
        }
        for role in [Role::Source, Role::Sink] {
            let mut known = self.contacts();
            known
                .entry((pipeline.to_owned(), role))
                .or_insert_with(|| Contact {
                    plugin: handle.plugin(role).to_owned(),
                    state: Reachability::Unknown,
                    at: Instant::now(),
                })
                .plugin = handle.plugin(role).to_owned();
        }
        handle
    }

    /// Forgets the pipelines not in `names` (a reload removed or disabled them): their gauges
    /// and reachability. Their counters stay, as Prometheus expects of counters.
    pub fn keep_pipelines(&self, names: &[&str]) {
        let mut known = self.contacts();
        let gone: Vec<(String, Role)> = known
            .keys()
            .filter(|(p, _)| !names.contains(&p.as_str()))
            .cloned()
            .collect();
        for key in gone {
            if let Some(contact) = known.remove(&key) {
                self.series.up.remove(&ComponentLabels {
                    pipeline: key.0.clone(),
                    plugin: contact.plugin,
                    component: key.1.as_str(),
                });
            }
            self.series.store.forget(&key.0);
        }
        let mut facts = self.facts();
        let forgotten: Vec<String> = facts
            .keys()
            .filter(|p| !names.contains(&p.as_str()))
            .cloned()
            .collect();
        for pipeline in forgotten {
            facts.remove(&pipeline);
            self.series.store.forget(&pipeline);
        }
    }

    /// Counts a config reload.
    pub fn reloaded(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.series
            .reloads
            .get_or_create(&ReloadLabels { result })
            .inc();
        self.series.last_reload_successful.set(i64::from(ok));
        if ok {
            self.series.last_reload_success_time.set(unix_now());
        }
    }

    /// The reachability of every known component: (pipeline, role) → state.
    pub fn reachability(&self) -> BTreeMap<(String, Role), Reachability> {
        self.contacts()
            .iter()
            .map(|(k, c)| (k.clone(), c.state.clone()))
            .collect()
    }

    /// The Prometheus text exposition (OpenMetrics 1.0) of every series.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.series.registry);
        text
    }

    fn contacts(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, Role), Contact>> {
        self.series
            .reachability
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}
