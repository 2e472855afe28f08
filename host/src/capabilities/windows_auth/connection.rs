//! One HTTP/1.1 connection the host keeps for itself (hyper's client connection, over TCP or
//! the component's TLS), to send several requests on the same connection: NTLM and Negotiate
//! authenticate the connection, not the request.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use sluice_sdk::{HttpError, HttpErrorKind, HttpRequest, HttpResponse};

use super::super::failure::{classify_io, MAX_RESPONSE_BYTES};

/// Where a connection goes: scheme, host and port of a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Origin {
    /// The origin of `url`, and its path and query.
    pub(crate) fn of(url: &str) -> Result<(Origin, String), HttpError> {
        let invalid =
            |why: &str| HttpError::new(HttpErrorKind::InvalidRequest, format!("{why}: {url}"));
        let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not a URL"))?;
        let https = match parsed.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(invalid("not an http or https URL")),
        };
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid("no host in the URL"))?;
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| invalid("no port"))?;
        let mut target = parsed.path().to_owned();
        if let Some(query) = parsed.query() {
            target.push('?');
            target.push_str(query);
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok((Origin { https, host, port }, target))
    }

    /// `host:port` as the `Host` header writes it.
    fn authority(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// An open connection.
#[derive(Debug)]
pub(crate) struct Connection {
    sender: SendRequest<Full<Bytes>>,
    origin: Origin,
}

impl Connection {
    /// Opens a connection to `origin`, with TLS from `tls` for https.
    pub(crate) async fn open(
        origin: &Origin,
        tls: &Arc<rustls::ClientConfig>,
    ) -> Result<Self, HttpError> {
        let tcp = TcpStream::connect((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| {
                HttpError::new(
                    HttpErrorKind::Connect,
                    format!("cannot connect to {}: {e}", origin.authority()),
                )
            })?;
        let _ = tcp.set_nodelay(true);
        let sender = if origin.https {
            let name = ServerName::try_from(origin.host.clone()).map_err(|_| {
                HttpError::new(
                    HttpErrorKind::InvalidRequest,
                    format!("{:?} is not a host name TLS can check", origin.host),
                )
            })?;
            let stream = TlsConnector::from(Arc::clone(tls))
                .connect(name, tcp)
                .await
                .map_err(|e| classify_io(&e))?;
            http1(stream).await?
        } else {
            http1(tcp).await?
        };
        Ok(Connection {
            sender,
            origin: origin.clone(),
        })
    }

    /// Whether the server (or the network) closed it.
    pub(crate) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends `request` (path and query `target`) on this connection, with `authorization` as
    /// its `Authorization` header if given, and reads the whole answer.
    pub(crate) async fn send(
        &mut self,
        request: &HttpRequest,
        target: &str,
        authorization: Option<&str>,
    ) -> Result<HttpResponse, HttpError> {
        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(target)
            .header(hyper::header::HOST, self.origin.authority())
            .header(
                hyper::header::USER_AGENT,
                concat!("sluice/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(value) = authorization {
            builder = builder.header(hyper::header::AUTHORIZATION, value);
        }
        let outgoing = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| HttpError::new(HttpErrorKind::InvalidRequest, e.to_string()))?;
        self.sender.ready().await.map_err(interrupted)?;
        let response = self
            .sender
            .send_request(outgoing)
            .await
            .map_err(interrupted)?;
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
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| {
                HttpError::new(
                    HttpErrorKind::Interrupted,
                    format!("reading the response failed (or it is larger than {MAX_RESPONSE_BYTES} bytes): {e}"),
                )
            })?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// HTTP/1.1 over `io`; the connection is driven by a task of its own until it closes (which
/// the sender sees: `is_closed`).
async fn http1<T>(io: T) -> Result<SendRequest<Full<Bytes>>, HttpError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| {
            HttpError::new(
                HttpErrorKind::Connect,
                format!("HTTP/1.1 setup failed: {e}"),
            )
        })?;
    tokio::spawn(async move {
        let _ = driver.await;
    });
    Ok(sender)
}

fn interrupted(error: hyper::Error) -> HttpError {
    HttpError::new(
        HttpErrorKind::Interrupted,
        format!("the connection broke: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_targets_are_read_from_urls() {
        let (origin, target) =
            Origin::of("https://auditor.corp.local:9699/netwrix/api/v1/x?format=json").unwrap();
        assert_eq!(
            origin,
            Origin {
                https: true,
                host: "auditor.corp.local".to_owned(),
                port: 9699
            }
        );
        assert_eq!(target, "/netwrix/api/v1/x?format=json");
        assert_eq!(origin.authority(), "auditor.corp.local:9699");
        let (v6, _) = Origin::of("http://[::1]/").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 80));
        assert_eq!(v6.authority(), "[::1]");
        for bad in ["ftp://a/", "not a url", "file:///etc/passwd"] {
            assert!(Origin::of(bad).is_err(), "{bad}");
        }
    }
}
