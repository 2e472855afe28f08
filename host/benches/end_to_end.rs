//! End to end: the real `sluice` binary and plugins (target/release) against both emulators on
//! loopback, beside a baseline script over the same data. Prints one table.
//!
//! ```text
//!  Auditor emulator ◄── search ── sluice run (subprocess) ── POST/PATCH ──► ServiceNow emulator
//!   (this process)                 ▲ state.db                                (this process)
//!                                  └── sluice alert-response × N, 8 at a time (subprocesses)
//! ```
//!
//! - **polling**: 100,000 new Activity Records, of which 10,000 raise one alert each, over
//!   200 alert types; from `sluice run`'s start until ServiceNow confirmed the last ticket
//!   action. Targets: at least 50,000 records/s, peak RSS at most 100 MB.
//! - **response action**: the same 10,000 alerts through `sluice alert-response`, 8 at a time,
//!   ServiceNow answering in 5 ms, consolidation interval zero. Targets: p99 of one invocation
//!   at most 20 ms; p99 alert-to-ticket latency at most 100 ms. The CPU the host and the
//!   invocations used is reported beside: on a small machine they compete for the cores.
//! - **rate-limited**: the polling path's alerts against a ServiceNow that takes 30 requests
//!   a second and answers the rest of each second 429 with `Retry-After: 1`. Targets: every
//!   alert delivered, no ticket action dead-lettered, fewer than 5 % of requests answered 429
//!   after the first 5 seconds (while the sink learns the instance's pace).
//! - **economy**: ServiceNow requests per ticket created and per consolidated update (target:
//!   one each, plus one per attachment).
//! - **baseline**: one record fetch and one incident POST per alert (`baseline.rs`), under
//!   each path's conditions; sluice's figures are given as ratios to it.
//! - **PostgreSQL**: the polling and response-action paths again, the same workloads, with the
//!   store in a fresh database of one PostgreSQL server started for the run with `fsync` on
//!   (`store.rs`). Targets: polling at least 20,000 records/s; alert-to-ticket p99 at most
//!   twice SQLite's in the same run. Skipped, with a note, when PostgreSQL's server is not
//!   installed.
//! - **failover**: two hosts on one PostgreSQL store, alerts queued at a steady pace, the
//!   delivering host killed with SIGKILL 5 times (`failover.rs`), with the default lease
//!   (10s) and with a 2s one; from the kill to the new leader's first ticket action. Target:
//!   at most the lease plus 2 s.
//!
//! Run with `cargo bench -p sluice --bench end_to_end`; `-- --quick` (or
//! `SLUICE_BENCH_QUICK=1`) runs a tenth of the load (and 2 kills per lease), for smoke runs.
//! `SLUICE_BENCH_CONSOLIDATION` sets the consolidation interval (default `0s`);
//! `SLUICE_BENCH_KEEP=1` keeps the work directories (each path's config, state store and
//! `host.log`) and prints where they are.

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/memory.rs"]
mod memory;

mod end_to_end {
    pub mod baseline;
    pub mod cells;
    pub mod failover;
    pub mod host;
    pub mod observe;
    pub mod paths;
    pub mod store;
    pub mod table;
    pub mod table_postgres;
    pub mod workload;
}

use std::sync::Arc;
use std::time::Duration;

use end_to_end::failover::FailoverFigures;
use end_to_end::observe::Observer;
use end_to_end::paths::{PollingFigures, ResponseFigures};
use end_to_end::store::StoreAt;
use end_to_end::table_postgres::Postgres;
use end_to_end::workload::{Size, Workload};
use end_to_end::{baseline, failover, host, paths, store, table};
use sluice_emulators::auditor::{Auditor, AuditorConfig};
use sluice_emulators::servicenow::{Faults, ServiceNow, ServiceNowConfig};
use sluice_emulators::Served;
use sluice_test_postgres::Cluster;

/// Auditor runs at most this many response actions at a time.
const PARALLEL: usize = 8;
/// How long the ServiceNow emulator takes to answer on the response-action and rate-limited
/// paths.
const SERVICENOW_LATENCY_MS: u64 = 5;
/// Requests a second the rate-limited ServiceNow takes before it answers 429.
const RATE_LIMIT: u32 = 30;
/// Runs of the response-action path on each store, alternating, their latencies pooled (a
/// quick run: one).
const RESPONSE_RUNS: usize = 3;
const RESPONSE_RUNS_QUICK: usize = 1;
/// Deaths of the delivering host per lease on the failover path (a quick run: fewer).
const FAILOVER_RUNS: usize = 5;
const FAILOVER_RUNS_QUICK: usize = 2;
/// The leases the failover path runs with: the default, and a short one.
const LEASES: [Duration; 2] = [Duration::from_secs(10), Duration::from_secs(2)];

/// What every path shares: the emulators' runtime, the Auditor with the data, a scratch root.
#[derive(Debug)]
pub struct Bench {
    pub rt: tokio::runtime::Runtime,
    pub workload: Workload,
    pub auditor: Auditor,
    pub auditor_url: String,
    pub consolidation: String,
    pub root: tempfile::TempDir,
    _auditor_served: Served,
}

impl Bench {
    /// Generates the workload and serves it from the Auditor emulator.
    fn new(size: Size, consolidation: String) -> Bench {
        eprintln!("generating {} records…", size.records);
        let workload = Workload::new(size);
        let auditor = Auditor::new(AuditorConfig::default());
        auditor.write(workload.records.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let served = rt
            .block_on(sluice_emulators::serve(
                auditor.router(),
                ([127, 0, 0, 1], 0).into(),
            ))
            .expect("serve Auditor on loopback");
        Bench {
            auditor_url: served.base_url(),
            rt,
            workload,
            auditor,
            consolidation,
            root: tempfile::tempdir().expect("a scratch directory"),
            _auditor_served: served,
        }
    }

    /// `full` on a full run, `quick` on a quick one (`--quick`: a smaller workload).
    fn runs(&self, full: usize, quick: usize) -> usize {
        if self.workload.size.records < Size::FULL.records {
            quick
        } else {
            full
        }
    }

    /// A fresh ServiceNow (London) answering after `latency_ms`, observed and served.
    pub fn servicenow(&self, latency_ms: u64) -> (ServiceNow, Observer, Served) {
        self.servicenow_with(Faults {
            latency_ms,
            ..Faults::default()
        })
    }

    /// The baseline script over the workload's alerts, against a fresh ServiceNow answering
    /// after `latency_ms`.
    pub fn baseline(&self, latency_ms: u64) -> baseline::BaselineFigures {
        let (_instance, _observer, served) = self.servicenow(latency_ms);
        self.rt.block_on(baseline::run(
            Arc::new(self.workload.alerts.clone()),
            &self.auditor_url,
            &served.base_url(),
            PARALLEL,
        ))
    }

    /// A fresh ServiceNow (London) with `faults`, observed and served.
    pub fn servicenow_with(&self, faults: Faults) -> (ServiceNow, Observer, Served) {
        let instance = ServiceNow::new(ServiceNowConfig::default());
        instance.set_faults(faults);
        let observer = Observer::default();
        let router = observer.wrap(instance.router());
        let served = self
            .rt
            .block_on(sluice_emulators::serve(router, ([127, 0, 0, 1], 0).into()))
            .expect("serve ServiceNow on loopback");
        (instance, observer, served)
    }
}

/// What the PostgreSQL paths measured.
struct PostgresFigures {
    polling: PollingFigures,
    response: ResponseFigures,
    failover: Vec<FailoverFigures>,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("SLUICE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let size = if quick { Size::QUICK } else { Size::FULL };
    let consolidation =
        std::env::var("SLUICE_BENCH_CONSOLIDATION").unwrap_or_else(|_| "0s".to_owned());
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Err(e) = host::ensure_plugins() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let bench = Bench::new(size, consolidation);
    let cluster = store::start_postgres();
    if let Err(note) = &cluster {
        eprintln!("note: {note}");
    }
    if std::env::args().any(|a| a == "--response-only") {
        response_only(&bench, cluster.as_ref().ok());
        return;
    }
    let on_postgres = |name: &str| {
        let cluster = cluster.as_ref().ok()?;
        eprintln!("{name} path, PostgreSQL…");
        Some(StoreAt::fresh(cluster, name))
    };

    eprintln!("polling path…");
    let polling = paths::polling(&bench, &StoreAt::File);
    let polling_pg = on_postgres("polling").map(|at| paths::polling(&bench, &at));
    eprintln!("baseline over the polling path's alerts…");
    let polling_baseline = bench.baseline(0);
    let runs = bench.runs(RESPONSE_RUNS, RESPONSE_RUNS_QUICK);
    let (response, response_pg) = response_paths(&bench, cluster.as_ref().ok(), runs);
    eprintln!("baseline over the response-action path's alerts…");
    let response_baseline = bench.baseline(SERVICENOW_LATENCY_MS);

    eprintln!("rate-limited path…");
    let rate_limited = paths::rate_limited(&bench, RATE_LIMIT, SERVICENOW_LATENCY_MS);
    let postgres = match (&cluster, polling_pg, response_pg) {
        (Ok(cluster), Some(polling), Some(response)) => Ok(PostgresFigures {
            polling,
            response,
            failover: failover_paths(&bench, cluster),
        }),
        (Err(note), ..) => Err(note.as_str()),
        _ => unreachable!("the PostgreSQL paths ran"),
    };

    table::print(&table::Run {
        size,
        consolidation: &bench.consolidation,
        parallel: PARALLEL,
        latency_ms: SERVICENOW_LATENCY_MS,
        polling: &polling,
        polling_baseline: &polling_baseline,
        response: &response,
        response_baseline: &response_baseline,
        rate_limited: &rate_limited,
        postgres: postgres
            .as_ref()
            .map(|p| Postgres {
                polling: &p.polling,
                response: &p.response,
                failover: &p.failover,
            })
            .map_err(|note| *note),
    });
    if std::env::var("SLUICE_BENCH_KEEP").is_ok_and(|v| !v.is_empty() && v != "0") {
        let Bench { root, .. } = bench;
        eprintln!("work directories kept in {}", root.keep().display());
    }
}

/// `-- --response-only`: only the response-action path, `SLUICE_BENCH_RUNS` times on each
/// store (default [`RESPONSE_RUNS`]), a line of latencies for each store; for comparing
/// builds or settings in alternating runs on one machine, where the full run takes minutes.
fn response_only(bench: &Bench, cluster: Option<&Cluster>) {
    let runs = std::env::var("SLUICE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(RESPONSE_RUNS);
    let (sqlite, postgres) = response_paths(bench, cluster, runs);
    for (store, figures) in [("SQLite", Some(sqlite)), ("PostgreSQL", postgres)] {
        let Some(r) = figures else { continue };
        println!(
            "{store}: alert to ticket p50 / p99 (ms) {}, {} tickets{}; one invocation {}",
            end_to_end::cells::p50_p99(&r.to_ticket).shown,
            r.to_ticket.len(),
            table::runs_p99(&r),
            end_to_end::cells::p50_p99(&r.invocations).shown,
        );
    }
}

/// The response-action path on SQLite and, with a cluster, on PostgreSQL: `runs` runs of
/// each, alternating.
fn response_paths(
    bench: &Bench,
    cluster: Option<&Cluster>,
    runs: usize,
) -> (ResponseFigures, Option<ResponseFigures>) {
    let sqlite = |run: usize| {
        eprintln!("response-action path, run {run} of {runs}…");
        StoreAt::File
    };
    let postgres = cluster.map(|cluster| {
        move |run: usize| {
            eprintln!("response-action path, PostgreSQL, run {run} of {runs}…");
            StoreAt::fresh(cluster, &format!("response{run}"))
        }
    });
    let mut stores: Vec<&dyn Fn(usize) -> StoreAt> = vec![&sqlite];
    if let Some(postgres) = &postgres {
        stores.push(postgres);
    }
    let mut figures =
        paths::response_runs(bench, PARALLEL, SERVICENOW_LATENCY_MS, &stores, runs).into_iter();
    let on_sqlite = figures.next().expect("the SQLite runs");
    (on_sqlite, figures.next())
}

/// The failover path, once per lease of [`LEASES`].
fn failover_paths(bench: &Bench, cluster: &Cluster) -> Vec<FailoverFigures> {
    let runs = bench.runs(FAILOVER_RUNS, FAILOVER_RUNS_QUICK);
    LEASES
        .iter()
        .map(|&lease| {
            eprintln!("failover path, lease {}s…", lease.as_secs());
            failover::failover(bench, cluster, lease, runs)
        })
        .collect()
}
