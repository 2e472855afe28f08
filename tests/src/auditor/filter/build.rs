//! Turning filter entries, as either encoding spells them, into a validated [`Filter`]:
//! field and operator names, the operators each field allows, the documented maximum lengths
//! (longer values get 400 `InputError`), and the date and time-of-day forms.

use std::collections::BTreeMap;

use super::{Condition, Field, Filter, Operator, Span, TextField, Timeframe};
use crate::auditor::config::Behaviour;
use crate::auditor::error::ApiError;
use crate::auditor::filter::fold_case;
use crate::auditor::time::{parse_time_of_day, parse_timestamp};

/// A `When` value before validation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RawSpan<'a> {
    /// `Today`, `Yesterday`, `LastSevenDays` or `LastThirtyDays`.
    Timeframe(&'a str),
    /// `From` and `To`; both are required.
    Between {
        from: Option<&'a str>,
        to: Option<&'a str>,
    },
}

/// Collects filter entries and validates each as it arrives.
#[derive(Debug)]
pub(crate) struct FilterBuilder<'b> {
    behaviour: &'b Behaviour,
    /// Names (fields, operators, timeframes) match regardless of case: the lenient JSON mode.
    lenient_names: bool,
    conditions: BTreeMap<Field, Vec<Condition>>,
}

const TEXT_FIELDS: [(&str, TextField, usize); 12] = [
    ("RID", TextField::Rid, 49),
    ("Who", TextField::Who, 255),
    ("Where", TextField::Where, 255),
    ("ObjectType", TextField::ObjectType, 255),
    ("What", TextField::What, 1_073_741_822),
    ("DataSource", TextField::DataSource, 1_073_741_822),
    ("MonitoringPlan", TextField::MonitoringPlan, 255),
    ("Item", TextField::Item, 1_073_741_822),
    ("Workstation", TextField::Workstation, 1_073_741_822),
    ("Detail", TextField::Detail, 1_073_741_822),
    ("Before", TextField::Before, 536_870_911),
    ("After", TextField::After, 536_870_911),
];

const OPERATORS: [(&str, Operator); 8] = [
    ("Contains", Operator::Contains),
    ("DoesNotContain", Operator::DoesNotContain),
    ("Equals", Operator::Equals),
    ("NotEqualTo", Operator::NotEqualTo),
    ("StartsWith", Operator::StartsWith),
    ("EndsWith", Operator::EndsWith),
    ("InGroup", Operator::InGroup),
    ("NotInGroup", Operator::NotInGroup),
];

const TIMEFRAMES: [(&str, Timeframe); 4] = [
    ("Today", Timeframe::Today),
    ("Yesterday", Timeframe::Yesterday),
    ("LastSevenDays", Timeframe::LastSevenDays),
    ("LastThirtyDays", Timeframe::LastThirtyDays),
];

impl<'b> FilterBuilder<'b> {
    pub(crate) fn new(behaviour: &'b Behaviour, lenient_names: bool) -> Self {
        FilterBuilder {
            behaviour,
            lenient_names,
            conditions: BTreeMap::new(),
        }
    }

    /// The field a filter element or key names, or `None` for a name the search schema does
    /// not have (which the readers refuse with 400).
    pub(crate) fn field(&self, name: &str) -> Option<Field> {
        let spaced_plan =
            self.behaviour.spaced_monitoring_plan && self.same(name, "Monitoring Plan");
        if spaced_plan {
            return Some(Field::Text(TextField::MonitoringPlan));
        }
        if let Some((_, field, _)) = TEXT_FIELDS.iter().find(|(n, _, _)| self.same(name, n)) {
            return Some(Field::Text(*field));
        }
        [
            ("Action", Field::Action),
            ("When", Field::When),
            ("WorkingHours", Field::WorkingHours),
        ]
        .into_iter()
        .find(|(n, _)| self.same(name, n))
        .map(|(_, field)| field)
    }

    /// Whether `name` is an operator name (JSON readers use this to tell an operator object
    /// from a `When` object).
    pub(crate) fn is_operator(&self, name: &str) -> bool {
        OPERATORS.iter().any(|(n, _)| self.same(name, n))
    }

    /// Whether `name` is a timeframe name.
    pub(crate) fn is_timeframe(&self, name: &str) -> bool {
        TIMEFRAMES.iter().any(|(n, _)| self.same(name, n))
    }

    /// Adds a text or `Action` entry. `operator` is `None` for the field's default.
    pub(crate) fn text(
        &mut self,
        field: Field,
        operator: Option<&str>,
        value: &str,
    ) -> Result<(), ApiError> {
        let name = field_name(field);
        let condition = match field {
            Field::Text(text_field) => {
                let operator = match operator {
                    None => Operator::Contains,
                    Some(op) => self.operator(op, name)?,
                };
                let group_op = matches!(operator, Operator::InGroup | Operator::NotInGroup);
                if group_op && text_field != TextField::Who {
                    return Err(unsupported(operator, name));
                }
                let max = TEXT_FIELDS
                    .iter()
                    .find(|(_, f, _)| *f == text_field)
                    .map_or(usize::MAX, |(_, _, max)| *max);
                if value.chars().count() > max {
                    return Err(ApiError::input(format!(
                        "The value of the {name} filter exceeds its maximum length of {max} characters."
                    ))
                    .at(format!("FilterList/{name}")));
                }
                let fold = self.behaviour.case_insensitive && !group_op;
                Condition::Text {
                    field: text_field,
                    operator,
                    needle: if fold {
                        fold_case(value).into_owned()
                    } else {
                        value.to_owned()
                    },
                }
            }
            Field::Action => {
                let negated = self.equals_or_not(operator, name)?;
                let fold = self.behaviour.case_insensitive_action;
                Condition::Action {
                    negated,
                    needle: if fold {
                        fold_case(value).into_owned()
                    } else {
                        value.to_owned()
                    },
                }
            }
            Field::When | Field::WorkingHours => {
                return Err(ApiError::input(format!(
                    "The {name} filter takes an interval, not a plain value."
                ))
                .at(format!("FilterList/{name}")))
            }
        };
        self.push(field, condition);
        Ok(())
    }

    /// Adds a `When` entry.
    pub(crate) fn when(
        &mut self,
        operator: Option<&str>,
        span: RawSpan<'_>,
    ) -> Result<(), ApiError> {
        let negated = self.equals_or_not(operator, "When")?;
        let span = match span {
            RawSpan::Timeframe(name) => {
                let frame = TIMEFRAMES
                    .iter()
                    .find(|(n, _)| self.same(name, n))
                    .map(|(_, frame)| *frame)
                    .ok_or_else(|| {
                        ApiError::input(format!(
                            "Unknown timeframe '{name}'; use Today, Yesterday, LastSevenDays or LastThirtyDays."
                        ))
                        .at("FilterList/When")
                    })?;
                Span::Timeframe(frame)
            }
            RawSpan::Between { from, to } => Span::Between {
                from: bound(from, "From", parse_timestamp, "YYYY-MM-DDTHH:mm:ssZ")?,
                to: bound(to, "To", parse_timestamp, "YYYY-MM-DDTHH:mm:ssZ")?,
            },
        };
        self.push(Field::When, Condition::When { negated, span });
        Ok(())
    }

    /// Adds a `WorkingHours` entry.
    pub(crate) fn working_hours(
        &mut self,
        operator: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(), ApiError> {
        let negated = self.equals_or_not(operator, "WorkingHours")?;
        let condition = Condition::WorkingHours {
            negated,
            from: bound(from, "From", parse_time_of_day, "HH:MM:SSZ")
                .map_err(|e| e.at("FilterList/WorkingHours"))?,
            to: bound(to, "To", parse_time_of_day, "HH:MM:SSZ")
                .map_err(|e| e.at("FilterList/WorkingHours"))?,
        };
        self.push(Field::WorkingHours, condition);
        Ok(())
    }

    /// The finished filter, in canonical order.
    pub(crate) fn build(self) -> Filter {
        let groups = self
            .conditions
            .into_iter()
            .map(|(field, mut conditions)| {
                conditions.sort();
                (field, conditions)
            })
            .collect();
        Filter { groups }
    }

    fn push(&mut self, field: Field, condition: Condition) {
        self.conditions.entry(field).or_default().push(condition);
    }

    fn operator(&self, name: &str, field: &str) -> Result<Operator, ApiError> {
        OPERATORS
            .iter()
            .find(|(n, _)| self.same(name, n))
            .map(|(_, op)| *op)
            .ok_or_else(|| {
                ApiError::input(format!("Unknown operator '{name}' for the {field} filter."))
                    .at(format!("FilterList/{field}"))
            })
    }

    /// Action, When and WorkingHours take only Equals (the default) and NotEqualTo.
    fn equals_or_not(&self, operator: Option<&str>, field: &str) -> Result<bool, ApiError> {
        match operator {
            None => Ok(false),
            Some(name) => match self.operator(name, field)? {
                Operator::Equals => Ok(false),
                Operator::NotEqualTo => Ok(true),
                other => Err(unsupported(other, field)),
            },
        }
    }

    fn same(&self, given: &str, documented: &str) -> bool {
        if self.lenient_names {
            given.eq_ignore_ascii_case(documented)
        } else {
            given == documented
        }
    }
}

/// The documented name of a field, for messages.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::Text(text) => TEXT_FIELDS
            .iter()
            .find(|(_, f, _)| *f == text)
            .map_or("?", |(n, _, _)| n),
        Field::Action => "Action",
        Field::When => "When",
        Field::WorkingHours => "WorkingHours",
    }
}

fn unsupported(operator: Operator, field: &str) -> ApiError {
    let name = OPERATORS
        .iter()
        .find(|(_, op)| *op == operator)
        .map_or("?", |(n, _)| n);
    ApiError::input(format!(
        "The {field} filter does not support the {name} operator."
    ))
    .at(format!("FilterList/{field}"))
}

/// A required `From`/`To` bound in the given form.
fn bound<T>(
    value: Option<&str>,
    which: &str,
    parse: fn(&str) -> Option<T>,
    form: &str,
) -> Result<T, ApiError> {
    let value = value.ok_or_else(|| ApiError::input(format!("The interval has no {which}.")))?;
    parse(value.trim()).ok_or_else(|| {
        ApiError::input(format!(
            "'{value}' is not a valid {which}; use the form {form} (or with a +HH:MM/-HH:MM offset)."
        ))
    })
}
