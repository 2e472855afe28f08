//! Evaluation: a record's values prepared once, then tested against many filters.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use sluice_sdk::Record;

use super::{Field, FieldFilter, Test, TextOp, Timeframe};

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

pub(super) fn field_matches(filter: &FieldFilter, record: &RecordView, now_ms: i64) -> bool {
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
