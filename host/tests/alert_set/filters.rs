//! Each alert's filters select every record of its intended categories and no record of any
//! other category, on data sets of several seeds; and the indexed lookup polling uses
//! (`AlertSet::matching`) finds the same alerts as testing every filter.

use std::collections::BTreeMap;

use sluice_core::AlertSet;
use sluice_core::RecordView;
use sluice_emulators::auditor::Category;

use crate::support::{dataset, describe, intended, shipped, shipped_dir, to_record, SEEDS};

/// Mismatches shown per alert and seed.
const SHOWN: usize = 5;

/// `now` for the filters: none of the shipped alerts has a `When` filter, so any time will do.
const NOW_MS: sluice_core::Timestamp = sluice_core::Timestamp::from_millis(1_750_000_000_000);

#[test]
fn each_alert_selects_exactly_its_categories() {
    let alerts = shipped();
    let mut failures: Vec<String> = Vec::new();
    for seed in SEEDS {
        let data = dataset(seed);
        let views: Vec<RecordView> = data
            .iter()
            .map(|(r, _)| RecordView::new(&to_record(r)))
            .collect();
        let mut per_category: BTreeMap<Category, usize> = BTreeMap::new();
        for (_, c) in &data {
            *per_category.entry(*c).or_default() += 1;
        }
        for alert in &alerts {
            let want = intended(&alert.name);
            for c in want {
                if per_category.get(c).copied().unwrap_or(0) == 0 {
                    failures.push(format!(
                        "seed {seed}: no {c:?} record in the data set, so {:?} proves nothing",
                        alert.name
                    ));
                }
            }
            let (mut missed, mut extra, mut selected) = (Vec::new(), Vec::new(), 0);
            for ((record, category), view) in data.iter().zip(&views) {
                let hit = alert.filters.matches(view, NOW_MS);
                selected += usize::from(hit);
                match (hit, want.contains(category)) {
                    (false, true) => missed.push(describe(record, *category)),
                    (true, false) => extra.push(describe(record, *category)),
                    _ => {}
                }
            }
            let expected: usize = want.iter().map(|c| per_category[c]).sum();
            if !missed.is_empty() || !extra.is_empty() {
                failures.push(format!(
                    "seed {seed}: {:?} selected {selected} records, expected {expected}; \
                     missed {}, wrongly selected {}:\n    {}",
                    alert.name,
                    missed.len(),
                    extra.len(),
                    missed
                        .iter()
                        .map(|m| format!("missed  {m}"))
                        .take(SHOWN)
                        .chain(extra.iter().map(|e| format!("extra   {e}")).take(SHOWN))
                        .collect::<Vec<_>>()
                        .join("\n    ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_loaded_set_matches_each_record_to_the_enabled_alerts_of_its_category() {
    let set = AlertSet::load_dir(&shipped_dir()).unwrap_or_else(|e| panic!("{e}"));
    let data = dataset(SEEDS[0]);
    let mut failures = Vec::new();
    for (record, category) in &data {
        let view = RecordView::new(&to_record(record));
        let mut got: Vec<&str> = set
            .matching(&view, NOW_MS)
            .map(|a| a.name.as_str())
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = set
            .enabled()
            .filter(|a| intended(&a.name).contains(category))
            .map(|a| a.name.as_str())
            .collect();
        want.sort_unstable();
        if got != want && failures.len() < SHOWN {
            failures.push(format!(
                "{}: matched {got:?}, expected {want:?}",
                describe(record, *category)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
