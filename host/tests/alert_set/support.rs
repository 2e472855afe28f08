//! The data set, records as the Netwrix plugin decodes them, the shipped set, and what each
//! shipped alert is meant to select.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sluice_core::{load_alert_file as load_file, AlertDefinition};
use sluice_emulators::auditor::dataset::{generate, DatasetConfig};
use sluice_emulators::auditor::{ActivityRecord, Category};
use sluice_sdk::{Detail, Record};

/// Records per generated data set: enough for every category to occur, most of them many
/// times.
pub const RECORDS: usize = 20_000;

/// The data set is generated with each of these seeds; a filter must hold on all of them.
pub const SEEDS: [u64; 3] = [1, 7, 2025];

/// The prefix every shipped alert name carries (the vendor's "ITSM Add-On: ...").
pub const PREFIX: &str = "ITSM Add-On: ";

/// Each shipped alert and the data-set categories it must select (and no other).
pub const INTENDED: &[(&str, &[Category])] = {
    use Category::*;
    &[
        ("ITSM Add-On: User Account Locked Out", &[AccountLockedOut]),
        (
            "ITSM Add-On: Member Added to a Privileged Group",
            &[PrivilegedGroupMemberAdded],
        ),
        (
            "ITSM Add-On: Privileged Group Membership Removed",
            &[PrivilegedGroupMemberRemoved],
        ),
        (
            "ITSM Add-On: Password Reset by Another Account",
            &[PasswordResetByOther],
        ),
        ("ITSM Add-On: User Account Enabled", &[UserAccountEnabled]),
        ("ITSM Add-On: User Account Disabled", &[UserAccountDisabled]),
        (
            "ITSM Add-On: Group Policy Object Modified or Linked",
            &[GpoModified, GpoLinked],
        ),
        (
            "ITSM Add-On: Audit or Security Log Cleared",
            &[AuditLogCleared],
        ),
        ("ITSM Add-On: Mass File Deletion", &[FileDeleted]),
        ("ITSM Add-On: Repeated Failed Logons", &[FailedLogon]),
        (
            "ITSM Add-On: SQL Server Login Added to sysadmin",
            &[SqlSysadminMemberAdded],
        ),
        (
            "ITSM Add-On: Exchange Mailbox Permission Granted",
            &[MailboxFullAccessGranted, MailboxSendAsGranted],
        ),
    ]
};

/// The shipped alerts that are off until a user turns them on: routine work that would open
/// tickets every day.
pub const OFF_BY_DEFAULT: [&str; 2] = [
    "ITSM Add-On: Password Reset by Another Account",
    "ITSM Add-On: User Account Disabled",
];

/// The categories `name` must select.
pub fn intended(name: &str) -> &'static [Category] {
    INTENDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .unwrap_or_else(|| panic!("{name:?} has no intended categories in INTENDED"))
}

/// `alerts/` in the source tree.
pub fn shipped_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("alerts")
}

/// The `*.toml` files of the shipped set, sorted.
pub fn shipped_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shipped_dir())
        .expect("alerts/ exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Every shipped definition, loaded one file at a time.
pub fn shipped() -> Vec<AlertDefinition> {
    shipped_files()
        .iter()
        .map(|f| load_file(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// The data set of `seed`, [`RECORDS`] long.
pub fn dataset(seed: u64) -> Vec<(ActivityRecord, Category)> {
    dataset_of(seed, RECORDS)
}

/// The data set of `seed`, `records` long (over the default month).
pub fn dataset_of(seed: u64, records: usize) -> Vec<(ActivityRecord, Category)> {
    generate(&DatasetConfig {
        seed,
        records,
        ..DatasetConfig::default()
    })
}

/// `record` as the Netwrix Auditor source plugin hands it to the host: `id` the RID, `time`
/// and `When` as the API writes them (UTC, whole seconds), the scalar elements as fields under
/// their names, nested ones dotted, each Detail a [`Detail`].
pub fn to_record(record: &ActivityRecord) -> Record {
    let mut r = Record::new(record.rid.clone().expect("generated records have a RID"));
    let seconds = record.when.as_second();
    r.time = Some(
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).expect("after 1970")),
    );
    let when = jiff::Timestamp::from_second(seconds)
        .expect("a valid time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut push = |name: &str, value: Option<&str>| {
        if let Some(v) = value {
            r.fields.push(name, v);
        }
    };
    push("Who", Some(&record.who));
    push("Action", Some(&record.action));
    push("What", Some(&record.what));
    push("When", Some(&when));
    push("Where", Some(&record.r#where));
    push("ObjectType", Some(&record.object_type));
    push("DataSource", record.data_source.as_deref());
    push("Workstation", record.workstation.as_deref());
    let plan = record.monitoring_plan.as_ref();
    push("MonitoringPlan.Name", plan.map(|p| p.name.as_str()));
    push("MonitoringPlan.ID", plan.and_then(|p| p.id.as_deref()));
    push("Item.Name", record.item.as_ref().map(|i| i.name.as_str()));
    r.details = record
        .details
        .iter()
        .map(|d| Detail {
            property: d.property_name.clone(),
            before: d.before.clone(),
            after: d.after.clone(),
            message: d.message.clone(),
        })
        .collect();
    r
}

/// One line about a record, for failure messages.
pub fn describe(record: &ActivityRecord, category: Category) -> String {
    let detail = record
        .details
        .first()
        .map(|d| {
            format!(
                "{} / {} / {} / {}",
                d.property_name,
                d.before.as_deref().unwrap_or("—"),
                d.after.as_deref().unwrap_or("—"),
                d.message.as_deref().unwrap_or("—")
            )
        })
        .unwrap_or_else(|| "no detail".to_owned());
    format!(
        "{category:?}: {} | {} | {} | {} by {} | {detail}",
        record.data_source.as_deref().unwrap_or("—"),
        record.object_type,
        record.action,
        record.what,
        record.who
    )
}
