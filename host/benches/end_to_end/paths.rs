//! The two ways alerts reach sluice, each run against fresh state and a fresh ServiceNow:
//!
//! - **polling**: `sluice run` polls every record from the Auditor emulator, matches the alert
//!   set, and delivers; timed from the process start until ServiceNow confirmed the last
//!   ticket action.
//! - **response action**: `sluice run` is up; Auditor runs `sluice alert-response` for each
//!   alert, 8 at a time; the host fetches the records by RID and delivers.
//! - **rate-limited**: the polling path against a ServiceNow that answers 429 with
//!   `Retry-After: 1` past a fixed number of requests a second.
//!
//! The polling and response-action paths run on the SQLite file or, the same workload, on a
//! fresh database of the bench's PostgreSQL server ([`StoreAt`]). The response-action path
//! runs several times on each store, alternating ([`response_runs`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_emulators::servicenow::{Faults, ServiceNow};

use super::host::{binary, Host};
use super::observe::Downstream;
use super::store::StoreAt;
use super::workload::{Alert, HostConfig};
use crate::Bench;

/// The longest a path may take before the bench gives up.
const LIMIT: Duration = Duration::from_secs(600);

/// What the polling path did.
#[derive(Debug)]
pub struct PollingFigures {
    pub elapsed: Duration,
    pub auditor_requests: u64,
    pub downstream: Downstream,
    pub peak_rss_mb: f64,
}

/// What the response-action path did.
#[derive(Debug)]
pub struct ResponseFigures {
    /// Each `sluice alert-response` invocation, start to exit.
    pub invocations: Vec<Duration>,
    /// Alerts that opened a ticket: from the start of the first invocation of their type until
    /// ServiceNow answered the incident's creation.
    pub to_ticket: Vec<Duration>,
    pub elapsed: Duration,
    pub auditor_requests: u64,
    pub downstream: Downstream,
    pub peak_rss_mb: f64,
    /// CPU seconds the host used from the first invocation until the last ticket action.
    pub host_cpu_s: f64,
    /// CPU seconds the invocations used, all together.
    pub invocations_cpu_s: f64,
    /// Whether the invocations handed their alerts to the host.
    pub handoff: HandoffCheck,
    /// Each run's alert-to-ticket p99, ms, when these figures pool several runs.
    pub run_p99s: Vec<f64>,
}

impl ResponseFigures {
    /// The figures of `runs` together: every run's latencies, and whether every run handed
    /// its alerts over; the rest (traffic, memory, CPU) of the first run.
    fn pool(runs: Vec<ResponseFigures>) -> ResponseFigures {
        let run_p99s = runs
            .iter()
            .map(|run| super::cells::quantile_ms(&run.to_ticket, 0.99))
            .collect();
        let mut runs = runs.into_iter();
        let mut pooled = runs.next().expect("at least one run");
        for run in runs {
            pooled.invocations.extend(run.invocations);
            pooled.to_ticket.extend(run.to_ticket);
            pooled.handoff = HandoffCheck {
                listening: pooled.handoff.listening && run.handoff.listening,
                host_warnings: pooled.handoff.host_warnings + run.handoff.host_warnings,
                direct_writes: pooled.handoff.direct_writes + run.handoff.direct_writes,
            };
        }
        pooled.run_p99s = run_p99s;
        pooled
    }
}

/// Whether the response actions handed their alerts to the running host over its socket,
/// rather than writing the store themselves.
#[derive(Debug, Clone, Copy)]
pub struct HandoffCheck {
    /// The host's log says it takes response actions over its socket.
    pub listening: bool,
    /// Warnings in the host's log that response actions write the store themselves.
    pub host_warnings: usize,
    /// Invocations that said they wrote the store themselves (their debug log).
    pub direct_writes: usize,
}

impl HandoffCheck {
    /// Every alert was handed over.
    pub fn all_handed_over(&self) -> bool {
        self.listening && self.host_warnings == 0 && self.direct_writes == 0
    }
}

/// What the host logs when it takes response actions over its socket (at debug).
const LISTENING: &str = "Taking response actions over the socket.";

/// What the host warns when response actions have to write the store themselves.
const FALLBACK_WARNINGS: [&str; 3] = [
    "write the state store themselves",
    "the response actions write the store themselves",
    "Another sluice run uses this state store",
];

/// What `sluice alert-response` logs (at debug) when it writes the store itself.
const DIRECT_WRITE: &str = "Writing the state store directly.";

/// What the rate-limited path did.
#[derive(Debug)]
pub struct RateLimitedFigures {
    /// The instance's limit, requests a second.
    pub limit: u32,
    /// From the host's start until ServiceNow confirmed the last ticket action.
    pub elapsed: Duration,
    /// Each answer, by when after the host's start, and whether it was 429.
    pub answers: Vec<(Duration, bool)>,
    /// Alerts whose ticket action ServiceNow confirmed.
    pub delivered: u64,
    /// Ticket actions given up on.
    pub dead: u64,
    pub downstream: Downstream,
}

/// The `[state]` table of [`HostConfig::text`], which `prepare` replaces with the store's.
const SQLITE_STATE: &str = "[state]\npath = \"state.db\"\n";

/// Writes the config and alert set of a path into a fresh directory under the bench's root.
pub fn prepare(
    bench: &Bench,
    name: &str,
    servicenow_url: &str,
    poll: bool,
    store: &StoreAt,
) -> std::path::PathBuf {
    let dir = bench.root.path().join(name);
    std::fs::create_dir_all(&dir).expect("a work directory");
    bench
        .workload
        .write_alert_set(&dir.join("alerts"))
        .expect("write the alert set");
    let config = HostConfig {
        auditor_url: &bench.auditor_url,
        servicenow_url,
        poll,
        consolidation: &bench.consolidation,
    };
    let text = config.text();
    assert!(
        text.contains(SQLITE_STATE),
        "the host config's [state] table changed"
    );
    let text = text.replace(SQLITE_STATE, &store.section());
    std::fs::write(dir.join("sluice.toml"), text).expect("write the config");
    dir
}

/// One run of `sluice run` polling every record, against a ServiceNow with `faults`.
struct PolledRun {
    started: Instant,
    /// From the host's start until ServiceNow confirmed the last ticket action.
    elapsed: Duration,
    seen: super::observe::Seen,
    downstream: Downstream,
    peak_rss_mb: f64,
    /// Alerts whose ticket action ServiceNow confirmed, and ticket actions given up on.
    delivered_and_dead: (u64, u64),
}

/// Polls every record of the workload into a fresh host (work directory `name`, state at
/// `store`), against a fresh ServiceNow with `faults`, until every alert is delivered.
fn poll_all(bench: &Bench, name: &str, faults: Faults, store: &StoreAt) -> PolledRun {
    let (servicenow, observer, served) = bench.servicenow_with(faults);
    let dir = prepare(bench, name, &served.base_url(), true, store);
    bench.auditor.reset_requests();
    let started = Instant::now();
    let mut host = Host::launch(&dir, store.url(), "host.log", &[]);
    host.wait_delivered(bench.workload.alerts.len() as u64, LIMIT);
    let seen = observer.take();
    let elapsed = seen.last_write.unwrap_or_else(Instant::now) - started;
    let peak_rss_mb = host.peak_rss_mb();
    let delivered_and_dead = host.delivered_and_dead();
    let downstream = Downstream::new(&servicenow, &host.actions_done());
    host.stop();
    PolledRun {
        started,
        elapsed,
        seen,
        downstream,
        peak_rss_mb,
        delivered_and_dead,
    }
}

/// The polling path, the host's state at `store`.
pub fn polling(bench: &Bench, store: &StoreAt) -> PollingFigures {
    let name = match store {
        StoreAt::File => "polling",
        StoreAt::Postgres { .. } => "polling-postgres",
    };
    let run = poll_all(bench, name, Faults::default(), store);
    PollingFigures {
        elapsed: run.elapsed,
        auditor_requests: bench.auditor.requests().total(),
        downstream: run.downstream,
        peak_rss_mb: run.peak_rss_mb,
    }
}

/// The polling path against an instance that takes `limit` requests a second (each answered
/// after `latency_ms`) and answers the rest of that second 429 with `Retry-After: 1`.
pub fn rate_limited(bench: &Bench, limit: u32, latency_ms: u64) -> RateLimitedFigures {
    let faults = Faults {
        latency_ms,
        max_requests_per_second: limit,
        ..Faults::default()
    };
    let run = poll_all(bench, "rate-limited", faults, &StoreAt::File);
    let (delivered, dead) = run.delivered_and_dead;
    RateLimitedFigures {
        limit,
        elapsed: run.elapsed,
        answers: run
            .seen
            .answers
            .iter()
            .map(|(at, refused)| (at.saturating_duration_since(run.started), *refused))
            .collect(),
        delivered,
        dead,
        downstream: run.downstream,
    }
}

/// The response-action path `runs` times on each store `stores` make (given the run, from
/// 1), alternating between them, each run on fresh state and a fresh ServiceNow; the
/// figures of each store's runs pooled, in the order of `stores`.
///
/// Only the workload's first alert of each type opens a ticket (200), so one run's p99 is
/// about its second-slowest ticket, and it varies from run to run by more than the
/// differences the targets are about; the p99 of several runs' tickets together varies less.
/// Alternating gives each store the same stretch of the machine's day: comparing PostgreSQL
/// with SQLite is fair even while the machine's speed drifts.
pub fn response_runs(
    bench: &Bench,
    parallel: usize,
    latency_ms: u64,
    stores: &[&dyn Fn(usize) -> StoreAt],
    runs: usize,
) -> Vec<ResponseFigures> {
    let mut each: Vec<Vec<ResponseFigures>> = stores.iter().map(|_| Vec::new()).collect();
    for run in 1..=runs.max(1) {
        for (store, figures) in stores.iter().zip(&mut each) {
            figures.push(response(bench, parallel, latency_ms, &store(run), run));
        }
    }
    each.into_iter().map(ResponseFigures::pool).collect()
}

/// The response-action path: `parallel` invocations at a time, ServiceNow answering after
/// `latency_ms`, the host's state at `store`; `run` names its work directory.
fn response(
    bench: &Bench,
    parallel: usize,
    latency_ms: u64,
    store: &StoreAt,
    run: usize,
) -> ResponseFigures {
    let name = match store {
        StoreAt::File => format!("response-{run}"),
        StoreAt::Postgres { .. } => format!("response-postgres-{run}"),
    };
    let (servicenow, observer, served) = bench.servicenow(latency_ms);
    let dir = prepare(bench, &name, &served.base_url(), false, store);
    bench.auditor.reset_requests();
    let mut host = Host::launch(&dir, store.url(), "host.log", &["sluice::handoff=debug"]);
    wait_started(&mut host, bench, &servicenow);

    let alerts = Arc::new(bench.workload.alerts.clone());
    let (host_cpu, children_cpu) = (host.cpu_seconds(), crate::cpu::seconds_of_children());
    let started = Instant::now();
    let runs = invoke_all(&dir, alerts.clone(), parallel);
    let invocations_cpu_s = crate::cpu::seconds_of_children() - children_cpu;
    host.wait_delivered(alerts.len() as u64, LIMIT);
    let host_cpu_s = host.cpu_seconds() - host_cpu;
    let seen = observer.take();
    let elapsed = seen.last_write.unwrap_or_else(Instant::now) - started;
    let to_ticket = to_ticket(&runs, &seen.created);
    let peak_rss_mb = host.peak_rss_mb();
    let downstream = Downstream::new(&servicenow, &host.actions_done());
    let log = host.log();
    host.stop();
    ResponseFigures {
        invocations: runs.iter().map(|run| run.took).collect(),
        to_ticket,
        elapsed,
        auditor_requests: bench.auditor.requests().total(),
        downstream,
        peak_rss_mb,
        host_cpu_s,
        invocations_cpu_s,
        handoff: HandoffCheck {
            listening: log.contains(LISTENING),
            host_warnings: log
                .lines()
                .filter(|l| FALLBACK_WARNINGS.iter().any(|w| l.contains(w)))
                .count(),
            direct_writes: runs.iter().filter(|run| run.direct).count(),
        },
        run_p99s: Vec::new(),
    }
}

/// The latency of each alert that opened a ticket, measured from the first invocation of its
/// type: the ticket's opener started no earlier, so this never understates.
fn to_ticket(runs: &[Invocation], created: &[(Instant, String)]) -> Vec<Duration> {
    let mut first_start: HashMap<&str, Instant> = HashMap::new();
    for run in runs {
        let slot = first_start
            .entry(run.alert.name.as_str())
            .or_insert(run.start);
        *slot = (*slot).min(run.start);
    }
    created
        .iter()
        .filter_map(|(at, display)| {
            let name = display.strip_prefix("sluice: ").unwrap_or(display);
            first_start.get(name).map(|start| *at - *start)
        })
        .collect()
}

/// Waits until the host has made its start-up requests (healthchecks, the sink's reading of
/// the instance's choices), so the invocations meet a running host.
fn wait_started(host: &mut Host, bench: &Bench, servicenow: &ServiceNow) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while bench.auditor.requests().total() == 0 || servicenow.requests().total() == 0 {
        host.check_alive();
        assert!(Instant::now() < deadline, "the host did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
}

/// One `sluice alert-response`: its alert, when it started, how long it took, and whether it
/// wrote the store itself rather than hand the alert to the host.
struct Invocation {
    alert: Alert,
    start: Instant,
    took: Duration,
    direct: bool,
}

/// Runs `sluice alert-response` for every alert, `parallel` at a time, as Auditor does:
/// `--alert-name NAME` then the alert and record ids.
fn invoke_all(dir: &Path, alerts: Arc<Vec<Alert>>, parallel: usize) -> Vec<Invocation> {
    let next = Arc::new(AtomicUsize::new(0));
    let config = dir.join("sluice.toml");
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (alerts, next, config) = (alerts.clone(), next.clone(), config.clone());
            std::thread::spawn(move || {
                let mut runs = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(alert) = alerts.get(i) else { break };
                    runs.push(invoke(&config, alert));
                }
                runs
            })
        })
        .collect();
    workers
        .into_iter()
        .flat_map(|w| w.join().expect("an invocation worker"))
        .collect()
}

/// One invocation. Its log is at debug: the quick way (the `sluice` front handing the alert
/// over) prints nothing either way; the full `sluice alert-response` says when it writes the
/// store itself.
fn invoke(config: &Path, alert: &Alert) -> Invocation {
    let start = Instant::now();
    let out = std::process::Command::new(binary())
        .arg("alert-response")
        .arg("--config")
        .arg(config)
        .args(["--alert-name", &alert.name])
        .args([&alert.alert_id, &alert.record_id])
        .env("SLUICE_LOG", "sluice=debug")
        .output()
        .expect("sluice alert-response runs");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sluice alert-response failed: {stderr}"
    );
    Invocation {
        alert: alert.clone(),
        start,
        took,
        direct: stderr.contains(DIRECT_WRITE),
    }
}
