//! The shipped set through the real polling path: an [`Engine`] over a temporary store, its
//! source a [`MemorySource`] holding the data set in pages, on a [`ManualClock`].
//!
//! - an alert without a threshold raises one alert per record of its categories when enabled,
//!   none when disabled;
//! - a threshold alert raises alerts for the data set's bursts (one account failing to log on
//!   8–20 times 3–15 s apart; one account deleting 40–150 files 0.2–1.5 s apart, as the data
//!   set's module doc describes them) and never for the scattered records of the same
//!   category. After firing, intake treats the burst's later records as part of it, so a
//!   burst raises exactly one alert.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sluice_core::testkit::{MemorySink, MemorySource};
use sluice_core::ManualClock;
use sluice_core::{default_ticket_fields, TicketTemplate};
use sluice_core::{AlertDefinition, AlertSet};
use sluice_core::{ConfigFile, SecretResolver};
use sluice_core::{Durability, Store};
use sluice_core::{Engine, PipelineSpec};
use sluice_emulators::auditor::{ActivityRecord, Category};

use crate::support::{dataset_of, describe, intended, shipped_dir, to_record, SEEDS};

/// Records per page the stand-in source returns.
const PAGE: usize = 1000;

/// Records per data set here: more than elsewhere, for more bursts (the generator makes about
/// one burst of failed logons per 6,000 records and one mass deletion per 30,000, besides the
/// one of each it guarantees).
const RECORDS: usize = 100_000;

/// A burst as the data set makes it: the most time between two records of one burst, and
/// the fewest records in one (data set module doc, "Bursts and guarantees").
struct BurstShape {
    alert: &'static str,
    category: Category,
    max_gap: Duration,
    min_len: usize,
}

const BURSTS: [BurstShape; 2] = [
    BurstShape {
        alert: "ITSM Add-On: Repeated Failed Logons",
        category: Category::FailedLogon,
        max_gap: Duration::from_secs(15),
        min_len: 8,
    },
    BurstShape {
        alert: "ITSM Add-On: Mass File Deletion",
        category: Category::FileDeleted,
        max_gap: Duration::from_millis(1500),
        min_len: 40,
    },
];

#[test]
fn polling_the_data_set_raises_each_alert_for_its_records_and_its_bursts() {
    let set = AlertSet::load_dir(&shipped_dir()).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for seed in SEEDS {
        let data = dataset_of(seed, RECORDS);
        let raised = poll_everything(&set, &data);
        let by_rid: HashMap<&str, (&ActivityRecord, Category)> = data
            .iter()
            .map(|(r, c)| (r.rid.as_deref().unwrap_or_default(), (r, *c)))
            .collect();
        for alert in set.all() {
            let got = raised.get(&alert.name).cloned().unwrap_or_default();
            let unique: HashSet<&str> = got.iter().map(String::as_str).collect();
            if unique.len() != got.len() {
                failures.push(format!(
                    "seed {seed}: {:?} raised an alert twice for one record",
                    alert.name
                ));
            }
            let outcome = match BURSTS.iter().find(|b| b.alert == alert.name) {
                Some(shape) => check_threshold(alert, shape, &data, &got, &by_rid),
                None => check_per_record(alert, &data, &unique, &by_rid),
            };
            if let Err(e) = outcome {
                failures.push(format!("seed {seed}: {:?}: {e}", alert.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Polls every record of `data` through an engine with the alert set `set`; the record ids
/// of the alerts raised, by alert name.
fn poll_everything(
    set: &AlertSet,
    data: &[(ActivityRecord, Category)],
) -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    // After the data set's last record: nothing depends on it but retention, which must keep
    // every alert of the run.
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_745_000_000),
    ));
    let records: Vec<_> = data.iter().map(|(r, _)| to_record(r)).collect();
    let total = records.len() as u64;
    let source = MemorySource {
        pages: records.chunks(PAGE).map(<[_]>::to_vec).collect(),
        ..MemorySource::default()
    };
    let mut engine = engine(&dir, set.clone(), clock.clone(), source);
    for _ in 0..200 {
        engine.step().unwrap();
        if engine.stats().records_polled >= total {
            break;
        }
        clock.advance(Duration::from_secs(30));
    }
    assert_eq!(engine.stats().records_polled, total, "every record polled");
    let mut raised: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let conn = engine.store().sqlite();
    let mut query = conn
        .prepare("SELECT alert_name, record_id FROM alerts WHERE pipeline = 'p' ORDER BY id")
        .unwrap();
    let rows = query
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })
        .unwrap();
    for row in rows {
        let (name, rid) = row.unwrap();
        raised
            .entry(name)
            .or_default()
            .push(rid.unwrap_or_default());
    }
    raised
}

fn engine(
    dir: &tempfile::TempDir,
    alerts: AlertSet,
    clock: Arc<ManualClock>,
    source: MemorySource,
) -> Engine<MemorySource, MemorySink> {
    let text = "[pipelines.p]\nsource.type = \"x\"\nsink.type = \"y\"\n\
                intake.poll = true\nintake.response_action = false\n\
                retention.alerts = 1000000\n";
    let settings = ConfigFile::parse(
        Path::new("test.toml"),
        text.to_owned(),
        &SecretResolver::new(|_: &str| None),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .config
    .pipelines
    .remove("p")
    .unwrap();
    let template = TicketTemplate::new(&default_ticket_fields(), &settings.correlation_format)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let spec = PipelineSpec {
        name: "p".into(),
        settings,
        alerts,
        template,
        computer: "auditor01".into(),
    };
    let store = Store::open(&dir.path().join("state.db"), Durability::Normal).unwrap();
    Engine::new(Arc::new(spec), store, source, MemorySink::default(), clock)
}

/// An alert without a threshold: one alert per record of its categories if enabled, none if
/// not.
fn check_per_record(
    alert: &AlertDefinition,
    data: &[(ActivityRecord, Category)],
    got: &HashSet<&str>,
    by_rid: &HashMap<&str, (&ActivityRecord, Category)>,
) -> Result<(), String> {
    let want: HashSet<&str> = data
        .iter()
        .filter(|(_, c)| alert.enabled && intended(&alert.name).contains(c))
        .map(|(r, _)| r.rid.as_deref().unwrap_or_default())
        .collect();
    if *got == want {
        return Ok(());
    }
    let show = |rids: Vec<&&str>| -> String {
        rids.iter()
            .take(5)
            .map(|rid| match by_rid.get(**rid) {
                Some((r, c)) => describe(r, *c),
                None => format!("unknown record {rid}"),
            })
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    Err(format!(
        "raised {} alerts, expected {} (enabled = {}); missing:\n    {}\n  unexpected:\n    {}",
        got.len(),
        want.len(),
        alert.enabled,
        show(want.difference(got).collect()),
        show(got.difference(&want).collect())
    ))
}

/// A threshold alert: alerts only from bursts, exactly one per burst.
fn check_threshold(
    alert: &AlertDefinition,
    shape: &BurstShape,
    data: &[(ActivityRecord, Category)],
    got: &[String],
    by_rid: &HashMap<&str, (&ActivityRecord, Category)>,
) -> Result<(), String> {
    let threshold = alert.threshold.as_ref().ok_or("no threshold")?;
    let count = threshold.count as usize;
    let bursts = bursts(data, shape);
    let in_category = data.iter().filter(|(_, c)| *c == shape.category).count();
    let scattered = in_category - bursts.iter().map(Vec::len).sum::<usize>();
    if bursts.is_empty() {
        return Err("the data set has no burst: nothing proved".into());
    }
    if scattered <= count {
        return Err(format!(
            "only {scattered} scattered records: too few to show they do not fire"
        ));
    }
    let burst_of: HashMap<&str, usize> = bursts
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.iter().map(move |rid| (rid.as_str(), i)))
        .collect();
    let mut per_burst = vec![0usize; bursts.len()];
    let mut outside = Vec::new();
    for rid in got {
        match burst_of.get(rid.as_str()) {
            Some(&i) => per_burst[i] += 1,
            None => outside.push(match by_rid.get(rid.as_str()) {
                Some((r, c)) => describe(r, *c),
                None => format!("unknown record {rid}"),
            }),
        }
    }
    if !outside.is_empty() {
        return Err(format!(
            "fired {} times outside any burst:\n    {}",
            outside.len(),
            outside[..outside.len().min(5)].join("\n    ")
        ));
    }
    let alerted = per_burst.iter().filter(|&&n| n > 0).count();
    if alerted != bursts.len() {
        return Err(format!(
            "fired for {alerted} of the data set's {} bursts (sizes {:?})",
            bursts.len(),
            bursts.iter().map(Vec::len).collect::<Vec<_>>()
        ));
    }
    for (b, &n) in bursts.iter().zip(&per_burst) {
        if n != 1 {
            return Err(format!(
                "a burst of {} records raised {n} alerts, expected one (threshold {count})",
                b.len()
            ));
        }
    }
    eprintln!(
        "{}: {} bursts (sizes {}..={}), {} alerts; {scattered} scattered records, none fired",
        alert.name,
        bursts.len(),
        bursts.iter().map(Vec::len).min().unwrap_or(0),
        bursts.iter().map(Vec::len).max().unwrap_or(0),
        got.len()
    );
    Ok(())
}

/// The record ids of each burst of `shape` in `data`: runs of its category by one account
/// (as the threshold groups them, case-insensitively) with at most `max_gap` between
/// consecutive records, of at least `min_len` records.
fn bursts(data: &[(ActivityRecord, Category)], shape: &BurstShape) -> Vec<Vec<String>> {
    let max_gap = shape.max_gap.as_millis() as i64;
    let mut open: HashMap<String, (i64, Vec<String>)> = HashMap::new();
    let mut runs: Vec<Vec<String>> = Vec::new();
    for (r, c) in data {
        if *c != shape.category {
            continue;
        }
        let t = r.when.as_millisecond();
        let rid = r.rid.clone().unwrap_or_default();
        let run = open
            .entry(r.who.to_lowercase())
            .or_insert_with(|| (t, Vec::new()));
        if !run.1.is_empty() && t - run.0 > max_gap {
            runs.push(std::mem::take(&mut run.1));
        }
        run.0 = t;
        run.1.push(rid);
    }
    runs.extend(open.into_values().map(|(_, rids)| rids));
    runs.retain(|r| r.len() >= shape.min_len);
    runs
}
