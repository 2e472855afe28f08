//! The three documented endpoints: enum, search and write. Each runs the same gate
//! (method, faults; authentication is the layer in front of them), then does its own work, and never panics: every malformed
//! input ends in a documented error response.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::error::ApiError;
use super::faults::{self, FaultPlan, Severe};
use super::filter::FilterBuilder;
use super::ingest;
use super::paging::{Cursor, MarkKind, Page};
use super::query::{self, Format};
use super::reply;
use super::stats::Endpoint;
use super::store::Shared;
use super::{json_in, xml_in, xml_tree};
use crate::auditor::config::KeyMatching;

/// `GET` (first page) and `POST` (continuation) `/activity_records/enum`.
pub(crate) async fn enumerate(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Response {
    let plan = match gate(&shared, Endpoint::Enum, &method).await {
        Ok(plan) => plan,
        Err(response) => return tagged(response, Endpoint::Enum),
    };
    let format = query::format(raw.as_deref());
    let outcome = async {
        let query = query::parse(raw.as_deref(), shared.behaviour.max_count)?;
        let start = if method == Method::GET {
            None
        } else {
            let body = read_body(body, &headers, shared.max_body_bytes).await?;
            let mark = match format {
                Format::Xml => {
                    xml_in::enum_mark(&xml_tree::parse(&body)?, shared.behaviour.require_namespace)?
                }
                Format::Json => json_in::enum_mark(&json_in::parse(&body)?)?,
            };
            Some(resume(&shared, &mark, MarkKind::Enum, 0)?)
        };
        let page = shared.page(start, query.count, None)?;
        Ok(page_response(
            &shared,
            format,
            page,
            MarkKind::Enum,
            0,
            plan,
        ))
    };
    finish(outcome.await, format, plan, Endpoint::Enum).await
}

/// `POST /activity_records/search`, first and later pages alike: later pages resend the same
/// filters with the mark, as documented.
pub(crate) async fn search(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Response {
    let plan = match gate(&shared, Endpoint::Search, &method).await {
        Ok(plan) => plan,
        Err(response) => return tagged(response, Endpoint::Search),
    };
    let format = query::format(raw.as_deref());
    let outcome = async {
        let query = query::parse(raw.as_deref(), shared.behaviour.max_count)?;
        // A GET carries no search document; it is answered like an empty POST.
        let body = if method == Method::GET {
            Default::default()
        } else {
            read_body(body, &headers, shared.max_body_bytes).await?
        };
        let lenient = shared.behaviour.json_keys == KeyMatching::CaseInsensitive;
        let mut builder = FilterBuilder::new(&shared.behaviour, format == Format::Json && lenient);
        let mark = match format {
            Format::Xml => xml_in::search(
                &xml_tree::parse(&body)?,
                &mut builder,
                shared.behaviour.require_namespace,
            )?,
            Format::Json => json_in::search(&json_in::parse(&body)?, &mut builder, lenient)?,
        };
        let filter = builder.build();
        let digest = shared.marks.digest(&filter);
        // An empty mark on a first page is taken as no mark.
        let start = match mark.as_deref().map(str::trim) {
            Some(mark) if !mark.is_empty() => {
                Some(resume(&shared, mark, MarkKind::Search, digest)?)
            }
            _ => None,
        };
        let page = shared.page(start, query.count, Some(&filter))?;
        Ok(page_response(
            &shared,
            format,
            page,
            MarkKind::Search,
            digest,
            plan,
        ))
    };
    finish(outcome.await, format, plan, Endpoint::Search).await
}

/// `POST /activity_records/` (and, by default, without the trailing slash).
pub(crate) async fn write(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Response {
    let plan = match gate(&shared, Endpoint::Write, &method).await {
        Ok(plan) => plan,
        Err(response) => return tagged(response, Endpoint::Write),
    };
    let format = query::format(raw.as_deref());
    let outcome = async {
        query::checked_format(raw.as_deref())?;
        let body = read_body(body, &headers, shared.max_body_bytes).await?;
        let raws = match format {
            // JSON posted without ?format=json fails here, as documented.
            Format::Xml => {
                xml_in::records(&xml_tree::parse(&body)?, shared.behaviour.require_namespace)?
            }
            Format::Json => json_in::records(
                &json_in::parse(&body)?,
                shared.behaviour.json_keys == KeyMatching::CaseInsensitive,
            )?,
        };
        let records = ingest::accept(raws, &shared.behaviour, shared.integration_plans.as_deref())?;
        shared.append(records);
        Ok(reply::written())
    };
    finish(outcome.await, format, plan, Endpoint::Write).await
}

/// 404 with an empty body for every other path, as documented.
pub(crate) async fn not_found() -> Response {
    tagged(reply::empty(StatusCode::NOT_FOUND), Endpoint::Other)
}

/// The method, then the faults that replace a response (authentication came first, in the
/// layer in front of every endpoint: `auth::layer`).
async fn gate(shared: &Shared, endpoint: Endpoint, method: &Method) -> Result<FaultPlan, Response> {
    let allowed: &[Method] = match endpoint {
        Endpoint::Write => &[Method::POST],
        _ => &[Method::GET, Method::POST],
    };
    if !allowed.contains(method) {
        let mut response = reply::empty(StatusCode::METHOD_NOT_ALLOWED);
        let allow = if endpoint == Endpoint::Write {
            "POST"
        } else {
            "GET, POST"
        };
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return Err(response);
    }
    let plan = shared.faults.plan(endpoint == Endpoint::Write);
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    match plan.outcome {
        Some(Severe::Drop) => Err(faults::severed()),
        Some(Severe::Unavailable) => Err(reply::empty(StatusCode::SERVICE_UNAVAILABLE)),
        None => Ok(plan),
    }
}

/// Renders the outcome, applies truncation, and tags the response for the statistics.
async fn finish(
    outcome: Result<Response, ApiError>,
    format: Format,
    plan: FaultPlan,
    endpoint: Endpoint,
) -> Response {
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%error, "Auditor emulator refused a request.");
            reply::error(format, &error)
        }
    };
    let response = if plan.truncate {
        faults::truncate(response).await
    } else {
        response
    };
    tagged(response, endpoint)
}

fn tagged(mut response: Response, endpoint: Endpoint) -> Response {
    response.extensions_mut().insert(endpoint);
    response
}

/// Checks a presented mark: issued here, for this kind of request and these filters.
fn resume(shared: &Shared, mark: &str, kind: MarkKind, digest: u64) -> Result<u64, ApiError> {
    let cursor = shared.marks.read(mark)?;
    if cursor.kind != kind {
        return Err(ApiError::input(
            "Invalid continuation mark specified: it belongs to a different request.",
        ));
    }
    if cursor.filter != digest {
        return Err(ApiError::input(
            "Invalid continuation mark specified: resend the same filters with the mark.",
        ));
    }
    Ok(cursor.position)
}

/// The page with its next mark. An empty page ends the data; whether it still carries a mark
/// is [`Behaviour::mark_on_last_page`](super::Behaviour::mark_on_last_page).
fn page_response(
    shared: &Shared,
    format: Format,
    page: Page,
    kind: MarkKind,
    filter: u64,
    plan: FaultPlan,
) -> Response {
    let last = page.records.is_empty();
    let mark = if last && !shared.behaviour.mark_on_last_page {
        None
    } else {
        let position = if plan.endless_mark && !last {
            page.start
        } else {
            page.next
        };
        Some(shared.marks.issue(Cursor {
            kind,
            position,
            filter,
        }))
    };
    reply::page(format, &page.records, mark.as_deref())
}

/// Reads the body up to the configured limit; beyond it, 413 with an empty body, as documented.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut body = pin!(body);
    let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize).min(limit));
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|_| ApiError::input("The request body could not be read."))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}
