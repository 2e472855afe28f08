//! NTLM and Negotiate, driven by clients sluice did not write: requests-ntlm (NTLM) and
//! pyspnego (SPNEGO carrying NTLM), from PyPI in a venv under the target dir, against the
//! emulator over HTTP and over HTTPS with its self-signed certificate.
//!
//! ```text
//!   drive_auth.py ──NEGOTIATE──▶ 401 + CHALLENGE ──AUTHENTICATE──▶ 200, then 200 with no header
//!        (one connection)                        (NTLMv2 checked against the password)
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_emulators::auditor::SelfSigned;
use sluice_emulators::serve_tls;

use super::*;

/// pyspnego is the SPNEGO and NTLM implementation of Ansible's and Jordan Borean's Windows
/// tooling; requests-ntlm, the NTLM handler most Python clients use, runs on it.
const PACKAGES: [&str; 2] = ["pyspnego==0.12.4", "requests-ntlm==1.3.0"];

/// The venv's python, with the packages (see `venv::python_with`).
fn python() -> PathBuf {
    crate::venv::python_with("pyspnego-venv", &PACKAGES, "spnego, requests_ntlm")
}

/// Runs `drive_auth.py SCHEME URL USER PASSWORD [CA_FILE]`; its JSON report.
async fn drive(
    scheme: &str,
    url: String,
    user: &str,
    password: &str,
    ca: Option<PathBuf>,
) -> Value {
    let python = tokio::task::spawn_blocking(python)
        .await
        .expect("venv setup");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol/auditor/windows_auth/drive_auth.py");
    let mut args = vec![
        script.to_string_lossy().into_owned(),
        scheme.to_owned(),
        url,
        user.to_owned(),
        password.to_owned(),
    ];
    args.extend(ca.map(|p| p.to_string_lossy().into_owned()));
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new(python).args(args).output())
            .await
            .expect("the script ran")
            .expect("python started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "drive_auth.py {scheme} failed ({})\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON line")
}

fn enum_url(base: &str) -> String {
    format!("{base}/netwrix/api/v1/activity_records/enum?format=json")
}

#[tokio::test]
async fn requests_ntlm_authenticates_a_connection_with_ntlmv2() {
    let env = default_env().await;
    let report = drive(
        "ntlm",
        enum_url(&env.served.base_url()),
        USER,
        PASSWORD,
        None,
    )
    .await;
    // 401 with the CHALLENGE, then 200; the second request rides the same connection.
    assert_eq!(
        report["statuses"],
        serde_json::json!([[401, 401, 200], [200]]),
        "{report}"
    );
    let challenges = report["challenges"].as_array().expect("challenges");
    assert_eq!(
        challenges[0], "Negotiate, NTLM, Basic realm=\"127.0.0.1\"",
        "the first 401 lists the schemes (requests joins the headers): {report}"
    );
    let challenge = challenges[1].as_str().expect("the NTLM challenge");
    assert!(
        challenge.starts_with("NTLM TlRMTVNTUAACAAAA"),
        "a CHALLENGE message: {challenge}"
    );
}

#[tokio::test]
async fn a_wrong_ntlm_password_or_domain_is_refused() {
    let env = default_env().await;
    for (user, password) in [(USER, "not-the-password"), (r"OTHER\svc-sluice", PASSWORD)] {
        let report = drive(
            "ntlm",
            enum_url(&env.served.base_url()),
            user,
            password,
            None,
        )
        .await;
        assert_eq!(
            report["statuses"][0],
            serde_json::json!([401, 401, 401]),
            "{user}: {report}"
        );
    }
}

#[tokio::test]
async fn pyspnego_authenticates_with_negotiate_carrying_ntlm() {
    let env = default_env().await;
    let report = drive(
        "negotiate",
        enum_url(&env.served.base_url()),
        USER,
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(
        report["statuses"],
        serde_json::json!([[401, 200, "final:Negotiate"], [200]]),
        "{report}"
    );
    let wrong = drive(
        "negotiate",
        enum_url(&env.served.base_url()),
        USER,
        "wrong",
        None,
    )
    .await;
    assert_eq!(
        wrong["statuses"][0],
        serde_json::json!([401, 401]),
        "{wrong}"
    );
}

#[tokio::test]
async fn both_handshakes_work_over_https_with_the_self_signed_certificate() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certificate = SelfSigned::generate(&["localhost"]).expect("a certificate");
    let dir = tempfile::tempdir().expect("a temp dir");
    let pem = dir.path().join("auditor.pem");
    std::fs::write(&pem, certificate.pem()).expect("the PEM file");
    let auditor = Auditor::new(AuditorConfig::default());
    let served = serve_tls(
        auditor.router(),
        ([127, 0, 0, 1], 0).into(),
        certificate.server_config().expect("a TLS config"),
    )
    .await
    .expect("bind loopback");
    let base = format!("https://localhost:{}", served.addr().port());
    for scheme in ["ntlm", "negotiate"] {
        let report = drive(scheme, enum_url(&base), USER, PASSWORD, Some(pem.clone())).await;
        let last = report["statuses"][1][0].clone();
        assert_eq!(last, 200, "{scheme}: {report}");
    }
}

#[tokio::test]
async fn windows_schemes_can_be_turned_off_one_by_one() {
    let only_negotiate = start(AuditorConfig {
        behaviour: Behaviour {
            accept_ntlm: false,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    let anonymous = only_negotiate
        .send(
            only_negotiate
                .client
                .get(only_negotiate.url("activity_records/enum")),
        )
        .await;
    assert_eq!(
        anonymous.challenges,
        ["Negotiate", "Basic realm=\"127.0.0.1\""]
    );
    // requests-ntlm falls back to a bare NTLM message under Negotiate, which Windows (and
    // the emulator) accept.
    let url = enum_url(&only_negotiate.served.base_url());
    let report = drive("ntlm", url, USER, PASSWORD, None).await;
    assert_eq!(
        report["statuses"][0],
        serde_json::json!([401, 401, 200]),
        "{report}"
    );
    let challenge = report["challenges"][1].as_str().unwrap_or_default();
    assert!(challenge.starts_with("Negotiate TlRMTVNTUAAC"), "{report}");

    let basic_only = start(AuditorConfig {
        behaviour: Behaviour {
            accept_ntlm: false,
            accept_negotiate: false,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    let url = enum_url(&basic_only.served.base_url());
    let report = drive("ntlm", url, USER, PASSWORD, None).await;
    assert_eq!(
        report["statuses"][0],
        serde_json::json!([401]),
        "not offered: {report}"
    );
}
