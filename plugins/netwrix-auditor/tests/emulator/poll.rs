//! Polling: windows on `When`, late arrivals inside `late_arrival`, restarts from a stored
//! checkpoint, pre-filters, and results in any order.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use serde_json::json;
use sluice_emulators::auditor::{
    ActivityRecord, AuditorConfig, Behaviour, DatasetConfig, ResultOrder,
};
use sluice_sdk::{Checkpoint, Record};
use sluice_source_netwrix_auditor::Format;

use crate::harness::{
    activity, assert_same, at, both_formats, checkpoint_json, drain, expected, Env,
};

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn env_with(records: usize, order: ResultOrder) -> Env {
    Env::new(
        AuditorConfig {
            dataset: Some(DatasetConfig {
                records,
                ..DatasetConfig::default()
            }),
            behaviour: Behaviour {
                order,
                ..Behaviour::default()
            },
            ..AuditorConfig::default()
        },
        at("2025-04-03T00:00:00Z"),
    )
}

/// Writes records into the emulator as if Auditor had just collected them; returns them with
/// their RIDs.
fn collect(env: &Env, records: Vec<ActivityRecord>) -> Vec<ActivityRecord> {
    let rids = env.auditor.write(records.clone());
    records
        .into_iter()
        .zip(rids)
        .map(|(mut r, rid)| {
            r.rid = Some(rid);
            r
        })
        .collect()
}

fn ids(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.id.clone()).collect()
}

fn id_set<'a>(records: impl IntoIterator<Item = &'a ActivityRecord>) -> BTreeSet<String> {
    records.into_iter().filter_map(|r| r.rid.clone()).collect()
}

/// Asserts no record came twice in one scan.
fn assert_once(scan: &[Record], what: &str) {
    let unique: BTreeSet<&str> = scan.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        unique.len(),
        scan.len(),
        "{what}: a record came twice in one scan"
    );
}

/// Three windows over a month of generated activity plus records written between polls,
/// some arriving late, with restarts (new instances resuming from the stored checkpoint) in
/// the middle of a scan and between windows:
///
/// - window 1, `start`..now: every record of the data set from `start` on, exactly once,
///   across a restart after the fourth page; records collected mid-scan with a `When` inside
///   `late_arrival` of the window's end arrive in this scan or the next window;
/// - window 2: records written meanwhile with a newer `When`, and late ones whose `When` is
///   10 minutes before window 1's end (inside `late_arrival` = 15m); not the records window 1
///   already returned from the overlap (the same instance remembers them), and not those 60
///   minutes late (outside `late_arrival`: the documented trade-off);
/// - window 3, after another restart: the new records; repeats from the overlap are allowed
///   (the host drops them by id) but never twice in one scan.
///
/// In the end every expected record arrived, nothing else did.
fn polls_windows_with_late_arrivals_across_restarts(format: Format) {
    let env = env_with(2_000, ResultOrder::Insertion);
    let now0 = at("2025-04-03T00:00:00Z");
    let origin = at("2025-03-28T00:00:00Z");
    let config = env.config(
        format,
        json!({"start": "2025-03-28T00:00:00Z", "count": 25, "late_arrival": "15m"}),
    );
    let in_overlap = collect(
        &env,
        (0..3)
            .map(|i| activity(now0 - minutes(5), &format!("overlap {i}")))
            .collect(),
    );
    let mut want: BTreeMap<String, ActivityRecord> = env
        .auditor
        .records()
        .into_iter()
        .filter(|r| r.when >= origin && r.when <= now0)
        .filter_map(|r| Some((r.rid.clone()?, r)))
        .collect();
    assert!(want.len() > 200, "a window of many pages");

    // Window 1, with a restart after four pages.
    let mut checkpoint: Option<Checkpoint> = None;
    let mut source = env.source(&config);
    let mut window1 = Vec::new();
    for _ in 0..4 {
        let batch = source.poll(checkpoint.clone()).expect("a poll");
        assert!(batch.more);
        window1.extend(batch.records);
        checkpoint = Some(batch.checkpoint);
    }
    let state = checkpoint.as_ref().map(checkpoint_json).unwrap_or_default();
    assert_eq!(state["page"], 4);
    assert_eq!(state["from"], "2025-03-28T00:00:00Z");
    assert_eq!(state["to"], "2025-04-03T00:00:00Z");
    // Activity collected while the window is being scanned, 5 minutes before its end: this
    // scan or the next window's overlap must bring it.
    let mid_scan = collect(
        &env,
        (0..2)
            .map(|i| activity(now0 - minutes(5), &format!("mid-scan {i}")))
            .collect(),
    );
    let mut source = env.source(&config);
    window1.extend(drain(&mut source, &mut checkpoint));
    assert_once(&window1, "window 1");
    let got1: BTreeSet<String> = ids(&window1).into_iter().collect();
    let want1: BTreeSet<String> = want.keys().cloned().collect();
    assert!(
        want1.is_subset(&got1),
        "window 1 returns every record from start to now"
    );
    let or_mid: BTreeSet<String> = want1.union(&id_set(&mid_scan)).cloned().collect();
    assert!(got1.is_subset(&or_mid), "window 1 returns nothing else");
    for record in &window1 {
        let source_record = want.get(&record.id).or_else(|| {
            mid_scan
                .iter()
                .find(|r| r.rid.as_deref() == Some(&record.id))
        });
        assert_same(record, &expected(source_record.expect("a known record")));
    }
    let state = checkpoint.as_ref().map(checkpoint_json).unwrap_or_default();
    assert_eq!(
        state["from"], "2025-04-02T23:45:00Z",
        "late_arrival before the end"
    );
    assert!(state.get("to").is_none() && state.get("mark").is_none());

    // Window 2: new, late and too-late records appear; the clock moves on.
    let late = collect(
        &env,
        (0..4)
            .map(|i| activity(now0 - minutes(10), &format!("late {i}")))
            .collect(),
    );
    let too_late = collect(
        &env,
        (0..2)
            .map(|i| activity(now0 - minutes(60), &format!("too late {i}")))
            .collect(),
    );
    let new = collect(
        &env,
        (0..5)
            .map(|i| activity(now0 + minutes(2), &format!("new {i}")))
            .collect(),
    );
    env.set_now(now0 + minutes(5));
    let window2 = drain(&mut source, &mut checkpoint);
    assert_once(&window2, "window 2");
    let got: BTreeSet<String> = ids(&window2).into_iter().collect();
    let late_and_new = id_set(late.iter().chain(&new));
    assert!(
        late_and_new.is_subset(&got),
        "window 2: new and late records"
    );
    let or_mid: BTreeSet<String> = late_and_new.union(&id_set(&mid_scan)).cloned().collect();
    assert!(
        got.is_subset(&or_mid),
        "window 2: nothing window 1 returned, nothing too late"
    );
    let both: BTreeSet<String> = got1.union(&got).cloned().collect();
    assert!(
        id_set(&mid_scan).is_subset(&both),
        "mid-scan records arrive"
    );
    for record in &window2 {
        let source_record = late
            .iter()
            .chain(&new)
            .chain(&mid_scan)
            .find(|r| r.rid.as_deref() == Some(&record.id));
        assert_same(record, &expected(source_record.expect("written")));
    }

    // Window 3 after a restart between windows.
    let newer = collect(
        &env,
        (0..2)
            .map(|i| activity(now0 + minutes(7), &format!("newer {i}")))
            .collect(),
    );
    env.set_now(now0 + minutes(10));
    let mut source = env.source(&config);
    let window3 = drain(&mut source, &mut checkpoint);
    assert_once(&window3, "window 3");
    let got: BTreeSet<String> = ids(&window3).into_iter().collect();
    let allowed = id_set(
        late.iter()
            .chain(&new)
            .chain(&newer)
            .chain(&in_overlap)
            .chain(&mid_scan),
    );
    assert!(
        got.is_subset(&allowed),
        "window 3 holds only its window's records"
    );
    assert!(id_set(&newer).is_subset(&got));

    // Nothing lost, nothing foreign.
    for record in late.iter().chain(&new).chain(&newer).chain(&mid_scan) {
        want.insert(record.rid.clone().unwrap_or_default(), record.clone());
    }
    let all: BTreeSet<String> = window1
        .iter()
        .chain(&window2)
        .chain(&window3)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(all, want.keys().cloned().collect::<BTreeSet<_>>());
    assert!(id_set(&too_late).is_disjoint(&all));
}

/// Records come newest first: the scan neither assumes nor needs any order.
fn any_result_order(format: Format) {
    let env = env_with(800, ResultOrder::Reverse);
    let origin = at("2025-03-25T00:00:00Z");
    let config = env.config(
        format,
        json!({"start": "2025-03-25T00:00:00Z", "count": 30}),
    );
    let mut checkpoint = None;
    let records = drain(&mut env.source(&config), &mut checkpoint);
    assert_once(&records, "reverse order");
    let want = id_set(env.auditor.records().iter().filter(|r| r.when >= origin));
    assert_eq!(ids(&records).into_iter().collect::<BTreeSet<_>>(), want);
}

/// `start = "now"` (the default) skips the backlog; activity after the first poll arrives.
fn start_now_reads_only_new_activity(format: Format) {
    let env = env_with(300, ResultOrder::Insertion);
    let now0 = at("2025-04-03T00:00:00Z");
    let mut source = env.source(&env.config(format, json!({})));
    let mut checkpoint = None;
    assert!(drain(&mut source, &mut checkpoint).is_empty());
    let fresh = collect(&env, vec![activity(now0 + minutes(1), "fresh")]);
    env.set_now(now0 + minutes(2));
    let got = drain(&mut source, &mut checkpoint);
    assert_eq!(ids(&got), [fresh[0].rid.clone().unwrap_or_default()]);
}

/// `poll_filters` narrow what the server sends, ANDed with the window.
fn poll_filters_are_sent_to_the_server(format: Format) {
    let env = env_with(1_000, ResultOrder::Insertion);
    let origin = at("2025-03-20T00:00:00Z");
    let config = env.config(
        format,
        json!({
            "start": "2025-03-20T00:00:00Z",
            "poll_filters": [
                {"field": "DataSource", "operator": "Equals", "value": "Active Directory"},
                {"field": "ObjectType", "value": "user"},
                {"field": "ObjectType", "value": "group"},
            ],
        }),
    );
    let mut checkpoint = None;
    let records = drain(&mut env.source(&config), &mut checkpoint);
    let want = id_set(env.auditor.records().iter().filter(|r| {
        r.when >= origin
            && r.data_source.as_deref() == Some("Active Directory")
            // No operator: the field's default, Contains, case-insensitive.
            && ["user", "group"]
                .iter()
                .any(|v| r.object_type.to_lowercase().contains(v))
    }));
    assert!(!want.is_empty());
    assert_eq!(ids(&records).into_iter().collect::<BTreeSet<_>>(), want);
}

/// Changing `poll_filters` between restarts rescans the stored window with the new filters
/// instead of sending a mark that belongs to the old ones.
fn changed_filters_restart_the_window(format: Format) {
    let env = env_with(600, ResultOrder::Insertion);
    let config = env.config(
        format,
        json!({"start": "2025-03-01T00:00:00Z", "count": 10}),
    );
    let batch = env.source(&config).poll(None).expect("a poll");
    assert!(batch.more);
    let mut narrowed = config.clone();
    narrowed["poll_filters"] = json!([{"field": "Action", "value": "Failed Logon"}]);
    let mut checkpoint = Some(batch.checkpoint);
    let records = drain(&mut env.source(&narrowed), &mut checkpoint);
    assert!(!records.is_empty());
    assert!(records
        .iter()
        .all(|r| r.field("Action") == Some("Failed Logon")));
    assert!(env.warnings().is_empty(), "{:?}", env.warnings());
}

both_formats!(
    polls_windows_with_late_arrivals_across_restarts,
    any_result_order,
    start_now_reads_only_new_activity,
    poll_filters_are_sent_to_the_server,
    changed_filters_restart_the_window,
);
