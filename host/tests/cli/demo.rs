//! `sluice demo`: the README's main command, run as a user runs it, with the real plugins.
//!
//! ```text
//!   test ──spawns──► sluice demo ──► emulators on loopback (in the demo process)
//!                        ├─spawns─► sluice alerts upload / disable
//!                        └─spawns─► sluice alert-response (Auditor's response action)
//! ```

use serde_json::Value;

use crate::util::{run, sluice, text, workspace_plugin};

fn real_plugins() {
    workspace_plugin("sluice-source-netwrix-auditor");
    workspace_plugin("sluice-sink-servicenow");
}

#[test]
fn the_demo_reports_every_ticket_update_reopen_and_suppressed_alert() {
    real_plugins();
    let out = run(sluice().args(["demo", "--json"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));

    // 1 lockout and its repeat, 6 Domain Admins changes, 40 accounts over the failed-logon
    // threshold in the spray.
    assert_eq!(report["alerts_received"], 48, "{report:#}");
    assert_eq!(report["alerts_by_intake"]["response_action"], 2);
    assert_eq!(report["alerts_by_intake"]["polling"], 46);
    // The lockout, the Domain Admins burst, 9 spray accounts up to the flood limit of 10 per
    // hour in the polling pipeline, and the flood ticket.
    assert_eq!(report["tickets_created"], 12);
    assert_eq!(report["flood_tickets"], 1);
    // The burst's repeats, the flood ticket's listing, the lockout's repeat.
    assert_eq!(report["tickets_updated"], 3);
    assert_eq!(report["tickets_reopened"], 1);
    assert_eq!(report["alerts_suppressed"], 37);
    assert_eq!(report["alerts_suppressed_by_reason"]["consolidated"], 6);
    assert_eq!(report["alerts_suppressed_by_reason"]["flood"], 31);

    let tickets = report["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 12);
    let mut numbers: Vec<&str> = tickets
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert!(numbers
        .iter()
        .all(|n| n.len() == 10 && n.starts_with("INC")));
    numbers.dedup();
    assert_eq!(numbers.len(), 12, "one incident per ticket");

    let lockout = &tickets[0];
    assert_eq!(
        lockout["short_description"],
        "[Netwrix Auditor] ITSM Add-On: User Account Locked Out"
    );
    assert_eq!(lockout["state"], "New", "reopened after it was resolved");
    assert_eq!(
        lockout["alerts"], 2,
        "Auditor's retried response action is ignored"
    );
    assert_eq!(lockout["reopens"], 1);

    let flood: Vec<&Value> = tickets.iter().filter(|t| t["kind"] == "flood").collect();
    assert_eq!(flood.len(), 1);
    assert_eq!(flood[0]["alerts"], 31);
    let spray = tickets
        .iter()
        .filter(|t| {
            t["short_description"]
                .as_str()
                .unwrap()
                .ends_with("Repeated Failed Logons")
        })
        .count();
    assert_eq!(spray, 9);
}

#[test]
fn the_demo_prints_a_readable_report_and_can_keep_its_files() {
    real_plugins();
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo");
    let out = run(sluice().arg("demo").arg("--dir").arg(&kept));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for line in [
        "Tickets created        12  (1 flood ticket)",
        "Tickets reopened        1",
        "INC0010001  New       [Netwrix Auditor] ITSM Add-On: User Account Locked Out",
        "[Netwrix Auditor] Alert flood: over 10 new tickets within 1h  (31 alerts, 1 update)",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(
        text(&out.stderr).trim().is_empty(),
        "a healthy demo logs nothing: {}",
        text(&out.stderr)
    );

    // What it kept is a valid config whose polling pipeline leaves lockouts to Auditor.
    let config = kept.join("sluice.toml");
    let validate = run(sluice().arg("validate").arg("--config").arg(&config));
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        text(&validate.stderr)
    );
    let lockout_enabled = |pipeline: &str| {
        let list = run(sluice()
            .args([
                "alerts",
                "list",
                "--json",
                "--pipeline",
                pipeline,
                "--config",
            ])
            .arg(&config));
        let listing: Value = serde_json::from_slice(&list.stdout).unwrap();
        let alerts = listing["alerts"].as_array().unwrap();
        assert_eq!(
            alerts.len(),
            12,
            "the shipped set was installed for {pipeline}"
        );
        alerts
            .iter()
            .find(|a| a["name"] == "ITSM Add-On: User Account Locked Out")
            .map(|a| a["enabled"] == true)
            .unwrap()
    };
    assert!(lockout_enabled("auditor-alerts"));
    assert!(!lockout_enabled("auditor-polling"));
    assert!(kept.join("sluice.db").exists());

    // A second run refuses to write over the kept files.
    let again = run(sluice().arg("demo").arg("--dir").arg(&kept));
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("is not empty"),
        "{}",
        text(&again.stderr)
    );
}

/// The samples of a Prometheus text exposition: `(name, labels, value)`.
fn samples(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            (name.to_owned(), labels.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// The sum of `name`'s samples whose labels contain every one of `labels`.
fn total(samples: &[(String, String, f64)], name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(n, l, _)| n == name && labels.iter().all(|want| l.contains(want)))
        .map(|(_, _, v)| v)
        .sum()
}

#[test]
fn the_metrics_after_a_demo_run_count_what_the_report_says() {
    real_plugins();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.txt");
    let out = run(sluice().args(["demo", "--json", "--metrics"]).arg(&file));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let exposition = std::fs::read_to_string(&file).unwrap();
    assert!(exposition.ends_with("# EOF\n"), "OpenMetrics text");
    let s = samples(&exposition);
    let of = |name: &str, labels: &[&str]| total(&s, name, labels);
    let reported = |key: &str| report[key].as_f64().unwrap();

    assert_eq!(
        of("sluice_alerts_received_total", &[]),
        reported("alerts_received")
    );
    assert_eq!(
        of(
            "sluice_alerts_received_total",
            &["pipeline=\"auditor-alerts\""]
        ),
        2.0
    );
    assert_eq!(
        of("sluice_tickets_created_total", &[]),
        reported("tickets_created")
    );
    assert_eq!(
        of("sluice_tickets_created_total", &["kind=\"flood\""]),
        reported("flood_tickets")
    );
    assert_eq!(
        of("sluice_tickets_updated_total", &[]),
        reported("tickets_updated")
    );
    assert_eq!(
        of("sluice_tickets_reopened_total", &[]),
        reported("tickets_reopened")
    );
    assert_eq!(
        of(
            "sluice_alerts_suppressed_total",
            &["reason=\"consolidated\""]
        ),
        6.0
    );
    assert_eq!(
        of("sluice_alerts_suppressed_total", &["reason=\"flood\""]),
        31.0
    );
    // Every record the polling pipeline read: the spray, the burst and both lockouts.
    assert_eq!(
        of("sluice_records_fetched_total", &["intake=\"poll\""]),
        508.0
    );
    assert_eq!(
        of(
            "sluice_records_fetched_total",
            &["intake=\"response_action\""]
        ),
        2.0
    );
    for pipeline in ["auditor-alerts", "auditor-polling"] {
        let label = format!("pipeline=\"{pipeline}\"");
        assert!(
            of("sluice_sink_latency_seconds_count", &[&label]) > 0.0,
            "{pipeline} timed its sink calls"
        );
    }
    assert_eq!(of("sluice_queue_depth", &[]), 0.0, "nothing left queued");
    let outcome = |o: &str| format!("outcome=\"{o}\"");
    assert_eq!(
        of("sluice_ticket_actions_total", &[&outcome("retried")]),
        0.0
    );
    assert_eq!(
        of("sluice_ticket_actions_total", &[&outcome("dead_lettered")]),
        0.0
    );
    assert!(of("sluice_ticket_actions_total", &[&outcome("done")]) > 0.0);
}
