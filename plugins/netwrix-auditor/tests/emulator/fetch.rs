//! Fetch by RID (alert intake): batched searches, unknown RIDs absent, every field round-trips.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sluice_emulators::auditor::{AuditorConfig, DatasetConfig};
use sluice_source_netwrix_auditor::Format;

use crate::harness::{assert_same, at, both_formats, expected, Env};

/// Well-formed RIDs (a 17-digit timestamp and 32 hex digits) that the emulator never minted.
fn unknown(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("20200101000000000{:032X}", 0xDEAD_0000_u64 + i as u64))
        .collect()
}

fn env(records: usize) -> Env {
    Env::new(
        AuditorConfig {
            dataset: Some(DatasetConfig {
                records,
                ..DatasetConfig::default()
            }),
            ..AuditorConfig::default()
        },
        at("2025-04-03T00:00:00Z"),
    )
}

/// 120 known RIDs (with repeats and a lower-case copy) and 5 unknown ones, 50 per request:
/// batches of 50, 50 and 25. The first two are answered completely by their first page, so
/// the final empty page is skipped; the third holds the unknown RIDs and needs it. Four
/// searches in all, not one per RID.
fn fetch_batches_rids_and_round_trips_every_field(format: Format) {
    let env = env(600);
    let stored = env.auditor.records();
    let known: Vec<_> = stored.iter().step_by(5).take(120).collect();
    let mut ids: Vec<String> = known.iter().filter_map(|r| r.rid.clone()).collect();
    ids.push(ids[3].clone());
    ids.push(ids[7].to_ascii_lowercase());
    ids.extend(unknown(5));

    let mut source = env.source(&env.config(format, json!({"rids_per_request": 50})));
    let records = source.fetch(ids).expect("fetch");

    assert_eq!(
        env.searches(),
        4,
        "one search per batch, plus one empty page"
    );
    let by_id: BTreeMap<&str, _> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    assert_eq!(by_id.len(), records.len(), "no record twice");
    assert_eq!(records.len(), 120);
    for record in known {
        let want = expected(record);
        let got = by_id
            .get(want.id.as_str())
            .expect("every known RID is fetched");
        assert_same(got, &want);
    }
}

/// With 7 records per page, 30 RIDs take five pages of one batch, each continuation carrying
/// the same filters; the fifth page completes the batch, so no sixth request is made.
fn fetch_pages_through_continuation_marks(format: Format) {
    let env = env(600);
    let ids: Vec<String> = env
        .auditor
        .records()
        .iter()
        .rev()
        .take(30)
        .filter_map(|r| r.rid.clone())
        .collect();
    let config = env.config(format, json!({"count": 7}));
    let records = env.source(&config).fetch(ids.clone()).expect("fetch");
    let got: BTreeSet<String> = records.into_iter().map(|r| r.id).collect();
    assert_eq!(got, ids.into_iter().collect());
    assert_eq!(env.searches(), 5);
}

/// Unknown RIDs are absent, not errors; ids that cannot be RIDs cost no request.
fn unknown_rids_are_absent(format: Format) {
    let env = env(100);
    let mut source = env.source(&env.config(format, json!({})));
    assert!(source.fetch(unknown(3)).expect("fetch").is_empty());
    assert_eq!(env.searches(), 1);
    let not_rids = vec![String::new(), "X".repeat(50), "   ".to_owned()];
    assert!(source.fetch(not_rids).expect("fetch").is_empty());
    assert!(source.fetch(Vec::new()).expect("fetch").is_empty());
    assert_eq!(env.searches(), 1);
}

both_formats!(
    fetch_batches_rids_and_round_trips_every_field,
    fetch_pages_through_continuation_marks,
    unknown_rids_are_absent,
);
