//! `Get` (raw and display values) and `FindByCorrelation` (the newest match).

use std::time::Duration;

use sluice_emulators::servicenow::{PathKind, SERVICE_DESK_SYS_ID};
use sluice_sdk::ActionOutcome;

use crate::harness::*;

/// Beth Anglin, a seeded agent.
const BETH: &str = "46d44a23a9fe19810012d100cca80666";

fn get_returns_raw_and_display_values(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    one(&mut sink, update(&id, &[("assigned_to", BETH)]));
    let (outcome, cost) = counting(&rig, || one(&mut sink, get(&id)));
    assert_eq!(cost.total(), 1);
    let ticket = done(&outcome);
    assert_eq!(ticket.fields.get("assigned_to"), Some(BETH));
    assert_eq!(ticket.display.get("assigned_to"), Some("Beth Anglin"));
    assert_eq!(
        ticket.fields.get("assignment_group"),
        Some(SERVICE_DESK_SYS_ID)
    );
    assert_eq!(ticket.display.get("assignment_group"), Some("Service Desk"));
    assert_eq!(
        (ticket.fields.get("state"), ticket.display.get("state")),
        (Some("1"), Some("New"))
    );
    assert!(
        ticket
            .fields
            .get("opened_at")
            .is_some_and(|v| !v.is_empty()),
        "{ticket:?}"
    );
    assert!(
        ticket
            .display
            .get("work_notes")
            .is_some_and(|v| v.contains("Alert Details")),
        "the journal in display form: {ticket:?}"
    );
    assert_eq!(
        one(&mut sink, get("0123456789abcdef0123456789abcdef")),
        ActionOutcome::NotFound
    );
}

fn find_by_correlation_returns_the_newest(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let older = rig.create(&mut sink, "na:lockout:jdoe");
    rig.sn.advance(Duration::from_secs(90));
    let newer = rig.create(&mut sink, "na:lockout:jdoe");
    rig.create(&mut sink, "na:lockout:other");
    assert_ne!(older.id, newer.id);
    let (outcome, cost) = counting(&rig, || one(&mut sink, find("na:lockout:jdoe")));
    assert_eq!(
        (cost.total(), cost.count("GET", PathKind::TableCollection)),
        (1, 1)
    );
    let found = done(&outcome);
    assert_eq!(found.id, newer.id);
    assert_eq!(found.display.get("state"), Some("New"));
    assert_eq!(one(&mut sink, find("na:never")), ActionOutcome::NotFound);
}

fn a_fresh_sink_finds_what_another_created(release: Release) {
    let rig = Rig::new(release);
    let created = rig.create(&mut rig.sink(), "restart-key");
    // After a restart the host reconciles by key: nothing carried over in memory.
    let mut restarted = rig.sink();
    assert_eq!(
        done(&one(&mut restarted, find("restart-key"))).number,
        created.number
    );
}

per_release!(
    get_returns_raw_and_display_values,
    find_by_correlation_returns_the_newest,
    a_fresh_sink_finds_what_another_created,
);
