//! Reloading the config while sluice runs: on a file change, on SIGHUP, with an invalid
//! config (kept out, the old one runs on), and in the middle of a flood (nothing lost, the
//! flood limit holds across reloads).

use std::collections::HashSet;

use sluice_emulators::servicenow::Faults;

use crate::support::{config, distinct_alerts, metric, telemetry, Daemon, Site, Systems};

/// Asserts the reload series: successes, failures, and whether the last one succeeded.
fn assert_reloads(systems: &Systems, addr: &str, success: f64, failure: f64, last_ok: bool) {
    let (_, metrics) = systems.get(&format!("http://{addr}/metrics"));
    for (series, expected) in [
        (r#"sluice_config_reloads_total{result="success"}"#, success),
        (r#"sluice_config_reloads_total{result="failure"}"#, failure),
        (
            "sluice_config_last_reload_successful",
            f64::from(u8::from(last_ok)),
        ),
    ] {
        assert_eq!(
            metric(&metrics, series),
            Some(expected),
            "{series}\n{metrics}"
        );
    }
}

#[test]
fn an_edited_config_file_is_reloaded_and_new_tickets_follow_it() {
    let systems = Systems::start();
    let (table, addr) = telemetry();
    let v1 = config(&systems, &table);
    let site = Site::new(&v1);
    let daemon = Daemon::start(&site, &[], &[], &[]);
    daemon.wait_for("sluice is running.", 1);

    let alerts = distinct_alerts(&systems, 6);
    site.queue(&alerts[..3]);
    daemon.wait_until("3 tickets", || systems.incidents().len() == 3);

    let v2 = format!(
        "{v1}\n[pipelines.p.ticket]\nshort_description = \"v2: %AlertName%\"\n\
         work_notes = \"%AlertName%\"\n"
    );
    site.write_config(&v2);
    daemon.wait_for("Reloaded the config.", 1);
    site.queue(&alerts[3..]);
    daemon.wait_until("6 tickets", || systems.incidents().len() == 6);

    let mut titles: Vec<String> = systems
        .incidents()
        .iter()
        .map(|i| i.get("short_description").to_owned())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "[Netwrix Auditor] Alert 00",
            "[Netwrix Auditor] Alert 01",
            "[Netwrix Auditor] Alert 02",
            "v2: Alert 03",
            "v2: Alert 04",
            "v2: Alert 05",
        ]
    );
    assert_reloads(&systems, &addr, 1.0, 0.0, true);
    // Ctrl-C stops it as SIGTERM does.
    daemon.signal("INT");
    let (code, log) = daemon.wait();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("trigger=the config files changed"), "{log}");
    assert!(log.contains("signal=SIGINT"), "{log}");
    assert!(log.contains("Stopped cleanly."), "{log}");
}

#[test]
fn an_invalid_config_is_refused_with_its_place_and_the_old_one_runs_on() {
    let systems = Systems::start();
    let (table, addr) = telemetry();
    let good = config(&systems, &table);
    let site = Site::new(&good);
    let daemon = Daemon::start(&site, &[], &["--no-watch-config"], &[]);
    daemon.wait_for("sluice is running.", 1);

    // A host key misspelled (the host's keys are checked first), with file, line and column.
    let bad = good.replace("retry_max = ", "retry_mx = ");
    site.write_config(&bad);
    daemon.signal("HUP");
    daemon.wait_for("the running pipelines keep the previous one", 1);
    let log = daemon.output();
    let line_of = |key: &str| good.lines().position(|l| l.contains(key)).unwrap() + 1;
    assert!(
        log.contains(&format!(
            "sluice.toml:{}:1: pipelines.p.delivery.retry_mx: unknown field `retry_mx`",
            line_of("retry_max")
        )),
        "{log}"
    );
    assert_reloads(&systems, &addr, 0.0, 1.0, false);

    // The old config still runs: alerts are delivered.
    let alerts = distinct_alerts(&systems, 2);
    site.queue(&alerts);
    daemon.wait_until("2 tickets", || systems.incidents().len() == 2);

    // A plugin's key: the plugin's own checks run on reload too.
    site.write_config(&good.replace("release = ", "relese = "));
    daemon.signal("HUP");
    daemon.wait_for("the running pipelines keep the previous one", 2);
    assert!(
        daemon.output().contains(&format!(
            "sluice.toml:{}:1: pipelines.p.sink.relese: unknown field `relese`",
            line_of("release = ")
        )),
        "{}",
        daemon.output()
    );
    site.write_config(&good);
    daemon.signal("HUP");
    daemon.wait_for("Reloaded the config.", 1);
    assert_reloads(&systems, &addr, 1.0, 2.0, true);
    let (code, log) = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn reloads_in_the_middle_of_a_flood_lose_nothing_and_the_flood_limit_holds() {
    let systems = Systems::start();
    // Every request slow: delivery is still going when the reloads come.
    systems.servicenow.set_faults(Faults {
        latency_ms: 120,
        ..Faults::default()
    });
    let flood = "batch = 3\n\n[pipelines.p.suppression]\nticket_flood_limit = 5\n\
                 consolidation_interval = \"0s\"\n";
    let base = config(&systems, flood);
    let site = Site::new(&base);
    // 20 alert types, each three times: 5 tickets, a flood ticket for the other 15 types,
    // and repeats that update their ticket.
    let records = systems.records(60);
    let alerts: Vec<(String, String)> = records
        .into_iter()
        .enumerate()
        .map(|(i, rid)| (format!("Flood type {:02}", i % 20), rid))
        .collect();
    site.queue(&alerts);

    let daemon = Daemon::start(&site, &[], &["--no-watch-config"], &[]);
    daemon.wait_until("the first tickets", || !systems.incidents().is_empty());
    assert!(site.unfinished() > 0, "the flood is still being delivered");
    for round in 1..=3 {
        site.write_config(&format!("{base}\n# edit {round}\n"));
        daemon.signal("HUP");
        daemon.wait_for("Reloaded the config.", round);
    }
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    let (code, log) = daemon.stop();
    assert_eq!(code, Some(0), "{log}");

    assert_eq!(
        site.alert_states(),
        vec![("done".to_owned(), 60)],
        "every alert delivered, none lost or given up on"
    );
    let incidents = systems.incidents();
    let keys: HashSet<&str> = incidents.iter().map(|i| i.get("correlation_id")).collect();
    assert_eq!(keys.len(), incidents.len(), "no ticket opened twice");
    let floods = incidents
        .iter()
        .filter(|i| i.get("short_description").contains("Alert flood"))
        .count();
    assert_eq!(
        (incidents.len() - floods, floods),
        (5, 1),
        "the flood window carried over the reloads: {:#?}",
        incidents
            .iter()
            .map(|i| i.get("short_description"))
            .collect::<Vec<_>>()
    );
}
