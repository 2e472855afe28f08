//! HTTP through the host: [`HttpRequest`], [`HttpResponse`], [`HttpError`].
//!
//! Plugins do not open connections themselves. The host executes their requests with one
//! client per component, configured once for TLS (CA files, client certificates, minimum
//! version), proxies, connection pooling and metrics. That also keeps tokio and reqwest out of
//! plugins, where they would not share the host's runtime.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;

/// The default timeout of a request, when the plugin does not set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest delay [`HttpResponse::retry_after`] and [`retry_delay_until`] give: 24 hours.
///
/// Rate limits of the systems plugins talk to count per hour (ServiceNow's rate-limit rules
/// reset every hour), so a longer wait is a misconfigured server or proxy. The cap also keeps
/// the host's clock arithmetic (now plus the delay) from overflowing.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How long from `now` until `at`, as a delay before retrying: zero once `at` has passed, and
/// at most [`MAX_RETRY_AFTER`].
///
/// For headers that name the moment a limit resets (like ServiceNow's `X-RateLimit-Reset`,
/// in Unix seconds); [`HttpResponse::retry_after`] reads `Retry-After` with the same rule.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sluice_sdk::{retry_delay_until, MAX_RETRY_AFTER};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_000);
/// let reset = UNIX_EPOCH + Duration::from_secs(1_030);
/// assert_eq!(retry_delay_until(reset, now), Duration::from_secs(30));
/// assert_eq!(retry_delay_until(UNIX_EPOCH, now), Duration::ZERO);
/// assert_eq!(retry_delay_until(reset + MAX_RETRY_AFTER, now), MAX_RETRY_AFTER);
/// ```
pub fn retry_delay_until(at: SystemTime, now: SystemTime) -> Duration {
    at.duration_since(now)
        .unwrap_or(Duration::ZERO)
        .min(MAX_RETRY_AFTER)
}

/// An HTTP request for the host to execute.
///
/// ```
/// use std::time::Duration;
/// use sluice_sdk::HttpRequest;
///
/// let request = HttpRequest::post("https://auditor.corp.local:9699/netwrix/api/v1/activity_records/search")
///     .basic_auth("CORP\\svc", "secret")
///     .header("Content-Type", "application/json; Charset=UTF-8")
///     .body(br#"{"FilterList":{}}"#.to_vec())
///     .timeout(Duration::from_secs(180));
/// assert_eq!(request.method, "POST");
/// assert!(request.headers.iter().any(|(n, _)| n == "Authorization"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PATCH`…
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body; empty for none.
    pub body: Vec<u8>,
    /// The whole request, connect to last byte, must finish within this.
    pub timeout: Duration,
    /// Credentials the host authenticates with ([`HttpRequest::auth`]); `None` sends the
    /// request as it is.
    pub auth: Option<HttpAuth>,
}

impl HttpRequest {
    /// A request with `method` to `url`, no headers and no body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            auth: None,
        }
    }

    /// A `GET`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// A `POST`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }

    /// A `PATCH`.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new("PATCH", url)
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `Authorization: Basic …`.
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header("Authorization", format!("Basic {token}"))
    }

    /// Authenticates with `scheme` as `username` (`DOMAIN\user` or `user@domain`). The host
    /// does the work: for Basic it adds the header; NTLM and Negotiate authenticate a
    /// connection rather than a request, so the host runs their handshake on a connection it
    /// keeps for this origin and account, and sends this and later requests on it.
    pub fn auth(mut self, scheme: AuthScheme, username: &str, password: &str) -> Self {
        self.auth = Some(HttpAuth {
            scheme,
            username: username.to_owned(),
            password: password.to_owned(),
        });
        self
    }

    /// Adds `Authorization: Bearer …`.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the timeout (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

// Hand-written so that credentials in headers never reach a log through `{:?}`.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let sensitive = n.eq_ignore_ascii_case("authorization")
                    || n.eq_ignore_ascii_case("cookie")
                    || n.eq_ignore_ascii_case("proxy-authorization")
                    || n.eq_ignore_ascii_case("x-sn-apikey");
                (
                    n.as_str(),
                    if sensitive { "<redacted>" } else { v.as_str() },
                )
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .field("timeout", &self.timeout)
            .field("auth", &self.auth)
            .finish()
    }
}

/// How the host authenticates a request: the scheme, the account and its password.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpAuth {
    /// The scheme.
    pub scheme: AuthScheme,
    /// The account: `DOMAIN\user`, or `user@domain`.
    pub username: String,
    /// Its password.
    pub password: String,
}

// Hand-written so that the password never reaches a log through `{:?}`.
impl fmt::Debug for HttpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpAuth")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An HTTP authentication scheme the host speaks for plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// HTTP Basic: the account and password on every request (RFC 7617).
    Basic,
    /// NTLM (NTLMv2): a challenge and response that authenticates the connection.
    Ntlm,
    /// Negotiate (SPNEGO, RFC 4559) carrying NTLM; Kerberos is not offered.
    Negotiate,
}

impl AuthScheme {
    /// The scheme's name as `WWW-Authenticate` and `Authorization` spell it.
    pub fn name(self) -> &'static str {
        match self {
            AuthScheme::Basic => "Basic",
            AuthScheme::Ntlm => "NTLM",
            AuthScheme::Negotiate => "Negotiate",
        }
    }

    pub(crate) fn to_code(self) -> u8 {
        match self {
            AuthScheme::Basic => 1,
            AuthScheme::Ntlm => 2,
            AuthScheme::Negotiate => 3,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(AuthScheme::Basic),
            2 => Some(AuthScheme::Ntlm),
            3 => Some(AuthScheme::Negotiate),
            _ => None,
        }
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The response to an [`HttpRequest`]. Any status, including 4xx and 5xx, is a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The redirect this answer is, if it is a 3xx: its status and where it points. The host
    /// follows no redirect (one would re-send the request, its credentials and its content to
    /// another address), so a plugin reports it as a config error with this in its message.
    ///
    /// ```
    /// use sluice_sdk::HttpResponse;
    ///
    /// let answer = HttpResponse {
    ///     status: 307,
    ///     headers: vec![("location".into(), "https://elsewhere.example/api\n".into())],
    ///     body: Vec::new(),
    /// };
    /// let redirect = answer.redirect().unwrap();
    /// assert_eq!(redirect.to_string(), "307 Temporary Redirect to https://elsewhere.example/api");
    /// ```
    pub fn redirect(&self) -> Option<Redirect> {
        (300..400).contains(&self.status).then(|| Redirect {
            status: self.status,
            location: self.header("location").map(printable),
        })
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// How long the server asks the client to wait before the next request, from the first
    /// `Retry-After` header, as RFC 9110 (section 10.2.3) defines it: either delta-seconds
    /// (`"120"`) or an HTTP date (`"Fri, 01 Jun 2018 11:00:00 GMT"`, or the obsolete RFC 850
    /// and asctime forms HTTP recipients must still accept), read against `now`, the host's
    /// clock ([`Host::now`](crate::Host::now)).
    ///
    /// A date that has passed gives zero; any delay is capped at [`MAX_RETRY_AFTER`]. `None`
    /// when there is no such header, or its value is neither form (a negative number, a date
    /// with another time zone than GMT, text).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sluice_sdk::HttpResponse;
    ///
    /// let busy = |value: &str| HttpResponse {
    ///     status: 503,
    ///     headers: vec![("retry-after".to_owned(), value.to_owned())],
    ///     body: Vec::new(),
    /// };
    /// // Fri, 01 Jun 2018 10:46:40 GMT
    /// let now = UNIX_EPOCH + Duration::from_secs(1_527_850_000);
    /// assert_eq!(busy("120").retry_after(now), Some(Duration::from_secs(120)));
    /// assert_eq!(
    ///     busy("Fri, 01 Jun 2018 11:00:00 GMT").retry_after(now),
    ///     Some(Duration::from_secs(800))
    /// );
    /// assert_eq!(busy("soon").retry_after(now), None);
    /// ```
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        let value = self.header("retry-after")?.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // All digits: a number too large for u64 is still "very long".
            let secs = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(retry_delay_until(at, now))
    }
}

/// Why a request got no response at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The timeout passed.
    Timeout,
    /// No connection could be made (refused, unreachable, DNS).
    Connect,
    /// The TLS handshake failed (untrusted certificate, wrong host name, protocol).
    Tls,
    /// The connection broke while sending or receiving (reset, truncated body).
    Interrupted,
    /// The request itself is invalid (bad URL, bad header).
    InvalidRequest,
    /// Anything else.
    Other,
}

impl HttpErrorKind {
    pub(crate) fn to_code(self) -> u8 {
        match self {
            HttpErrorKind::Timeout => 1,
            HttpErrorKind::Connect => 2,
            HttpErrorKind::Tls => 3,
            HttpErrorKind::Interrupted => 4,
            HttpErrorKind::InvalidRequest => 5,
            HttpErrorKind::Other => 0,
        }
    }

    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            1 => HttpErrorKind::Timeout,
            2 => HttpErrorKind::Connect,
            3 => HttpErrorKind::Tls,
            4 => HttpErrorKind::Interrupted,
            5 => HttpErrorKind::InvalidRequest,
            _ => HttpErrorKind::Other,
        }
    }
}

/// A request that got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HttpError {
    /// What went wrong.
    pub kind: HttpErrorKind,
    /// Details for the operator.
    pub message: String,
}

impl HttpError {
    /// An error of `kind`.
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    /// Fri, 01 Jun 2018 10:46:40 GMT.
    const NOW: u64 = 1_527_850_000;

    fn retry_after(values: &[&str]) -> Option<Duration> {
        let response = HttpResponse {
            status: 429,
            headers: values
                .iter()
                .map(|v| ("Retry-After".to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        };
        response.retry_after(UNIX_EPOCH + Duration::from_secs(NOW))
    }

    #[test]
    fn retry_after_reads_delta_seconds() {
        assert_eq!(retry_after(&["1320"]), Some(Duration::from_secs(1320)));
        assert_eq!(retry_after(&["0"]), Some(Duration::ZERO));
        assert_eq!(retry_after(&[]), None);
        // The first header counts.
        assert_eq!(retry_after(&["5", "60"]), Some(Duration::from_secs(5)));
    }

    #[test]
    fn retry_after_reads_http_dates_in_all_three_forms() {
        for date in [
            "Fri, 01 Jun 2018 11:00:00 GMT",
            "Friday, 01-Jun-18 11:00:00 GMT",
            "Fri Jun  1 11:00:00 2018",
        ] {
            assert_eq!(
                retry_after(&[date]),
                Some(Duration::from_secs(800)),
                "{date}"
            );
        }
    }

    #[test]
    fn a_past_date_means_now() {
        assert_eq!(
            retry_after(&["Fri, 01 Jun 2018 10:00:00 GMT"]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&["Thu, 01 Jan 1970 00:00:00 GMT"]),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn huge_values_are_capped() {
        for value in [
            "86401",
            "18446744073709551615",
            "99999999999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(retry_after(&[value]), Some(MAX_RETRY_AFTER), "{value}");
        }
    }

    #[test]
    fn whitespace_around_the_value_is_ignored() {
        assert_eq!(retry_after(&[" 30\t"]), Some(Duration::from_secs(30)));
        assert_eq!(
            retry_after(&["  Fri, 01 Jun 2018 11:00:00 GMT "]),
            Some(Duration::from_secs(800))
        );
    }

    #[test]
    fn garbage_is_no_delay() {
        for value in [
            "",
            "   ",
            "soon",
            "-5",
            "+5",
            "1.5",
            "30s",
            "5 5",
            "Fri, 01 Jun 2018 11:00:00 +0000",
            "Fri, 32 Jun 2018 11:00:00 GMT",
            "2018-06-01T11:00:00Z",
        ] {
            assert_eq!(retry_after(&[value]), None, "{value:?}");
        }
    }

    #[test]
    fn delay_until_is_zero_in_the_past_and_capped_in_the_future() {
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        let later = now + Duration::from_secs(800);
        assert_eq!(retry_delay_until(later, now), Duration::from_secs(800));
        assert_eq!(retry_delay_until(now, later), Duration::ZERO);
        assert_eq!(
            retry_delay_until(now + Duration::from_secs(10 * 86_400), now),
            MAX_RETRY_AFTER
        );
    }
}

/// A 3xx answer: its status and, made printable, where it pointed. Displays as `307 Temporary
/// Redirect to https://…`, or `… naming no address (no Location header)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The status.
    pub status: u16,
    /// The `Location` header, at most 300 characters with control characters escaped (a value
    /// the server chose must not forge a log line); `None` when there was none.
    pub location: Option<String>,
}

impl fmt::Display for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.status {
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            304 => "Not Modified",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            _ => "Redirect",
        };
        match &self.location {
            Some(to) => write!(f, "{} {reason} to {to}", self.status),
            None => write!(
                f,
                "{} {reason} naming no address (no Location header)",
                self.status
            ),
        }
    }
}

/// `value` as it may appear in a message and a log line: at most 300 characters, control
/// characters escaped.
fn printable(value: &str) -> String {
    const MAX: usize = 300;
    let mut out = String::new();
    for (i, c) in value.trim().chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
