//! The filter semantics, table-driven: each documented field, operator and combination.

use sluice_sdk::{Detail, Record};

use super::*;

fn record(who: &str, what: &str, when: &str) -> RecordView {
    let mut r = Record::new("20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90");
    r.time = Some(
        crate::time::Timestamp::from_millis(when.parse::<Timestamp>().unwrap().as_millisecond())
            .to_system_time(),
    );
    r.fields.push("Who", who);
    r.fields.push("What", what);
    r.fields.push("Action", "Modified");
    r.fields.push("DataSource", "Active Directory");
    r.details.push(Detail::new("Member").after("CORP\\mallory"));
    RecordView::new(&r)
}

fn filters(toml_text: &str) -> Filters {
    Filters::parse(&toml_text.parse::<toml::Table>().unwrap()).unwrap()
}

const NOW: &str = "2024-03-11T12:00:00Z";

fn now() -> crate::time::Timestamp {
    crate::time::Timestamp::from_millis(NOW.parse::<Timestamp>().unwrap().as_millisecond())
}

#[test]
fn documented_combination_rules() {
    // Table: (filters, record who, record what, expected).
    let cases = [
        (r#"Who = "jdoe""#, "CORP\\JDoe", "x", true),
        (
            r#"Who = { Equals = "corp\\jdoe" }"#,
            "CORP\\JDoe",
            "x",
            true,
        ),
        (r#"Who = { Equals = "jdoe" }"#, "CORP\\JDoe", "x", false),
        // positives of one field: OR
        (
            r#"What = [{ EndsWith = "\\Domain Admins" }, { EndsWith = "\\Enterprise Admins" }]"#,
            "a",
            "\\local\\corp\\Users\\Enterprise Admins",
            true,
        ),
        // negatives of one field: AND (none may match)
        (
            r#"Who = [{ DoesNotContain = "svc-" }, { NotEqualTo = "CORP\\admin" }]"#,
            "CORP\\admin",
            "x",
            false,
        ),
        (
            r#"Who = [{ DoesNotContain = "svc-" }, { NotEqualTo = "CORP\\admin" }]"#,
            "CORP\\jdoe",
            "x",
            true,
        ),
        // positives and negatives of one field: (any positive) AND (no negative)
        (
            r#"Who = [{ StartsWith = "CORP\\" }, { DoesNotContain = "svc-" }]"#,
            "CORP\\svc-backup",
            "x",
            false,
        ),
        // fields: AND
        (
            r#"Who = "jdoe"
            What = "Domain Admins""#,
            "CORP\\jdoe",
            "\\Groups\\Marketing",
            false,
        ),
        (r#"Action = "modified""#, "a", "x", true),
        (r#"Action = { NotEqualTo = "Modified" }"#, "a", "x", false),
        (r#"Detail = "mallory""#, "a", "x", true),
        (r#"After = { StartsWith = "corp\\" }"#, "a", "x", true),
        (r#"Before = { StartsWith = "corp\\" }"#, "a", "x", false),
        (r#"Detail = { DoesNotContain = "Member" }"#, "a", "x", false),
    ];
    for (text, who, what, want) in cases {
        let got = filters(text).matches(&record(who, what, "2024-03-11T10:00:00Z"), now());
        assert_eq!(got, want, "{text} on who={who} what={what}");
    }
}

#[test]
fn timeframes_ranges_and_working_hours() {
    let cases = [
        (r#"When = { Today = "" }"#, "2024-03-11T00:00:00Z", true),
        (r#"When = { Today = "" }"#, "2024-03-10T23:59:59Z", false),
        (r#"When = { Yesterday = "" }"#, "2024-03-10T23:59:59Z", true),
        (
            r#"When = { LastSevenDays = "" }"#,
            "2024-03-05T00:00:00Z",
            true,
        ),
        (
            r#"When = { LastSevenDays = "" }"#,
            "2024-03-04T23:59:59Z",
            false,
        ),
        (r#"When = "LastThirtyDays""#, "2024-02-11T00:00:00Z", true),
        (
            r#"When = { From = "2024-03-11T10:00:00Z", To = "2024-03-11T10:00:00Z" }"#,
            "2024-03-11T10:00:00Z",
            true,
        ),
        (
            r#"When = { NotEqualTo = { From = "2024-03-11T09:00:00+01:00", To = "2024-03-11T11:00:00+01:00" } }"#,
            "2024-03-11T10:30:00Z",
            true,
        ),
        (
            r#"WorkingHours = { From = "08:00:00Z", To = "18:00:00Z" }"#,
            "2024-03-11T17:59:00Z",
            true,
        ),
        (
            r#"WorkingHours = { NotEqualTo = { From = "09:00:00+01:00", To = "17:00:00+01:00" } }"#,
            "2024-03-11T17:00:00Z",
            true,
        ),
        (
            r#"WorkingHours = { NotEqualTo = { From = "09:00:00+01:00", To = "17:00:00+01:00" } }"#,
            "2024-03-11T12:00:00Z",
            false,
        ),
        (
            r#"WorkingHours = { From = "22:00:00Z", To = "06:00:00Z" }"#,
            "2024-03-11T03:00:00Z",
            true,
        ),
    ];
    for (text, when, want) in cases {
        let got = filters(text).matches(&record("a", "b", when), now());
        assert_eq!(got, want, "{text} at {when}");
    }
}

#[test]
fn the_rule_index_finds_every_rule_that_matches_and_skips_most_others() {
    let rules: Vec<Filters> = [
        r#"What = { EndsWith = '\Domain Admins' }"#,
        r#"What = { EndsWith = '\Enterprise Admins' }"#,
        r#"Who = { Equals = 'CORP\jdoe' }"#,
        r#"Who = { StartsWith = 'CORP\j' }"#,
        r#"Detail = "mallory""#,
        r#"What = [{ EndsWith = '\Domain Admins' }, { EndsWith = '\Marketing' }]"#,
        r#"DataSource = "Active Directory""#,
    ]
    .iter()
    .map(|t| filters(t))
    .collect();
    let index = RuleIndex::new(&rules);
    for (who, what) in [
        (r"CORP\jdoe", r"\local\corp\Users\Domain Admins"),
        (r"CORP\JDoe", r"\local\corp\Users\Enterprise Admins"),
        (r"CORP\bob", r"\x\Marketing"),
        ("x", "y"),
    ] {
        let r = record(who, what, "2024-03-11T10:00:00Z");
        let matching: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].matches(&r, now()))
            .collect();
        let candidates = index.candidates(&r);
        for m in &matching {
            assert!(
                candidates.contains(m),
                "rule {m} matches {who} {what} but is not a candidate"
            );
        }
    }
    let r = record(r"CORP\bob", r"\x\Marketing", "2024-03-11T10:00:00Z");
    assert_eq!(
        index.candidates(&r),
        vec![4, 5, 6],
        "only unanchored rules and the right bucket"
    );
}

#[test]
fn bad_filters_are_refused_with_the_key() {
    let bad = |t: &str| {
        Filters::parse(&t.parse::<toml::Table>().unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(bad(r#"Whom = "x""#).starts_with("Whom: not a filter field"));
    assert!(bad(r#"Action = { Contains = "Mod" }"#).contains("does not apply"));
    assert!(bad(r#"Who = { InGroup = "Domain Admins" }"#)
        .contains("group membership is known to Netwrix Auditor"));
    assert!(bad(r#"When = { From = "yesterday" }"#).starts_with("When.From: expected a time"));
    assert!(bad(r#"What = [1]"#).starts_with("What[0]: expected a text value"));
}

/// Found by the property tests: an offset of many digits overflowed (a panic in debug
/// builds, a wrong time of day in release builds) instead of being refused.
#[test]
fn working_hours_out_of_range_are_refused_not_overflowed() {
    for text in [
        "00:00:00-9223372036854775807:00",
        "00:00:00+01:9223372036854775807",
        "9223372036854775807:00:00Z",
        "-5:00:00Z",
        "08:00:00+24:00",
    ] {
        let table: toml::Table =
            format!("WorkingHours = {{ From = \"{text}\", To = \"18:00:00Z\" }}")
                .parse()
                .unwrap();
        let err = Filters::parse(&table).unwrap_err();
        assert_eq!(err.key, "WorkingHours.From", "{text}");
    }
    assert_eq!(seconds_of_day_utc("08:30:00+01:00"), Some(7 * 3600 + 1800));
    assert_eq!(seconds_of_day_utc("23:00-02:30"), Some(1800 + 3600));
}
