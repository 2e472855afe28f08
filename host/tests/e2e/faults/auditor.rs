//! The Auditor Integration API misbehaving: 503 (the Archive Service busy), pages cut in half,
//! and a continuation mark that never ends.

use std::collections::HashMap;

use sluice_emulators::auditor::{Endpoint, Faults};

use super::{alerts, NAMES};
use crate::ledger::{account, Expect};
use crate::support::{lockout, tail, write_lockouts, Site, BRISK, PIPELINE, POLLING};

/// Every alert carries the record the Auditor holds under its record id: none went on without
/// its record, none got half a record or another's.
fn assert_records_intact(site: &Site) {
    let stored: HashMap<String, (String, jiff::Timestamp)> = site
        .auditor
        .records()
        .into_iter()
        .filter_map(|r| Some((r.rid?, (r.who, r.when))))
        .collect();
    let store = site.store();
    let alerts: Vec<(Option<String>, Option<String>)> = store
        .sqlite()
        .prepare("SELECT record_id, record FROM alerts WHERE pipeline = ?1")
        .unwrap()
        .query_map([PIPELINE], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!alerts.is_empty());
    for (rid, json) in alerts {
        let rid = rid.expect("an alert of an Auditor record names it");
        let record = json
            .as_deref()
            .and_then(sluice_core::record_from_json)
            .unwrap_or_else(|| panic!("the alert of {rid} went on without its record"));
        let (who, when) = &stored[&rid];
        assert_eq!(record.field("Who"), Some(who.as_str()), "{rid}");
        assert_eq!(
            record.field("When"),
            Some(when.strftime("%Y-%m-%dT%H:%M:%SZ").to_string().as_str()),
            "{rid}"
        );
    }
}

#[test]
fn auditor_unavailable_then_back() {
    let site = Site::new(&[BRISK]);
    let rids = write_lockouts(&site.auditor, "busy", 12);
    site.auditor.set_faults(Faults {
        unavailable_probability: 1.0,
        ..Faults::default()
    });
    let host = site.run().start();
    site.queue(&alerts(&rids, &NAMES));
    host.wait_until("503s from the Auditor", || {
        site.auditor.requests().count_status(Endpoint::Search, 503) >= 3
    });
    assert!(site.incidents().is_empty());
    assert_eq!(site.unfinished(), 12, "the alerts wait for their records");

    site.auditor.set_faults(Faults::default());
    host.wait_settled(12);
    host.stop().assert_clean();

    assert_records_intact(&site);
    account(&site, Expect::delivered(12));
}

#[test]
fn auditor_pages_cut_in_half() {
    let site = Site::new(&[
        BRISK,
        r#"
        [pipelines.p.source]
        format = "xml"
        rids_per_request = 5
        "#,
    ]);
    let rids = write_lockouts(&site.auditor, "cut", 20);
    let host = site.run().start();
    site.auditor.set_faults(Faults {
        truncate_next: 3,
        ..Faults::default()
    });
    site.queue(&alerts(&rids, &NAMES));
    host.wait_settled(20);
    let log = host.stop().assert_clean();

    assert!(
        log.contains("The source failed"),
        "a truncated page is an error, retried:\n{}",
        tail(&log)
    );
    assert_records_intact(&site);
    account(&site, Expect::delivered(20));
}

#[test]
fn auditor_continuation_mark_that_never_ends_while_polling() {
    let site = Site::new(&[
        BRISK,
        POLLING,
        "[pipelines.p.suppression]\ngroup_by = [\"Who\"]",
    ]);
    site.auditor.set_faults(Faults {
        endless_mark: true,
        ..Faults::default()
    });
    // Three lockouts of each of four accounts: one ticket per account, its repeats
    // consolidated into it.
    let now = jiff::Timestamp::now();
    let lockouts = |from: i64| {
        (0..12)
            .map(|i| {
                let when = now - jiff::SignedDuration::from_secs(from - i);
                lockout(&format!("poll{}", i % 4), when)
            })
            .collect::<Vec<_>>()
    };
    site.auditor.write(lockouts(600));
    let host = site.run().start();
    host.wait_settled(12);
    // More activity, in later scan windows.
    site.auditor.write(lockouts(12));
    host.wait_settled(24);
    let log = host.stop().assert_clean();

    assert!(
        log.contains("continuation mark that never ends"),
        "the endless mark was seen and left:\n{}",
        tail(&log)
    );
    assert_records_intact(&site);
    let ledger = account(&site, Expect::delivered(24));
    for who in 0..4 {
        let key = format!(r"ITSM Add-On: User Account Locked Out | Who=CORP\poll{who}");
        let opened = ledger.opened(&key);
        assert_eq!(opened.len(), 1, "{key}: {:#?}", ledger.tickets);
        assert_eq!(opened[0].alerts, 6, "{key}: both scans' lockouts");
    }
}
