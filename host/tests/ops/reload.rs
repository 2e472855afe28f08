//! Reloading the config while sluice runs: on a file change, on SIGHUP, with an invalid
//! config (kept out, the old one runs on), and in the middle of a flood (nothing lost, the
//! flood limit holds across reloads).

use std::collections::HashSet;

use sluice_emulators::servicenow::Faults;

use crate::support::{distinct_alerts, metric, telemetry, write_modifications, Exit, Site};

/// Asserts the reload series: successes, failures, and whether the last one succeeded.
fn assert_reloads(site: &Site, addr: &str, success: f64, failure: f64, last_ok: bool) {
    let (_, metrics) = site.get(&format!("http://{addr}/metrics"));
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
    let (table, addr) = telemetry();
    let site = Site::new(&[&table]);
    let daemon = site.run().start();

    let alerts = distinct_alerts(&site.auditor, 6);
    site.queue(&alerts[..3]);
    daemon.wait_until("3 tickets", || site.incidents().len() == 3);

    let v2 = "[pipelines.p.ticket]\nshort_description = \"v2: %AlertName%\"\n\
              work_notes = \"%AlertName%\"\n";
    site.configure(&[&table, v2]);
    daemon.wait_for_lines("Reloaded the config.", 1);
    site.queue(&alerts[3..]);
    daemon.wait_until("6 tickets", || site.incidents().len() == 6);

    let mut titles: Vec<String> = site
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
    assert_reloads(&site, &addr, 1.0, 0.0, true);
    // Ctrl-C stops it as SIGTERM does.
    daemon.signal("INT");
    let Exit { code, log } = daemon.wait();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("trigger=the config files changed"), "{log}");
    assert!(log.contains("signal=SIGINT"), "{log}");
    assert!(log.contains("Stopped cleanly."), "{log}");
}

#[test]
fn an_invalid_config_is_refused_with_its_place_and_the_old_one_runs_on() {
    let (table, addr) = telemetry();
    let site = Site::new(&[]);
    let good = site.configure(&[&table]);
    let daemon = site.run().args(&["--no-watch-config"]).start();

    // A host key misspelled (the host's keys are checked first), with file, line and column.
    let bad = good.replace("retry_max = ", "retry_mx = ");
    site.write_config(&bad);
    daemon.signal("HUP");
    daemon.wait_for_lines("the running pipelines keep the previous one", 1);
    let log = daemon.log();
    let line_of = |key: &str| good.lines().position(|l| l.contains(key)).unwrap() + 1;
    assert!(
        log.contains(&format!(
            "sluice.toml:{}:1: pipelines.p.delivery.retry_mx: unknown field `retry_mx`",
            line_of("retry_max")
        )),
        "{log}"
    );
    assert_reloads(&site, &addr, 0.0, 1.0, false);

    // The old config still runs: alerts are delivered.
    let alerts = distinct_alerts(&site.auditor, 2);
    site.queue(&alerts);
    daemon.wait_until("2 tickets", || site.incidents().len() == 2);

    // A plugin's key: the plugin's own checks run on reload too.
    site.write_config(&good.replace("release = ", "relese = "));
    daemon.signal("HUP");
    daemon.wait_for_lines("the running pipelines keep the previous one", 2);
    assert!(
        daemon.log().contains(&format!(
            "sluice.toml:{}:1: pipelines.p.sink.relese: unknown field `relese`",
            line_of("release = ")
        )),
        "{}",
        daemon.log()
    );
    site.write_config(&good);
    daemon.signal("HUP");
    daemon.wait_for_lines("Reloaded the config.", 1);
    assert_reloads(&site, &addr, 1.0, 2.0, true);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn reloads_in_the_middle_of_a_flood_lose_nothing_and_the_flood_limit_holds() {
    let site = Site::new(&[]);
    // Every request slow: delivery is still going when the reloads come.
    site.servicenow.set_faults(Faults {
        latency_ms: 120,
        ..Faults::default()
    });
    let flood = "[pipelines.p.delivery]\nbatch = 3\n\n\
                 [pipelines.p.suppression]\nticket_flood_limit = 5\n\
                 consolidation_interval = \"0s\"\n";
    let base = site.configure(&[flood]);
    // 20 alert types, each three times: 5 tickets, a flood ticket for the other 15 types,
    // and repeats that update their ticket.
    let records = write_modifications(&site.auditor, 60);
    let alerts: Vec<(String, String)> = records
        .into_iter()
        .enumerate()
        .map(|(i, rid)| (format!("Flood type {:02}", i % 20), rid))
        .collect();
    site.queue(&alerts);

    let daemon = site.run().args(&["--no-watch-config"]).spawn();
    daemon.wait_until("the first tickets", || !site.incidents().is_empty());
    assert!(site.unfinished() > 0, "the flood is still being delivered");
    for round in 1..=3 {
        // A setting changes each time, so that the pipeline is stopped and started again.
        let edit = format!("\n[pipelines.p.intake]\nfetch_batch = {}\n", 100 + round);
        site.write_config(&format!("{base}{edit}"));
        daemon.signal("HUP");
        daemon.wait_for_lines("Reloaded the config.", round);
    }
    daemon.wait_until("every alert delivered", || site.unfinished() == 0);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");

    assert_eq!(
        site.alert_states(),
        vec![("done".to_owned(), 60)],
        "every alert delivered, none lost or given up on"
    );
    let incidents = site.incidents();
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
