//! What a reload touches: only the pipelines whose settings or alert files changed are
//! stopped and started again; a new `[telemetry]` is applied at the next restart, and the
//! rest of the new config at once; a reload that changes `[state]` is refused; an alert
//! disabled with `sluice alerts disable` applies to the running host and to Auditor's
//! response actions, as the command says.
//!
//! ```text
//!   sluice.toml (p, q) ──edit q──► sluice run: q restarted, p runs on
//!   + [telemetry] ──► "applies at the next restart", reload counted as a success
//!   + [state] ──► refused, naming the key; the pipelines run on
//!   sluice alerts disable ──► running host reloads ──► a response action is ignored
//! ```

use crate::support::{distinct_alerts, write_lockout, Exit, Site};

/// A second pipeline, `q`, between the same emulators.
fn second_pipeline(site: &Site, extra: &str) -> String {
    format!(
        r#"
[state]
path = "state.db"

[pipelines.q.source]
type = "netwrix_auditor"
endpoint = "{auditor}"
username = 'CORP\svc-sluice'
password = "sluice-demo"

[pipelines.q.sink]
type = "servicenow"
endpoint = "{servicenow}"
release = "london"
username = "sluice"
password = "sluice"
{extra}"#,
        auditor = site.auditor_url(),
        servicenow = site.servicenow_url(),
    )
}

#[test]
fn a_reload_restarts_only_the_pipelines_that_changed() {
    let site = Site::new(&[]);
    let q = second_pipeline(&site, "");
    site.configure(&[&q]);
    let daemon = site.run().args(&["--no-watch-config"]).start();

    let edited = second_pipeline(&site, "\n[pipelines.q.delivery]\nbatch = 7\n");
    site.configure(&[&edited]);
    daemon.signal("HUP");
    daemon.wait_for_lines("Reloaded the config.", 1);
    let log = daemon.log();
    assert!(log.contains(r#"restarted=["q"]"#), "{log}");
    let stopped: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Pipeline stopped."))
        .collect();
    assert_eq!(stopped.len(), 1, "only q stopped: {stopped:?}");
    assert!(stopped[0].contains("pipeline=q"), "{stopped:?}");

    // Nothing changed: nothing restarted.
    daemon.signal("HUP");
    daemon.wait_for_lines("Reloaded the config.", 2);
    assert!(daemon.log().contains("restarted=[]"), "{}", daemon.log());

    // p still delivers.
    site.queue(&distinct_alerts(&site.auditor, 1));
    daemon.wait_until("p delivered", || site.incidents().len() == 1);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn telemetry_added_to_a_running_config_waits_for_a_restart_and_the_rest_applies() {
    let site = Site::new(&[]);
    let daemon = site.run().args(&["--no-watch-config"]).start();
    let (table, _) = crate::support::telemetry();
    let v2 = "[pipelines.p.ticket]\nshort_description = \"v2: %AlertName%\"\n";
    site.configure(&[&table, v2]);
    daemon.signal("HUP");
    daemon.wait_for_lines("Reloaded the config.", 1);
    let log = daemon.log();
    assert!(!log.contains("The new config is invalid"), "{log}");
    assert!(
        log.contains("the new [telemetry] applies at the next restart"),
        "{log}"
    );
    site.queue(&distinct_alerts(&site.auditor, 1));
    daemon.wait_until("a ticket", || site.incidents().len() == 1);
    assert_eq!(
        site.incidents()[0].get("short_description"),
        "v2: Alert 00",
        "the rest of the new config applied"
    );
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

/// The state store is the running host's (its lock, its identity, its checkpoints): a reload
/// that changes `[state]` is refused, names the key, and the pipelines run on as they were.
#[test]
fn a_reload_that_changes_the_state_settings_is_refused_naming_the_key() {
    let site = Site::new(&[]);
    let daemon = site.run().args(&["--no-watch-config"]).start();
    site.configure(&["[state]\ncheckpoint_interval = \"1m\"\n"]);
    daemon.signal("HUP");
    daemon.wait_for_lines("which needs a restart", 1);
    let log = daemon.log();
    assert!(
        log.contains("[state] checkpoint_interval cannot change while sluice runs"),
        "{log}"
    );
    site.queue(&distinct_alerts(&site.auditor, 1));
    daemon.wait_until("a ticket", || site.incidents().len() == 1);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn an_alert_disabled_by_the_command_is_ignored_by_the_running_host() {
    let site = Site::new(&["\n[pipelines.p.intake]\nalerts = \"alerts\"\n"]);
    let alerts = site.dir().join("alerts");
    std::fs::create_dir(&alerts).unwrap();
    std::fs::write(
        alerts.join("locked.toml"),
        "name = \"Locked Out\"\n[filters]\nDetail = \"Account Locked Out\"\n",
    )
    .unwrap();
    let daemon = site.run().start();
    let (code, out, err) = site.sluice(&["alerts", "disable", "Locked Out"], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("A running `sluice run` notices the edit"),
        "{out}"
    );
    daemon.wait_for_lines("Reloaded the config.", 1);

    let rid = write_lockout(&site.auditor, "jsmith", "2026-01-05T08:00:00Z");
    site.queue(&[("Locked Out", rid.as_str())]);
    daemon.wait_until("the alert settled", || site.unfinished() == 0);
    assert_eq!(site.alert_states(), vec![("ignored".to_owned(), 1)]);
    assert!(site.incidents().is_empty());

    let (_, listing, _) = site.sluice(&["alerts", "list"], &[]);
    assert!(
        listing.contains("Auditor's response action still queues it but sluice ignores it"),
        "{listing}"
    );
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}
