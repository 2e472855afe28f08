//! Middleware throughput and memory: alerts through rules, suppression, mapping and the
//! durable store into an in-memory sink.
//!
//! - **polling**: 100,000 records, each matching one of 200 alert definitions (so each raises
//!   one alert), polled in pages of 1,000; timed until every ticket action is delivered.
//! - **flood**: 1,000,000 alerts of one type through the response-action path (records
//!   already fetched); timed until decided and delivered; peak resident memory reported.
//!
//! Targets (issue #5): at least 50,000 alerts/s on a 2-core machine; at most 200 MB peak
//! during the 1,000,000-alert flood. Run with `cargo bench -p sluice --bench middleware`.

#[path = "support/memory.rs"]
mod memory;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sluice_core::ManualClock;
use sluice_core::{default_ticket_fields, TicketTemplate};
use sluice_core::{ConfigFile, SecretResolver};
use sluice_core::{Engine, PipelineSpec};

use sluice_core::store::alerts::{self, NewAlert, Origin};
use sluice_core::testkit::{MemorySink, MemorySource};
use sluice_core::{load_alert_file as load_file, AlertSet};
use sluice_core::{Durability, Store};

fn spec(dir: &std::path::Path, extra: &str, alerts: AlertSet) -> PipelineSpec {
    let text = format!("[pipelines.p]\nsource.type = \"x\"\nsink.type = \"y\"\n{extra}\n");
    let env = SecretResolver::new(|_: &str| None);
    let mut file = ConfigFile::parse(&dir.join("bench.toml"), text, &env).expect("bench config");
    let settings = file.config.pipelines.remove("p").expect("pipeline");
    let template = TicketTemplate::new(&default_ticket_fields(), &settings.correlation_format)
        .expect("template");
    PipelineSpec {
        name: "p".into(),
        settings,
        alerts,
        template,
        computer: "bench".into(),
    }
}

/// Steps until `expected` alerts are decided and no ticket action is left to send.
fn run_until_idle(
    engine: &mut Engine<MemorySource, MemorySink>,
    clock: &ManualClock,
    expected: u64,
) {
    for _ in 0..10_000 {
        engine.step().expect("step");
        let waiting: u64 = sluice_core::store::outbox::counts(&engine.store().db(), "p")
            .expect("count")
            .iter()
            .filter(|(state, _)| state != "done" && state != "dead")
            .map(|(_, n)| n)
            .sum();
        if waiting == 0 && engine.stats().alerts >= expected {
            return;
        }
        // Move past the consolidation interval.
        clock.advance(Duration::from_secs(60));
    }
    panic!("the engine did not finish");
}

fn polling() -> (f64, f64, u64, MemorySink) {
    let dir = tempfile::tempdir().expect("tempdir");
    let defs_dir = dir.path().join("alerts");
    std::fs::create_dir(&defs_dir).expect("mkdir");
    let mut defs = Vec::new();
    for k in 0..200 {
        let path = defs_dir.join(format!("a{k:03}.toml"));
        std::fs::write(
            &path,
            format!(
                "name = \"Group {k:03} changed\"\n[filters]\nDataSource = \"Active Directory\"\n\
                 ObjectType = \"group\"\nWhat = {{ EndsWith = \"\\\\Group-{k:03}\" }}\nWho = {{ DoesNotContain = \"svc-\" }}\n"
            ),
        )
        .expect("write");
        defs.push(load_file(&path).expect("definition"));
    }
    let spec = spec(
        dir.path(),
        "intake.poll = true\nintake.response_action = false",
        AlertSet::new(defs),
    );
    let mut source = MemorySource::default();
    let total = 100_000usize;
    for page in 0..total / 1000 {
        source.pages.push(
            (0..1000)
                .map(|i| {
                    let n = page * 1000 + i;
                    let mut r = sluice_core::testkit::record(
                        &format!("20240311084512345{n:032X}"),
                        &format!("CORP\\user{:04}", n % 5000),
                        &format!("\\local\\corp\\Groups\\Group-{:03}", n % 200),
                        "Member",
                    );
                    r.fields.set("ObjectType", "group");
                    r
                })
                .collect(),
        );
    }
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_000_000),
    ));
    let store = Store::open(&dir.path().join("state.db"), Durability::Full).expect("store");
    let mut engine = Engine::new(
        Arc::new(spec),
        store,
        source,
        MemorySink::default(),
        clock.clone(),
    );
    let started = Instant::now();
    // Poll every page (the engine polls while the source says it has more), then deliver.
    while engine.stats().records_polled < total as u64 {
        engine.step().expect("step");
    }
    run_until_idle(&mut engine, &clock, total as u64);
    let secs = started.elapsed().as_secs_f64();
    let alerts = engine.stats().alerts;
    let sink = std::mem::take(engine.sink_mut());
    (total as f64 / secs, alerts as f64 / secs, alerts, sink)
}

fn flood() -> (f64, u64, f64, MemorySink) {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = spec(dir.path(), "", AlertSet::default());
    let clock = Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_710_000_000),
    ));
    let mut store = Store::open(&dir.path().join("state.db"), Durability::Full).expect("store");
    let total = 1_000_000u64;
    let r = sluice_core::testkit::record(
        "rid",
        "CORP\\jdoe",
        "\\local\\corp\\Users\\John Doe",
        "Account Locked Out",
    );
    let json = sluice_core::record_to_json(&r);
    for chunk in 0..(total / 10_000) {
        store
            .write(|tx| {
                for i in 0..10_000 {
                    let n = chunk * 10_000 + i;
                    alerts::enqueue(
                        tx,
                        &NewAlert {
                            pipeline: "p",
                            dedupe_key: format!("response:{{A}}:rec-{n}"),
                            origin: Origin::ResponseAction,
                            alert_name: "ITSM Add-On: User Account Locked Out",
                            auditor_alert_id: Some("{A}"),
                            record_id: Some("rid"),
                            received_at: sluice_core::Timestamp::from_millis(1_710_000_000_000),
                            record: Some(&json),
                            extra_records: None,
                        },
                    )?;
                }
                Ok(())
            })
            .expect("enqueue");
    }
    let mut engine = Engine::new(
        Arc::new(spec),
        store,
        MemorySource::default(),
        MemorySink::default(),
        clock.clone(),
    );
    let started = Instant::now();
    run_until_idle(&mut engine, &clock, total);
    let secs = started.elapsed().as_secs_f64();
    let alerts = engine.stats().alerts;
    let sink = std::mem::take(engine.sink_mut());
    (
        alerts as f64 / secs,
        alerts,
        memory::peak_rss_mb(None),
        sink,
    )
}

/// Each workload runs in a child process of its own, so peak memory is per workload.
fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    match args.next().as_deref() {
        Some("polling") => {
            let (records_per_s, alerts_per_s, alerts, sink) = polling();
            println!(
                "| polling, 100,000 records x 200 rules | records/s, alerts/s | {records_per_s:.0}, {alerts_per_s:.0} | alerts >= 50,000/s |"
            );
            println!(
                "| polling | alerts / tickets / updates / sink requests / peak RSS MB | {alerts} / {} / {} / {} / {:.1} | |",
                sink.tickets.len(),
                sink.tickets.iter().map(|t| t.notes.len()).sum::<usize>(),
                sink.requests,
                memory::peak_rss_mb(None)
            );
        }
        Some("flood") => {
            let (per_s, alerts, peak_mb, sink) = flood();
            println!("| flood, 1,000,000 alerts of one type | alerts/s | {per_s:.0} | >= 50,000 |");
            println!(
                "| flood | alerts / tickets / updates / sink requests | {alerts} / {} / {} / {} | 1 ticket, 1 update |",
                sink.tickets.len(),
                sink.tickets.iter().map(|t| t.notes.len()).sum::<usize>(),
                sink.requests
            );
            println!("| flood | peak RSS (MB) | {peak_mb:.1} | <= 200 |");
        }
        _ => {
            println!();
            println!("| workload | figure | value | target |");
            println!("|---|---|---|---|");
            let me = std::env::current_exe().expect("own path");
            for workload in ["polling", "flood"] {
                let out = std::process::Command::new(&me)
                    .arg(workload)
                    .output()
                    .expect("run the workload");
                print!("{}", String::from_utf8_lossy(&out.stdout));
                if !out.status.success() {
                    eprintln!(
                        "{workload} failed:\n{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    std::process::exit(1);
                }
            }
        }
    }
}
