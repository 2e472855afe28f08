//! How a record is kept in the state store: JSON, with its time in milliseconds.

use serde::{Deserialize, Serialize};
use sluice_sdk::{Detail, Fields, Record};

use crate::state::{from_millis, millis};

/// A record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_ms: Option<i64>,
    #[serde(default)]
    fields: Vec<(String, String)>,
    #[serde(default)]
    details: Vec<StoredDetail>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredDetail {
    property: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// `record` as stored JSON.
pub fn to_json(record: &Record) -> String {
    let stored = StoredRecord {
        id: record.id.clone(),
        time_ms: record.time.map(millis),
        fields: record
            .fields
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        details: record
            .details
            .iter()
            .map(|d| StoredDetail {
                property: d.property.clone(),
                before: d.before.clone(),
                after: d.after.clone(),
                message: d.message.clone(),
            })
            .collect(),
    };
    serde_json::to_string(&stored).unwrap_or_default()
}

/// A stored record back; `None` if the JSON is not one.
pub fn from_json(json: &str) -> Option<Record> {
    let stored: StoredRecord = serde_json::from_str(json).ok()?;
    Some(Record {
        id: stored.id,
        time: stored.time_ms.map(from_millis),
        fields: Fields::from(stored.fields),
        details: stored
            .details
            .into_iter()
            .map(|d| Detail {
                property: d.property,
                before: d.before,
                after: d.after,
                message: d.message,
            })
            .collect(),
    })
}

/// Several stored records (a JSON array) back, skipping unreadable ones.
pub fn many_from_json(json: &str) -> Vec<Record> {
    serde_json::from_str::<Vec<serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| from_json(&v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut r = Record::new("rid-1");
        r.time = Some(from_millis(1_700_000_000_123));
        r.fields.push("Who", "CORP\\a");
        r.details.push(Detail::new("Member").after("CORP\\b"));
        assert_eq!(from_json(&to_json(&r)), Some(r));
    }
}
