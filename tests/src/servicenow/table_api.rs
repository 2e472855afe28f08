//! The Table API handlers: `/api/now[/v1|/v2]/table/{table}[/{sys_id}]`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use serde_json::Value;

use super::account::Actor;
use super::errors::{ApiError, Operation};
use super::incident::{self, WriteContext};
use super::input;
use super::params::{base_url, page_links, ApiVersion, Params, DEFAULT_TABLE_LIMIT};
use super::query::Query;
use super::render::{render, RenderOptions};
use super::reply::{empty_response, result_response, with_location};
use super::schema::{self, TableDef};
use super::security_incident;
use super::state::{Inner, Shared};
use super::store::Record;
use super::walk;

pub(crate) type ApiResult = Result<Response, ApiError>;

/// Any verb a path does not support: 405.
pub(crate) async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method)
}

/// The table named in the path, or `400 Invalid table <name>`.
pub(crate) fn table_def(name: &str) -> Result<&'static TableDef, ApiError> {
    schema::table(name).ok_or_else(|| ApiError::InvalidTable(name.to_owned()))
}

/// The tables the API user may write: incidents and security incidents; the rest are
/// reference data, read-only to an itil user.
fn writable(table: &TableDef) -> bool {
    table.name == schema::INCIDENT.name || table.name == schema::SECURITY_INCIDENT.name
}

/// `sn_si_incident` exists only where the profile installs its application.
fn check_installed(inner: &Inner, table: &TableDef) -> Result<(), ApiError> {
    if table.name == schema::SECURITY_INCIDENT.name && !inner.profile.security_incident_response {
        return Err(ApiError::InvalidTable(table.name.to_owned()));
    }
    Ok(())
}

/// `sys_journal_field` may be closed to the API user (`journal_table_readable`).
pub(crate) fn check_readable(inner: &Inner, table: &TableDef) -> Result<(), ApiError> {
    check_installed(inner, table)?;
    if table.name == schema::JOURNAL.name && !inner.profile.journal_table_readable {
        return Err(ApiError::QueryForbidden);
    }
    Ok(())
}

/// Writes must carry JSON (or nothing); the emulator does not speak XML.
fn check_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => {
            Err(ApiError::UnsupportedMediaType)
        }
        _ => Ok(()),
    }
}

/// Whether the client asked for no body and the profile honours it.
fn no_body(headers: &HeaderMap, inner: &Inner) -> bool {
    inner.profile.no_response_body_header
        && headers
            .get("X-no-response-body")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn render_one(
    inner: &Inner,
    table: &'static TableDef,
    record: &Record,
    params: &Params,
    base: &str,
) -> Value {
    let fields = params.fields();
    let opts = RenderOptions {
        mode: params.display_mode(),
        exclude_links: params.flag("sysparm_exclude_reference_link"),
        fields: fields.as_deref(),
        base_url: base,
    };
    render(&inner.store, table, record, &opts)
}

/// The query of a collection GET: `sysparm_query`, or `field=value` shorthand filters when the
/// profile accepts them and `sysparm_query` is empty.
pub(crate) fn query_text(
    params: &Params,
    table: &'static TableDef,
    name_value_filters: bool,
) -> String {
    let text = params.get("sysparm_query").unwrap_or("").trim();
    if !text.is_empty() || !name_value_filters {
        return text.to_owned();
    }
    params
        .pairs()
        .iter()
        .filter(|(k, _)| !k.starts_with("sysparm_") && walk::is_known(table, k))
        .map(|(k, v)| format!("{k}={}", v.replace('^', "^^")))
        .collect::<Vec<_>>()
        .join("^")
}

/// `GET …/table/{table}`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let Path(table) = path.map_err(|_| ApiError::UnknownUri)?;
    let params = Params::from_uri(&uri)?;
    let table = table_def(&table)?;
    let inner = shared.lock();
    check_readable(&inner, table)?;
    let store = &inner.store;
    let text = query_text(&params, table, inner.profile.name_value_filters);
    let query = Query::parse(
        &text,
        |f| walk::is_known(table, f),
        inner.profile.invalid_query,
    );
    let mut rows: Vec<&Record> = store
        .rows(table.name)
        .iter()
        .filter(|r| query.matches(|f| walk::raw_value(store, table, r, f)))
        .collect();
    if !query.order.is_empty() {
        rows.sort_by(|a, b| {
            query.compare(
                |f| walk::raw_value(store, table, a, f),
                |f| walk::raw_value(store, table, b, f),
            )
        });
    }
    let total = rows.len();
    let limit = params.limit(DEFAULT_TABLE_LIMIT);
    let offset = params.offset();
    let base = base_url(&headers, shared.instance_url.as_deref());
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| render_one(&inner, table, r, &params, &base))
        .collect();
    if page.is_empty()
        && ApiVersion::of(uri.path()) == ApiVersion::V1
        && inner.profile.v1_empty_is_404
    {
        return Err(ApiError::NoMatchV1);
    }
    let mut response = result_response(StatusCode::OK, Value::Array(page));
    let out = response.headers_mut();
    if !(inner.profile.no_count_param && params.flag("sysparm_no_count")) {
        out.insert("X-Total-Count", HeaderValue::from(total));
    }
    let single_page = offset == 0 && total <= limit;
    let suppressed = params.flag("sysparm_suppress_pagination_header")
        || (single_page && !inner.profile.link_on_single_page);
    if !suppressed {
        let links = page_links(&base, uri.path(), &params, offset, limit, total);
        if let Ok(value) = HeaderValue::from_str(&links) {
            out.insert("Link", value);
        }
    }
    Ok(response)
}

/// `GET …/table/{table}/{sys_id}`.
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let Path((table, sys_id)) = path.map_err(|_| ApiError::UnknownUri)?;
    let params = Params::from_uri(&uri)?;
    let table = table_def(&table)?;
    let inner = shared.lock();
    check_readable(&inner, table)?;
    let record = inner
        .store
        .find(table.name, &sys_id)
        .ok_or(ApiError::NoRecord)?;
    let base = base_url(&headers, shared.instance_url.as_deref());
    Ok(result_response(
        StatusCode::OK,
        render_one(&inner, table, record, &params, &base),
    ))
}

/// Reads and resolves a write body for `table`.
fn read_changes(
    inner: &Inner,
    table: &'static TableDef,
    headers: &HeaderMap,
    params: &Params,
    body: &Bytes,
) -> Result<Vec<(String, String)>, ApiError> {
    check_json(headers)?;
    if body.len() > inner.profile.max_body_bytes {
        return Err(ApiError::PayloadTooLarge {
            length: u64::try_from(body.len()).unwrap_or(u64::MAX),
            max: inner.profile.max_body_bytes,
        });
    }
    let parsed = input::parse_body(body)?;
    Ok(input::resolve(
        &inner.store,
        table,
        parsed,
        params.flag("sysparm_input_display_value"),
    ))
}

/// `POST …/table/{table}`: 201 with `Location`, keeping the version segment as real instances
/// do.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(actor): Extension<Actor>,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let Path(table) = path.map_err(|_| ApiError::UnknownUri)?;
    let params = Params::from_uri(&uri)?;
    let table = table_def(&table)?;
    let mut guard = shared.lock();
    let inner = &mut *guard;
    check_installed(inner, table)?;
    if !writable(table) {
        return Err(ApiError::Acl(Operation::Insert));
    }
    let changes = read_changes(inner, table, &headers, &params, &body)?;
    let now = inner.now_text();
    let ctx = WriteContext {
        profile: &inner.profile,
        actor: &actor,
        now: &now,
        suppress_auto_sys: params.flag("sysparm_suppress_auto_sys_field"),
    };
    let record = if table.name == schema::SECURITY_INCIDENT.name {
        security_incident::insert(&mut inner.store, &ctx, &changes)?
    } else {
        incident::insert(&mut inner.store, &ctx, &changes)?
    };
    let base = base_url(&headers, shared.instance_url.as_deref());
    let location = format!(
        "{base}{}/{}",
        uri.path().trim_end_matches('/'),
        record.sys_id()
    );
    let response = if no_body(&headers, inner) {
        empty_response(StatusCode::CREATED)
    } else {
        result_response(
            StatusCode::CREATED,
            render_one(inner, table, &record, &params, &base),
        )
    };
    Ok(with_location(response, &location))
}

/// `PUT`/`PATCH …/table/{table}/{sys_id}`: partial update, 200.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(actor): Extension<Actor>,
    path: Result<Path<(String, String)>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let Path((table, sys_id)) = path.map_err(|_| ApiError::UnknownUri)?;
    let params = Params::from_uri(&uri)?;
    let table = table_def(&table)?;
    let mut guard = shared.lock();
    let inner = &mut *guard;
    check_installed(inner, table)?;
    if inner.store.find(table.name, &sys_id).is_none() {
        return Err(ApiError::NoRecord);
    }
    if !writable(table) {
        return Err(ApiError::Acl(Operation::Update));
    }
    let changes = read_changes(inner, table, &headers, &params, &body)?;
    let now = inner.now_text();
    let ctx = WriteContext {
        profile: &inner.profile,
        actor: &actor,
        now: &now,
        suppress_auto_sys: params.flag("sysparm_suppress_auto_sys_field"),
    };
    let record = if table.name == schema::SECURITY_INCIDENT.name {
        security_incident::update(&mut inner.store, &ctx, &sys_id, &changes)?
    } else {
        incident::update(&mut inner.store, &ctx, &sys_id, &changes)?
    };
    if no_body(&headers, inner) {
        return Ok(empty_response(StatusCode::OK));
    }
    let base = base_url(&headers, shared.instance_url.as_deref());
    Ok(result_response(
        StatusCode::OK,
        render_one(inner, table, &record, &params, &base),
    ))
}

/// `DELETE …/table/{table}/{sys_id}`: 204, empty body (capture
/// `output.ServiceNowOutputTest_delete.json`); the record's journal and attachments go too.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let Path((table, sys_id)) = path.map_err(|_| ApiError::UnknownUri)?;
    let table = table_def(&table)?;
    let mut inner = shared.lock();
    check_installed(&inner, table)?;
    if inner.store.find(table.name, &sys_id).is_none() {
        return Err(ApiError::NoRecord);
    }
    if !writable(table) {
        return Err(ApiError::Acl(Operation::Delete));
    }
    let store = &mut inner.store;
    store.remove(table.name, &sys_id);
    let dependent: Vec<(&str, String)> = store
        .rows(schema::JOURNAL.name)
        .iter()
        .filter(|r| r.get("element_id") == sys_id)
        .map(|r| (schema::JOURNAL.name, r.sys_id().to_owned()))
        .chain(
            store
                .rows(schema::ATTACHMENT.name)
                .iter()
                .filter(|r| r.get("table_sys_id") == sys_id)
                .map(|r| (schema::ATTACHMENT.name, r.sys_id().to_owned())),
        )
        .collect();
    for (table, id) in dependent {
        store.remove(table, &id);
        store.remove_attachment_bytes(&id);
    }
    Ok(empty_response(StatusCode::NO_CONTENT))
}
