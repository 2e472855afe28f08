//! How a record is kept in the state store: JSON, with its time in milliseconds.

use serde::{Deserialize, Serialize};
use sluice_sdk::{Detail, Fields, Record};

use crate::time::Timestamp;

/// A record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_ms: Option<Timestamp>,
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

/// `record` as stored JSON, serialized straight from the record (no copies).
pub fn to_json(record: &Record) -> String {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        time_ms: Option<Timestamp>,
        fields: Vec<(&'a str, &'a str)>,
        details: Vec<BorrowedDetail<'a>>,
    }
    #[derive(Serialize)]
    struct BorrowedDetail<'a> {
        property: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        before: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        after: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'a str>,
    }
    let borrowed = Borrowed {
        id: &record.id,
        time_ms: record.time.map(Timestamp::from_system_time),
        fields: record.fields.iter().collect(),
        details: record
            .details
            .iter()
            .map(|d| BorrowedDetail {
                property: &d.property,
                before: d.before.as_deref(),
                after: d.after.as_deref(),
                message: d.message.as_deref(),
            })
            .collect(),
    };
    serde_json::to_string(&borrowed).unwrap_or_default()
}

/// A stored record back; `None` if the JSON is not one.
pub fn from_json(json: &str) -> Option<Record> {
    let stored: StoredRecord = serde_json::from_str(json).ok()?;
    Some(Record {
        id: stored.id,
        time: stored.time_ms.map(Timestamp::to_system_time),
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
        r.time = Some(Timestamp::from_millis(1_700_000_000_123).to_system_time());
        r.fields.push("Who", "CORP\\a");
        r.details.push(Detail::new("Member").after("CORP\\b"));
        assert_eq!(from_json(&to_json(&r)), Some(r));
    }
}
