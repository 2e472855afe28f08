//! TLS and proxies, through `sluice validate --environment` (the components' healthchecks,
//! real requests):
//!
//! - the ServiceNow emulator behind mutual TLS (certificates in `tests/fixtures/tls`): reached
//!   with `http.ca_file` and `http.client_identity_file`; refused without either;
//! - a proxy per endpoint, and from `HTTP_PROXY`/`NO_PROXY`; `proxy = "none"` ignores them.
//!   The "proxy" is the emulator itself: a forward proxy receives each request with the target
//!   in its request line, and the emulator answers it by its path, so a sink pointed at
//!   `http://servicenow.invalid` (a name that never resolves) works only through the proxy.

use std::path::PathBuf;
use std::sync::Arc;

use sluice_emulators::servicenow::{ServiceNow, ServiceNowConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::support::Site;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/tls")
        .join(name)
}

/// Connections that completed a TLS handshake (client certificate required) before axum sees
/// them; failed handshakes are dropped. Each handshake runs on a task of its own, so one that
/// stalls (a connection the client opened and gave up on) holds up no other.
struct MutualTls {
    handshaken: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, std::net::SocketAddr)>,
    addr: std::net::SocketAddr,
}

impl MutualTls {
    fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> MutualTls {
        let addr = tcp.local_addr().unwrap();
        let (done, handshaken) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            while let Ok((stream, peer)) = tcp.accept().await {
                let (acceptor, done) = (acceptor.clone(), done.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = done.send((tls, peer)).await;
                    }
                });
            }
        });
        MutualTls { handshaken, addr }
    }
}

impl axum::serve::Listener for MutualTls {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(connection) => connection,
            // The accepting task ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// Serves a ServiceNow emulator over mutual TLS on loopback; returns its `https://` URL.
fn serve_mutual_tls(site: &Site) -> String {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(fixture("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let tls = ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    let servicenow = ServiceNow::new(ServiceNowConfig::default());
    site.block_on(async {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let listener = MutualTls::new(tcp, TlsAcceptor::from(Arc::new(tls)));
        tokio::spawn(async move {
            let _ = axum::serve(listener, servicenow.router()).await;
        });
        format!("https://127.0.0.1:{port}")
    })
}

/// `sluice validate --environment --json`: the exit code and the problems' messages.
fn validate(site: &Site, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (code, out, err) = site.sluice(&["validate", "--environment", "--json"], env);
    (code, format!("{out}{err}"))
}

#[test]
fn mutual_tls_needs_the_ca_file_and_the_client_identity() {
    let site = Site::new(&[]);
    let url = serve_mutual_tls(&site);
    let tls_table = |keys: &str| {
        format!("[pipelines.p.sink]\nendpoint = \"{url}\"\n\n[pipelines.p.sink.http]\n{keys}")
    };
    let ca = format!("ca_file = {:?}\n", fixture("ca.pem"));
    let identity = format!(
        "client_identity_file = {:?}\n",
        fixture("client-identity.pem")
    );

    site.configure(&[&tls_table(&format!("{ca}{identity}"))]);
    let (code, out) = validate(&site, &[]);
    assert_eq!(code, Some(0), "{out}");

    site.configure(&[&tls_table(&ca)]);
    let (code, out) = validate(&site, &[]);
    assert_eq!(
        code,
        Some(78),
        "without a client certificate the server refuses: {out}"
    );
    assert!(
        out.contains("the TLS handshake failed") && out.contains("CertificateRequired"),
        "{out}"
    );

    site.configure(&[&tls_table(&identity)]);
    let (code, out) = validate(&site, &[]);
    assert_eq!(code, Some(78), "the test CA is not a system root: {out}");
    assert!(
        out.contains("invalid peer certificate: UnknownIssuer"),
        "{out}"
    );
}

#[test]
fn requests_go_through_the_endpoints_proxy_or_the_environments() {
    let site = Site::new(&[]);
    let proxy = site.servicenow_url();
    let behind_proxy = "[pipelines.p.sink]\nendpoint = \"http://servicenow.invalid\"\n";

    site.configure(&[
        behind_proxy,
        &format!("[pipelines.p.sink.http]\nproxy = \"{proxy}\"\n"),
    ]);
    let (code, out) = validate(&site, &[]);
    assert_eq!(code, Some(0), "the endpoint's proxy: {out}");

    // From the environment; the Auditor emulator on 127.0.0.1 is reached directly.
    site.configure(&[behind_proxy]);
    let env = [("HTTP_PROXY", proxy.as_str()), ("NO_PROXY", "127.0.0.1")];
    let (code, out) = validate(&site, &env);
    assert_eq!(code, Some(0), "HTTP_PROXY: {out}");

    site.configure(&[behind_proxy, "[pipelines.p.sink.http]\nproxy = \"none\"\n"]);
    let (code, out) = validate(&site, &env);
    assert_eq!(code, Some(78), "proxy = \"none\" ignores HTTP_PROXY: {out}");
    assert!(out.contains("servicenow.invalid"), "{out}");

    site.configure(&[
        behind_proxy,
        "[pipelines.p.sink.http]\nproxy = \"socks5://127.0.0.1:1080\"\n",
    ]);
    let (code, out) = validate(&site, &[]);
    assert_eq!(code, Some(78), "{out}");
    assert!(out.contains("SOCKS proxies are not supported"), "{out}");
}
