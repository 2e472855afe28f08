//! Health at start and while running: `--require-healthy` with a sink that cannot be reached,
//! `/healthz` and `/readyz` following the sink down and up, and `/metrics` after a run.

use sluice_emulators::servicenow::{ServiceNow, ServiceNowConfig};

use crate::support::{closed_port, distinct_alerts, metric, telemetry, Exit, Site};

/// A layer pointing the sink at `port` on loopback, where nothing listens.
fn sink_on(port: u16) -> String {
    format!("[pipelines.p.sink]\nendpoint = \"http://127.0.0.1:{port}\"\n")
}

#[test]
fn require_healthy_exits_69_naming_the_sink_that_cannot_be_reached() {
    let site = Site::new(&[&sink_on(closed_port())]);
    let daemon = site.run().args(&["--require-healthy"]).spawn();
    let Exit { code, log } = daemon.wait();
    assert_eq!(code, Some(69), "{log}");
    assert!(
        log.contains("error: pipeline p: the sink cannot be reached:"),
        "{log}"
    );
    assert!(
        log.contains("1 component(s) failed their healthcheck; not starting (--require-healthy)"),
        "{log}"
    );
    assert!(!log.contains("sluice is running."), "{log}");
}

#[test]
fn readyz_follows_the_sink_and_metrics_count_what_a_run_did() {
    let port = closed_port();
    let (table, addr) = telemetry();
    let site = Site::new(&[
        &sink_on(port),
        &format!("\n[pipelines.p.suppression]\nconsolidation_interval = \"0s\"\n{table}"),
    ]);
    // Without --require-healthy, an unreachable sink is logged and sluice runs on.
    let daemon = site.run().start();

    let (status, body) = site.get(&format!("http://{addr}/healthz"));
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, body) = site.get(&format!("http://{addr}/readyz"));
    assert_eq!(status, 503, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["pipelines"]["p"]["source"]["state"], "up", "{ready}");
    assert_eq!(ready["pipelines"]["p"]["sink"]["state"], "down", "{ready}");

    // The sink comes up on that port; the next delivery shows it.
    let servicenow = ServiceNow::new(ServiceNowConfig::default());
    crate::support::ports::release(port);
    let _served = site.block_on(async {
        sluice_emulators::serve(servicenow.router(), ([127, 0, 0, 1], port).into())
            .await
            .expect("serve ServiceNow on the port sluice was given")
    });
    let records = distinct_alerts(&site.auditor, 3);
    // Two alert types; the second repeats: 2 tickets, 1 consolidated update.
    let alerts = vec![
        records[0].clone(),
        records[1].clone(),
        ("Alert 01".to_owned(), records[2].1.clone()),
    ];
    site.queue(&alerts);
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    daemon.wait_until("ready", || {
        site.get(&format!("http://{addr}/readyz")).0 == 200
    });

    let (status, metrics) = site.get(&format!("http://{addr}/metrics"));
    assert_eq!(status, 200);
    for expected in [
        r#"sluice_records_fetched_total{pipeline="p",plugin="netwrix-auditor",intake="response_action"} 3"#,
        r#"sluice_alerts_received_total{pipeline="p"} 3"#,
        r#"sluice_tickets_created_total{pipeline="p",plugin="servicenow",kind="alert"} 2"#,
        r#"sluice_tickets_created_total{pipeline="p",plugin="servicenow",kind="flood"} 0"#,
        r#"sluice_alerts_suppressed_total{pipeline="p",reason="consolidated"} 1"#,
        r#"sluice_tickets_updated_total{pipeline="p",plugin="servicenow"} 1"#,
        r#"sluice_queue_depth{pipeline="p",state="pending"} 0"#,
        r#"sluice_component_up{pipeline="p",plugin="servicenow",component="sink"} 1"#,
        r#"sluice_build_info{version=""#,
        r#"sluice_ticket_actions_total{pipeline="p",plugin="servicenow",outcome="done"} 3"#,
        r#"sluice_ticket_actions_total{pipeline="p",plugin="servicenow",outcome="dead_lettered"} 0"#,
        r#"sluice_dead_letters{pipeline="p"} 0"#,
        r#"sluice_flood_active{pipeline="p"} 0"#,
        r#"sluice_flood_window_tickets{pipeline="p"} 2"#,
        "# TYPE sluice_last_successful_delivery_timestamp_seconds gauge",
        "# TYPE sluice_config_last_reload_success_timestamp_seconds gauge",
        "# TYPE process_cpu_seconds counter",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE sluice_sink_latency_seconds histogram",
    ] {
        assert!(metrics.contains(expected), "{expected}\n{metrics}");
    }
    let sink_calls = metric(
        &metrics,
        r#"sluice_sink_latency_seconds_count{pipeline="p",plugin="servicenow"}"#,
    );
    assert!(sink_calls >= Some(2.0), "{metrics}");
    let fresh = |series: &str| {
        let at = metric(&metrics, series).unwrap_or_else(|| panic!("{series}\n{metrics}"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((now - 600.0..=now + 1.0).contains(&at), "{series} {at}");
    };
    fresh(r#"sluice_last_successful_delivery_timestamp_seconds{pipeline="p"}"#);
    fresh(r#"sluice_last_successful_fetch_timestamp_seconds{pipeline="p"}"#);
    fresh("sluice_config_last_reload_success_timestamp_seconds");
    fresh("process_start_time_seconds");
    assert!(
        metric(&metrics, "process_cpu_seconds_total") > Some(0.0),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            r#"revision="{}""#,
            std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        )) || metrics.contains(r#"revision="unknown""#),
        "build_info names the revision: {metrics}"
    );
    assert_eq!(servicenow.incidents().len(), 2);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("The sink answers again."), "{log}");
}
