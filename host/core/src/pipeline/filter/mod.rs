//! Netwrix Auditor Integration API filters, evaluated by sluice over records (the polling
//! intake), with the semantics the Integration API documents:
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

use jiff::Timestamp;

use eval::field_matches;
pub use eval::RecordView;
pub use index::RuleIndex;
use index::{fragment, Anchor, ANCHOR_CHARS};

mod eval;
mod index;
#[cfg(test)]
mod tests;

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

    /// Whether `record` passes, at host time `now` (for timeframes).
    pub fn matches(&self, record: &RecordView, now: crate::time::Timestamp) -> bool {
        self.fields.iter().all(|f| field_matches(f, record, now))
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
