//! Issue 19: Netwrix Auditor as it is deployed. The source authenticates with NTLM or
//! Negotiate (the host runs the handshake on a connection it keeps), over HTTPS with the
//! Auditor's self-signed certificate pinned by its fingerprint, and Basic turned off on the
//! server; refusals name the account, the scheme and what to change, and alerts stay queued.
//!
//! ```text
//!   sluice run ──NTLM/Negotiate over HTTPS (pinned)──▶ Auditor emulator (self-signed, no Basic)
//!       └──────────────────────────────────────────▶ ServiceNow emulator ──▶ incidents
//! ```

use sluice_emulators::auditor::{AuditorConfig, Behaviour, Endpoint, SelfSigned};
use sluice_emulators::servicenow::ServiceNowConfig;
use sluice_emulators::{serve_tls, Served};

use crate::support::{write_lockout, Site, AUDITOR_USER, BRISK, POLLING};

const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";
const ALERT_ID: &str = "{6F1C0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}";

/// The site's Auditor, served over HTTPS with `certificate` too; its `https://localhost:…`.
fn https(site: &Site, certificate: &SelfSigned) -> (Served, String) {
    let config = certificate.server_config().expect("a TLS config");
    let served = site
        .block_on(serve_tls(
            site.auditor.router(),
            ([127, 0, 0, 1], 0).into(),
            config,
        ))
        .expect("the HTTPS Auditor listens");
    let url = format!("https://localhost:{}", served.addr().port());
    (served, url)
}

/// The source's keys: `endpoint`, `auth`, and the pin.
fn source(endpoint: &str, auth: &str, pin: &str) -> String {
    format!(
        "[pipelines.p.source]\nendpoint = {endpoint:?}\nauth = {auth:?}\n\n\
         [pipelines.p.source.http]\ntls_fingerprint = {pin:?}\nproxy = \"none\"\n"
    )
}

/// A site whose Auditor refuses Basic, as a server configured for Windows authentication only.
fn windows_only_site() -> Site {
    Site::with_emulators(
        AuditorConfig {
            behaviour: Behaviour {
                accept_basic: false,
                ..Behaviour::default()
            },
            ..AuditorConfig::default()
        },
        ServiceNowConfig::default(),
        &[BRISK],
    )
}

#[test]
fn fetch_by_rid_over_ntlm_and_negotiate_with_a_pinned_self_signed_certificate() {
    for auth in ["ntlm", "negotiate"] {
        let site = windows_only_site();
        let certificate = SelfSigned::generate(&["localhost"]).expect("a certificate");
        let (_served, url) = https(&site, &certificate);
        site.configure(&[BRISK, &source(&url, auth, &certificate.fingerprint())]);
        let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
        let host = site.run().start();
        site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &rid]);
        host.wait_settled(1);
        host.stop().assert_clean();

        let incidents = site.incidents();
        assert_eq!(incidents.len(), 1, "{auth}: one incident");
        let notes = site.work_notes(&incidents[0]);
        assert!(
            notes[0].value.contains(r"Who: CORP\jdoe"),
            "{auth}: the record's fields: {notes:#?}"
        );
        // One handshake: the healthcheck's first request is challenged, the fetch rides the
        // authenticated connection.
        let requests = site.auditor.requests();
        assert_eq!(
            requests.count_status(Endpoint::Search, 401),
            1,
            "{auth}: {requests:?}"
        );
        assert!(
            requests.count_status(Endpoint::Search, 200) >= 2,
            "{requests:?}"
        );
    }
}

#[test]
fn polling_over_ntlm_and_negotiate_opens_the_incident() {
    for auth in ["ntlm", "negotiate"] {
        let site = windows_only_site();
        let certificate = SelfSigned::generate(&["localhost"]).expect("a certificate");
        let (_served, url) = https(&site, &certificate);
        let source = source(&url, auth, &certificate.fingerprint());
        site.configure(&[BRISK, POLLING, &source]);
        let when = jiff::Timestamp::now().to_string();
        write_lockout(&site.auditor, "asmith", &when);
        let host = site.run().start();
        host.wait_until("an incident", || site.incidents().len() == 1);
        host.stop().assert_clean();
        let notes = site.work_notes(&site.incidents()[0]);
        assert!(
            notes[0].value.contains(r"Who: CORP\asmith"),
            "{auth}: {notes:#?}"
        );
    }
}

/// `sluice validate --environment`: exit code and everything it printed.
fn validate(site: &Site) -> (Option<i32>, String) {
    let (code, out, err) = site.sluice(&["validate", "--environment"], &[]);
    (code, format!("{out}{err}"))
}

#[test]
fn refusals_name_the_account_the_scheme_and_what_to_change() {
    let plain = |behaviour: Behaviour, layer: &str| {
        let site = Site::with_emulators(
            AuditorConfig {
                behaviour,
                ..AuditorConfig::default()
            },
            ServiceNowConfig::default(),
            &[BRISK, layer],
        );
        validate(&site)
    };
    let ntlm = |user: &str, password: &str| {
        format!(
            "[pipelines.p.source]\nauth = \"ntlm\"\nusername = {user:?}\npassword = {password:?}\n"
        )
    };
    let cases = [
        (
            "a wrong password",
            plain(Behaviour::default(), &ntlm(AUDITOR_USER, "not-it")),
            vec![AUDITOR_USER, "with NTLM", "`password`"],
        ),
        (
            "a wrong domain",
            plain(
                Behaviour::default(),
                &ntlm(r"OTHER\svc-sluice", "sluice-demo"),
            ),
            vec![r"OTHER\svc-sluice", "with NTLM", "NetBIOS domain"],
        ),
        (
            "Basic turned off",
            plain(
                Behaviour {
                    accept_basic: false,
                    ..Behaviour::default()
                },
                "",
            ),
            vec![AUDITOR_USER, "does not offer Basic", "`auth = \"ntlm\"`"],
        ),
        (
            "no scheme sluice speaks",
            plain(
                Behaviour {
                    accept_basic: false,
                    accept_ntlm: false,
                    accept_negotiate: false,
                    ..Behaviour::default()
                },
                "",
            ),
            vec![AUDITOR_USER, "naming no scheme", "Allow NTLM"],
        ),
        (
            "NTLM through a proxy",
            plain(
                Behaviour::default(),
                "[pipelines.p.source]\nauth = \"ntlm\"\n\n\
                 [pipelines.p.source.http]\nproxy = \"http://127.0.0.1:9\"\n",
            ),
            vec!["NTLM authenticates a connection", "`proxy = \"none\"`"],
        ),
    ];
    for (case, (code, output), expected) in cases {
        assert_eq!(code, Some(78), "{case}: {output}");
        for part in expected {
            assert!(
                output.contains(part),
                "{case}: {part:?} missing in:\n{output}"
            );
        }
        assert!(
            !output.contains("sluice-demo"),
            "{case}: a password in:\n{output}"
        );
    }
}

#[test]
fn refused_credentials_leave_the_alert_queued() {
    let layer = "[pipelines.p.source]\nauth = \"ntlm\"\npassword = \"not-it\"\n";
    let site = Site::new(&[BRISK, layer]);
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = site.run().start();
    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &rid]);
    host.wait_for_lines("with NTLM", 1);
    host.stop().assert_clean();
    assert!(site.incidents().is_empty());
    assert_eq!(
        site.unfinished(),
        1,
        "the alert waits: {:?}",
        site.alert_states()
    );
}

#[test]
fn a_pin_trusts_one_certificate_and_a_rotated_one_is_named() {
    let site = Site::new(&[BRISK]);
    let certificate = SelfSigned::generate(&["localhost"]).expect("a certificate");
    let (served, url) = https(&site, &certificate);

    // Not pinned, not trusted: the operator is shown what to pin.
    site.configure(&[
        BRISK,
        &format!("[pipelines.p.source]\nendpoint = {url:?}\n"),
    ]);
    let (code, output) = validate(&site);
    assert_eq!(code, Some(78), "{output}");
    for part in [
        "subject \"CN=localhost\"",
        "valid from",
        certificate.fingerprint().as_str(),
        "tls_fingerprint",
    ] {
        assert!(output.contains(part), "{part:?} missing in:\n{output}");
    }

    // The right pin.
    site.configure(&[BRISK, &source(&url, "basic", &certificate.fingerprint())]);
    let (code, output) = validate(&site);
    assert_eq!(code, Some(0), "{output}");

    // A wrong pin.
    let wrong = format!("sha256:{}", "00".repeat(32));
    site.configure(&[BRISK, &source(&url, "basic", &wrong)]);
    let (code, output) = validate(&site);
    assert_eq!(code, Some(78), "{output}");
    assert!(output.contains("not the pinned one"), "{output}");

    // The certificate is renewed behind the pin: the error names the new fingerprint.
    let port = served.addr().port();
    site.block_on(served.shutdown());
    let renewed = SelfSigned::generate(&["localhost"]).expect("a certificate");
    let _served = site
        .block_on(serve_tls(
            site.auditor.router(),
            ([127, 0, 0, 1], port).into(),
            renewed.server_config().expect("a TLS config"),
        ))
        .expect("the renewed Auditor listens on the same port");
    site.configure(&[BRISK, &source(&url, "basic", &certificate.fingerprint())]);
    let (code, output) = validate(&site);
    assert_eq!(code, Some(78), "{output}");
    assert!(output.contains("not the pinned one"), "{output}");
    assert!(output.contains(&renewed.fingerprint()), "{output}");
}
