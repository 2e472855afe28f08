//! The cells of the one table: a row, and the figures' formatting (thousands, ratios,
//! latency quantiles, request breakdowns) and the rows every path shares.

use std::time::Duration;

use super::baseline::BaselineFigures;
use super::observe::Downstream;

/// One row of the table.
pub struct Row {
    path: String,
    figure: String,
    sluice: String,
    baseline: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

impl Row {
    pub fn new(
        path: impl Into<String>,
        figure: impl Into<String>,
        sluice: impl Into<String>,
    ) -> Row {
        Row {
            path: path.into(),
            figure: figure.into(),
            sluice: sluice.into(),
            baseline: String::new(),
            ratio: String::new(),
            target: String::new(),
            met: None,
        }
    }

    pub fn against(mut self, sluice: f64, baseline: f64, shown: String) -> Row {
        self.baseline = shown;
        self.ratio = ratio(sluice, baseline);
        self
    }

    pub fn target(mut self, target: impl Into<String>, met: bool) -> Row {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

pub fn ratio(sluice: f64, baseline: f64) -> String {
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
pub fn n(value: u64) -> String {
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

pub fn per_s(count: usize, elapsed: Duration) -> f64 {
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
pub struct Latencies {
    /// ms.
    pub p99: f64,
    /// `p50 / p99`, ms.
    pub shown: String,
}

pub fn p50_p99(values: &[Duration]) -> Latencies {
    let (p50, p99) = (quantile_ms(values, 0.5), quantile_ms(values, 0.99));
    Latencies {
        p99,
        shown: format!("{p50:.1} / {p99:.1}"),
    }
}

/// The ServiceNow requests of a path, split by what they did.
pub fn breakdown(d: &Downstream) -> String {
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

pub fn economy(rows: &mut Vec<Row>, path: &str, d: &Downstream, baseline: &BaselineFigures) {
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
pub struct Traffic<'a> {
    /// To the last confirmed ticket action.
    pub elapsed: Duration,
    pub auditor_requests: u64,
    pub downstream: &'a Downstream,
}

/// The rows both paths have: throughput, requests to each system, tickets and updates.
pub fn traffic(
    rows: &mut Vec<Row>,
    path: &str,
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
pub fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// The table itself, in Markdown.
pub fn print_rows(rows: Vec<Row>) {
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
