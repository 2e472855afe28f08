//! Evaluation: a record's values prepared once, then tested against many filters.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use sluice_sdk::Record;

use super::{Field, FieldFilter, Test, TextOp, Timeframe};
use crate::time::Timestamp as Time;

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
    time: Option<Time>,
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
            time: record.time.map(Time::from_system_time),
        }
    }

    pub(super) fn values(&self, field: Field) -> &[String] {
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

pub(super) fn field_matches(filter: &FieldFilter, record: &RecordView, now: Time) -> bool {
    let test = |t: &Test| passes(t, filter.field, record, now);
    (filter.positive.is_empty() || filter.positive.iter().any(test))
        && !filter.negative.iter().any(test)
}

fn passes(test: &Test, field: Field, record: &RecordView, now: Time) -> bool {
    match test {
        Test::Text(op, want) => record.values(field).iter().any(|v| match op {
            TextOp::Equals => v == want,
            TextOp::Contains => v.contains(want.as_str()),
            TextOp::StartsWith => v.starts_with(want.as_str()),
            TextOp::EndsWith => v.ends_with(want.as_str()),
        }),
        Test::Timeframe(frame) => record.time.is_some_and(|t| in_timeframe(*frame, t, now)),
        Test::Between(from, to) => record.time.is_some_and(|t| {
            from.is_none_or(|f| t.as_millis() >= f.as_millisecond())
                && to.is_none_or(|to| t.as_millis() <= to.as_millisecond())
        }),
        Test::Hours(from, to) => record.time.is_some_and(|t| {
            let s = (t.as_millis() / 1000).rem_euclid(86_400);
            if from <= to {
                (*from..=*to).contains(&s)
            } else {
                s >= *from || s <= *to
            }
        }),
    }
}

fn in_timeframe(frame: Timeframe, t: Time, now: Time) -> bool {
    let day_start = |time: Time| -> Option<Time> {
        let zoned = Timestamp::from_millisecond(time.as_millis())
            .ok()?
            .to_zoned_datetime(TimeZone::UTC);
        let start = zoned.start_of_day().ok()?.timestamp();
        Some(Time::from_millis(start.as_millisecond()))
    };
    let Some(today) = day_start(now) else {
        return false;
    };
    let days = |n: u64| Duration::from_secs(n * 86_400);
    match frame {
        Timeframe::Today => t >= today && t <= now,
        Timeframe::Yesterday => t >= today - days(1) && t < today,
        Timeframe::LastSevenDays => t >= today - days(6) && t <= now,
        Timeframe::LastThirtyDays => t >= today - days(29) && t <= now,
    }
}
