//! XML output: the `ActivityRecordList` page and the `ErrorList`.
//!
//! Written by hand rather than through a serializer because the documented output has a fixed
//! shape: the `standalone="yes"` declaration, `ContinuationMark` first inside the list, and
//! record children in the documented output order (MonitoringPlan, DataSource, Item,
//! ObjectType, RID, What, Action, When, Where, Who, Workstation, DetailList).

use std::fmt::Write as _;

use super::error::ErrorEntry;
use super::record::ActivityRecord;
use super::time::format_utc;

/// The activity-record namespace.
pub const ACTIVITY_RECORDS_NS: &str = "http://schemas.netwrix.com/api/v1/activity_records/";
/// The namespace of `ErrorList`: note, no `activity_records/` suffix.
pub const API_NS: &str = "http://schemas.netwrix.com/api/v1/";

const DECLARATION: &str = r#"<?xml version="1.0" standalone="yes"?>"#;

/// An enum or search page.
pub(crate) fn page(records: &[ActivityRecord], mark: Option<&str>) -> String {
    let mut out = String::with_capacity(256 + records.len() * 900);
    out.push_str(DECLARATION);
    out.push_str("\r\n");
    let _ = write!(out, r#"<ActivityRecordList xmlns="{ACTIVITY_RECORDS_NS}">"#);
    if let Some(mark) = mark {
        leaf(&mut out, "ContinuationMark", mark);
    }
    for record in records {
        write_record(&mut out, record);
    }
    out.push_str("</ActivityRecordList>");
    out
}

/// An `ErrorList` with one `Error`.
pub(crate) fn error_list(entry: &ErrorEntry<'_>) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(DECLARATION);
    out.push_str("\r\n");
    let _ = write!(out, r#"<ErrorList xmlns="{API_NS}"><Error>"#);
    leaf(&mut out, "Category", entry.category);
    leaf(&mut out, "Description", entry.description);
    if let Some(location) = entry.location {
        leaf(&mut out, "Location", location);
    }
    out.push_str("</Error></ErrorList>");
    out
}

fn write_record(out: &mut String, record: &ActivityRecord) {
    out.push_str("<ActivityRecord>");
    if let Some(plan) = &record.monitoring_plan {
        out.push_str("<MonitoringPlan>");
        leaf(out, "Name", &plan.name);
        if let Some(id) = &plan.id {
            leaf(out, "ID", id);
        }
        out.push_str("</MonitoringPlan>");
    }
    optional(out, "DataSource", record.data_source.as_deref());
    if let Some(item) = &record.item {
        out.push_str("<Item>");
        leaf(out, "Name", &item.name);
        out.push_str("</Item>");
    }
    leaf(out, "ObjectType", &record.object_type);
    optional(out, "RID", record.rid.as_deref());
    leaf(out, "What", &record.what);
    leaf(out, "Action", &record.action);
    leaf(out, "When", &format_utc(record.when));
    leaf(out, "Where", &record.r#where);
    leaf(out, "Who", &record.who);
    optional(out, "Workstation", record.workstation.as_deref());
    if !record.details.is_empty() {
        out.push_str("<DetailList>");
        for detail in &record.details {
            out.push_str("<Detail>");
            leaf(out, "PropertyName", &detail.property_name);
            optional(out, "Before", detail.before.as_deref());
            optional(out, "After", detail.after.as_deref());
            optional(out, "Message", detail.message.as_deref());
            out.push_str("</Detail>");
        }
        out.push_str("</DetailList>");
    }
    out.push_str("</ActivityRecord>");
}

fn optional(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        leaf(out, name, value);
    }
}

fn leaf(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes the five special characters (`& " ' < >`, as documented) and replaces characters XML 1.0
/// cannot carry at all, which JSON-written records may contain, so the page stays well-formed.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auditor::record::{Detail, Item, MonitoringPlan};
    use crate::auditor::xml_tree;
    use jiff::Timestamp;

    #[test]
    fn children_follow_the_documented_output_order() {
        let mut record = ActivityRecord::new(
            r"CORP\a&b",
            "Modified",
            "<What>",
            Timestamp::UNIX_EPOCH,
            "dc01",
            "group",
        );
        record.rid = Some("R".to_owned());
        record.monitoring_plan = Some(MonitoringPlan {
            name: "Plan".to_owned(),
            id: Some("{ID}".to_owned()),
        });
        record.data_source = Some("Active Directory".to_owned());
        record.item = Some(Item {
            name: "corp.local (Domain)".to_owned(),
        });
        record.workstation = Some("ws\u{1}".to_owned());
        record.details = vec![Detail::named("member")];
        let xml = page(&[record], Some("MARK"));
        assert!(xml.starts_with(r#"<?xml version="1.0" standalone="yes"?>"#));
        let root = xml_tree::parse(xml.as_bytes()).unwrap_or_default();
        assert_eq!(root.namespace.as_deref(), Some(ACTIVITY_RECORDS_NS));
        let names: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ContinuationMark", "ActivityRecord"]);
        let record = &root.children[1];
        let order: Vec<&str> = record.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "MonitoringPlan",
                "DataSource",
                "Item",
                "ObjectType",
                "RID",
                "What",
                "Action",
                "When",
                "Where",
                "Who",
                "Workstation",
                "DetailList"
            ]
        );
        assert_eq!(record.child_text("Who"), Some(r"CORP\a&b"));
        assert_eq!(record.child_text("What"), Some("<What>"));
        assert_eq!(record.child_text("When"), Some("1970-01-01T00:00:00Z"));
        assert_eq!(record.child_text("Workstation"), Some("ws\u{fffd}"));
    }

    #[test]
    fn error_list_is_in_the_api_namespace() {
        let xml = error_list(&ErrorEntry {
            category: "XMLError",
            description: "bad <doc>",
            location: None,
        });
        let root = xml_tree::parse(xml.as_bytes()).unwrap_or_default();
        assert_eq!(root.name, "ErrorList");
        assert_eq!(root.namespace.as_deref(), Some(API_NS));
        let error = root.child("Error");
        assert_eq!(
            error.and_then(|e| e.child_text("Category")),
            Some("XMLError")
        );
        assert_eq!(
            error.and_then(|e| e.child_text("Description")),
            Some("bad <doc>")
        );
        assert!(error.and_then(|e| e.child("Location")).is_none());
    }
}
