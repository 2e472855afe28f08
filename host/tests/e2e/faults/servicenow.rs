//! ServiceNow misbehaving: down, rate limiting, 500s, timeouts, connections cut before or
//! after a write was applied, and failing long enough that delivery gives up.
//!
//! The tests run on both backends: what each fault leaves to the host (a retry and its due
//! time, a create in doubt looked up, a dead letter and its reason) is kept in the store.
//! Rate limiting runs on SQLite alone: what it checks is the wait `Retry-After` asks for, which
//! the sink reports and delivery times the same on either store (kept there as any retry's due
//! time, which the other tests cover); its 20 s of waiting are not worth doubling.

use std::time::Instant;

use sluice_emulators::servicenow::{Faults, RateLimitRule, Trigger};

use super::{alerts, NAMES};
use crate::ledger::{account, Expect, Updates};
use crate::support::{on_both_backends, tail, write_lockouts, Backend, Site, BRISK};

on_both_backends!(
    servicenow_down_for_a_while_then_back,
    servicenow_500s_and_timeouts,
    servicenow_connections_cut_before_and_after_writes,
    servicenow_failing_past_give_up_after_dead_letters_with_a_reason,
);

/// Layer: retries every few milliseconds, unless a `Retry-After` says otherwise (capped at a
/// second).
const RETRY_AT_ONCE: &str = r#"
    [pipelines.p.delivery]
    retry_initial = "10ms"
    retry_max = "20ms"
    retry_after_max = "1s"
"#;

/// Layer: the sink stops waiting for an answer after a second.
const IMPATIENT: &str = r#"
    [pipelines.p.sink]
    request_timeout = "1s"
"#;

/// Layer: delivery gives up on a ticket action after a second of failures.
const GIVE_UP_AT_ONCE: &str = r#"
    [pipelines.p.delivery]
    give_up_after = "1s"
"#;

fn servicenow_down_for_a_while_then_back(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rids = write_lockouts(&site.auditor, "down", 24);
    // Down when the host starts: its healthcheck fails, and it runs anyway.
    site.stop_servicenow();
    let host = site.run().start();
    site.queue(&alerts(&rids[..8], &NAMES[..2]));
    host.wait_until("retries while ServiceNow is down", || {
        site.retrying().len() >= 2
    });
    site.start_servicenow();
    host.wait_settled(8);

    // Agents resolve the two tickets; then ServiceNow goes down again while alerts keep
    // arriving, for those tickets and new ones.
    let resolved: Vec<String> = site
        .incidents()
        .iter()
        .map(|i| i.number().to_owned())
        .collect();
    for number in &resolved {
        assert!(site.servicenow.set_state(number, "6"));
    }
    site.stop_servicenow();
    site.queue(&alerts(&rids[8..], &NAMES));
    host.wait_until("retries while ServiceNow is down", || {
        site.retrying().len() >= 2
    });
    site.start_servicenow();
    host.wait_settled(24);
    host.stop().assert_clean();

    let ledger = account(&site, Expect::delivered(24));
    for name in NAMES {
        assert_eq!(ledger.opened(name).len(), 1, "{name}");
    }
    for number in &resolved {
        let incident = site.servicenow.incident(number).unwrap();
        assert_eq!(
            incident.state(),
            "1",
            "{number} was reopened by its repeats"
        );
    }
}

#[test]
fn servicenow_rate_limiting_with_retry_after_is_waited_out() {
    // Without Retry-After, retries would come every few milliseconds.
    let site = Site::new(&[BRISK, RETRY_AT_ONCE]);
    let rids = write_lockouts(&site.auditor, "limited", 15);
    let host = site.run().start();
    site.queue(&alerts(&rids[..3], &NAMES[..1]));
    host.wait_settled(3);

    // Every request of the hour past the limit gets 429 with Retry-After until the hour's
    // end, which the host caps at retry_after_max.
    let mut profile = site.servicenow.profile();
    profile.rate_limit = Some(RateLimitRule::per_hour(0));
    site.servicenow.set_profile(profile.clone());
    let limited_since = Instant::now();
    site.queue(&alerts(&rids[3..], &NAMES[1..]));
    let rate_limited = || site.servicenow.requests().with_status(429);
    host.wait_until("three rounds of 429s", || rate_limited() >= 9);
    let (answered, waited) = (rate_limited(), limited_since.elapsed().as_secs_f64());
    // Three tickets to open, one request each per round, a round per Retry-After (1 s).
    assert!(
        answered as f64 <= 3.0 * (waited.ceil() + 2.0),
        "{answered} requests answered 429 in {waited:.1} s: Retry-After was not waited out"
    );
    profile.rate_limit = None;
    site.servicenow.set_profile(profile);
    host.wait_settled(15);
    host.stop().assert_clean();

    account(&site, Expect::delivered(15));
}

fn servicenow_500s_and_timeouts(backend: Backend) {
    let site = Site::on(backend, &[BRISK, IMPATIENT]);
    let rids = write_lockouts(&site.auditor, "flaky", 32);
    let host = site.run().start();

    // The next three requests, then a third of them, fail with 500 and do nothing.
    site.servicenow.set_faults(Faults {
        server_error: Trigger {
            next: 3,
            probability: 0.3,
        },
        ..Faults::default()
    });
    site.queue(&alerts(&rids[..16], &NAMES));
    host.wait_settled(16);
    assert!(site.servicenow.requests().with_status(500) >= 3);

    // Every answer comes after the sink stopped waiting.
    site.servicenow.set_faults(Faults {
        latency_ms: 2500,
        ..Faults::default()
    });
    site.queue(&alerts(&rids[16..], &NAMES));
    host.wait_until("timed-out deliveries", || {
        site.retrying()
            .iter()
            .filter(|e| e.contains("Timeout"))
            .count()
            >= 2
    });
    site.servicenow.set_faults(Faults::default());
    host.wait_settled(32);
    host.stop().assert_clean();

    account(&site, Expect::delivered(32));
}

fn servicenow_connections_cut_before_and_after_writes(backend: Backend) {
    let site = Site::on(backend, &[BRISK]);
    let rids = write_lockouts(&site.auditor, "reset", 40);
    // The first create is applied but its answer is lost: the host must find that incident,
    // not open another.
    site.servicenow.set_faults(Faults {
        ambiguous_post: Trigger::next(1),
        ..Faults::default()
    });
    let host = site.run().start();
    site.queue(&alerts(&rids[..1], &NAMES[..1]));
    host.wait_settled(1);
    assert!(
        host.log()
            .contains("Found the ticket an interrupted attempt had opened"),
        "the lost create was looked up:\n{}",
        tail(&host.log())
    );

    // Then connections cut at random, before anything is done or after a POST (a create or an
    // attachment) was applied.
    site.servicenow.set_faults(Faults {
        drop_connection: Trigger {
            next: 2,
            probability: 0.2,
        },
        ambiguous_post: Trigger {
            next: 1,
            probability: 0.2,
        },
        ..Faults::default()
    });
    site.queue(&alerts(&rids[1..], &NAMES));
    host.wait_settled(40);
    host.stop().assert_clean();
    assert!(site.servicenow.requests().dropped() >= 3);

    // An attachment whose answer was lost is sent again: updates are at least once.
    account(
        &site,
        Expect {
            updates: Updates::AtLeastOnce,
            ..Expect::delivered(40)
        },
    );
}

fn servicenow_failing_past_give_up_after_dead_letters_with_a_reason(backend: Backend) {
    let site = Site::on(backend, &[BRISK, GIVE_UP_AT_ONCE]);
    let rids = write_lockouts(&site.auditor, "dead", 8);
    site.servicenow.set_faults(Faults {
        server_error: Trigger::probability(1.0),
        ..Faults::default()
    });
    let host = site.run().start();
    site.queue(&alerts(&rids[..6], &NAMES[..2]));
    host.wait_settled(6);
    assert!(site.incidents().is_empty());

    // Back: new alerts of the same names open their tickets.
    site.servicenow.set_faults(Faults::default());
    site.queue(&alerts(&rids[6..], &NAMES[..2]));
    host.wait_settled(8);
    host.stop().assert_clean();

    let ledger = account(
        &site,
        Expect {
            dead: 6,
            ..Expect::delivered(8)
        },
    );
    for name in &NAMES[..2] {
        assert_eq!(ledger.opened(name).len(), 1, "{name}");
    }
    let reasons = site.dead_letters();
    assert!(
        reasons
            .iter()
            .all(|r| r.starts_with("gave up after") && r.contains("500")),
        "{reasons:#?}"
    );
}
