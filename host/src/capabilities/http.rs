//! The HTTP client plugins use, run by the host with reqwest and rustls: one client (one
//! connection pool, one TLS and proxy setup) per component. It follows no redirect: a 3xx
//! reaches the plugin as it came, `Location` and all.
//!
//! A request may name its authentication ([`sluice_sdk::HttpAuth`]): Basic becomes a header;
//! NTLM and Negotiate, which authenticate a connection, go through the connections the host
//! keeps for them (`windows_auth`), with the same TLS setup (`tls.rs`).

use std::fmt;
use std::sync::{Arc, Once};

use sluice_sdk::{AuthScheme, HttpAuth, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use tokio::runtime::Handle;

use sluice_core::HttpSettings;

use super::failure::{classify, error_chain, redact_userinfo, MAX_RESPONSE_BYTES};
use super::setup::HttpSetupError;
use super::windows_auth::AuthenticatedConnections;

/// A blocking facade over an async reqwest client, for plugin calls (which run on the host's
/// blocking thread pool).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    runtime: Handle,
    authenticated: Arc<AuthenticatedConnections>,
    proxy: Option<String>,
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
        let tls = super::tls::client_config(settings)?;
        let mut pooled = tls.clone();
        pooled.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut kept = tls;
        kept.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            // A redirect would re-send the request (its credentials and body: incident
            // content, activity searches) to another address. The plugin gets the 3xx and
            // says where it pointed, so the operator can fix `endpoint`.
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(pooled);
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
                 http.ca_file, or pin its certificate with http.tls_fingerprint, instead."
            );
        }
        let client = builder
            .build()
            .map_err(|e| HttpSetupError::Build(error_chain(&e)))?;
        Ok(HttpClient {
            client,
            runtime,
            authenticated: Arc::new(AuthenticatedConnections::new(Arc::new(kept))),
            proxy: settings.proxy.clone().filter(|p| p != "none"),
        })
    }

    /// Executes `request`, blocking the calling thread. Plugin calls run on the host's
    /// blocking pool, where this is allowed; called from inside an async task, tokio panics,
    /// and the SDK turns that into an [`HttpError`] instead of unwinding into the plugin.
    pub fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.runtime.block_on(self.send(request))
    }

    /// NTLM or Negotiate: the handshake and the request on a connection kept for them, all
    /// within the request's timeout. Such a connection goes to the server directly, so an
    /// explicit proxy is refused rather than bypassed.
    async fn send_on_kept_connection(
        &self,
        request: &HttpRequest,
        auth: &HttpAuth,
    ) -> Result<HttpResponse, HttpError> {
        if let Some(proxy) = &self.proxy {
            return Err(HttpError::new(
                HttpErrorKind::InvalidRequest,
                format!(
                    "{} authenticates a connection, which sluice makes directly to the server, \
                     not through the proxy {}: set `proxy = \"none\"` in this component's \
                     `http` table (or use Basic through the proxy)",
                    auth.scheme,
                    redact_userinfo(proxy)
                ),
            ));
        }
        let timeout = request.timeout;
        tokio::time::timeout(timeout, self.authenticated.send(request, auth))
            .await
            .unwrap_or_else(|_| {
                Err(HttpError::new(
                    HttpErrorKind::Timeout,
                    format!("no answer within {timeout:?}"),
                ))
            })
    }

    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, HttpError> {
        match request.auth.take() {
            None => {}
            Some(auth) if auth.scheme == AuthScheme::Basic => {
                request = request.basic_auth(&auth.username, &auth.password);
            }
            Some(auth) => return self.send_on_kept_connection(&request, &auth).await,
        }
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
