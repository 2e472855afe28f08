//! The response intake of `sluice run` (`[response_intake]`; off by default): Netwrix Auditor
//! runs each alert's response action on its own Windows server, and when sluice runs on
//! another machine, the action forwards the alert here over HTTPS
//! (`sluice alert-response --to`, or `dist/windows/sluice-forward.cmd` with curl).
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/alerts`, form fields or JSON `alert_id`, `record_id`, optional `alert_name`, `pipeline` | 200 `{"queued":true,"alerts":1,"pipelines":[…]}` once committed; a repeat gets the same and queues nothing |
//! | `POST /v1/alerts`, `text/csv`: the CSV of Auditor's "Write data to CSV file", `?alert_name=…&pipeline=…` | the same, `alerts` one per row |
//! | no or a wrong token | 401, `WWW-Authenticate: Bearer` |
//! | malformed, too large, of another type, for no pipeline of this host | 400, 413, 415, 422 |
//! | over the peer's rate, too many in flight, the store cannot take it | 429 or 503 with `Retry-After` |
//! | `GET /healthz` | 200, without authentication |
//!
//! An alert is answered 200 only after the transaction that queued it committed
//! (`handoff::commit`, which queues every request waiting in one transaction), so an alert
//! accepted is never lost, and one refused or unanswered is the forwarder's to send again:
//! queueing is idempotent.

mod answer;
mod auth;
mod handler;
mod rate;
mod request;
mod serve;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use tokio::runtime::Handle;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use self::auth::TokenCheck;
use self::handler::Shared;
use self::rate::PeerRate;
use crate::handoff::commit::CommitThread;
use crate::handoff::ResponsePipelines;
use crate::telemetry::IntakeMetrics;
use sluice_core::{Doorbell, ResponseIntakeSettings, StateSettings};

pub(crate) use auth::{parse_token, sha256 as token_digest};

/// Who sent a request: the address, and the subject of the client certificate the TLS
/// handshake verified.
#[derive(Debug, Clone)]
struct Peer {
    addr: SocketAddr,
    certificate: Option<String>,
}

/// Why the intake could not start.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The address could not be bound.
    #[error("cannot listen on {listen} (response_intake.listen): {source}")]
    Bind {
        /// The address.
        listen: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A certificate, key or CA file could not be read or used.
    #[error("response_intake: {0}")]
    File(String),
    /// rustls refused the setup.
    #[error("response_intake: cannot set up TLS: {0}")]
    Tls(String),
    /// The state store could not be opened for it.
    #[error("response_intake: cannot open the state store: {0}")]
    Store(String),
}

/// The serving intake; stops on drop (alerts in flight are either committed and answered, or
/// unanswered and sent again by their forwarder).
#[derive(Debug)]
pub struct ResponseIntake {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    _commit: CommitThread,
}

impl ResponseIntake {
    /// Serves `settings` on `runtime`, queueing into the store `state` for the pipelines
    /// `routes` names, and ringing `doorbell` after each commit that queued something.
    ///
    /// # Errors
    ///
    /// The address cannot be bound, a TLS file is unusable, the store cannot be opened.
    pub fn start(
        settings: &ResponseIntakeSettings,
        state: &StateSettings,
        routes: ResponsePipelines,
        metrics: IntakeMetrics,
        doorbell: Doorbell,
        runtime: &Handle,
    ) -> Result<ResponseIntake, IntakeError> {
        let tls = tls::server_config(settings)?;
        let (commit, committer) = CommitThread::start(state, settings.max_in_flight, doorbell)
            .map_err(IntakeError::Store)?;
        let shared = Arc::new(Shared {
            routes,
            committer,
            token: TokenCheck::new(settings),
            rate: PeerRate::new(settings.per_peer_rate),
            in_flight: Semaphore::new(settings.max_in_flight),
            max_in_flight: settings.max_in_flight,
            metrics: metrics.clone(),
            max_body: settings.max_body_bytes,
            request_timeout: settings.request_timeout.get(),
        });
        let router = Router::new()
            .route("/v1/alerts", post(handler::post_alert))
            .route("/healthz", get(|| async { "ok\n" }))
            .fallback(handler::not_found)
            .with_state(shared);
        let listen = settings.listen;
        let bind = |source| IntakeError::Bind { listen, source };
        let std_listener = std::net::TcpListener::bind(listen).map_err(bind)?;
        std_listener.set_nonblocking(true).map_err(bind)?;
        let addr = std_listener.local_addr().map_err(bind)?;
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(std_listener).map_err(bind)?;
        let connections = serve::Connections {
            router,
            tls: tls.clone().map(TlsAcceptor::from),
            timeout: settings.request_timeout.get(),
            metrics,
        };
        let (stop, stopped) = watch::channel(false);
        let task = runtime.spawn(serve::accept(listener, connections, stopped));
        announce(settings, addr);
        Ok(ResponseIntake {
            stop,
            task,
            _commit: commit,
        })
    }
}

impl Drop for ResponseIntake {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
    }
}

/// The start's log line, and the warning plain HTTP deserves.
fn announce(settings: &ResponseIntakeSettings, addr: SocketAddr) {
    let auth = match (
        settings.token.is_some() || settings.token_sha256.is_some(),
        settings.client_ca.is_some(),
    ) {
        (true, true) => "bearer token and client certificate",
        (true, false) => "bearer token",
        (false, _) => "client certificate",
    };
    if settings.tls() {
        tracing::info!(listen = %addr, auth, "Taking forwarded response actions over HTTPS.");
    } else if addr.ip().is_loopback() {
        tracing::info!(listen = %addr, auth, "Taking forwarded response actions over plain HTTP, on this machine only.");
    } else {
        tracing::warn!(
            listen = %addr, auth,
            "Taking forwarded response actions over plain HTTP (response_intake.allow_plain_http): tokens and alerts cross the network in clear. Give tls_certificate and tls_key to use HTTPS."
        );
    }
}
