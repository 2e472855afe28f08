//! The data every path and the baseline share: Activity Records in the Auditor emulator, the
//! alert set, the alerts Auditor would raise over those records, and the host's config.
//!
//! Most records are the emulator's realistic noise (its generated data set); one in ten is a
//! membership change of one of the watched groups, each watched by one alert type, so the
//! same records raise the same alerts whether sluice polls them or Auditor hands them over
//! through the response action.

use std::path::Path;

use jiff::Timestamp;
use sluice_emulators::auditor::dataset::{self, DatasetConfig};
use sluice_emulators::auditor::{ActivityRecord, Detail, Item, MonitoringPlan};

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Activity Records in the Auditor emulator.
    pub records: usize,
    /// Of those, records that raise an alert (one each); also the response-action invocations.
    pub alerts: usize,
    /// Alert types in the alert set.
    pub types: usize,
}

impl Size {
    pub const FULL: Size = Size {
        records: 100_000,
        alerts: 10_000,
        types: 200,
    };
    pub const QUICK: Size = Size {
        records: 10_000,
        alerts: 1_000,
        types: 200,
    };
}

/// One alert as Auditor raises it: its type and the record it names.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    /// Auditor's alert id, a GUID in braces.
    pub alert_id: String,
    pub record_id: String,
}

/// The workload: records to load into the emulator, and the alerts among them.
#[derive(Debug)]
pub struct Workload {
    pub size: Size,
    pub records: Vec<ActivityRecord>,
    pub alerts: Vec<Alert>,
}

/// The name of alert type `k`.
pub fn alert_name(k: usize) -> String {
    format!("Watched group {k:03} changed")
}

fn group_path(k: usize) -> String {
    format!("\\local\\corp\\Corp\\Groups\\Watched-{k:03}")
}

impl Workload {
    /// Builds the records (deterministic: a fixed seed) and the alerts they raise, in `When`
    /// order, as Auditor would raise them.
    pub fn new(size: Size) -> Workload {
        let noise = dataset::generate(&DatasetConfig {
            seed: 8,
            records: size.records - size.alerts,
            ..DatasetConfig::default()
        });
        let start = DatasetConfig::default().start;
        let span_ms = DatasetConfig::default().span.as_millis() as i64;
        // The alert records spread evenly over the data set's month; the last is the newest
        // record of all, so the last alert means every record was read.
        // Each change is of a group drawn at random (deterministically), so a type's first
        // alert comes at a random point, as activity brings it; not all 200 types first.
        let mut draw = 0x5EED_u64;
        let mut watched: Vec<(ActivityRecord, usize)> = (0..size.alerts)
            .map(|i| {
                let at = start.as_millisecond() + span_ms * (i as i64 + 1) / size.alerts as i64;
                draw = draw
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let k = (draw >> 33) as usize % size.types;
                (
                    watched_record(i, k, Timestamp::from_millisecond(at).unwrap_or(start)),
                    k,
                )
            })
            .collect();
        for (i, (record, _)) in watched.iter_mut().enumerate() {
            record.rid = Some(format!(
                "{}{:032X}",
                record.when.strftime("%Y%m%d%H%M%S%3f"),
                0xBE_0000_0000u64 + i as u64
            ));
        }
        // Merge by When: the noise is sorted already.
        let mut records = Vec::with_capacity(size.records);
        let mut alerts = Vec::with_capacity(size.alerts);
        let mut noise = noise.into_iter().map(|(r, _)| r).peekable();
        for (record, k) in watched {
            while noise.peek().is_some_and(|n| n.when <= record.when) {
                records.extend(noise.next());
            }
            alerts.push(Alert {
                name: alert_name(k),
                alert_id: format!("{{0B5E0000-0000-4000-8000-{k:012X}}}"),
                record_id: record.rid.clone().unwrap_or_default(),
            });
            records.push(record);
        }
        records.extend(noise);
        Workload {
            size,
            records,
            alerts,
        }
    }

    /// Writes the alert set: one definition per type, each selecting its group's changes.
    pub fn write_alert_set(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for k in 0..self.size.types {
            let text = format!(
                "name = \"{name}\"\n\
                 description = \"A member was added to or removed from watched group {k:03}.\"\n\
                 [filters]\n\
                 DataSource = \"Active Directory\"\n\
                 ObjectType = \"group\"\n\
                 What = {{ EndsWith = \"\\\\Watched-{k:03}\" }}\n\
                 Who = {{ DoesNotContain = \"svc-\" }}\n",
                name = alert_name(k)
            );
            std::fs::write(dir.join(format!("watched-{k:03}.toml")), text)?;
        }
        Ok(())
    }
}

/// The `i`th membership change, of watched group `k`, by one of a few administrators.
fn watched_record(i: usize, k: usize, when: Timestamp) -> ActivityRecord {
    let member = format!("CORP\\user{:04}", (i * 7919) % 5000);
    let (before, after, message) = if i.is_multiple_of(3) {
        (Some(member.clone()), None, format!("Removed: {member}"))
    } else {
        (None, Some(member.clone()), format!("Added: {member}"))
    };
    let mut record = ActivityRecord::new(
        format!("CORP\\admin{}", i % 7),
        "Modified",
        group_path(k),
        when,
        if i.is_multiple_of(2) {
            "dc01.corp.local"
        } else {
            "dc02.corp.local"
        },
        "group",
    );
    record.data_source = Some("Active Directory".to_owned());
    record.monitoring_plan = Some(MonitoringPlan {
        name: "AD Monitoring".to_owned(),
        id: Some("{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}".to_owned()),
    });
    record.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    record.workstation = Some(format!("ws{:03}.corp.local", i % 300));
    record.details = vec![Detail {
        property_name: "Member".to_owned(),
        before,
        after,
        message: Some(message),
    }];
    record
}

/// A fixed number of requests for the ServiceNow sink to keep in flight, from
/// `SLUICE_BENCH_CONCURRENCY`; without it, the sink's default: adaptive, up to 16. The
/// response-action path opens its 200 tickets within about the first 0.3 s, as the first alert
/// of each type comes in: at 5 ms an answer, opening them all within 100 ms needs at least 10
/// in flight, which the adaptive default reaches on its own.
pub fn sink_concurrency() -> Option<usize> {
    std::env::var("SLUICE_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// The host's config for one path.
pub struct HostConfig<'a> {
    pub auditor_url: &'a str,
    pub servicenow_url: &'a str,
    /// Poll (true) or take response actions (false).
    pub poll: bool,
    pub consolidation: &'a str,
}

impl HostConfig<'_> {
    /// The config file's text. The alert set is `alerts/` next to it.
    pub fn text(&self) -> String {
        let (poll, response) = if self.poll {
            ("true", "false")
        } else {
            ("false", "true")
        };
        format!(
            r#"[state]
path = "state.db"

[pipelines.bench.source]
type = "netwrix_auditor"
endpoint = "{auditor}"
username = "CORP\\svc-sluice"
password = "sluice-demo"
format = "json"
count = 1000
# Before the data set's first record: every record is new.
start = "2025-03-01T00:00:00Z"

[pipelines.bench.sink]
type = "servicenow"
endpoint = "{servicenow}"
release = "london"
username = "sluice"
password = "sluice"
{concurrency}

[pipelines.bench.intake]
poll = {poll}
response_action = {response}
alerts = "alerts"

[pipelines.bench.suppression]
# One ticket per alert type: 200 types must not overflow into the flood ticket.
ticket_flood_limit = 1000
consolidation_interval = "{consolidation}"

[pipelines.bench.retention]
# Keep every handled alert: the bench counts them to know that all were delivered.
alerts = 1000000
"#,
            auditor = self.auditor_url,
            servicenow = self.servicenow_url,
            consolidation = self.consolidation,
            concurrency = sink_concurrency()
                .map(|n| format!("max_concurrent_requests = {n}\nadaptive_concurrency = false"))
                .unwrap_or_default(),
        )
    }
}
