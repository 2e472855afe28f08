//! Which host of a shared store delivers. Every host on a PostgreSQL store accepts response
//! actions; one at a time polls and delivers: the holder of the delivery lease
//! (`sluice_core::store::lease`). A thread of each host keeps the lease (renewing it every
//! third of its length) or waits to take it (trying every half second, or sooner for a short
//! lease), and tells the main loop when this host's role changes; the main loop starts or
//! stops the pipelines. A host that cannot renew in time stops delivering before its lease
//! lapses by its own clock; should it not (paused, say), the fence of every delivering
//! transaction still keeps it from committing once another host took over.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sluice_core::store::lease::{self, Fence, LeaseView};
use sluice_core::{Database, StopSignal, Store, StoreError, Timestamp};

use super::events::Event;
use crate::telemetry::{LeaseMetrics, Renewal};

/// The longest a standby waits between two tries to take the lease.
const STANDBY_TRY: Duration = Duration::from_millis(500);

/// What this host does with the shared store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Another host delivers (or none does yet): this one accepts response actions and waits.
    Standby,
    /// This host delivers: its transactions carry `fence`; it took the lease at `since` (by
    /// the database's clock).
    Delivering {
        /// What its delivering transactions must find in the lease.
        fence: Fence,
        /// When it took the lease.
        since: Timestamp,
    },
}

/// The lease's keeper: a thread, and the role it last concluded.
#[derive(Debug)]
pub struct Leadership {
    role: Arc<Mutex<Role>>,
    stop: StopSignal,
    thread: Option<JoinHandle<()>>,
}

/// What the keeper's thread works with.
struct Keeper {
    store: Store,
    holder: String,
    length: Duration,
    role: Arc<Mutex<Role>>,
    metrics: LeaseMetrics,
    notify: Sender<Event>,
    /// The last holder seen by this host as a standby, to log each change once.
    seen: Option<(String, i64)>,
}

impl Leadership {
    /// Connects to the store in `database` and starts keeping its lease of `length` for this host;
    /// `notify` hears of each change of role.
    ///
    /// # Errors
    ///
    /// The store cannot be opened.
    pub fn start(
        database: Database<'_>,
        length: Duration,
        metrics: LeaseMetrics,
        notify: Sender<Event>,
    ) -> Result<Leadership, StoreError> {
        let store = Store::open_database(database)?;
        let role = Arc::new(Mutex::new(Role::Standby));
        metrics.delivering(false);
        let stop = StopSignal::default();
        let keeper = Keeper {
            store,
            holder: holder_name(),
            length,
            role: Arc::clone(&role),
            metrics,
            notify,
            seen: None,
        };
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("lease".to_owned())
            .spawn(move || keeper.run(&signal))
            .map_err(|error| StoreError::Lock {
                path: "the delivery lease's thread".into(),
                error,
            })?;
        Ok(Leadership {
            role,
            stop,
            thread: Some(thread),
        })
    }

    /// The role the keeper last concluded.
    pub fn role(&self) -> Role {
        self.role.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops keeping the lease; if this host held it, hands it over at once.
    pub fn stop(mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

impl Keeper {
    fn run(mut self, stop: &StopSignal) {
        // Until when this host may deliver by its own clock: the start of its last successful
        // renewal plus the lease's length (the database counts from later, never earlier).
        let mut deadline: Option<Instant> = None;
        loop {
            deadline = match deadline {
                None => self.stand_by(),
                Some(until) => self.renew(until),
            };
            let pause = match deadline {
                Some(_) => self.length / 3,
                None => self.standby_pause(),
            };
            if stop.wait(pause) {
                break;
            }
        }
        if deadline.is_some() {
            self.hand_over();
        }
    }

    fn standby_pause(&self) -> Duration {
        STANDBY_TRY.min(self.length / 4)
    }

    /// Tries to take the lease; returns the deadline of the new term when taken.
    fn stand_by(&mut self) -> Option<Instant> {
        let asked = Instant::now();
        match lease::try_acquire(&self.store.db(), &self.holder, self.length) {
            Ok(Some(taken)) => {
                let fence = Fence {
                    holder: taken.holder,
                    epoch: taken.epoch,
                };
                tracing::info!(epoch = %fence.epoch, holder = %fence.holder, "This host took the delivery lease: it polls and delivers now.");
                self.metrics.took_over();
                self.metrics.delivering(true);
                self.set(Role::Delivering {
                    fence,
                    since: taken.acquired_at,
                });
                Some(asked + self.length)
            }
            Ok(None) => {
                self.note_holder();
                None
            }
            Err(error) => {
                tracing::warn!(%error, "Cannot ask the shared store for the delivery lease; trying again.");
                None
            }
        }
    }

    /// Logs once each host seen delivering while this one stands by.
    fn note_holder(&mut self) {
        let Ok(Some(view)) = lease::current(&self.store.db()) else {
            return;
        };
        let LeaseView { lease, .. } = view;
        let key = (lease.holder.clone(), lease.epoch.get());
        if self.seen.as_ref() != Some(&key) {
            tracing::info!(holder = %lease.holder, epoch = %lease.epoch, since = %lease.acquired_at.as_millis(), "Another host delivers; this one accepts response actions and stands by.");
            self.seen = Some(key);
        }
    }

    /// Renews the lease held until `until`; the new deadline, or `None` when it is lost.
    fn renew(&mut self, until: Instant) -> Option<Instant> {
        let Role::Delivering { fence, .. } = self.current() else {
            return None;
        };
        let asked = Instant::now();
        let lost = match lease::renew(&self.store.db(), &fence, self.length) {
            Ok(Some(_)) => {
                self.metrics.renewed(Renewal::Renewed);
                return Some(asked + self.length);
            }
            Ok(None) => "another host took it over",
            Err(error) if Instant::now() < until => {
                self.metrics.renewed(Renewal::Failed);
                tracing::warn!(%error, "Cannot renew the delivery lease; trying again before it lapses.");
                return Some(until);
            }
            Err(_) => "it lapsed while the shared store could not be reached",
        };
        self.metrics.renewed(Renewal::Lost);
        self.metrics.delivering(false);
        tracing::error!(epoch = %fence.epoch, "This host lost the delivery lease ({lost}): it stops delivering and stands by; what it had sent is reconciled by the host that delivers now.");
        self.set(Role::Standby);
        None
    }

    /// Gives the lease up at a clean stop, so that a standby takes over at once.
    fn hand_over(&mut self) {
        if let Role::Delivering { fence, .. } = self.current() {
            match lease::release(&self.store.db(), &fence) {
                Ok(true) => tracing::info!(epoch = %fence.epoch, "Handed the delivery lease over."),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "Cannot hand the delivery lease over; a standby takes it when it lapses.")
                }
            }
            self.metrics.delivering(false);
            self.set(Role::Standby);
        }
    }

    fn current(&self) -> Role {
        self.role.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, role: Role) {
        *self.role.lock().unwrap_or_else(|p| p.into_inner()) = role;
        let _ = self.notify.send(Event::Leadership);
    }
}

/// How this host names itself in the lease: its name, its process, and a random part, so
/// that a restarted process is a new holder.
fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown host".to_owned());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{host} process {} ({})", std::process::id(), &nonce[..8])
}
