//! The one table: sluice's figures, the baseline's, sluice's as a ratio to the baseline's,
//! the target and whether it is met. The SQLite paths' rows come first, as they always were;
//! the PostgreSQL paths' follow (`table_postgres.rs`).

use std::time::Duration;

use super::baseline::BaselineFigures;
use super::cells::{
    breakdown, cores, economy, n, p50_p99, per_s, print_rows, traffic, Row, Traffic,
};
use super::paths::{PollingFigures, RateLimitedFigures, ResponseFigures};
use super::table_postgres::{self, Postgres, Sqlite};
use super::workload::{sink_concurrency, Size};

/// Everything one run measured.
pub struct Run<'a> {
    pub size: Size,
    pub consolidation: &'a str,
    pub parallel: usize,
    pub latency_ms: u64,
    pub polling: &'a PollingFigures,
    pub polling_baseline: &'a BaselineFigures,
    pub response: &'a ResponseFigures,
    pub response_baseline: &'a BaselineFigures,
    pub rate_limited: &'a RateLimitedFigures,
    /// The PostgreSQL paths, or why they did not run.
    pub postgres: Result<Postgres<'a>, &'a str>,
}

/// The rate-limited path counts refusals from then on: before, the sink is still learning
/// what the instance takes.
const SETTLED_AFTER: Duration = Duration::from_secs(5);

/// Prints the table to stdout.
pub fn print(run: &Run<'_>) {
    let mut rows = Vec::new();
    polling_rows(&mut rows, run);
    response_rows(&mut rows, run);
    rate_limited_rows(&mut rows, run.rate_limited);
    economy(
        &mut rows,
        "economy, polling",
        &run.polling.downstream,
        run.polling_baseline,
    );
    economy(
        &mut rows,
        "economy, response",
        &run.response.downstream,
        run.response_baseline,
    );
    if let Ok(postgres) = &run.postgres {
        let sqlite = Sqlite {
            size: run.size,
            polling: run.polling,
            polling_baseline: run.polling_baseline,
            response: run.response,
            response_baseline: run.response_baseline,
        };
        table_postgres::rows(&mut rows, &sqlite, postgres);
    }
    println!();
    print_workload(run);
    println!();
    table_postgres::print_setup(&run.postgres);
    println!();
    print_rows(rows);
}

/// The polling path: record throughput, traffic, memory.
fn polling_rows(rows: &mut Vec<Row>, run: &Run<'_>) {
    let p = run.polling;
    let records_per_s = per_s(run.size.records, p.elapsed);
    rows.push(
        Row::new("polling", "records/s", n(records_per_s as u64))
            .target("≥ 50,000", records_per_s >= 50_000.0),
    );
    let polling = Traffic {
        elapsed: p.elapsed,
        auditor_requests: p.auditor_requests,
        downstream: &p.downstream,
    };
    traffic(
        rows,
        "polling",
        run.size.alerts,
        &polling,
        run.polling_baseline,
    );
    rows.push(
        Row::new(
            "polling",
            "host peak RSS (MB)",
            format!("{:.1}", p.peak_rss_mb),
        )
        .target("≤ 100", p.peak_rss_mb <= 100.0),
    );
}

/// The response-action path: latencies, traffic, memory, CPU.
fn response_rows(rows: &mut Vec<Row>, run: &Run<'_>) {
    let r = run.response;
    let baseline = p50_p99(&run.response_baseline.latencies);
    let invocation = p50_p99(&r.invocations);
    rows.push(
        Row::new(
            "response",
            "one invocation, p50 / p99 (ms)",
            invocation.shown,
        )
        .against(invocation.p99, baseline.p99, baseline.shown.clone())
        .target("p99 ≤ 20", invocation.p99 <= 20.0),
    );
    let to_ticket = p50_p99(&r.to_ticket);
    rows.push(
        Row::new(
            "response",
            format!(
                "alert to ticket, p50 / p99 (ms), {} alerts that opened one{}",
                r.to_ticket.len(),
                runs_p99(r)
            ),
            to_ticket.shown,
        )
        .against(to_ticket.p99, baseline.p99, baseline.shown)
        .target("p99 ≤ 100", to_ticket.p99 <= 100.0),
    );
    let response = Traffic {
        elapsed: r.elapsed,
        auditor_requests: r.auditor_requests,
        downstream: &r.downstream,
    };
    traffic(
        rows,
        "response",
        run.size.alerts,
        &response,
        run.response_baseline,
    );
    rows.push(Row::new(
        "response",
        "host peak RSS (MB)",
        format!("{:.1}", r.peak_rss_mb),
    ));
    // What the two cores did meanwhile: the invocations are Auditor's load, not sluice's
    // work, but on this machine they compete with the host for the same cores.
    rows.push(Row::new(
        "response",
        "CPU seconds: host / all invocations / cores × elapsed",
        format!(
            "{:.2} / {:.2} / {:.2}",
            r.host_cpu_s,
            r.invocations_cpu_s,
            cores() * r.elapsed.as_secs_f64()
        ),
    ));
}

/// `" in N runs (p99 of each: …)"` when the figures pool several runs.
pub fn runs_p99(r: &ResponseFigures) -> String {
    if r.run_p99s.len() < 2 {
        return String::new();
    }
    let each: Vec<String> = r.run_p99s.iter().map(|p99| format!("{p99:.1}")).collect();
    format!(
        " in {} runs (p99 of each: {})",
        r.run_p99s.len(),
        each.join(", ")
    )
}

/// The rate-limited path: everything delivered, few requests refused once settled.
fn rate_limited_rows(rows: &mut Vec<Row>, r: &RateLimitedFigures) {
    const PATH: &str = "rate-limited";
    let alerts = r.delivered + r.dead;
    rows.push(
        Row::new(
            PATH,
            "alerts delivered / ticket actions dead-lettered",
            format!("{} of {} / {}", n(r.delivered), n(alerts), n(r.dead)),
        )
        .target("all / 0", r.dead == 0 && r.downstream.incidents > 0),
    );
    let share = |answers: &[&(Duration, bool)]| {
        let refused = answers.iter().filter(|(_, refused)| *refused).count();
        let percent = 100.0 * refused as f64 / answers.len().max(1) as f64;
        (refused, answers.len(), percent)
    };
    let all: Vec<_> = r.answers.iter().collect();
    let settled: Vec<_> = r
        .answers
        .iter()
        .filter(|(at, _)| *at >= SETTLED_AFTER)
        .collect();
    let (refused, total, percent) = share(&all);
    rows.push(Row::new(
        PATH,
        "requests answered 429, all",
        format!(
            "{} of {} ({percent:.1} %)",
            n(refused as u64),
            n(total as u64)
        ),
    ));
    let (refused, total, percent) = share(&settled);
    rows.push(
        Row::new(
            PATH,
            format!(
                "requests answered 429, after the first {} s",
                SETTLED_AFTER.as_secs()
            ),
            format!(
                "{} of {} ({percent:.1} %)",
                n(refused as u64),
                n(total as u64)
            ),
        )
        .target("< 5 %", total > 0 && percent < 5.0),
    );
    let accepted = r.answers.iter().filter(|(_, refused)| !refused).count();
    rows.push(Row::new(
        PATH,
        format!("requests/s ServiceNow took (its limit: {})", r.limit),
        format!("{:.1}", per_s(accepted, r.elapsed)),
    ));
    rows.push(Row::new(
        PATH,
        "HTTP requests to ServiceNow",
        breakdown(&r.downstream),
    ));
    rows.push(Row::new(
        PATH,
        "tickets opened / updates written",
        format!(
            "{} / {}",
            n(r.downstream.incidents),
            n(r.downstream.updates)
        ),
    ));
}

/// The paragraph above the table: what was run, and how.
fn print_workload(run: &Run<'_>) {
    let size = run.size;
    println!(
        "{} Activity Records, {} alerts over {} alert types; consolidation interval {}; \
         response actions {} at a time; ServiceNow (London emulator) answers at once when \
         polling, in {} ms for response actions; the sink's requests in flight: {}.",
        n(size.records as u64),
        n(size.alerts as u64),
        size.types,
        run.consolidation,
        run.parallel,
        run.latency_ms,
        sink_concurrency().map_or_else(
            || "the default (adaptive, up to 16)".to_owned(),
            |n| format!("{n}, fixed (SLUICE_BENCH_CONCURRENCY)")
        )
    );
    let runs = run.response.run_p99s.len();
    if runs > 1 {
        println!(
            "The response-action path ran {runs} times on each store, alternating between them; \
             its latencies are of all runs together, its other figures of the first run."
        );
    }
}
