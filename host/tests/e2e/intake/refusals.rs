//! What the intake refuses, and how: a clear status, nothing queued, a log line with the peer
//! and never the token; stalled clients cut off without holding up others.
//!
//! On SQLite alone: each refusal is decided by the HTTPS front before the store is touched,
//! the same on either backend; the alert that then goes through is queued by the commit
//! `forwarding.rs` checks on both.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::*;
use crate::ledger::{account, Expect};
use crate::support::{metric, telemetry, write_lockout, PATIENCE};

#[test]
fn no_token_a_wrong_token_or_a_foreign_certificate_is_refused_and_queues_nothing() {
    let intake = Intake::with_client_certificates();
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let ours = intake.client(Some((&intake.pki.client_cert, &intake.pki.client_key)));
    let stranger = intake.client(Some((&intake.pki.stranger_cert, &intake.pki.stranger_key)));
    let anonymous = intake.client(None);

    let (status, body) = intake.post(&ours, None, &rid).expect("answered");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("no bearer token"), "{body}");
    let (status, body) = intake
        .post(&ours, Some("not-the-token"), &rid)
        .expect("answered");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("a wrong bearer token"), "{body}");
    // Without a certificate from the CA, the TLS handshake itself fails: no HTTP answer.
    assert!(intake.post(&anonymous, Some(TOKEN), &rid).is_err());
    assert!(intake.post(&stranger, Some(TOKEN), &rid).is_err());
    assert_eq!(alerts_in_store(&intake.site), 0, "nothing queued");

    // The right token with our certificate goes through, and the log names the certificate.
    assert_eq!(
        intake.post(&ours, Some(TOKEN), &rid).expect("answered").0,
        200
    );
    host.wait_settled(1);
    let log = host.stop().assert_clean();
    for said in [
        "reason=\"unauthorized\"",
        "TLS handshake failed",
        "peer=127.0.0.1:",
        "CN=auditor01",
    ] {
        assert!(log.contains(said), "{said}: {log}");
    }
    assert!(
        !log.contains(TOKEN) && !log.contains("not-the-token"),
        "no token in the log: {log}"
    );
    account(&intake.site, Expect::delivered(1));
}

/// A raw TCP connection to the intake.
fn connect(url: &str) -> TcpStream {
    let port = url.rsplit(':').next().expect("a port");
    let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    stream
}

/// Reads until the peer closes; how long that took.
fn closed_after(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    started.elapsed()
}

#[test]
fn bad_requests_get_a_clear_answer_and_stalled_clients_hold_up_nobody() {
    let (telemetry, endpoint) = telemetry();
    let intake = Intake::new("max_body_bytes = 4096", &[&telemetry]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let client = intake.client(None);
    let url = format!("{}/v1/alerts", intake.url);
    let send = |request: reqwest::RequestBuilder| {
        intake.site.block_on(async {
            let response = request.bearer_auth(TOKEN).send().await.expect("answered");
            let status = response.status().as_u16();
            (status, response.text().await.expect("a body"))
        })
    };
    for (request, status, says) in [
        (
            client
                .post(&url)
                .body("x".repeat(10_000))
                .header("content-type", "text/csv"),
            413,
            "larger than 4096 bytes",
        ),
        (
            form(client.post(&url), &[("alert_id", "a")]),
            400,
            "missing field `record_id`",
        ),
        (
            form(
                client.post(&url),
                &[("alert_id", "{AlertID}"), ("record_id", "r")],
            ),
            400,
            "placeholder",
        ),
        (
            client
                .post(&url)
                .body("alert_id=a")
                .header("content-type", "text/plain"),
            415,
            "application/x-www-form-urlencoded",
        ),
        (
            json(
                client.post(&url),
                &serde_json::json!({"alert_id": "a", "record_id": "b", "pipeline": "nope"}),
            ),
            422,
            "no pipeline named",
        ),
        (client.get(&url), 405, ""),
        (
            client.post(format!("{}/v2/alerts", intake.url)),
            404,
            "POST /v1/alerts",
        ),
    ] {
        let (got, body) = send(request);
        assert_eq!(got, status, "{body}");
        assert!(body.contains(says), "{status}: {body}");
    }

    // A client that sends its request a byte a second, and one that never finishes its TLS
    // handshake: while both hang on, an alert goes through at once.
    let trickle = connect(&intake.url);
    let trickling = std::thread::spawn(move || {
        let mut stream = trickle;
        for byte in b"POST /v1/alerts HTTP/1.1\r\n" {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let stalled = connect(&intake.url);
    let started = Instant::now();
    assert_eq!(
        intake.post(&client, Some(TOKEN), &rid).expect("answered").0,
        200
    );
    assert!(started.elapsed() < PATIENCE);
    // Both are cut off after the request timeout (1 s here), not left open.
    assert!(closed_after(stalled) < Duration::from_secs(20));
    trickling.join().expect("the trickling client");

    host.wait_settled(1);
    let metrics = intake.site.get(&format!("http://{endpoint}/metrics")).1;
    for (reason, at_least) in [
        ("too_large", 1.0),
        ("malformed", 2.0),
        ("content_type", 1.0),
        ("pipeline", 1.0),
        ("timeout", 2.0),
    ] {
        let series = format!("sluice_intake_refused_total{{reason=\"{reason}\"}}");
        let value = metric(&metrics, &series).unwrap_or(0.0);
        assert!(value >= at_least, "{series} = {value}: {metrics}");
    }
    assert_eq!(
        metric(&metrics, "sluice_intake_alerts_total{result=\"queued\"}"),
        Some(1.0)
    );
    host.stop().assert_clean();
    account(&intake.site, Expect::delivered(1));
}

/// Past `per_peer_rate`, a peer is answered 429 with `Retry-After`; what it sent within the
/// rate is queued.
#[test]
fn a_peer_past_its_rate_is_told_to_wait() {
    let intake = Intake::new("per_peer_rate = 1", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let client = intake.client(None);
    // Twenty at once against one a second: however slow the machine, most wait.
    let answers: Vec<(u16, Option<String>)> = intake.site.block_on(async {
        let sends = (0..20).map(|_| {
            form(
                client.post(format!("{}/v1/alerts", intake.url)),
                &[("alert_id", ALERT_ID), ("record_id", &rid)],
            )
            .bearer_auth(TOKEN)
            .send()
        });
        let mut answers = Vec::new();
        for response in futures_join(sends).await {
            let response = response.expect("answered");
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            answers.push((response.status().as_u16(), retry_after));
        }
        answers
    });
    assert!(answers.contains(&(200, None)), "{answers:?}");
    assert!(
        answers.contains(&(429, Some("1".to_owned()))),
        "twenty at once against one a second: {answers:?}"
    );
    assert!(
        answers.iter().all(|a| a.0 == 200 || a.0 == 429),
        "{answers:?}"
    );
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
}

/// A client that completes the TLS handshake, then sends its request's headers a byte at a
/// time: cut off after `request_timeout` (1 s here), long before it would finish, while
/// another alert goes through.
#[test]
fn a_client_trickling_its_headers_after_the_handshake_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let intake = Intake::new("", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(&intake.pki.ca).expect("the CA");
    for cert in rustls_pemfile_certs(&ca) {
        roots.add(cert).expect("a CA certificate");
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let port: u16 = intake.url.rsplit(':').next().unwrap().parse().unwrap();
    let request = b"POST /v1/alerts HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n";
    let (cut_off_after, sent) = intake.site.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.expect("the handshake");
        let started = Instant::now();
        let mut sent = 0;
        for byte in request {
            if tls.write_all(&[*byte]).await.is_err() || tls.flush().await.is_err() {
                break;
            }
            sent += 1;
            // Closed (or answered) by the host yet? Look for a moment, then send the next byte.
            let mut answer = [0u8; 256];
            let read = tokio::time::timeout(Duration::from_millis(250), tls.read(&mut answer));
            if read.await.is_ok() {
                break;
            }
        }
        (started.elapsed(), sent)
    });
    assert!(
        sent < request.len(),
        "the whole request went out over {cut_off_after:?}: nothing cut it off"
    );
    assert!(cut_off_after < Duration::from_secs(10), "{cut_off_after:?}");
    let client = intake.client(None);
    assert_eq!(
        intake.post(&client, Some(TOKEN), &rid).expect("answered").0,
        200
    );
    host.wait_settled(1);
    host.stop().assert_clean();
}

/// The certificates of a PEM bundle.
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .map(|c| c.expect("a PEM certificate"))
        .collect()
}
