//! Intake: records fetched by id, polling with rules and thresholds.

use std::time::Duration;

use sluice_core::load_alert_file as load_file;
use sluice_core::store::checkpoints;

use crate::support::{minutes, record, Harness};

#[test]
fn records_are_fetched_by_id_in_batches_and_an_outage_loses_nothing() {
    let mut h = Harness::new("intake.fetch_batch = 50");
    h.engine.source_mut().fail_next = 2;
    for _ in 0..120 {
        h.alert_by("A", "CORP\\x");
    }
    h.step();
    assert!(h.sink().tickets.is_empty(), "the source is down");
    for _ in 0..20 {
        h.advance(Duration::from_secs(5));
    }
    assert_eq!(h.sink().tickets.len(), 1);
    assert_eq!(h.engine.stats().records_fetched, 120);
    assert!(
        h.engine.source_mut().fetches <= 2 + 3,
        "three batches of at most 50 ids"
    );
}

#[test]
fn an_unknown_record_is_asked_for_again_then_the_alert_goes_on_without_it() {
    let mut h = Harness::new("intake.fetch_attempts = 3");
    let rid = h.alert("A");
    h.engine.source_mut().records.remove(&rid);
    for _ in 0..10 {
        h.advance(Duration::from_secs(10));
    }
    let t = &h.sink().tickets;
    assert_eq!(t.len(), 1);
    let notes = t[0].ticket.fields.get("work_notes").unwrap();
    assert!(
        notes.contains(&format!("activity record {rid} could not be retrieved")),
        "{notes}"
    );
}

fn definition(dir: &std::path::Path, name: &str, text: &str) -> sluice_core::AlertDefinition {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    load_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn polled_records_raise_the_alerts_whose_filters_match_and_the_checkpoint_advances() {
    let dir = tempfile::tempdir().unwrap();
    let lockout = definition(
        dir.path(),
        "lockout",
        "name = \"Locked out\"\ndescription = \"An account was locked out.\"\n[filters]\nDetail = \"Account Locked Out\"\n",
    );
    let admins = definition(
        dir.path(),
        "admins",
        "name = \"Domain Admins changed\"\n[filters]\nWhat = { EndsWith = \"\\\\Domain Admins\" }\nWho = { DoesNotContain = \"svc-\" }\n",
    );
    let mut h = Harness::with_alerts(
        "intake.poll = true\nintake.response_action = false",
        vec![lockout, admins],
    );
    h.engine.source_mut().pages = vec![
        vec![
            record("r1", "CORP\\a", "\\u\\A", "Account Locked Out"),
            record(
                "r2",
                "CORP\\svc-backup",
                "\\local\\corp\\Users\\Domain Admins",
                "Member",
            ),
            record(
                "r3",
                "CORP\\b",
                "\\local\\corp\\Users\\Domain Admins",
                "Member",
            ),
        ],
        vec![record("r4", "CORP\\c", "\\u\\Marketing", "Member")],
        // An overlapping scan: r3 again.
        vec![record(
            "r3",
            "CORP\\b",
            "\\local\\corp\\Users\\Domain Admins",
            "Member",
        )],
    ];
    h.step();
    assert_eq!(
        h.titles(),
        [
            "[Netwrix Auditor] Locked out",
            "[Netwrix Auditor] Domain Admins changed"
        ]
    );
    assert_eq!(
        h.sink().tickets[0].ticket.fields.get("description"),
        Some("An account was locked out.")
    );
    let store = h.place.open();
    assert_eq!(
        checkpoints::get(&store.db(), "p").unwrap().as_deref(),
        Some("3")
    );
    assert_eq!(h.engine.stats().alerts, 2, "r3 seen twice raised one alert");
}

/// A polling pipeline (with `settings`) whose one alert is "Repeated failed logons", with
/// the threshold `threshold`.
fn failed_logons(threshold: &str, settings: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let failed = definition(
        dir.path(),
        "failed",
        &format!("name = \"Repeated failed logons\"\n[filters]\nDetail = \"bad password\"\n[threshold]\n{threshold}\n"),
    );
    Harness::with_alerts(
        &format!("intake.poll = true\nintake.response_action = false\n{settings}"),
        vec![failed],
    )
}

#[test]
fn a_threshold_fires_once_per_n_records_per_account_within_the_window() {
    let mut h = failed_logons("count = 5\nwithin = \"10m\"\ngroup_by = \"Who\"", "");
    let base = jiff::Timestamp::from_second(1_710_000_000).unwrap();
    let at = |secs: i64, id: &str, who: &str| {
        let mut r = record(id, who, "ws01", "bad password");
        r.time = Some(
            std::time::SystemTime::UNIX_EPOCH
                + Duration::from_secs((base.as_second() + secs) as u64),
        );
        r
    };
    let mut page = Vec::new();
    for i in 0..4 {
        page.push(at(i * 60, &format!("a{i}"), "CORP\\alice"));
        page.push(at(i * 60, &format!("b{i}"), "CORP\\bob"));
    }
    // alice's 5th failure is within 10 minutes of her first; bob's 5th comes an hour later.
    page.push(at(300, "a4", "CORP\\alice"));
    page.push(at(3600, "b4", "CORP\\bob"));
    h.engine.source_mut().pages = vec![page];
    h.step();
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 1, "alice only");
    assert!(sink.tickets[0]
        .ticket
        .fields
        .get("work_notes")
        .unwrap()
        .contains("CORP\\alice"));
    // The four records before the one that crossed the threshold are attached to the ticket.
    let attachments = &sink.tickets[0].attachments;
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    let listing = String::from_utf8_lossy(&attachments[0].1);
    assert!(listing.starts_with("4 activity records"), "{listing}");
    assert_eq!(listing.matches("CORP\\alice").count(), 4, "{listing}");
    assert!(!listing.contains("CORP\\bob"), "{listing}");
    assert_eq!(h.engine.stats().alerts, 1);
    assert_eq!(h.engine.stats().delivery.created, 1);
}

#[test]
fn a_threshold_alert_without_attachments_lists_its_records_in_the_work_notes() {
    let mut h = failed_logons(
        "count = 3\nwithin = \"10m\"",
        "suppression.display_only_first_activity_record = false",
    );
    h.engine.source_mut().pages = vec![vec![
        record("r1", "CORP\\carol", "ws01", "bad password"),
        record("r2", "CORP\\dave", "ws02", "bad password"),
        record("r3", "CORP\\erin", "ws03", "bad password"),
    ]];
    h.step();
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 1);
    assert!(sink.tickets[0].attachments.is_empty());
    let notes = sink.tickets[0].ticket.fields.get("work_notes").unwrap();
    for who in ["carol", "dave", "erin"] {
        assert!(
            notes.contains(&format!("CORP\\{who}")),
            "{who} missing: {notes}"
        );
    }
}

#[test]
fn a_disabled_definition_ignores_its_response_action_alerts_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = definition(
        dir.path(),
        "quiet",
        "name = \"Quiet\"\nenabled = false\n[filters]\nDetail = \"x\"\n",
    );
    let mut h = Harness::with_alerts("", vec![quiet]);
    h.alert("Quiet");
    h.alert("Quiet");
    // A response-action alert without a definition is taken as it comes.
    h.alert("Unlisted");
    h.step();
    assert_eq!(h.titles(), ["[Netwrix Auditor] Unlisted"]);
    assert_eq!(
        h.engine.source_mut().fetches,
        1,
        "ignored alerts' records are not fetched"
    );
    let counts = h
        .engine
        .store()
        .read(sluice_core::store::alerts::counts(
            &h.engine.store().db(),
            "p",
        ))
        .unwrap();
    assert!(counts.contains(&("ignored".to_owned(), 2)), "{counts:?}");
    let unfinished = h
        .engine
        .store()
        .read(sluice_core::store::alerts::unfinished(
            &h.engine.store().db(),
            "p",
        ))
        .unwrap();
    assert_eq!(unfinished, 0);
}
