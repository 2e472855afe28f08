//! The data set is deterministic, complete, shaped as its table says, and every category can be
//! told apart with documented filters.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::auditor::config::Behaviour;
use crate::auditor::filter::{Field, FilterBuilder, MatchContext};
use crate::auditor::groups::Groups;

fn config(records: usize) -> DatasetConfig {
    DatasetConfig {
        records,
        ..DatasetConfig::default()
    }
}

#[test]
fn same_seed_same_records_and_rids() {
    let one = generate(&config(3_000));
    let two = generate(&config(3_000));
    assert_eq!(one, two);
    let other = generate(&DatasetConfig {
        seed: 2,
        ..config(3_000)
    });
    assert_ne!(one, other);
}

#[test]
fn exact_count_sorted_inside_the_window_with_well_formed_unique_rids() {
    let cfg = config(5_000);
    let records = generate(&cfg);
    assert_eq!(records.len(), 5_000);
    let end = cfg.start.as_millisecond() + cfg.span.as_millis() as i64;
    let mut rids = BTreeSet::new();
    for pair in records.windows(2) {
        assert!(pair[0].0.when <= pair[1].0.when);
    }
    for (record, _) in &records {
        let ms = record.when.as_millisecond();
        assert!(cfg.start.as_millisecond() <= ms && ms <= end);
        let rid = record.rid.clone().unwrap_or_default();
        assert_eq!(rid.len(), 49, "{rid}");
        assert!(rid[..17].bytes().all(|b| b.is_ascii_digit()));
        assert!(rid[17..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
        assert!(rids.insert(rid));
    }
}

#[test]
fn every_category_appears_and_security_events_are_rare() {
    let records = generate(&config(20_000));
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    for (_, category) in &records {
        *counts.entry(*category).or_default() += 1;
    }
    for category in Category::ALL {
        assert!(
            counts.get(&category).copied().unwrap_or(0) > 0,
            "{category:?} missing"
        );
    }
    let rare = counts[&Category::PrivilegedGroupMemberAdded] + counts[&Category::AuditLogCleared];
    assert!(rare < 100, "security events should be rare, got {rare}");
    assert!(counts[&Category::FileRead] > 4_000);
}

#[test]
fn bursts_are_present() {
    let records = generate(&config(GUARANTEED_FROM));
    let mut failed_by: BTreeMap<&str, usize> = BTreeMap::new();
    let mut deleted_by: BTreeMap<&str, usize> = BTreeMap::new();
    for (record, category) in &records {
        match category {
            Category::FailedLogon => *failed_by.entry(&record.who).or_default() += 1,
            Category::FileDeleted => *deleted_by.entry(&record.who).or_default() += 1,
            _ => {}
        }
    }
    assert!(failed_by.values().any(|n| *n >= 8), "{failed_by:?}");
    assert!(deleted_by.values().any(|n| *n >= 40), "{deleted_by:?}");
}

#[test]
fn small_and_empty_configurations_work() {
    assert!(generate(&config(0)).is_empty());
    assert_eq!(generate(&config(7)).len(), 7);
    let instant = DatasetConfig {
        span: Duration::ZERO,
        ..config(50)
    };
    assert!(generate(&instant)
        .iter()
        .all(|(r, _)| r.when == instant.start));
}

/// A filter entry: (field, operator, value), the way an alert definition states it.
type Entry = (&'static str, &'static str, &'static str);

/// Which categories a filter selects.
fn selects(entries: &[Entry], records: &[(ActivityRecord, Category)]) -> BTreeSet<Category> {
    let behaviour = Behaviour::default();
    let mut builder = FilterBuilder::new(&behaviour, false);
    for (name, operator, value) in entries {
        let field = builder.field(name);
        assert!(
            matches!(field, Some(Field::Text(_) | Field::Action)),
            "{name}"
        );
        if let Some(field) = field {
            assert!(builder.text(field, Some(operator), value).is_ok());
        }
    }
    let filter = builder.build();
    let mut groups = Groups::default();
    for (group, members) in directory() {
        groups.add(&group, members);
    }
    let ctx = MatchContext {
        now: Timestamp::now(),
        groups: &groups,
        case_insensitive: true,
        case_insensitive_action: true,
        inclusive_to: true,
        when_entries_and: false,
        day_offset_secs: 0,
    };
    records
        .iter()
        .filter(|(record, _)| filter.matches(record, &ctx))
        .map(|(_, category)| *category)
        .collect()
}

#[test]
fn the_documented_filters_select_exactly_their_category() {
    let records = generate(&config(20_000));
    let ad = ("DataSource", "Equals", "Active Directory");
    let privileged = [
        ("What", "EndsWith", r"\Domain Admins"),
        ("What", "EndsWith", r"\Enterprise Admins"),
        ("What", "EndsWith", r"\Schema Admins"),
        ("What", "EndsWith", r"\Builtin\Administrators"),
        ("What", "EndsWith", r"\Account Operators"),
        ("What", "EndsWith", r"\Backup Operators"),
    ];
    let with = |base: &[Entry], more: &[Entry]| {
        let mut all = base.to_vec();
        all.extend_from_slice(more);
        all
    };
    use Category::*;
    let cases: Vec<(Vec<Entry>, Category)> = vec![
        (
            with(
                &[
                    ad,
                    ("ObjectType", "Equals", "group"),
                    ("Detail", "StartsWith", "Added: "),
                ],
                &privileged,
            ),
            PrivilegedGroupMemberAdded,
        ),
        (
            with(
                &[
                    ad,
                    ("ObjectType", "Equals", "group"),
                    ("Detail", "StartsWith", "Removed: "),
                ],
                &privileged,
            ),
            PrivilegedGroupMemberRemoved,
        ),
        (
            vec![
                ad,
                ("What", "StartsWith", r"\local\corp\Corp\Groups\"),
                ("Detail", "StartsWith", "Added: "),
            ],
            OrdinaryGroupMemberAdded,
        ),
        (
            vec![
                ad,
                ("What", "StartsWith", r"\local\corp\Corp\Groups\"),
                ("Detail", "StartsWith", "Removed: "),
            ],
            OrdinaryGroupMemberRemoved,
        ),
        (
            vec![
                ad,
                ("ObjectType", "Equals", "group"),
                ("Detail", "Equals", "description"),
            ],
            GroupAttributeModified,
        ),
        (
            vec![
                ad,
                ("ObjectType", "Equals", "user"),
                ("Action", "Equals", "Added"),
            ],
            UserCreated,
        ),
        (
            vec![
                ad,
                ("Detail", "Equals", "Account Locked Out"),
                ("After", "Equals", "True"),
            ],
            AccountLockedOut,
        ),
        (
            vec![
                ad,
                ("Detail", "Equals", "Account Locked Out"),
                ("After", "Equals", "False"),
            ],
            AccountUnlocked,
        ),
        (
            vec![
                ad,
                ("Detail", "Equals", "Account Disabled"),
                ("After", "Equals", "True"),
            ],
            UserAccountDisabled,
        ),
        (
            vec![
                ad,
                ("Detail", "Equals", "Account Disabled"),
                ("After", "Equals", "False"),
            ],
            UserAccountEnabled,
        ),
        (
            vec![ad, ("Detail", "Equals", "Password Reset")],
            PasswordResetByOther,
        ),
        (
            vec![ad, ("Detail", "Equals", "Password Changed")],
            PasswordChangedBySelf,
        ),
        (
            vec![
                ("DataSource", "Equals", "Logon Activity"),
                ("Action", "Equals", "Successful Logon"),
            ],
            SuccessfulLogon,
        ),
        (
            vec![
                ("DataSource", "Equals", "Logon Activity"),
                ("Action", "Equals", "Failed Logon"),
            ],
            FailedLogon,
        ),
        (
            vec![
                ("DataSource", "Equals", "Logon Activity"),
                ("Action", "Equals", "Logoff"),
            ],
            Logoff,
        ),
        (
            vec![
                ("DataSource", "Equals", "Group Policy"),
                ("ObjectType", "Equals", "groupPolicyContainer"),
            ],
            GpoModified,
        ),
        (
            vec![
                ("DataSource", "Equals", "Group Policy"),
                ("ObjectType", "Equals", "organizationalUnit"),
                ("Detail", "Equals", "gPLink"),
            ],
            GpoLinked,
        ),
        (
            vec![
                ("DataSource", "Equals", "Event Log"),
                ("After", "Equals", "1102"),
            ],
            AuditLogCleared,
        ),
        (
            vec![
                ("DataSource", "Equals", "Event Log"),
                ("After", "Equals", "7036"),
            ],
            ServiceStateChanged,
        ),
        (
            vec![
                ("DataSource", "Equals", "File Servers"),
                ("Action", "Equals", "Read"),
            ],
            FileRead,
        ),
        (
            vec![
                ("DataSource", "Equals", "File Servers"),
                ("Action", "Equals", "Modified"),
            ],
            FileModified,
        ),
        (
            vec![
                ("DataSource", "Equals", "File Servers"),
                ("Action", "Equals", "Added"),
            ],
            FileCreated,
        ),
        (
            vec![
                ("DataSource", "Equals", "File Servers"),
                ("Action", "Equals", "Removed"),
            ],
            FileDeleted,
        ),
        (
            vec![
                ("DataSource", "Equals", "Exchange"),
                ("Detail", "Equals", "Full Access"),
                ("After", "StartsWith", r"CORP\"),
            ],
            MailboxFullAccessGranted,
        ),
        (
            vec![
                ("DataSource", "Equals", "Exchange"),
                ("Detail", "Equals", "Send As"),
                ("After", "StartsWith", r"CORP\"),
            ],
            MailboxSendAsGranted,
        ),
        (
            vec![
                ("DataSource", "Equals", "Exchange"),
                ("Detail", "StartsWith", "Removed: "),
            ],
            MailboxPermissionRemoved,
        ),
        (
            vec![
                ("DataSource", "Equals", "Exchange"),
                ("Detail", "Equals", "ProhibitSendQuota"),
            ],
            MailboxSettingsModified,
        ),
        (
            vec![
                ("DataSource", "Equals", "SQL Server"),
                ("Action", "Equals", "Successful Logon"),
            ],
            SqlLogonSucceeded,
        ),
        (
            vec![
                ("DataSource", "Equals", "SQL Server"),
                ("Action", "Equals", "Failed Logon"),
            ],
            SqlLogonFailed,
        ),
        (
            vec![
                ("DataSource", "Equals", "SQL Server"),
                ("ObjectType", "Equals", "Server Role"),
                ("What", "Equals", "sysadmin"),
            ],
            SqlSysadminMemberAdded,
        ),
        (
            vec![
                ("DataSource", "Equals", "SQL Server"),
                ("ObjectType", "Equals", "Server Role"),
                ("What", "NotEqualTo", "sysadmin"),
            ],
            SqlOrdinaryRoleMemberAdded,
        ),
        (
            vec![
                ad,
                ("ObjectType", "Equals", "user"),
                ("Detail", "Equals", "title"),
                ("Detail", "Equals", "department"),
                ("Detail", "Equals", "telephoneNumber"),
                ("Detail", "Equals", "physicalDeliveryOfficeName"),
            ],
            UserAttributeModified,
        ),
    ];
    let covered: BTreeSet<Category> = cases.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        covered.len(),
        Category::ALL.len(),
        "every category has a filter here"
    );
    for (entries, category) in &cases {
        assert_eq!(
            selects(entries, &records),
            BTreeSet::from([*category]),
            "{category:?}"
        );
    }
}

#[test]
fn password_resets_are_never_by_the_user_and_self_changes_always_are() {
    for (record, category) in generate(&config(20_000)) {
        let target = record
            .what
            .rsplit('\\')
            .next()
            .unwrap_or_default()
            .to_owned();
        match category {
            Category::PasswordResetByOther => {
                assert!(
                    record.who.starts_with(r"CORP\hd-")
                        || record.who.contains("adm")
                        || record.who.ends_with("Administrator"),
                    "{}",
                    record.who
                );
            }
            Category::PasswordChangedBySelf => {
                let first = target.chars().next().unwrap_or('?').to_ascii_lowercase();
                let last = target.rsplit(' ').next().unwrap_or_default().to_lowercase();
                assert_eq!(record.who, format!(r"CORP\{first}{last}"));
            }
            _ => {}
        }
    }
}

#[test]
fn directory_holds_the_privileged_groups() {
    let directory: BTreeMap<String, Vec<String>> = directory().into_iter().collect();
    assert!(directory["Domain Admins"].contains(&r"CORP\Administrator".to_owned()));
    assert!(directory["Helpdesk"]
        .iter()
        .all(|m| m.starts_with(r"CORP\hd-")));
    assert!(directory["VPN Users"].len() > 30);
}
