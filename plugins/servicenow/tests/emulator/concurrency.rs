//! `max_concurrent_requests`: the tickets of a batch go side by side, each ticket's own
//! requests one after another. The emulator answers slowly (`latency_ms`) so that requests
//! overlap when they may; what is asserted is what it saw at once and in which order, never
//! how long anything took.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use sluice_emulators::servicenow::{Faults, PathKind};
use sluice_sdk::{ActionOutcome, ErrorKind, SinkInstance, TicketAction};

use crate::harness::*;

/// Every request waits this long at the instance.
const LATENCY_MS: u64 = 50;

/// A health-checked sink with `overrides`, then a slow instance and fresh traffic counts.
fn slow_sink(rig: &Rig, overrides: serde_json::Value) -> SinkInstance {
    let sink = rig.sink_with(overrides);
    rig.sn.set_faults(Faults {
        latency_ms: LATENCY_MS,
        ..Faults::default()
    });
    rig.traffic.reset();
    sink
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("na:locked-out:user{i}")).collect()
}

/// Outcome `i` is the incident created for `keys[i]`, with the mapped fields, and there is
/// exactly one incident per key.
#[track_caller]
fn one_incident_per_key(rig: &Rig, keys: &[String], outcomes: &[ActionOutcome]) {
    assert_eq!(outcomes.len(), keys.len(), "{outcomes:?}");
    for (key, outcome) in keys.iter().zip(outcomes) {
        let ticket = done(outcome);
        let stored = rig.sn.incident(&ticket.id).expect("the incident exists");
        assert_eq!(stored.get("correlation_id"), key.as_str());
        assert_eq!(ticket.fields.get("correlation_id"), Some(key.as_str()));
        assert_eq!(stored.number(), ticket.number);
        assert_eq!(
            stored.get("short_description"),
            "[Netwrix Auditor] ITSM Add-On: User Account Locked Out"
        );
        assert_eq!(stored.state(), "1");
    }
    let incidents = rig.sn.incidents();
    let stored: BTreeSet<String> = incidents
        .iter()
        .map(|i| i.get("correlation_id").to_owned())
        .collect();
    assert_eq!(incidents.len(), keys.len(), "one incident per key");
    assert_eq!(stored, keys.iter().cloned().collect::<BTreeSet<_>>());
}

fn creates_for_different_keys_go_side_by_side(release: Release) {
    let rig = Rig::new(release);
    let mut sink = slow_sink(&rig, json!({"max_concurrent_requests": 4}));
    let keys = keys(8);
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(keys.iter().map(|k| create(k)).collect())
    });
    one_incident_per_key(&rig, &keys, &outcomes);
    assert_eq!(cost.total(), 8, "one request per create");
    assert_eq!(cost.count("POST", PathKind::TableCollection), 8);
    let peak = rig.traffic.peak();
    assert!(
        peak <= 4,
        "{peak} requests at once, over max_concurrent_requests"
    );
    assert!(peak >= 2, "the creates went one at a time");
}

fn one_at_a_time_never_overlaps(release: Release) {
    let rig = Rig::new(release);
    let mut sink = slow_sink(&rig, json!({"max_concurrent_requests": 1}));
    let keys = keys(6);
    let mut actions: Vec<TicketAction> = keys.iter().map(|k| create(k)).collect();
    actions.push(find(&keys[0]));
    let outcomes = sink.deliver(actions);
    one_incident_per_key(&rig, &keys, &outcomes[..6]);
    done(&outcomes[6]);
    assert_eq!(rig.traffic.peak(), 1);
    assert_eq!(rig.traffic.arrivals().len(), 7);
}

fn each_tickets_steps_keep_their_order(release: Release) {
    let rig = Rig::new(release);
    let mut setup = rig.sink();
    let t = rig.create(&mut setup, "ticket-t").id.to_string();
    let u = rig.create(&mut setup, "ticket-u").id.to_string();
    // Resolved behind the sink's back: the reopen is decided on the instance's answer, so it
    // costs two PATCHes that must stay between the notes around them.
    assert!(rig.sn.set_state(&t, "6"));
    let mut sink = slow_sink(&rig, json!({"max_concurrent_requests": 4}));
    let actions = vec![
        create("new-0"),
        note(&t, "first"),
        attach(&t, "one.txt", "text/plain", b"one"),
        reopen(&t),
        create("new-1"),
        note(&u, "u-first"),
        note(&t, "second"),
        create("new-2"),
        attach(&t, "two.txt", "text/plain", b"two"),
        note(&u, "u-second"),
        note(&t, "third"),
        create("new-3"),
    ];
    let outcomes = sink.deliver(actions);
    assert_eq!(outcomes.len(), 12);
    for outcome in &outcomes {
        done(outcome);
    }
    for (i, key) in [(0, "new-0"), (4, "new-1"), (7, "new-2"), (11, "new-3")] {
        let stored = rig.sn.incident(&done(&outcomes[i]).id).expect("created");
        assert_eq!(stored.get("correlation_id"), key);
    }
    let notes = |sys_id: &str| -> Vec<String> {
        rig.sn
            .journal(sys_id)
            .into_iter()
            .filter(|e| e.element == "work_notes")
            .map(|e| e.value)
            .collect()
    };
    // The work note each create wrote comes first.
    assert_eq!(notes(&t)[1..], ["first", "second", "third"]);
    assert_eq!(notes(&u)[1..], ["u-first", "u-second"]);
    let files: Vec<String> = rig
        .sn
        .attachments(&t)
        .into_iter()
        .map(|a| a.file_name)
        .collect();
    assert_eq!(files, ["one.txt", "two.txt"]);
    assert_eq!(
        rig.sn.incident(&t).expect("exists").state(),
        "1",
        "reopened"
    );
    // The requests on `t` as they reached the instance: note (the reopen waits for its
    // answer), the reopen's own PATCH, upload, note, upload, note.
    let on_t: Vec<String> = rig
        .traffic
        .arrivals()
        .into_iter()
        .filter(|r| r.contains(&t))
        .map(|r| {
            let method = r.split(' ').next().unwrap_or_default().to_owned();
            let upload = r.contains("/attachment/file");
            format!("{method}{}", if upload { " upload" } else { "" })
        })
        .collect();
    assert_eq!(
        on_t,
        [
            "PATCH",
            "PATCH",
            "POST upload",
            "PATCH",
            "POST upload",
            "PATCH"
        ]
    );
    let peak = rig.traffic.peak();
    assert!((2..=4).contains(&peak), "{peak} requests at once");
}

fn oauth_refreshes_once_for_requests_in_flight_together(release: Release) {
    let rig = Rig::new(release);
    let oauth = json!({
        "oauth": {"client_id": "sluice", "client_secret": "sluice-secret"},
        "max_concurrent_requests": 4,
    });
    let mut sink = slow_sink(&rig, oauth);

    // The token expired on the instance's clock, not the host's: the first requests in flight
    // meet 401 together, and one of them refreshes the token for all.
    rig.sn.advance(Duration::from_secs(2000));
    let first = keys(8);
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(first.iter().map(|k| create(k)).collect())
    });
    for outcome in &outcomes {
        done(outcome);
    }
    assert_eq!(cost.count("POST", PathKind::OAuthToken), 1, "one refresh");
    let rejected = cost.status(401);
    assert!((1..=4).contains(&rejected), "{rejected} answers 401");
    assert_eq!(cost.count("POST", PathKind::TableCollection), 8 + rejected);

    // The token is about to expire by the host's clock: the requests that start together
    // wait for one refresh, and none is refused.
    rig.clock.advance(Duration::from_secs(1790));
    rig.sn.advance(Duration::from_secs(1790));
    let second: Vec<String> = (8..16).map(|i| format!("na:locked-out:user{i}")).collect();
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(second.iter().map(|k| create(k)).collect())
    });
    for outcome in &outcomes {
        done(outcome);
    }
    assert_eq!(cost.count("POST", PathKind::OAuthToken), 1, "one refresh");
    assert_eq!(cost.status(401), 0);
    assert_eq!(cost.total(), 9);
    assert_eq!(rig.sn.incidents().len(), 16);
    assert!(rig.traffic.peak() <= 4);
}

#[test]
fn zero_concurrent_requests_is_refused() {
    let plugin = sluice_sink_servicenow::in_process().expect("registers");
    let config = json!({
        "endpoint": "https://acme.service-now.com",
        "release": "london",
        "username": "svc",
        "password": "pw",
        "max_concurrent_requests": 0,
    });
    let err = plugin
        .validate_config("servicenow", &config)
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.key_path(), Some("max_concurrent_requests"));
    assert!(err.message().contains("at least 1"), "{err}");
    let rig = Rig::new(Release::London);
    let err = rig
        .build(json!({"max_concurrent_requests": 0}))
        .expect_err("refused");
    assert_eq!(err.key_path(), Some("max_concurrent_requests"), "{err}");
}

per_release!(
    creates_for_different_keys_go_side_by_side,
    one_at_a_time_never_overlaps,
    each_tickets_steps_keep_their_order,
    oauth_refreshes_once_for_requests_in_flight_together,
);
