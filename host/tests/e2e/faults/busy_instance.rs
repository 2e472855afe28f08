//! A ServiceNow node whose REST threads are all busy answers 429 to what it cannot take. With
//! its defaults the sink learns how many requests the instance takes at once and keeps to
//! that: every alert delivered, few requests refused.

use sluice_emulators::servicenow::Faults;

use crate::ledger::{account, Expect};
use crate::support::{write_lockouts, Daemon, Site, BRISK};

/// A ticket per account, and no flood ticket: each alert is a create of its own.
const TICKET_PER_ACCOUNT: &str = r#"
    [pipelines.p.suppression]
    group_by = ["Who"]
    ticket_flood_limit = 1000
"#;

/// The site's host, started against a ServiceNow with `faults`, with a lockout alert queued
/// for each of `accounts` accounts.
fn lockouts_against(site: &Site, faults: Faults, accounts: usize) -> Daemon<'_> {
    let rids = write_lockouts(&site.auditor, "lockout", accounts);
    site.servicenow.set_faults(faults);
    let host = site.run().start();
    let alerts: Vec<(&str, &str)> = rids
        .iter()
        .map(|rid| ("ITSM Add-On: User Account Locked Out", rid.as_str()))
        .collect();
    site.queue(&alerts);
    host
}

#[test]
fn a_busy_instance_gets_few_requests_it_must_refuse_and_every_alert_is_delivered() {
    let site = Site::new(&[BRISK, TICKET_PER_ACCOUNT]);
    // Four requests at once at most, each taking 20 ms: the sink's ceiling is 16. Learning
    // that costs a few refusals (the first doubling past four, then a probe now and then):
    // 300 creates make them a small share, as a busy day would.
    let host = lockouts_against(
        &site,
        Faults {
            latency_ms: 20,
            max_transactions: 4,
            ..Faults::default()
        },
        300,
    );
    host.wait_settled(300);
    host.stop().assert_clean();

    account(&site, Expect::delivered(300));
    let requests = site.servicenow.requests();
    let refused = requests.with_status(429);
    assert!(
        refused * 20 < requests.total(),
        "{refused} of {} requests were answered 429",
        requests.total()
    );
}

/// An instance that takes 40 requests a second and answers the rest 429 with `Retry-After`:
/// the sink waits out each `Retry-After` without sending and keeps fewer requests in flight,
/// so few requests are refused, and every alert is delivered, none given up on.
#[test]
fn a_rate_limited_instance_gets_few_requests_it_must_refuse_and_every_alert_is_delivered() {
    let site = Site::new(&[BRISK, TICKET_PER_ACCOUNT]);
    let host = lockouts_against(
        &site,
        Faults {
            latency_ms: 5,
            max_requests_per_second: 40,
            ..Faults::default()
        },
        150,
    );
    // The first incidents are where the sink learns the instance's pace.
    host.wait_until("50 incidents", || site.incidents().len() >= 50);
    let learned = site.servicenow.requests();
    host.wait_settled(150);
    host.stop().assert_clean();

    account(&site, Expect::delivered(150));
    let requests = site.servicenow.requests();
    let refused = requests.with_status(429) - learned.with_status(429);
    let sent = requests.total() - learned.total();
    assert!(
        refused * 20 < sent,
        "once settled, {refused} of {sent} requests were answered 429"
    );
}
