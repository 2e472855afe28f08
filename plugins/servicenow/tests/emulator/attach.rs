//! `Attach`: the binary upload stores the bytes as sent.

use sluice_emulators::servicenow::PathKind;

use crate::harness::*;

fn attachment_bytes_arrive_unchanged(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let created = rig.create(&mut sink, "k");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let (outcome, cost) = counting(&rig, || {
        one(
            &mut sink,
            attach(
                &created.id,
                "activity records.bin",
                "application/octet-stream",
                &bytes,
            ),
        )
    });
    let ticket = done(&outcome);
    assert_eq!(
        (ticket.id.as_str(), ticket.number.as_str()),
        (created.id.as_str(), created.number.as_str())
    );
    assert_eq!(
        (cost.total(), cost.count("POST", PathKind::AttachmentFile)),
        (1, 1)
    );
    let stored = rig.sn.attachments(&created.id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].bytes, bytes);
    assert_eq!(stored[0].file_name, "activity records.bin");
    assert_eq!(stored[0].content_type, "application/octet-stream");
    assert_eq!(stored[0].table_name, "incident");
}

fn attaching_to_an_unknown_incident_fails(release: Release) {
    let rig = Rig::new(release);
    let mut sink = rig.sink();
    let outcome = one(
        &mut sink,
        attach(
            "0123456789abcdef0123456789abcdef",
            "a.txt",
            "text/plain",
            b"x",
        ),
    );
    assert!(
        failed(&outcome).message().contains("No Record found"),
        "{outcome:?}"
    );
}

per_release!(
    attachment_bytes_arrive_unchanged,
    attaching_to_an_unknown_incident_fails,
);
