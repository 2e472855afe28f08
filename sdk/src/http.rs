//! HTTP through the host: [`HttpRequest`], [`HttpResponse`], [`HttpError`].
//!
//! Plugins do not open connections themselves. The host executes their requests with one
//! client per component, configured once for TLS (CA files, client certificates, minimum
//! version), proxies, connection pooling and metrics. That also keeps tokio and reqwest out of
//! plugins, where they would not share the host's runtime.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

/// The default timeout of a request, when the plugin does not set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

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
                    || n.eq_ignore_ascii_case("proxy-authorization");
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
            .finish()
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

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
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
