//! Alerts forwarded with `sluice alert-response --to` and over HTTPS: each queued once and
//! delivered, whether repeated, sent at once, sent while the host is down or restarting.
//! Every test runs on both backends: the intake answers 200 only after the alert is committed
//! to the site's store.

use std::time::{Duration, Instant};

use super::*;
use crate::ledger::{account, Expect};
use crate::support::{
    closed_port, on_both_backends, write_lockout, write_lockouts, Backend, PATIENCE,
};

on_both_backends!(
    a_forwarded_alert_opens_one_incident_and_a_repeat_is_the_same_alert,
    the_same_alert_forwarded_sixteen_times_at_once_is_one_alert,
    with_the_host_down_the_forwarder_fails_and_its_retry_makes_one_incident,
    with_the_first_intake_down_the_next_queues_the_alert_once,
    two_thousand_alerts_forwarded_across_two_restarts_are_each_accounted_for_once,
    a_forwarded_csv_opens_one_incident_with_its_record_and_a_retry_adds_nothing,
);

fn a_forwarded_alert_opens_one_incident_and_a_repeat_is_the_same_alert(backend: Backend) {
    let intake = Intake::on(backend, "", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    for _ in 0..2 {
        // The second is Auditor retrying an action whose answer it did not see.
        let output = intake.forward(&rid);
        assert!(output.status.success(), "{output:?}");
    }
    host.wait_settled(1);
    let log = host.stop().assert_clean();
    assert_eq!(
        log.matches("Accepted a forwarded response action.").count(),
        2,
        "{log}"
    );
    assert!(log.contains("repeat=true"), "{log}");
    assert_eq!(alerts_in_store(&intake.site), 1);
    let ledger = account(&intake.site, Expect::delivered(1));
    assert_eq!(ledger.opened(LOCKED_OUT).len(), 1, "{ledger:#?}");
    let incidents = intake.site.incidents();
    assert_eq!(incidents.len(), 1);
    assert!(
        incidents[0]
            .get("short_description")
            .contains("User Account Locked Out"),
        "{incidents:?}"
    );
}

fn the_same_alert_forwarded_sixteen_times_at_once_is_one_alert(backend: Backend) {
    let intake = Intake::on(backend, "", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let client = intake.client(None);
    let answers: Vec<(u16, String)> = intake.site.block_on(async {
        let sends = (0..16).map(|_| {
            json(
                client.post(format!("{}/v1/alerts", intake.url)),
                &serde_json::json!({"alert_id": ALERT_ID, "record_id": rid}),
            )
            .bearer_auth(TOKEN)
            .send()
        });
        let mut answers = Vec::new();
        for response in futures_join(sends).await {
            let response = response.expect("answered");
            answers.push((response.status().as_u16(), response.text().await.unwrap()));
        }
        answers
    });
    let first = &answers[0];
    assert_eq!(first.0, 200, "{answers:?}");
    assert!(
        answers.iter().all(|a| a == first),
        "the same answer each time: {answers:?}"
    );
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
    account(&intake.site, Expect::delivered(1));
}

fn with_the_host_down_the_forwarder_fails_and_its_retry_makes_one_incident(backend: Backend) {
    let intake = Intake::on(backend, "", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let output = intake.forward(&rid);
    assert_eq!(output.status.code(), Some(75), "{output:?}");
    let host = intake.site.run().start();
    // Auditor retries the failed action.
    let output = intake.forward(&rid);
    assert!(output.status.success(), "{output:?}");
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(intake.site.incidents().len(), 1);
    account(&intake.site, Expect::delivered(1));
}

/// Several hosts share one store, each with its intake, and the Auditor server names them
/// all: with the first down, the next queues the alert, whether `--to` is repeated or one
/// value lists both; the second run is Auditor retrying the action, and is the same alert.
fn with_the_first_intake_down_the_next_queues_the_alert_once(backend: Backend) {
    let intake = Intake::on(backend, "", &[]);
    let rid = write_lockout(&intake.site.auditor, "jdoe", "2025-03-11T08:45:12Z");
    let host = intake.site.run().start();
    let down = format!("https://localhost:{}", closed_port());
    let repeated = ["--to", &down, "--to", &intake.url].map(String::from);
    let listed = ["--to".to_owned(), format!("{down},{}", intake.url)];
    for to in [&repeated[..], &listed[..]] {
        let output = crate::util::sluice()
            .arg("alert-response")
            .args(to)
            .arg("--ca-file")
            .arg(&intake.pki.ca)
            .arg("--token-file")
            .arg(&intake.token_file)
            .args(["--alert-name", LOCKED_OUT, ALERT_ID, &rid])
            .env_remove("SLUICE_CONFIG")
            .env_remove("SLUICE_INTAKE_TOKEN")
            .output()
            .expect("sluice runs");
        assert!(output.status.success(), "{to:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("{down}/v1/alerts: cannot connect")),
            "{stderr}"
        );
    }
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
    assert_eq!(intake.site.incidents().len(), 1);
    account(&intake.site, Expect::delivered(1));
}

/// 2,000 alerts sent by 16 forwarders at once, each retrying until the host answers 200, while
/// the host is stopped and started twice: each alert is queued once and delivered.
fn two_thousand_alerts_forwarded_across_two_restarts_are_each_accounted_for_once(backend: Backend) {
    const ALERTS: usize = 2000;
    let intake = Intake::on(backend, "", &[]);
    let rids = write_lockouts(&intake.site.auditor, "storm", ALERTS);
    let host = intake.site.run().start();
    let url = format!("{}/v1/alerts", intake.url);
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    let (intake_ref, url, accepted, rids) = (&intake, &url, &accepted, &rids);
    let host = std::thread::scope(move |scope| {
        for chunk in rids.chunks(ALERTS / 16) {
            // A client each: a client's connections belong to the runtime that made them.
            scope.spawn(move || forward_all(&intake_ref.client(None), url, chunk, accepted));
        }
        let mut host = host;
        for restart in [ALERTS / 4, ALERTS * 3 / 5] {
            host.wait_until(&format!("{restart} alerts accepted"), || {
                accepted.load(std::sync::atomic::Ordering::SeqCst) >= restart
            });
            host.stop().assert_clean();
            host = intake_ref.site.run().start();
        }
        host
    });
    host.wait_settled(ALERTS as u64);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), ALERTS as i64);
    account(&intake.site, Expect::delivered(ALERTS as u64));
}

/// Sends each of `rids` until it is answered 200, as Auditor retries a failed action.
fn forward_all(
    client: &reqwest::Client,
    url: &str,
    rids: &[String],
    accepted: &std::sync::atomic::AtomicUsize,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let deadline = Instant::now() + PATIENCE * 3;
    for rid in rids {
        loop {
            assert!(Instant::now() < deadline, "alert {rid} never accepted");
            let answer = runtime.block_on(async {
                let fields = [
                    ("alert_id", ALERT_ID),
                    ("record_id", rid),
                    ("alert_name", LOCKED_OUT),
                ];
                form(client.post(url), &fields)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            });
            match answer {
                Ok(200) => break,
                Ok(status) => assert!(status == 503 || status == 429, "{rid}: {status}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Auditor's "Write data to CSV file" mode on the Auditor server: the forwarder sends the CSV
/// as it is, the host reads its rows; a retry of the action is the same alerts.
fn a_forwarded_csv_opens_one_incident_with_its_record_and_a_retry_adds_nothing(backend: Backend) {
    let intake = Intake::on(backend, "", &[]);
    let csv = intake.site.dir().join("alert.csv");
    std::fs::write(
        &csv,
        "Who,Object Type,Action,What,Where,When,Details\n\
         CORP\\ckent,user,Modified,\\local\\corp\\Users\\ckent,dc01.corp.local,\
         2025-03-11T11:15:00Z,\"Account Locked Out: False -> True\"\n",
    )
    .expect("write the CSV");
    let host = intake.site.run().start();
    for _ in 0..2 {
        let output = crate::util::sluice()
            .args(["alert-response", "--to", &intake.url, "--ca-file"])
            .arg(&intake.pki.ca)
            .arg("--token-file")
            .arg(&intake.token_file)
            .args(["--alert-name", LOCKED_OUT])
            .arg(&csv)
            .env_remove("SLUICE_CONFIG")
            .output()
            .expect("sluice runs");
        assert!(output.status.success(), "{output:?}");
    }
    host.wait_settled(1);
    host.stop().assert_clean();
    assert_eq!(alerts_in_store(&intake.site), 1);
    let incidents = intake.site.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let notes = intake.site.work_notes(&incidents[0]);
    assert!(
        notes.iter().any(|n| n.value.contains("CORP\\ckent")),
        "the record's fields in the notes: {notes:#?}"
    );
    account(&intake.site, Expect::delivered(1));
}
