//! What the demo did, read back from where a user would look: the state store for sluice's
//! decisions, the ServiceNow emulator for the incidents as the service desk sees them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::scenario::ACTS;
use super::stage::{Stage, RESPONSE_PIPELINE};
use sluice_core::store::alerts;
use sluice_core::store::tickets::{self, TicketKind};

/// The demo's report; `--json` prints it as one object.
#[derive(Debug, Serialize)]
pub(super) struct Report {
    /// Alerts sluice decided about.
    pub alerts_received: u64,
    /// Of those, per intake: `response_action`, `polling`.
    pub alerts_by_intake: BTreeMap<&'static str, u64>,
    /// Incidents opened, flood tickets included.
    pub tickets_created: u64,
    /// Consolidated updates written to incidents.
    pub tickets_updated: u64,
    /// Incidents reopened because their alert repeated after they were resolved.
    pub tickets_reopened: u64,
    /// Alerts that did not open an incident of their own.
    pub alerts_suppressed: u64,
    /// Of those, per reason: `consolidated` (into their alert's open incident), `flood`
    /// (into the flood ticket).
    pub alerts_suppressed_by_reason: BTreeMap<&'static str, u64>,
    /// Flood tickets opened.
    pub flood_tickets: u64,
    /// HTTP requests each emulator served: `servicenow`, `auditor`.
    pub requests: BTreeMap<&'static str, u64>,
    /// The incidents, oldest first.
    pub tickets: Vec<TicketLine>,
    /// The ServiceNow release emulated.
    pub servicenow_release: String,
    /// Where the config, alert files and state store are, if they were kept (`--dir`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
}

/// One incident.
#[derive(Debug, Serialize)]
pub(super) struct TicketLine {
    /// `INC0010001`.
    pub number: String,
    /// As the service desk sees it.
    pub short_description: String,
    /// Its state's label (`New`, `Resolved`, …).
    pub state: String,
    /// Its state's value (`1`, `6`, …).
    pub state_value: String,
    /// The pipeline that opened it.
    pub pipeline: String,
    /// `alert` or `flood`.
    pub kind: &'static str,
    /// What sluice groups under it: the alert, and the `group_by` fields.
    pub suppression_key: String,
    /// Alerts it stands for.
    pub alerts: u64,
    /// Updates written to it.
    pub updates: u64,
    /// Times it was reopened.
    pub reopens: u64,
}

impl Report {
    /// Reads the report off `stage` after the scenario.
    pub fn read(stage: &Stage, kept: bool) -> anyhow::Result<Report> {
        let mut report = Report {
            alerts_received: 0,
            alerts_by_intake: BTreeMap::new(),
            tickets_created: 0,
            tickets_updated: 0,
            tickets_reopened: 0,
            alerts_suppressed: 0,
            alerts_suppressed_by_reason: BTreeMap::new(),
            flood_tickets: 0,
            requests: BTreeMap::from([
                ("servicenow", stage.servicenow.requests().total()),
                ("auditor", stage.auditor.requests().total()),
            ]),
            tickets: Vec::new(),
            servicenow_release: stage.release.name().to_owned(),
            directory: kept.then(|| stage.dir.display().to_string()),
        };
        let mut opened = Vec::new();
        for engine in &stage.engines {
            let pipeline = engine.spec().name.as_str();
            let stats = engine.stats();
            let intake = if pipeline == RESPONSE_PIPELINE {
                "response_action"
            } else {
                "polling"
            };
            *report.alerts_by_intake.entry(intake).or_default() += stats.alerts;
            report.alerts_received += stats.alerts;
            report.tickets_created += stats.delivery.created;
            report.flood_tickets += stats.delivery.flood_created;
            report.tickets_updated += stats.delivery.updated;
            report.tickets_reopened += stats.delivery.reopened;

            let store = engine.store();
            for (decision, n) in store.read(alerts::decisions(store.conn(), pipeline))? {
                let reason = match decision.as_str() {
                    "consolidate" => "consolidated",
                    "flood" | "open_flood" => "flood",
                    _ => continue,
                };
                *report
                    .alerts_suppressed_by_reason
                    .entry(reason)
                    .or_default() += n;
                report.alerts_suppressed += n;
            }
            for row in store.read(tickets::recent(store.conn(), pipeline, 10_000))? {
                opened.push((pipeline.to_owned(), row));
            }
        }
        opened.sort_by(|a, b| a.1.number.cmp(&b.1.number));
        for (pipeline, row) in opened {
            let number = row.number.clone().unwrap_or_default();
            let incident = stage.servicenow.incident(&number);
            let field = |name: &str| {
                incident
                    .as_ref()
                    .map(|i| i.get(name).to_owned())
                    .unwrap_or_default()
            };
            let state_value = field("state");
            report.tickets.push(TicketLine {
                short_description: field("short_description"),
                state: state_label(&state_value).to_owned(),
                state_value,
                number,
                pipeline,
                kind: match row.kind {
                    TicketKind::Alert => "alert",
                    TicketKind::Flood => "flood",
                },
                suppression_key: row.suppression_key,
                alerts: row.alert_count,
                updates: row.update_count,
                reopens: row.reopen_count,
            });
        }
        Ok(report)
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let count =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let _ = writeln!(
            out,
            "sluice demo: Netwrix Auditor and ServiceNow ({}) emulators on loopback, the real \
             plugins, two pipelines.\n",
            self.servicenow_release
        );
        out.push_str("What happened\n");
        for act in ACTS.iter().skip(2) {
            let _ = writeln!(out, "  +{:>3} min  {}", act.at.as_secs() / 60, act.title);
        }
        out.push('\n');
        let by = |map: &BTreeMap<&str, u64>, key: &str| map.get(key).copied().unwrap_or(0);
        let rows = [
            (
                "Alerts received",
                self.alerts_received,
                format!(
                    "{} by Auditor's response action, {} by sluice polling",
                    by(&self.alerts_by_intake, "response_action"),
                    by(&self.alerts_by_intake, "polling")
                ),
            ),
            (
                "Tickets created",
                self.tickets_created,
                count(self.flood_tickets, "flood ticket", "flood tickets"),
            ),
            (
                "Tickets updated",
                self.tickets_updated,
                "repeats consolidated into one update each".to_owned(),
            ),
            (
                "Tickets reopened",
                self.tickets_reopened,
                "their alert repeated after they were resolved".to_owned(),
            ),
            (
                "Alerts suppressed",
                self.alerts_suppressed,
                format!(
                    "{} into their open ticket, {} into the flood ticket",
                    by(&self.alerts_suppressed_by_reason, "consolidated"),
                    by(&self.alerts_suppressed_by_reason, "flood")
                ),
            ),
            (
                "ServiceNow requests",
                by(&self.requests, "servicenow"),
                format!(
                    "{} to the Netwrix Auditor Integration API",
                    by(&self.requests, "auditor")
                ),
            ),
        ];
        for (label, n, note) in rows {
            let _ = writeln!(out, "{label:<20}{n:>5}  ({note})");
        }
        out.push_str("\nTickets in ServiceNow\n");
        for t in &self.tickets {
            let mut notes = vec![count(t.alerts, "alert", "alerts")];
            if t.updates > 0 {
                notes.push(count(t.updates, "update", "updates"));
            }
            if t.reopens > 0 {
                notes.push(count(t.reopens, "reopen", "reopens"));
            }
            let group = t
                .suppression_key
                .split_once(" | ")
                .map(|(_, g)| format!(" [{g}]"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<11} {:<9} {}{group}  ({})",
                t.number,
                t.state,
                t.short_description,
                notes.join(", ")
            );
        }
        if let Some(dir) = &self.directory {
            let _ = writeln!(
                out,
                "\nThe config, alert files and state store are in {dir}."
            );
        }
        out
    }
}

/// The label of an incident state value (the state model of Helsinki and later).
fn state_label(value: &str) -> &str {
    match value {
        "1" => "New",
        "2" => "In Progress",
        "3" => "On Hold",
        "6" => "Resolved",
        "7" => "Closed",
        "8" => "Canceled",
        other => other,
    }
}
