//! `Create`: field values as the emulator stores them, the correlation key, one request.

use sluice_emulators::servicenow::{PathKind, SERVICE_DESK_SYS_ID};
use sluice_sdk::ErrorKind;

use crate::harness::*;

fn stores_the_fields_and_the_correlation_key_in_one_request(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let (outcome, cost) = counting(&rig, || one(&mut sink, create("na:locked-out:jdoe")));
    let ticket = done(&outcome);
    assert_eq!(cost.total(), 1, "one request per create");
    assert_eq!(cost.count("POST", PathKind::TableCollection), 1);

    let stored = rig.sn.incident(&ticket.id).expect("the incident exists");
    assert_eq!(stored.number(), ticket.number);
    assert!(ticket.number.starts_with("INC"), "{ticket:?}");
    assert_eq!(
        stored.get("short_description"),
        "[Netwrix Auditor] ITSM Add-On: User Account Locked Out"
    );
    assert_eq!(
        stored.get("description"),
        "User CORP\\jdoe was locked out on DC01."
    );
    assert_eq!(stored.get("category"), "software");
    assert_eq!((stored.get("impact"), stored.get("urgency")), ("2", "1"));
    assert_eq!(
        stored.get("priority"),
        "2",
        "impact 2 × urgency 1 in the priority matrix"
    );
    assert_eq!(stored.get("assignment_group"), SERVICE_DESK_SYS_ID);
    assert_eq!(stored.get("correlation_id"), "na:locked-out:jdoe");
    assert_eq!(
        stored.get("correlation_display"),
        "sluice: ITSM Add-On: User Account Locked Out"
    );
    assert_eq!(stored.state(), "1");
    let journal = rig.sn.journal(&ticket.id);
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].element, "work_notes");

    // What the ticket carries: raw and display values from the same answer.
    assert_eq!(ticket.state, "1");
    assert_eq!(
        ticket.link,
        format!(
            "{}/nav_to.do?uri=incident.do?sys_id={}",
            rig.config()["endpoint"].as_str().unwrap_or(""),
            ticket.id
        )
    );
    assert_eq!(
        ticket.fields.get("assignment_group"),
        Some(SERVICE_DESK_SYS_ID)
    );
    assert_eq!(ticket.display.get("assignment_group"), Some("Service Desk"));
    assert_eq!(ticket.display.get("state"), Some("New"));
    assert_eq!(
        ticket.fields.get("correlation_id"),
        Some("na:locked-out:jdoe")
    );
}

fn an_empty_display_gets_the_configured_default(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink_with(serde_json::json!({"correlation_display": "Netwrix Auditor"}));
    let outcome = one(
        &mut sink,
        sluice_sdk::TicketAction::Create {
            correlation: sluice_sdk::Correlation {
                id: "k1".into(),
                display: String::new().into(),
            },
            fields: incident_fields(),
        },
    );
    let stored = rig.sn.incident(&done(&outcome).id).expect("created");
    assert_eq!(stored.get("correlation_display"), "Netwrix Auditor");
}

fn unusable_correlation_keys_are_refused_without_a_request(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let long = "k".repeat(101);
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(vec![create(&long), create("a^b"), create("")])
    });
    for outcome in &outcomes {
        assert_eq!(failed(outcome).kind(), ErrorKind::Rejected, "{outcome:?}");
    }
    assert!(
        failed(&outcomes[0]).message().contains("100"),
        "{outcomes:?}"
    );
    assert_eq!(cost.total(), 0);
    assert!(rig.sn.incidents().is_empty());
}

per_release!(
    stores_the_fields_and_the_correlation_key_in_one_request,
    an_empty_display_gets_the_configured_default,
    unusable_correlation_keys_are_refused_without_a_request,
);
