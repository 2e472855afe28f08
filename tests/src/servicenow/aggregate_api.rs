//! The Aggregate API, `GET /api/now[/v1]/stats/{table}`, as ServiceNow documents it: the
//! records the query (`sysparm_query` or name-value pairs) selects, counted (`sysparm_count`)
//! and aggregated (`sysparm_avg_fields`, `…_min_…`, `…_max_…`, `…_sum_…`), optionally per
//! group (`sysparm_group_by`). Without groups the result is one `{"stats": …}` object; with
//! them an array of `{"stats": …, "groupby_fields": [{"field", "value"}]}`. Every number is a
//! string, averages with four decimals, as in the documentation's sample.
//!
//! `sysparm_having` and `sysparm_order_by` are not implemented and answered 400, so a client
//! relying on them learns it here rather than from a wrong count.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use http::{StatusCode, Uri};
use serde_json::{json, Map, Value};

use super::errors::ApiError;
use super::params::Params;
use super::query::Query;
use super::reply::result_response;
use super::state::Shared;
use super::store::Record;
use super::table_api::{check_readable, query_text, table_def, ApiResult};
use super::walk;

/// The aggregate functions, as their parameters name them.
const FUNCTIONS: [&str; 4] = ["avg", "min", "max", "sum"];

/// `GET …/stats/{table}`.
pub(crate) async fn stats(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> ApiResult {
    let Path(table) = path.map_err(|_| ApiError::UnknownUri)?;
    let params = Params::from_uri(&uri)?;
    let inner = shared.lock();
    if !inner.profile.aggregate_api {
        return Err(ApiError::UnknownUri);
    }
    let table = table_def(&table)?;
    check_readable(&inner, table)?;
    for unsupported in ["sysparm_having", "sysparm_order_by"] {
        if params.get(unsupported).is_some() {
            return Err(ApiError::BadRequest {
                message: format!("{unsupported} is not supported by this emulator"),
                detail: None,
            });
        }
    }
    let store = &inner.store;
    let text = query_text(&params, table, inner.profile.name_value_filters);
    let query = Query::parse(
        &text,
        |f| walk::is_known(table, f),
        inner.profile.invalid_query,
    );
    let rows: Vec<&Record> = store
        .rows(table.name)
        .iter()
        .filter(|r| query.matches(|f| walk::raw_value(store, table, r, f)))
        .collect();
    let list = |name: &str| -> Vec<String> {
        params
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let group_by = list("sysparm_group_by");
    let wanted = Wanted {
        count: params.flag("sysparm_count"),
        fields: FUNCTIONS.map(|f| (f, list(&format!("sysparm_{f}_fields")))),
    };
    if group_by.is_empty() {
        let result = json!({ "stats": wanted.stats(&rows) });
        return Ok(result_response(StatusCode::OK, result));
    }
    let mut groups: BTreeMap<Vec<String>, Vec<&Record>> = BTreeMap::new();
    for row in rows {
        let key = group_by.iter().map(|f| row.get(f).to_owned()).collect();
        groups.entry(key).or_default().push(row);
    }
    let result: Vec<Value> = groups
        .into_iter()
        .map(|(key, rows)| {
            let fields: Vec<Value> = group_by
                .iter()
                .zip(key)
                .map(|(field, value)| json!({"value": value, "field": field}))
                .collect();
            json!({"stats": wanted.stats(&rows), "groupby_fields": fields})
        })
        .collect();
    Ok(result_response(StatusCode::OK, Value::Array(result)))
}

/// What the request asked to compute.
struct Wanted {
    count: bool,
    fields: [(&'static str, Vec<String>); 4],
}

impl Wanted {
    /// The `stats` object for `rows`.
    fn stats(&self, rows: &[&Record]) -> Value {
        let mut stats = Map::new();
        if self.count {
            stats.insert("count".to_owned(), json!(rows.len().to_string()));
        }
        for (function, fields) in &self.fields {
            if fields.is_empty() {
                continue;
            }
            let values: Map<String, Value> = fields
                .iter()
                .map(|field| (field.clone(), json!(aggregate(function, rows, field))))
                .collect();
            stats.insert((*function).to_owned(), Value::Object(values));
        }
        Value::Object(stats)
    }
}

/// `function` over the numeric values of `field`; `""` when there are none.
fn aggregate(function: &str, rows: &[&Record], field: &str) -> String {
    let numbers: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.get(field).trim().parse::<f64>().ok())
        .collect();
    if numbers.is_empty() {
        return String::new();
    }
    let plain = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            format!("{n:.0}")
        } else {
            format!("{n}")
        }
    };
    match function {
        "avg" => format!("{:.4}", numbers.iter().sum::<f64>() / numbers.len() as f64),
        "min" => plain(numbers.iter().copied().fold(f64::INFINITY, f64::min)),
        "max" => plain(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        _ => plain(numbers.iter().sum()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::schema;

    #[test]
    fn averages_have_four_decimals_and_sums_stay_whole() {
        let rows: Vec<Record> = ["1", "2", "2", "x"]
            .iter()
            .map(|v| {
                let mut r = Record::blank(&schema::INCIDENT);
                r.set("reassignment_count", *v);
                r
            })
            .collect();
        let refs: Vec<&Record> = rows.iter().collect();
        assert_eq!(aggregate("avg", &refs, "reassignment_count"), "1.6667");
        assert_eq!(aggregate("sum", &refs, "reassignment_count"), "5");
        assert_eq!(aggregate("min", &refs, "reassignment_count"), "1");
        assert_eq!(aggregate("max", &refs, "reassignment_count"), "2");
        assert_eq!(aggregate("max", &refs, "number"), "");
    }
}
