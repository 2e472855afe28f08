//! Activity records as the Auditor stores them, and alerts for them to queue.

use jiff::Timestamp;
use sluice_emulators::auditor::{ActivityRecord, Auditor, Detail, Item, MonitoringPlan};

/// An Active Directory lockout of `who` at `when`, as a domain controller reports it: every
/// field the alert details show is set, so a test can find each in the ticket.
pub fn lockout(who: &str, when: Timestamp) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        format!(r"CORP\{who}"),
        "Modified",
        format!(r"\local\corp\Users\{who}"),
        when,
        "dc01.corp.local",
        "user",
    );
    record.data_source = Some("Active Directory".to_owned());
    record.monitoring_plan = Some(MonitoringPlan {
        name: "AD Monitoring".to_owned(),
        id: None,
    });
    record.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    record.workstation = Some(format!("ws-{who}.corp.local"));
    let mut detail = Detail::named("Account Locked Out");
    detail.before = Some("False".to_owned());
    detail.after = Some("True".to_owned());
    record.details.push(detail);
    record
}

/// A file server's record of `who` deleting a file at `when`.
pub fn deletion(who: &str, n: u64, when: Timestamp) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        format!(r"CORP\{who}"),
        "Removed",
        format!(r"\\fs01\projects\{who}\report-{n}.docx"),
        when,
        "fs01.corp.local",
        "File",
    );
    record.data_source = Some("File Servers".to_owned());
    record
}

/// A change of directory object `n` by `CORP\user{n}` at `when`, with only the fields every
/// record has: for tests of the pipeline rather than of the ticket's content.
fn modification(n: usize, when: Timestamp) -> ActivityRecord {
    ActivityRecord::new(
        format!("CORP\\user{n}"),
        "Modified",
        format!("CN=Object {n},OU=Test,DC=corp,DC=local"),
        when,
        "dc01.corp.local",
        "user",
    )
}

/// A lockout of `who` at `when` (RFC 3339) stored in the Auditor; its RID.
pub fn write_lockout(auditor: &Auditor, who: &str, when: &str) -> String {
    let when: Timestamp = when.parse().expect("an RFC 3339 time");
    auditor.write(vec![lockout(who, when)]).remove(0)
}

/// `n` lockout records stored in the Auditor, one second apart ending now; their RIDs.
pub fn write_lockouts(auditor: &Auditor, prefix: &str, n: usize) -> Vec<String> {
    let now = Timestamp::now();
    let records = (0..n)
        .map(|i| {
            let when = now - jiff::SignedDuration::from_secs((n - i) as i64);
            lockout(&format!("{prefix}{i}"), when)
        })
        .collect();
    auditor.write(records)
}

/// `n` modifications (of objects 0, 1, …, all now) stored in the Auditor; their RIDs.
pub fn write_modifications(auditor: &Auditor, n: usize) -> Vec<String> {
    let now = Timestamp::now();
    auditor.write((0..n).map(|i| modification(i, now)).collect())
}

/// `n` alerts named `Alert 00`, `Alert 01`…, each on a modification of its own, stored now.
pub fn distinct_alerts(auditor: &Auditor, n: usize) -> Vec<(String, String)> {
    write_modifications(auditor, n)
        .into_iter()
        .enumerate()
        .map(|(i, rid)| (format!("Alert {i:02}"), rid))
        .collect()
}
