//! The search request body: an `ActivityRecordSearch` document in XML,
//! or `{"ContinuationMark"?, "FilterList"}` in JSON, with the continuation mark carried inside
//! together with the same filters as the first page (the API's paging contract: sending only
//! the mark is not it).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::filter::Condition;
use crate::page::Format;

/// The activity-record namespace of every search document.
pub const ACTIVITY_RECORDS_NS: &str = "http://schemas.netwrix.com/api/v1/activity_records/";

/// Renders a search body in `format`.
pub fn render(format: Format, conditions: &[Condition], mark: Option<&str>) -> Vec<u8> {
    match format {
        Format::Xml => xml(conditions, mark).into_bytes(),
        Format::Json => json(conditions, mark),
    }
}

/// `<ActivityRecordSearch xmlns=…><ContinuationMark/>?<FilterList>…</FilterList>`: each entry
/// an element named after its field, the operator as an attribute, repeated for several
/// values.
fn xml(conditions: &[Condition], mark: Option<&str>) -> String {
    let mut out = String::with_capacity(256 + conditions.len() * 96);
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    let _ = write!(
        out,
        r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}">"#
    );
    if let Some(mark) = mark {
        out.push_str("<ContinuationMark>");
        escape_into(&mut out, mark);
        out.push_str("</ContinuationMark>");
    }
    out.push_str("<FilterList>");
    for condition in conditions {
        match condition {
            Condition::Text {
                field,
                operator,
                value,
            } => {
                out.push('<');
                out.push_str(field);
                if let Some(operator) = operator {
                    let _ = write!(out, r#" Operator="{operator}""#);
                }
                out.push('>');
                escape_into(&mut out, value);
                let _ = write!(out, "</{field}>");
            }
            Condition::When { from, to } => {
                out.push_str("<When><From>");
                escape_into(&mut out, from);
                out.push_str("</From><To>");
                escape_into(&mut out, to);
                out.push_str("</To></When>");
            }
        }
    }
    out.push_str("</FilterList></ActivityRecordSearch>");
    out
}

/// `{"ContinuationMark": "…", "FilterList": {Field: Spec}}`. A field with one entry gets that
/// entry's spec (a plain string for the default operator, `{"Operator": "value"}` otherwise);
/// a field with several gets an array of them.
fn json(conditions: &[Condition], mark: Option<&str>) -> Vec<u8> {
    let mut filters = Map::new();
    for condition in conditions {
        let spec = match condition {
            Condition::Text {
                operator: None,
                value,
                ..
            } => Value::String(value.clone()),
            Condition::Text {
                operator: Some(operator),
                value,
                ..
            } => single((*operator).to_owned(), Value::String(value.clone())),
            Condition::When { from, to } => {
                let mut span = Map::new();
                span.insert("From".to_owned(), Value::String(from.clone()));
                span.insert("To".to_owned(), Value::String(to.clone()));
                Value::Object(span)
            }
        };
        match filters.get_mut(condition.field()) {
            None => {
                filters.insert(condition.field().to_owned(), spec);
            }
            Some(Value::Array(specs)) => specs.push(spec),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, spec]);
            }
        }
    }
    let mut body = Map::new();
    if let Some(mark) = mark {
        body.insert(
            "ContinuationMark".to_owned(),
            Value::String(mark.to_owned()),
        );
    }
    body.insert("FilterList".to_owned(), Value::Object(filters));
    // Serializing a tree of strings into memory cannot fail.
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

fn single(key: String, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key, value);
    Value::Object(map)
}

/// Escapes the five characters XML bodies must escape: `& " ' < >`.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conditions() -> Vec<Condition> {
        vec![
            Condition::rid("A"),
            Condition::rid("B"),
            Condition::Text {
                field: "Who",
                operator: None,
                value: r"CORP\a&b".to_owned(),
            },
            Condition::When {
                from: "2024-03-11T00:00:00Z".to_owned(),
                to: "2024-03-12T00:00:00Z".to_owned(),
            },
        ]
    }

    #[test]
    fn json_groups_repeated_fields_into_arrays_and_carries_the_mark() {
        let body = render(Format::Json, &conditions(), Some("M=="));
        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            value,
            json!({
                "ContinuationMark": "M==",
                "FilterList": {
                    "RID": [{"Equals": "A"}, {"Equals": "B"}],
                    "Who": "CORP\\a&b",
                    "When": {"From": "2024-03-11T00:00:00Z", "To": "2024-03-12T00:00:00Z"}
                }
            })
        );
        let first = render(Format::Json, &conditions()[..1], None);
        let value: Value = serde_json::from_slice(&first).unwrap_or_default();
        assert_eq!(value, json!({"FilterList": {"RID": {"Equals": "A"}}}));
    }

    #[test]
    fn xml_is_namespaced_escaped_and_has_the_mark_first() {
        let body =
            String::from_utf8(render(Format::Xml, &conditions(), Some("M<"))).unwrap_or_default();
        assert_eq!(
            body,
            concat!(
                r#"<?xml version="1.0" encoding="utf-8"?>"#,
                r#"<ActivityRecordSearch xmlns="http://schemas.netwrix.com/api/v1/activity_records/">"#,
                "<ContinuationMark>M&lt;</ContinuationMark><FilterList>",
                r#"<RID Operator="Equals">A</RID><RID Operator="Equals">B</RID>"#,
                r"<Who>CORP\a&amp;b</Who>",
                "<When><From>2024-03-11T00:00:00Z</From><To>2024-03-12T00:00:00Z</To></When>",
                "</FilterList></ActivityRecordSearch>"
            )
        );
    }
}
