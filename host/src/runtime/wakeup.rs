//! Waking the pipelines when another host queued alerts in the shared store. A response
//! action accepted by a standby is written to the store there; the delivering host hears of
//! it at the commit (PostgreSQL's `LISTEN`, fed by a trigger on the alert queue) and rings its
//! doorbell, as the hand-off on its own machine does, instead of finding it at its next look.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use sluice_core::{Database, Doorbell, StopSignal, Store};

/// How long one wait for a notification lasts: the longest a stop waits for the thread.
const WAIT: Duration = Duration::from_millis(500);

/// The thread that listens.
#[derive(Debug)]
pub struct AlertWakeup {
    stop: StopSignal,
    thread: Option<JoinHandle<()>>,
}

impl AlertWakeup {
    /// Listens on its own connection to the store in `database`, ringing `doorbell` for
    /// every commit that queued alerts.
    pub fn start(database: Database<'_>, doorbell: Doorbell) -> AlertWakeup {
        let stop = StopSignal::default();
        let signal = stop.clone();
        let url = database.url.to_owned();
        let ca_file = database.ca_file.map(PathBuf::from);
        let thread = std::thread::Builder::new()
            .name("alert-wakeup".to_owned())
            .spawn(move || {
                let database = Database {
                    url: &url,
                    ca_file: ca_file.as_deref(),
                };
                listen(database, &doorbell, &signal)
            })
            .inspect_err(|error| tracing::warn!(%error, "Cannot start listening for alerts other hosts queue; the pipelines find them at their next look."))
            .ok();
        AlertWakeup { stop, thread }
    }
}

impl Drop for AlertWakeup {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn listen(database: Database<'_>, doorbell: &Doorbell, stop: &StopSignal) {
    let mut store = None;
    while !stop.is_stopped() {
        let Some(listening) = store.as_mut() else {
            match Store::open_database(database) {
                Ok(opened) => store = Some(opened),
                Err(_) => {
                    // The lease's keeper reports the store's state; this waits and tries again.
                    stop.wait(WAIT);
                }
            }
            continue;
        };
        match listening.wait_for_alerts(WAIT) {
            Ok(true) => doorbell.ring(),
            Ok(false) => {}
            Err(_) => {
                store = None;
                stop.wait(WAIT);
            }
        }
    }
}
