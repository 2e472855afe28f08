//! sluice's filter evaluator against the Auditor emulator's, on the shipped set: each alert's
//! `[filters]` table, sent as the `FilterList` of a JSON search (the form the TOML copies),
//! must return exactly the records sluice selects. The two evaluators were written apart, each
//! from the Integration API's documented search semantics, so agreement means the alerts mean
//! in sluice what they would mean as an Auditor search.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sluice_core::RecordView;
use sluice_emulators::auditor::dataset::DatasetConfig;
use sluice_emulators::auditor::{Auditor, AuditorConfig};

use crate::support::{dataset, shipped, shipped_files, to_record, RECORDS, SEEDS};

const PAGE: usize = 1000;

#[tokio::test]
async fn the_emulator_selects_what_sluice_selects() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seed = SEEDS[0];
    let config = AuditorConfig::default();
    let (user, password) = (config.username.clone(), config.password.clone());
    let auditor = Auditor::new(AuditorConfig {
        dataset: Some(DatasetConfig {
            seed,
            records: RECORDS,
            ..DatasetConfig::default()
        }),
        ..config
    });
    let served = sluice_emulators::serve(auditor.router(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let url = format!(
        "{}/netwrix/api/v1/activity_records/search?format=json&count={PAGE}",
        served.base_url()
    );
    let client = reqwest::Client::new();

    let data = dataset(seed);
    let views: Vec<(String, RecordView)> = data
        .iter()
        .map(|(r, _)| (r.rid.clone().unwrap(), RecordView::new(&to_record(r))))
        .collect();
    let mut failures = Vec::new();
    for (alert, file) in shipped().iter().zip(shipped_files()) {
        let text = std::fs::read_to_string(&file).unwrap();
        let table: toml::Table = text.parse().unwrap();
        let filters = serde_json::to_value(&table["filters"]).unwrap();

        let mut from_emulator = BTreeSet::new();
        let mut mark: Option<String> = None;
        loop {
            let mut body = json!({ "FilterList": filters });
            if let Some(m) = &mark {
                body["ContinuationMark"] = Value::String(m.clone());
            }
            let reply = client
                .post(&url)
                .basic_auth(&user, Some(&password))
                .header("Content-Type", "application/json; Charset=UTF-8")
                .body(body.to_string())
                .send()
                .await
                .expect("the emulator answers");
            let status = reply.status();
            let text = reply.text().await.unwrap();
            assert!(status.is_success(), "{}: {status} {text}", alert.name);
            let page: Value = serde_json::from_str(&text).unwrap();
            let records = page["ActivityRecordList"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if records.is_empty() {
                break;
            }
            from_emulator.extend(
                records
                    .iter()
                    .filter_map(|r| r["RID"].as_str().map(str::to_owned)),
            );
            mark = page["ContinuationMark"].as_str().map(str::to_owned);
            if mark.is_none() {
                break;
            }
        }
        let from_sluice: BTreeSet<String> = views
            .iter()
            .filter(|(_, v)| alert.filters.matches(v, sluice_core::Timestamp::EPOCH))
            .map(|(rid, _)| rid.clone())
            .collect();
        if from_emulator != from_sluice {
            failures.push(format!(
                "{}: the emulator found {}, sluice {} ({} only in the emulator, {} only in sluice)",
                alert.name,
                from_emulator.len(),
                from_sluice.len(),
                from_emulator.difference(&from_sluice).count(),
                from_sluice.difference(&from_emulator).count()
            ));
        } else if from_sluice.is_empty() {
            failures.push(format!("{}: selects nothing; nothing compared", alert.name));
        }
    }
    served.shutdown().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
