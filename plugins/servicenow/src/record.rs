//! Records as the Table API returns them, turned into [`Ticket`]s.
//!
//! Every value is a JSON string; with `sysparm_display_value=all` each becomes
//! `{"display_value":…,"value":…}` (plus `link` unless `sysparm_exclude_reference_link=true`).
//! The sink always asks for `all`, so a [`Ticket`] carries raw values in `fields` and display
//! values (group names, state labels) in `display` from one request.

use serde_json::{Map, Value};
use sluice_sdk::{Fields, Ticket};

/// Fields every record-returning request asks for, on top of the fields it wrote: what
/// [`Ticket`] needs and what the default correlation text of the vendor add-on shows
/// (number, opened_at, assigned_to, assignment_group, state).
pub(crate) const TICKET_FIELDS: &[&str] = &[
    "sys_id",
    "number",
    "state",
    "incident_state",
    "active",
    "priority",
    "assigned_to",
    "assignment_group",
    "opened_at",
    "sys_updated_on",
    "correlation_id",
];

/// The UI link of a record: `<base>/nav_to.do?uri=<table>.do?sys_id=<id>`, the form Elastic's
/// connector returns.
pub(crate) fn link(base_url: &str, table: &str, sys_id: &str) -> String {
    format!("{base_url}/nav_to.do?uri={table}.do?sys_id={sys_id}")
}

/// The sys_id at the end of a `Location` header
/// (`https://dev12629.service-now.com/api/now/v2/table/incident/1715e02f…`, capture
/// `output.ServiceNowOutputTest_insertRecordNoResponse.json`).
pub(crate) fn sys_id_from_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next().unwrap_or("");
    let id = path.trim_end_matches('/').rsplit('/').next()?;
    is_sys_id(id).then(|| id.to_owned())
}

/// Whether `id` can be a sys_id in a URL path: letters and digits only (real ones are 32
/// lower-case hex digits).
pub(crate) fn is_sys_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A ticket from one record object; `None` if it is not an object with a `sys_id`.
pub(crate) fn ticket(record: &Value, base_url: &str, table: &str) -> Option<Ticket> {
    let object = record.as_object()?;
    let mut fields = Fields::with_capacity(object.len());
    let mut display = Fields::new();
    for (name, value) in object {
        let (raw, shown) = split(value);
        if let Some(shown) = shown {
            display.push(name.clone(), shown);
        }
        fields.push(name.clone(), raw);
    }
    let id = fields.get("sys_id").filter(|id| !id.is_empty())?.to_owned();
    Some(Ticket {
        link: link(base_url, table, &id).into(),
        number: fields.get("number").unwrap_or_default().into(),
        state: fields.get("state").unwrap_or_default().into(),
        id: id.into(),
        fields,
        display,
    })
}

/// `(raw, display)` of one rendered value, in any of its forms: a plain string, or an object
/// with `value` and/or `display_value` (and `link`).
fn split(value: &Value) -> (String, Option<String>) {
    match value {
        Value::Null => (String::new(), None),
        Value::String(s) => (s.clone(), None),
        Value::Bool(b) => (b.to_string(), None),
        Value::Number(n) => (n.to_string(), None),
        Value::Object(object) => split_object(object),
        Value::Array(_) => (value.to_string(), None),
    }
}

fn split_object(object: &Map<String, Value>) -> (String, Option<String>) {
    let scalar = |v: &Value| split(v).0;
    let display = object.get("display_value").map(scalar);
    match object.get("value") {
        Some(raw) => (scalar(raw), display),
        // display_value=true with links: only the display value exists.
        None => match display {
            Some(display) => (display.clone(), Some(display)),
            None => (Value::Object(object.clone()).to_string(), None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_display_values_from_all_mode() {
        let record = serde_json::json!({
            "sys_id": {"display_value": "abc", "value": "abc"},
            "number": {"display_value": "INC0010042", "value": "INC0010042"},
            "state": {"display_value": "In Progress", "value": "2"},
            "assignment_group": {"display_value": "Network", "value": "g1", "link": "x"},
            "caller_id": {"display_value": "", "value": ""},
        });
        let Some(t) = ticket(&record, "https://sn", "incident") else {
            panic!("no ticket");
        };
        assert_eq!(
            (t.id.as_str(), t.number.as_str(), t.state.as_str()),
            ("abc", "INC0010042", "2")
        );
        assert_eq!(t.link, "https://sn/nav_to.do?uri=incident.do?sys_id=abc");
        assert_eq!(t.fields.get("assignment_group"), Some("g1"));
        assert_eq!(t.display.get("assignment_group"), Some("Network"));
        assert_eq!(t.display.get("state"), Some("In Progress"));
    }

    #[test]
    fn value_mode_record_of_the_2018_capture() {
        // A slice of output.ServiceNowOutputTest_insertRecord.json.
        let record = serde_json::json!({"sys_updated_on":"2018-08-14 08:01:28","number":"ABCDEF123",
            "state":"1","sys_id":"9925eceb4f33130058ae7e918110c7f2","work_notes":"","active":"true"});
        let t = ticket(&record, "https://dev12629.service-now.com", "incident");
        assert_eq!(
            t.map(|t| (t.number, t.state)),
            Some(("ABCDEF123".into(), "1".into()))
        );
        assert!(ticket(&serde_json::json!({"number": "x"}), "b", "incident").is_none());
    }

    #[test]
    fn sys_id_from_the_captured_location() {
        assert_eq!(
            sys_id_from_location(
                "https://dev12629.service-now.com/api/now/v2/table/incident/1715e02f4f33130058ae7e918110c794"
            )
            .as_deref(),
            Some("1715e02f4f33130058ae7e918110c794")
        );
        assert_eq!(sys_id_from_location("https://x/a/b/"), Some("b".to_owned()));
        assert_eq!(sys_id_from_location(""), None);
    }
}
