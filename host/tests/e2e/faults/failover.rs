//! Several hosts on one shared (PostgreSQL) store, with the real plugins: each accepts
//! response actions, one delivers, and when it dies, is paused past its lease or stops, another
//! takes over; after each, the ledger: every alert delivered once, one incident per ticket.

use std::time::{Duration, Instant};

use super::{alerts, NAMES};
use crate::ledger::{account, Expect};
use crate::support::{tail, write_lockouts, Daemon, Site, BRISK};

/// Layer: a short lease, so that a takeover after a death takes seconds.
const SHORT_LEASE: &str = r#"
    [state]
    lease = "2s"
"#;

/// What a host logs when it takes the delivery lease.
const TOOK: &str = "This host took the delivery lease";

/// Which of `hosts` delivers now (waits until exactly one says it took the lease since
/// `before` of them had).
fn leader<'a, 's>(hosts: &'a [Daemon<'s>], before: &[usize]) -> &'a Daemon<'s> {
    let deadline = Instant::now() + crate::support::PATIENCE;
    loop {
        let took: Vec<usize> = hosts
            .iter()
            .map(|h| h.log().lines().filter(|l| l.contains(TOOK)).count())
            .collect();
        let new: Vec<usize> = (0..hosts.len())
            .filter(|&i| took[i] > before.get(i).copied().unwrap_or(0))
            .collect();
        if let [one] = new.as_slice() {
            return &hosts[*one];
        }
        assert!(new.len() < 2, "two hosts took the lease: {new:?}");
        assert!(
            Instant::now() < deadline,
            "no host took the lease:\n{}",
            hosts
                .iter()
                .map(|h| tail(&h.log()))
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts hosts `a` and `b` on `site`; returns (the one that took the lease, the other), once
/// the other stands by.
fn two_hosts(site: &Site) -> (Daemon<'_>, Daemon<'_>) {
    let hosts = vec![site.run().host("a").start(), site.run().host("b").start()];
    let first = leader(&hosts, &[]).pid();
    let [a, b]: [Daemon<'_>; 2] = hosts.try_into().ok().expect("two hosts");
    let (leader, standby) = if a.pid() == first { (a, b) } else { (b, a) };
    standby.wait_for_lines("Another host delivers", 1);
    (leader, standby)
}

#[test]
fn the_standby_takes_over_when_the_delivering_host_is_killed() {
    let site = Site::shared(&[BRISK, SHORT_LEASE]);
    let rids = write_lockouts(&site.auditor, "failover", 40);
    let (first, standby) = two_hosts(&site);
    site.queue(&alerts(&rids[..20], &NAMES));
    first.wait_settled(20);
    first.kill();
    site.queue(&alerts(&rids[20..], &NAMES));
    standby.wait_for_lines(TOOK, 1);
    standby.wait_settled(40);
    standby.stop().assert_clean();
    account(&site, Expect::delivered(40));
}

#[test]
fn a_clean_stop_hands_delivery_over_at_once() {
    // A lease far longer than the test: only a hand-over lets the standby deliver.
    let site = Site::shared(&[BRISK, "[state]\nlease = \"10m\""]);
    let rids = write_lockouts(&site.auditor, "handover", 12);
    let (first, standby) = two_hosts(&site);
    let log = first.stop().assert_clean();
    assert!(
        log.contains("Handed the delivery lease over."),
        "{}",
        tail(&log)
    );
    standby.wait_for_lines(TOOK, 1);
    site.queue(&alerts(&rids, &NAMES));
    standby.wait_settled(12);
    standby.stop().assert_clean();
    account(&site, Expect::delivered(12));
}
