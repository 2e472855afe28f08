//! How an HTTP answer that is not a page, or no answer at all, becomes a [`PluginError`] the
//! host can act on, following the Integration API's documented status codes and `ErrorList`
//! bodies.
//!
//! | answer | kind | why |
//! |---|---|---|
//! | no answer: timeout, refused, reset | transient | the host retries with backoff |
//! | TLS failure | config | a certificate to pin (`http.tls_fingerprint`) or trust (`http.ca_file`), or a host name to fix |
//! | 401 | credentials | the account, the scheme and what to change (`auth.rs`), never the password |
//! | 403 | credentials | the account lacks a role |
//! | 400 | returned to the caller | a stale mark is recoverable while polling; otherwise rejected |
//! | 404, 405 | config (`endpoint`) | no Integration API at that address: other paths answer 404, wrong methods 405 |
//! | 3xx | config (`endpoint`) | the host follows no redirect (it would re-send the request, credentials and search to another address); says where it pointed |
//! | 408, 429, 5xx (503: Archive busy) | transient, honouring `Retry-After` | a busy Archive Service or Audit Database passes |
//! | 413 | rejected | request too large |
//! | anything else | protocol | not in the documented table |
//!
//! Every message names the request (method, URL, purpose) and never a secret: the URL is
//! built from a validated endpoint that cannot hold user info, and the password only ever
//! travels in the `Authorization` header.

use std::time::SystemTime;

use sluice_sdk::{HttpError, HttpErrorKind, HttpResponse, PluginError, Redirect};

use crate::auth::{self, AuthMethod};
use crate::error_list::{self, ApiError};
use crate::html;
use crate::page::{Format, PageError};

/// What the messages need to know about the request.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// `POST https://…/search?format=json&count=200 (poll of When …, page 3)`.
    pub label: &'a str,
    /// The account, `DOMAIN\user`.
    pub account: &'a str,
    /// How it authenticates.
    pub auth: AuthMethod,
    /// The API base URL.
    pub base: &'a str,
    /// The format asked for, to read an `ErrorList` in.
    pub format: Format,
}

/// No response at all.
pub fn transport(error: &HttpError, request: RequestInfo<'_>) -> PluginError {
    let label = request.label;
    match error.kind {
        HttpErrorKind::Tls => PluginError::config(format!(
            "TLS with Netwrix Auditor failed on {label}: {}. Auditor uses a self-signed \
             certificate unless told otherwise: pin it with `tls_fingerprint = \"sha256:…\"`, \
             or trust its issuer with `ca_file` (and write `endpoint` with the host name the \
             certificate names), in [pipelines.NAME.source.http]",
            error.message
        )),
        HttpErrorKind::InvalidRequest => {
            PluginError::config(format!("cannot send {label}: {}", error.message)).at("endpoint")
        }
        HttpErrorKind::Timeout => PluginError::transient(format!(
            "Netwrix Auditor did not answer {label} within `request_timeout` ({}); a busy \
             Audit Database can be slow (the vendor add-on waits 180 s)",
            error.message
        )),
        _ => PluginError::transient(format!(
            "no answer from Netwrix Auditor to {label}: {}",
            error.message
        )),
    }
}

/// A response that is not a 2xx. `Ok` carries a 400's errors for the caller to judge: while
/// polling, a 400 to a request that carried a stored mark means the mark went stale. `now` is
/// the host's clock, to read a `Retry-After` date.
pub fn failure(
    response: &HttpResponse,
    request: RequestInfo<'_>,
    now: SystemTime,
) -> Result<Vec<ApiError>, PluginError> {
    if let Some(redirect) = response.redirect() {
        return Err(redirected(&redirect, request));
    }
    let label = request.label;
    let status = response.status;
    let errors = || {
        let list = error_list::parse(request.format, &response.body);
        error_list::describe(&list, response.header("content-type"), &response.body)
    };
    let retry_after = response.retry_after(now);
    let transient = |message: String| {
        let error = PluginError::transient(message);
        match retry_after {
            Some(delay) => error.with_retry_after(delay),
            None => error,
        }
    };
    Err(match status {
        400 => return Ok(error_list::parse(request.format, &response.body)),
        401 => PluginError::credentials(auth::refused(
            response,
            request.auth,
            request.account,
            request.label,
        )),
        403 => PluginError::credentials(format!(
            "Netwrix Auditor answered 403 Forbidden to {label} for account {}: the account \
             needs the Global reviewer role, or membership of the local \"Netwrix Auditor \
             Client Users\" group on the Auditor server",
            request.account
        )),
        404 | 405 => PluginError::config(format!(
            "Netwrix Auditor answered {status} to {label}: there is no Integration API at {}. \
             `endpoint` should be the Auditor server with the API port, like \
             \"https://auditor.corp.local:9699\" (sluice appends /netwrix/api/v1/); check that \
             \"Leverage Integration API\" is on under Settings → Integrations and the port \
             matches (9699 unless changed there)",
            request.base
        ))
        .at("endpoint"),
        408 | 429 => transient(format!(
            "Netwrix Auditor answered {status} to {label}; retrying later"
        )),
        413 => PluginError::rejected(format!(
            "Netwrix Auditor answered 413 Payload Too Large to {label}; lower \
             `rids_per_request`"
        )),
        503 => transient(format!(
            "Netwrix Auditor answered 503 to {label}: the Archive Service is busy or \
             unreachable; retrying later"
        )),
        500..=599 => transient(format!(
            "Netwrix Auditor answered {status} to {label}: {} (Auditor answers 5xx for an \
             internal error, an unreachable Archive Service or SQL Server, or an expired \
             license)",
            errors()
        )),
        _ => PluginError::protocol(format!(
            "Netwrix Auditor answered {status}, which the Integration API does not document, \
             to {label}: {}",
            errors()
        )),
    })
}

/// A 3xx: the host's client follows no redirect, so say where it pointed and what to fix.
fn redirected(redirect: &Redirect, request: RequestInfo<'_>) -> PluginError {
    let advice = match redirect.location {
        Some(_) => {
            "point `endpoint` at the address the server redirects to (the server and port; \
             sluice appends /netwrix/api/v1/)"
        }
        None => "point `endpoint` at the Auditor server's own address and Integration API port",
    };
    PluginError::config(format!(
        "Netwrix Auditor answered {redirect} for {}; sluice follows no redirect (a redirect \
         would re-send the request, credentials and content to another address): {advice}",
        request.label
    ))
    .at("endpoint")
}

/// A 400 the caller cannot recover from.
pub fn rejected(
    errors: &[ApiError],
    response: &HttpResponse,
    request: RequestInfo<'_>,
) -> PluginError {
    PluginError::rejected(format!(
        "Netwrix Auditor refused {} with 400 Bad Request: {}",
        request.label,
        error_list::describe(errors, response.header("content-type"), &response.body)
    ))
}

/// A 2xx whose body is not a page. An HTML page (a proxy's or a login portal's) is named as
/// such, with its title: "malformed JSON" would hide that the request never reached the
/// Integration API.
pub fn not_a_page(
    response: &HttpResponse,
    error: &PageError,
    request: RequestInfo<'_>,
) -> PluginError {
    let label = request.label;
    let kept = "nothing from this page was taken and the checkpoint did not move";
    let Some(page) = html::recognise(response.header("content-type"), &response.body) else {
        return PluginError::protocol(format!("{error}, in the answer to {label}; {kept}"));
    };
    let wire = match request.format {
        Format::Json => "JSON",
        Format::Xml => "XML",
    };
    PluginError::protocol(format!(
        "Netwrix Auditor answered {} with {page}, not the {wire} the Integration API sends, \
         to {label}: is `endpoint` the Integration API (port 9699 unless changed under \
         Settings → Integrations), and is no proxy or login page in between? {kept}",
        response.status
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sdk::ErrorKind;
    use std::time::{Duration, UNIX_EPOCH};

    /// The host's clock in these tests: Fri, 01 Jun 2018 10:46:40 GMT.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_527_850_000)
    }

    const INFO: RequestInfo<'static> = RequestInfo {
        label: "POST https://a:9699/netwrix/api/v1/activity_records/search?count=1 (healthcheck)",
        account: r"CORP\svc-sluice",
        auth: AuthMethod::Basic,
        base: "https://a:9699/netwrix/api/v1/",
        format: Format::Json,
    };

    fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }

    fn kind(status: u16) -> Option<ErrorKind> {
        failure(&response(status, &[], b""), INFO, now())
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind(401), Some(ErrorKind::Credentials));
        assert_eq!(kind(403), Some(ErrorKind::Credentials));
        assert_eq!(kind(404), Some(ErrorKind::Config));
        assert_eq!(kind(405), Some(ErrorKind::Config));
        assert_eq!(kind(413), Some(ErrorKind::Rejected));
        for transient in [408, 429, 500, 502, 503, 504] {
            assert_eq!(kind(transient), Some(ErrorKind::Transient), "{transient}");
        }
        assert_eq!(kind(418), Some(ErrorKind::Protocol));
        for redirect in [300, 301, 302, 303, 307, 308] {
            assert_eq!(kind(redirect), Some(ErrorKind::Config), "{redirect}");
        }
        assert_eq!(kind(400), None);
    }

    #[test]
    fn retry_after_is_honoured() {
        let err = failure(&response(503, &[("retry-after", "30")], b""), INFO, now()).err();
        assert_eq!(
            err.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn retry_after_may_be_a_date() {
        let date = [("retry-after", "Fri, 01 Jun 2018 11:00:00 GMT")];
        let err = failure(&response(429, &date, b""), INFO, now()).err();
        assert_eq!(
            err.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(800))
        );
    }

    #[test]
    fn unauthorized_names_the_account_and_the_missing_scheme() {
        let err = failure(
            &response(
                401,
                &[
                    ("www-authenticate", "Negotiate"),
                    ("www-authenticate", "NTLM"),
                ],
                b"",
            ),
            INFO,
            now(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains(r"CORP\svc-sluice"), "{err}");
        assert!(err.contains("does not offer Basic"), "{err}");
        assert!(err.contains("Negotiate, NTLM"), "{err}");
        assert!(err.contains("`auth = \"ntlm\"`"), "{err}");
        let offered = failure(
            &response(
                401,
                &[("www-authenticate", "Negotiate, NTLM, Basic realm=\"x\"")],
                b"",
            ),
            INFO,
            now(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(!offered.contains("offers only"), "{offered}");
        assert!(offered.contains("Global reviewer"), "{offered}");
    }

    #[test]
    fn server_errors_carry_the_error_list() {
        let body = br#"{"ErrorList":[{"Category":"ServerError","Description":"0x80040C0A"}]}"#;
        let err = failure(&response(500, &[], body), INFO, now())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|m| m.contains("ServerError: 0x80040C0A")));
    }

    #[test]
    fn a_redirect_says_where_it_pointed() {
        let moved = [(
            "location",
            "https://elsewhere:9699/netwrix/api/v1/activity_records/search",
        )];
        let err = failure(&response(308, &moved, b""), INFO, now()).err();
        let err = err.expect("a redirect fails");
        assert_eq!(err.key_path(), Some("endpoint"));
        let message = err.message();
        assert!(
            message.starts_with(
                "Netwrix Auditor answered 308 Permanent Redirect to \
                 https://elsewhere:9699/netwrix/api/v1/activity_records/search for POST \
                 https://a:9699/"
            ) && message.contains("sluice follows no redirect"),
            "{message}"
        );
        let forged = [("location", "https://x/\r\nFAKE")];
        let err = failure(&response(302, &forged, b""), INFO, now()).err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("to https://x/\\r\\nFAKE for"), "{message}");
    }

    #[test]
    fn transport_errors() {
        let timeout = transport(&HttpError::new(HttpErrorKind::Timeout, "timed out"), INFO);
        assert_eq!(timeout.kind(), ErrorKind::Transient);
        let reset = transport(&HttpError::new(HttpErrorKind::Interrupted, "reset"), INFO);
        assert_eq!(reset.kind(), ErrorKind::Transient);
        let tls = transport(&HttpError::new(HttpErrorKind::Tls, "unknown issuer"), INFO);
        assert_eq!(tls.kind(), ErrorKind::Config);
        assert!(tls.message().contains("ca_file"));
    }
}
