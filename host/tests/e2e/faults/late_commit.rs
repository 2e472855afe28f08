//! Creates that ServiceNow commits after sluice stopped waiting for them, as an instance
//! finishes a transaction whose client timed out, hung up or died. sluice used to look the
//! ticket up once, find nothing yet and post again, and the late commit then made a second
//! incident. Now a create in doubt is only looked up until `delivery.in_doubt_window` has
//! passed, and adopted when it appears.

use sluice_emulators::servicenow::{Faults, Trigger};

use super::kill::{kill_repeatedly, run_name, short_lease, FLOOD, NAMES};
use crate::ledger::{account, Expect};
use crate::support::{on_both_backends, write_lockouts, Backend, Site, BRISK};
use crate::util::Lcg;

/// Layer: the sink gives up on a request after 500 ms; every create the emulator commits late
/// is committed within 1.5 s of its arrival, so a window of 3 s covers it.
const IMPATIENT: &str = r#"
    [pipelines.p.sink]
    request_timeout = "500ms"

    [pipelines.p.delivery]
    in_doubt_window = "3s"
"#;

/// Creates (Table API POSTs) committed late with `probability`, 0.2 to 1.5 s after arrival.
fn late_creates(probability: f64) -> Faults {
    Faults {
        methods: vec!["POST".to_owned()],
        late_commit: Trigger::probability(probability),
        late_commit_ms: (200, 1500),
        ..Faults::default()
    }
}

/// Group tickets by account, so each lockout opens a ticket of its own.
const BY_ACCOUNT: &str = r#"
    [pipelines.p.suppression]
    group_by = ["Who"]
"#;

#[test]
fn creates_committed_after_the_timeout_are_adopted_and_never_sent_twice() {
    let site = Site::new(&[BRISK, IMPATIENT, BY_ACCOUNT]);
    // Nine accounts: nine tickets, under the flood limit of ten.
    let rids = write_lockouts(&site.auditor, "late", 9);
    site.servicenow.set_faults(late_creates(1.0));
    let host = site.run().start();
    let alerts: Vec<(&str, &str)> = rids
        .iter()
        .map(|rid| ("ITSM Add-On: User Account Locked Out", rid.as_str()))
        .collect();
    site.queue(&alerts);
    host.wait_settled(9);
    let log = host.stop().assert_clean();

    let ledger = account(&site, Expect::delivered(9));
    assert_eq!(ledger.tickets.len(), 9, "one ticket per account");
    assert!(
        log.contains("Found the ticket an interrupted attempt had opened"),
        "creates timed out and their late commits were adopted"
    );
    assert!(
        !log.contains("sending it again"),
        "no create was sent again while it could still commit"
    );
}

on_both_backends!(sigkills_and_drain_expiries_while_creates_commit_late);

fn sigkills_and_drain_expiries_while_creates_commit_late(backend: Backend) {
    let site = Site::on(backend, &[BRISK, IMPATIENT, FLOOD, short_lease(backend)]);
    sigkills_and_drain_expiries_on(&site, &run_name("late", backend));
}

fn sigkills_and_drain_expiries_on(site: &Site, name: &str) {
    let mut rng = Lcg::seeded(&format!("sigkills_and_drain_expiries ({name})"));
    let rids = write_lockouts(&site.auditor, name, 25 * 39);
    let mut queued = 0;
    kill_repeatedly(site, &mut rng, late_creates(0.5), 2, |rng| {
        let n = 10 + rng.next(30) as usize;
        let burst: Vec<(&str, &str)> = rids[queued..queued + n]
            .iter()
            .map(|rid| (NAMES[rng.next(NAMES.len() as u64) as usize], rid.as_str()))
            .collect();
        site.queue(&burst);
        queued += n;
        queued as u64
    });
}
