//! The one table: sluice's figures, the baseline's, sluice's as a ratio to the baseline's,
//! the target and whether it is met.

use std::time::Duration;

use super::baseline::BaselineFigures;
use super::observe::Downstream;
use super::paths::{PollingFigures, RateLimitedFigures, ResponseFigures};
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
}

/// The rate-limited path counts refusals from then on: before, the sink is still learning
/// what the instance takes.
const SETTLED_AFTER: Duration = Duration::from_secs(5);

struct Row {
    path: &'static str,
    figure: String,
    sluice: String,
    baseline: String,
    ratio: String,
    target: &'static str,
    met: Option<bool>,
}

impl Row {
    fn new(path: &'static str, figure: impl Into<String>, sluice: impl Into<String>) -> Row {
        Row {
            path,
            figure: figure.into(),
            sluice: sluice.into(),
            baseline: String::new(),
            ratio: String::new(),
            target: "",
            met: None,
        }
    }

    fn against(mut self, sluice: f64, baseline: f64, shown: String) -> Row {
        self.baseline = shown;
        self.ratio = ratio(sluice, baseline);
        self
    }

    fn target(mut self, target: &'static str, met: bool) -> Row {
        self.target = target;
        self.met = Some(met);
        self
    }
}

fn ratio(sluice: f64, baseline: f64) -> String {
    if baseline == 0.0 {
        return "—".to_owned();
    }
    let r = sluice / baseline;
    if r >= 10.0 {
        format!("{r:.0}×")
    } else if r >= 0.1 {
        format!("{r:.2}×")
    } else {
        format!("{r:.4}×")
    }
}

/// Thousands separated by commas.
fn n(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn per_s(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// The `q` quantile (nearest rank) of `values`, ms.
pub fn quantile_ms(values: &[Duration], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// The median and the 99th percentile of a set of latencies.
struct Latencies {
    /// ms.
    p99: f64,
    /// `p50 / p99`, ms.
    shown: String,
}

fn p50_p99(values: &[Duration]) -> Latencies {
    let (p50, p99) = (quantile_ms(values, 0.5), quantile_ms(values, 0.99));
    Latencies {
        p99,
        shown: format!("{p50:.1} / {p99:.1}"),
    }
}

/// The ServiceNow requests of a path, split by what they did.
fn breakdown(d: &Downstream) -> String {
    format!(
        "{} ({} creates, {} updates, {} attachments, {} reads, {} at start)",
        n(d.requests),
        n(d.creates),
        n(d.writes),
        n(d.attachments),
        n(d.reads),
        n(d.other)
    )
}

fn economy(rows: &mut Vec<Row>, path: &'static str, d: &Downstream, baseline: &BaselineFigures) {
    let per_ticket = d.creates as f64 / d.incidents.max(1) as f64;
    rows.push(
        Row::new(
            path,
            "ServiceNow requests per ticket created",
            format!("{per_ticket:.2}"),
        )
        .against(
            per_ticket,
            baseline.servicenow_requests as f64 / baseline.incidents.max(1) as f64,
            "1.00".to_owned(),
        )
        .target("1", d.creates == d.incidents),
    );
    let (writes, attachments) = if d.updates == 0 {
        (0.0, 0.0)
    } else {
        (
            (d.writes + d.reads) as f64 / d.updates as f64,
            d.attachments as f64 / d.updates as f64,
        )
    };
    rows.push(
        Row::new(
            path,
            "ServiceNow requests per consolidated update",
            format!("{writes:.2} + {attachments:.2} attachment"),
        )
        .target(
            "1 + 1 per attachment",
            d.writes + d.reads <= d.updates && d.attachments <= d.updates,
        ),
    );
}

/// What a path sent to each system, and how long it took.
struct Traffic<'a> {
    /// To the last confirmed ticket action.
    elapsed: Duration,
    auditor_requests: u64,
    downstream: &'a Downstream,
}

/// The rows both paths have: throughput, requests to each system, tickets and updates.
fn traffic(
    rows: &mut Vec<Row>,
    path: &'static str,
    alerts: usize,
    traffic: &Traffic<'_>,
    baseline: &BaselineFigures,
) {
    let Traffic {
        elapsed,
        auditor_requests,
        downstream: d,
    } = *traffic;
    let (sa, ba) = (per_s(alerts, elapsed), per_s(alerts, baseline.elapsed));
    rows.push(
        Row::new(
            path,
            "alerts/s (to the last confirmed ticket action)",
            n(sa as u64),
        )
        .against(sa, ba, n(ba as u64)),
    );
    rows.push(
        Row::new(path, "HTTP requests to Auditor", n(auditor_requests)).against(
            auditor_requests as f64,
            baseline.auditor_requests as f64,
            n(baseline.auditor_requests),
        ),
    );
    rows.push(
        Row::new(path, "HTTP requests to ServiceNow", breakdown(d)).against(
            d.requests as f64,
            baseline.servicenow_requests as f64,
            n(baseline.servicenow_requests),
        ),
    );
    rows.push(
        Row::new(
            path,
            "tickets opened / updates written",
            format!("{} / {}", n(d.incidents), n(d.updates)),
        )
        .against(
            d.incidents as f64,
            baseline.incidents as f64,
            format!("{} / 0", n(baseline.incidents)),
        ),
    );
}

/// The cores this machine offers.
fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

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
    println!();
    print_workload(run);
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
                "alert to ticket, p50 / p99 (ms), {} alerts that opened one",
                r.to_ticket.len()
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
}

/// The table itself, in Markdown.
fn print_rows(rows: Vec<Row>) {
    println!("| path | figure | sluice | baseline | sluice ÷ baseline | target | met |");
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        let met = match row.met {
            Some(true) => "pass",
            Some(false) => "MISS",
            None => "",
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.path, row.figure, row.sluice, row.baseline, row.ratio, row.target, met
        );
    }
}
