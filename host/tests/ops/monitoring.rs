//! The monitoring kit in `dist/`: the Prometheus alerting rules pass `promtool check rules`
//! and their unit tests (`promtool test rules`), each rule links to a runbook section of
//! docs/operating.md, and every series the rules and the Grafana dashboard query is one a
//! running `sluice run` exports.
//!
//! ```text
//!   dist/prometheus/*.yml ──► promtool check rules, promtool test rules
//!   dist/prometheus, dist/grafana ──names──► ⊆ /metrics of sluice run (telemetry on)
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sluice_emulators::servicenow::{Faults, Trigger};

use crate::support::{distinct_alerts, telemetry, Exit, Site};

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `promtool`, or `None` when it is not installed and this is not CI.
fn promtool() -> Option<&'static str> {
    crate::support::installed(
        "promtool",
        "prometheus",
        "the alerting rules are not checked here",
    )
    .then_some("promtool")
}

#[test]
fn the_alerting_rules_pass_promtool_and_their_unit_tests() {
    let Some(promtool) = promtool() else {
        return;
    };
    let rules = dist().join("prometheus");
    for args in [
        ["check", "rules", "sluice-rules.yml"],
        ["test", "rules", "sluice-rules.test.yml"],
    ] {
        let out = Command::new(promtool)
            .args(args)
            .current_dir(&rules)
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The anchors GitHub gives the headings of a Markdown file: lower case, spaces to dashes,
/// other punctuation dropped.
fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| {
            h.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_alerting_rule_has_a_severity_and_a_runbook_section() {
    let rules = read(&dist().join("prometheus/sluice-rules.yml"));
    let docs = anchors(&read(&dist().join("../docs/operating.md")));
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 6, "{alerts:?}");
    let severities = rules.matches("severity: ").count();
    assert_eq!(severities, alerts.len(), "one severity per rule");
    let urls: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runbook_url: "))
        .collect();
    assert_eq!(urls.len(), alerts.len(), "one runbook link per rule");
    for (alert, url) in alerts.iter().zip(&urls) {
        let anchor = url.trim_matches('"').rsplit_once('#').map(|(_, a)| a);
        assert_eq!(
            anchor,
            Some(alert.to_lowercase().as_str()),
            "{alert}: {url}"
        );
        assert!(
            docs.contains(&alert.to_lowercase()),
            "docs/operating.md has no section {alert} for the runbook link {url}"
        );
    }
}

/// The metric names `text` (PromQL) uses: sluice's own and the process metrics.
fn queried(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| t.starts_with("sluice_") || t.starts_with("process_"))
        .map(str::to_owned)
        .collect()
}

/// Every expression of the dashboard, wherever it sits in the JSON.
fn expressions(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("expr" | "query", serde_json::Value::String(e)) => out.push(e.clone()),
                    _ => expressions(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| expressions(v, out)),
        _ => {}
    }
}

/// The sample names `/metrics` can hold: each family's name, with the suffixes its type adds.
fn exported(metrics: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                "info" => &["_info"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
        }
    }
    names
}

#[test]
fn the_dashboard_and_the_rules_query_only_series_sluice_exports() {
    let (table, addr) = telemetry();
    // Response actions and polling both, so that the polling series are there too.
    let polls = "\n[pipelines.p.intake]\npoll = true\npoll_interval = \"1h\"\n";
    let site = Site::new(&[&table, polls]);
    let daemon = site.run().start();
    // One request refused as busy (429) and one delivery: every series that appears with its first event
    // (an error class, the freshness gauges) is there.
    site.servicenow.set_faults(Faults {
        busy: Trigger::next(1),
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    site.queue(&distinct_alerts(&site.auditor, 1));
    daemon.wait_until("the alert delivered", || site.unfinished() == 0);
    let (status, metrics) = site.get(&format!("http://{addr}/metrics"));
    assert_eq!(status, 200, "{metrics}");
    let exported = exported(&metrics);
    assert!(exported.contains("sluice_queue_depth"), "{metrics}");

    let dashboard: serde_json::Value =
        serde_json::from_str(&read(&dist().join("grafana/sluice.json"))).expect("dashboard JSON");
    let mut exprs = Vec::new();
    expressions(&dashboard, &mut exprs);
    assert!(exprs.len() >= 15, "{exprs:?}");
    let from_dashboard: BTreeSet<String> = exprs.iter().flat_map(|e| queried(e)).collect();
    let from_rules = queried(&read(&dist().join("prometheus/sluice-rules.yml")));
    for (what, names) in [("dashboard", &from_dashboard), ("rules", &from_rules)] {
        let missing: Vec<&String> = names.difference(&exported).collect();
        assert!(
            missing.is_empty(),
            "the {what} queries series sluice does not export: {missing:?}\nexported: {exported:?}"
        );
    }
    for essential in [
        "sluice_ticket_actions_total",
        "sluice_last_successful_fetch_timestamp_seconds",
        "sluice_last_successful_delivery_timestamp_seconds",
        "sluice_dead_letters",
        "sluice_flood_active",
        "process_cpu_seconds_total",
    ] {
        assert!(
            from_dashboard.contains(essential),
            "the dashboard shows {essential}"
        );
    }
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}
