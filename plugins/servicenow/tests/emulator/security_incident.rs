//! `table = "sn_si_incident"`: Security Incident Response as a target. The states and closure
//! codes come from the instance's `sys_choice` (the emulator's values are its profile's, not
//! the sink's); a close is allowed only from Review, with a closure code.

use serde_json::json;
use sluice_emulators::servicenow::{PathKind, ServiceNowConfig};
use sluice_sdk::{ActionOutcome, ErrorKind, StateChange};

use crate::harness::*;

/// The sink's config for security incidents: the table and a closure code of the instance.
fn sir() -> serde_json::Value {
    json!({"table": "sn_si_incident", "close_code": "Confirmed incident"})
}

fn value_of(rig: &Rig, label: &str) -> String {
    rig.sn
        .profile()
        .security_incident_states
        .into_iter()
        .find(|(_, l)| l == label)
        .map(|(v, _)| v)
        .unwrap_or_else(|| panic!("no state {label}"))
}

fn close(ticket: &str) -> sluice_sdk::TicketAction {
    change(
        ticket,
        StateChange::Close {
            close_code: String::new(),
            close_notes: "Contained and eradicated; credentials rotated.".to_owned(),
        },
    )
}

#[test]
fn a_security_incident_is_created_updated_reviewed_reopened_and_closed() {
    let rig = Rig::new(Release::Zurich);
    let mut sink = rig.sink_with(sir());
    let (created, cost) = counting(&rig, || rig.create(&mut sink, "sir-1"));
    assert!(created.number.starts_with("SIR"), "{created:?}");
    assert_eq!(created.state, value_of(&rig, "Draft"));
    assert_eq!(cost.count("POST", PathKind::TableCollection), 1);
    let id = created.id.to_string();

    // Found again by its correlation key, and an attachment goes to it.
    let found = done(&one(&mut sink, find("sir-1"))).clone();
    assert_eq!(found.id, created.id);
    done(&one(
        &mut sink,
        attach(&id, "events.csv", "text/csv", b"who,what\n"),
    ));
    assert_eq!(rig.sn.attachments(&id).len(), 1);

    // A close before Review is refused by the instance, with its words.
    let refused = one(&mut sink, close(&id));
    let ActionOutcome::Failed(err) = &refused else {
        panic!("not refused: {refused:?}")
    };
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert!(
        err.message()
            .contains("Error during update of sn_si_incident"),
        "{err}"
    );

    // Resolve is Review; a repeat reopens to Analysis; Review again, then Closed.
    let resolve = change(
        &id,
        StateChange::Resolve {
            close_code: String::new(),
            close_notes: "Reviewed.".to_owned(),
        },
    );
    assert_eq!(
        done(&one(&mut sink, resolve.clone())).state,
        value_of(&rig, "Review")
    );
    let outcomes = sink.deliver(vec![note(&id, "Seen again on DC01."), reopen(&id)]);
    assert!(
        matches!(&outcomes[1], ActionOutcome::Done(t) if t.state == value_of(&rig, "Analysis")),
        "{outcomes:?}"
    );
    done(&one(&mut sink, resolve));
    let closed = done(&one(&mut sink, close(&id))).clone();
    assert_eq!(closed.state, value_of(&rig, "Closed"));
    let stored = rig
        .sn
        .security_incidents()
        .into_iter()
        .find(|i| i.sys_id() == id)
        .expect("stored");
    assert_eq!(
        (stored.get("close_code"), stored.get("active")),
        ("Confirmed incident", "false")
    );
    assert!(rig
        .sn
        .journal(&id)
        .iter()
        .any(|e| e.value == "Seen again on DC01."));
    assert!(
        rig.sn.incidents().is_empty(),
        "nothing went to the incident table"
    );
}

#[test]
fn the_closure_code_is_the_instances_own() {
    let rig = Rig::new(Release::Australia);
    let err = rig
        .build(json!({"table": "sn_si_incident"}))
        .expect("builds")
        .healthcheck()
        .expect_err("no closure code configured");
    assert_eq!(err.key_path(), Some("close_code"));
    assert!(err.message().contains("False positive"), "{err}");
    let err = rig
        .build(json!({"table": "sn_si_incident", "close_code": "Solution provided"}))
        .expect("builds")
        .healthcheck()
        .expect_err("an incident close code");
    assert_eq!(err.key_path(), Some("close_code"));
}

#[test]
fn the_states_follow_the_instances_values() {
    // Another instance, other values: the sink finds them by label.
    let mut config = ServiceNowConfig::for_release(Release::Xanadu);
    for (value, _) in &mut config.profile.security_incident_states {
        value.insert(0, '9');
    }
    let rig = Rig::with(config);
    let mut sink = rig.sink_with(sir());
    let id = rig.create(&mut sink, "k").id.to_string();
    assert!(rig.sn.set_security_incident_state(&id, "Review"));
    let outcome = one(&mut sink, reopen(&id));
    assert_eq!(done(&outcome).state, value_of(&rig, "Analysis"));
    assert!(value_of(&rig, "Analysis").starts_with('9'));
}

#[test]
fn an_instance_without_the_application_says_so_at_start() {
    let rig = Rig::new(Release::London);
    let err = rig
        .build(sir())
        .expect("builds")
        .healthcheck()
        .expect_err("no sn_si_incident on this instance");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.message()
            .contains("Security Incident Response application installed"),
        "{err}"
    );
}
