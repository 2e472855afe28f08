//! SIGTERM in the middle of delivery: the batch in flight finishes, what is left stays
//! queued, nothing is half-done; the next run delivers the rest, opening no ticket twice.

use std::collections::HashSet;

use sluice_emulators::servicenow::Faults;

use crate::support::{distinct_alerts, Exit, Site};

#[test]
fn sigterm_mid_delivery_finishes_the_batch_and_the_next_run_delivers_the_rest_once() {
    // Slow creates, small batches: delivery takes many batches, and a stop lands in one.
    let site = Site::new(&[
        "[pipelines.p.delivery]\nbatch = 4\n\n[pipelines.p.suppression]\nticket_flood_limit = 1000\n",
    ]);
    site.servicenow.set_faults(Faults {
        latency_ms: 150,
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    let alerts = distinct_alerts(&site.auditor, 32);
    site.queue(&alerts);

    let daemon = site.run().spawn();
    daemon.wait_until("a few batches delivered", || site.incidents().len() >= 8);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("signal=SIGTERM"), "{log}");
    assert!(log.contains("Stopped cleanly."), "{log}");

    // Nothing half-done: no action left in flight, and every incident the sink has is one
    // the store knows it opened.
    let store = site.store();
    let in_flight: i64 = store
        .sqlite()
        .query_row(
            "SELECT count(*) FROM outbox WHERE state = 'in_flight'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_flight, 0);
    let opened: i64 = store
        .sqlite()
        .query_row(
            "SELECT count(*) FROM outbox WHERE kind = 'open' AND state = 'done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let delivered = site.incidents().len();
    assert_eq!(
        delivered as i64, opened,
        "the store records every ticket the sink opened"
    );
    assert!(
        delivered < alerts.len(),
        "the stop came in the middle of delivery (all {delivered} were delivered first)"
    );

    // `sluice status` shows what is left.
    let (code, status, stderr) = site.sluice(&["status", "--json"], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let pending = status["pipelines"][0]["queue"]["pending"].as_u64().unwrap();
    assert_eq!(pending as usize, alerts.len() - delivered, "{status}");

    // The next run delivers the rest; nothing twice, nothing lost.
    let daemon = site.run().spawn();
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(
        site.alert_states(),
        vec![("done".to_owned(), alerts.len() as u64)]
    );
    let incidents = site.incidents();
    let keys: HashSet<&str> = incidents.iter().map(|i| i.get("correlation_id")).collect();
    assert_eq!(incidents.len(), alerts.len(), "one incident per alert");
    assert_eq!(keys.len(), alerts.len(), "no correlation key twice");
}

#[test]
fn a_second_sigterm_exits_at_once_and_the_next_run_opens_no_ticket_twice() {
    let site = Site::new(&[]);
    site.servicenow.set_faults(Faults {
        latency_ms: 2000,
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    let alerts = distinct_alerts(&site.auditor, 1);
    site.queue(&alerts);
    let daemon = site.run().spawn();
    let in_flight = || -> i64 {
        site.store()
            .sqlite()
            .query_row(
                "SELECT count(*) FROM outbox WHERE state = 'in_flight'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    daemon.wait_until("the open in flight", || in_flight() == 1);
    daemon.signal("TERM");
    daemon.wait_for_lines("Stopping: finishing the batches in progress.", 1);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("Second stop signal: exiting now"), "{log}");
    assert_eq!(in_flight(), 1, "interrupted in the middle of the call");

    site.servicenow.set_faults(Faults::default());
    let daemon = site.run().spawn();
    daemon.wait_until("the alert delivered", || site.unfinished() == 0);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("Recovered ticket actions interrupted by a stop"),
        "{log}"
    );
    assert_eq!(site.incidents().len(), 1, "{log}");
}
