//! The filter evaluator (`pipeline::filter`) against a reference model written from the
//! Integration API's documented rules: fields AND; positive entries of a field OR; negative
//! ones must all miss; text compares case-insensitively; `When` bounds inclusive; timeframes
//! are whole UTC days ending now. The rule index (`AlertSet::matching`) must select exactly
//! what testing every rule selects. Arbitrary filter tables and times never panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use proptest::prelude::*;
use sluice_core::Timestamp as HostTime;
use sluice_core::{AlertDefinition, AlertSet};
use sluice_core::{Filters, RecordView};
use sluice_sdk::{Detail, Record};

/// Text from a small alphabet, so filters and records meet often; case and non-ASCII
/// variants exercise case-insensitive matching.
fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "B", "ab", "é", "É", "\\", "-", " ", "ß", "x", "Ω", "ω",
        ]),
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

const TEXT_FIELDS: [&str; 12] = [
    "RID",
    "Who",
    "Where",
    "ObjectType",
    "What",
    "DataSource",
    "MonitoringPlan",
    "Item",
    "Workstation",
    "Detail",
    "Before",
    "After",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    NotEqualTo,
    DoesNotContain,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Equals => "Equals",
            Op::Contains => "Contains",
            Op::StartsWith => "StartsWith",
            Op::EndsWith => "EndsWith",
            Op::NotEqualTo => "NotEqualTo",
            Op::DoesNotContain => "DoesNotContain",
        }
    }

    fn negated(self) -> bool {
        matches!(self, Op::NotEqualTo | Op::DoesNotContain)
    }

    fn hits(self, value: &str, want: &str) -> bool {
        match self {
            Op::Equals | Op::NotEqualTo => value == want,
            Op::Contains | Op::DoesNotContain => value.contains(want),
            Op::StartsWith => value.starts_with(want),
            Op::EndsWith => value.ends_with(want),
        }
    }
}

/// One filter entry as written in an alert definition.
#[derive(Debug, Clone)]
enum Entry {
    /// `Field = "v"`: the field's default operator.
    Bare(String),
    /// `Field = { Op = "v" }`.
    Text(Op, String),
    /// `When = { From = …, To = … }` (either may be left out, not both).
    Between(Option<i64>, Option<i64>, bool),
    /// `When = "Today"` and friends: 0 today, 1 yesterday, 2 last 7 days, 3 last 30 days.
    Timeframe(u8),
    /// `WorkingHours = { From, To }`, seconds of the day with an offset in minutes.
    Hours((i64, i64), (i64, i64), bool),
}

#[derive(Debug, Clone)]
struct FieldSpec {
    field: &'static str,
    entries: Vec<Entry>,
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![
        Op::Equals,
        Op::Contains,
        Op::StartsWith,
        Op::EndsWith,
        Op::NotEqualTo,
        Op::DoesNotContain,
    ])
}

/// Times within a few days of `NOW`, whole seconds.
const NOW_S: i64 = 1_710_158_400; // 2024-03-11T12:00:00Z
fn near_now() -> impl Strategy<Value = i64> {
    (NOW_S - 40 * 86_400)..(NOW_S + 86_400)
}

fn field_spec() -> impl Strategy<Value = FieldSpec> {
    let text = (
        prop::sample::select(TEXT_FIELDS.to_vec()),
        prop::collection::vec(
            prop_oneof![
                word().prop_map(Entry::Bare),
                (op(), word()).prop_map(|(o, w)| Entry::Text(o, w)),
            ],
            1..4,
        ),
    )
        .prop_map(|(field, entries)| FieldSpec { field, entries });
    let action = prop::collection::vec(
        prop_oneof![
            word().prop_map(Entry::Bare),
            (
                prop::sample::select(vec![Op::Equals, Op::NotEqualTo]),
                word()
            )
                .prop_map(|(o, w)| Entry::Text(o, w)),
        ],
        1..3,
    )
    .prop_map(|entries| FieldSpec {
        field: "Action",
        entries,
    });
    let between = (
        prop::option::of(near_now()),
        prop::option::of(near_now()),
        any::<bool>(),
    )
        .prop_filter("a bound", |(f, t, _)| f.is_some() || t.is_some())
        .prop_map(|(f, t, neg)| Entry::Between(f, t, neg));
    let when = prop::collection::vec(
        prop_oneof![between, (0u8..4).prop_map(Entry::Timeframe)],
        1..3,
    )
    .prop_map(|entries| FieldSpec {
        field: "When",
        entries,
    });
    let clock = (0i64..86_400, (-12i64..=14).prop_map(|h| h * 60));
    let hours = (clock.clone(), clock, any::<bool>()).prop_map(|(f, t, neg)| FieldSpec {
        field: "WorkingHours",
        entries: vec![Entry::Hours(f, t, neg)],
    });
    prop_oneof![6 => text, 1 => action, 1 => when, 1 => hours]
}

fn rfc3339(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn clock_text((secs, offset_min): (i64, i64)) -> String {
    // Local time = UTC + offset.
    let local = (secs + offset_min * 60).rem_euclid(86_400);
    let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
    if offset_min == 0 {
        format!("{h:02}:{m:02}:{s:02}Z")
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        let o = offset_min.abs();
        format!("{h:02}:{m:02}:{s:02}{sign}{:02}:{:02}", o / 60, o % 60)
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The `[filters]` table text of `specs`.
fn filters_toml(specs: &[FieldSpec]) -> String {
    let mut out = String::new();
    let mut seen = std::collections::HashSet::new();
    for spec in specs {
        // A TOML table cannot name a key twice; the first spec of a field wins.
        if !seen.insert(spec.field) {
            continue;
        }
        let entries: Vec<String> = spec
            .entries
            .iter()
            .map(|e| match e {
                Entry::Bare(w) => toml_string(w),
                Entry::Text(op, w) => format!("{{ {} = {} }}", op.name(), toml_string(w)),
                Entry::Between(f, t, neg) => {
                    let mut parts = Vec::new();
                    if let Some(f) = f {
                        parts.push(format!("From = \"{}\"", rfc3339(*f)));
                    }
                    if let Some(t) = t {
                        parts.push(format!("To = \"{}\"", rfc3339(*t)));
                    }
                    let range = format!("{{ {} }}", parts.join(", "));
                    if *neg {
                        format!("{{ NotEqualTo = {range} }}")
                    } else {
                        range
                    }
                }
                Entry::Timeframe(k) => toml_string(
                    ["Today", "Yesterday", "LastSevenDays", "LastThirtyDays"][*k as usize],
                ),
                Entry::Hours(f, t, neg) => {
                    let range = format!(
                        "{{ From = \"{}\", To = \"{}\" }}",
                        clock_text(*f),
                        clock_text(*t)
                    );
                    if *neg {
                        format!("{{ NotEqualTo = {range} }}")
                    } else {
                        range
                    }
                }
            })
            .collect();
        out.push_str(&format!("{} = [{}]\n", spec.field, entries.join(", ")));
    }
    out
}

fn parse(specs: &[FieldSpec]) -> Filters {
    let text = filters_toml(specs);
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    Filters::parse(&table).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The reference model: whether `record` passes `specs` at `now` (seconds).
fn model(specs: &[FieldSpec], record: &Record, now: i64) -> bool {
    let lower = |s: &str| s.to_lowercase();
    let field = |name: &str| lower(record.field(name).unwrap_or(""));
    let time = record.time.map(|t| {
        t.duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    });
    let mut seen = std::collections::HashSet::new();
    specs.iter().filter(|s| seen.insert(s.field)).all(|spec| {
        let values: Vec<String> = match spec.field {
            "RID" => vec![lower(&record.id)],
            "MonitoringPlan" => vec![field("MonitoringPlan.Name")],
            "Item" => vec![field("Item.Name")],
            "Detail" => record
                .details
                .iter()
                .flat_map(|d| {
                    [
                        Some(&d.property),
                        d.before.as_ref(),
                        d.after.as_ref(),
                        d.message.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .map(|s| lower(s))
                })
                .collect(),
            "Before" => record
                .details
                .iter()
                .filter_map(|d| d.before.as_deref())
                .map(lower)
                .collect(),
            "After" => record
                .details
                .iter()
                .filter_map(|d| d.after.as_deref())
                .map(lower)
                .collect(),
            name => vec![field(name)],
        };
        let default_op = if spec.field == "Action" {
            Op::Equals
        } else {
            Op::Contains
        };
        let today = now.div_euclid(86_400) * 86_400 * 1000;
        let now_ms = now * 1000;
        let day = 86_400_000;
        let mut positives = 0;
        let mut positive_hit = false;
        let mut negative_hit = false;
        for entry in &spec.entries {
            let (negated, hit) = match entry {
                Entry::Bare(w) => (false, values.iter().any(|v| default_op.hits(v, &lower(w)))),
                Entry::Text(op, w) => (op.negated(), values.iter().any(|v| op.hits(v, &lower(w)))),
                Entry::Between(f, t, neg) => (
                    *neg,
                    time.is_some_and(|ms| {
                        f.is_none_or(|f| ms >= f * 1000) && t.is_none_or(|t| ms <= t * 1000)
                    }),
                ),
                Entry::Timeframe(k) => (
                    false,
                    time.is_some_and(|ms| match k {
                        0 => ms >= today && ms <= now_ms,
                        1 => ms >= today - day && ms < today,
                        2 => ms >= today - 6 * day && ms <= now_ms,
                        _ => ms >= today - 29 * day && ms <= now_ms,
                    }),
                ),
                Entry::Hours((f, _), (t, _), neg) => (
                    *neg,
                    time.is_some_and(|ms| {
                        let s = (ms / 1000).rem_euclid(86_400);
                        if f <= t {
                            *f <= s && s <= *t
                        } else {
                            s >= *f || s <= *t
                        }
                    }),
                ),
            };
            if negated {
                negative_hit |= hit;
            } else {
                positives += 1;
                positive_hit |= hit;
            }
        }
        (positives == 0 || positive_hit) && !negative_hit
    })
}

fn record() -> impl Strategy<Value = Record> {
    let names = [
        "Who",
        "Where",
        "ObjectType",
        "What",
        "DataSource",
        "MonitoringPlan.Name",
        "Item.Name",
        "Workstation",
        "Action",
    ];
    (
        word(),
        prop::collection::vec(prop::option::of(word()), names.len()),
        prop::collection::vec(
            (
                word(),
                prop::option::of(word()),
                prop::option::of(word()),
                prop::option::of(word()),
            ),
            0..3,
        ),
        prop::option::of(near_now()),
    )
        .prop_map(move |(id, values, details, time)| {
            let mut r = Record::new(id);
            for (name, value) in names.iter().zip(values) {
                if let Some(v) = value {
                    r.fields.push(name, v);
                }
            }
            r.details = details
                .into_iter()
                .map(|(property, before, after, message)| Detail {
                    property,
                    before,
                    after,
                    message,
                })
                .collect();
            r.time = time.map(|s| UNIX_EPOCH + Duration::from_secs(s as u64));
            r
        })
}

fn definition(i: usize, filters: Filters) -> AlertDefinition {
    AlertDefinition {
        name: format!("rule {i}"),
        description: String::new(),
        enabled: true,
        filters,
        threshold: None,
        ticket: Default::default(),
        file: format!("rule-{i}.toml").into(),
    }
}

/// An arbitrary TOML value, nested a little, with the odd values config parsers trip on.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        "\\PC{0,12}".prop_map(toml::Value::String),
        prop::sample::select(vec![
            "Today",
            "LastSevenDays",
            "",
            "24:00:00Z",
            "23:59:59+99999999999999:00",
            "99999999999999999999:00:00Z",
            "00:00:00-9223372036854775807:00",
            "12:00",
            "::",
            "2024-02-30T00:00:00Z",
            "+",
            "-",
        ])
        .prop_map(|s| toml::Value::String(s.to_owned())),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        Just(toml::Value::Datetime(
            "1979-05-27T07:32:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}"))
        )),
    ];
    let key = prop::sample::select(vec![
        "Equals",
        "NotEqualTo",
        "Contains",
        "DoesNotContain",
        "StartsWith",
        "EndsWith",
        "InGroup",
        "From",
        "To",
        "Today",
        "Yesterday",
        "LastThirtyDays",
        "x",
    ]);
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..3).prop_map(|m| toml::Value::Table(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// A clock text (`HH:MM:SS` and a zone) whose parts may be out of range, negative, long
/// enough to overflow or missing; or a date; or loose clock characters.
fn clock_like() -> impl Strategy<Value = String> {
    let part = || {
        prop_oneof![
            "[0-9]{1,2}",
            "[0-9]{10,25}",
            "-[0-9]{1,3}",
            Just(String::new())
        ]
    };
    let zone = prop_oneof![
        Just("Z".to_owned()),
        Just(String::new()),
        (
            prop::sample::select(vec!["+", "-"]),
            part(),
            prop::option::of(part())
        )
            .prop_map(|(sign, h, m)| match m {
                Some(m) => format!("{sign}{h}:{m}"),
                None => format!("{sign}{h}"),
            }),
    ];
    prop_oneof![
        4 => (part(), part(), part(), zone).prop_map(|(h, m, s, z)| format!("{h}:{m}:{s}{z}")),
        1 => near_now().prop_map(rfc3339),
        1 => "[0-9:ZT+. -]{0,30}",
    ]
}

/// `{ From, To }` as `When` and `WorkingHours` take it, maybe negated, with odd times.
fn time_entry() -> impl Strategy<Value = toml::Value> {
    (
        prop::option::of(clock_like()),
        prop::option::of(clock_like()),
        any::<bool>(),
    )
        .prop_map(|(from, to, negated)| {
            let mut range = toml::Table::new();
            if let Some(f) = from {
                range.insert("From".into(), toml::Value::String(f));
            }
            if let Some(t) = to {
                range.insert("To".into(), toml::Value::String(t));
            }
            if negated {
                let mut outer = toml::Table::new();
                outer.insert("NotEqualTo".into(), toml::Value::Table(range));
                toml::Value::Table(outer)
            } else {
                toml::Value::Table(range)
            }
        })
}

proptest! {
    #![proptest_config(crate::cases(64))]

    #[test]
    fn evaluation_agrees_with_the_reference_model(
        specs in prop::collection::vec(field_spec(), 1..4),
        records in prop::collection::vec(record(), 1..8),
        now in near_now(),
    ) {
        let filters = parse(&specs);
        for r in &records {
            let view = RecordView::new(r);
            prop_assert_eq!(
                filters.matches(&view, HostTime::from_millis(now * 1000)),
                model(&specs, r, now),
                "filters:\n{}record: {:?}", filters_toml(&specs), r
            );
        }
    }

    #[test]
    fn the_rule_index_selects_what_every_rule_selects(
        rules in prop::collection::vec(prop::collection::vec(field_spec(), 1..3), 1..12),
        records in prop::collection::vec(record(), 1..8),
        now in near_now(),
    ) {
        let set = AlertSet::new(
            rules.iter().enumerate().map(|(i, specs)| definition(i, parse(specs))).collect(),
        );
        for r in &records {
            let view = RecordView::new(r);
            let indexed: Vec<&str> = set.matching(&view, HostTime::from_millis(now * 1000)).map(|d| d.name.as_str()).collect();
            let expected: Vec<String> = rules
                .iter()
                .enumerate()
                .filter(|(_, specs)| model(specs, r, now))
                .map(|(i, _)| format!("rule {i}"))
                .collect();
            prop_assert_eq!(indexed, expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    #[test]
    fn odd_times_are_refused_or_used_never_panic(
        field in prop::sample::select(vec!["When", "WorkingHours"]),
        entry in time_entry(),
        record in record(),
    ) {
        let table = toml::Table::from_iter([(field.to_owned(), entry)]);
        if let Ok(filters) = Filters::parse(&table) {
            let _ = filters.matches(&RecordView::new(&record), HostTime::from_millis(NOW_S * 1000));
        }
    }

    #[test]
    fn arbitrary_filter_tables_never_panic(
        table in prop::collection::btree_map(
            prop_oneof![
                3 => prop::sample::select(TEXT_FIELDS.to_vec()),
                1 => prop::sample::select(vec!["Action", "Monitoring Plan", "Bogus"]),
                2 => Just("When"),
                2 => Just("WorkingHours"),
            ],
            prop_oneof![toml_value(), time_entry()],
            0..4,
        ),
        record in record(),
        now in any::<i64>(),
        time in any::<i64>(),
    ) {
        let table: toml::Table = table.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        // Each field alone too: the first bad field ends parsing, hiding the ones after it.
        for (k, v) in &table {
            let _ = Filters::parse(&toml::Table::from_iter([(k.clone(), v.clone())]));
        }
        if let Ok(filters) = Filters::parse(&table) {
            let mut record = record;
            record.time = Some(if time >= 0 {
                UNIX_EPOCH + Duration::from_millis(time.unsigned_abs())
            } else {
                UNIX_EPOCH.checked_sub(Duration::from_millis(time.unsigned_abs())).unwrap_or(UNIX_EPOCH)
            });
            let view = RecordView::new(&record);
            let _ = filters.matches(&view, HostTime::from_millis(now));
            let set = AlertSet::new(vec![definition(0, filters)]);
            let _ = set.matching(&view, HostTime::from_millis(now)).count();
        }
    }
}

#[test]
fn times_beyond_any_calendar_never_panic() {
    let filters = parse(&[FieldSpec {
        field: "When",
        entries: vec![Entry::Timeframe(3), Entry::Between(Some(0), None, true)],
    }]);
    let mut r = Record::new("r");
    for time in [Some(SystemTime::UNIX_EPOCH), None] {
        r.time = time;
        let view = RecordView::new(&r);
        for now in [i64::MIN, -1, 0, i64::MAX] {
            let _ = filters.matches(&view, HostTime::from_millis(now));
        }
    }
}
