//! Faults of several hosts on one shared (PostgreSQL) store under a flood, with the real
//! plugins: the delivering host SIGKILLed at random points again and again (a new host joining
//! for each one lost), paused past its lease and continued, cut off from the database, and the
//! database itself restarted. After each, the ledger: every alert delivered once, one incident
//! per ticket, no lost update.
//!
//! The kills are random but seeded; the seed is printed, and `SLUICE_TEST_SEED=<seed>` replays
//! them.

use std::time::{Duration, Instant};

use sluice_core::store::lease;

use super::kill::{slow_answers, FLOOD, NAMES};
use crate::ledger::{account, Expect, Updates};
use crate::support::{tail, write_lockouts, Daemon, Site, BRISK, PATIENCE};
use crate::util::Lcg;

/// Leader kills in the random run.
const KILLS: usize = 20;

/// Layer: the shortest lease sluice takes, so that each takeover costs about a second.
const LEASE: &str = r#"
    [state]
    lease = "1s"
"#;

/// What a host logs when it takes the delivery lease.
const TOOK: &str = "This host took the delivery lease";

/// Which of `hosts` holds the lease now, by the store (waits until one of them does).
fn holder(site: &Site, hosts: &[Daemon<'_>]) -> usize {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let view = lease::current(&site.store().db()).expect("read the lease");
        if let Some(view) = view.filter(|v| v.is_live()) {
            let found = hosts
                .iter()
                .position(|h| view.lease.holder.contains(&format!("process {} ", h.pid())));
            if let Some(i) = found {
                return i;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no running host holds the lease:\n{}",
            hosts
                .iter()
                .map(|h| tail(&h.log()))
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Hosts `h0`, `h1`, … of `site`, `n` of them, each started.
fn start_hosts(site: &Site, n: usize) -> Vec<Daemon<'_>> {
    (0..n)
        .map(|i| site.run().host(&format!("h{i}")).start())
        .collect()
}

/// The ledger after `queued` alerts, updates at least once (a kill can repeat one).
fn account_at_least_once(site: &Site, queued: usize) {
    account(
        site,
        Expect {
            updates: Updates::AtLeastOnce,
            ..Expect::delivered(queued as u64)
        },
    );
}

/// Queues `n` alerts of `rids` from `*queued` on, the names drawn at random.
fn feed(site: &Site, rng: &mut Lcg, rids: &[String], queued: &mut usize, n: usize) {
    let burst: Vec<(&str, &str)> = rids[*queued..*queued + n]
        .iter()
        .map(|rid| (NAMES[rng.next(NAMES.len() as u64) as usize], rid.as_str()))
        .collect();
    site.queue(&burst);
    *queued += n;
}

#[test]
fn the_delivering_host_sigkilled_at_random_points_of_a_flood() {
    let mut rng = Lcg::seeded("the_delivering_host_sigkilled_at_random_points_of_a_flood");
    let site = Site::shared(&[BRISK, FLOOD, LEASE]);
    site.servicenow.set_faults(slow_answers());
    let rids = write_lockouts(&site.auditor, "ha", (KILLS + 1) * 30);
    let mut queued = 0;
    let mut hosts = start_hosts(&site, 3);
    let mut log = String::new();
    for kill in 0..KILLS {
        let n = 10 + rng.next(20) as usize;
        feed(&site, &mut rng, &rids, &mut queued, n);
        let leader = holder(&site, &hosts);
        // After a random time, or right after ServiceNow answered a random number of requests.
        if rng.next(2) == 0 {
            std::thread::sleep(Duration::from_millis(rng.next(600)));
        } else {
            let target = site.servicenow.requests().total() + 1 + rng.next(30);
            let give_up = Instant::now() + Duration::from_secs(3);
            while site.servicenow.requests().total() < target && Instant::now() < give_up {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        log += &hosts.remove(leader).kill().log;
        hosts.push(site.run().host(&format!("h{}", kill + 3)).start());
    }
    feed(&site, &mut rng, &rids, &mut queued, 30);
    let leader = holder(&site, &hosts);
    hosts[leader].wait_settled(queued as u64);
    for host in hosts {
        log += &host.stop().assert_clean();
    }
    eprintln!(
        "{queued} alerts; takeovers: {}; recoveries of actions in flight: {}",
        log.matches(TOOK).count(),
        log.matches("Recovered ticket actions interrupted").count()
    );
    account_at_least_once(&site, queued);
}

#[test]
fn a_host_paused_past_its_lease_commits_nothing_and_stands_by() {
    let mut rng = Lcg::seeded("a_host_paused_past_its_lease_commits_nothing_and_stands_by");
    let site = Site::shared(&[BRISK, FLOOD, LEASE]);
    // Slow answers: the pause comes while requests are out.
    site.servicenow
        .set_faults(sluice_emulators::servicenow::Faults {
            latency_ms: 300,
            ..Default::default()
        });
    let rids = write_lockouts(&site.auditor, "pause", 60);
    let mut queued = 0;
    let hosts = start_hosts(&site, 2);
    feed(&site, &mut rng, &rids, &mut queued, 40);
    let paused = holder(&site, &hosts);
    hosts[paused].wait_until("ticket actions in flight", || site.in_flight() > 0);
    hosts[paused].signal("STOP");
    let other = 1 - paused;
    hosts[other].wait_for_lines(TOOK, 1);
    feed(&site, &mut rng, &rids, &mut queued, 20);
    hosts[paused].signal("CONT");
    hosts[paused].wait_for_lines("This host lost the delivery lease", 1);
    hosts[other].wait_settled(queued as u64);
    let log: String = hosts.into_iter().map(|h| h.stop().assert_clean()).collect();
    assert!(!log.contains("panicked"), "{}", tail(&log));
    account_at_least_once(&site, queued);
}

#[test]
fn a_host_cut_off_from_the_database_hands_delivery_over_and_comes_back_as_a_standby() {
    let mut rng = Lcg::seeded("a_host_cut_off_from_the_database");
    let site = Site::shared(&[BRISK, FLOOD, LEASE]);
    site.servicenow.set_faults(slow_answers());
    let rids = write_lockouts(&site.auditor, "cut", 60);
    let mut queued = 0;
    let hosts = start_hosts(&site, 2);
    feed(&site, &mut rng, &rids, &mut queued, 30);
    let cut = holder(&site, &hosts);
    let other = 1 - cut;
    // Every connection of the delivering host is cut as soon as it is made, until the other
    // host took over: a pause between cuts would let a renewal through on a loaded machine.
    let app = format!("sluice process {}", hosts[cut].pid());
    let mut admin = postgres::Client::connect(&site.postgres().url(), postgres::NoTls).unwrap();
    hosts[other].wait_until("the other host took the lease", || {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .unwrap();
        hosts[other].log().contains(TOOK)
    });
    hosts[cut].wait_for_lines("This host lost the delivery lease", 1);
    feed(&site, &mut rng, &rids, &mut queued, 30);
    hosts[other].wait_settled(queued as u64);
    for host in hosts {
        host.stop().assert_clean();
    }
    account_at_least_once(&site, queued);
}

#[test]
fn the_database_restarted_mid_flood_loses_nothing() {
    let mut rng = Lcg::seeded("the_database_restarted_mid_flood_loses_nothing");
    let site = Site::shared(&[BRISK, FLOOD, LEASE]);
    // Answers slow enough that the restart comes while requests are out, however loaded the
    // machine (with quick ones, a flood could be delivered before it is seen in flight).
    site.servicenow
        .set_faults(sluice_emulators::servicenow::Faults {
            latency_ms: 300,
            ..Default::default()
        });
    let rids = write_lockouts(&site.auditor, "pgrestart", 80);
    let mut queued = 0;
    let hosts = start_hosts(&site, 2);
    feed(&site, &mut rng, &rids, &mut queued, 40);
    let leader = holder(&site, &hosts);
    hosts[leader].wait_until("ticket actions in flight", || site.in_flight() > 0);
    {
        let mut cluster = site.postgres();
        cluster.kill();
        std::thread::sleep(Duration::from_millis(500));
        cluster.restart().expect("PostgreSQL starts again");
    }
    feed(&site, &mut rng, &rids, &mut queued, 40);
    let leader = holder(&site, &hosts);
    hosts[leader].wait_settled(queued as u64);
    for host in hosts {
        host.stop().assert_clean();
    }
    account_at_least_once(&site, queued);
}
