//! Issue 6: Netwrix Auditor's response action, end to end. `sluice alert-response` queues the
//! alert; `sluice run` fetches its record from the Auditor and opens one incident with it.
//! Every test runs on both backends: the alert is queued in the store, by the host or by the
//! invocation itself, and delivered from it.

use jiff::Timestamp;

use crate::ledger::{account, Expect};
use crate::support::{
    lockout, on_both_backends, write_lockout, write_lockouts, Backend, Site, BRISK,
};

on_both_backends!(
    a_response_action_opens_one_incident_with_the_records_fields,
    a_retried_response_action_keeps_one_ticket,
    an_alert_queued_while_the_host_is_down_is_delivered_once_it_starts,
    a_csv_of_records_opens_one_incident_with_their_fields,
    a_csv_naming_record_ids_fetches_them_and_consolidates_the_repeat,
    response_actions_fired_at_once_on_a_fresh_install_are_all_queued,
);

const LOCKED_OUT: &str = "ITSM Add-On: User Account Locked Out";
/// An Auditor alert id as the response action passes it.
const ALERT_ID: &str = "{6F1C0A52-1B7E-4F0C-9D52-3C1A2B4D5E6F}";

/// Checks that the incident carries the lockout of `who` at `when`: its alert, and the record's
/// fields in the work notes.
fn assert_lockout_incident(site: &Site, who: &str, when: &str) {
    let incidents = site.incidents();
    assert_eq!(incidents.len(), 1, "one incident: {incidents:#?}");
    let incident = &incidents[0];
    assert_eq!(
        incident.get("short_description"),
        format!("[Netwrix Auditor] {LOCKED_OUT}")
    );
    assert!(
        incident
            .get("description")
            .starts_with("An Active Directory user account was locked out"),
        "the alert's description: {}",
        incident.get("description")
    );
    // The shipped alert's own priority, not the pipeline's default.
    assert_eq!(
        (incident.get("impact"), incident.get("urgency")),
        ("3", "2")
    );
    let notes = site.work_notes(incident);
    assert_eq!(notes.len(), 1, "one work note: {notes:#?}");
    let note = &notes[0].value;
    for line in [
        format!(r"Who: CORP\{who}"),
        "Action: Modified".to_owned(),
        "Object type: user".to_owned(),
        format!(r"What: \local\corp\Users\{who}"),
        format!("When: {when}"),
        "Where: dc01.corp.local".to_owned(),
        format!("Workstation: ws-{who}.corp.local"),
        "Details: Account Locked Out: False -> True".to_owned(),
        "Data source: Active Directory".to_owned(),
        "Monitoring plan: AD Monitoring".to_owned(),
        "Item: corp.local (Domain)".to_owned(),
    ] {
        assert!(
            note.contains(&line),
            "the work note lacks {line:?}:\n{note}"
        );
    }
}

fn a_response_action_opens_one_incident_with_the_records_fields(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rid = write_lockout(&site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = site.run().start();

    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &rid]);
    host.wait_settled(1);
    host.stop().assert_clean();

    assert_lockout_incident(&site, "jdoe", "2025-03-11T08:45:12Z");
    account(&site, Expect::delivered(1));
}

fn a_retried_response_action_keeps_one_ticket(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rid = write_lockout(&site.auditor, "asmith", "2025-03-11T09:00:00Z");
    let args = ["--alert-name", LOCKED_OUT, ALERT_ID, rid.as_str()];
    let host = site.run().start();

    // Auditor retries an action it thinks failed, up to 200 times: some retries race the
    // first delivery, some come after the ticket exists.
    for _ in 0..3 {
        site.alert_response(&args);
    }
    host.wait_settled(1);
    host.wait_until("the incident", || site.incidents().len() == 1);
    for _ in 0..3 {
        site.alert_response(&args);
    }
    host.stop().assert_clean();

    assert_lockout_incident(&site, "asmith", "2025-03-11T09:00:00Z");
    account(&site, Expect::delivered(1));
}

fn an_alert_queued_while_the_host_is_down_is_delivered_once_it_starts(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rid = write_lockout(&site.auditor, "bwayne", "2025-03-11T10:30:00Z");

    site.alert_response(&["--alert-name", LOCKED_OUT, ALERT_ID, &rid]);
    assert_eq!(site.unfinished(), 1, "the alert waits in the state store");
    assert!(site.incidents().is_empty());

    let host = site.run().start();
    host.wait_settled(1);
    host.stop().assert_clean();

    assert_lockout_incident(&site, "bwayne", "2025-03-11T10:30:00Z");
    account(&site, Expect::delivered(1));
}

/// A CSV as Auditor writes it for "Write data to CSV file": a header
/// row, then one row per activity record. The columns are not documented; these are the ones
/// Auditor shows for a record.
const CSV_HEADER: &str =
    "Who,Object Type,Action,What,Where,When,Workstation,Data Source,Monitoring Plan,Item,Details";

fn csv_row(who: &str, when: &str) -> String {
    format!(
        r#"CORP\{who},user,Modified,\local\corp\Users\{who},dc01.corp.local,{when},ws-{who}.corp.local,Active Directory,AD Monitoring,corp.local (Domain),"Account Locked Out: False -> True""#
    )
}

fn a_csv_of_records_opens_one_incident_with_their_fields(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let csv = site.dir().join("alert.csv");
    std::fs::write(
        &csv,
        format!(
            "{CSV_HEADER}\n{}\n",
            csv_row("ckent", "2025-03-11T11:15:00Z")
        ),
    )
    .unwrap();
    let host = site.run().start();

    // Retried too: still one ticket.
    for _ in 0..3 {
        site.alert_response(&["--alert-name", LOCKED_OUT, csv.to_str().unwrap()]);
    }
    host.wait_settled(1);
    host.stop().assert_clean();

    assert_lockout_incident(&site, "ckent", "2025-03-11T11:15:00Z");
    account(&site, Expect::delivered(1));
}

fn a_csv_naming_record_ids_fetches_them_and_consolidates_the_repeat(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let first: Timestamp = "2025-03-11T12:00:00Z".parse().unwrap();
    let second: Timestamp = "2025-03-11T12:00:30Z".parse().unwrap();
    let rids = site
        .auditor
        .write(vec![lockout("dprince", first), lockout("dprince", second)]);
    let csv = site.dir().join("alert.csv");
    std::fs::write(
        &csv,
        format!(
            "Record ID,{CSV_HEADER}\n{},{}\n{},{}\n",
            rids[0],
            csv_row("dprince", "2025-03-11T12:00:00Z"),
            rids[1],
            csv_row("dprince", "2025-03-11T12:00:30Z"),
        ),
    )
    .unwrap();
    let host = site.run().start();

    site.alert_response(&["--alert-name", LOCKED_OUT, csv.to_str().unwrap()]);
    host.wait_settled(2);
    site.alert_response(&["--alert-name", LOCKED_OUT, csv.to_str().unwrap()]);
    host.stop().assert_clean();

    // The first record opened the incident; the second is its consolidated update.
    let incidents = site.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let notes = site.work_notes(&incidents[0]);
    assert!(
        notes[0].value.contains("When: 2025-03-11T12:00:00Z"),
        "{}",
        notes[0].value
    );
    let attachments = site.servicenow.attachments(incidents[0].sys_id());
    assert_eq!(attachments.len(), 1);
    let listed = String::from_utf8_lossy(&attachments[0].bytes);
    assert!(listed.contains("When: 2025-03-11T12:00:30Z"), "{listed}");
    account(&site, Expect::delivered(2));
}

fn response_actions_fired_at_once_on_a_fresh_install_are_all_queued(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rids = write_lockouts(&site.auditor, "burst", 8);
    // Auditor runs one action per alerting record, side by side; the first ones create the
    // state store.
    let runs: Vec<Vec<&str>> = rids
        .iter()
        .map(|rid| vec!["--alert-name", LOCKED_OUT, ALERT_ID, rid])
        .collect();
    site.alert_responses_at_once(&runs);

    let host = site.run().start();
    host.wait_settled(8);
    host.stop().assert_clean();

    let ledger = account(&site, Expect::delivered(8));
    let opened = ledger.opened(LOCKED_OUT);
    assert_eq!((opened.len(), opened[0].alerts), (1, 8), "{ledger:#?}");
}
