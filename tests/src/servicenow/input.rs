//! Reading a write's JSON body into column values: one object (the first, if an array is
//! sent), unknown columns ignored, scalars turned into strings, and display values
//! (`sysparm_input_display_value=true`, or `{"display_value": …}`) resolved to raw values for
//! reference and choice columns.

use serde_json::Value;

use super::errors::ApiError;
use super::schema::{self, FieldKind, TableDef};
use super::store::Store;

/// One value as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InputValue {
    /// A raw value (sys_id, choice value, UTC date).
    Raw(String),
    /// A display value (group name, choice label) to resolve.
    Display(String),
}

/// Detail of the 400 for an unreadable body; the real text varies by release and is not known.
const NOT_JSON: &str = "The payload is not valid JSON.";

/// Parses a write body. An empty body is an empty object.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Vec<(String, InputValue)>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|_| ApiError::UnreadableBody(NOT_JSON.to_owned()))?;
    let object = match value {
        Value::Object(map) => map,
        // Only the first record of an array is used; the rest is silently ignored.
        Value::Array(items) => match items.into_iter().next() {
            Some(Value::Object(map)) => map,
            None => serde_json::Map::new(),
            Some(_) => return Err(ApiError::UnreadableBody(NOT_JSON.to_owned())),
        },
        _ => return Err(ApiError::UnreadableBody(NOT_JSON.to_owned())),
    };
    Ok(object
        .into_iter()
        .filter_map(|(field, value)| input_value(value).map(|v| (field, v)))
        .collect())
}

fn input_value(value: Value) -> Option<InputValue> {
    match value {
        Value::String(s) => Some(InputValue::Raw(s)),
        Value::Number(n) => Some(InputValue::Raw(n.to_string())),
        Value::Bool(b) => Some(InputValue::Raw(b.to_string())),
        Value::Null => Some(InputValue::Raw(String::new())),
        Value::Object(map) => match (map.get("value"), map.get("display_value")) {
            (Some(Value::String(v)), _) => Some(InputValue::Raw(v.clone())),
            (_, Some(Value::String(d))) => Some(InputValue::Display(d.clone())),
            _ => None,
        },
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            parts.map(|p| InputValue::Raw(p.join(",")))
        }
    }
}

/// Keeps the columns `table` has and turns display values into raw ones.
pub(crate) fn resolve(
    store: &Store,
    table: &TableDef,
    input: Vec<(String, InputValue)>,
    input_display_value: bool,
) -> Vec<(String, String)> {
    input
        .into_iter()
        .filter_map(|(field, value)| {
            let def = table.field(&field)?;
            let (text, is_display) = match value {
                InputValue::Raw(text) => (text, input_display_value),
                InputValue::Display(text) => (text, true),
            };
            let raw = if is_display {
                from_display(store, table, def.kind, &field, text)
            } else {
                text
            };
            Some((field, raw))
        })
        .collect()
}

fn from_display(
    store: &Store,
    table: &TableDef,
    kind: FieldKind,
    field: &str,
    text: String,
) -> String {
    match kind {
        FieldKind::Reference(target) => {
            if text.is_empty() || store.find(target, &text).is_some() {
                return text;
            }
            let display_field = schema::table(target).map(|t| t.display_field);
            display_field
                .and_then(|df| store.rows(target).iter().find(|r| r.get(df) == text))
                .map(|r| r.sys_id().to_owned())
                .unwrap_or(text)
        }
        FieldKind::Choice => store
            .choice_value(table.name, field, &text)
            .map(str::to_owned)
            .unwrap_or(text),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::store::Record;

    #[test]
    fn bodies() {
        assert_eq!(parse_body(b"  "), Ok(Vec::new()));
        assert!(parse_body(b"{\"short_description\": \"disk full\",").is_err());
        assert!(parse_body(b"\"text\"").is_err());
        let parsed = parse_body(br#"[{"impact":2,"active":true,"caller_id":null,"x":{"display_value":"Network"}},{"ignored":"1"}]"#);
        assert_eq!(
            parsed,
            Ok(vec![
                ("active".to_owned(), InputValue::Raw("true".to_owned())),
                ("caller_id".to_owned(), InputValue::Raw(String::new())),
                ("impact".to_owned(), InputValue::Raw("2".to_owned())),
                ("x".to_owned(), InputValue::Display("Network".to_owned())),
            ])
        );
    }

    #[test]
    fn display_values_resolve_for_references() {
        let mut store = Store::new();
        let mut group = Record::blank(&schema::GROUP);
        group.set("sys_id", "g1");
        group.set("name", "Network");
        store.insert(&schema::GROUP, group);
        let input = vec![
            (
                "assignment_group".to_owned(),
                InputValue::Raw("Network".to_owned()),
            ),
            ("unknown".to_owned(), InputValue::Raw("1".to_owned())),
        ];
        assert_eq!(
            resolve(&store, &schema::INCIDENT, input.clone(), true),
            vec![("assignment_group".to_owned(), "g1".to_owned())]
        );
        assert_eq!(
            resolve(&store, &schema::INCIDENT, input, false),
            vec![("assignment_group".to_owned(), "Network".to_owned())]
        );
    }
}
