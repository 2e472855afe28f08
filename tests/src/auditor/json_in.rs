//! JSON request bodies (`?format=json`) and their documented asymmetries:
//! the write body is a bare array of records, the enum continuation a bare string literal, and
//! the search body an object `{"ContinuationMark"?, "FilterList"}`.
//!
//! A body that is not JSON at all is [`ApiError::MalformedJson`] (500, empty); JSON of the
//! wrong shape is a 400 `InputError`. Keys are matched exactly unless
//! [`KeyMatching::CaseInsensitive`](super::KeyMatching) is configured; a key the schema does
//! not have inside `FilterList` is refused, elsewhere it is skipped.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::filter::{Field, FilterBuilder, RawSpan};
use super::ingest::{RawDetail, RawPlan, RawRecord};

/// Parses the body as JSON; malformed JSON earns the documented empty 500.
pub(crate) fn parse(body: &[u8]) -> Result<Value, ApiError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    serde_json::from_slice(body).map_err(|error| ApiError::MalformedJson(error.to_string()))
}

/// An object with exact or case-insensitive key lookup.
#[derive(Clone, Copy, Debug)]
struct Object<'a> {
    map: &'a Map<String, Value>,
    lenient: bool,
}

impl<'a> Object<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            Some(value) => Some(value),
            None if self.lenient => self
                .map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            None => None,
        }
    }

    /// A string member; `null` counts as absent, other types are an error.
    fn string(&self, key: &str, location: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => {
                Err(ApiError::input(format!("{key} must be a string."))
                    .at(format!("{location}/{key}")))
            }
        }
    }
}

/// The records of a write body: a bare array, with no wrapper object, as documented.
pub(crate) fn records(body: &Value, lenient: bool) -> Result<Vec<RawRecord>, ApiError> {
    let Value::Array(items) = body else {
        return Err(ApiError::input(
            "The body must be a JSON array of Activity Records (no wrapper object).",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let location = format!("ActivityRecord[{}]", i + 1);
            let map = item.as_object().ok_or_else(|| {
                ApiError::input("Each Activity Record must be a JSON object.").at(&location)
            })?;
            record(Object { map, lenient }, &location)
        })
        .collect()
}

/// The mark of an enum continuation: a bare JSON string literal.
pub(crate) fn enum_mark(body: &Value) -> Result<String, ApiError> {
    match body {
        Value::String(mark) => Ok(mark.clone()),
        _ => Err(ApiError::input(
            "The continuation body must be the mark as a bare JSON string, e.g. \"PG5y...\".",
        )),
    }
}

/// Reads a search body into `builder`; returns its mark, if any.
pub(crate) fn search(
    body: &Value,
    builder: &mut FilterBuilder<'_>,
    lenient: bool,
) -> Result<Option<String>, ApiError> {
    let map = body.as_object().ok_or_else(|| {
        ApiError::input("The search body must be a JSON object with a FilterList.")
    })?;
    let root = Object { map, lenient };
    let filters = match root.get("FilterList") {
        Some(Value::Object(filters)) => filters,
        Some(_) => {
            return Err(ApiError::input("FilterList must be a JSON object.").at("FilterList"))
        }
        None => return Err(ApiError::input("The search body has no FilterList.").at("FilterList")),
    };
    for (name, spec) in filters {
        // Schema-invalid post data is refused, as in XML.
        let Some(field) = builder.field(name) else {
            return Err(ApiError::input(format!(
                "'{name}' is not a search filter; FilterList takes only the documented filters."
            ))
            .at(format!("FilterList/{name}")));
        };
        let location = format!("FilterList/{name}");
        let entries = match spec {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for entry in entries {
            add_entry(builder, field, entry, lenient).map_err(|e| e.at(&location))?;
        }
    }
    root.string("ContinuationMark", "")
}

/// One value of a filter field: a string, an `{Operator: value}` object, or for `When` and
/// `WorkingHours` an interval or timeframe object.
fn add_entry(
    builder: &mut FilterBuilder<'_>,
    field: Field,
    entry: &Value,
    lenient: bool,
) -> Result<(), ApiError> {
    match field {
        Field::When | Field::WorkingHours => add_interval(builder, field, None, entry, lenient),
        Field::Text(_) | Field::Action => match entry {
            Value::String(value) => builder.text(field, None, value),
            Value::Object(map) if !map.is_empty() => {
                for (operator, value) in map {
                    let Value::String(value) = value else {
                        return Err(ApiError::input(format!(
                            "The value of operator {operator} must be a string."
                        )));
                    };
                    builder.text(field, Some(operator), value)?;
                }
                Ok(())
            }
            _ => Err(ApiError::input(
                "A filter value must be a string, an {\"Operator\": \"value\"} object, or an array of these.",
            )),
        },
    }
}

/// A `When` or `WorkingHours` entry: `{"From","To"}`, `{"LastSevenDays": ""}`, or either
/// wrapped in an operator (`{"NotEqualTo": {...}}`; the wrapper is an inference, since the
/// documentation shows no JSON form for these operators).
fn add_interval(
    builder: &mut FilterBuilder<'_>,
    field: Field,
    operator: Option<&str>,
    entry: &Value,
    lenient: bool,
) -> Result<(), ApiError> {
    let shape = || {
        ApiError::input(
            "An interval must be {\"From\": .., \"To\": ..} or a timeframe such as {\"LastSevenDays\": \"\"}.",
        )
    };
    let map = match entry {
        Value::Object(map) => map,
        // `{"NotEqualTo": "LastSevenDays"}`: a timeframe named by a string.
        Value::String(name) if operator.is_some() && field == Field::When => {
            return builder.when(operator, RawSpan::Timeframe(name));
        }
        _ => return Err(shape()),
    };
    let object = Object { map, lenient };
    if object.get("From").is_some() || object.get("To").is_some() {
        let from = object.string("From", "")?;
        let to = object.string("To", "")?;
        return match field {
            Field::WorkingHours => builder.working_hours(operator, from.as_deref(), to.as_deref()),
            _ => builder.when(
                operator,
                RawSpan::Between {
                    from: from.as_deref(),
                    to: to.as_deref(),
                },
            ),
        };
    }
    let mut added = false;
    for (key, value) in map {
        if operator.is_none() && builder.is_operator(key) {
            add_interval(builder, field, Some(key), value, lenient)?;
            added = true;
        } else if field == Field::When && builder.is_timeframe(key) {
            builder.when(operator, RawSpan::Timeframe(key))?;
            added = true;
        }
    }
    if added {
        Ok(())
    } else {
        Err(shape())
    }
}

fn record(object: Object<'_>, location: &str) -> Result<RawRecord, ApiError> {
    let plan = match object.get("MonitoringPlan") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let plan = Object {
                map,
                lenient: object.lenient,
            };
            let at = format!("{location}/MonitoringPlan");
            Some(RawPlan {
                name: plan.string("Name", &at)?,
                id: plan.string("ID", &at)?,
            })
        }
        Some(_) => {
            return Err(
                ApiError::input("MonitoringPlan must be an object with a Name.")
                    .at(format!("{location}/MonitoringPlan")),
            )
        }
    };
    let item_name = match object.get("Item") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Object {
            map,
            lenient: object.lenient,
        }
        .string("Name", &format!("{location}/Item"))?,
        Some(_) => {
            return Err(ApiError::input("Item must be an object with a Name.")
                .at(format!("{location}/Item")))
        }
    };
    let is_archive_only = match object.get("IsArchiveOnly") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(flag.to_string()),
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            return Err(ApiError::input("IsArchiveOnly must be true or false.")
                .at(format!("{location}/IsArchiveOnly")))
        }
    };
    Ok(RawRecord {
        who: object.string("Who", location)?,
        action: object.string("Action", location)?,
        what: object.string("What", location)?,
        when: object.string("When", location)?,
        r#where: object.string("Where", location)?,
        object_type: object.string("ObjectType", location)?,
        plan,
        item_name,
        workstation: object.string("Workstation", location)?,
        is_archive_only,
        details: details(object, location)?,
    })
}

fn details(object: Object<'_>, location: &str) -> Result<Vec<RawDetail>, ApiError> {
    let at = format!("{location}/DetailList");
    let items = match object.get("DetailList") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::input("DetailList must be an array.").at(at)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{at}/Detail[{}]", i + 1);
            let map = item
                .as_object()
                .ok_or_else(|| ApiError::input("Each Detail must be an object.").at(&at))?;
            let detail = Object {
                map,
                lenient: object.lenient,
            };
            Ok(RawDetail {
                property_name: detail.string("PropertyName", &at)?,
                before: detail.string("Before", &at)?,
                after: detail.string("After", &at)?,
                message: detail.string("Message", &at)?,
            })
        })
        .collect()
}
