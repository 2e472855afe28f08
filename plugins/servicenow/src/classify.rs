//! Sorting failed calls into what the host can act on: **sinks classify, the host retries**.
//!
//! | what happened | [`CallError`] | action outcome |
//! |---|---|---|
//! | no response: timeout, refused, reset, dropped | `Unreachable` | `Retry`; for a create sent but unanswered (timeout, reset), `InDoubt` |
//! | 429 (a rate-limit rule, or a node out of request threads) | `RateLimited` | `Retry`, `retry_after` from `Retry-After`, else `X-RateLimit-Reset` |
//! | 408, 5xx (also HTML pages from a proxy) | `Unavailable` | `Retry`; for a create answered 500, 502 or 504, `InDoubt` |
//! | 401 (after one OAuth refresh, when OAuth is on) | `Credentials` | `Failed` (credentials) |
//! | other 4xx: 400 bad data, 403 ACL / data policy, 404 unknown sys_id | `Rejected` | `Failed` (rejected), with `error.message` and `error.detail` |
//! | 2xx whose body cannot be read | `Protocol` | `Retry` |
//! | 3xx (the host follows no redirect) | `Redirected` | `Failed` (config: `endpoint`), saying where it pointed |
//!
//! Nothing here sleeps or loops; the host's retry policy owns backoff and attempt limits.

use std::time::{Duration, SystemTime};

use sluice_sdk::{
    retry_delay_until, ActionOutcome, HttpError, HttpErrorKind, HttpResponse, PluginError, Redirect,
};

use crate::envelope::{self, ApiError};

/// Why a call to ServiceNow did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallError {
    /// No response at all.
    #[error("no response from ServiceNow ({kind:?}: {message})")]
    Unreachable {
        /// What the host's client saw.
        kind: HttpErrorKind,
        /// Its message.
        message: String,
    },
    /// 429.
    #[error("ServiceNow is rate limiting (HTTP 429 {error})")]
    RateLimited {
        /// What ServiceNow said.
        error: ApiError,
        /// How long it asked us to wait.
        retry_after: Option<Duration>,
    },
    /// 408 or 5xx.
    #[error("ServiceNow is unavailable (HTTP {status} {error})")]
    Unavailable {
        /// The status.
        status: u16,
        /// What it said.
        error: ApiError,
        /// `Retry-After` of a 503, if sent.
        retry_after: Option<Duration>,
    },
    /// 401, or the token endpoint refused us. The message names the user, never a secret.
    #[error("{0}")]
    Credentials(String),
    /// Any other 4xx.
    #[error("HTTP {status} {error}{hint}")]
    Rejected {
        /// The status.
        status: u16,
        /// What ServiceNow said.
        error: ApiError,
        /// What the operator can do about it, from the message (may be empty).
        hint: String,
    },
    /// A success status with a body we cannot read.
    #[error("{0}")]
    Protocol(String),
    /// A 3xx. The host's client follows no redirect: following one would re-send the request,
    /// its credentials and the incident's content to another address.
    #[error("{}", redirected(.0))]
    Redirected(Redirect),
}

impl CallError {
    /// A request that got no response.
    pub(crate) fn transport(error: HttpError) -> Self {
        CallError::Unreachable {
            kind: error.kind,
            message: error.message,
        }
    }

    /// The status of a response that was refused (`Rejected`), e.g. to tell a 404.
    pub(crate) fn rejected_status(&self) -> Option<u16> {
        match self {
            CallError::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The outcome of an action that failed this way; `doing` completes "cannot …" /
    /// "ServiceNow refused to …" (e.g. `"update incident INC0010001"`).
    pub(crate) fn outcome(&self, doing: &str) -> ActionOutcome {
        match self {
            CallError::Unreachable {
                kind: HttpErrorKind::InvalidRequest,
                ..
            } => ActionOutcome::Failed(self.plugin_error(doing)),
            CallError::Unreachable { .. }
            | CallError::Unavailable { .. }
            | CallError::RateLimited { .. }
            | CallError::Protocol(_) => ActionOutcome::Retry {
                reason: format!("cannot {doing}: {}", self.explain()),
                retry_after: self.retry_after(),
            },
            CallError::Credentials(_) | CallError::Rejected { .. } | CallError::Redirected(_) => {
                ActionOutcome::Failed(self.plugin_error(doing))
            }
        }
    }

    /// Whether a write that failed this way may still be done by the instance: the request
    /// left and no answer came (a timeout, a broken connection), or a gateway in front of the
    /// instance gave up on it (500 "transaction cancelled" aside, whose work is rolled back,
    /// a 5xx may come after the work), so the instance may finish it later.
    pub(crate) fn may_have_committed(&self) -> bool {
        match self {
            CallError::Unreachable { kind, .. } => matches!(
                kind,
                HttpErrorKind::Timeout | HttpErrorKind::Interrupted | HttpErrorKind::Other
            ),
            CallError::Unavailable { status, .. } => matches!(status, 500 | 502 | 504),
            _ => false,
        }
    }

    /// The same classification as a [`PluginError`] (for `healthcheck`).
    pub(crate) fn plugin_error(&self, doing: &str) -> PluginError {
        match self {
            CallError::Unreachable {
                kind: HttpErrorKind::Tls,
                ..
            } => PluginError::config(format!("cannot {doing}: {}", self.explain())),
            CallError::Unreachable {
                kind: HttpErrorKind::InvalidRequest,
                ..
            } => PluginError::internal(format!("cannot {doing}: {self}")),
            CallError::Unreachable { .. }
            | CallError::Unavailable { .. }
            | CallError::RateLimited { .. } => {
                let error = PluginError::transient(format!("cannot {doing}: {self}"));
                match self.retry_after() {
                    Some(delay) => error.with_retry_after(delay),
                    None => error,
                }
            }
            CallError::Protocol(_) => PluginError::protocol(format!("cannot {doing}: {self}")),
            CallError::Credentials(_) => {
                PluginError::credentials(format!("cannot {doing}: {self}"))
            }
            CallError::Rejected { .. } => {
                PluginError::rejected(format!("ServiceNow refused to {doing}: {self}"))
            }
            CallError::Redirected(_) => {
                PluginError::config(format!("cannot {doing}: {self}")).at("endpoint")
            }
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::RateLimited { retry_after, .. }
            | CallError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The message, plus advice for a TLS failure.
    fn explain(&self) -> String {
        match self {
            CallError::Unreachable {
                kind: HttpErrorKind::Tls,
                message,
            } => format!(
                "the TLS handshake failed ({message}); if the instance's certificate comes from \
                 a private CA, trust it with `http.ca_file` in this sink's table"
            ),
            other => other.to_string(),
        }
    }
}

/// Who a request signed in as, for the message of a 401: what was refused and which keys to
/// check. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// What ServiceNow refused: "the credentials of user `svc`", "the API key".
    pub(crate) refused: String,
    /// The config keys to check: "`username` and `password`".
    pub(crate) check: &'static str,
}

/// `Ok(response)` for a 2xx, else what the status means. `who` names the sign-in in a 401
/// message; `now` is the host clock, to turn `X-RateLimit-Reset` into a delay.
pub(crate) fn classify(
    response: HttpResponse,
    who: &Principal,
    now: SystemTime,
) -> Result<HttpResponse, CallError> {
    let status = response.status;
    if response.is_success() {
        return Ok(response);
    }
    if let Some(redirect) = response.redirect() {
        return Err(CallError::Redirected(redirect));
    }
    let error = envelope::failure(&response.body);
    Err(match status {
        401 => CallError::Credentials(format!(
            "ServiceNow refused {} (HTTP 401 {error}); check {}",
            who.refused, who.check
        )),
        429 => CallError::RateLimited {
            retry_after: response
                .retry_after(now)
                .or_else(|| rate_limit_reset(&response, now)),
            error,
        },
        408 | 500..=599 => CallError::Unavailable {
            status,
            retry_after: if status == 503 {
                response.retry_after(now)
            } else {
                None
            },
            error,
        },
        _ => CallError::Rejected {
            status,
            hint: hint(&error),
            error,
        },
    })
}

/// What a redirect means, where it pointed, and what to do.
fn redirected(redirect: &Redirect) -> String {
    let advice = match redirect.location {
        Some(_) => "point `endpoint` at the address the server redirects to",
        None => "point `endpoint` at the instance's own address",
    };
    format!(
        "ServiceNow answered {redirect}; sluice follows no redirect (a redirect would re-send \
         the request, credentials and content to another address): {advice}"
    )
}

/// `X-RateLimit-Reset`: the Unix time (in seconds) at which ServiceNow's hourly rate-limit
/// counter resets, as a delay from now. ServiceNow sends it on a 429 beside `Retry-After`;
/// it is read only when `Retry-After` is missing or unreadable.
fn rate_limit_reset(response: &HttpResponse, now: SystemTime) -> Option<Duration> {
    let reset = response
        .header("x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(reset))?;
    Some(retry_delay_until(at, now))
}

/// Advice for the refusals whose cause the operator can fix.
fn hint(error: &ApiError) -> String {
    let detail = error.detail.as_deref().unwrap_or("");
    let said = format!("{} {detail}", error.message);
    let advice = if said.contains("ACL Exception Update") {
        "; writing to a Closed or Canceled (inactive) incident needs write access to inactive \
         incidents (the admin role, or an ACL granting update on incident when active=false); \
         the itil role can reopen only Resolved incidents, which are still active"
    } else if said.contains("ACL Exception Insert") {
        "; the integration user needs create rights on the table (role itil for incident)"
    } else if said.contains("Data Policy Exception") {
        "; the instance requires these fields; a resolve or close sends close_code and \
         close_notes, so check that the close code is one of the instance's (an unknown value \
         is dropped silently)"
    } else if said.starts_with("Invalid table") {
        "; check `table`"
    } else if said.contains("Rejected large REST payload") {
        "; the request is over the instance's REST payload cap (10 MB by default, KB0747638)"
    } else {
        ""
    };
    advice.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> Principal {
        Principal {
            refused: "the credentials of user `svc`".to_owned(),
            check: "`username` and `password`",
        }
    }
    use sluice_sdk::MAX_RETRY_AFTER;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn rate_limit_prefers_retry_after_then_reset() {
        // What ServiceNow answers when a rate-limit rule is exceeded.
        let body = r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 500 requests per hour for Table API exceeded"},"status":"failure"}"#;
        let with_both = response(
            429,
            &[("retry-after", "1320"), ("x-ratelimit-reset", "1527850800")],
            body,
        );
        let outcome = classify(with_both, &svc(), at(1_527_849_480))
            .err()
            .map(|e| e.outcome("create an incident"));
        assert!(
            matches!(&outcome, Some(ActionOutcome::Retry { retry_after: Some(d), reason })
                if *d == Duration::from_secs(1320) && reason.contains("Rate limit of 500")),
            "{outcome:?}"
        );
        let reset_only = response(429, &[("x-ratelimit-reset", "1527850800")], body);
        let err = classify(reset_only, &svc(), at(1_527_850_000)).err();
        assert_eq!(
            err.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(800))
        );
        let date = response(
            429,
            &[("retry-after", "Fri, 01 Jun 2018 11:00:00 GMT")],
            body,
        );
        let err = classify(date, &svc(), at(1_527_850_000)).err();
        assert_eq!(
            err.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(800))
        );
        let absurd = response(429, &[("retry-after", "18446744073709551615")], body);
        let err = classify(absurd, &svc(), at(0)).err();
        assert_eq!(err.and_then(|e| e.retry_after()), Some(MAX_RETRY_AFTER));
        let busy = response(429, &[], "{}");
        let err = classify(busy, &svc(), at(0)).err();
        assert!(matches!(
            err,
            Some(CallError::RateLimited {
                retry_after: None,
                ..
            })
        ));
    }

    #[test]
    fn statuses_sort_into_retry_failed_and_credentials() {
        let html = "<html><head><title>502 Bad Gateway</title></head></html>";
        let outcome = classify(response(502, &[], html), &svc(), at(0))
            .err()
            .map(|e| e.outcome("update incident x"));
        assert!(
            matches!(&outcome, Some(ActionOutcome::Retry { retry_after: None, reason }) if reason.contains("502 Bad Gateway")),
            "{outcome:?}"
        );
        // service.TableApiClientTest_healthCheckInvalidCredentials.json
        let denied = r#"{"error":{"detail":"Required to provide Auth information","message":"User Not Authenticated"},"status":"failure"}"#;
        let err = classify(response(401, &[], denied), &svc(), at(0)).err();
        let err = err.map(|e| e.plugin_error("read states"));
        assert_eq!(
            err.as_ref().map(PluginError::kind),
            Some(sluice_sdk::ErrorKind::Credentials)
        );
        assert!(err.is_some_and(|e| e.message().contains("`svc`")
            && e.message().contains("Required to provide Auth information")));
        // output.ServiceNowOutputTest_insertRecordError.json
        let insert = r#"{"error":{"detail":"Error during insert of incident (2135483521432)","message":"Operation Failed"},"status":"failure"}"#;
        let outcome = classify(response(403, &[], insert), &svc(), at(0))
            .err()
            .map(|e| e.outcome("create an incident"));
        assert!(
            matches!(&outcome, Some(ActionOutcome::Failed(e)) if e.kind() == sluice_sdk::ErrorKind::Rejected
                && e.message() == "ServiceNow refused to create an incident: HTTP 403 Operation Failed: Error during insert of incident (2135483521432)"),
            "{outcome:?}"
        );
    }

    #[test]
    fn acl_refusal_names_the_permission() {
        let body = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}"#;
        let err = classify(response(403, &[], body), &svc(), at(0)).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("write access to inactive incidents"),
            "{text}"
        );
    }

    #[test]
    fn a_redirect_is_a_config_failure_that_says_where_it_pointed() {
        let moved = response(
            307,
            &[(
                "location",
                "https://other.example/api/now/v2/table/incident",
            )],
            "",
        );
        let outcome = classify(moved, &svc(), at(0))
            .err()
            .map(|e| e.outcome("create an incident"));
        let Some(ActionOutcome::Failed(error)) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(error.kind(), sluice_sdk::ErrorKind::Config);
        assert_eq!(error.key_path(), Some("endpoint"));
        assert_eq!(
            error.message(),
            "cannot create an incident: ServiceNow answered 307 Temporary Redirect to \
             https://other.example/api/now/v2/table/incident; sluice follows no redirect (a \
             redirect would re-send the request, credentials and content to another address): \
             point `endpoint` at the address the server redirects to"
        );
        let forged = response(302, &[("location", "/x\nFAKE log line")], "");
        let text = classify(forged, &svc(), at(0))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(text.contains("302 Found to /x\\nFAKE log line;"), "{text}");
        let nowhere = classify(response(300, &[], ""), &svc(), at(0))
            .err()
            .map(|e| e.plugin_error("read states"));
        assert!(
            nowhere.is_some_and(|e| e.kind() == sluice_sdk::ErrorKind::Config
                && e.message()
                    .contains("300 Multiple Choices naming no address")),
        );
    }

    #[test]
    fn transport_failures_retry_except_invalid_requests() {
        let timeout = CallError::transport(HttpError::new(HttpErrorKind::Timeout, "timed out"));
        assert!(matches!(timeout.outcome("x"), ActionOutcome::Retry { .. }));
        let tls = CallError::transport(HttpError::new(HttpErrorKind::Tls, "unknown issuer"));
        assert!(
            matches!(&tls.outcome("x"), ActionOutcome::Retry { reason, .. } if reason.contains("http.ca_file"))
        );
        assert_eq!(tls.plugin_error("x").kind(), sluice_sdk::ErrorKind::Config);
        let invalid =
            CallError::transport(HttpError::new(HttpErrorKind::InvalidRequest, "bad url"));
        assert!(matches!(invalid.outcome("x"), ActionOutcome::Failed(_)));
    }
}
