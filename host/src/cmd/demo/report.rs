//! What the demo did, read back from where a user would look: the state store for sluice's
//! decisions, the ServiceNow emulator for the incidents as the service desk sees them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::scenario::ACTS;
use super::stage::{PluginEngine, Stage, RESPONSE_PIPELINE};
use sluice_core::store::alerts;
use sluice_core::store::tickets::{self, TicketKind, TicketRow};

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
            report.count_alerts_and_tickets(engine);
            report.count_suppressed(engine)?;
            let pipeline = engine.spec().name.as_str();
            let store = engine.store();
            for row in store.read(tickets::recent(&store.db(), pipeline, 10_000))? {
                opened.push(OpenedTicket {
                    pipeline: pipeline.to_owned(),
                    row,
                });
            }
        }
        opened.sort_by(|a, b| a.row.number.cmp(&b.row.number));
        report.tickets = opened.into_iter().map(|t| t.line(stage)).collect();
        Ok(report)
    }

    /// Adds what `engine` counted: alerts by intake, tickets created, updated, reopened.
    fn count_alerts_and_tickets(&mut self, engine: &PluginEngine) {
        let stats = engine.stats();
        let intake = if engine.spec().name == RESPONSE_PIPELINE {
            "response_action"
        } else {
            "polling"
        };
        *self.alerts_by_intake.entry(intake).or_default() += stats.alerts;
        self.alerts_received += stats.alerts;
        self.tickets_created += stats.delivery.created;
        self.flood_tickets += stats.delivery.flood_created;
        self.tickets_updated += stats.delivery.updated;
        self.tickets_reopened += stats.delivery.reopened;
    }

    /// Adds the alerts `engine`'s store says did not open a ticket of their own, by reason.
    fn count_suppressed(&mut self, engine: &PluginEngine) -> anyhow::Result<()> {
        let store = engine.store();
        let pipeline = engine.spec().name.as_str();
        for (decision, n) in store.read(alerts::decisions(&store.db(), pipeline))? {
            let reason = match decision.as_str() {
                "consolidate" => "consolidated",
                "flood" | "open_flood" => "flood",
                _ => continue,
            };
            *self.alerts_suppressed_by_reason.entry(reason).or_default() += n;
            self.alerts_suppressed += n;
        }
        Ok(())
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_story(&mut out);
        for line in self.count_lines() {
            line.render(&mut out);
        }
        out.push_str("\nTickets in ServiceNow\n");
        for ticket in &self.tickets {
            ticket.render(&mut out);
        }
        if let Some(dir) = &self.directory {
            let _ = writeln!(
                out,
                "\nThe config, alert files and state store are in {dir}."
            );
        }
        out
    }

    /// The title, and the scenario's acts with the minute each began.
    fn render_story(&self, out: &mut String) {
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
    }

    /// The counts, each with what it is made of.
    fn count_lines(&self) -> [CountLine; 6] {
        let intake = |key| tally(&self.alerts_by_intake, key);
        let suppressed = |key| tally(&self.alerts_suppressed_by_reason, key);
        [
            CountLine {
                label: "Alerts received",
                count: self.alerts_received,
                note: format!(
                    "{} by Auditor's response action, {} by sluice polling",
                    intake("response_action"),
                    intake("polling")
                ),
            },
            CountLine {
                label: "Tickets created",
                count: self.tickets_created,
                note: quantity(self.flood_tickets, "flood ticket", "flood tickets"),
            },
            CountLine {
                label: "Tickets updated",
                count: self.tickets_updated,
                note: "repeats consolidated into one update each".to_owned(),
            },
            CountLine {
                label: "Tickets reopened",
                count: self.tickets_reopened,
                note: "their alert repeated after they were resolved".to_owned(),
            },
            CountLine {
                label: "Alerts suppressed",
                count: self.alerts_suppressed,
                note: format!(
                    "{} into their open ticket, {} into the flood ticket",
                    suppressed("consolidated"),
                    suppressed("flood")
                ),
            },
            CountLine {
                label: "ServiceNow requests",
                count: tally(&self.requests, "servicenow"),
                note: format!(
                    "{} to the Netwrix Auditor Integration API",
                    tally(&self.requests, "auditor")
                ),
            },
        ]
    }
}

/// One count of the report for people, and what it is made of.
struct CountLine {
    label: &'static str,
    count: u64,
    note: String,
}

impl CountLine {
    fn render(&self, out: &mut String) {
        let CountLine { label, count, note } = self;
        let _ = writeln!(out, "{label:<20}{count:>5}  ({note})");
    }
}

impl TicketLine {
    /// One line: number, state, short description, the group it stands for, its counts.
    fn render(&self, out: &mut String) {
        let mut counts = vec![quantity(self.alerts, "alert", "alerts")];
        if self.updates > 0 {
            counts.push(quantity(self.updates, "update", "updates"));
        }
        if self.reopens > 0 {
            counts.push(quantity(self.reopens, "reopen", "reopens"));
        }
        let group = self
            .suppression_key
            .split_once(" | ")
            .map(|(_, g)| format!(" [{g}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<11} {:<9} {}{group}  ({})",
            self.number,
            self.state,
            self.short_description,
            counts.join(", ")
        );
    }
}

/// An incident as the state store has it, with the pipeline that opened it.
struct OpenedTicket {
    pipeline: String,
    row: TicketRow,
}

impl OpenedTicket {
    /// The incident's line, with its description and state as ServiceNow has them.
    fn line(self, stage: &Stage) -> TicketLine {
        let OpenedTicket { pipeline, row } = self;
        let number = row.number.clone().unwrap_or_default();
        let incident = stage.servicenow.incident(&number);
        let field = |name: &str| {
            incident
                .as_ref()
                .map(|i| i.get(name).to_owned())
                .unwrap_or_default()
        };
        let state_value = field("state");
        TicketLine {
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
        }
    }
}

/// `1 alert`, `3 alerts`.
fn quantity(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The count under `key`, 0 if none.
fn tally(map: &BTreeMap<&str, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or(0)
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
