//! A second `sluice run` started on the store of a running one (a duplicated service unit, an
//! operator testing a config). It used to warn, take the first host's in-flight ticket actions
//! for a crash's leftovers and send them again: with a slow ServiceNow, tickets became two
//! incidents each. One store has one delivering host: the second refuses to start, naming the
//! process that holds the store, and the first delivers everything once.

use sluice_emulators::servicenow::Faults;

use super::{alerts, NAMES};
use crate::ledger::{account, Expect};
use crate::support::{tail, write_lockouts, Site, BRISK};

#[test]
fn a_second_host_on_one_store_refuses_to_start_and_nothing_is_sent_twice() {
    let site = Site::new(&[BRISK]);
    let rids = write_lockouts(&site.auditor, "second", 40);
    // Slow answers, so that the second host starts while the first has actions in flight.
    site.servicenow.set_faults(Faults {
        latency_ms: 400,
        ..Faults::default()
    });
    let first = site.run().start();
    site.queue(&alerts(&rids, &NAMES));
    first.wait_until("ticket actions in flight", || site.in_flight() > 0);

    let second = site.run().spawn().wait();
    assert_eq!(second.code, Some(1), "{}", tail(&second.log));
    let holder = format!(
        "is in use by another sluice run (process {} since ",
        first.pid()
    );
    assert!(second.log.contains(&holder), "{}", tail(&second.log));
    assert!(
        !second.log.contains("Recovered ticket actions"),
        "the second host touched the first one's actions:\n{}",
        tail(&second.log)
    );

    site.servicenow.set_faults(Faults::default());
    first.wait_settled(40);
    first.stop().assert_clean();
    account(&site, Expect::delivered(40));
    // The second host may start once the first has stopped: the lock went with it.
    let third = site.run().start();
    third.stop().assert_clean();
}
