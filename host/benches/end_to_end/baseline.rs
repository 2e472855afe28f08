//! The baseline: what a hand-written response-action script does for each alert. It fetches
//! the alert's record from Auditor (one search by `RID Equals`, as the API's documentation
//! says to fetch one record) and POSTs one incident to ServiceNow: no suppression, no
//! batching, no state.
//!
//! It runs in this process, 8 alerts at a time as Auditor runs response actions, with a new
//! connection per request as a new script process would have, but without the cost of
//! starting a process: a lower bound for any real script, so the ratios flatter the baseline.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::workload::Alert;

/// What the baseline did.
#[derive(Debug)]
pub struct BaselineFigures {
    pub elapsed: Duration,
    /// Per alert, from its start until its incident was created.
    pub latencies: Vec<Duration>,
    pub auditor_requests: u64,
    pub servicenow_requests: u64,
    pub incidents: u64,
}

/// Runs the script for every alert, `parallel` at a time.
pub async fn run(
    alerts: Arc<Vec<Alert>>,
    auditor_url: &str,
    servicenow_url: &str,
    parallel: usize,
) -> BaselineFigures {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..parallel {
        let (alerts, next) = (alerts.clone(), next.clone());
        let search = format!("{auditor_url}/netwrix/api/v1/activity_records/search?format=json");
        let incident = format!("{servicenow_url}/api/now/table/incident");
        workers.push(tokio::spawn(async move {
            // No connection reuse: each script run is a new process.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("an HTTP client");
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(alert) = alerts.get(i) else { break };
                let t0 = Instant::now();
                script(&client, &search, &incident, alert).await;
                latencies.push(t0.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.expect("a baseline worker"));
    }
    BaselineFigures {
        elapsed: started.elapsed(),
        auditor_requests: latencies.len() as u64,
        servicenow_requests: latencies.len() as u64,
        incidents: latencies.len() as u64,
        latencies,
    }
}

/// One alert: fetch its record, open an incident with it.
async fn script(client: &reqwest::Client, search: &str, incident: &str, alert: &Alert) {
    let page = client
        .post(search)
        .basic_auth("CORP\\svc-sluice", Some("sluice-demo"))
        .header("Content-Type", "application/json")
        .body(json!({ "FilterList": { "RID": { "Equals": alert.record_id } } }).to_string())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the record search")
        .bytes()
        .await
        .expect("a page");
    let page: Value = serde_json::from_slice(&page).expect("a JSON page");
    let record = &page["ActivityRecordList"][0];
    assert!(record.is_object(), "record {} not found", alert.record_id);
    let body = json!({
        "short_description": format!("Netwrix Auditor alert: {}", alert.name),
        "description": serde_json::to_string_pretty(record).unwrap_or_default(),
        "category": "Security",
        "impact": "1",
        "urgency": "1",
    });
    client
        .post(incident)
        .basic_auth("sluice", Some("sluice"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the incident POST");
}
