//! Metrics: totals reported as deltas, calls classified, reachability followed, series of
//! removed pipelines dropped.

use std::time::Duration;

use sluice_core::{EngineObserver, EngineStats, SourceCall};
use sluice_sdk::{ActionOutcome, PluginError, Ticket};

use super::{Metrics, Reachability, Role};

/// The value of `series` in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn engine_totals_are_added_once_whatever_how_often_they_are_reported() {
    let metrics = Metrics::new();
    let mut p = metrics.pipeline("security", "netwrix-auditor", "servicenow");
    let mut stats = EngineStats {
        alerts: 5,
        opened: 2,
        consolidated: 2,
        flood_opened: 1,
        ..EngineStats::default()
    };
    stats.delivery.created = 2;
    stats.delivery.flood_created = 1;
    p.observe(&stats);
    p.observe(&stats);
    stats.alerts = 7;
    stats.flooded = 2;
    stats.delivery.retried = 3;
    p.observe(&stats);
    let text = metrics.render();
    for (series, expected) in [
        (r#"sluice_alerts_received_total{pipeline="security"}"#, 7.0),
        (
            r#"sluice_alerts_suppressed_total{pipeline="security",reason="flood"}"#,
            3.0,
        ),
        (
            r#"sluice_alerts_suppressed_total{pipeline="security",reason="consolidated"}"#,
            2.0,
        ),
        (
            r#"sluice_tickets_created_total{pipeline="security",plugin="servicenow",kind="alert"}"#,
            1.0,
        ),
        (
            r#"sluice_tickets_created_total{pipeline="security",plugin="servicenow",kind="flood"}"#,
            1.0,
        ),
        (
            r#"sluice_ticket_actions_total{pipeline="security",plugin="servicenow",outcome="retried"}"#,
            3.0,
        ),
    ] {
        assert_eq!(value(&text, series), Some(expected), "{series}\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[test]
fn sink_calls_are_timed_and_their_failures_classified_and_followed() {
    let metrics = Metrics::new();
    let p = metrics.pipeline("p", "src", "snow");
    let state = || metrics.reachability()[&("p".to_owned(), Role::Sink)].clone();
    assert_eq!(state(), Reachability::Unknown);

    let retry = ActionOutcome::Retry {
        reason: "HTTP 503".to_owned(),
        retry_after: None,
    };
    p.sink_called(Duration::ZERO, &[retry]);
    assert_eq!(state(), Reachability::Down("HTTP 503".to_owned()));

    let refused = ActionOutcome::Failed(PluginError::rejected("no such field"));
    p.sink_called(Duration::ZERO, &[refused]);
    assert_eq!(state(), Reachability::Up, "a refusal is an answer");
    assert!(!p.needs_check(Role::Sink, Duration::ZERO));

    p.sink_called(Duration::ZERO, &[ActionOutcome::Done(Ticket::default())]);
    let text = metrics.render();
    for (series, expected) in [
        (
            r#"sluice_errors_total{pipeline="p",plugin="snow",component="sink",class="transient"}"#,
            1.0,
        ),
        (
            r#"sluice_errors_total{pipeline="p",plugin="snow",component="sink",class="rejected"}"#,
            1.0,
        ),
        (
            r#"sluice_sink_latency_seconds_count{pipeline="p",plugin="snow"}"#,
            3.0,
        ),
        (
            r#"sluice_component_up{pipeline="p",plugin="snow",component="sink"}"#,
            1.0,
        ),
    ] {
        assert_eq!(value(&text, series), Some(expected), "{series}\n{text}");
    }
}

#[test]
fn source_calls_count_records_and_a_credentials_error_marks_it_down() {
    let metrics = Metrics::new();
    let p = metrics.pipeline("p", "auditor", "snow");
    p.source_called(SourceCall::Poll, Duration::ZERO, Ok(3));
    let refused = PluginError::credentials("401 for CORP\\svc");
    p.source_called(SourceCall::Poll, Duration::ZERO, Err(&refused));
    let text = metrics.render();
    assert_eq!(
        value(
            &text,
            r#"sluice_records_fetched_total{pipeline="p",plugin="auditor",intake="poll"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert!(matches!(
        &metrics.reachability()[&("p".to_owned(), Role::Source)],
        Reachability::Down(e) if e.contains("401")
    ));
    assert!(p.needs_check(Role::Source, Duration::ZERO));
}

#[test]
fn a_pipeline_a_reload_removed_loses_its_gauges_and_reachability() {
    let metrics = Metrics::new();
    let p = metrics.pipeline("old", "a", "b");
    p.contact(Role::Sink, Reachability::Up);
    metrics.pipeline("kept", "a", "b");
    metrics.keep_pipelines(&["kept"]);
    let text = metrics.render();
    assert!(!text.contains(r#"component_up{pipeline="old""#), "{text}");
    assert!(metrics
        .reachability()
        .keys()
        .all(|(pipeline, _)| pipeline == "kept"));
}
