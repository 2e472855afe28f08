//! The Batch API, `POST /api/now/v1/batch`, as ServiceNow documents it: several REST requests
//! in one call, each run as if sent on its own (same routes, same ACLs) and answered in
//! `serviced_requests` with its status, headers (unless `exclude_response_headers`) and a
//! Base64 body. Items run one after another, in order. Each item carries the batch's own
//! credentials, as on a real instance, whose session covers the whole batch.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Request, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt as _;

use super::auth::API_KEY_HEADER;
use super::errors::ApiError;
use super::reply::json_response;
use super::state::Shared;
use super::ServiceNow;

/// The request body.
#[derive(Deserialize)]
struct Batch {
    #[serde(default)]
    batch_request_id: Option<String>,
    rest_requests: Vec<Item>,
}

/// One request of the batch.
#[derive(Deserialize)]
struct Item {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    /// Base64.
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    exclude_response_headers: bool,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

/// `POST /api/now/v1/batch`.
pub(crate) async fn batch(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !shared.lock().profile.batch_api {
        return Err(ApiError::UnknownUri);
    }
    let batch: Batch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::UnreadableBody(format!("not a batch request: {e}")))?;
    let router = ServiceNow { shared }.router();
    let mut serviced = Vec::with_capacity(batch.rest_requests.len());
    for item in batch.rest_requests {
        serviced.push(run(&router, &headers, item).await);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "batch_request_id": batch.batch_request_id,
            "serviced_requests": serviced,
            "unserviced_requests": [],
        }),
    ))
}

/// Runs one item through the instance's own routes; its entry of `serviced_requests`.
async fn run(router: &axum::Router, outer: &HeaderMap, item: Item) -> Value {
    let started = Instant::now();
    let engine = base64::engine::general_purpose::STANDARD;
    let body = item
        .body
        .as_deref()
        .map(|b| b.split_whitespace().collect::<String>())
        .map(|b| engine.decode(b))
        .transpose();
    let request = body.map_err(|e| e.to_string()).and_then(|body| {
        let mut builder = Request::builder()
            .method(item.method.as_str())
            .uri(&item.url);
        for header in &item.headers {
            builder = builder.header(header.name.as_str(), header.value.as_str());
        }
        for name in [AUTHORIZATION.as_str(), API_KEY_HEADER] {
            if let Some(value) = outer.get(name) {
                builder = builder.header(name, value);
            }
        }
        builder
            .body(Body::from(body.unwrap_or_default()))
            .map_err(|e| e.to_string())
    });
    let response = match request {
        Ok(request) => router.clone().oneshot(request).await.ok(),
        Err(why) => {
            return json!({
                "id": item.id, "status_code": 400, "status_text": "Bad Request",
                "error_message": why, "headers": [], "body": "", "execution_time": 0,
            })
        }
    };
    let Some(response) = response else {
        return json!({"id": item.id, "status_code": 500, "status_text": "Internal Server Error",
            "headers": [], "body": "", "execution_time": 0});
    };
    let status = response.status();
    let headers: Vec<Value> = if item.exclude_response_headers {
        Vec::new()
    } else {
        response
            .headers()
            .iter()
            .map(|(n, v)| json!({"name": n.as_str(), "value": v.to_str().unwrap_or("")}))
            .collect()
    };
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    json!({
        "id": item.id,
        "body": engine.encode(&bytes),
        "status_code": status.as_u16(),
        "status_text": status.canonical_reason().unwrap_or(""),
        "headers": headers,
        "execution_time": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}
