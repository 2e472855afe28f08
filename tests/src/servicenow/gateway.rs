//! What happens to every request before and after its handler, in this order: injected faults
//! and latency, the REST payload cap, `Accept` negotiation, authentication (all but the token
//! endpoint), rate limiting, the handler (held and finished apart from the connection for a
//! late commit); afterwards the ambiguous-POST drop, boilerplate headers and the
//! request statistics.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT, CONTENT_LENGTH, SERVER};
use http::{HeaderMap, HeaderValue};

use super::auth::authenticate;
use super::errors::ApiError;
use super::faults::{self, PreFault};
use super::profile::RateLimitApi;
use super::rate_limit::RateHeaders;
use super::state::Shared;
use super::stats::{PathKind, RequestKey};

/// The middleware wrapping every route of the emulator.
pub(crate) async fn gateway(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let (kind, table) = PathKind::classify(request.uri().path());
    let transaction = Transaction::begin(&shared);
    let (latency, fault, late) = {
        let mut inner = shared.lock();
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (latency, fault) = match transaction {
            _ if inner.faults.over_rate(second) => (std::time::Duration::ZERO, PreFault::OverRate),
            Some(_) => inner.faults.before(&method),
            None => (std::time::Duration::ZERO, PreFault::Busy),
        };
        let late = match fault {
            PreFault::None => inner.faults.late_commit(&method, kind.is_table()),
            _ => None,
        };
        (latency, fault, late)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match (fault, late) {
        (PreFault::Drop, _) => None,
        (PreFault::ServerError(status), _) => Some(faults::server_error(status)),
        (PreFault::Busy, _) => Some(faults::busy()),
        (PreFault::OverRate, _) => Some(faults::over_rate()),
        (PreFault::None, None) => handle(Arc::clone(&shared), request, kind, next).await,
        (PreFault::None, Some(hold)) => {
            // A task of its own, so that the write is done even if the client hangs up first.
            let shared = Arc::clone(&shared);
            let write = tokio::spawn(async move {
                tokio::time::sleep(hold).await;
                handle(shared, request, kind, next).await
            });
            write.await.unwrap_or(None)
        }
    };
    shared.lock().stats.record(RequestKey {
        method: method.to_string(),
        kind,
        table,
        status: response.as_ref().map(|r| r.status().as_u16()),
    });
    match response {
        Some(mut response) => {
            response
                .headers_mut()
                .insert(SERVER, HeaderValue::from_static("ServiceNow"));
            response
        }
        None => faults::dropped_connection().await,
    }
}

/// A request in progress, for `max_transactions`; ended however the request ends (a client
/// that hangs up cancels it).
struct Transaction(Arc<Shared>);

impl Transaction {
    fn begin(shared: &Arc<Shared>) -> Option<Transaction> {
        let begun = shared.lock().faults.begin_transaction();
        begun.then(|| Transaction(Arc::clone(shared)))
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.0.lock().faults.end_transaction();
    }
}

/// The request past the faults that answer before it: the payload cap, the checks, the
/// handler. `None` when the ambiguous-POST fault drops the answer of a write that was done.
async fn handle(
    shared: Arc<Shared>,
    request: Request,
    kind: PathKind,
    next: Next,
) -> Option<Response> {
    let method = request.method().clone();
    let uploads = matches!(kind, PathKind::AttachmentFile | PathKind::AttachmentUpload);
    let max = shared.lock().profile.max_body_bytes;
    let too_large = if uploads {
        Ok(())
    } else {
        check_length(request.headers(), max)
    };
    let response = if let Err(error) = too_large {
        // Drain the body first: a client still sending would otherwise see a reset instead of
        // the 400.
        let _ = axum::body::to_bytes(request.into_body(), usize::MAX).await;
        error.into_response()
    } else {
        match admit(&shared, request, kind) {
            Ok((request, rate)) => {
                let mut response = next.run(request).await;
                if let Some(rate) = rate {
                    rate.apply(response.headers_mut());
                }
                response
            }
            Err(error) => error.into_response(),
        }
    };
    let created = response.status().is_success();
    if created && shared.lock().faults.drop_after_post(&method) {
        None
    } else {
        Some(response)
    }
}

/// The checks before the handler; on success the request carries the caller as an
/// `Extension<Actor>`, and the rate-limit headers to send back are returned.
fn admit(
    shared: &Shared,
    mut request: Request,
    kind: PathKind,
) -> Result<(Request, Option<RateHeaders>), ApiError> {
    let mut inner = shared.lock();
    if kind == PathKind::OAuthToken {
        return Ok((request, None));
    }
    let now = inner.clock.now();
    let actor = authenticate(request.headers(), &shared.accounts, &inner.tokens, now)?;
    if kind.is_table() {
        check_accept(request.headers())?;
    }
    let api = if kind.is_table() {
        Some(RateLimitApi::Table)
    } else if kind.is_attachment() {
        Some(RateLimitApi::Attachment)
    } else {
        None
    };
    let rule = inner.profile.rate_limit.clone();
    let rate = inner
        .rate
        .check(rule.as_ref(), api, &actor.user_name, now)
        .map_err(ApiError::RateLimited)?;
    request.extensions_mut().insert(actor);
    Ok((request, rate))
}

/// The REST payload cap, by declared length (ServiceNow KB0747638); bodies sent chunked are
/// checked again by the handlers once read.
fn check_length(headers: &HeaderMap, max: usize) -> Result<(), ApiError> {
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(length) if length > u64::try_from(max).unwrap_or(u64::MAX) => {
            Err(ApiError::PayloadTooLarge { length, max })
        }
        _ => Ok(()),
    }
}

/// JSON is served for any `Accept` that allows it; real clients send things like
/// `text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2` and get JSON (as in the 2018
/// captures). Only an explicit non-JSON-only `Accept` is refused (406).
fn check_accept(headers: &HeaderMap) -> Result<(), ApiError> {
    let accept: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if accept.is_empty() {
        return Ok(());
    }
    let acceptable = accept.iter().flat_map(|a| a.split(',')).any(|range| {
        let media = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media.is_empty()
            || media == "*"
            || media == "*/*"
            || media == "application/*"
            || media.contains("json")
    });
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::NotAcceptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: http::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
        headers
    }

    #[test]
    fn accept_negotiation() {
        for ok in [
            "application/json",
            "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2",
            "application/*",
        ] {
            assert!(check_accept(&with(ACCEPT, ok)).is_ok(), "{ok}");
        }
        assert_eq!(
            check_accept(&with(ACCEPT, "application/xml")),
            Err(ApiError::NotAcceptable)
        );
        assert!(check_accept(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn payload_cap() {
        assert!(check_length(&with(CONTENT_LENGTH, "10485760"), 10_485_760).is_ok());
        assert_eq!(
            check_length(&with(CONTENT_LENGTH, "10485761"), 10_485_760),
            Err(ApiError::PayloadTooLarge {
                length: 10_485_761,
                max: 10_485_760
            })
        );
    }
}
