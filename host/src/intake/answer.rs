//! The intake's answers: 200 with what was queued, or a refusal with its status, its reason
//! for the log and the metric, a message for the sender, and `Retry-After` when trying again
//! later can succeed.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::telemetry::Refusal;

/// What a committed alert's sender is told; a repeat gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Queued {
    /// Alerts per pipeline (a CSV row each).
    pub(super) alerts: usize,
    /// The pipelines it went to.
    pub(super) pipelines: Vec<String>,
}

impl IntoResponse for Queued {
    fn into_response(self) -> Response {
        let body = json!({"queued": true, "alerts": self.alerts, "pipelines": self.pipelines});
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// A request not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refused {
    pub(super) reason: Refusal,
    pub(super) message: String,
    pub(super) retry_after: Option<Duration>,
}

impl Refused {
    /// Refused for `reason`, telling the sender `message`.
    pub(super) fn new(reason: Refusal, message: impl Into<String>) -> Refused {
        Refused {
            reason,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Refused for now: the sender may try again after `wait`.
    pub(super) fn later(reason: Refusal, message: impl Into<String>, wait: Duration) -> Refused {
        Refused {
            retry_after: Some(wait),
            ..Refused::new(reason, message)
        }
    }

    /// The status that says it.
    pub(super) fn status(&self) -> StatusCode {
        match self.reason {
            Refusal::Unauthorized | Refusal::Handshake => StatusCode::UNAUTHORIZED,
            Refusal::Malformed => StatusCode::BAD_REQUEST,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::Pipeline => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Timeout => StatusCode::REQUEST_TIMEOUT,
            Refusal::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(json!({"error": self.message}))).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sluice\""),
            );
        }
        if let Some(wait) = self.retry_after {
            // Whole seconds, at least one: what clients read.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if status == StatusCode::REQUEST_TIMEOUT {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
