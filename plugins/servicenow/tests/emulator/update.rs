//! Updates: journal notes, fields, reopen, resolve, and how many PATCHes a run costs.

use sluice_emulators::servicenow::PathKind;
use sluice_sdk::{ActionOutcome, StateChange};

use crate::harness::*;

fn a_work_note_and_a_comment_are_appended(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let (outcome, cost) = counting(&rig, || {
        one(&mut sink, note(&id, "Seen again at 10:45 on DC01."))
    });
    assert_eq!(done(&outcome).state, "1");
    assert_eq!(
        (cost.total(), cost.count("PATCH", PathKind::TableRecord)),
        (1, 1)
    );
    one(&mut sink, comment(&id, "We are looking into it."));
    let journal = rig.sn.journal(&id);
    let texts: Vec<(&str, &str)> = journal
        .iter()
        .map(|e| (e.element.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        texts[1..],
        [
            ("work_notes", "Seen again at 10:45 on DC01."),
            ("comments", "We are looking into it.")
        ]
    );
}

fn update_sets_fields_and_reports_them(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let outcome = one(&mut sink, update(&id, &[("impact", "1"), ("urgency", "1")]));
    let ticket = done(&outcome);
    let stored = rig.sn.incident(&id).expect("exists");
    assert_eq!(stored.get("priority"), "1");
    assert_eq!(ticket.fields.get("impact"), Some("1"));
    assert_eq!(ticket.display.get("priority"), Some("1 - Critical"));
}

fn note_and_reopen_of_a_ticket_seen_resolved_cost_one_patch(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    assert!(rig.sn.set_state(&id, "6"), "the service desk resolves it");
    // The host looks before it decides (and renders its correlation text from this).
    assert_eq!(done(&one(&mut sink, get(&id))).state, "6");
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(vec![note(&id, "The alert fired again."), reopen(&id)])
    });
    assert_eq!(cost.total(), 1, "{outcomes:?}");
    assert_eq!(cost.count("PATCH", PathKind::TableRecord), 1);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, ActionOutcome::Done(t) if t.state == "1")),
        "{outcomes:?}"
    );
    assert_eq!(
        rig.sn
            .incident(&id)
            .map(|i| i.state().to_owned())
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        rig.sn.journal(&id).last().map(|e| e.value.as_str()),
        Some("The alert fired again.")
    );
}

fn note_update_resolve_and_an_attachment_cost_one_patch_and_one_upload(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let (outcomes, cost) = counting(&rig, || {
        sink.deliver(vec![
            note(&id, "Unlocked."),
            attach(&id, "events.csv", "text/csv", b"when,who\n10:45,jdoe\n"),
            update(&id, &[("urgency", "3")]),
            resolve(&id, release),
        ])
    });
    assert!(
        outcomes.iter().all(|o| matches!(o, ActionOutcome::Done(_))),
        "{outcomes:?}"
    );
    assert_eq!(cost.count("PATCH", PathKind::TableRecord), 1);
    assert_eq!(cost.count("POST", PathKind::AttachmentFile), 1);
    assert_eq!(cost.total(), 2);
    let stored = rig.sn.incident(&id).expect("exists");
    assert_eq!((stored.state(), stored.get("urgency")), ("6", "3"));
    assert_eq!(rig.sn.attachments(&id).len(), 1);
}

fn reopen_of_a_ticket_resolved_behind_the_sinks_back(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    assert!(rig.sn.set_state(&id, "6"));
    // The sink last saw it New: the note's answer shows Resolved, then a second PATCH reopens.
    let (outcomes, cost) = counting(&rig, || sink.deliver(vec![note(&id, "again"), reopen(&id)]));
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, ActionOutcome::Done(t) if t.state == "1")),
        "{outcomes:?}"
    );
    assert_eq!(cost.count("PATCH", PathKind::TableRecord), 2);
    assert_eq!(
        rig.sn
            .incident(&id)
            .map(|i| i.get("reopen_count").to_owned())
            .as_deref(),
        Some("1")
    );
    // A bare reopen with nothing else to write reads the state first.
    assert!(rig.sn.set_state(&id, "6"));
    let (outcome, cost) = counting(&rig, || one(&mut sink, reopen(&id)));
    assert_eq!(done(&outcome).state, "1");
    assert_eq!(
        (
            cost.count("GET", PathKind::TableRecord),
            cost.count("PATCH", PathKind::TableRecord)
        ),
        (1, 1)
    );
}

fn reopen_of_an_open_ticket_is_unchanged(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    assert!(rig.sn.set_state(&id, "2"), "an agent takes it: In Progress");
    let (outcomes, cost) = counting(&rig, || sink.deliver(vec![note(&id, "again"), reopen(&id)]));
    assert_eq!(
        cost.total(),
        1,
        "one PATCH; its answer says the ticket is open"
    );
    assert!(
        matches!(&outcomes[0], ActionOutcome::Done(t) if t.state == "2"),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[1], ActionOutcome::Unchanged(t) if t.state == "2"),
        "{outcomes:?}"
    );
    assert_eq!(
        rig.sn
            .incident(&id)
            .map(|i| i.state().to_owned())
            .as_deref(),
        Some("2")
    );
}

fn resolve_and_close_send_close_info_in_the_same_request(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let (outcome, cost) = counting(&rig, || one(&mut sink, resolve(&id, release)));
    assert_eq!(done(&outcome).state, "6");
    assert_eq!(cost.total(), 1);
    let stored = rig.sn.incident(&id).expect("exists");
    assert_eq!(
        (
            stored.state(),
            stored.get("close_code"),
            stored.get("close_notes")
        ),
        (
            "6",
            era_close_code(release),
            "Account unlocked by the service desk."
        )
    );
    // An empty code and notes take the defaults: the release's usual code, the configured
    // notes.
    let closed = one(
        &mut sink,
        change(
            &id,
            StateChange::Close {
                close_code: String::new(),
                close_notes: String::new(),
            },
        ),
    );
    assert_eq!(done(&closed).state, "7");
    let stored = rig.sn.incident(&id).expect("exists");
    assert_eq!(
        (
            stored.get("close_code"),
            stored.get("close_notes"),
            stored.is_active()
        ),
        (usual_close_code(release), "Resolved by sluice.", false)
    );
}

fn set_honours_only_from(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let id = rig.create(&mut sink, "k").id;
    let take = || change(&id, StateChange::set("2").only_from(["1"]));
    assert_eq!(done(&one(&mut sink, take())).state, "2");
    assert!(matches!(one(&mut sink, take()), ActionOutcome::Unchanged(t) if t.state == "2"));
    assert_eq!(
        done(&one(&mut sink, change(&id, StateChange::set("3")))).state,
        "3"
    );
}

/// The close code the sink sends by default: the usual one of the release's era.
fn usual_close_code(release: Release) -> &'static str {
    if release >= Release::WashingtonDc {
        "Solution provided"
    } else {
        "Solved (Permanently)"
    }
}

fn suppressed_update_bodies_from_kingston_on(release: Release) {
    let rig = Rig::new(release);
    let lean = serde_json::json!({"suppress_update_bodies": true});
    if release < Release::Kingston {
        let err = rig.build(lean).expect_err("refused before Kingston");
        assert_eq!(err.key_path(), Some("suppress_update_bodies"));
        return;
    }
    let mut sink = rig.sink_with(lean);
    let created = rig.create(&mut sink, "k");
    let outcome = one(&mut sink, note(&created.id, "lean"));
    let ticket = done(&outcome);
    assert_eq!(
        (ticket.number.as_str(), ticket.state.as_str()),
        (created.number.as_str(), "1")
    );
    assert!(
        ticket.fields.is_empty(),
        "no body, so only what the sink knew: {ticket:?}"
    );
    assert_eq!(
        rig.sn.journal(&created.id).last().map(|e| e.value.as_str()),
        Some("lean")
    );
    // A reopen still needs the answer, so it is asked for.
    assert!(rig.sn.set_state(&created.id, "6"));
    let outcomes = sink.deliver(vec![note(&created.id, "again"), reopen(&created.id)]);
    assert!(
        matches!(&outcomes[1], ActionOutcome::Done(t) if t.state == "1"),
        "{outcomes:?}"
    );
}

per_release!(
    a_work_note_and_a_comment_are_appended,
    update_sets_fields_and_reports_them,
    note_and_reopen_of_a_ticket_seen_resolved_cost_one_patch,
    note_update_resolve_and_an_attachment_cost_one_patch_and_one_upload,
    reopen_of_a_ticket_resolved_behind_the_sinks_back,
    reopen_of_an_open_ticket_is_unchanged,
    resolve_and_close_send_close_info_in_the_same_request,
    set_honours_only_from,
    suppressed_update_bodies_from_kingston_on,
);
