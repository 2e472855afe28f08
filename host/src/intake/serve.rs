//! Connections: each served by a task of its own, so a TLS handshake, a request header or a
//! body that stalls holds up nobody else, and each bounded in time by `request_timeout`.
//! Connections beyond `MAX_CONNECTIONS` are closed at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::Peer;
use crate::telemetry::{IntakeMetrics, Refusal};

/// The most connections served at once.
const MAX_CONNECTIONS: usize = 1024;

/// What every connection needs.
#[derive(Clone)]
pub(super) struct Connections {
    pub(super) router: Router,
    pub(super) tls: Option<TlsAcceptor>,
    pub(super) timeout: Duration,
    pub(super) metrics: IntakeMetrics,
}

/// Accepts until `stop` turns true.
pub(super) async fn accept(
    listener: TcpListener,
    connections: Connections,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let (tcp, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, say: give the system a moment.
                tracing::warn!(%error, "Cannot accept a connection to the response intake.");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            connections.metrics.refused(Refusal::Busy);
            tracing::debug!(peer = %addr, "Closed a connection: {MAX_CONNECTIONS} are open.");
            continue;
        };
        let connections = connections.clone();
        tokio::spawn(async move {
            connections.serve(tcp, addr).await;
            drop(permit);
        });
    }
}

impl Connections {
    /// One connection: the TLS handshake, then HTTP/1.1 requests until the client is done.
    async fn serve(self, tcp: TcpStream, addr: SocketAddr) {
        let _ = tcp.set_nodelay(true);
        let Some(acceptor) = self.tls.clone() else {
            let peer = Peer {
                addr,
                certificate: None,
            };
            return self.http(tcp, peer).await;
        };
        match tokio::time::timeout(self.timeout, acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => {
                let certificate = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|leaf| subject(leaf.as_ref()));
                self.http(stream, Peer { addr, certificate }).await;
            }
            Ok(Err(error)) => {
                self.metrics.refused(Refusal::Handshake);
                tracing::warn!(peer = %addr, %error, "Refused a connection to the response intake: the TLS handshake failed.");
            }
            Err(_) => {
                self.metrics.refused(Refusal::Timeout);
                tracing::warn!(
                    peer = %addr,
                    "Closed a connection to the response intake: its TLS handshake did not finish within {} (response_intake.request_timeout).",
                    humantime::format_duration(self.timeout)
                );
            }
        }
    }

    async fn http<I>(self, io: I, peer: Peer)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let router = self.router;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(peer.clone());
            router.clone().oneshot(request.map(Body::new))
        });
        let served = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.timeout)
            .serve_connection(TokioIo::new(io), service)
            .await;
        if let Err(error) = served {
            if error.is_timeout() {
                self.metrics.refused(Refusal::Timeout);
            }
            tracing::debug!(%error, "A connection to the response intake ended with an error.");
        }
    }
}

/// A certificate's subject, as the log shows it (`CN=auditor01.corp.local, O=Corp`).
fn subject(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, certificate)) => certificate.subject().to_string(),
        Err(_) => "an unreadable certificate".to_owned(),
    }
}
