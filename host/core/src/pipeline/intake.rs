//! Intake: how alerts enter a pipeline.
//!
//! - **Response action**: `sluice alert-response` queues (alert id, record id, name, time);
//!   here their records are fetched from the source by id, in batches.
//! - **Polling**: the source streams new records; each is matched against the enabled alert
//!   definitions (filters, then thresholds), and the matches are queued as alerts. The source's
//!   checkpoint is stored in the same transaction as the alerts it produced, so it advances
//!   only once they are durable; record ids already seen are dropped (overlapping scans).

use std::collections::HashSet;
use std::time::Duration;

use sluice_sdk::{Checkpoint, PluginError, Record, SourceBatch, SourceInstance};

use super::filter::RecordView;
use super::record;
use super::rules::{AlertDefinition, AlertSet};
use super::suppression::{Decision, Placement, Suppression};
use crate::config::IntakeSettings;
use crate::state::alerts::{self, AlertRow, Decided, NewAlert, Origin};
use crate::state::db::{self, Db};
use crate::state::{checkpoints, AlertId, Store, StoreError};
use crate::time::Timestamp;

/// Polled records committed in one transaction, at most (and then the pages that filled it).
const POLL_COMMIT_RECORDS: usize = 5000;

/// Where records come from: a source plugin, or a stand-in in tests.
pub trait RecordSource {
    /// See [`sluice_sdk::Source::poll`].
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError>;
    /// See [`sluice_sdk::Source::fetch`].
    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError>;
}

impl RecordSource for SourceInstance {
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        SourceInstance::poll(self, checkpoint)
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        SourceInstance::fetch(self, ids)
    }
}

/// Why intake stopped.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The source failed.
    #[error("the source failed: {0}")]
    Source(#[from] PluginError),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one fetch round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FetchReport {
    /// Alerts that got their record.
    pub fetched: usize,
    /// Alerts whose record the source did not return (asked again later).
    pub missing: usize,
    /// Alerts ignored because their definition is disabled.
    pub ignored: usize,
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    /// Records the source returned.
    pub records: usize,
    /// Of those, ones already seen.
    pub repeated: usize,
    /// Alerts raised (and decided at once).
    pub alerts: usize,
    /// The source has more right away.
    pub more: bool,
}

/// The intake of one pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Intake<'a> {
    /// The pipeline.
    pub pipeline: &'a str,
    /// Its intake settings.
    pub settings: &'a IntakeSettings,
    /// Its alert definitions.
    pub alerts: &'a AlertSet,
}

/// The alerts polled records raised, before they are placed and written.
#[derive(Default)]
struct Raised {
    /// The alerts, as suppression reads them.
    rows: Vec<AlertRow>,
    /// The dedupe key of each.
    dedupe_keys: Vec<String>,
}

impl Intake<'_> {
    /// Fetches the records of queued response-action alerts that are due, one batch.
    pub fn fetch(
        &self,
        store: &mut Store,
        source: &mut dyn RecordSource,
        now: Timestamp,
    ) -> Result<FetchReport, IntakeError> {
        let batch = self.settings.fetch_batch.max(1);
        let due = store.read(alerts::due_for_fetch(
            &store.db(),
            self.pipeline,
            now,
            batch * 4,
        ))?;
        let due = self.ignore_disabled(store, due)?;
        let ids = record_ids(&due.alerts, batch);
        if ids.is_empty() {
            return Ok(FetchReport {
                ignored: due.ignored,
                ..FetchReport::default()
            });
        }
        let records = source.fetch(ids.clone())?;
        let report = store.write(|tx| {
            let mut report = FetchReport {
                ignored: due.ignored,
                ..FetchReport::default()
            };
            self.store_fetched(tx, &records, &due.alerts, &ids, &mut report)?;
            checkpoints::touch(tx, self.pipeline, checkpoints::Activity::Fetch, now)?;
            Ok(report)
        })?;
        if report.missing > 0 {
            tracing::warn!(
                pipeline = self.pipeline, missing = report.missing,
                "The source did not return some activity records asked for by id; asking again shortly."
            );
        }
        Ok(report)
    }

    /// Marks the alerts among `due` whose definitions are disabled ignored; the others go on.
    fn ignore_disabled(&self, store: &mut Store, due: Vec<AlertRow>) -> Result<Due, StoreError> {
        let (disabled, due): (Vec<_>, Vec<_>) = due
            .into_iter()
            .partition(|a| self.alerts.is_disabled(&a.alert_name));
        if !disabled.is_empty() {
            store.write(|tx| {
                for alert in &disabled {
                    alerts::ignore(tx, alert.id)?;
                }
                Ok(())
            })?;
            tracing::info!(
                pipeline = self.pipeline, alerts = disabled.len(),
                "Ignored alerts whose definitions are disabled (`sluice alerts enable NAME` turns one on)."
            );
        }
        Ok(Due {
            alerts: due,
            ignored: disabled.len(),
        })
    }

    /// Stores the `records` fetched for `ids`, and counts a missed attempt for each alert of
    /// `due` whose record was asked for and not returned.
    fn store_fetched(
        &self,
        tx: &Db<'_>,
        records: &[Record],
        due: &[AlertRow],
        ids: &[String],
        report: &mut FetchReport,
    ) -> db::Result<()> {
        let give_up = self.settings.fetch_attempts.max(1);
        let mut found = HashSet::new();
        let fetched: Vec<(&str, String)> = records
            .iter()
            .map(|r| (r.id.as_str(), record::to_json(r)))
            .collect();
        report.fetched += alerts::set_records(tx, self.pipeline, &fetched)?;
        found.extend(records.iter().map(|r| r.id.as_str()));
        for alert in due {
            let Some(id) = alert.record_id.as_ref().filter(|id| ids.contains(id)) else {
                continue;
            };
            if !found.contains(id.as_str()) {
                alerts::record_missing(tx, alert.id, give_up)?;
                report.missing += 1;
            }
        }
        Ok(())
    }

    /// Polls the source once and decides the alerts its new records raise, in the transaction
    /// that stores the new checkpoint: a polled alert is never left waiting for a decision.
    pub fn poll(
        &self,
        store: &mut Store,
        source: &mut dyn RecordSource,
        suppression: &Suppression<'_>,
        now: Timestamp,
    ) -> Result<(PollReport, Vec<Decision>), IntakeError> {
        let batch = read_pages(store, self.pipeline, source)?;
        let pipeline = self.pipeline;
        let result = store.write(|tx| {
            let (report, raised) = self.raise(tx, &batch, now)?;
            // Placed first, then each alert written once, already decided.
            let placements = suppression.place(tx, &raised.rows, now)?;
            let decided: Vec<(NewAlert<'_>, Decided<'_>)> = raised
                .rows
                .iter()
                .zip(raised.dedupe_keys)
                .zip(&placements)
                .map(|((alert, dedupe_key), p)| self.placed(alert, dedupe_key, p, now))
                .collect();
            alerts::insert_all_decided(tx, &decided)?;
            let decisions: Vec<Decision> = placements.into_iter().map(|p| p.decision).collect();
            checkpoints::set(tx, pipeline, &batch.checkpoint.0, now)?;
            checkpoints::touch(tx, pipeline, checkpoints::Activity::Fetch, now)?;
            Ok((report, decisions))
        })?;
        Ok(result)
    }

    /// The alerts the new records of `batch` raise (record ids already seen are skipped).
    fn raise(
        &self,
        tx: &Db<'_>,
        batch: &SourceBatch,
        now: Timestamp,
    ) -> db::Result<(PollReport, Raised)> {
        let mut report = PollReport {
            records: batch.records.len(),
            more: batch.more,
            ..PollReport::default()
        };
        let mut raised = Raised::default();
        let ids: Vec<&str> = batch.records.iter().map(|r| r.id.as_str()).collect();
        let first = checkpoints::first_sightings(tx, self.pipeline, &ids, now)?;
        for (r, first) in batch.records.iter().zip(first) {
            if !first {
                report.repeated += 1;
                continue;
            }
            let view = RecordView::new(r);
            let mut json: Option<String> = None;
            for definition in self.alerts.matching(&view, now) {
                let json = json.get_or_insert_with(|| record::to_json(r));
                let extra = match &definition.threshold {
                    None => None,
                    Some(_) => match threshold_hit(tx, self.pipeline, definition, r, json, now)? {
                        Some(extra) => Some(extra),
                        None => continue,
                    },
                };
                raised
                    .dedupe_keys
                    .push(format!("poll:{}:{}", definition.name, r.id));
                raised
                    .rows
                    .push(polled_alert(&definition.name, r, json, extra, now));
            }
        }
        report.alerts = raised.rows.len();
        Ok((report, raised))
    }

    /// A raised alert as written, already placed (its payload kept only if it will be listed).
    fn placed<'a>(
        &'a self,
        row: &'a AlertRow,
        dedupe_key: String,
        p: &'a Placement,
        now: Timestamp,
    ) -> (NewAlert<'a>, Decided<'a>) {
        let new = NewAlert {
            pipeline: self.pipeline,
            dedupe_key,
            origin: Origin::Poll,
            alert_name: &row.alert_name,
            auditor_alert_id: None,
            record_id: row.record_id.as_deref(),
            received_at: now,
            record: row.record.as_deref().filter(|_| p.keep_record),
            extra_records: row.extra_records.as_deref().filter(|_| p.keep_record),
        };
        (new, p.decided(now))
    }
}

/// The alerts due for a fetch, less the ones ignored.
struct Due {
    /// The alerts to fetch records for.
    alerts: Vec<AlertRow>,
    /// How many were ignored (their definitions are disabled).
    ignored: usize,
}

/// The distinct record ids of `due`, at most `limit`, in order.
fn record_ids(due: &[AlertRow], limit: usize) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in due.iter().filter_map(|alert| alert.record_id.as_ref()) {
        if !ids.contains(id) && ids.len() < limit {
            ids.push(id.clone());
        }
    }
    ids
}

/// Reads pages until enough records for one transaction (or the source has no more); they
/// are committed together with the last page's checkpoint. A crash before the commit re-reads
/// them from the stored checkpoint: nothing lost.
fn read_pages(
    store: &Store,
    pipeline: &str,
    source: &mut dyn RecordSource,
) -> Result<SourceBatch, IntakeError> {
    let mut checkpoint = store
        .read(checkpoints::get(&store.db(), pipeline))?
        .map(Checkpoint);
    let mut batch = SourceBatch::default();
    loop {
        let page = source.poll(checkpoint.clone())?;
        batch.records.extend(page.records);
        batch.more = page.more;
        batch.checkpoint = page.checkpoint.clone();
        checkpoint = Some(page.checkpoint);
        if !page.more || batch.records.len() >= POLL_COMMIT_RECORDS {
            return Ok(batch);
        }
    }
}

/// The alert `alert_name` raised by polled record `r` (stored as `json`) at `now`; `extra`
/// holds a threshold alert's other records.
fn polled_alert(
    alert_name: &str,
    r: &Record,
    json: &str,
    extra: Option<String>,
    now: Timestamp,
) -> AlertRow {
    AlertRow {
        id: AlertId::new(0),
        origin: Origin::Poll,
        alert_name: alert_name.to_owned(),
        auditor_alert_id: None,
        record_id: Some(r.id.clone()),
        received_at: now,
        record: Some(json.to_owned()),
        extra_records: extra,
        fetch_attempts: 0,
    }
}

/// The state of one threshold group, stored as JSON.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ThresholdState {
    /// Records counted towards the next alert: (time, record).
    #[serde(default)]
    hits: Vec<(Timestamp, serde_json::Value)>,
    /// After an alert, records of the group up to this time belong to the burst that raised it.
    #[serde(default)]
    burst_until: Option<Timestamp>,
}

impl ThresholdState {
    /// Counts a record at `at` towards a threshold of `count` records `within`; when it is
    /// reached, the other records that reached it (JSON array).
    fn count(&mut self, at: Timestamp, json: &str, count: u32, within: Duration) -> Option<String> {
        if let Some(until) = self.burst_until.filter(|until| at <= *until) {
            self.burst_until = Some(until.max(at + within));
            return None;
        }
        self.burst_until = None;
        // Records may arrive out of order: a hit counts if it is within the window of this one.
        self.hits.retain(|(t, _)| t.abs_diff(at) <= within);
        self.hits.push((
            at,
            serde_json::from_str(json).unwrap_or(serde_json::Value::Null),
        ));
        if self.hits.len() >= count as usize {
            let others: Vec<&serde_json::Value> = self.hits[..self.hits.len() - 1]
                .iter()
                .map(|(_, r)| r)
                .collect();
            let extra = serde_json::to_string(&others).unwrap_or_else(|_| "[]".to_owned());
            let last = self.hits.iter().map(|(t, _)| *t).max().unwrap_or(at);
            self.hits.clear();
            self.burst_until = Some(last + within);
            return Some(extra);
        }
        // Keep at most `count - 1` hits: older ones cannot complete a threshold the newer
        // ones don't.
        let keep = (count as usize).saturating_sub(1);
        if self.hits.len() > keep {
            let excess = self.hits.len() - keep;
            self.hits.drain(..excess);
        }
        None
    }
}

/// Counts a record towards a definition's threshold ("`count` records within `within`, per
/// `group_by`"). When the threshold is reached it returns the other records that reached it
/// (JSON array): one alert per burst. The burst's later records raise no further alert: they
/// extend it while they keep coming within `within` of each other; once the group has been
/// quiet that long, counting starts again.
fn threshold_hit(
    tx: &Db<'_>,
    pipeline: &str,
    definition: &AlertDefinition,
    record: &Record,
    json: &str,
    now: Timestamp,
) -> db::Result<Option<String>> {
    let Some(threshold) = &definition.threshold else {
        return Ok(Some("[]".to_owned()));
    };
    let group = threshold
        .group_by
        .as_deref()
        .and_then(|f| record.field(f))
        .unwrap_or("")
        .to_lowercase();
    let at = record.time.map_or(now, Timestamp::from_system_time);
    let mut state: ThresholdState = checkpoints::threshold(tx, pipeline, &definition.name, &group)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let extra = state.count(at, json, threshold.count, threshold.within);
    checkpoints::set_threshold(
        tx,
        pipeline,
        &definition.name,
        &group,
        &serde_json::to_string(&state).unwrap_or_else(|_| "{}".to_owned()),
        now,
    )?;
    Ok(extra)
}

/// Queues an alert delivered by Netwrix Auditor's response action (what `sluice
/// alert-response` does). Returns `false` if the same (alert id, record id) was queued before:
/// Auditor retries a failed response action up to 200 times, so duplicates are normal.
pub fn queue_response_action(
    store: &mut Store,
    pipeline: &str,
    alert_id: &str,
    record_id: &str,
    alert_name: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    store.write(|tx| {
        alerts::enqueue(
            tx,
            &response_action_alert(pipeline, alert_id, record_id, alert_name, at),
        )
    })
}

/// The queue entry of a response action's alert: its record is fetched later, and its dedupe
/// key is the (alert id, record id) pair, so a retried action is the same alert.
pub fn response_action_alert<'a>(
    pipeline: &'a str,
    alert_id: &'a str,
    record_id: &'a str,
    alert_name: &'a str,
    at: Timestamp,
) -> NewAlert<'a> {
    NewAlert {
        pipeline,
        dedupe_key: format!("response:{alert_id}:{record_id}"),
        origin: Origin::ResponseAction,
        alert_name,
        auditor_alert_id: Some(alert_id),
        record_id: Some(record_id),
        received_at: at,
        record: None,
        extra_records: None,
    }
}
