//! `http.ca_file` holding the server's own self-signed CA:TRUE certificate (as Netwrix
//! Auditor's default certificate is often exported and given as "the CA"): webpki refuses a CA
//! certificate as the server's, and the error says so and what to do, instead of a bare
//! `CaUsedAsEndEntity`. Driven through the host's HTTP client against a loopback TLS server
//! presenting that certificate (`tests/fixtures/self-signed-ca`, made by its `make.sh`).

use std::path::PathBuf;
use std::sync::Arc;

use sluice::plugin_host::HttpClient;
use sluice_core::HttpSettings;
use sluice_sdk::{HttpErrorKind, HttpRequest};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/self-signed-ca")
        .join(name)
}

/// Serves TLS with the self-signed CA:TRUE certificate on loopback, answering 200 to anyone
/// who completes the handshake; returns its `https://` URL.
fn serve(runtime: &Runtime) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .expect("the fixture")
        .map(|c| c.expect("a certificate"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).expect("the key");
    let tls = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("a server config");
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    runtime.block_on(async move {
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = tcp.local_addr().expect("an address").port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = tcp.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let answer =
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                        let _ = tls.write_all(answer.as_bytes()).await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        format!("https://127.0.0.1:{port}/")
    })
}

fn get(runtime: &Runtime, settings: &HttpSettings, url: &str) -> sluice_sdk::HttpError {
    let client =
        HttpClient::new(settings, runtime.handle().clone(), "test").expect("an HTTP client");
    client
        .execute(HttpRequest::get(url))
        .expect_err("webpki refuses a CA as the server's certificate")
}

#[test]
fn a_ca_file_holding_the_servers_own_ca_certificate_is_explained() {
    let runtime = Runtime::new().expect("a runtime");
    let url = serve(&runtime);
    let settings = HttpSettings {
        ca_file: Some(fixture("server.pem")),
        ..HttpSettings::default()
    };
    let err = get(&runtime, &settings, &url);
    assert_eq!(err.kind, HttpErrorKind::Tls, "{err:?}");
    let message = &err.message;
    for expected in [
        "the server presents a CA certificate (CA:TRUE) as its own certificate",
        "webpki refuses a CA certificate as the end entity",
        "`ca_file`",
        "the certificate that signed it",
        "CA:FALSE",
    ] {
        assert!(message.contains(expected), "{expected:?} in {message}");
    }

    // Without the CA file webpki stops at the same check (it comes before looking for an
    // issuer): the same explanation, not a connection error to retry.
    let unset = get(&runtime, &HttpSettings::default(), &url);
    assert_eq!(unset.kind, HttpErrorKind::Tls, "{unset:?}");
    assert!(
        unset.message.contains("whether or not `ca_file` trusts it"),
        "{}",
        unset.message
    );
}
