//! [`PipelineMetrics`]: one engine's view of the process's metrics, labelled with its pipeline
//! and plugins; what the engine's observer (`telemetry/observer.rs`) and the runtime's health
//! rechecks report into.

use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use sluice_core::{redact, EngineStats};
use sluice_sdk::{ErrorKind, PluginError};

use super::{
    ActionLabels, ComponentLabels, Contact, ErrorLabels, Metrics, PipelineLabels, PluginLabels,
    Reachability, RecordLabels, Role, SuppressedLabels, TicketLabels,
};

/// One engine's view of the metrics: its pipeline's labels, and the totals it reported last.
#[derive(Debug)]
pub struct PipelineMetrics {
    pub(super) metrics: Metrics,
    pub(super) pipeline: String,
    pub(super) source_plugin: String,
    pub(super) sink_plugin: String,
    pub(super) reported: EngineStats,
}

impl PipelineMetrics {
    pub(super) fn plugin(&self, role: Role) -> &str {
        match role {
            Role::Source => &self.source_plugin,
            Role::Sink => &self.sink_plugin,
        }
    }

    pub(super) fn labels(&self, role: Role) -> PluginLabels {
        PluginLabels {
            pipeline: self.pipeline.clone(),
            plugin: self.plugin(role).to_owned(),
        }
    }

    /// Adds what the engine did since its last report. `stats` are the engine's totals since
    /// it started.
    pub fn observe(&mut self, stats: &EngineStats) {
        let (now, was) = (stats, &self.reported);
        let s = &self.metrics.series;
        let pipeline = PipelineLabels {
            pipeline: self.pipeline.clone(),
        };
        let sink = self.labels(Role::Sink);
        let add = |counter: &Counter, now: u64, was: u64| {
            counter.inc_by(now.saturating_sub(was));
        };
        add(
            &s.alerts_received.get_or_create(&pipeline),
            now.alerts,
            was.alerts,
        );
        for (reason, now, was) in [
            ("consolidated", now.consolidated, was.consolidated),
            (
                "flood",
                now.flooded + now.flood_opened,
                was.flooded + was.flood_opened,
            ),
            ("disabled", now.ignored, was.ignored),
        ] {
            let labels = SuppressedLabels {
                pipeline: self.pipeline.clone(),
                reason,
            };
            add(&s.alerts_suppressed.get_or_create(&labels), now, was);
        }
        let (d, w) = (&now.delivery, &was.delivery);
        for (kind, now, was) in [
            (
                "alert",
                d.created.saturating_sub(d.flood_created),
                w.created.saturating_sub(w.flood_created),
            ),
            ("flood", d.flood_created, w.flood_created),
        ] {
            let labels = TicketLabels {
                pipeline: self.pipeline.clone(),
                plugin: self.sink_plugin.clone(),
                kind,
            };
            add(&s.tickets_created.get_or_create(&labels), now, was);
        }
        add(
            &s.tickets_updated.get_or_create(&sink),
            d.updated,
            w.updated,
        );
        add(
            &s.tickets_reopened.get_or_create(&sink),
            d.reopened,
            w.reopened,
        );
        add(
            &s.tickets_adopted.get_or_create(&sink),
            d.adopted,
            w.adopted,
        );
        for (outcome, now, was) in [
            ("done", d.created + d.updated, w.created + w.updated),
            ("retried", d.retried, w.retried),
            ("dead_lettered", d.dead, w.dead),
        ] {
            let labels = ActionLabels {
                pipeline: self.pipeline.clone(),
                plugin: self.sink_plugin.clone(),
                outcome,
            };
            add(&s.ticket_actions.get_or_create(&labels), now, was);
        }
        self.reported = *stats;
    }

    /// Counts a step that failed because the state store did.
    pub fn store_failed(&self) {
        self.metrics
            .series
            .store_errors
            .get_or_create(&PipelineLabels {
                pipeline: self.pipeline.clone(),
            })
            .inc();
    }

    /// Records what a call to the `role` system showed: it answered, or not.
    pub fn contact(&self, role: Role, state: Reachability) {
        let up = i64::from(state == Reachability::Up);
        self.metrics
            .series
            .up
            .get_or_create(&ComponentLabels {
                pipeline: self.pipeline.clone(),
                plugin: self.plugin(role).to_owned(),
                component: role.as_str(),
            })
            .set(up);
        let mut known = self.metrics.contacts();
        let contact = known
            .entry((self.pipeline.clone(), role))
            .or_insert_with(|| Contact {
                plugin: self.plugin(role).to_owned(),
                state: Reachability::Unknown,
                at: Instant::now(),
            });
        if contact.state != state {
            match &state {
                Reachability::Down(error) => tracing::warn!(
                    pipeline = %self.pipeline, component = role.as_str(), %error,
                    "The {} cannot be reached; /readyz reports it.", role.as_str()
                ),
                Reachability::Up if matches!(contact.state, Reachability::Down(_)) => {
                    tracing::info!(
                        pipeline = %self.pipeline, component = role.as_str(),
                        "The {} answers again.", role.as_str()
                    )
                }
                _ => {}
            }
        }
        contact.state = state;
        contact.at = Instant::now();
    }

    /// Records a healthcheck's result.
    pub fn checked(&self, role: Role, result: &Result<(), PluginError>) {
        self.contact(
            role,
            match result {
                Ok(()) => Reachability::Up,
                Err(e) => Reachability::Down(redact(&e.to_string()).into_owned()),
            },
        );
    }

    /// Whether the `role` system is marked unreachable (or was never contacted) and nothing
    /// was heard of it for `quiet`: time to run its healthcheck again.
    pub fn needs_check(&self, role: Role, quiet: std::time::Duration) -> bool {
        self.metrics
            .contacts()
            .get(&(self.pipeline.clone(), role))
            .is_some_and(|c| c.state != Reachability::Up && c.at.elapsed() >= quiet)
    }

    pub(in crate::telemetry) fn error(&self, role: Role, kind: ErrorKind) {
        self.error_class(role, kind.as_code());
    }

    pub(in crate::telemetry) fn error_class(&self, role: Role, class: &'static str) {
        self.metrics
            .series
            .errors
            .get_or_create(&ErrorLabels {
                pipeline: self.pipeline.clone(),
                plugin: self.plugin(role).to_owned(),
                component: role.as_str(),
                class,
            })
            .inc();
    }

    pub(in crate::telemetry) fn latency(&self, role: Role, took: std::time::Duration) {
        let family = match role {
            Role::Source => &self.metrics.series.source_latency,
            Role::Sink => &self.metrics.series.sink_latency,
        };
        family
            .get_or_create(&self.labels(role))
            .observe(took.as_secs_f64());
    }

    pub(in crate::telemetry) fn records(&self, intake: &'static str, n: usize) {
        self.metrics
            .series
            .records
            .get_or_create(&RecordLabels {
                pipeline: self.pipeline.clone(),
                plugin: self.source_plugin.clone(),
                intake,
            })
            .inc_by(n as u64);
    }
}
