//! Records per second end to end: the plugin polling a whole window of 12,000 records from
//! the emulator over loopback HTTP (request, server-side filtering and serialization,
//! transfer, decoding), and fetching 1,000 records by RID in batches. The emulator shares the
//! machine, so these are lower bounds for the plugin itself.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use sluice_sdk::SourceInstance;
use sluice_source_netwrix_auditor::Format;

const RECORDS: usize = 12_000;

fn source(bench: &common::Bench, format: Format, extra: serde_json::Value) -> SourceInstance {
    let mut config = json!({
        "endpoint": bench.base_url(),
        "username": common::USER,
        "password": common::PASSWORD,
        "format": format.name(),
        "start": "2025-03-01T00:00:00Z",
    });
    if let (Some(config), serde_json::Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    sluice_source_netwrix_auditor::in_process()
        .expect("the plugin registers")
        .new_source("netwrix_auditor", &config, bench.capabilities())
        .expect("the source builds")
}

/// Polls from no checkpoint until the window is exhausted; returns the records seen.
fn full_scan(source: &mut SourceInstance) -> usize {
    let mut checkpoint = None;
    let mut seen = 0;
    loop {
        let batch = source.poll(checkpoint).expect("a poll");
        seen += batch.records.len();
        if !batch.more {
            return seen;
        }
        checkpoint = Some(batch.checkpoint);
    }
}

fn poll(c: &mut Criterion) {
    let bench = common::Bench::new(RECORDS);
    let mut group = c.benchmark_group("poll_window_of_12000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    for format in [Format::Json, Format::Xml] {
        for count in [200u32, 1_000] {
            let mut source = source(&bench, format, json!({"count": count}));
            assert_eq!(full_scan(&mut source), RECORDS);
            group.bench_function(format!("{}/count={count}", format.name()), |b| {
                b.iter(|| full_scan(&mut source))
            });
        }
    }
    group.finish();
}

fn fetch(c: &mut Criterion) {
    let bench = common::Bench::new(RECORDS);
    let rids: Vec<String> = bench
        .auditor
        .records()
        .iter()
        .step_by(RECORDS / 1_000)
        .filter_map(|r| r.rid.clone())
        .collect();
    let mut group = c.benchmark_group("fetch_1000_by_rid");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rids.len() as u64));
    for format in [Format::Json, Format::Xml] {
        let mut source = source(&bench, format, json!({}));
        assert_eq!(source.fetch(rids.clone()).expect("fetch").len(), rids.len());
        group.bench_function(format.name(), |b| {
            b.iter(|| source.fetch(rids.clone()).map(|r| r.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, poll, fetch);
criterion_main!(benches);
