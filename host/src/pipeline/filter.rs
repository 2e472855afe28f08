//! Netwrix Auditor Integration API filters, evaluated by sluice over records (the polling
//! intake), with the documented semantics (shared/reference/netwrix-auditor.md §3.2–3.3):
//!
//! - fields combine with AND;
//! - within a field, positive entries (`Equals`, `Contains`, `StartsWith`, `EndsWith`) combine
//!   with OR, and negated ones (`NotEqualTo`, `DoesNotContain`) with AND: the record must match
//!   none of them;
//! - matching is case-insensitive (Auditor runs on SQL Server's default collation);
//! - `When` takes timeframes (`Today`, `Yesterday`, `LastSevenDays`, `LastThirtyDays`, in UTC)
//!   or `From`/`To` (inclusive), `WorkingHours` a time-of-day range.
//!
//! This evaluator is written apart from the Auditor emulator's on purpose: each is held to the
//! documentation, and the tests of the shipped alert set check one against the other.
//!
//! In a TOML alert definition a filter is written the way the API's JSON form writes it:
//!
//! ```toml
//! [filters]
//! DataSource = "Active Directory"                        # the field's default operator
//! What = [{ EndsWith = "\\Domain Admins" }, { EndsWith = "\\Enterprise Admins" }]
//! Who = { DoesNotContain = "svc-" }
//! When = { LastSevenDays = "" }
//! WorkingHours = { NotEqualTo = { From = "08:00:00+01:00", To = "18:00:00+01:00" } }
//! ```

use std::fmt;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use sluice_sdk::Record;

/// A field that filters can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Rid,
    Who,
    Where,
    ObjectType,
    What,
    DataSource,
    MonitoringPlan,
    Item,
    Workstation,
    Detail,
    Before,
    After,
    Action,
    When,
    WorkingHours,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "RID" => Field::Rid,
            "Who" => Field::Who,
            "Where" => Field::Where,
            "ObjectType" => Field::ObjectType,
            "What" => Field::What,
            "DataSource" => Field::DataSource,
            "MonitoringPlan" | "Monitoring Plan" => Field::MonitoringPlan,
            "Item" => Field::Item,
            "Workstation" => Field::Workstation,
            "Detail" => Field::Detail,
            "Before" => Field::Before,
            "After" => Field::After,
            "Action" => Field::Action,
            "When" => Field::When,
            "WorkingHours" => Field::WorkingHours,
            _ => return None,
        })
    }

    const NAMES: &'static str = "RID, Who, Where, ObjectType, What, DataSource, MonitoringPlan, \
                                 Item, Workstation, Detail, Before, After, Action, When, WorkingHours";

    /// Fields that tell records apart are tested first, so a rule that does not match
    /// usually fails on its first test (many rules share `DataSource = "Active Directory"`).
    fn selectivity_rank(self) -> u8 {
        match self {
            Field::Rid => 0,
            Field::What => 1,
            Field::Who => 2,
            Field::Detail | Field::Before | Field::After => 3,
            Field::Workstation | Field::Where | Field::Item => 4,
            Field::MonitoringPlan | Field::ObjectType => 5,
            Field::Action | Field::DataSource => 6,
            Field::When | Field::WorkingHours => 7,
        }
    }

    fn default_operator(self) -> &'static str {
        match self {
            Field::Action | Field::When | Field::WorkingHours => "Equals",
            _ => "Contains",
        }
    }

    fn operators(self) -> &'static [&'static str] {
        match self {
            Field::Action | Field::When | Field::WorkingHours => &["Equals", "NotEqualTo"],
            _ => &[
                "Contains",
                "DoesNotContain",
                "Equals",
                "NotEqualTo",
                "StartsWith",
                "EndsWith",
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TextOp {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Text(TextOp, String),
    Timeframe(Timeframe),
    Between(Option<Timestamp>, Option<Timestamp>),
    /// Seconds of the day in UTC; `from > to` wraps past midnight.
    Hours(i64, i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timeframe {
    Today,
    Yesterday,
    LastSevenDays,
    LastThirtyDays,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldFilter {
    field: Field,
    positive: Vec<Test>,
    negative: Vec<Test>,
}

/// A set of filters, as an alert definition holds them. Empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    fields: Vec<FieldFilter>,
}

/// A filter that cannot be used, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The field (and entry) the problem is in, e.g. `What[1]`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

fn err(key: impl Into<String>, message: impl Into<String>) -> FilterError {
    FilterError {
        key: key.into(),
        message: message.into(),
    }
}

impl Filters {
    /// Parses the `[filters]` table of an alert definition.
    pub fn parse(table: &toml::Table) -> Result<Filters, FilterError> {
        let mut fields = Vec::new();
        for (name, value) in table {
            let field = Field::parse(name).ok_or_else(|| {
                err(
                    name,
                    format!("not a filter field; the fields are {}", Field::NAMES),
                )
            })?;
            let mut filter = FieldFilter {
                field,
                positive: Vec::new(),
                negative: Vec::new(),
            };
            let entries: Vec<(String, &toml::Value)> = match value {
                toml::Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{name}[{i}]"), v))
                    .collect(),
                v => vec![(name.clone(), v)],
            };
            for (key, entry) in entries {
                add_entry(&mut filter, &key, entry)?;
            }
            fields.push(filter);
        }
        fields.sort_by_key(|f| f.field.selectivity_rank());
        Ok(Filters { fields })
    }

    /// Whether `record` passes, at host time `now_ms` (for timeframes).
    pub fn matches(&self, record: &RecordView, now_ms: i64) -> bool {
        self.fields.iter().all(|f| field_matches(f, record, now_ms))
    }

    /// Whether there are no filters.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A value fragment every matching record must have, for [`RuleIndex`]: the most selective
    /// field's single positive `Equals`, `StartsWith` or `EndsWith` test, on a field with one
    /// value per record.
    fn anchor(&self) -> Option<Anchor> {
        let first = self.fields.first()?;
        let single_valued = !matches!(
            first.field,
            Field::Detail | Field::Before | Field::After | Field::When | Field::WorkingHours
        );
        match first.positive.as_slice() {
            [Test::Text(op @ (TextOp::Equals | TextOp::StartsWith | TextOp::EndsWith), value)]
                if single_valued && !value.is_empty() =>
            {
                let fragment = fragment(value, *op, ANCHOR_CHARS)?;
                Some(Anchor {
                    field: first.field,
                    op: *op,
                    chars: fragment.chars().count(),
                    fragment,
                })
            }
            _ => None,
        }
    }
}

/// Characters of a value an index bucket is keyed on.
const ANCHOR_CHARS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Anchor {
    field: Field,
    op: TextOp,
    chars: usize,
    fragment: String,
}

/// The part of `value` an anchor looks at: all of it for `Equals`, its first or last
/// `chars` characters for `StartsWith` and `EndsWith`.
fn fragment(value: &str, op: TextOp, chars: usize) -> Option<String> {
    match op {
        TextOp::Equals => Some(value.to_owned()),
        TextOp::StartsWith => Some(value.chars().take(chars).collect()),
        TextOp::EndsWith => {
            let n = value.chars().count();
            Some(value.chars().skip(n.saturating_sub(chars)).collect())
        }
        TextOp::Contains => None,
    }
}

/// What an index group is keyed by: a field, an operator and a fragment length.
type AnchorKind = (Field, TextOp, usize);
/// Rule positions by value fragment.
type Buckets = std::collections::HashMap<String, Vec<usize>>;

/// Finds, for a record, the rules that may match it, without testing every rule: rules are
/// bucketed by their anchor (see `Filters::anchor`), and a record looks up only the buckets its
/// own values fall in. Rules without an anchor are always candidates. Candidates still go
/// through [`Filters::matches`].
#[derive(Debug, Clone, Default)]
pub struct RuleIndex {
    groups: Vec<(AnchorKind, Buckets)>,
    always: Vec<usize>,
}

impl RuleIndex {
    /// An index of `rules` (their positions are what [`RuleIndex::candidates`] returns).
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a Filters>) -> Self {
        let mut index = RuleIndex::default();
        for (i, rule) in rules.into_iter().enumerate() {
            match rule.anchor() {
                Some(a) => {
                    let key = (a.field, a.op, a.chars);
                    let group = match index.groups.iter().position(|(k, _)| *k == key) {
                        Some(g) => g,
                        None => {
                            index.groups.push((key, Default::default()));
                            index.groups.len() - 1
                        }
                    };
                    index.groups[group].1.entry(a.fragment).or_default().push(i);
                }
                None => index.always.push(i),
            }
        }
        index
    }

    /// The positions of the rules that may match `record`, in order.
    pub fn candidates(&self, record: &RecordView) -> Vec<usize> {
        let mut out = self.always.clone();
        for ((field, op, chars), buckets) in &self.groups {
            let value = &record.values(*field)[0];
            if let Some(hits) = fragment(value, *op, *chars).and_then(|f| buckets.get(&f)) {
                out.extend_from_slice(hits);
            }
        }
        out.sort_unstable();
        out
    }
}

fn add_entry(filter: &mut FieldFilter, key: &str, entry: &toml::Value) -> Result<(), FilterError> {
    match entry {
        toml::Value::Table(ops) => {
            for (op, value) in ops {
                // A timeframe or range written without an operator, e.g. `When = { LastSevenDays = "" }`.
                if matches!(filter.field, Field::When | Field::WorkingHours)
                    && !["Equals", "NotEqualTo"].contains(&op.as_str())
                {
                    let test = time_test(filter.field, key, entry)?;
                    filter.positive.push(test);
                    return Ok(());
                }
                add_op(filter, &format!("{key}.{op}"), op, value)?;
            }
            Ok(())
        }
        value => add_op(filter, key, filter.field.default_operator(), value),
    }
}

fn add_op(
    filter: &mut FieldFilter,
    key: &str,
    op: &str,
    value: &toml::Value,
) -> Result<(), FilterError> {
    let field = filter.field;
    if op == "InGroup" || op == "NotInGroup" {
        return Err(err(
            key,
            "group membership is known to Netwrix Auditor, not to sluice: use this filter in the \
             Auditor alert (response-action intake), or list the accounts with Equals",
        ));
    }
    if !field.operators().contains(&op) {
        return Err(err(
            key,
            format!(
                "operator {op} does not apply to this field; it takes {}",
                field.operators().join(", ")
            ),
        ));
    }
    let negated = op == "NotEqualTo" || op == "DoesNotContain";
    let test = if matches!(field, Field::When | Field::WorkingHours) {
        time_test(field, key, value)?
    } else {
        let text = value
            .as_str()
            .ok_or_else(|| err(key, "expected a text value"))?
            .to_lowercase();
        let op = match op {
            "Equals" | "NotEqualTo" => TextOp::Equals,
            "StartsWith" => TextOp::StartsWith,
            "EndsWith" => TextOp::EndsWith,
            _ => TextOp::Contains,
        };
        Test::Text(op, text)
    };
    if negated {
        filter.negative.push(test);
    } else {
        filter.positive.push(test);
    }
    Ok(())
}

fn time_test(field: Field, key: &str, value: &toml::Value) -> Result<Test, FilterError> {
    let table = value.as_table();
    if field == Field::When {
        for (name, frame) in [
            ("Today", Timeframe::Today),
            ("Yesterday", Timeframe::Yesterday),
            ("LastSevenDays", Timeframe::LastSevenDays),
            ("LastThirtyDays", Timeframe::LastThirtyDays),
        ] {
            if value.as_str() == Some(name) || table.is_some_and(|t| t.contains_key(name)) {
                return Ok(Test::Timeframe(frame));
            }
        }
        let bound = |name: &str| -> Result<Option<Timestamp>, FilterError> {
            match table.and_then(|t| t.get(name)) {
                None => Ok(None),
                Some(v) => {
                    let text = match v {
                        toml::Value::Datetime(d) => d.to_string(),
                        toml::Value::String(s) => s.clone(),
                        _ => return Err(err(format!("{key}.{name}"), "expected a date and time")),
                    };
                    text.parse::<Timestamp>().map(Some).map_err(|_| {
                        err(
                            format!("{key}.{name}"),
                            "expected a time like \"2024-03-11T08:45:12Z\"",
                        )
                    })
                }
            }
        };
        let (from, to) = (bound("From")?, bound("To")?);
        if from.is_none() && to.is_none() {
            return Err(err(
                key,
                "expected Today, Yesterday, LastSevenDays, LastThirtyDays, or { From = ..., To = ... }",
            ));
        }
        return Ok(Test::Between(from, to));
    }
    let part = |name: &str| -> Result<i64, FilterError> {
        let text = table
            .and_then(|t| t.get(name))
            .and_then(|v| v.as_str())
            .ok_or_else(|| err(key, "expected { From = \"08:00:00Z\", To = \"18:00:00Z\" }"))?;
        seconds_of_day_utc(text).ok_or_else(|| {
            err(
                format!("{key}.{name}"),
                "expected HH:MM:SS followed by Z or an offset like +01:00",
            )
        })
    };
    Ok(Test::Hours(part("From")?, part("To")?))
}

/// `HH:MM:SS` with `Z` or `±HH:MM`, as seconds of the day in UTC. Every part is a clock
/// reading: digits only, hours below 24, minutes and seconds below 60, offsets included.
fn seconds_of_day_utc(text: &str) -> Option<i64> {
    let clock_part = |p: Option<&str>, max: i64| -> Option<i64> {
        let n = i64::from(p?.parse::<u8>().ok()?);
        (n <= max).then_some(n)
    };
    let (clock, offset) = if let Some(c) = text.strip_suffix('Z') {
        (c, 0)
    } else {
        let i = text.rfind(['+', '-'])?;
        let (c, o) = text.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let mut hm = o[1..].split(':');
        let h = clock_part(hm.next(), 23)?;
        let m = clock_part(hm.next().or(Some("0")), 59)?;
        (c, sign * (h * 3600 + m * 60))
    };
    let mut parts = clock.split(':');
    let h = clock_part(parts.next(), 23)?;
    let m = clock_part(parts.next(), 59)?;
    let s = clock_part(parts.next().or(Some("0")), 59)?;
    Some((h * 3600 + m * 60 + s - offset).rem_euclid(86_400))
}

/// A record prepared for filtering: every value lower-cased once, so many rules can test it
/// cheaply.
#[derive(Debug, Clone)]
pub struct RecordView {
    rid: String,
    who: String,
    where_: String,
    object_type: String,
    what: String,
    data_source: String,
    monitoring_plan: String,
    item: String,
    workstation: String,
    action: String,
    detail_texts: Vec<String>,
    befores: Vec<String>,
    afters: Vec<String>,
    time_ms: Option<i64>,
}

impl RecordView {
    /// Prepares `record`.
    pub fn new(record: &Record) -> Self {
        let f = |name: &str| record.field(name).unwrap_or_default().to_lowercase();
        let lower = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        RecordView {
            rid: record.id.to_lowercase(),
            who: f("Who"),
            where_: f("Where"),
            object_type: f("ObjectType"),
            what: f("What"),
            data_source: f("DataSource"),
            monitoring_plan: f("MonitoringPlan.Name"),
            item: f("Item.Name"),
            workstation: f("Workstation"),
            action: f("Action"),
            detail_texts: record
                .details
                .iter()
                .flat_map(|d| {
                    std::iter::once(Some(d.property.to_lowercase()))
                        .chain([lower(&d.before), lower(&d.after), lower(&d.message)])
                        .flatten()
                })
                .collect(),
            befores: record
                .details
                .iter()
                .filter_map(|d| lower(&d.before))
                .collect(),
            afters: record
                .details
                .iter()
                .filter_map(|d| lower(&d.after))
                .collect(),
            time_ms: record.time.map(crate::state::millis),
        }
    }

    fn values(&self, field: Field) -> &[String] {
        match field {
            Field::Rid => std::slice::from_ref(&self.rid),
            Field::Who => std::slice::from_ref(&self.who),
            Field::Where => std::slice::from_ref(&self.where_),
            Field::ObjectType => std::slice::from_ref(&self.object_type),
            Field::What => std::slice::from_ref(&self.what),
            Field::DataSource => std::slice::from_ref(&self.data_source),
            Field::MonitoringPlan => std::slice::from_ref(&self.monitoring_plan),
            Field::Item => std::slice::from_ref(&self.item),
            Field::Workstation => std::slice::from_ref(&self.workstation),
            Field::Action => std::slice::from_ref(&self.action),
            Field::Detail => &self.detail_texts,
            Field::Before => &self.befores,
            Field::After => &self.afters,
            Field::When | Field::WorkingHours => &[],
        }
    }
}

fn field_matches(filter: &FieldFilter, record: &RecordView, now_ms: i64) -> bool {
    let test = |t: &Test| passes(t, filter.field, record, now_ms);
    (filter.positive.is_empty() || filter.positive.iter().any(test))
        && !filter.negative.iter().any(test)
}

fn passes(test: &Test, field: Field, record: &RecordView, now_ms: i64) -> bool {
    match test {
        Test::Text(op, want) => record.values(field).iter().any(|v| match op {
            TextOp::Equals => v == want,
            TextOp::Contains => v.contains(want.as_str()),
            TextOp::StartsWith => v.starts_with(want.as_str()),
            TextOp::EndsWith => v.ends_with(want.as_str()),
        }),
        Test::Timeframe(frame) => record
            .time_ms
            .is_some_and(|t| in_timeframe(*frame, t, now_ms)),
        Test::Between(from, to) => record.time_ms.is_some_and(|t| {
            from.is_none_or(|f| t >= f.as_millisecond())
                && to.is_none_or(|to| t <= to.as_millisecond())
        }),
        Test::Hours(from, to) => record.time_ms.is_some_and(|t| {
            let s = (t / 1000).rem_euclid(86_400);
            if from <= to {
                (*from..=*to).contains(&s)
            } else {
                s >= *from || s <= *to
            }
        }),
    }
}

fn in_timeframe(frame: Timeframe, t_ms: i64, now_ms: i64) -> bool {
    let day_start = |ms: i64| -> Option<i64> {
        let zoned = Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned_datetime(TimeZone::UTC);
        Some(zoned.start_of_day().ok()?.timestamp().as_millisecond())
    };
    let Some(today) = day_start(now_ms) else {
        return false;
    };
    let days = |n: i64| n * 86_400_000;
    match frame {
        Timeframe::Today => t_ms >= today && t_ms <= now_ms,
        Timeframe::Yesterday => t_ms >= today - days(1) && t_ms < today,
        Timeframe::LastSevenDays => t_ms >= today - days(6) && t_ms <= now_ms,
        Timeframe::LastThirtyDays => t_ms >= today - days(29) && t_ms <= now_ms,
    }
}

#[cfg(test)]
mod tests {
    use sluice_sdk::Detail;

    use super::*;

    fn record(who: &str, what: &str, when: &str) -> RecordView {
        let mut r = Record::new("20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90");
        r.time = Some(crate::state::from_millis(
            when.parse::<Timestamp>().unwrap().as_millisecond(),
        ));
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

    fn now() -> i64 {
        NOW.parse::<Timestamp>().unwrap().as_millisecond()
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
}
