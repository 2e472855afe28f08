//! `POST /v1/alerts`: one request, one alert, answered after the commit. The checks run
//! cheapest first, and nothing of an unauthenticated request's body is read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::Semaphore;

use super::answer::{Queued, Refused};
use super::auth::TokenCheck;
use super::rate::PeerRate;
use super::request::{self, BadRequest};
use super::Peer;
use crate::handoff::commit::{Committer, SubmitError};
use crate::handoff::{ResponseAlert, ResponsePipelines};
use crate::telemetry::{IntakeMetrics, Refusal};
use sluice_core::Timestamp;

/// How long a request waits for its commit before it is answered 503. The store commits in
/// milliseconds; this is a store locked by a long transaction, or a disk that hangs.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// When a busy host asks to be tried again.
const BUSY_RETRY: Duration = Duration::from_secs(1);

/// What every request's handling shares.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) routes: ResponsePipelines,
    pub(super) committer: Committer,
    pub(super) token: TokenCheck,
    pub(super) rate: PeerRate,
    pub(super) in_flight: Semaphore,
    pub(super) max_in_flight: usize,
    pub(super) metrics: IntakeMetrics,
    pub(super) max_body: usize,
    pub(super) request_timeout: Duration,
}

/// Takes one alert; logs and counts what became of it.
pub(super) async fn post_alert(
    State(shared): State<Arc<Shared>>,
    Extension(peer): Extension<Peer>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let response = match take(&shared, &peer, request).await {
        Ok((alert, queued, repeats)) => {
            shared.metrics.committed(queued, repeats);
            log_accepted(&peer, &alert, repeats > 0 && queued == 0);
            Queued {
                alerts: alert.alerts(),
                pipelines: alert.pipelines().to_vec(),
            }
            .into_response()
        }
        Err(refused) => {
            shared.metrics.refused(refused.reason);
            log_refused(&peer, &refused);
            refused.into_response()
        }
    };
    shared.metrics.answered(started.elapsed().as_secs_f64());
    response
}

/// Any other path.
pub(super) async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    shared.metrics.refused(Refusal::NotFound);
    Refused::new(Refusal::NotFound, "not found: alerts go to POST /v1/alerts").into_response()
}

/// The checks, the body, the commit: the alert and its counts (newly queued, already there).
async fn take(
    shared: &Shared,
    peer: &Peer,
    request: Request,
) -> Result<(ResponseAlert, usize, usize), Refused> {
    shared
        .rate
        .take(peer.addr.ip(), Instant::now())
        .map_err(|wait| {
            Refused::later(
                Refusal::RateLimited,
                "too many requests from this address (response_intake.per_peer_rate)",
                wait,
            )
        })?;
    shared.token.check(request.headers()).map_err(|refusal| {
        Refused::new(
            Refusal::Unauthorized,
            format!(
                "{}: send the intake's token as `Authorization: Bearer …`",
                refusal.as_str()
            ),
        )
    })?;
    let _permit = shared.in_flight.try_acquire().map_err(|_| {
        Refused::later(
            Refusal::Busy,
            format!(
                "{} requests are being handled (response_intake.max_in_flight)",
                shared.max_in_flight
            ),
            BUSY_RETRY,
        )
    })?;
    let (parts, body) = request.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = read_body(shared, body).await?;
    let alert = request::alert(
        content_type,
        parts.uri.query(),
        &body,
        &shared.routes,
        Timestamp::now(),
    )
    .map_err(|bad| match bad {
        BadRequest::Malformed(m) => Refused::new(Refusal::Malformed, m),
        BadRequest::ContentType(m) => Refused::new(Refusal::ContentType, m),
        BadRequest::Pipeline(m) => Refused::new(Refusal::Pipeline, m),
    })?;
    let (queued, repeats) = commit(shared, alert.clone()).await?;
    Ok((alert, queued, repeats))
}

/// The whole body, up to `max_body` bytes and within `request_timeout`.
async fn read_body(shared: &Shared, body: Body) -> Result<bytes::Bytes, Refused> {
    let too_large = || {
        Refused::new(
            Refusal::TooLarge,
            format!(
                "the body is larger than {} bytes (response_intake.max_body_bytes)",
                shared.max_body
            ),
        )
    };
    let limited = Limited::new(body, shared.max_body);
    match tokio::time::timeout(shared.request_timeout, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(error)) => Err(Refused::new(
            Refusal::Malformed,
            format!("the request body could not be read: {error}"),
        )),
        Err(_) => Err(Refused::new(
            Refusal::Timeout,
            format!(
                "the body did not arrive within {} (response_intake.request_timeout)",
                humantime::format_duration(shared.request_timeout)
            ),
        )),
    }
}

/// Queues `alert` through the committing thread and waits for the commit.
async fn commit(shared: &Shared, alert: ResponseAlert) -> Result<(usize, usize), Refused> {
    let busy = |message: String| Refused::later(Refusal::Busy, message, BUSY_RETRY);
    let receiver = shared.committer.submit(alert).map_err(|e| match e {
        SubmitError::Busy(_) => busy(format!("{e}; try again")),
        SubmitError::Stopped => busy("sluice is stopping; try again".to_owned()),
    })?;
    match tokio::time::timeout(COMMIT_WAIT, receiver).await {
        Ok(Ok(Ok(counts))) => Ok(counts),
        Ok(Ok(Err(error))) => Err(busy(format!(
            "the state store cannot take the alert now ({error}); try again"
        ))),
        Ok(Err(_)) => Err(busy("sluice is stopping; try again".to_owned())),
        Err(_) => Err(busy(format!(
            "the state store did not commit within {}s; try again",
            COMMIT_WAIT.as_secs()
        ))),
    }
}

fn log_accepted(peer: &Peer, alert: &ResponseAlert, repeat: bool) {
    let pipelines = alert.pipelines().join(",");
    match alert {
        ResponseAlert::Ids(ids) => tracing::info!(
            peer = %peer.addr, certificate = peer.certificate.as_deref(), alert = %ids.alert_name,
            alert_id = %ids.alert_id, record_id = %ids.record_id, %pipelines, repeat,
            "Accepted a forwarded response action."
        ),
        ResponseAlert::Csv {
            alert_name, rows, ..
        } => tracing::info!(
            peer = %peer.addr, certificate = peer.certificate.as_deref(),
            alert = alert_name.as_deref().unwrap_or("Netwrix Auditor alert"),
            rows = rows.len(), %pipelines, repeat,
            "Accepted a forwarded response action (CSV)."
        ),
    }
}

fn log_refused(peer: &Peer, refused: &Refused) {
    let status = refused.status().as_u16();
    let reason = refused.reason.as_str();
    match refused.reason {
        // Counted; a log line each would flood the log in the very storm they answer.
        Refusal::RateLimited | Refusal::Busy => tracing::debug!(
            peer = %peer.addr, status, reason, message = %refused.message,
            "Refused a forwarded response action for now."
        ),
        _ => tracing::warn!(
            peer = %peer.addr, certificate = peer.certificate.as_deref(), status, reason,
            message = %refused.message, "Refused a forwarded response action."
        ),
    }
}
