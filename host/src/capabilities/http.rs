//! The HTTP client plugins use, run by the host with reqwest and rustls: one client (one
//! connection pool, one TLS and proxy setup) per component. It follows no redirect: a 3xx
//! reaches the plugin as it came, `Location` and all.

use std::fmt;
use std::path::PathBuf;
use std::sync::Once;

use sluice_sdk::{HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use tokio::runtime::Handle;

use sluice_core::{read_regular_bytes, FileError, HttpSettings, CONFIG_FILE_LIMIT};

/// Responses larger than this are cut off with an error, so a misbehaving server cannot
/// exhaust memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Why a component's HTTP client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    /// A certificate or key file could not be read (or is no regular file, or too large).
    #[error(transparent)]
    Read(#[from] FileError),
    /// A file did not hold what it should.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The proxy setting is not usable.
    #[error("invalid proxy {0:?}: expected a URL like \"http://proxy.corp.local:3128\"")]
    Proxy(String),
    /// reqwest refused the combination.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// A blocking facade over an async reqwest client, for plugin calls (which run on the host's
/// blocking thread pool).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    runtime: Handle,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

pub(crate) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl HttpClient {
    /// A client configured by `settings`, running its IO on `runtime`. `component` names the
    /// component in the insecure-TLS warning.
    pub fn new(
        settings: &HttpSettings,
        runtime: Handle,
        component: &str,
    ) -> Result<Self, HttpSetupError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            // A redirect would re-send the request (its credentials and body: incident
            // content, activity searches) to another address. The plugin gets the 3xx and
            // says where it pointed, so the operator can fix `endpoint`.
            .redirect(reqwest::redirect::Policy::none());
        builder = with_tls_files(builder, settings)?;
        match settings.proxy.as_deref() {
            None => {}
            Some("none") => builder = builder.no_proxy(),
            Some(url) => {
                let proxy = reqwest::Proxy::all(url)
                    .map_err(|_| HttpSetupError::Proxy(redact_userinfo(url)))?;
                builder = builder.proxy(proxy);
            }
        }
        if settings.insecure_skip_verify {
            tracing::warn!(
                %component,
                "TLS certificate verification is OFF (http.insecure_skip_verify = true): anyone \
                 on the network path can read and alter this traffic. Trust the server's CA with \
                 http.ca_file instead."
            );
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| HttpSetupError::Build(error_chain(&e)))?;
        Ok(HttpClient { client, runtime })
    }

    /// Executes `request`, blocking the calling thread. Plugin calls run on the host's
    /// blocking pool, where this is allowed; called from inside an async task, tokio panics,
    /// and the SDK turns that into an [`HttpError`] instead of unwinding into the plugin.
    pub fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.runtime.block_on(self.send(request))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            HttpError::new(
                HttpErrorKind::InvalidRequest,
                format!("invalid method {:?}", request.method),
            )
        })?;
        let mut builder = self
            .client
            .request(method, &request.url)
            .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(HttpError::new(
                    HttpErrorKind::Interrupted,
                    format!("response body larger than {MAX_RESPONSE_BYTES} bytes; refused"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// `builder` trusting `http.ca_file` and presenting `http.client_identity_file`, when set.
fn with_tls_files(
    mut builder: reqwest::ClientBuilder,
    settings: &HttpSettings,
) -> Result<reqwest::ClientBuilder, HttpSetupError> {
    if let Some(path) = &settings.ca_file {
        let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| HttpSetupError::Invalid {
                path: path.clone(),
                message: format!("not a PEM bundle of CA certificates ({e})"),
            })?;
        if certs.is_empty() {
            return Err(HttpSetupError::Invalid {
                path: path.clone(),
                message: "holds no PEM certificate".to_owned(),
            });
        }
        builder = builder.tls_certs_merge(certs);
    }
    if let Some(path) = &settings.client_identity_file {
        let pem = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| HttpSetupError::Invalid {
            path: path.clone(),
            message: format!("needs a PEM certificate and its private key ({e})"),
        })?;
        builder = builder.identity(identity);
    }
    Ok(builder)
}

/// Sorts a reqwest error into the SDK's kinds, with its cause chain as the message (and, for
/// a TLS failure an operator cannot read from rustls's words alone, what happened and what to
/// do).
fn classify(error: reqwest::Error) -> HttpError {
    let mut chain = error_chain(&error);
    let tls = rustls_error(&error);
    let kind = if error.is_timeout() {
        HttpErrorKind::Timeout
    } else if tls.is_some() {
        HttpErrorKind::Tls
    } else if error.is_connect() {
        HttpErrorKind::Connect
    } else if error.is_builder() {
        HttpErrorKind::InvalidRequest
    } else if error.is_body() || error.is_decode() || error.is_request() {
        HttpErrorKind::Interrupted
    } else {
        HttpErrorKind::Other
    };
    if tls.is_some_and(is_ca_used_as_end_entity) {
        chain.push_str(CA_USED_AS_END_ENTITY);
    }
    HttpError::new(kind, chain)
}

/// Appended to webpki's `CaUsedAsEndEntity`.
const CA_USED_AS_END_ENTITY: &str = ": the server presents a CA certificate (CA:TRUE) as its \
    own certificate, and webpki refuses a CA certificate as the end entity, whether or not \
    `ca_file` trusts it (a self-signed certificate, such as Netwrix Auditor's default one, \
    exported and given as `ca_file` does this). Give `ca_file` the certificate that signed it, \
    not the server's own; if the server's certificate is self-signed, give the server one \
    with CA:FALSE (issued by your CA, whose certificate goes in `ca_file`) instead. Turning \
    verification off (`insecure_skip_verify`) is not the fix";

/// The rustls error in `error`'s causes, if any. rustls's error reaches us inside an
/// `io::Error` (possibly inside another), whose `source()` skips past what it wraps to that
/// error's own source: look inside with `get_ref` instead.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// webpki's `CaUsedAsEndEntity`, which rustls carries as an opaque `Other` certificate error
/// (the webpki crate is not ours to name, so it is recognised by its name).
fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    match error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            format!("{other:?}").contains("CaUsedAsEndEntity")
        }
        _ => false,
    }
}

/// `error: cause: cause`, with credentials in URLs removed.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = redact_userinfo(&error.to_string());
    let mut current = error.source();
    while let Some(e) = current {
        let next = redact_userinfo(&e.to_string());
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        current = e.source();
    }
    text
}

/// `http://user:pass@host/` → `http://<redacted>@host/`.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', ')', '"']).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("<redacted>");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_userinfo;

    #[test]
    fn userinfo_is_removed_from_urls() {
        assert_eq!(
            redact_userinfo("error sending request for url (http://u:p@proxy:3128/x)"),
            "error sending request for url (http://<redacted>@proxy:3128/x)"
        );
        assert_eq!(redact_userinfo("http://host/a@b"), "http://host/a@b");
    }
}
