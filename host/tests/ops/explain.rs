//! `sluice explain`: which alert definitions select a record and why, what suppression would
//! decide now, and the incident fields it would send, with nothing written to the store.
//!
//! ```text
//!   Auditor emulator ◄── fetch by RID ── sluice explain ──► (rolled back) state.db
//!   test: explain ──► no ticket opened, nothing stored ──► sluice run opens the ticket
//!         explain again ──► "update of INC…"; a disabled alert ──► suppressed
//! ```

use crate::support::{write_lockout, Exit, Site};

const LOCKED_OUT: &str = r#"
name = "Locked Out"
description = "An account was locked out."
[filters]
DataSource = { Equals = "Active Directory" }
Detail = { Equals = "Account Locked Out" }
[ticket]
urgency = "2"
"#;

const DISABLED: &str = r#"
name = "Old Lockout Alert"
enabled = false
[filters]
Detail = "Account Locked Out"
"#;

const FILE_SERVERS: &str = r#"
name = "File Deleted"
[filters]
DataSource = { Equals = "File Servers" }
Action = "Removed"
"#;

/// A site whose alert directory holds the three definitions above.
fn site() -> Site {
    let site = Site::new(&["\n[pipelines.p.intake]\nalerts = \"alerts\"\n"]);
    let alerts = site.dir().join("alerts");
    std::fs::create_dir(&alerts).unwrap();
    for (file, text) in [
        ("locked.toml", LOCKED_OUT),
        ("old.toml", DISABLED),
        ("files.toml", FILE_SERVERS),
    ] {
        std::fs::write(alerts.join(file), text).unwrap();
    }
    site
}

fn explain(site: &Site, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["explain", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = site.sluice(&all, &[]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn explain_says_which_alerts_match_what_suppression_decides_and_writes_nothing() {
    let site = site();
    let rid = write_lockout(&site.auditor, "jsmith", "2026-01-05T08:00:00Z");

    let report = explain(&site, &["--rid", &rid]);
    assert_eq!(report["written"], false);
    let record = &report["records"][0];
    let definitions = record["definitions"].as_array().unwrap();
    let by_name = |name: &str| {
        definitions
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("Locked Out")["raises"], true, "{record}");
    let disabled = by_name("Old Lockout Alert");
    assert_eq!(
        (&disabled["matches"], &disabled["raises"]),
        (&true.into(), &false.into())
    );
    assert!(
        disabled["why"].as_str().unwrap().contains("disabled"),
        "{disabled}"
    );
    let files = by_name("File Deleted");
    assert_eq!(files["matches"], false);
    assert!(
        files["why"].as_str().unwrap().contains("DataSource"),
        "{files}"
    );
    let alert = &record["alerts"][0];
    assert_eq!(
        (&alert["alert"], &alert["decision"]),
        (&"Locked Out".into(), &"new_ticket".into()),
        "{alert}"
    );
    assert_eq!(
        alert["fields"]["short_description"],
        "[Netwrix Auditor] Locked Out"
    );
    assert_eq!(alert["fields"]["urgency"], "2", "the definition's override");
    assert!(
        alert["fields"]["work_notes"]
            .as_str()
            .unwrap()
            .contains(r"Who: CORP\jsmith"),
        "{alert}"
    );
    assert!(
        !site.dir().join("state.db").exists(),
        "explain created no store"
    );

    // With a store, nothing is written either; the answer follows what sluice did.
    let daemon = site.run().start();
    site.queue(&[("Locked Out", rid.as_str())]);
    daemon.wait_until("the ticket is open", || {
        site.unfinished() == 0 && site.incidents().len() == 1
    });
    let number = site.incidents()[0].get("number").to_owned();
    let before = site.alert_states();

    let report = explain(&site, &["--rid", &rid]);
    let alert = &report["records"][0]["alerts"][0];
    assert_eq!(
        (&alert["decision"], &alert["ticket"]),
        (&"update".into(), &number.clone().into()),
        "{alert}"
    );
    assert_eq!(alert["ticket_state"], "New");
    assert!(
        alert["note"].as_str().unwrap().contains(r"CORP\jsmith"),
        "{alert}"
    );
    assert_eq!(site.alert_states(), before, "explain wrote nothing");

    let (code, human, err) = site.sluice(&["explain", "--rid", &rid], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(human.contains("Nothing was written."), "{human}");
    assert!(
        human.contains(&format!("Locked Out: UPDATE: updates {number}")),
        "{human}"
    );
    assert!(
        human.contains("[raises ] Locked Out: its filters select the record"),
        "{human}"
    );
    assert!(
        human.contains("Detail = {"),
        "each filter of a matching alert is shown: {human}"
    );

    // As the response action of a disabled alert: suppressed.
    let report = explain(&site, &["--rid", &rid, "--alert-name", "Old Lockout Alert"]);
    let alert = &report["records"][0]["alerts"][0];
    assert_eq!(alert["decision"], "suppressed", "{alert}");
    assert_eq!(site.incidents().len(), 1);
    let Exit { code, log } = daemon.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn explain_reads_a_record_from_a_file_and_says_why_no_ticket() {
    let site = site();
    let file = site.dir().join("record.json");
    std::fs::write(
        &file,
        r#"{"ActivityRecordList": [{"RID": "r-1", "Who": "CORP\\amy", "Action": "Added",
            "What": "\\\\fs01\\share\\a.txt", "When": "2026-01-05T08:00:00Z",
            "DataSource": "File Servers", "ObjectType": "File"}]}"#,
    )
    .unwrap();
    let (code, human, err) = site.sluice(&["explain", "--file", "record.json"], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        human.contains(r"Record r-1: When 2026-01-05T08:00:00Z, Who CORP\amy"),
        "{human}"
    );
    assert!(
        human.contains("No ticket: no enabled alert definition raises an alert for this record"),
        "{human}"
    );
    assert!(
        human.contains("File Deleted: the record fails its filter on Action"),
        "{human}"
    );

    std::fs::write(&file, "not json").unwrap();
    let (code, _, err) = site.sluice(&["explain", "--file", "record.json"], &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("is not an activity record sluice can read"),
        "{err}"
    );
    assert!(
        !err.contains("not json"),
        "the file's content is not echoed: {err}"
    );
}
