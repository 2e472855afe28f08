//! The activity record `sluice explain` explains: fetched from Netwrix Auditor by its id
//! through the pipeline's source plugin, or read from a file: Auditor's CSV (as its response
//! action writes it) or an activity record in the Integration API's JSON form.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde_json::Value;
use sluice_core::{read_regular_bytes, ConfigFile, SystemClock};
use sluice_sdk::{Detail, Record};

use crate::cmd::alert_response::csv::{self, CsvAlert};
use crate::plugin::{instantiate, PluginRegistry};

/// The largest JSON file read: one record is a few KB; a page of them a few MB.
const JSON_LIMIT: u64 = 16 * 1024 * 1024;

/// Fetches record `rid` from pipeline `pipeline`'s source (a read: nothing is queued).
pub(super) fn fetch(
    registry: &PluginRegistry,
    file: &ConfigFile,
    pipeline: &str,
    rid: &str,
) -> anyhow::Result<Record> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the HTTP runtime")?;
    let mut source = instantiate::source(
        registry,
        file,
        pipeline,
        Arc::new(SystemClock),
        runtime.handle().clone(),
    )
    .map_err(|d| anyhow::anyhow!("{d}"))?;
    let records = source
        .instance
        .fetch(vec![rid.to_owned()])
        .with_context(|| format!("cannot fetch activity record {rid} from the source"))?;
    match records.into_iter().find(|r| r.id == rid) {
        Some(record) => Ok(record),
        None => bail!(
            "the source has no activity record {rid}: Netwrix Auditor did not return it (a \
             record id is a long string like the RecordID an alert's response action gets; \
             `sluice emulate auditor` prints some to try)"
        ),
    }
}

/// Reads the records of `path`: a CSV file as Auditor's response action writes it, or JSON.
/// A CSV row that names only a record id is fetched with `fetch_by_id`.
pub(super) fn read_file(
    path: &Path,
    mut fetch_by_id: impl FnMut(&str) -> anyhow::Result<Record>,
) -> anyhow::Result<Vec<Record>> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let rows = csv::read(path).map_err(anyhow::Error::msg)?;
        return rows
            .into_iter()
            .map(|row| match row {
                CsvAlert::Record(record) => Ok(record),
                CsvAlert::ById(id) => fetch_by_id(&id),
            })
            .collect();
    }
    let bytes = read_regular_bytes(path, JSON_LIMIT).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot read the record: {}",
            path.display(),
            e.problem()
        )
    })?;
    let unusable = || {
        anyhow::anyhow!(
            "{} is not an activity record sluice can read: expected a .csv file as Netwrix \
             Auditor's response action writes it, or JSON in the Integration API's form (an \
             object with Who, Action, What, When, …, or {{\"ActivityRecordList\": [...]}})",
            path.display()
        )
    };
    let json: Value = serde_json::from_slice(&bytes).map_err(|_| unusable())?;
    let list = match &json {
        Value::Object(o) => match o.get("ActivityRecordList") {
            Some(Value::Array(items)) => items.clone(),
            Some(item @ Value::Object(_)) => vec![item.clone()],
            _ => vec![json.clone()],
        },
        Value::Array(items) => items.clone(),
        _ => return Err(unusable()),
    };
    let records: Vec<Record> = list.iter().filter_map(record_from_api_json).collect();
    if records.is_empty() {
        return Err(unusable());
    }
    Ok(records)
}

/// An activity record from the Integration API's JSON form: scalar members are fields under
/// their names, nested objects' members dotted (`MonitoringPlan.Name`), `DetailList` the
/// details, `RID` the id, `When` the time. `None` for a value that is not a record (no field
/// an activity record has).
pub(super) fn record_from_api_json(value: &Value) -> Option<Record> {
    let object = value.as_object()?;
    let mut record = Record::new(String::new());
    for (name, v) in object {
        match (name.as_str(), v) {
            ("RID", Value::String(id)) => record.id.clone_from(id),
            ("DetailList", Value::Array(details)) => {
                record.details = details.iter().filter_map(detail).collect();
            }
            (_, Value::Object(inner)) => {
                for (member, v) in inner {
                    if let Some(text) = scalar(v) {
                        record.fields.push(format!("{name}.{member}"), text);
                    }
                }
            }
            (_, v) => {
                if let Some(text) = scalar(v) {
                    record.fields.push(name, text);
                }
            }
        }
    }
    record.time = record
        .field("When")
        .and_then(|w| w.parse::<jiff::Timestamp>().ok())
        .map(|t| sluice_core::Timestamp::from_millis(t.as_millisecond()).to_system_time());
    let known = ["Who", "Action", "What", "When", "DataSource", "ObjectType"];
    known
        .iter()
        .any(|f| record.fields.contains(f))
        .then_some(record)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn detail(v: &Value) -> Option<Detail> {
    let o = v.as_object()?;
    let text = |k: &str| o.get(k).and_then(scalar);
    let mut d = Detail::new(text("PropertyName")?);
    d.before = text("Before");
    d.after = text("After");
    d.message = text("Message");
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_record_reads_with_dotted_fields_details_and_time() {
        let json = serde_json::json!({
            "RID": "20240311084512_0001",
            "Who": "CORP\\jsmith",
            "Action": "Modified",
            "When": "2024-03-11T08:45:12Z",
            "MonitoringPlan": {"Name": "HQ Directory"},
            "DetailList": [{"PropertyName": "Member", "After": "CORP\\x"}],
        });
        let r = record_from_api_json(&json).unwrap();
        assert_eq!(r.id, "20240311084512_0001");
        assert_eq!(r.field("MonitoringPlan.Name"), Some("HQ Directory"));
        assert_eq!(r.details[0].after.as_deref(), Some("CORP\\x"));
        assert!(r.time.is_some());
        assert!(record_from_api_json(&serde_json::json!({"name": "x"})).is_none());
    }
}
