//! The failover path: two `sluice run` hosts on one PostgreSQL store, each in a directory of
//! its own with its own copy of the config (so each has its own hand-off socket), a steady
//! stream of response-action alerts queued into the store, and ServiceNow answering in 5 ms.
//! The delivering host (the lease's holder) is killed with SIGKILL; the bench times, from the
//! kill, when the other host took the lease (by the database's clock) and when ServiceNow
//! received its first ticket action (a POST, PATCH or PUT); then starts the killed host again,
//! as a standby, and repeats.
//!
//! A ticket action is counted only when it arrived after the new lease was taken, so nothing
//! the killed host had already sent (still in a socket's buffer at the kill) can count.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sluice_core::store::lease::{self, Lease};
use sluice_core::{queue_response_action, Store, Timestamp};
use sluice_test_postgres::Cluster;

use super::host::Host;
use super::observe::{Downstream, Observer};
use super::paths::prepare;
use super::store::StoreAt;
use super::workload::Alert;
use crate::Bench;

/// Alerts a second queued into the store while the hosts run.
pub const RATE: u64 = 20;

/// The host logs its changes of role (at info): the bench waits for a restarted host to say
/// it stands by before it kills the other.
const LEADERSHIP_LOG: &str = "sluice::runtime::leadership=info";

/// What a host logs when it stands by behind another.
const STANDS_BY: &str = "Another host delivers";

/// The longest any wait of this path may take.
const PATIENCE: Duration = Duration::from_secs(120);

/// One death of the delivering host.
#[derive(Debug, Clone, Copy)]
pub struct Takeover {
    /// From the SIGKILL until the other host took the lease.
    pub to_lease: Duration,
    /// From the SIGKILL until ServiceNow received the new leader's first ticket action.
    pub to_action: Duration,
}

/// What the failover path measured with one lease length.
#[derive(Debug)]
pub struct FailoverFigures {
    /// The lease (`[state] lease`).
    pub lease: Duration,
    pub takeovers: Vec<Takeover>,
    /// Alerts queued during the path; of them, delivered (their ticket action done) and
    /// ticket actions given up on.
    pub queued: u64,
    pub delivered: u64,
    pub dead: u64,
    /// Incidents in ServiceNow, and of them those that repeat another's correlation id (a
    /// ticket opened twice).
    pub incidents: u64,
    pub duplicates: u64,
    pub downstream: Downstream,
}

/// The failover path with a lease of `lease` (whole seconds), killing the delivering host
/// `runs` times, on a fresh database of `cluster`.
pub fn failover(bench: &Bench, cluster: &Cluster, lease: Duration, runs: usize) -> FailoverFigures {
    let secs = lease.as_secs();
    let StoreAt::Postgres { url, .. } = StoreAt::fresh(cluster, &format!("failover_{secs}s"))
    else {
        unreachable!("a database of the cluster")
    };
    let store = StoreAt::Postgres {
        url: url.clone(),
        lease: Some(format!("{secs}s")),
    };
    let (servicenow, observer, served) = bench.servicenow(crate::SERVICENOW_LATENCY_MS);
    let dirs = ["a", "b"].map(|h| {
        let name = format!("failover-{secs}s/{h}");
        prepare(bench, &name, &served.base_url(), false, &store)
    });
    let watch = Store::open_postgres(&url).expect("open the shared store");
    let mut pair = Pair::start(dirs, &store, &watch);
    let feeder = Feeder::start(&url, bench.workload.alerts.clone());
    let mut takeovers = Vec::new();
    for run in 0..runs {
        // The leader delivers; then the kill lands at a different point of its renewal
        // period each run (it renews every third of the lease).
        wait_for(|| observer.first_write_since(Instant::now() - Duration::from_secs(1)));
        std::thread::sleep(Duration::from_secs(1) + lease / 3 * run as u32 / runs as u32);
        takeovers.push(pair.kill_leader(&watch, &observer));
        pair.restart_killed(&store);
    }
    let queued = feeder.stop();
    let mut leader = pair.into_leader(&watch);
    leader.wait_delivered(queued, PATIENCE);
    let (delivered, dead) = leader.delivered_and_dead();
    let downstream = Downstream::new(&servicenow, &leader.actions_done());
    leader.stop();
    let (incidents, duplicates) = incidents(&servicenow);
    FailoverFigures {
        lease,
        takeovers,
        queued,
        delivered,
        dead,
        incidents,
        duplicates,
        downstream,
    }
}

/// Incidents in the instance, and how many repeat another's correlation id.
fn incidents(servicenow: &sluice_emulators::servicenow::ServiceNow) -> (u64, u64) {
    let all = servicenow.incidents();
    let ids: std::collections::HashSet<&str> =
        all.iter().map(|i| i.get("correlation_id")).collect();
    (all.len() as u64, (all.len() - ids.len()) as u64)
}

/// Calls `look` every 5 ms until it gives something.
///
/// # Panics
///
/// After [`PATIENCE`].
fn wait_for<T>(mut look: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = look() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "the failover path waited {PATIENCE:?} in vain"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The lease as the database holds it now.
fn current(watch: &Store) -> Option<Lease> {
    lease::current(&watch.db())
        .ok()
        .flatten()
        .filter(|view| view.is_live())
        .map(|view| view.lease)
}

/// The two hosts, each in its directory; `None` for one just killed.
struct Pair {
    dirs: [PathBuf; 2],
    hosts: [Option<Host>; 2],
    /// Hosts started so far, to name each one's log.
    started: usize,
}

impl Pair {
    /// Starts the first host, waits until it delivers, then the second, until it stands by.
    fn start(dirs: [PathBuf; 2], store: &StoreAt, watch: &Store) -> Pair {
        let mut pair = Pair {
            dirs,
            hosts: [None, None],
            started: 0,
        };
        pair.launch(0, store);
        let first = pair.hosts[0].as_ref().map_or(0, Host::pid);
        wait_for(|| current(watch).filter(|l| holds(l, first)));
        pair.launch(1, store);
        pair
    }

    /// Starts host `i`, and waits until it stands by (or delivers, when it is alone).
    fn launch(&mut self, i: usize, store: &StoreAt) {
        self.started += 1;
        let log = format!("host-{}.log", self.started);
        let alone = self.hosts.iter().all(Option::is_none);
        let host = Host::launch(&self.dirs[i], store.url(), &log, &[LEADERSHIP_LOG]);
        if !alone {
            wait_for(|| host.log().contains(STANDS_BY).then_some(()));
        }
        self.hosts[i] = Some(host);
    }

    /// Kills the host holding the lease and times the other's takeover.
    fn kill_leader(&mut self, watch: &Store, observer: &Observer) -> Takeover {
        let held = wait_for(|| current(watch));
        let i = (0..2)
            .find(|&i| {
                self.hosts[i]
                    .as_ref()
                    .is_some_and(|h| holds(&held, h.pid()))
            })
            .expect("one of the two hosts holds the lease");
        let killed_wall = Timestamp::now();
        let killed_at = Instant::now();
        if let Some(host) = self.hosts[i].take() {
            host.kill();
        }
        let taken = wait_for(|| current(watch).filter(|l| l.epoch > held.epoch));
        let to_lease = Duration::from_millis(
            u64::try_from(taken.acquired_at.as_millis() - killed_wall.as_millis()).unwrap_or(0),
        );
        // The database's clock has whole milliseconds: a millisecond's grace.
        let since = killed_at + to_lease.saturating_sub(Duration::from_millis(1));
        let action = wait_for(|| observer.first_write_since(since));
        Takeover {
            to_lease,
            to_action: action - killed_at,
        }
    }

    /// Starts the host killed last again, as a standby.
    fn restart_killed(&mut self, store: &StoreAt) {
        if let Some(i) = (0..2).find(|&i| self.hosts[i].is_none()) {
            self.launch(i, store);
        }
    }

    /// Stops the standby; the host that delivers.
    fn into_leader(self, watch: &Store) -> Host {
        let held = wait_for(|| current(watch));
        let [a, b] = self.hosts;
        let (leader, standby) = match (a, b) {
            (Some(a), b) if holds(&held, a.pid()) => (a, b),
            (a, Some(b)) => (b, a),
            _ => panic!("no host delivers"),
        };
        if let Some(standby) = standby {
            standby.stop();
        }
        leader
    }
}

/// Whether `lease` is the host `pid`'s (its holder reads `… process <pid> (…)`).
fn holds(lease: &Lease, pid: u32) -> bool {
    lease.holder.contains(&format!("process {pid} "))
}

/// A thread queueing response-action alerts into the shared store, [`RATE`] a second, as the
/// hosts' hand-off listeners would: each its own transaction.
struct Feeder {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl Feeder {
    /// Starts queueing the workload's alerts, round and round, each time with a new Auditor
    /// alert id (so that each is a new alert).
    fn start(url: &str, alerts: Vec<Alert>) -> Feeder {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, url) = (stop.clone(), url.to_owned());
        let thread = std::thread::spawn(move || {
            let mut store = Store::open_postgres(&url).expect("open the shared store");
            let started = Instant::now();
            let mut queued = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let alert = &alerts[queued as usize % alerts.len()];
                let alert_id = format!("{{FA110000-0000-4000-8000-{queued:012X}}}");
                let at = Timestamp::now();
                queue_response_action(
                    &mut store,
                    "bench",
                    &alert_id,
                    &alert.record_id,
                    &alert.name,
                    at,
                )
                .expect("queue an alert");
                queued += 1;
                let next = started + Duration::from_millis(queued * 1000 / RATE);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            queued
        });
        Feeder { stop, thread }
    }

    /// Stops queueing; how many alerts were queued.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the feeder")
    }
}
