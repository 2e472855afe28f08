//! The host killed with SIGKILL at random points of a flood, again and again, with the real
//! plugins: every restart reconciles what the killed one left in flight.
//!
//! The run is random but seeded; the seed is printed, and `SLUICE_TEST_SEED=<seed>` replays it.

use std::time::{Duration, Instant};

use sluice_emulators::servicenow::Faults;

use crate::ledger::{account, Expect, Updates};
use crate::support::{
    deletion, lockout, on_both_backends, write_lockouts, Backend, Site, BRISK, POLLING,
};
use crate::util::Lcg;

/// Kills, each after a random time in a run of its own.
const KILLS: usize = 22;

/// Layer: quick consolidation and small delivery batches, so a run has many steps to be
/// killed in. Ends in `[pipelines.p.suppression]`, for a test to add to.
pub(super) const FLOOD: &str = r#"
    [pipelines.p.delivery]
    batch = 10

    [pipelines.p.suppression]
    consolidation_interval = "300ms"
"#;

/// Ten enabled shipped alerts and four unknown to the alert set: more than the flood limit
/// (10), so some go to the flood ticket.
pub(super) const NAMES: [&str; 14] = [
    "ITSM Add-On: Audit or Security Log Cleared",
    "ITSM Add-On: Group Policy Object Modified or Linked",
    "ITSM Add-On: Exchange Mailbox Permission Granted",
    "ITSM Add-On: Mass File Deletion",
    "ITSM Add-On: Member Added to a Privileged Group",
    "ITSM Add-On: Privileged Group Membership Removed",
    "ITSM Add-On: Repeated Failed Logons",
    "ITSM Add-On: SQL Server Login Added to sysadmin",
    "ITSM Add-On: User Account Enabled",
    "ITSM Add-On: User Account Locked Out",
    "Custom: Firewall Rule Changed",
    "Custom: Service Account Logon",
    "Custom: Share Permissions Changed",
    "Custom: VPN Logon From Abroad",
];

/// Each request takes a moment, so kills also land between a request and its answer.
pub(super) fn slow_answers() -> Faults {
    Faults {
        latency_ms: 10,
        ..Faults::default()
    }
}

/// Runs the host `KILLS` times with ServiceNow's `faults`, each run fed by `feed` first (which
/// returns the alerts fed so far) and SIGKILLed at a random point; then `drains` times fed and
/// stopped with a drain limit too short for its batch; then once more until everything is
/// delivered, and checks the ledger.
pub(super) fn kill_repeatedly(
    site: &Site,
    rng: &mut Lcg,
    faults: Faults,
    drains: usize,
    mut feed: impl FnMut(&mut Lcg) -> u64,
) {
    site.servicenow.set_faults(faults.clone());
    // Every run's log, for the record below.
    let mut log = String::new();
    for _ in 0..KILLS {
        feed(rng);
        // Now and then an agent resolves a ticket: a repeat reopens it.
        let incidents = site.incidents();
        if !incidents.is_empty() && rng.next(3) == 0 {
            let pick = &incidents[rng.next(incidents.len() as u64) as usize];
            site.servicenow.set_state(pick.number(), "6");
        }
        // Half the kills come after a random time (in start-up, intake, anywhere), half right
        // after ServiceNow answered a random number of requests (between a write applied and
        // the host recording it).
        let answered = site.servicenow.requests().total();
        let host = site.run().spawn();
        if rng.next(2) == 0 {
            std::thread::sleep(Duration::from_millis(100 + rng.next(500)));
        } else {
            let target = answered + 1 + rng.next(40);
            let give_up = Instant::now() + Duration::from_secs(3);
            while site.servicenow.requests().total() < target && Instant::now() < give_up {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        log += &host.kill().log;
    }
    for _ in 0..drains {
        // Answers slower than the drain allows, so the stop leaves a batch unanswered.
        site.servicenow.set_faults(Faults {
            latency_ms: 1500,
            ..faults.clone()
        });
        feed(rng);
        // Rows the last kill left in flight count as in flight until this host's first step
        // recovers them: wait for that first, then for a batch of this host's own.
        let leftovers = site.in_flight() > 0;
        let host = site.run().args(&["--drain", "100ms"]).start();
        if leftovers {
            host.wait_for_lines("Recovered ticket actions interrupted", 1);
        }
        host.wait_until("ticket actions in flight", || site.in_flight() > 0);
        let exit = host.stop();
        assert_eq!(exit.code, Some(0), "{}", crate::support::tail(&exit.log));
        assert!(
            exit.log
                .contains("Stopped before these pipelines finished their batch"),
            "{}",
            crate::support::tail(&exit.log)
        );
        log += &exit.log;
    }
    site.servicenow.set_faults(faults);
    let fed = feed(rng);

    // A last run until everything is delivered, then a clean stop.
    let host = site.run().start();
    host.wait_settled(fed);
    log += &host.stop().assert_clean();

    // What the kills interrupted, for the record (random, so not asserted).
    eprintln!(
        "{fed} alerts; restarts that found actions in flight: {}; opens adopted: {}",
        log.matches("Recovered ticket actions interrupted").count(),
        log.matches("Found the ticket an interrupted attempt had opened")
            .count()
    );
    let ledger = account(
        site,
        Expect {
            updates: Updates::AtLeastOnce,
            ..Expect::delivered(fed)
        },
    );
    assert!(
        ledger.tickets.iter().any(|t| t.kind == "flood"),
        "the flood limit was reached"
    );
}

on_both_backends!(sigkill_at_random_points_of_a_response_action_flood);

/// Layer: on a shared store, a lease of a second, so that each restarted host takes the lease
/// the killed one held soon after it lapsed; nothing on a SQLite file.
pub(super) fn short_lease(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "[state]\nlease = \"1s\"",
    }
}

/// A short name of `backend`'s runs, for their seeds and record ids.
pub(super) fn run_name(base: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => base.to_owned(),
        Backend::Postgres => format!("{base}_pg"),
    }
}

fn sigkill_at_random_points_of_a_response_action_flood(backend: Backend) {
    let site = Site::on(backend, &[BRISK, FLOOD, short_lease(backend)]);
    sigkill_response_action_flood(&site, &run_name("flood", backend));
}

fn sigkill_response_action_flood(site: &Site, name: &str) {
    let mut rng = Lcg::seeded(&format!(
        "sigkill_at_random_points_of_a_response_action_flood ({name})"
    ));
    // Enough for every feed (one per kill, and the last run's) at its largest, 59 alerts:
    // 1000 ran out for about one seed in twenty.
    let rids = write_lockouts(&site.auditor, name, (KILLS + 1) * 59);
    let mut queued = 0;
    kill_repeatedly(site, &mut rng, slow_answers(), 0, |rng| {
        let n = 20 + rng.next(40) as usize;
        let burst: Vec<(&str, &str)> = rids[queued..queued + n]
            .iter()
            .map(|rid| (NAMES[rng.next(NAMES.len() as u64) as usize], rid.as_str()))
            .collect();
        site.queue(&burst);
        queued += n;
        queued as u64
    });
}

#[test]
fn sigkill_at_random_points_of_a_polled_flood() {
    let mut rng = Lcg::seeded("sigkill_at_random_points_of_a_polled_flood");
    // Lockouts of fourteen accounts, a ticket each: past the flood limit. And file deletions
    // by three accounts, which raise "Mass File Deletion" once an account reaches 40.
    let site = Site::new(&[BRISK, POLLING, &format!("{FLOOD}\ngroup_by = [\"Who\"]")]);
    let mut lockouts = 0;
    let mut deleted = [0u64; 3];
    kill_repeatedly(&site, &mut rng, slow_answers(), 0, |rng| {
        let now = jiff::Timestamp::now();
        let n = 20 + rng.next(40);
        let mut records: Vec<_> = (0..n)
            .map(|_| lockout(&format!("user{}", rng.next(14)), now))
            .collect();
        lockouts += n;
        let filer = rng.next(3) as usize;
        let m = 5 + rng.next(15);
        records.extend((0..m).map(|i| deletion(&format!("filer{filer}"), i, now)));
        deleted[filer] += m;
        site.auditor.write(records);
        // One alert per account's burst, the records of the burst attached.
        lockouts + deleted.iter().filter(|n| **n >= 40).count() as u64
    });
}
