//! Records decoded per second from pages of 1,000 records, as the emulator serializes them
//! (the first page of `GET …/activity_records/enum?count=1000`, XML and JSON), from its
//! generated data set. Decoding only: no HTTP in the measured loop.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sluice_sdk::HttpRequest;
use sluice_source_netwrix_auditor::{parse_page, Format};

const PAGE: usize = 1_000;

fn page_body(bench: &common::Bench, format: Format) -> Vec<u8> {
    let query = match format {
        Format::Json => "?format=json&count=1000",
        Format::Xml => "?count=1000",
    };
    let url = format!(
        "{}/netwrix/api/v1/activity_records/enum{query}",
        bench.base_url()
    );
    let response = bench
        .http
        .execute(HttpRequest::get(url).basic_auth(common::USER, common::PASSWORD))
        .expect("the emulator answers");
    assert_eq!(response.status, 200);
    response.body
}

fn decode(c: &mut Criterion) {
    let bench = common::Bench::new(5_000);
    let mut group = c.benchmark_group("decode_page_of_1000");
    group.throughput(Throughput::Elements(PAGE as u64));
    for format in [Format::Json, Format::Xml] {
        let body = page_body(&bench, format);
        let page = parse_page(format, &body).expect("a page");
        assert_eq!(page.records.len(), PAGE);
        assert!(page.records.iter().all(|r| r.time.is_some()));
        eprintln!("{} page: {} bytes", format.name(), body.len());
        group.bench_function(format.name(), |b| {
            b.iter(|| parse_page(format, black_box(&body)).map(|p| p.records.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
