//! The PostgreSQL paths' rows of the one table, after the SQLite paths' and in their style:
//! the same workloads with the store in PostgreSQL, compared with the SQLite figures of the
//! same run where the target is relative; then the failover path, per lease.

use std::time::Duration;

use super::baseline::BaselineFigures;
use super::cells::{
    breakdown, cores, economy, n, p50_p99, per_s, quantile_ms, traffic, Row, Traffic,
};
use super::failover::{FailoverFigures, RATE};
use super::paths::{PollingFigures, ResponseFigures};
use super::workload::Size;

/// Records a second the polling path must reach with its store in PostgreSQL.
const POLLING_TARGET: f64 = 20_000.0;

/// The alert-to-ticket p99 on PostgreSQL may be at most this many times SQLite's.
const TO_TICKET_FACTOR: f64 = 2.0;

/// What the PostgreSQL paths measured.
pub struct Postgres<'a> {
    pub polling: &'a PollingFigures,
    pub response: &'a ResponseFigures,
    /// One per lease length.
    pub failover: &'a [FailoverFigures],
}

/// What the PostgreSQL rows are compared with: the same run's SQLite paths and baselines.
pub struct Sqlite<'a> {
    pub size: Size,
    pub polling: &'a PollingFigures,
    pub polling_baseline: &'a BaselineFigures,
    pub response: &'a ResponseFigures,
    pub response_baseline: &'a BaselineFigures,
}

/// Appends the PostgreSQL paths' rows.
pub fn rows(rows: &mut Vec<Row>, sqlite: &Sqlite<'_>, postgres: &Postgres<'_>) {
    polling_rows(rows, sqlite, postgres.polling);
    response_rows(rows, sqlite, postgres.response);
    for figures in postgres.failover {
        failover_rows(rows, figures);
    }
    economy(
        rows,
        "economy, polling, PostgreSQL",
        &postgres.polling.downstream,
        sqlite.polling_baseline,
    );
    economy(
        rows,
        "economy, response, PostgreSQL",
        &postgres.response.downstream,
        sqlite.response_baseline,
    );
}

/// The polling path on PostgreSQL: record throughput (against SQLite's in this run),
/// traffic, memory.
fn polling_rows(rows: &mut Vec<Row>, sqlite: &Sqlite<'_>, p: &PollingFigures) {
    const PATH: &str = "polling, PostgreSQL";
    let records = sqlite.size.records;
    let (on_postgres, on_sqlite) = (
        per_s(records, p.elapsed),
        per_s(records, sqlite.polling.elapsed),
    );
    rows.push(
        Row::new(
            PATH,
            format!("records/s (SQLite in this run: {})", n(on_sqlite as u64)),
            n(on_postgres as u64),
        )
        .target("≥ 20,000", on_postgres >= POLLING_TARGET),
    );
    let polling = Traffic {
        elapsed: p.elapsed,
        auditor_requests: p.auditor_requests,
        downstream: &p.downstream,
    };
    traffic(
        rows,
        PATH,
        sqlite.size.alerts,
        &polling,
        sqlite.polling_baseline,
    );
    rows.push(
        Row::new(PATH, "host peak RSS (MB)", format!("{:.1}", p.peak_rss_mb))
            .target("≤ 100", p.peak_rss_mb <= 100.0),
    );
}

/// The response-action path on PostgreSQL: latencies (alert to ticket against SQLite's in
/// this run), the hand-over check, traffic, memory, CPU.
fn response_rows(rows: &mut Vec<Row>, sqlite: &Sqlite<'_>, r: &ResponseFigures) {
    const PATH: &str = "response, PostgreSQL";
    let baseline = p50_p99(&sqlite.response_baseline.latencies);
    let invocation = p50_p99(&r.invocations);
    rows.push(
        Row::new(PATH, "one invocation, p50 / p99 (ms)", invocation.shown)
            .against(invocation.p99, baseline.p99, baseline.shown.clone())
            .target("p99 ≤ 20", invocation.p99 <= 20.0),
    );
    let to_ticket = p50_p99(&r.to_ticket);
    let on_sqlite = p50_p99(&sqlite.response.to_ticket);
    let limit = TO_TICKET_FACTOR * on_sqlite.p99;
    rows.push(
        Row::new(
            PATH,
            format!(
                "alert to ticket, p50 / p99 (ms), {} alerts that opened one{} (SQLite in \
                 this run: {})",
                r.to_ticket.len(),
                super::table::runs_p99(r),
                on_sqlite.shown
            ),
            to_ticket.shown,
        )
        .against(to_ticket.p99, baseline.p99, baseline.shown)
        .target(
            format!("p99 ≤ 2 × SQLite's = {limit:.1}"),
            to_ticket.p99 <= limit,
        ),
    );
    handoff_row(rows, PATH, r);
    let response = Traffic {
        elapsed: r.elapsed,
        auditor_requests: r.auditor_requests,
        downstream: &r.downstream,
    };
    traffic(
        rows,
        PATH,
        sqlite.size.alerts,
        &response,
        sqlite.response_baseline,
    );
    rows.push(Row::new(
        PATH,
        "host peak RSS (MB)",
        format!("{:.1}", r.peak_rss_mb),
    ));
    rows.push(Row::new(
        PATH,
        "CPU seconds: host / all invocations / cores × elapsed",
        format!(
            "{:.2} / {:.2} / {:.2}",
            r.host_cpu_s,
            r.invocations_cpu_s,
            cores() * r.elapsed.as_secs_f64()
        ),
    ));
}

/// Whether the invocations handed their alerts to the host, as with SQLite.
fn handoff_row(rows: &mut Vec<Row>, path: &str, r: &ResponseFigures) {
    let h = r.handoff;
    rows.push(
        Row::new(
            path,
            "alerts handed to the host over its socket: host listening; host's fallback \
             warnings; invocations that wrote the store themselves",
            format!(
                "{}; {}; {}",
                if h.listening { "yes" } else { "NO" },
                n(h.host_warnings as u64),
                n(h.direct_writes as u64)
            ),
        )
        .target("yes; 0; 0", h.all_handed_over()),
    );
}

/// Seconds with two decimals, each of `values`, comma-separated.
fn seconds(values: impl Iterator<Item = Duration>) -> String {
    values
        .map(|d| format!("{:.2}", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failover path with one lease: each takeover, the worst, and the ledger.
fn failover_rows(rows: &mut Vec<Row>, f: &FailoverFigures) {
    let path = format!("failover, lease {}s", f.lease.as_secs());
    let takeovers = &f.takeovers;
    rows.push(Row::new(
        &path,
        format!(
            "SIGKILL → the standby took the lease, each of {} runs (s)",
            takeovers.len()
        ),
        seconds(takeovers.iter().map(|t| t.to_lease)),
    ));
    rows.push(Row::new(
        &path,
        "SIGKILL → the new leader's first ticket action reached ServiceNow, each run (s)",
        seconds(takeovers.iter().map(|t| t.to_action)),
    ));
    let actions: Vec<Duration> = takeovers.iter().map(|t| t.to_action).collect();
    let worst = quantile_ms(&actions, 1.0) / 1000.0;
    let limit = f.lease + Duration::from_secs(2);
    rows.push(
        Row::new(
            &path,
            "SIGKILL → first ticket action, max (s)",
            format!("{worst:.2}"),
        )
        .target(
            format!("≤ {} (lease + 2)", limit.as_secs()),
            !actions.is_empty() && worst <= limit.as_secs_f64(),
        ),
    );
    rows.push(
        Row::new(
            &path,
            "alerts queued / delivered / dead-lettered; incidents (opened twice)",
            format!(
                "{} / {} / {}; {} ({})",
                n(f.queued),
                n(f.delivered),
                n(f.dead),
                n(f.incidents),
                n(f.duplicates)
            ),
        )
        .target(
            "all / all / 0; (0)",
            f.delivered == f.queued && f.dead == 0 && f.duplicates == 0,
        ),
    );
    rows.push(Row::new(
        &path,
        "HTTP requests to ServiceNow",
        breakdown(&f.downstream),
    ));
}

/// The paragraph on the PostgreSQL paths: how they ran, or why they did not.
pub fn print_setup(postgres: &Result<Postgres<'_>, &str>) {
    match postgres {
        Ok(p) => println!(
            "PostgreSQL rows: one server on this machine for the whole run, fsync and \
             full_page_writes on (as SQLite's synchronous = FULL), a fresh database per path; \
             the same workloads as the SQLite paths. Failover: two hosts on one store, each in \
             its own directory, {RATE} alerts/s queued into the store, ServiceNow answering in \
             5 ms; the delivering host killed (SIGKILL) {} times per lease and started again \
             as a standby each time.",
            p.failover.first().map_or(0, |f| f.takeovers.len())
        ),
        Err(reason) => println!("PostgreSQL rows: none. {reason}"),
    }
}
