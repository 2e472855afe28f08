//! A stop whose drain limit expires while a batch waits on ServiceNow. The process used to
//! print a Rust panic (a pipeline thread calling into the HTTP runtime as it shut down). It
//! now says which pipelines it left mid-batch and exits; the next start reconciles what they
//! sent, and every alert is delivered once.

use sluice_emulators::servicenow::Faults;

use super::{alerts, NAMES};
use crate::ledger::{account, Expect};
use crate::support::{tail, write_lockouts, Site, BRISK};

#[test]
fn a_drain_that_expires_mid_batch_ends_quietly_and_the_next_start_delivers_everything_once() {
    let site = Site::new(&[BRISK]);
    let rids = write_lockouts(&site.auditor, "drain", 12);
    let host = site.run().args(&["--drain", "300ms"]).start();
    // From now on every answer takes longer than the drain allows.
    site.servicenow.set_faults(Faults {
        latency_ms: 4000,
        ..Faults::default()
    });
    site.queue(&alerts(&rids, &NAMES));
    host.wait_until("ticket actions in flight", || site.in_flight() > 0);
    let exit = host.stop();
    assert_eq!(exit.code, Some(0), "{}", tail(&exit.log));
    assert!(
        exit.log
            .contains("Stopped before these pipelines finished their batch"),
        "{}",
        tail(&exit.log)
    );
    assert!(!exit.log.contains("panicked"), "{}", tail(&exit.log));

    site.servicenow.set_faults(Faults::default());
    let host = site.run().start();
    host.wait_settled(12);
    host.stop().assert_clean();
    account(&site, Expect::delivered(12));
}
