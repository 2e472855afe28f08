//! The response intake over real HTTPS on loopback: what the Auditor server forwards reaches
//! ServiceNow once (`forwarding.rs`), with `sluice alert-response --to` and with the Windows
//! script's curl command line (`windows.rs`); what it must not send is refused and queues
//! nothing, and a stalled client holds up nobody (`refusals.rs`).
//!
//! What the intake queues, it commits to the store before it answers: `forwarding.rs` runs on
//! both backends. `refusals.rs` (refusals, stalled clients, the rate limit: the HTTPS front's,
//! decided before the store is touched) and `windows.rs` (the script's curl line and what its
//! exit status says; the commit behind a 200 is the one `forwarding.rs` checks) run on SQLite.

mod forwarding;
mod refusals;
mod windows;

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::support::{free_port, pki::Pki, Backend, Site, BRISK};

pub const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";
pub const ALERT_ID: &str = "{6F1C0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}";
pub const TOKEN: &str = "intake-test-token-0123456789abcdef";

/// A site whose host serves the intake over HTTPS with the test CA's certificate, the token
/// given by its SHA-256, and the request timeout at one second.
pub struct Intake {
    pub site: Site,
    pub pki: Pki,
    pub url: String,
    pub token_file: std::path::PathBuf,
    _certs: tempfile::TempDir,
}

/// The `[response_intake]` layer for `pki` on `port`, with `extra` keys; with
/// `client_certificates`, a client certificate from the test CA is required as well.
fn layer(pki: &Pki, port: u16, client_certificates: bool, extra: &str) -> String {
    let client_ca = if client_certificates {
        format!("client_ca = {:?}\n", pki.ca.display().to_string())
    } else {
        String::new()
    };
    let digest: String = Sha256::digest(TOKEN.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "\n[response_intake]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n\
         tls_certificate = {cert:?}\ntls_key = {key:?}\ntoken_sha256 = \"{digest}\"\n\
         request_timeout = \"1s\"\n{client_ca}{extra}\n",
        cert = pki.server_cert.display().to_string(),
        key = pki.server_key.display().to_string(),
    )
}

impl Intake {
    /// The site, with `extra` keys in `[response_intake]` and `layers` over the config.
    pub fn new(extra: &str, layers: &[&str]) -> Intake {
        Intake::on(Backend::Sqlite, extra, layers)
    }

    /// [`Intake::new`] with the store on `backend`.
    pub fn on(backend: Backend, extra: &str, layers: &[&str]) -> Intake {
        Intake::build(backend, false, extra, layers)
    }

    /// The same, requiring a client certificate from the test CA as well as the token.
    pub fn with_client_certificates() -> Intake {
        Intake::build(Backend::Sqlite, true, "", &[])
    }

    fn build(backend: Backend, client_certificates: bool, extra: &str, layers: &[&str]) -> Intake {
        let certs = tempfile::tempdir().expect("a directory for certificates");
        let pki = Pki::new(certs.path());
        let port = free_port();
        let intake = layer(&pki, port, client_certificates, extra);
        let mut all = vec![BRISK, intake.as_str()];
        all.extend_from_slice(layers);
        let site = Site::on(backend, &all);
        let token_file = certs.path().join("sluice-intake.token");
        std::fs::write(&token_file, format!("Authorization: Bearer {TOKEN}\r\n"))
            .expect("write the token file");
        Intake {
            site,
            pki,
            url: format!("https://localhost:{port}"),
            token_file,
            _certs: certs,
        }
    }

    /// An HTTPS client trusting the test CA, presenting `identity` (certificate, key) if given.
    pub fn client(&self, identity: Option<(&Path, &Path)>) -> reqwest::Client {
        let ca = std::fs::read(&self.pki.ca).expect("the CA");
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("a PEM CA"))
            .timeout(Duration::from_secs(20));
        if let Some((cert, key)) = identity {
            let mut pem = std::fs::read(cert).expect("the certificate");
            pem.extend(std::fs::read(key).expect("the key"));
            builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("an identity"));
        }
        builder.build().expect("a client")
    }

    /// POSTs the form fields of alert (`alert_id`, `record_id`) with `token`: status and body.
    pub fn post(
        &self,
        client: &reqwest::Client,
        token: Option<&str>,
        record_id: &str,
    ) -> Result<(u16, String), reqwest::Error> {
        self.site.block_on(async {
            let mut request = form(
                client.post(format!("{}/v1/alerts", self.url)),
                &[
                    ("alert_id", ALERT_ID),
                    ("record_id", record_id),
                    ("alert_name", LOCKED_OUT),
                ],
            );
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            Ok((status, response.text().await?))
        })
    }

    /// `sluice alert-response --to` the intake for `record_id`, as the Auditor server runs it.
    pub fn forward(&self, record_id: &str) -> std::process::Output {
        crate::util::sluice()
            .args(["alert-response", "--to", &self.url, "--ca-file"])
            .arg(&self.pki.ca)
            .arg("--token-file")
            .arg(&self.token_file)
            .args(["--alert-name", LOCKED_OUT, ALERT_ID, record_id])
            .env_remove("SLUICE_CONFIG")
            .env_remove("SLUICE_INTAKE_TOKEN")
            .output()
            .expect("sluice runs")
    }
}

/// `request` with `fields` as its form body, as curl's `--data-urlencode` sends them.
pub fn form(request: reqwest::RequestBuilder, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).expect("form fields"))
}

/// `request` with `value` as its JSON body.
pub fn json(
    request: reqwest::RequestBuilder,
    value: &serde_json::Value,
) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/json")
        .body(value.to_string())
}

/// Alerts in the store, queued or done.
pub fn alerts_in_store(site: &Site) -> i64 {
    site.store()
        .db()
        .query_one(
            "SELECT count(*) FROM alerts",
            sluice_core::store::db::args![],
            |r| r.get(0),
        )
        .expect("count alerts")
}

/// Sends every future at once and waits for all, in order.
pub async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for task in tasks {
        outputs.push(task.await.expect("the task"));
    }
    outputs
}
