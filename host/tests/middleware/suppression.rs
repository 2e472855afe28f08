//! Suppression behaviours, each as a user would check it in the ticket system.

use sluice_sdk::Journal;

use crate::support::{hours, minutes, Harness};

#[test]
fn a_thousand_alerts_of_one_type_in_ten_minutes_make_one_ticket_and_one_update() {
    let mut h = Harness::new("");
    h.alert("ITSM Add-On: User Account Locked Out");
    h.step();
    assert_eq!(
        h.sink().tickets.len(),
        1,
        "the first alert opens a ticket at once"
    );
    for i in 0..999 {
        if i % 100 == 0 {
            h.clock.advance(minutes(1));
        }
        h.alert("ITSM Add-On: User Account Locked Out");
        h.step();
    }
    let ticket = &h.sink().tickets[0];
    assert!(
        ticket.notes.is_empty(),
        "repeats wait for the consolidation interval"
    );

    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 1, "still one ticket");
    let ticket = &sink.tickets[0];
    assert_eq!(ticket.notes.len(), 1, "one consolidated update");
    let (journal, note) = &ticket.notes[0];
    assert_eq!(*journal, Journal::WorkNotes);
    assert!(note.contains("999 more occurrences"), "{note}");
    // display_only_first_activity_record: the first record is in the ticket's work notes, the
    // repeats' records in one attachment.
    assert!(ticket
        .ticket
        .fields
        .get("work_notes")
        .unwrap()
        .contains("Who: CORP\\jdoe"));
    assert_eq!(ticket.attachments.len(), 1);
    let (name, content) = &ticket.attachments[0];
    assert!(name.starts_with("activity-records-"), "{name}");
    let text = String::from_utf8_lossy(content);
    assert!(
        text.starts_with(
            "999 activity records of the alert \"ITSM Add-On: User Account Locked Out\""
        ),
        "{text}"
    );
    assert_eq!(text.matches("Who: CORP\\jdoe").count(), 999);

    // Economy: one request to open, one per consolidated update, one per attachment.
    assert_eq!(sink.requests, 3, "{} requests", sink.requests);

    h.advance(hours(1));
    assert_eq!(h.sink().tickets[0].notes.len(), 1, "nothing more to write");
}

#[test]
fn fifty_alert_types_in_an_hour_make_ten_tickets_and_one_flood_ticket_listing_the_other_forty() {
    let mut h = Harness::new("");
    for i in 0..50 {
        h.alert(&format!("Alert type {i:02}"));
        h.advance(minutes(1));
    }
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 11, "10 tickets and 1 flood ticket");
    let own: Vec<&str> = sink.tickets[..10]
        .iter()
        .map(|t| t.ticket.fields.get("short_description").unwrap())
        .collect();
    assert_eq!(own[0], "[Netwrix Auditor] Alert type 00");
    assert_eq!(own[9], "[Netwrix Auditor] Alert type 09");
    let flood = &sink.tickets[10];
    assert_eq!(
        flood.ticket.fields.get("short_description"),
        Some("[Netwrix Auditor] Alert flood: over 10 new tickets within 1h")
    );
    let listed = format!(
        "{}\n{}",
        flood.ticket.fields.get("description").unwrap(),
        flood
            .notes
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for i in 10..50 {
        assert!(
            listed.contains(&format!("Alert type {i:02}:")),
            "type {i} missing from the flood ticket:\n{listed}"
        );
    }
    for i in 0..10 {
        assert!(
            !listed.contains(&format!("Alert type {i:02}:")),
            "type {i} has its own ticket"
        );
    }
    assert!(
        flood.ticket.fields.get("work_notes").is_none(),
        "no record-specific notes on a flood ticket"
    );

    // A new window: the next new alert type gets its own ticket again.
    h.advance(hours(1));
    h.alert("Alert type 50");
    h.step();
    assert_eq!(h.sink().tickets.len(), 12);
    assert_eq!(
        h.sink().tickets[11].ticket.fields.get("short_description"),
        Some("[Netwrix Auditor] Alert type 50")
    );
}

#[test]
fn repeats_of_a_type_with_a_ticket_update_it_even_during_a_flood() {
    let mut h = Harness::new("");
    for i in 0..12 {
        h.alert(&format!("Alert type {i:02}"));
    }
    h.step();
    h.alert("Alert type 03");
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 11);
    assert_eq!(
        sink.by_number("INC0000004").notes.len(),
        1,
        "its own ticket got the repeat"
    );
}

#[test]
fn a_repeat_after_the_ticket_was_resolved_reopens_it_to_new() {
    let mut h = Harness::new("");
    h.alert("Member added to Domain Admins");
    h.step();
    h.engine.sink_mut().set_state("INC0000001", "6");
    h.advance(hours(2));
    h.alert("Member added to Domain Admins");
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 1, "no new ticket");
    let t = &sink.tickets[0];
    assert_eq!(t.ticket.state, "1", "reopened to New");
    assert_eq!(t.notes.len(), 1);
    assert_eq!(h.engine.stats().delivery.reopened, 1);
}

#[test]
fn an_open_ticket_is_updated_not_reopened() {
    let mut h = Harness::new("");
    h.alert("A");
    h.step();
    h.engine.sink_mut().set_state("INC0000001", "2");
    h.alert("A");
    h.advance(minutes(15));
    assert_eq!(h.sink().tickets[0].ticket.state, "2");
    assert_eq!(h.engine.stats().delivery.reopened, 0);
    assert_eq!(h.engine.stats().delivery.updated, 1);
}

#[test]
fn reopen_can_be_switched_off() {
    let mut h = Harness::new("suppression.reopen_ticket_on_repetitive_alerts = false");
    h.alert("A");
    h.step();
    h.engine.sink_mut().set_state("INC0000001", "7");
    h.alert("A");
    h.advance(minutes(15));
    let t = &h.sink().tickets[0];
    assert_eq!(t.ticket.state, "7", "left closed");
    assert_eq!(t.notes.len(), 1, "but the update is written");
}

#[test]
fn a_repeat_25_hours_later_opens_a_new_ticket_that_references_the_old_one() {
    let mut h = Harness::new("");
    h.alert("ITSM Add-On: User Account Locked Out");
    h.step();
    h.engine.sink_mut().set_state("INC0000001", "7");
    h.advance(hours(25));
    h.alert("ITSM Add-On: User Account Locked Out");
    h.step();
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 2);
    let description = sink.tickets[1].ticket.fields.get("description").unwrap();
    assert!(
        description.contains("Previous incident for the same alert type:\nNumber: INC0000001"),
        "{description}"
    );
    assert!(
        description.contains("Assignment group: Service Desk"),
        "display values: {description}"
    );
    assert!(
        description.contains("State: Closed"),
        "the previous ticket's current state: {description}"
    );
    assert_eq!(
        sink.tickets[0].ticket.state, "7",
        "the old ticket is left alone"
    );
}

#[test]
fn correlation_reaches_back_only_as_far_as_the_correlation_interval_and_can_be_off() {
    let mut h = Harness::new("suppression.correlation_interval = \"2d\"");
    h.alert("A");
    h.step();
    h.advance(hours(49));
    h.alert("A");
    h.step();
    let d = h.sink().tickets[1]
        .ticket
        .fields
        .get("description")
        .unwrap()
        .to_owned();
    assert!(!d.contains("Previous incident"), "{d}");

    let mut h = Harness::new("suppression.ticket_correlation = false");
    h.alert("A");
    h.step();
    h.advance(hours(25));
    h.alert("A");
    h.step();
    let d = h.sink().tickets[1]
        .ticket
        .fields
        .get("description")
        .unwrap()
        .to_owned();
    assert!(!d.contains("Previous incident"), "{d}");
}

#[test]
fn without_update_on_repeat_each_alert_opens_a_ticket_within_the_flood_limit() {
    let mut h = Harness::new("suppression.update_ticket_on_repetitive_alerts = false");
    for _ in 0..12 {
        h.alert("A");
    }
    h.step();
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 11, "10 tickets, then the flood ticket");
    let own: Vec<_> = sink
        .tickets
        .iter()
        .filter(|t| t.ticket.fields.get("short_description") == Some("[Netwrix Auditor] A"))
        .collect();
    assert_eq!(own.len(), 10);
    // Each new ticket names the one opened before it for the same alert.
    let mut referenced: Vec<&str> = own
        .iter()
        .filter_map(|t| {
            let d = t.ticket.fields.get("description")?;
            d.split("Number: ").nth(1)?.lines().next()
        })
        .collect();
    referenced.sort();
    let mut numbers: Vec<&str> = own.iter().map(|t| t.ticket.number.as_str()).collect();
    numbers.sort();
    assert_eq!(referenced, numbers[..9], "each references the previous one");
}

#[test]
fn zero_consolidation_interval_writes_each_repeat_at_once() {
    let mut h = Harness::new("suppression.consolidation_interval = \"0s\"");
    h.alert("A");
    h.step();
    for _ in 0..3 {
        h.alert("A");
        h.step();
    }
    assert_eq!(h.sink().tickets[0].notes.len(), 3);
}

#[test]
fn with_zero_consolidation_repeats_waiting_for_the_sink_share_one_update() {
    let mut h = Harness::new("suppression.consolidation_interval = \"0s\"");
    h.alert("A");
    h.step();
    // The sink puts the first update off for a minute; three repeats come meanwhile.
    h.engine
        .sink_mut()
        .retry_next
        .push(("add_note", Some(minutes(1))));
    for _ in 0..4 {
        h.alert("A");
        h.step();
    }
    assert!(h.sink().tickets[0].notes.is_empty());
    h.advance(minutes(2));
    h.step();
    let notes = &h.sink().tickets[0].notes;
    assert_eq!(
        notes.len(),
        2,
        "the update put off, then one for the three repeats that waited: {notes:?}"
    );
    assert!(notes[1].1.contains("3 more occurrences"), "{}", notes[1].1);
}

#[test]
fn group_by_gives_each_account_its_own_ticket() {
    let mut h = Harness::new("suppression.group_by = [\"Who\"]");
    h.alert_by("Failed logons", "CORP\\alice");
    h.alert_by("Failed logons", "CORP\\bob");
    h.alert_by("Failed logons", "CORP\\alice");
    h.step();
    h.advance(minutes(15));
    let sink = h.sink();
    assert_eq!(sink.tickets.len(), 2);
    assert_eq!(
        sink.tickets[0].notes.len(),
        1,
        "alice's repeat updated alice's ticket"
    );
    assert!(sink.tickets[1].notes.is_empty());
}

#[test]
fn without_display_only_first_every_record_goes_into_the_notes() {
    let mut h = Harness::new("suppression.display_only_first_activity_record = false");
    h.alert("A");
    h.step();
    h.alert_by("A", "CORP\\second");
    h.alert_by("A", "CORP\\third");
    h.advance(minutes(15));
    let t = &h.sink().tickets[0];
    assert!(t.attachments.is_empty());
    let note = &t.notes[0].1;
    assert!(
        note.contains("Who: CORP\\second") && note.contains("Who: CORP\\third"),
        "{note}"
    );
}

#[test]
fn comments_instead_of_work_notes_and_per_pipeline_ticket_fields() {
    let mut h = Harness::new(
        r#"[pipelines.p.ticket]
short_description = "Security: %AlertName% by %Who%"
assignment_group = "d625dccec0a8016700a22a0f7900d06"
comments = "%Who% did %Action% on %What%""#,
    );
    h.alert("A");
    h.step();
    h.alert("A");
    h.advance(minutes(15));
    let t = &h.sink().tickets[0];
    assert_eq!(
        t.ticket.fields.get("short_description"),
        Some("Security: A by CORP\\jdoe")
    );
    assert_eq!(
        t.ticket.fields.get("assignment_group"),
        Some("d625dccec0a8016700a22a0f7900d06")
    );
    assert_eq!(
        t.ticket.fields.get("category"),
        None,
        "the pipeline's fields replace the defaults"
    );
    assert_eq!(t.notes[0].0, Journal::Comments);
}

#[test]
fn a_retried_response_action_is_accepted_and_ignored() {
    let mut h = Harness::new("");
    let rid = h.alert("A");
    let mut store = h.place.open();
    for _ in 0..5 {
        let queued = sluice_core::queue_response_action(
            &mut store,
            "p",
            "{A}",
            &rid,
            "A",
            sluice_core::Timestamp::EPOCH,
        )
        .unwrap();
        assert!(!queued, "a duplicate is not queued again");
    }
    h.step();
    h.advance(minutes(15));
    let t = &h.sink().tickets;
    assert_eq!(t.len(), 1);
    assert!(
        t[0].notes.is_empty(),
        "the duplicates did not count as repeats"
    );
}
