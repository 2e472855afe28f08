//! ServiceNow as sites run it today, end to end: `sluice demo` on today's releases, `sluice
//! validate` refusing a sign-in the configured release lacks, and an API key revoked while
//! `sluice run` delivers: nothing is lost, and the alerts go out once the key is replaced.

use sluice_emulators::servicenow::{Release, ServiceNowConfig};

use crate::ledger::{account, Expect};
use crate::support::{write_lockout, Site, BRISK};
use crate::util::{run, sluice, text, workspace_plugin};

const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";
const ALERT_ID: &str = "{6F1C0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}";

#[test]
fn the_demo_runs_on_todays_releases_however_they_are_written() {
    workspace_plugin("sluice-source-netwrix-auditor");
    workspace_plugin("sluice-sink-servicenow");
    for (written, title) in [("zurich", "Zurich"), ("Washington DC", "Washington DC")] {
        let out = run(sluice().args(["demo", "--json", "--release", written]));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{written}: {}",
            text(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
        assert_eq!(report["servicenow_release"], title);
        // The same story as on London: the lockout was resolved with today's close code and
        // reopened by its repeat.
        assert_eq!(report["tickets_created"], 12, "{report:#}");
        assert_eq!(report["tickets_reopened"], 1, "{report:#}");
    }
    let out = run(sluice().args(["demo", "--release", "ankara"]));
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`ankara`") && stderr.contains("washingtondc"),
        "{stderr}"
    );
}

/// `text` without its `username` and `password` lines: a sign-in that needs no user.
fn without_user(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("username = \"sluice\""))
        .filter(|l| !l.trim_start().starts_with("password = \"sluice\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn validate_refuses_an_api_key_on_a_release_before_washington_dc() {
    let site = Site::new(&[]);
    let text = site.configure(&[r#"
        [pipelines.p.sink]
        api_key = "${SN_API_KEY}"
    "#]);
    site.write_config(&without_user(&text));
    let key = [("SN_API_KEY", "sluice-api-key")];
    let (code, _, stderr) = site.sluice(&["validate"], &key);
    assert_eq!(code, Some(78), "{stderr}");
    assert!(stderr.contains("api_key"), "{stderr}");
    assert!(stderr.contains("Washington DC (2024)"), "{stderr}");
    assert!(
        !stderr.contains("sluice-api-key"),
        "the key is a secret: {stderr}"
    );
    let zurich = text.replace("release = \"london\"", "release = \"zurich\"");
    site.write_config(&without_user(&zurich));
    let (code, _, stderr) = site.sluice(&["validate"], &key);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_revoked_api_key_loses_nothing_and_a_new_key_delivers() {
    let layer = r#"
        [pipelines.p.sink]
        release = "zurich"
        api_key = "${SN_API_KEY}"
    "#;
    let site = Site::with_emulators(
        Default::default(),
        ServiceNowConfig::for_release(Release::Zurich),
        &[BRISK, layer],
    );
    let config = site.configure(&[BRISK, layer]);
    site.write_config(&without_user(&config));
    let first = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let second = write_lockout(&site.auditor, "asmith", "2025-03-11T09:45:12Z");

    let host = site.run().env(&[("SN_API_KEY", "sluice-api-key")]).start();
    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &first]);
    host.wait_settled(1);
    // The instance's administrator revokes the key; the next alert cannot be delivered.
    assert!(site.servicenow.revoke_api_key("sluice-api-key"));
    site.alert_response(&[
        "--alert-name",
        LOCKED_OUT,
        "{AAAA0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}",
        &second,
    ]);
    host.wait_for_lines("api_key", 1);
    let log = host.stop().assert_clean();
    assert!(log.contains("`api_key`"), "{log}");
    assert!(!log.contains("sluice-api-key"), "the key is never logged");
    assert_eq!(site.unfinished(), 1, "the second alert waits in the store");

    // A new key, issued and configured: the waiting alert goes out, once.
    site.servicenow.add_api_key("rotated-key", "sluice");
    let host = site.run().env(&[("SN_API_KEY", "rotated-key")]).start();
    host.wait_settled(2);
    host.stop().assert_clean();
    assert_eq!(site.unfinished(), 0);
    account(&site, Expect::delivered(2));
}

#[test]
fn a_pipeline_into_security_incidents_opens_reopens_and_leaves_closing_to_the_analyst() {
    let layer = r#"
        [pipelines.p.sink]
        release = "zurich"
        table = "sn_si_incident"
        close_code = "Confirmed incident"
    "#;
    let site = Site::with_emulators(
        Default::default(),
        ServiceNowConfig::for_release(Release::Zurich),
        &[BRISK, layer],
    );
    let states = site.servicenow.profile().security_incident_states;
    let value = |label: &str| {
        states
            .iter()
            .find(|(_, l)| l == label)
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    };
    let first = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = site.run().start();
    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &first]);
    host.wait_until("the security incident", || {
        site.servicenow.security_incidents().len() == 1
    });
    let sir = site.servicenow.security_incidents().remove(0);
    assert!(sir.number().starts_with("SIR"), "{}", sir.number());
    assert_eq!(sir.state(), value("Draft"));
    assert!(site.incidents().is_empty(), "nothing in the incident table");

    // The analyst finishes the response and puts it up for review; jdoe is locked out again.
    assert!(site
        .servicenow
        .set_security_incident_state(sir.sys_id(), "Review"));
    let again = write_lockout(&site.auditor, "jdoe", "2025-03-11T09:15:00Z");
    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &again]);
    host.wait_until("the reopen to Analysis", || {
        site.servicenow
            .security_incidents()
            .first()
            .is_some_and(|s| s.state() == value("Analysis"))
    });
    host.wait_settled(2);

    // Back through Review, the analyst closes it with a closure code.
    assert!(site
        .servicenow
        .set_security_incident_state(sir.sys_id(), "Closed"));
    host.stop().assert_clean();
    let closed = site.servicenow.security_incidents().remove(0);
    assert_eq!(
        (closed.state(), closed.get("active")),
        (value("Closed").as_str(), "false")
    );
    assert!(!closed.get("close_code").is_empty());
    assert_eq!(site.servicenow.security_incidents().len(), 1);
    let notes: Vec<_> = site
        .servicenow
        .journal(sir.sys_id())
        .into_iter()
        .filter(|e| e.element == "work_notes")
        .collect();
    assert!(notes.len() >= 2, "the repeat's note is on it: {notes:#?}");
    // (The ledger reads the incident table; here: nothing waits, nothing was given up on.)
    assert_eq!(site.unfinished(), 0);
    assert!(site.dead_letters().is_empty(), "{:?}", site.dead_letters());
}

#[test]
fn a_wrong_client_secret_loses_nothing_and_the_right_one_delivers() {
    let layer = r#"
        [pipelines.p.sink]
        release = "washingtondc"
        oauth = { grant = "client_credentials", client_id = "sluice", client_secret = "${SN_CLIENT_SECRET}" }
    "#;
    let mut servicenow = ServiceNowConfig::for_release(Release::WashingtonDc);
    servicenow.profile.client_credentials = true;
    let site = Site::with_emulators(Default::default(), servicenow, &[BRISK, layer]);
    let config = site.configure(&[BRISK, layer]);
    site.write_config(&without_user(&config));
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &rid]);

    let host = site
        .run()
        .env(&[("SN_CLIENT_SECRET", "s3cr3t-wrong")])
        .spawn();
    host.wait_for_lines("oauth.client_secret", 1);
    let log = host.stop().log;
    assert!(!log.contains("s3cr3t-wrong"), "the secret is never logged");
    assert!(site.incidents().is_empty());
    assert_eq!(site.unfinished(), 1, "the alert waits in the store");

    let host = site
        .run()
        .env(&[("SN_CLIENT_SECRET", "sluice-secret")])
        .start();
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(site.incidents().len(), 1);
    account(&site, Expect::delivered(1));
}
