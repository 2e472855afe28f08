//! The response intake: the release `sluice run` (target/release) serving `[response_intake]`
//! over HTTPS on loopback, with 8 forwarders at once, as an Auditor server runs 8 response
//! actions at a time. Prints one table.
//!
//! ```text
//!   8 forwarders ── POST /v1/alerts (HTTPS, bearer token) ──► sluice run ── fetch ──► Auditor
//!   (this process)                                              └── POST/PATCH ──► ServiceNow
//! ```
//!
//! Three runs, each over the same 10,000 alerts (200 alert types):
//! - **kept connections**: each forwarder keeps its HTTPS connection, as a forwarding
//!   service or a long-lived client would;
//! - **a connection per alert**: each alert opens its own TCP and TLS connection, as
//!   `curl.exe` in `sluice-forward.cmd` or `sluice alert-response --to` does;
//! - **the intake alone**: kept connections, the pipeline disabled (the alerts name it, so
//!   they are queued for it): what the intake costs without the deliveries competing for the
//!   cores and the store.
//!
//! Measured: forwarded alerts per second (from the first request to the last answer, every
//! answer 200 after the host's commit) and the latency of one forward (p50, p99). Targets:
//! at least 2,000 alerts/s; p99 of one forward at most 20 ms. The host fetches the records
//! and delivers the tickets meanwhile, on the same two cores.
//!
//! Run with `cargo bench -p sluice --bench intake`; `-- --quick` runs a tenth of the load.

#[path = "support/cpu.rs"]
#[allow(dead_code)]
mod cpu;
#[path = "end_to_end/host.rs"]
#[allow(dead_code)]
mod host;
#[path = "support/memory.rs"]
mod memory;
#[path = "end_to_end/workload.rs"]
#[allow(dead_code)]
mod workload;

use std::path::Path;
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, DnType, KeyPair};
use sha2::{Digest, Sha256};
use sluice_emulators::auditor::{Auditor, AuditorConfig};
use sluice_emulators::servicenow::{ServiceNow, ServiceNowConfig};
use workload::{Alert, HostConfig, Size, Workload};

/// Auditor runs at most this many response actions at a time.
const FORWARDERS: usize = 8;
const TOKEN: &str = "bench-intake-token-0123456789abcdef";

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("SLUICE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let size = if quick { Size::QUICK } else { Size::FULL };
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Err(e) = host::ensure_plugins() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let workload = Workload::new(size);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let auditor = Auditor::new(AuditorConfig::default());
    auditor.write(workload.records.clone());
    let loopback = ([127, 0, 0, 1], 0).into();
    let auditor_served = rt
        .block_on(sluice_emulators::serve(auditor.router(), loopback))
        .expect("serve Auditor");
    let root = tempfile::tempdir().expect("a scratch directory");

    println!(
        "response intake, {} alerts, {FORWARDERS} forwarders at once, HTTPS on loopback",
        workload.alerts.len()
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "", "alerts/s", "p50 ms", "p99 ms", "host CPU s", "peak RSS MB"
    );
    for (name, reuse, delivering) in [
        ("kept connections", true, true),
        ("a connection per alert", false, true),
        ("the intake alone", true, false),
    ] {
        let servicenow = ServiceNow::new(ServiceNowConfig::default());
        let served = rt
            .block_on(sluice_emulators::serve(servicenow.router(), loopback))
            .expect("serve ServiceNow");
        let dir = root.path().join(name.replace(' ', "-"));
        let url = prepare(
            &dir,
            &workload,
            (&auditor_served.base_url(), &served.base_url()),
            delivering,
        );
        let mut host = host::Host::start(&dir);
        wait_ready(&rt, &url, &dir);
        let cpu_before = host.cpu_seconds();
        let (elapsed, mut latencies) = forward_all(&url, &dir, &workload.alerts, reuse);
        host.check_alive();
        let cpu = host.cpu_seconds() - cpu_before;
        latencies.sort();
        let per_second = workload.alerts.len() as f64 / elapsed.as_secs_f64();
        println!(
            "{name:<26} {per_second:>10.0} {:>10.2} {:>10.2} {cpu:>12.2} {:>12.1}",
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            host.peak_rss_mb(),
        );
        if delivering {
            host.wait_delivered(workload.alerts.len() as u64, Duration::from_secs(600));
        }
        host.stop();
    }
    println!("targets: at least 2000 alerts/s; p99 of one forward at most 20 ms");
}

/// Writes the config (the bench's, with the intake on a free port over HTTPS), the alert set
/// and a certificate into `dir`; returns the intake's URL. Unless `delivering`, the pipeline
/// is disabled: alerts are queued for it (they name it) and nothing else runs.
fn prepare(
    dir: &Path,
    workload: &Workload,
    (auditor, servicenow): (&str, &str),
    delivering: bool,
) -> String {
    std::fs::create_dir_all(dir).expect("a work directory");
    workload
        .write_alert_set(&dir.join("alerts"))
        .expect("write the alert set");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().expect("a key");
    let cert = params.self_signed(&key).expect("a certificate");
    std::fs::write(dir.join("intake.pem"), cert.pem()).expect("write the certificate");
    std::fs::write(dir.join("intake.key"), key.serialize_pem()).expect("write the key");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let digest: String = Sha256::digest(TOKEN)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let config = HostConfig {
        auditor_url: auditor,
        servicenow_url: servicenow,
        poll: false,
        consolidation: "0s",
    };
    let text = format!(
        "{}\n[response_intake]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n\
         tls_certificate = \"intake.pem\"\ntls_key = \"intake.key\"\ntoken_sha256 = \"{digest}\"\n",
        if delivering {
            config.text()
        } else {
            config.text().replace(
                "[pipelines.bench.source]",
                "[pipelines.bench]\nenabled = false\n\n[pipelines.bench.source]",
            )
        }
    );
    std::fs::write(dir.join("sluice.toml"), text).expect("write the config");
    format!("https://localhost:{port}")
}

/// A client trusting the bench's certificate in `dir`; `reuse` keeps its connections.
fn client(dir: &Path, reuse: bool) -> reqwest::Client {
    let pem = std::fs::read(dir.join("intake.pem")).expect("the certificate");
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"))
        .http1_only();
    if !reuse {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder.build().expect("a client")
}

/// Waits until the intake answers its health check.
fn wait_ready(rt: &tokio::runtime::Runtime, url: &str, dir: &Path) {
    let client = client(dir, false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt
        .block_on(client.get(format!("{url}/healthz")).send())
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the intake did not come up; see {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Forwards every alert, `FORWARDERS` at a time; the whole time and each forward's. Each
/// forwarder is a thread with a runtime of its own, as forwarders are processes of their own
/// on the Auditor server: none waits behind the emulators' work in this process.
fn forward_all(url: &str, dir: &Path, alerts: &[Alert], reuse: bool) -> (Duration, Vec<Duration>) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let url = format!("{url}/v1/alerts");
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let forwarders: Vec<_> = (0..FORWARDERS)
            .map(|_| scope.spawn(|| forward_some(&url, dir, alerts, reuse, &next)))
            .collect();
        forwarders
            .into_iter()
            .flat_map(|f| f.join().expect("a forwarder"))
            .collect()
    });
    (started.elapsed(), latencies)
}

/// One forwarder: takes the next alert until none is left; each forward's time.
fn forward_some(
    url: &str,
    dir: &Path,
    alerts: &[Alert],
    reuse: bool,
    next: &std::sync::atomic::AtomicUsize,
) -> Vec<Duration> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = client(dir, reuse);
    let mut latencies = Vec::new();
    loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(alert) = alerts.get(i) else {
            return latencies;
        };
        let body = serde_urlencoded::to_string([
            ("alert_id", alert.alert_id.as_str()),
            ("record_id", alert.record_id.as_str()),
            ("alert_name", alert.name.as_str()),
            ("pipeline", "bench"),
        ])
        .expect("form fields");
        let sent = Instant::now();
        let status = runtime.block_on(async {
            let response = client
                .post(url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("the intake answers");
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            status
        });
        assert_eq!(status, 200, "alert {i}");
        latencies.push(sent.elapsed());
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
