//! JSON output: the page object `{"ActivityRecordList": [...], "ContinuationMark": "..."}` and
//! `{"ErrorList": [...]}`. The page is an object, not the bare array one documentation page
//! shows: the retrieve and search pages, and Netwrix's own client, all use the object.

use serde::Serialize;

use super::error::ErrorEntry;
use super::record::ActivityRecord;
use super::time::format_utc;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PageBody<'a> {
    activity_record_list: Vec<RecordBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_mark: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    monitoring_plan: Option<PlanBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<ItemBody<'a>>,
    object_type: &'a str,
    #[serde(rename = "RID", skip_serializing_if = "Option::is_none")]
    rid: Option<&'a str>,
    what: &'a str,
    action: &'a str,
    when: String,
    r#where: &'a str,
    who: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workstation: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    detail_list: Vec<DetailBody<'a>>,
}

#[derive(Serialize)]
struct PlanBody<'a> {
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "Name")]
    name: &'a str,
}

#[derive(Serialize)]
struct ItemBody<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DetailBody<'a> {
    property_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorListBody<'a> {
    #[serde(rename = "ErrorList")]
    error_list: [ErrorBody<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    category: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

/// An enum or search page.
pub(crate) fn page(records: &[ActivityRecord], mark: Option<&str>) -> Vec<u8> {
    let body = PageBody {
        activity_record_list: records.iter().map(record).collect(),
        continuation_mark: mark,
    };
    // Serializing strings and plain structs into memory cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// An `ErrorList` with one error.
pub(crate) fn error_list(entry: &ErrorEntry<'_>) -> Vec<u8> {
    let body = ErrorListBody {
        error_list: [ErrorBody {
            category: entry.category,
            description: entry.description,
            location: entry.location,
        }],
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn record(record: &ActivityRecord) -> RecordBody<'_> {
    RecordBody {
        monitoring_plan: record.monitoring_plan.as_ref().map(|plan| PlanBody {
            id: plan.id.as_deref(),
            name: &plan.name,
        }),
        data_source: record.data_source.as_deref(),
        item: record
            .item
            .as_ref()
            .map(|item| ItemBody { name: &item.name }),
        object_type: &record.object_type,
        rid: record.rid.as_deref(),
        what: &record.what,
        action: &record.action,
        when: format_utc(record.when),
        r#where: &record.r#where,
        who: &record.who,
        workstation: record.workstation.as_deref(),
        detail_list: record
            .details
            .iter()
            .map(|detail| DetailBody {
                property_name: &detail.property_name,
                before: detail.before.as_deref(),
                after: detail.after.as_deref(),
                message: detail.message.as_deref(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use serde_json::{json, Value};

    #[test]
    fn page_is_an_object_with_list_and_mark() {
        let mut record = ActivityRecord::new(
            r"CORP\jdoe",
            "Read",
            "x",
            Timestamp::UNIX_EPOCH,
            "fs01",
            "File",
        );
        record.rid = Some("R".to_owned());
        let body: Value = serde_json::from_slice(&page(&[record], Some("M"))).unwrap_or_default();
        assert_eq!(
            body,
            json!({
                "ActivityRecordList": [{
                    "ObjectType": "File", "RID": "R", "What": "x", "Action": "Read",
                    "When": "1970-01-01T00:00:00Z", "Where": "fs01", "Who": "CORP\\jdoe"
                }],
                "ContinuationMark": "M"
            })
        );
        let last: Value = serde_json::from_slice(&page(&[], None)).unwrap_or_default();
        assert_eq!(last, json!({"ActivityRecordList": []}));
    }

    #[test]
    fn error_list_shape() {
        let body = error_list(&ErrorEntry {
            category: "InputError",
            description: "d",
            location: Some("l"),
        });
        let body: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            body,
            json!({"ErrorList": [{"Category": "InputError", "Description": "d", "Location": "l"}]})
        );
    }
}
