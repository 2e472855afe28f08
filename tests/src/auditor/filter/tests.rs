//! Table-driven checks of the documented filter semantics: each operator, and how filters
//! combine within a field and across fields.

use jiff::Timestamp;

use super::*;
use crate::auditor::config::Behaviour;
use crate::auditor::error::ApiError;
use crate::auditor::record::{Detail, Item, MonitoringPlan};
use crate::auditor::time::parse_timestamp;

fn at(text: &str) -> Timestamp {
    parse_timestamp(text).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Three records that differ in every filterable field.
fn records() -> Vec<ActivityRecord> {
    let mut admin = ActivityRecord::new(
        r"CORP\Administrator",
        "Modified",
        r"\local\corp\Users\Domain Admins",
        at("2024-03-11T08:45:12Z"),
        "dc01.corp.local",
        "group",
    );
    admin.rid = Some("20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90".to_owned());
    admin.data_source = Some("Active Directory".to_owned());
    admin.monitoring_plan = Some(MonitoringPlan {
        name: "AD Monitoring".to_owned(),
        id: None,
    });
    admin.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    admin.workstation = Some("ws-042.corp.local".to_owned());
    admin.details = vec![Detail {
        after: Some(r"CORP\mallory".to_owned()),
        message: Some(r"Added: CORP\mallory".to_owned()),
        ..Detail::named("Member")
    }];

    let mut analyst = ActivityRecord::new(
        r"CORP\Analyst",
        "Read",
        r"\\fs01\Shares\Finance\Budget.xlsx",
        at("2024-03-10T22:15:00Z"),
        "fs01.corp.local",
        "File",
    );
    analyst.rid = Some("20240310221500000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF".to_owned());
    analyst.data_source = Some("File Servers".to_owned());
    analyst.item = Some(Item {
        name: "fs01.corp.local (Computer)".to_owned(),
    });

    let mut mailer = ActivityRecord::new(
        "admin@corp.onmicrosoft.com",
        "Modified",
        "Shared Mailbox",
        at("2024-03-04T12:00:00Z"),
        "BLUPR05MB1940",
        "Mailbox",
    );
    mailer.data_source = Some("Exchange Online".to_owned());
    mailer.details = vec![Detail {
        before: Some("Old".to_owned()),
        after: Some("New".to_owned()),
        ..Detail::named("Full Access")
    }];
    vec![admin, analyst, mailer]
}

/// A filter entry as the readers would feed it.
enum Entry<'a> {
    Text(&'a str, Option<&'a str>, &'a str),
    When(Option<&'a str>, RawSpan<'a>),
    Hours(Option<&'a str>, &'a str, &'a str),
}

fn select(entries: &[Entry<'_>], behaviour: &Behaviour) -> Vec<usize> {
    let mut builder = FilterBuilder::new(behaviour, false);
    for entry in entries {
        let added = match entry {
            Entry::Text(name, op, value) => match builder.field(name) {
                Some(field) => builder.text(field, *op, value),
                None => Ok(()),
            },
            Entry::When(op, span) => builder.when(*op, *span),
            Entry::Hours(op, from, to) => builder.working_hours(*op, Some(from), Some(to)),
        };
        assert!(added.is_ok(), "{added:?}");
    }
    let filter = builder.build();
    let mut groups = Groups::default();
    groups.add("Domain Admins", [r"CORP\Administrator"]);
    let ctx = MatchContext {
        now: at("2024-03-11T12:00:00Z"),
        groups: &groups,
        case_insensitive: behaviour.case_insensitive,
        case_insensitive_action: behaviour.case_insensitive_action,
        inclusive_to: behaviour.inclusive_to,
        when_entries_and: behaviour.when_entries_and,
        day_offset_secs: i64::from(behaviour.timeframe_utc_offset_minutes) * 60,
    };
    records()
        .iter()
        .enumerate()
        .filter(|(_, r)| filter.matches(r, &ctx))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn semantics_table() {
    use Entry::{Hours, Text, When};
    let b = Behaviour::default();
    let between = |from, to| RawSpan::Between {
        from: Some(from),
        to: Some(to),
    };
    let cases: Vec<(&str, Vec<Entry<'_>>, Vec<usize>)> = vec![
        ("empty filter selects all", vec![], vec![0, 1, 2]),
        (
            "contains is the default",
            vec![Text("Who", None, "admin")],
            vec![0, 2],
        ),
        (
            "case-insensitive",
            vec![Text("Who", Some("Equals"), r"corp\ANALYST")],
            vec![1],
        ),
        (
            "equals is the full value",
            vec![Text("Who", Some("Equals"), "CORP")],
            vec![],
        ),
        (
            "starts with",
            vec![Text("Where", Some("StartsWith"), "dc01")],
            vec![0],
        ),
        (
            "ends with",
            vec![Text("What", Some("EndsWith"), r"\Domain Admins")],
            vec![0],
        ),
        (
            "starts and ends with ignore case too",
            vec![
                Text("Where", Some("StartsWith"), "DC01.CORP"),
                Text("What", Some("EndsWith"), r"\DOMAIN admins"),
            ],
            vec![0],
        ),
        (
            "two positives OR",
            vec![Text("Who", None, "Analyst"), Text("Who", None, "admin@")],
            vec![1, 2],
        ),
        (
            "two negatives AND",
            vec![
                Text("Who", Some("DoesNotContain"), "Analyst"),
                Text("Who", Some("NotEqualTo"), r"CORP\Administrator"),
            ],
            vec![2],
        ),
        (
            "mixed: one positive hit and no negative hit",
            vec![
                Text("Who", None, "corp"),
                Text("Who", Some("DoesNotContain"), "Analyst"),
            ],
            vec![0, 2],
        ),
        (
            "fields AND",
            vec![
                Text("Who", None, "admin"),
                Text("DataSource", None, "Exchange"),
            ],
            vec![2],
        ),
        (
            "doc example: DataSource Equals OR StartsWith",
            vec![
                Text("DataSource", Some("Equals"), "Active Directory"),
                Text("DataSource", Some("StartsWith"), "Exchange"),
            ],
            vec![0, 2],
        ),
        (
            "missing optional field misses positives",
            vec![Text("Workstation", None, "")],
            vec![0],
        ),
        (
            "missing optional field passes negatives",
            vec![Text("Workstation", Some("DoesNotContain"), "ws")],
            vec![1, 2],
        ),
        (
            "monitoring plan by name",
            vec![Text("MonitoringPlan", Some("Equals"), "ad monitoring")],
            vec![0],
        ),
        (
            "spaced monitoring plan key",
            vec![Text("Monitoring Plan", None, "AD")],
            vec![0],
        ),
        (
            "item includes the type suffix",
            vec![Text("Item", Some("EndsWith"), "(Computer)")],
            vec![1],
        ),
        (
            "rid",
            vec![Text("RID", Some("StartsWith"), "20240311")],
            vec![0],
        ),
        (
            "detail matches any detail text",
            vec![Text("Detail", Some("Equals"), "member")],
            vec![0],
        ),
        (
            "detail matches the message",
            vec![Text("Detail", Some("StartsWith"), "Added: ")],
            vec![0],
        ),
        ("before", vec![Text("Before", None, "old")], vec![2]),
        (
            "after",
            vec![Text("After", Some("Equals"), r"corp\mallory")],
            vec![0],
        ),
        (
            "after does not contain: records without details pass",
            vec![Text("After", Some("DoesNotContain"), "New")],
            vec![0, 1],
        ),
        (
            "in group",
            vec![Text("Who", Some("InGroup"), r"CORP\Domain Admins")],
            vec![0],
        ),
        (
            "not in group",
            vec![Text("Who", Some("NotInGroup"), "Domain Admins")],
            vec![1, 2],
        ),
        (
            "action equals by default",
            vec![Text("Action", None, "modified")],
            vec![0, 2],
        ),
        (
            "action not equal",
            vec![Text("Action", Some("NotEqualTo"), "Read")],
            vec![0, 2],
        ),
        (
            "when interval",
            vec![When(
                None,
                between("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z"),
            )],
            vec![1],
        ),
        (
            "when interval with offsets",
            vec![When(
                None,
                between("2024-03-11T09:45:12+01:00", "2024-03-11T10:00:00+01:00"),
            )],
            vec![0],
        ),
        (
            "when To is inclusive",
            vec![When(
                None,
                between("2024-03-01T00:00:00Z", "2024-03-04T12:00:00Z"),
            )],
            vec![2],
        ),
        (
            "when not equal",
            vec![When(
                Some("NotEqualTo"),
                between("2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z"),
            )],
            vec![0, 2],
        ),
        (
            "today",
            vec![When(None, RawSpan::Timeframe("Today"))],
            vec![0],
        ),
        (
            "yesterday",
            vec![When(None, RawSpan::Timeframe("Yesterday"))],
            vec![1],
        ),
        (
            "last seven days",
            vec![When(None, RawSpan::Timeframe("LastSevenDays"))],
            vec![0, 1],
        ),
        (
            "last thirty days",
            vec![When(None, RawSpan::Timeframe("LastThirtyDays"))],
            vec![0, 1, 2],
        ),
        (
            "several When entries OR",
            vec![
                When(None, RawSpan::Timeframe("Today")),
                When(
                    None,
                    between("2024-03-04T00:00:00Z", "2024-03-05T00:00:00Z"),
                ),
            ],
            vec![0, 2],
        ),
        (
            "working hours inside",
            vec![Hours(None, "08:00:00Z", "18:00:00Z")],
            vec![0, 2],
        ),
        (
            "working hours outside",
            vec![Hours(Some("NotEqualTo"), "08:00:00Z", "18:00:00Z")],
            vec![1],
        ),
        (
            "working hours with offset",
            vec![Hours(None, "09:00:00+01:00", "10:00:00+01:00")],
            vec![0],
        ),
        (
            "working hours wrapping midnight",
            vec![Hours(None, "22:00:00Z", "06:00:00Z")],
            vec![1],
        ),
    ];
    for (name, entries, expected) in cases {
        assert_eq!(select(&entries, &b), expected, "{name}");
    }
}

#[test]
fn switches_change_the_inferred_semantics() {
    let strict = Behaviour {
        case_insensitive: false,
        case_insensitive_action: false,
        inclusive_to: false,
        spaced_monitoring_plan: false,
        ..Behaviour::default()
    };
    use Entry::{Text, When};
    assert_eq!(
        select(&[Text("Who", Some("Equals"), r"corp\ANALYST")], &strict),
        Vec::<usize>::new()
    );
    assert_eq!(
        select(&[Text("Action", None, "modified")], &strict),
        Vec::<usize>::new()
    );
    assert_eq!(
        select(&[Text("Monitoring Plan", None, "AD")], &strict),
        vec![0, 1, 2]
    );
    let to_bound = RawSpan::Between {
        from: Some("2024-03-01T00:00:00Z"),
        to: Some("2024-03-04T12:00:00Z"),
    };
    assert_eq!(
        select(&[When(None, to_bound)], &strict),
        Vec::<usize>::new()
    );
    let intersect = Behaviour {
        when_entries_and: true,
        ..Behaviour::default()
    };
    let week_and_interval = [
        When(None, RawSpan::Timeframe("LastSevenDays")),
        When(
            None,
            RawSpan::Between {
                from: Some("2024-03-10T00:00:00Z"),
                to: Some("2024-03-11T00:00:00Z"),
            },
        ),
    ];
    assert_eq!(
        select(&week_and_interval, &Behaviour::default()),
        vec![0, 1]
    );
    assert_eq!(select(&week_and_interval, &intersect), vec![1]);
    let shifted = Behaviour {
        timeframe_utc_offset_minutes: -13 * 60,
        ..Behaviour::default()
    };
    // At 12:00Z it is still 23:00 of the 10th at UTC-13: "today" there runs from 13:00Z on the
    // 10th to 13:00Z on the 11th and takes in both the 22:15Z and the 08:45Z record.
    assert_eq!(
        select(&[When(None, RawSpan::Timeframe("Today"))], &shifted),
        vec![0, 1]
    );
    let ahead = Behaviour {
        timeframe_utc_offset_minutes: 13 * 60,
        ..Behaviour::default()
    };
    assert_eq!(
        select(&[When(None, RawSpan::Timeframe("Today"))], &ahead),
        Vec::<usize>::new()
    );
}

#[test]
fn invalid_entries_are_input_errors() {
    let b = Behaviour::default();
    let mut builder = FilterBuilder::new(&b, false);
    let who = Field::Text(TextField::Who);
    let rid = Field::Text(TextField::Rid);
    let what = Field::Text(TextField::What);
    let errors = [
        builder.text(who, Some("Resembles"), "x"),
        builder.text(who, Some("contains"), "x"),
        builder.text(what, Some("InGroup"), "x"),
        builder.text(Field::Action, Some("Contains"), "x"),
        builder.text(rid, None, &"7".repeat(50)),
        builder.text(who, None, &"a".repeat(256)),
        builder.when(None, RawSpan::Timeframe("LastYear")),
        builder.when(
            None,
            RawSpan::Between {
                from: Some("2024-03-01"),
                to: Some("2024-03-02T00:00:00Z"),
            },
        ),
        builder.when(
            None,
            RawSpan::Between {
                from: Some("2024-03-01T00:00:00Z"),
                to: None,
            },
        ),
        builder.when(Some("Contains"), RawSpan::Timeframe("Today")),
        builder.working_hours(None, Some("8:00"), Some("18:00:00Z")),
    ];
    for (i, error) in errors.iter().enumerate() {
        assert!(
            matches!(error, Err(ApiError::Input { .. })),
            "case {i}: {error:?}"
        );
    }
    assert!(builder.text(rid, None, &"7".repeat(49)).is_ok());
    assert!(builder.text(who, None, &"é".repeat(255)).is_ok());
}

#[test]
fn lenient_names_accept_any_case() {
    let b = Behaviour::default();
    let lenient = FilterBuilder::new(&b, true);
    assert_eq!(lenient.field("who"), Some(Field::Text(TextField::Who)));
    assert!(lenient.is_operator("notequalto"));
    let strict = FilterBuilder::new(&b, false);
    assert_eq!(strict.field("who"), None);
    assert!(!strict.is_operator("notequalto"));
}

#[test]
fn equal_filters_hash_equal_regardless_of_entry_order() {
    use std::hash::BuildHasher;
    let b = Behaviour::default();
    let build = |first: &str, second: &str| {
        let mut builder = FilterBuilder::new(&b, false);
        let who = Field::Text(TextField::Who);
        let _ = builder.text(who, None, first);
        let _ = builder.text(who, None, second);
        builder.build()
    };
    let state = std::collections::hash_map::RandomState::new();
    let one = build("alice", "bob");
    let two = build("bob", "alice");
    assert_eq!(one, two);
    assert_eq!(state.hash_one(&one), state.hash_one(&two));
    assert_ne!(
        state.hash_one(&one),
        state.hash_one(build("alice", "carol"))
    );
}
