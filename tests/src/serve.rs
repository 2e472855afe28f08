//! Mounting an emulator's router on a loopback port, over HTTP or HTTPS, each connection
//! with an id of its own ([`ConnectionId`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// An emulator served on a TCP port; dropping it stops the server.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    https: bool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Served {
    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (or `https://ADDR`), the base URL clients point at.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Which TCP connection a request came on: a number no other connection of this process
/// gets. Emulators read it as `ConnectInfo<ConnectionId>` where the protocol authenticates a
/// connection rather than a request (NTLM, Negotiate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl ConnectionId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnectionId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Connected<IncomingStream<'_, TcpListener>> for ConnectionId {
    fn connect_info(_: IncomingStream<'_, TcpListener>) -> Self {
        ConnectionId::next()
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for ConnectionId {
    fn connect_info(_: IncomingStream<'_, TlsListener>) -> Self {
        ConnectionId::next()
    }
}

/// Serves `router` on `listen` (use `127.0.0.1:0` for an ephemeral port) in a background task
/// of the current tokio runtime.
pub async fn serve(router: Router, listen: SocketAddr) -> std::io::Result<Served> {
    let listener = TcpListener::bind(listen).await?;
    spawn(listener, router, false)
}

/// Serves `router` over HTTPS with `tls` (its certificate and key) on `listen`, like
/// [`serve`]. A connection whose TLS handshake fails is dropped.
pub async fn serve_tls(
    router: Router,
    listen: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<Served> {
    let tcp = TcpListener::bind(listen).await?;
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(tls),
    };
    spawn(listener, router, true)
}

fn spawn<L>(listener: L, router: Router, https: bool) -> std::io::Result<Served>
where
    L: Listener<Addr = SocketAddr>,
    ConnectionId: for<'a> Connected<IncomingStream<'a, L>>,
{
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        let service = router.into_make_service_with_connect_info::<ConnectionId>();
        if let Err(error) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%error, "Emulator server stopped with an error.");
        }
    });
    Ok(Served {
        addr,
        https,
        stop: Some(stop),
        task: Some(task),
    })
}

/// TCP connections that complete a TLS handshake before axum sees them.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                // Out of descriptors, say: give the system a moment.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            // A handshake that stalls must not hold up the next client.
            let handshake = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                self.acceptor.accept(tcp),
            );
            if let Ok(Ok(tls)) = handshake.await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
