//! The Attachment API: binary `/file` and multipart `/upload` uploads, metadata
//! list and read, content download with `X-Attachment-Metadata`, delete. Served under
//! `/api/now/attachment…` and the documented versioned `/api/now/v1/attachment…`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde_json::{Map, Value};

use super::account::Actor;
use super::errors::ApiError;
use super::multipart;
use super::params::{base_url, page_links, Params};
use super::profile::MultipartSysIdField;
use super::query::Query;
use super::reply::{empty_response, result_response, with_location};
use super::schema;
use super::state::{Inner, Shared};
use super::store::{new_sys_id, Record};
use super::walk;

type ApiResult = Result<Response, ApiError>;

/// Default `sysparm_limit` of the attachment list, as documented.
const DEFAULT_ATTACHMENT_LIMIT: usize = 1000;

/// A 400 for a missing or unusable parameter (message composed; real texts unverified).
fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        message: message.into(),
        detail: None,
    }
}

/// `/api/now` or `/api/now/v1`, as the request spelled it.
fn api_prefix(uri: &Uri) -> &'static str {
    if uri.path().starts_with("/api/now/v1/") {
        "/api/now/v1"
    } else {
        "/api/now"
    }
}

/// The metadata object of an attachment: its row plus `download_link`, all strings.
fn metadata(record: &Record, base: &str) -> Value {
    let mut object: Map<String, Value> = record
        .fields()
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    object.insert(
        "download_link".to_owned(),
        Value::String(format!(
            "{base}/api/now/attachment/{}/file",
            record.sys_id()
        )),
    );
    Value::Object(object)
}

/// The metadata today's instances add: `hash` (SHA-256 of the content, which clients such as
/// Ansible's ServiceNow collection compare to skip a re-upload), `chunk_size_bytes`, `state`,
/// and the names of the users who created and last updated it. The values of
/// `chunk_size_bytes` and `state` are those of ServiceNow's documentation samples.
fn extend(row: &mut Record, actor: &Actor, bytes: &[u8]) {
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    row.set("hash", hash);
    row.set("chunk_size_bytes", "700000");
    row.set("state", "available");
    row.set("created_by_name", actor.display_name.as_str());
    row.set("updated_by_name", actor.display_name.as_str());
}

/// What an upload names: target table and record, file name, type and content.
struct Upload {
    table_name: String,
    table_sys_id: String,
    file_name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// Stores an upload and answers 201 with `Location` and the metadata.
fn store_upload(
    inner: &mut Inner,
    actor: &Actor,
    upload: Upload,
    base: &str,
    prefix: &str,
) -> ApiResult {
    let target_exists = schema::table(&upload.table_name).is_some()
        && inner
            .store
            .find(&upload.table_name, &upload.table_sys_id)
            .is_some();
    if !target_exists {
        return Err(ApiError::NoRecord);
    }
    let now = inner.now_text();
    let size = upload.bytes.len().to_string();
    let sys_id = new_sys_id();
    let mut row = Record::blank(&schema::ATTACHMENT);
    let values = [
        ("sys_id", sys_id.as_str()),
        ("table_name", upload.table_name.as_str()),
        ("table_sys_id", upload.table_sys_id.as_str()),
        ("file_name", upload.file_name.as_str()),
        ("content_type", upload.content_type.as_str()),
        ("size_bytes", size.as_str()),
        // The emulator does not compress; the real instance reports its gzip size here.
        ("size_compressed", size.as_str()),
        ("compressed", "true"),
        ("sys_created_on", now.as_str()),
        ("sys_created_by", actor.user_name.as_str()),
        ("sys_updated_on", now.as_str()),
        ("sys_updated_by", actor.user_name.as_str()),
        ("sys_mod_count", "0"),
    ];
    for (field, value) in values {
        row.set(field, value);
    }
    if inner.profile.attachment_extended_fields {
        extend(&mut row, actor, &upload.bytes);
    }
    inner.store.put_attachment_bytes(&sys_id, upload.bytes);
    let body = metadata(&row, base);
    inner.store.insert(&schema::ATTACHMENT, row);
    let response = result_response(StatusCode::CREATED, body);
    Ok(with_location(
        response,
        &format!("{base}{prefix}/attachment/{sys_id}"),
    ))
}

/// `POST /api/now/attachment/file?table_name&table_sys_id&file_name`: raw body, mandatory
/// `Content-Type`: the file's MIME type.
pub(crate) async fn upload_file(
    State(shared): State<Arc<Shared>>,
    Extension(actor): Extension<Actor>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let params = Params::from_uri(&uri)?;
    let param = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| bad_request(format!("Missing mandatory parameter: {name}")))
    };
    let (table_name, table_sys_id, file_name) = (
        param("table_name")?,
        param("table_sys_id")?,
        param("file_name")?,
    );
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| bad_request("Content-Type header is mandatory"))?
        .to_owned();
    let base = base_url(&headers, shared.instance_url.as_deref());
    let mut inner = shared.lock();
    let upload = Upload {
        table_name,
        table_sys_id,
        file_name,
        content_type,
        bytes: body.to_vec(),
    };
    store_upload(&mut inner, &actor, upload, &base, api_prefix(&uri))
}

/// `POST /api/now/attachment/upload`: multipart; form fields first, the file part last — fields
/// after the file part are not read.
pub(crate) async fn upload_multipart(
    State(shared): State<Arc<Shared>>,
    Extension(actor): Extension<Actor>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multipart::boundary(content_type).map_err(|e| bad_request(e.to_string()))?;
    let parts = multipart::parse(&body, &boundary).map_err(|e| bad_request(e.to_string()))?;
    let mut inner = shared.lock();
    let sys_id_names: &[&str] = match inner.profile.multipart_sys_id_field {
        MultipartSysIdField::TableSysId => &["table_sys_id"],
        MultipartSysIdField::RecordSysId => &["record_sys_id"],
        MultipartSysIdField::Either => &["table_sys_id", "record_sys_id"],
    };
    let mut table_name = None;
    let mut table_sys_id = None;
    let mut file = None;
    for part in parts {
        if part.file_name.is_some() {
            file = Some(part);
            break;
        }
        let text = String::from_utf8_lossy(&part.data).into_owned();
        if part.name == "table_name" {
            table_name = Some(text);
        } else if sys_id_names.contains(&part.name.as_str()) {
            table_sys_id = Some(text);
        }
    }
    let table_name =
        table_name.ok_or_else(|| bad_request("Missing mandatory parameter: table_name"))?;
    let table_sys_id = table_sys_id.ok_or_else(|| {
        bad_request(format!(
            "Missing mandatory parameter: {}",
            sys_id_names.join(" or ")
        ))
    })?;
    let file = file.ok_or_else(|| bad_request("No file part found in the request"))?;
    let upload = Upload {
        table_name,
        table_sys_id,
        file_name: file.file_name.unwrap_or_default(),
        content_type: file
            .content_type
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        bytes: file.data,
    };
    let base = base_url(&headers, shared.instance_url.as_deref());
    store_upload(&mut inner, &actor, upload, &base, api_prefix(&uri))
}

/// `GET /api/now/attachment?sysparm_query=…`: metadata list over `sys_attachment`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let params = Params::from_uri(&uri)?;
    let inner = shared.lock();
    let table = &schema::ATTACHMENT;
    let store = &inner.store;
    let query = Query::parse(
        params.get("sysparm_query").unwrap_or(""),
        |f| walk::is_known(table, f),
        inner.profile.invalid_query,
    );
    let mut rows: Vec<&Record> = store
        .rows(table.name)
        .iter()
        .filter(|r| query.matches(|f| walk::raw_value(store, table, r, f)))
        .collect();
    rows.sort_by(|a, b| {
        query.compare(
            |f| walk::raw_value(store, table, a, f),
            |f| walk::raw_value(store, table, b, f),
        )
    });
    let (limit, offset) = (params.limit(DEFAULT_ATTACHMENT_LIMIT), params.offset());
    let base = base_url(&headers, shared.instance_url.as_deref());
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| metadata(r, &base))
        .collect();
    let mut response = result_response(StatusCode::OK, Value::Array(page));
    let out = response.headers_mut();
    out.insert("X-Total-Count", HeaderValue::from(rows.len()));
    if !params.flag("sysparm_suppress_pagination_header") {
        let links = page_links(&base, uri.path(), &params, offset, limit, rows.len());
        if let Ok(value) = HeaderValue::from_str(&links) {
            out.insert("Link", value);
        }
    }
    Ok(response)
}

/// `GET /api/now/attachment/{sys_id}`.
pub(crate) async fn get_metadata(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let Path(sys_id) = path.map_err(|_| ApiError::UnknownUri)?;
    let inner = shared.lock();
    let row = inner
        .store
        .find(schema::ATTACHMENT.name, &sys_id)
        .ok_or(ApiError::NoRecord)?;
    let base = base_url(&headers, shared.instance_url.as_deref());
    Ok(result_response(StatusCode::OK, metadata(row, &base)))
}

/// `GET /api/now/attachment/{sys_id}/file`: the bytes, their type and `X-Attachment-Metadata`.
pub(crate) async fn get_content(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let Path(sys_id) = path.map_err(|_| ApiError::UnknownUri)?;
    let inner = shared.lock();
    let row = inner
        .store
        .find(schema::ATTACHMENT.name, &sys_id)
        .ok_or(ApiError::NoRecord)?;
    let bytes = inner
        .store
        .attachment_bytes(&sys_id)
        .unwrap_or(&[])
        .to_vec();
    let base = base_url(&headers, shared.instance_url.as_deref());
    let mut response = Response::new(Body::from(bytes));
    let out = response.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(row.get("content_type")) {
        out.insert(CONTENT_TYPE, ct);
    }
    if let Ok(meta) = HeaderValue::from_str(&metadata(row, &base).to_string()) {
        out.insert("X-Attachment-Metadata", meta);
    }
    Ok(response)
}

/// `DELETE /api/now/attachment/{sys_id}`: 204.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let Path(sys_id) = path.map_err(|_| ApiError::UnknownUri)?;
    let mut inner = shared.lock();
    inner
        .store
        .remove(schema::ATTACHMENT.name, &sys_id)
        .ok_or(ApiError::NoRecord)?;
    inner.store.remove_attachment_bytes(&sys_id);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
