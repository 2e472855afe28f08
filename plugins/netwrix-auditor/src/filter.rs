//! Search filters: the Integration API's documented fields, operators and value limits, the
//! `poll_filters` config entries built from them, and [`Condition`], one entry of a search's
//! `FilterList` as [`crate::search`] renders it.

use schemars::JsonSchema;
use serde::Deserialize;
use sluice_sdk::PluginError;

/// A filter field of the Integration API's search, except `When` (the poll window owns it) and
/// `WorkingHours` (it takes an interval, not a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum FilterField {
    /// The record id (max 49 characters).
    #[serde(rename = "RID")]
    Rid,
    /// The account (max 255). The only field with `InGroup`/`NotInGroup`.
    Who,
    /// Server, domain, instance… (max 255).
    Where,
    /// Object type (max 255).
    ObjectType,
    /// Object path or name.
    What,
    /// Data source, e.g. `Active Directory`.
    DataSource,
    /// Monitoring plan name (max 255). Sent as `MonitoringPlan`, the spelling of every
    /// documented example (the filter table spells it "Monitoring Plan").
    MonitoringPlan,
    /// Item name, including its `(type)` suffix.
    Item,
    /// Originating workstation.
    Workstation,
    /// Any text of any Detail.
    Detail,
    /// Any `Detail/Before` (max 536870911).
    Before,
    /// Any `Detail/After` (max 536870911).
    After,
    /// The action; only `Equals` and `NotEqualTo`.
    Action,
}

impl FilterField {
    /// The element (XML) or key (JSON) name.
    pub const fn name(self) -> &'static str {
        match self {
            FilterField::Rid => "RID",
            FilterField::Who => "Who",
            FilterField::Where => "Where",
            FilterField::ObjectType => "ObjectType",
            FilterField::What => "What",
            FilterField::DataSource => "DataSource",
            FilterField::MonitoringPlan => "MonitoringPlan",
            FilterField::Item => "Item",
            FilterField::Workstation => "Workstation",
            FilterField::Detail => "Detail",
            FilterField::Before => "Before",
            FilterField::After => "After",
            FilterField::Action => "Action",
        }
    }

    /// The documented maximum value length in characters; `Action` lists none.
    pub const fn max_len(self) -> usize {
        match self {
            FilterField::Rid => 49,
            FilterField::Who | FilterField::Where | FilterField::ObjectType => 255,
            FilterField::MonitoringPlan => 255,
            FilterField::Before | FilterField::After => 536_870_911,
            FilterField::What
            | FilterField::DataSource
            | FilterField::Item
            | FilterField::Workstation
            | FilterField::Detail
            | FilterField::Action => 1_073_741_822,
        }
    }

    /// Whether the field accepts `operator`: `Action` takes only `Equals` and `NotEqualTo`,
    /// `InGroup` and `NotInGroup` are for `Who` only.
    pub fn allows(self, operator: Operator) -> bool {
        match self {
            FilterField::Action => matches!(operator, Operator::Equals | Operator::NotEqualTo),
            FilterField::Who => true,
            _ => !matches!(operator, Operator::InGroup | Operator::NotInGroup),
        }
    }
}

/// A filter operator of the Integration API's search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Operator {
    /// Substring (the default of text fields).
    Contains,
    /// Excludes substrings; several combine with AND.
    DoesNotContain,
    /// Exact, full value (the default of `Action`).
    Equals,
    /// Excludes the exact value; several combine with AND.
    NotEqualTo,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
    /// `Who` is a member of the named group.
    InGroup,
    /// `Who` is not a member of the named group.
    NotInGroup,
}

impl Operator {
    /// The attribute value (XML) or key (JSON) name.
    pub const fn name(self) -> &'static str {
        match self {
            Operator::Contains => "Contains",
            Operator::DoesNotContain => "DoesNotContain",
            Operator::Equals => "Equals",
            Operator::NotEqualTo => "NotEqualTo",
            Operator::StartsWith => "StartsWith",
            Operator::EndsWith => "EndsWith",
            Operator::InGroup => "InGroup",
            Operator::NotInGroup => "NotInGroup",
        }
    }
}

/// One `poll_filters` entry: a server-side pre-filter ANDed with the poll's `When` window, so
/// that Auditor sends only the records the alert rules could match. Entries on different
/// fields combine with AND; positive entries on one field with OR, negative ones
/// (`DoesNotContain`, `NotEqualTo`, `NotInGroup`) with AND.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PollFilter {
    /// The field: `RID`, `Who`, `Where`, `ObjectType`, `What`, `DataSource`,
    /// `MonitoringPlan`, `Item`, `Workstation`, `Detail`, `Before`, `After` or `Action`.
    pub field: FilterField,
    /// The operator. Default: none sent, so the server applies the field's default
    /// (`Contains` for text fields, `Equals` for `Action`).
    #[serde(default)]
    pub operator: Option<Operator>,
    /// The value to compare with.
    pub value: String,
}

impl PollFilter {
    /// Pure checks; `path` is this entry's key path (`poll_filters[2]`).
    pub fn check(&self, path: &str) -> Result<(), PluginError> {
        let field = self.field.name();
        if let Some(operator) = self.operator {
            if !self.field.allows(operator) {
                let allowed = match self.field {
                    FilterField::Action => "Equals or NotEqualTo",
                    _ => "Contains, DoesNotContain, Equals, NotEqualTo, StartsWith or EndsWith",
                };
                return Err(PluginError::config(format!(
                    "the {field} filter does not take {}; use {allowed}",
                    operator.name()
                ))
                .at(format!("{path}.operator")));
            }
        }
        if self.value.is_empty() {
            return Err(
                PluginError::config(format!("the {field} filter needs a value"))
                    .at(format!("{path}.value")),
            );
        }
        let max = self.field.max_len();
        if self.value.chars().count() > max {
            return Err(PluginError::config(format!(
                "the {field} filter's value is longer than the documented maximum of {max} \
                 characters"
            ))
            .at(format!("{path}.value")));
        }
        Ok(())
    }

    /// The search condition.
    pub fn condition(&self) -> Condition {
        Condition::Text {
            field: self.field.name(),
            operator: self.operator.map(Operator::name),
            value: self.value.clone(),
        }
    }
}

/// One entry of a search's `FilterList`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Condition {
    /// A text or `Action` entry; `operator` `None` leaves the server's default.
    Text {
        /// Field name, e.g. `RID`.
        field: &'static str,
        /// Operator name, e.g. `Equals`.
        operator: Option<&'static str>,
        /// The value.
        value: String,
    },
    /// A `When` interval, `From` and `To` in the preferred UTC form `YYYY-MM-DDTHH:mm:ssZ`
    /// (Auditor also accepts `±HH:mm` offsets).
    When {
        /// Lower bound.
        from: String,
        /// Upper bound.
        to: String,
    },
}

impl Condition {
    /// `RID Equals rid`: how a record is fetched by id (there is no retrieve-by-RID endpoint;
    /// `Equals` is exact and cheap on the server).
    pub fn rid(rid: &str) -> Condition {
        Condition::Text {
            field: "RID",
            operator: Some("Equals"),
            value: rid.to_owned(),
        }
    }

    /// The field name this entry filters on.
    pub fn field(&self) -> &'static str {
        match self {
            Condition::Text { field, .. } => field,
            Condition::When { .. } => "When",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(field: FilterField, operator: Option<Operator>, value: &str) -> PollFilter {
        PollFilter {
            field,
            operator,
            value: value.to_owned(),
        }
    }

    #[test]
    fn operators_per_field() {
        assert!(
            filter(FilterField::Who, Some(Operator::InGroup), "Domain Admins")
                .check("poll_filters[0]")
                .is_ok()
        );
        let err = filter(FilterField::What, Some(Operator::InGroup), "x")
            .check("poll_filters[1]")
            .err();
        assert_eq!(
            err.as_ref().and_then(|e| e.key_path()),
            Some("poll_filters[1].operator")
        );
        let err = filter(FilterField::Action, Some(Operator::Contains), "Mod")
            .check("poll_filters[0]")
            .err();
        assert!(err.is_some_and(|e| e.message().contains("Equals or NotEqualTo")));
    }

    #[test]
    fn value_limits() {
        let long = "A".repeat(50);
        let err = filter(FilterField::Rid, None, &long).check("f").err();
        assert!(err.is_some_and(|e| e.message().contains("49")));
        assert!(filter(FilterField::Who, None, "").check("f").is_err());
    }

    #[test]
    fn parses_documented_names() {
        let parsed: Result<PollFilter, _> = serde_json::from_value(serde_json::json!({
            "field": "DataSource", "operator": "Equals", "value": "Active Directory"
        }));
        assert!(matches!(parsed, Ok(f) if f.field == FilterField::DataSource));
        let parsed: Result<PollFilter, _> =
            serde_json::from_value(serde_json::json!({"field": "RID", "value": "x"}));
        assert!(matches!(parsed, Ok(f) if f.field == FilterField::Rid && f.operator.is_none()));
        let bad: Result<PollFilter, _> =
            serde_json::from_value(serde_json::json!({"field": "When", "value": "x"}));
        assert!(bad.is_err());
    }
}
