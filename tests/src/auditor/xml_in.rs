//! XML request documents: the write body (`ActivityRecordList`),
//! the enum continuation (`ContinuationMark` root) and the search (`ActivityRecordSearch`).
//!
//! Children are picked by name, so their order is free; an element the schema does not have
//! inside `FilterList` is refused, elsewhere it is skipped.

use super::error::ApiError;
use super::filter::{Field, FilterBuilder, RawSpan};
use super::ingest::{RawDetail, RawPlan, RawRecord};
use super::xml_out::ACTIVITY_RECORDS_NS;
use super::xml_tree::Element;

/// The records of a write body.
pub(crate) fn records(root: &Element, require_ns: bool) -> Result<Vec<RawRecord>, ApiError> {
    expect_root(root, "ActivityRecordList", require_ns)?;
    Ok(root.children_named("ActivityRecord").map(record).collect())
}

/// The mark of an enum continuation body.
pub(crate) fn enum_mark(root: &Element, require_ns: bool) -> Result<String, ApiError> {
    expect_root(root, "ContinuationMark", require_ns)?;
    Ok(root.text.trim().to_owned())
}

/// Reads a search document into `builder`; returns its mark, if any.
pub(crate) fn search(
    root: &Element,
    builder: &mut FilterBuilder<'_>,
    require_ns: bool,
) -> Result<Option<String>, ApiError> {
    expect_root(root, "ActivityRecordSearch", require_ns)?;
    let filters = root.child("FilterList").ok_or_else(|| {
        ApiError::xml("ActivityRecordSearch must contain a FilterList element")
            .at("ActivityRecordSearch/FilterList")
    })?;
    for entry in &filters.children {
        // Schema-invalid post data is refused: the document is validated against the
        // search schema, whose FilterList allows only the documented filters. Its category for
        // XML is inferred: MSXML's schema validation reports an XMLError.
        let Some(field) = builder.field(&entry.name) else {
            return Err(ApiError::xml(format!(
                "Element '{}' is unexpected according to content model of parent element 'FilterList'.",
                entry.name
            ))
            .at(format!("FilterList/{}", entry.name)));
        };
        let operator = entry.attribute("Operator").map(str::trim);
        let located = |e: ApiError| e.at(format!("FilterList/{}", entry.name));
        match field {
            Field::When => {
                let from = entry.child_text("From").map(str::trim);
                let to = entry.child_text("To").map(str::trim);
                let span = if from.is_some() || to.is_some() {
                    RawSpan::Between { from, to }
                } else {
                    let frame = entry
                        .children
                        .iter()
                        .find(|c| builder.is_timeframe(&c.name))
                        .ok_or_else(|| {
                            located(ApiError::input(
                                "When needs From and To, or a timeframe element such as <LastSevenDays/>.",
                            ))
                        })?;
                    RawSpan::Timeframe(&frame.name)
                };
                builder.when(operator, span).map_err(located)?;
            }
            Field::WorkingHours => {
                let from = entry.child_text("From").map(str::trim);
                let to = entry.child_text("To").map(str::trim);
                builder.working_hours(operator, from, to).map_err(located)?;
            }
            Field::Text(_) | Field::Action => {
                // The documentation's own example pads a value with spaces
                // (`<DataSource> Logon Activity </DataSource>`) and expects it to match.
                builder
                    .text(field, operator, entry.text.trim())
                    .map_err(located)?;
            }
        }
    }
    Ok(root
        .child_text("ContinuationMark")
        .map(|mark| mark.trim().to_owned()))
}

fn expect_root(root: &Element, name: &str, require_ns: bool) -> Result<(), ApiError> {
    if root.name != name {
        return Err(ApiError::xml(format!(
            "the root element is {}, expected {name}",
            root.name
        )));
    }
    if require_ns && root.namespace.as_deref() != Some(ACTIVITY_RECORDS_NS) {
        return Err(ApiError::xml(format!(
            "the root element {name} must be in the namespace {ACTIVITY_RECORDS_NS}"
        )));
    }
    Ok(())
}

fn record(element: &Element) -> RawRecord {
    let text = |name: &str| element.child_text(name).map(str::to_owned);
    RawRecord {
        who: text("Who"),
        action: text("Action"),
        what: text("What"),
        when: text("When"),
        r#where: text("Where"),
        object_type: text("ObjectType"),
        plan: element.child("MonitoringPlan").map(|plan| RawPlan {
            name: plan.child_text("Name").map(str::to_owned),
            id: plan.child_text("ID").map(str::to_owned),
        }),
        item_name: element
            .child("Item")
            .and_then(|item| item.child_text("Name"))
            .map(str::to_owned),
        workstation: text("Workstation"),
        is_archive_only: text("IsArchiveOnly"),
        details: element
            .child("DetailList")
            .map(|list| {
                list.children_named("Detail")
                    .map(|detail| {
                        let part = |name: &str| detail.child_text(name).map(str::to_owned);
                        RawDetail {
                            property_name: part("PropertyName"),
                            before: part("Before"),
                            after: part("After"),
                            message: part("Message"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
