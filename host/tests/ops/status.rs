//! `sluice status` while `sluice run` runs: the queue, what is being retried and why, then
//! the last fetch and delivery, the tickets taking repeats and the flood window.

use sluice_emulators::servicenow::{Faults, Trigger};

use crate::support::{distinct_alerts, Exit, Site};

#[test]
fn status_shows_retries_while_the_sink_fails_then_what_was_delivered() {
    let site = Site::new(&["\n[pipelines.p.suppression]\nticket_flood_limit = 2\n"]);
    let (code, _, stderr) = site.sluice(&["status"], &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("there is no state store at"), "{stderr}");

    let daemon = site.run().start();
    site.servicenow.set_faults(Faults {
        server_error: Trigger::probability(1.0),
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    let alerts = distinct_alerts(&site.auditor, 3);
    site.queue(&alerts);
    let status_json = || {
        let (code, out, err) = site.sluice(&["status", "--json"], &[]);
        assert_eq!(code, Some(0), "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    daemon.wait_until("status lists the actions being retried", || {
        status_json()["pipelines"][0]["retrying"]["total"] == 3
    });
    let status = status_json();
    let p = &status["pipelines"][0];
    assert_eq!(p["name"], "p");
    assert_eq!(
        p["queue"]["pending"].as_u64().unwrap() + p["queue"]["in_flight"].as_u64().unwrap(),
        3,
        "{p}"
    );
    let error = p["retrying"]["newest"][0]["error"].as_str().unwrap();
    assert!(error.contains("500"), "{p}");
    assert!(p["last_fetch"].is_string(), "{p}");
    assert!(p["last_delivery"].is_null(), "{p}");

    site.servicenow.set_faults(Faults::default());
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    let status = status_json();
    let p = &status["pipelines"][0];
    assert_eq!(p["retrying"]["total"], 0, "{p}");
    assert_eq!(p["alerts"]["done"], 3, "{p}");
    assert!(p["last_delivery"].is_string(), "{p}");
    let window = &p["flood_window"];
    assert_eq!(
        (&window["tickets"], &window["limit"], &window["active"]),
        (&2.into(), &2.into(), &true.into()),
        "{p}"
    );
    assert!(
        window["flood_ticket"]
            .as_str()
            .is_some_and(|n| n.starts_with("INC")),
        "{p}"
    );
    let open = p["open_tickets"].as_array().unwrap();
    assert_eq!(open.len(), 3, "two alert tickets and the flood ticket: {p}");
    assert_eq!(open[0]["alert"], "Alert 00");
    assert_eq!(open[0]["tickets"], 1);
    assert!(open[0]["newest"]["number"]
        .as_str()
        .is_some_and(|n| n.starts_with("INC")));
    assert_eq!(open[2]["kind"], "flood");

    let (code, human, _) = site.sluice(&["status"], &[]);
    assert_eq!(code, Some(0));
    assert!(human.contains("Pipeline p\n"), "{human}");
    assert!(human.contains("Flood window:   2 of 2 tickets"), "{human}");
    assert!(
        human.contains("Alert 00: 1 ticket(s), 1 alert(s); newest INC"),
        "{human}"
    );
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}
