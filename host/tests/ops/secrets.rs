//! A full pipeline run with known secrets (an `${ENV}` reference, an `exec:` command and a
//! `file:`), the emulators checking the same credentials, sources of errors on both sides:
//! none of the secrets, nor their HTTP Basic or form-encoded forms, appears in the log at
//! debug level (human and JSON), `validate --json` (valid and invalid), `status` (both
//! forms), the telemetry endpoint, or the state store's files.

use base64::Engine as _;
use sluice_emulators::auditor::{AuditorConfig, Faults as AuditorFaults};
use sluice_emulators::servicenow::{Faults, ServiceNowConfig, Trigger};

use crate::support::{closed_port, distinct_alerts, telemetry, write_modifications, Exit, Site};

const AUDITOR_USER: &str = r"CORP\svc-sluice";
const AUDITOR_PW: &str = "Aud1tor-pw-7f3e9c";
const SN_PW: &str = "Sn0w-pw-4b1d2a";
const OAUTH_SECRET: &str = "OAuth-secret-9c8a71";

/// Every form in which a secret could leak.
fn forms() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut forms: Vec<String> = [AUDITOR_PW, SN_PW, OAUTH_SECRET]
        .iter()
        .flat_map(|s| [s.to_string(), b64(s)])
        .collect();
    forms.push(b64(&format!("{AUDITOR_USER}:{AUDITOR_PW}")));
    forms.push(b64(&format!("sluice:{SN_PW}")));
    forms.push(b64(&format!("sluice:{OAUTH_SECRET}")));
    forms
}

fn assert_clean(what: &str, text: &str) {
    for secret in forms() {
        assert!(
            !text.contains(&secret),
            "{what} shows a secret ({secret}):\n{text}"
        );
    }
}

/// Layer: the credentials given as references, an environment variable, a command and a
/// file.
const REFERENCES: &str = r#"
[pipelines.p.source]
password = "${OPS_TEST_AUDITOR_PW}"

[pipelines.p.sink]
password = "exec:sh sn-password.sh"

[pipelines.p.sink.oauth]
client_id = "sluice"
client_secret = "file:oauth-secret.txt"
"#;

#[test]
fn no_secret_appears_in_any_output_log_status_or_the_state_store() {
    let (table, telemetry) = telemetry();
    let site = Site::with_emulators(
        AuditorConfig {
            password: AUDITOR_PW.to_owned(),
            ..AuditorConfig::default()
        },
        ServiceNowConfig {
            password: SN_PW.to_owned(),
            oauth_clients: vec![("sluice".to_owned(), OAUTH_SECRET.to_owned())],
            ..ServiceNowConfig::default()
        },
        &[&table, REFERENCES],
    );
    std::fs::write(
        site.dir().join("sn-password.sh"),
        format!("printf '%s\\n' '{SN_PW}'\n"),
    )
    .unwrap();
    std::fs::write(
        site.dir().join("oauth-secret.txt"),
        format!("{OAUTH_SECRET}\n"),
    )
    .unwrap();
    let env = [("OPS_TEST_AUDITOR_PW", AUDITOR_PW)];

    let (code, out, err) = site.sluice(&["validate", "--json", "--environment"], &env);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_clean("validate --json", &format!("{out}{err}"));

    // Failures on both sides, so errors are logged and stored too.
    site.auditor.set_faults(AuditorFaults {
        unavailable_next: 2,
        ..AuditorFaults::default()
    });
    site.servicenow.set_faults(Faults {
        server_error: Trigger::next(2),
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    let daemon = site.run().global(&["-v"]).env(&env).start();
    site.queue(&distinct_alerts(&site.auditor, 4));
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    for path in ["metrics", "readyz", "healthz"] {
        let (_, body) = site.get(&format!("http://{telemetry}/{path}"));
        assert_clean(path, &body);
    }
    for args in [&["status", "--json"][..], &["status"][..]] {
        let (code, out, err) = site.sluice(args, &env);
        assert_eq!(code, Some(0), "{err}");
        assert_clean("status", &format!("{out}{err}"));
        assert!(out.contains("Alert 00"), "{out}");
    }
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains(" DEBUG "), "the log is at debug level:\n{log}");
    assert!(log.contains("Opened a ticket."), "{log}");
    assert!(log.contains("will be retried"), "{log}");
    assert_clean("sluice run -v", &log);

    // JSON log lines, a second run.
    let daemon = site
        .run()
        .global(&["-v", "--log-format", "json"])
        .env(&env)
        .start();
    let rid = write_modifications(&site.auditor, 1).remove(0);
    site.queue(&[("Second run".to_owned(), rid)]);
    daemon.wait_until("the alert delivered", || site.unfinished() == 0);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains(r#""level":"DEBUG""#), "{log}");
    assert_clean("sluice run -v --log-format json", &log);

    // A secret that lands in an invalid value is shown only as <redacted>.
    site.configure(&[
        &table,
        REFERENCES,
        "[pipelines.p.source]\ncount = \"${OPS_TEST_AUDITOR_PW}\"",
    ]);
    let (code, out, err) = site.sluice(&["validate", "--json"], &env);
    assert_eq!(code, Some(78), "{out}{err}");
    assert!(out.contains("<redacted>"), "{out}");
    assert_clean(
        "validate --json of an invalid config",
        &format!("{out}{err}"),
    );

    let mut store_files = Vec::new();
    for entry in std::fs::read_dir(site.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("state.db")
        {
            store_files.push(path);
        }
    }
    assert!(!store_files.is_empty());
    for path in store_files {
        let bytes = std::fs::read(&path).unwrap();
        assert_clean(
            &path.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
}

#[test]
fn a_secret_inside_an_error_message_is_redacted_wherever_the_error_is_shown() {
    const TOKEN: &str = "probe-token-5e6f7a";
    let (table, telemetry) = telemetry();
    let port = closed_port();
    // The probe source's healthcheck GETs this URL; the error quotes it, token and all.
    let site = Site::new(&[]);
    site.write_config(&format!(
        r#"[state]
path = "state.db"
{table}
[pipelines.p.source]
type = "probe_source"
healthcheck_url = "http://127.0.0.1:{port}/health?token=${{OPS_PROBE_TOKEN}}"

[pipelines.p.sink]
type = "probe_sink"
"#
    ));
    // The probe plugin is built outside the workspace; `sluice` is told where.
    let probe = crate::util::probe_plugin();
    let plugin_dir = ["--plugin-dir", probe.parent().unwrap().to_str().unwrap()];
    let env = [("OPS_PROBE_TOKEN", TOKEN)];

    let daemon = site
        .run()
        .global(&plugin_dir)
        .args(&["--require-healthy"])
        .env(&env)
        .spawn();
    let Exit { code, log } = daemon.wait();
    assert_eq!(code, Some(69), "{log}");
    assert!(log.contains("token=<redacted>"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");

    let daemon = site
        .run()
        .global(&plugin_dir)
        .global(&["-v", "--log-format", "json"])
        .env(&env)
        .start();
    let (status, body) = site.get(&format!("http://{telemetry}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("token=<redacted>"), "{body}");
    assert!(!body.contains(TOKEN), "{body}");
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("Healthcheck failed."), "{log}");
    assert!(log.contains("token=<redacted>"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
}
