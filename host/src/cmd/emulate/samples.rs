//! Sample activity records `sluice emulate auditor` stores at start and prints, so that a
//! response action can be tried by hand without a script to find a RecordID: each one is
//! selected by an alert of the shipped set.

use jiff::Timestamp;
use sluice_emulators::auditor::{ActivityRecord, Auditor, Detail, Item, MonitoringPlan};

/// A sample: the alert of the shipped set that selects it, and what it is.
pub(super) struct Sample {
    pub(super) alert: &'static str,
    pub(super) what: &'static str,
    pub(super) rid: String,
}

/// An Active Directory change by `who` of `what`, an object of `object_type`, as a domain
/// controller reports it.
fn directory_change(who: &str, what: &str, object_type: &str, detail: Detail) -> ActivityRecord {
    let mut record = ActivityRecord::new(
        format!(r"CORP\{who}"),
        "Modified",
        what.to_owned(),
        Timestamp::now(),
        "dc01.corp.local",
        object_type,
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
    record.details.push(detail);
    record
}

fn turned_on(property: &str) -> Detail {
    let mut detail = Detail::named(property);
    detail.before = Some("False".to_owned());
    detail.after = Some("True".to_owned());
    detail
}

/// Stores the samples in `auditor`, timed now; returns them with their record ids.
pub(super) fn store(auditor: &Auditor) -> Vec<Sample> {
    let mut member = Detail::named("Member");
    member.after = Some(r"CORP\mallory".to_owned());
    let samples = [
        (
            "ITSM Add-On: User Account Locked Out",
            r"CORP\jsmith locked out",
            directory_change(
                "jsmith",
                r"\local\corp\Users\jsmith",
                "user",
                turned_on("Account Locked Out"),
            ),
        ),
        (
            "ITSM Add-On: Member Added to a Privileged Group",
            r"CORP\mallory added to Domain Admins",
            directory_change(
                "adm-jdoe",
                r"\local\corp\Users\Domain Admins",
                "group",
                member,
            ),
        ),
        (
            "ITSM Add-On: User Account Disabled",
            r"CORP\aschmidt disabled",
            directory_change(
                "adm-jdoe",
                r"\local\corp\Users\aschmidt",
                "user",
                turned_on("Account Disabled"),
            ),
        ),
    ];
    let (meta, records): (Vec<_>, Vec<_>) = samples
        .into_iter()
        .map(|(alert, what, record)| ((alert, what), record))
        .unzip();
    auditor
        .write(records)
        .into_iter()
        .zip(meta)
        .map(|(rid, (alert, what))| Sample { alert, what, rid })
        .collect()
}

/// What to print about `samples`: each record id, and the commands that try one by hand.
pub(super) fn describe(samples: &[Sample]) -> String {
    let mut out = String::from(
        "Sample activity records (RecordID, what it is, the alert that selects it):\n",
    );
    for s in samples {
        out.push_str(&format!("  {}  {}  ({})\n", s.rid, s.what, s.alert));
    }
    if let Some(first) = samples.first() {
        out.push_str(&format!(
            "Try one by hand, with a config whose source points here:\n  \
             sluice explain --rid {rid}\n  \
             sluice alert-response --alert-name \"{alert}\" 1 {rid}\n",
            rid = first.rid,
            alert = first.alert
        ));
    }
    out
}
