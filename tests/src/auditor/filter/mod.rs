//! Search filter semantics, as documented: which records a `FilterList` selects.
//!
//! A [`Filter`] is built by [`FilterBuilder`] from either encoding (the XML and JSON readers
//! both feed it), so both encodings share one set of rules:
//!
//! - different fields combine with AND;
//! - within one field, positive entries (Contains, Equals, StartsWith, EndsWith, InGroup, and
//!   Equals for Action/When/WorkingHours) combine with OR, and negative entries
//!   (DoesNotContain, NotEqualTo, NotInGroup) with AND: the record must match none of them.
//!   A field mixing both needs one positive hit and no negative hit (our reading: the
//!   documentation does not say). Several
//!   positive `When` entries OR as well, unless
//!   [`Behaviour::when_entries_and`](super::Behaviour::when_entries_and) is set.
//! - multi-valued fields (`Detail`, `Before`, `After`) hit when any value hits; a missing
//!   optional field has no value, so positive entries miss and negative ones pass.

mod build;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use jiff::Timestamp;

use super::groups::Groups;
use super::record::ActivityRecord;
use super::time::{utc_time_of_day, DAY_SECS};

pub(crate) use build::{FilterBuilder, RawSpan};

/// The fields of the documented filter table that match text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TextField {
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
}

/// Every filter field; conditions are grouped by this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Field {
    Text(TextField),
    Action,
    When,
    WorkingHours,
}

/// The documented operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Operator {
    Contains,
    DoesNotContain,
    Equals,
    NotEqualTo,
    StartsWith,
    EndsWith,
    InGroup,
    NotInGroup,
}

impl Operator {
    /// The operator a negative one negates; positive operators map to themselves.
    fn positive(self) -> Operator {
        match self {
            Operator::DoesNotContain => Operator::Contains,
            Operator::NotEqualTo => Operator::Equals,
            Operator::NotInGroup => Operator::InGroup,
            other => other,
        }
    }

    fn is_negative(self) -> bool {
        self.positive() != self
    }
}

/// The `When` timeframes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timeframe {
    Today,
    Yesterday,
    LastSevenDays,
    LastThirtyDays,
}

/// A `When` value: a timeframe or a `From..To` interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Span {
    Timeframe(Timeframe),
    Between { from: Timestamp, to: Timestamp },
}

/// One filter entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Condition {
    /// A text field; `needle` is already case-folded when matching is case-insensitive.
    Text {
        field: TextField,
        operator: Operator,
        needle: String,
    },
    Action {
        negated: bool,
        needle: String,
    },
    When {
        negated: bool,
        span: Span,
    },
    /// Seconds since midnight UTC; `from > to` wraps past midnight.
    WorkingHours {
        negated: bool,
        from: i64,
        to: i64,
    },
}

/// A parsed `FilterList`: conditions grouped by field, in a canonical order so that the same
/// filters always hash the same (continuation marks carry that hash).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Filter {
    groups: Vec<(Field, Vec<Condition>)>,
}

/// What matching needs besides the record: the clock, the directory and the switches.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatchContext<'a> {
    pub(crate) now: Timestamp,
    pub(crate) groups: &'a Groups,
    pub(crate) case_insensitive: bool,
    pub(crate) case_insensitive_action: bool,
    pub(crate) inclusive_to: bool,
    pub(crate) when_entries_and: bool,
    pub(crate) day_offset_secs: i64,
}

impl Filter {
    /// The RIDs the filter limits records to, when its `RID` entries are all positive
    /// `Equals` (a fetch by RID): a record must equal one of them. Folded like every needle.
    pub(crate) fn rid_equals(&self) -> Option<Vec<&str>> {
        let (_, conditions) = self
            .groups
            .iter()
            .find(|(field, _)| *field == Field::Text(TextField::Rid))?;
        conditions
            .iter()
            .map(|c| match c {
                Condition::Text {
                    operator: Operator::Equals,
                    needle,
                    ..
                } => Some(needle.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether the record passes every field's conditions.
    pub(crate) fn matches(&self, record: &ActivityRecord, ctx: &MatchContext<'_>) -> bool {
        self.groups.iter().all(|(field, conditions)| {
            let all_positives = *field == Field::When && ctx.when_entries_and;
            let mut any_positive = false;
            let mut positive_hit = false;
            for condition in conditions {
                let (negated, hit) = condition.evaluate(record, ctx);
                if negated {
                    if hit {
                        return false;
                    }
                } else if all_positives && !hit {
                    return false;
                } else {
                    any_positive = true;
                    positive_hit = positive_hit || hit;
                }
            }
            !any_positive || positive_hit
        })
    }
}

impl Condition {
    /// Whether the entry is negative, and whether its positive form hits the record.
    fn evaluate(&self, record: &ActivityRecord, ctx: &MatchContext<'_>) -> (bool, bool) {
        match self {
            Condition::Text {
                field,
                operator,
                needle,
            } => {
                let positive = operator.positive();
                let hit = if positive == Operator::InGroup {
                    ctx.groups.is_member(needle, &record.who)
                } else {
                    any_value(*field, record, |value| {
                        text_hit(positive, value, needle, ctx.case_insensitive)
                    })
                };
                (operator.is_negative(), hit)
            }
            Condition::Action { negated, needle } => {
                let hit = text_hit(
                    Operator::Equals,
                    &record.action,
                    needle,
                    ctx.case_insensitive_action,
                );
                (*negated, hit)
            }
            Condition::When { negated, span } => (*negated, span_hit(*span, record.when, ctx)),
            Condition::WorkingHours { negated, from, to } => {
                let t = utc_time_of_day(record.when);
                let within =
                    |lo: i64, hi: i64| lo <= t && (t < hi || (ctx.inclusive_to && t == hi));
                let hit = if from <= to {
                    within(*from, *to)
                } else {
                    t >= *from || within(0, *to)
                };
                (*negated, hit)
            }
        }
    }
}

/// Calls `hit` on each value of a field until one hits.
fn any_value(field: TextField, record: &ActivityRecord, mut hit: impl FnMut(&str) -> bool) -> bool {
    let single = match field {
        TextField::Rid => record.rid.as_deref(),
        TextField::Who => Some(record.who.as_str()),
        TextField::Where => Some(record.r#where.as_str()),
        TextField::ObjectType => Some(record.object_type.as_str()),
        TextField::What => Some(record.what.as_str()),
        TextField::DataSource => record.data_source.as_deref(),
        TextField::MonitoringPlan => record.monitoring_plan.as_ref().map(|p| p.name.as_str()),
        TextField::Item => record.item.as_ref().map(|i| i.name.as_str()),
        TextField::Workstation => record.workstation.as_deref(),
        TextField::Detail => {
            return record.details.iter().any(|d| d.texts().any(&mut hit));
        }
        TextField::Before => {
            return record
                .details
                .iter()
                .filter_map(|d| d.before.as_deref())
                .any(hit);
        }
        TextField::After => {
            return record
                .details
                .iter()
                .filter_map(|d| d.after.as_deref())
                .any(hit);
        }
    };
    single.is_some_and(hit)
}

/// Applies a positive operator to one value. `needle` is pre-folded when `fold` is set.
fn text_hit(operator: Operator, value: &str, needle: &str, fold: bool) -> bool {
    // An ASCII value (every RID, most names) is compared without a folded copy: a fetch by
    // 200 RIDs tests each of 200 candidates against each of them. Matching on bytes is
    // matching on text, both sides being UTF-8.
    let ascii_fold = fold && value.is_ascii();
    let value = if fold && !ascii_fold {
        fold_case(value)
    } else {
        Cow::Borrowed(value)
    };
    let same = |a: &[u8], b: &[u8]| {
        if ascii_fold {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let (value, needle) = (value.as_bytes(), needle.as_bytes());
    match operator {
        Operator::Equals => same(value, needle),
        Operator::StartsWith => value
            .get(..needle.len())
            .is_some_and(|head| same(head, needle)),
        Operator::EndsWith => value
            .len()
            .checked_sub(needle.len())
            .and_then(|at| value.get(at..))
            .is_some_and(|tail| same(tail, needle)),
        Operator::Contains => {
            needle.is_empty() || value.windows(needle.len()).any(|part| same(part, needle))
        }
        // Negative operators never reach here; group membership is handled by the caller.
        _ => false,
    }
}

/// Lower-cases for case-insensitive comparison, without allocating for the common
/// already-lower-case ASCII value.
pub(crate) fn fold_case(value: &str) -> Cow<'_, str> {
    if value.is_ascii() {
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(value.to_ascii_lowercase())
        } else {
            Cow::Borrowed(value)
        }
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

/// Whether `when` falls in the span. Timeframes are whole calendar days of the server's offset
/// ending with today ([`Behaviour::timeframe_utc_offset_minutes`](super::Behaviour)).
fn span_hit(span: Span, when: Timestamp, ctx: &MatchContext<'_>) -> bool {
    match span {
        Span::Between { from, to } => {
            from <= when && (when < to || (ctx.inclusive_to && when == to))
        }
        Span::Timeframe(frame) => {
            let local_now = ctx.now.as_second() + ctx.day_offset_secs;
            let today_start = local_now - local_now.rem_euclid(DAY_SECS) - ctx.day_offset_secs;
            let (first_day, last_day) = match frame {
                Timeframe::Today => (0, 0),
                Timeframe::Yesterday => (-1, -1),
                Timeframe::LastSevenDays => (-6, 0),
                Timeframe::LastThirtyDays => (-29, 0),
            };
            let start = today_start + first_day * DAY_SECS;
            let end = today_start + (last_day + 1) * DAY_SECS;
            let when = when.as_second();
            start <= when && when < end
        }
    }
}
