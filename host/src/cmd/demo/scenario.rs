//! The demo's story, act by act: what happens in the domain, what Netwrix Auditor and the
//! service desk do, and when; sluice's pipelines are stepped after each act.
//!
//! The host clock is a manual one: the story covers two hours and runs in seconds. Every
//! interval (consolidation, flood window, update interval) is the vendor add-on's default.

use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::ProgressBar;
use sluice_emulators::auditor::dataset::{Employee, Script};

use super::stage::{Stage, LOCKOUT_ALERT, POLLING_PIPELINE};
use crate::cmd::GlobalArgs;

/// Failed logons in the password spray.
const SPRAY_LOGONS: usize = 500;
/// Accounts the spray tries.
const SPRAY_ACCOUNTS: usize = 40;
/// Accounts added to Domain Admins in the burst.
const BURST_CHANGES: usize = 6;
/// The Auditor alert id the response action passes (Auditor's are GUIDs).
const LOCKOUT_ALERT_ID: &str = "2f1b6c1e-8a4d-4d5e-9c2a-6b7e0f3d1a90";

/// One act: when it happens (after the start) and what the progress bar says.
#[derive(Debug, Clone, Copy)]
pub(super) struct Act {
    /// Offset from the start of the story.
    pub at: Duration,
    /// What happens.
    pub title: &'static str,
}

/// The acts, in order.
pub(super) const ACTS: [Act; 9] = [
    Act {
        at: Duration::ZERO,
        title: "Installing the shipped alert set (`sluice alerts upload`)",
    },
    Act {
        at: Duration::ZERO,
        title: "Loading the netwrix-auditor and servicenow plugins",
    },
    Act {
        at: minutes(1),
        title: "A user is locked out; Auditor runs the response action (and retries it)",
    },
    Act {
        at: minutes(9),
        title: "An administrator adds six accounts to Domain Admins",
    },
    Act {
        at: minutes(25),
        title: "The consolidation interval ends: the repeats become one update",
    },
    Act {
        at: minutes(35),
        title: "A password spray: 500 failed logons against 40 accounts",
    },
    Act {
        at: minutes(51),
        title: "The flood ticket takes the alerts beyond the flood limit",
    },
    Act {
        at: minutes(60),
        title: "The service desk resolves the lockout ticket",
    },
    Act {
        at: minutes(120),
        title: "The same user is locked out again: the ticket is reopened",
    },
];

const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// Plays every act on `stage`, moving `progress` along.
pub(super) fn play(
    stage: &mut Stage,
    global: &GlobalArgs,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let mut script = Script::new(2026);
    let employees = script.employees().to_vec();
    let locked_out = employees[4].clone();
    let admin = script.domain_admins()[1];

    for (i, act) in ACTS.iter().enumerate() {
        progress.set_message(act.title);
        stage.at(act.at);
        match i {
            0 => {
                stage.sluice(&["alerts", "upload"])?;
                // Lockouts come from Auditor's own alert: the polling pipeline leaves them be.
                stage.sluice(&[
                    "alerts",
                    "--pipeline",
                    POLLING_PIPELINE,
                    "disable",
                    LOCKOUT_ALERT,
                ])?;
            }
            1 => stage.build_engines(global)?,
            2 | 8 => {
                let record = script.lockout(stage.time(act.at), &locked_out);
                let rid = stage.auditor.write(vec![record]).remove(0);
                let response = [
                    "alert-response",
                    "--alert-name",
                    LOCKOUT_ALERT,
                    LOCKOUT_ALERT_ID,
                    rid.as_str(),
                ];
                stage.sluice(&response)?;
                if i == 2 {
                    // Auditor retries an action it thinks failed: the duplicate is ignored.
                    stage.sluice(&response)?;
                }
            }
            3 => {
                let records = (0..BURST_CHANGES)
                    .map(|n| {
                        let when = stage.time(minutes(5) + Duration::from_secs(30 * n as u64));
                        let member = &employees[20 + n];
                        script.privileged_member_added(when, admin, "Domain Admins", member)
                    })
                    .collect();
                stage.auditor.write(records);
            }
            5 => {
                let records = spray(&mut script, stage, &employees[40..40 + SPRAY_ACCOUNTS]);
                stage.auditor.write(records);
            }
            7 => resolve(stage, LOCKOUT_ALERT)?,
            _ => {}
        }
        if i >= 1 {
            stage.settle()?;
        }
        progress.inc(1);
    }
    Ok(())
}

/// The password spray: `SPRAY_LOGONS` failed logons from one workstation, round-robin over
/// `targets`, spread over four minutes starting 30 minutes in.
fn spray(
    script: &mut Script,
    stage: &Stage,
    targets: &[Employee],
) -> Vec<sluice_emulators::auditor::ActivityRecord> {
    let span_ms = 4 * 60 * 1000;
    (0..SPRAY_LOGONS)
        .map(|n| {
            let offset = minutes(30) + Duration::from_millis((n * span_ms / SPRAY_LOGONS) as u64);
            let target = &targets[n % targets.len()];
            script.failed_logon(stage.time(offset), target, "kiosk-07.corp.local")
        })
        .collect()
}

/// Resolves the newest incident for `alert` as a service desk agent would: state Resolved
/// with a close code and notes, through the Table API.
fn resolve(stage: &Stage, alert: &str) -> anyhow::Result<()> {
    let incident = stage
        .servicenow
        .incidents()
        .into_iter()
        .filter(|i| i.get("short_description").contains(alert))
        .max_by(|a, b| a.number().cmp(b.number()))
        .with_context(|| format!("no incident for {alert:?} to resolve"))?;
    let url = format!(
        "{}/api/now/table/incident/{}",
        stage.servicenow_url,
        incident.sys_id()
    );
    // A code the instance lists: "Solved (Permanently)" on the older releases' list, "Solution
    // provided" on today's.
    let codes = stage.servicenow.profile().close_codes;
    let close_code = ["Solved (Permanently)", "Solution provided"]
        .into_iter()
        .find(|c| codes.iter().any(|listed| listed == c))
        .unwrap_or_default();
    let body = serde_json::json!({
        "state": "6",
        "close_code": close_code,
        "close_notes": "Unlocked the account. The user had an old password saved on their phone.",
    });
    let status = stage.runtime.block_on(async {
        crate::capabilities::install_crypto_provider();
        reqwest::Client::new()
            .patch(&url)
            .basic_auth("admin", Some("admin"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map(|r| r.status())
    })?;
    if !status.is_success() {
        bail!(
            "resolving {} in the ServiceNow emulator answered {status}",
            incident.number()
        );
    }
    Ok(())
}
