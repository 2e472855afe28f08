//! Runtime fault injection: latency, 5xx, dropped connections, the "ambiguous POST" (record
//! created, response lost), the late commit (a write finished after its client gave up) and
//! 429 without `Retry-After` (node semaphore exhaustion, which answers 429 even where no
//! rate-limit rule exists). Switched at runtime with
//! `ServiceNow::set_faults`; deserializable so the CLI can take it as JSON, e.g.
//! `{"latency_ms":200,"server_error":{"next":2},"server_error_status":503}`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use axum::RequestExt as _;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, StatusCode};
use serde::{Deserialize, Serialize};
use tower::{Layer as _, ServiceExt as _};

use super::errors::error_body;
use super::reply::json_response;

/// When a fault fires: on each of the next `next` matching requests, else with `probability`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Trigger {
    /// Fire on this many of the next matching requests (counts down).
    pub next: u32,
    /// Otherwise fire with this probability (0.0–1.0; clamped).
    pub probability: f64,
}

impl Trigger {
    /// Fire on the next `n` matching requests.
    pub fn next(n: u32) -> Self {
        Trigger {
            next: n,
            probability: 0.0,
        }
    }

    /// Fire on each matching request with probability `p`.
    pub fn probability(p: f64) -> Self {
        Trigger {
            next: 0,
            probability: p,
        }
    }

    /// Whether the fault fires now (consumes one of `next`).
    fn fire(&mut self) -> bool {
        if self.next > 0 {
            self.next -= 1;
            return true;
        }
        let p = if self.probability.is_finite() {
            self.probability.clamp(0.0, 1.0)
        } else {
            0.0
        };
        p > 0.0 && rand::random_bool(p)
    }
}

/// The status of an injected server error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum ServerErrorStatus {
    /// 500 with ServiceNow's transaction-cancelled body.
    #[default]
    InternalServerError,
    /// 502 from the load balancer (HTML body).
    BadGateway,
    /// 503, instance unavailable (HTML body).
    ServiceUnavailable,
}

impl TryFrom<u16> for ServerErrorStatus {
    type Error = String;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        match code {
            500 => Ok(ServerErrorStatus::InternalServerError),
            502 => Ok(ServerErrorStatus::BadGateway),
            503 => Ok(ServerErrorStatus::ServiceUnavailable),
            other => Err(format!(
                "server_error_status must be 500, 502 or 503, not {other}"
            )),
        }
    }
}

impl From<ServerErrorStatus> for u16 {
    fn from(status: ServerErrorStatus) -> u16 {
        match status {
            ServerErrorStatus::InternalServerError => 500,
            ServerErrorStatus::BadGateway => 502,
            ServerErrorStatus::ServiceUnavailable => 503,
        }
    }
}

/// The fault switches. `Faults::default()` injects nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay added before answering every matching request.
    pub latency_ms: u64,
    /// Only requests with these methods (e.g. `["POST"]`) are affected; empty = all.
    pub methods: Vec<String>,
    /// Answer 5xx without doing anything.
    pub server_error: Trigger,
    /// Which 5xx `server_error` answers.
    pub server_error_status: ServerErrorStatus,
    /// Close the connection without any response, without doing anything.
    pub drop_connection: Trigger,
    /// On a successful POST: keep the created record but close the connection instead of
    /// answering, so the client cannot tell whether it worked.
    pub ambiguous_post: Trigger,
    /// Answer 429 without `Retry-After` or rate-limit headers (node busy; that such answers
    /// lack the headers is unverified).
    pub busy: Trigger,
    /// On a Table API write (POST, PUT, PATCH, DELETE): hold it for a delay in `late_commit_ms` before
    /// doing it, and do it even if the client has gone away meanwhile, as an instance finishes
    /// a transaction whose client stopped waiting. (`latency_ms`, like a slow network, is
    /// cancelled with the connection: nothing is written.)
    pub late_commit: Trigger,
    /// The delay of a late commit, uniform between the two bounds, in milliseconds.
    pub late_commit_ms: (u64, u64),
    /// With more than this many requests in progress at once, answer the next ones 429
    /// without `Retry-After`, as a node whose REST threads are all busy does (0: no limit).
    pub max_transactions: usize,
    /// Past this many requests in a second, answer the rest of that second 429 with
    /// `Retry-After: 1` (0: no limit). A stand-in for a rate limit with a short period: the
    /// rules of a real instance count per hour.
    pub max_requests_per_second: u32,
}

/// What to do with a request before it reaches the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PreFault {
    None,
    Drop,
    ServerError(ServerErrorStatus),
    Busy,
    OverRate,
}

/// The live switches, whose `next` counters count down, the requests in progress and those
/// of the current second.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    transactions: usize,
    second: u64,
    in_second: u32,
}

impl FaultState {
    fn applies(&self, method: &Method) -> bool {
        self.faults.methods.is_empty()
            || self
                .faults
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method.as_str()))
    }

    /// Latency and the fault (at most one) for a request about to be handled.
    pub(crate) fn before(&mut self, method: &Method) -> (Duration, PreFault) {
        if !self.applies(method) {
            return (Duration::ZERO, PreFault::None);
        }
        let latency = Duration::from_millis(self.faults.latency_ms);
        let fault = if self.faults.drop_connection.fire() {
            PreFault::Drop
        } else if self.faults.server_error.fire() {
            PreFault::ServerError(self.faults.server_error_status)
        } else if self.faults.busy.fire() {
            PreFault::Busy
        } else {
            PreFault::None
        };
        (latency, fault)
    }

    /// Starts a transaction; `false` when `max_transactions` are in progress already (the
    /// request is refused, and must not be ended).
    pub(crate) fn begin_transaction(&mut self) -> bool {
        let max = self.faults.max_transactions;
        if max > 0 && self.transactions >= max {
            return false;
        }
        self.transactions += 1;
        true
    }

    /// Counts a request in second `second` (of any clock); whether it is past
    /// `max_requests_per_second`.
    pub(crate) fn over_rate(&mut self, second: u64) -> bool {
        let max = self.faults.max_requests_per_second;
        if max == 0 {
            return false;
        }
        if second != self.second {
            self.second = second;
            self.in_second = 0;
        }
        self.in_second += 1;
        self.in_second > max
    }

    /// Ends a transaction [`FaultState::begin_transaction`] started.
    pub(crate) fn end_transaction(&mut self) {
        self.transactions = self.transactions.saturating_sub(1);
    }

    /// How long to hold a write to a table that commits late, if this one does.
    pub(crate) fn late_commit(&mut self, method: &Method, table: bool) -> Option<Duration> {
        let write = table
            && matches!(
                *method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            );
        if !write || !self.applies(method) || !self.faults.late_commit.fire() {
            return None;
        }
        let (low, high) = self.faults.late_commit_ms;
        let (low, high) = (low.min(high), low.max(high));
        Some(Duration::from_millis(rand::random_range(low..=high)))
    }

    /// Whether to drop the response of a POST that succeeded.
    pub(crate) fn drop_after_post(&mut self, method: &Method) -> bool {
        *method == Method::POST && self.applies(method) && self.faults.ambiguous_post.fire()
    }
}

/// The response to an injected 5xx.
pub(crate) fn server_error(status: ServerErrorStatus) -> Response {
    match status {
        ServerErrorStatus::InternalServerError => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &error_body(
                "Transaction cancelled: maximum execution time exceeded",
                Some("Check logs for error trace or enable glide.rest.debug property to verify REST request processing"),
            ),
        ),
        ServerErrorStatus::BadGateway => html(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        ServerErrorStatus::ServiceUnavailable => {
            html(StatusCode::SERVICE_UNAVAILABLE, "Instance Unavailable")
        }
    }
}

fn html(status: StatusCode, title: &str) -> Response {
    let mut response = Response::new(Body::from(format!(
        "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    response
}

/// The response to an injected "node busy" 429: no `Retry-After` (a composed body: the real
/// one is not known).
pub(crate) fn busy() -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &error_body(
            "Too many requests",
            Some("The maximum number of concurrent transactions was exceeded"),
        ),
    )
}

/// The response to a request past `max_requests_per_second`: ServiceNow's rate-limit answer,
/// to be tried again in a second.
pub(crate) fn over_rate() -> Response {
    let mut response = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &error_body(
            "Rate limit exceeded",
            Some("Rate limit of requests per second for REST APIs exceeded"),
        ),
    );
    response
        .headers_mut()
        .insert("Retry-After", HeaderValue::from_static("1"));
    response
}

/// A response whose body fails before its first byte is sent: hyper then closes the connection
/// without having written the status line, which the client sees as a dropped connection.
///
/// The failing body is axum's own length-limited body with a limit of 0 bytes around a 1-byte
/// body, which avoids depending on a stream or body crate just for this.
pub(crate) async fn dropped_connection() -> Response {
    let capture = tower::service_fn(|request: Request| async move {
        Ok::<_, Infallible>(request.into_limited_body())
    });
    let limited = match DefaultBodyLimit::max(0)
        .layer(capture)
        .oneshot(Request::new(Body::from("x")))
        .await
    {
        Ok(body) => body,
        Err(never) => match never {},
    };
    // As a stream the body has no size hint, so hyper polls it instead of announcing an empty
    // body; the first poll fails.
    Response::new(Body::from_stream(limited.into_data_stream()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_counts_down_then_stops() {
        let mut state = FaultState {
            faults: Faults {
                server_error: Trigger::next(2),
                ..Faults::default()
            },
            ..FaultState::default()
        };
        let fired: Vec<_> = (0..3).map(|_| state.before(&Method::GET).1).collect();
        assert_eq!(
            fired,
            vec![
                PreFault::ServerError(ServerErrorStatus::InternalServerError),
                PreFault::ServerError(ServerErrorStatus::InternalServerError),
                PreFault::None
            ]
        );
    }

    #[test]
    fn method_filter_limits_faults() {
        let mut state = FaultState {
            faults: Faults {
                methods: vec!["post".to_owned()],
                drop_connection: Trigger::next(1),
                ambiguous_post: Trigger::next(1),
                ..Faults::default()
            },
            ..FaultState::default()
        };
        assert_eq!(state.before(&Method::GET).1, PreFault::None);
        assert!(!state.drop_after_post(&Method::PATCH));
        assert_eq!(state.before(&Method::POST).1, PreFault::Drop);
        assert!(state.drop_after_post(&Method::POST));
        assert!(!state.drop_after_post(&Method::POST));
    }

    #[test]
    fn late_commits_hold_writes_only_within_their_bounds() {
        let mut state = FaultState {
            faults: Faults {
                late_commit: Trigger::probability(1.0),
                late_commit_ms: (300, 200),
                ..Faults::default()
            },
            ..FaultState::default()
        };
        assert_eq!(state.late_commit(&Method::GET, true), None);
        assert_eq!(state.late_commit(&Method::POST, false), None);
        for _ in 0..20 {
            let held = state
                .late_commit(&Method::POST, true)
                .expect("a write is held");
            assert!((200..=300).contains(&held.as_millis()), "{held:?}");
        }
    }

    #[test]
    fn transactions_beyond_the_limit_are_refused_until_one_ends() {
        let mut state = FaultState {
            faults: Faults {
                max_transactions: 2,
                ..Faults::default()
            },
            ..FaultState::default()
        };
        assert!(state.begin_transaction() && state.begin_transaction());
        assert!(!state.begin_transaction(), "a third at once");
        state.end_transaction();
        assert!(state.begin_transaction());
    }

    #[test]
    fn requests_past_the_rate_are_refused_until_the_next_second() {
        let mut state = FaultState {
            faults: Faults {
                max_requests_per_second: 2,
                ..Faults::default()
            },
            ..FaultState::default()
        };
        let refused: Vec<bool> = [7, 7, 7, 8].iter().map(|s| state.over_rate(*s)).collect();
        assert_eq!(refused, [false, false, true, false]);
    }

    #[test]
    fn faults_parse_from_json() {
        let faults: Result<Faults, _> = serde_json::from_str(
            r#"{"latency_ms":5,"server_error":{"next":1},"server_error_status":503}"#,
        );
        let faults = faults.unwrap_or_default();
        assert_eq!(faults.latency_ms, 5);
        assert_eq!(
            faults.server_error_status,
            ServerErrorStatus::ServiceUnavailable
        );
        assert!(serde_json::from_str::<Faults>(r#"{"server_error_status":418}"#).is_err());
        assert!(Trigger::probability(f64::NAN).fire().eq(&false));
    }
}
