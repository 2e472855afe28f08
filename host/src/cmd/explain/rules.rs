//! Which alert definitions a record matches, and why: each definition's filters evaluated
//! field by field by the pipeline's own filter evaluator (`Filters`), so the answer is the one
//! polling would give.

use serde_json::{json, Value};
use sluice_core::CONFIG_FILE_LIMIT;
use sluice_core::{read_regular_file, AlertDefinition, Filters, RecordView, Timestamp};

/// One definition's verdict on the record.
#[derive(Debug)]
pub(super) struct Verdict<'a> {
    /// The definition.
    pub(super) definition: &'a AlertDefinition,
    /// Whether its filters select the record.
    pub(super) matches: bool,
    /// Each filter field: (field, the filter as written, whether the record passes it).
    pub(super) fields: Vec<(String, String, bool)>,
}

impl Verdict<'_> {
    /// Whether the record raises this alert now: enabled, with filters that select it, and a
    /// threshold (if any) one record reaches.
    pub(super) fn raises(&self) -> bool {
        self.definition.enabled
            && self.matches
            && self
                .definition
                .threshold
                .as_ref()
                .is_none_or(|t| t.count <= 1)
    }

    /// Why, in one sentence.
    pub(super) fn why(&self) -> String {
        let d = self.definition;
        let failed: Vec<&str> = self
            .fields
            .iter()
            .filter(|(_, _, pass)| !pass)
            .map(|(f, _, _)| f.as_str())
            .collect();
        if d.filters.is_empty() {
            return "it has no filters: it is raised only by Netwrix Auditor's response action, \
                    under its name"
                .to_owned();
        }
        if !self.matches {
            return format!("the record fails its filter on {}", failed.join(", "));
        }
        if !d.enabled {
            return "its filters select the record, but it is disabled (enabled = false)"
                .to_owned();
        }
        match &d.threshold {
            Some(t) if t.count > 1 => format!(
                "its filters select the record; it fires at {} matching records within {}{}, \
                 so this record counts toward it",
                t.count,
                humantime::format_duration(t.within),
                t.group_by
                    .as_deref()
                    .map(|g| format!(" per {g}"))
                    .unwrap_or_default()
            ),
            _ => "its filters select the record".to_owned(),
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "name": self.definition.name,
            "file": self.definition.file,
            "enabled": self.definition.enabled,
            "matches": self.matches,
            "raises": self.raises(),
            "why": self.why(),
            "filters": self.fields.iter().map(|(field, filter, pass)| {
                json!({ "field": field, "filter": filter, "passes": pass })
            }).collect::<Vec<_>>(),
        })
    }
}

/// Every definition's verdict on `view`, at host time `now`, in file order.
pub(super) fn verdicts<'a>(
    definitions: &'a [AlertDefinition],
    view: &RecordView,
    now: Timestamp,
) -> Vec<Verdict<'a>> {
    definitions
        .iter()
        .map(|definition| Verdict {
            definition,
            matches: definition.filters.matches(view, now),
            fields: field_verdicts(definition, view, now),
        })
        .collect()
}

/// The definition's filter fields, each evaluated alone. The `[filters]` table is read again
/// from the definition's file (the loaded definition keeps only the compiled filters); a file
/// changed since it was loaded shows no fields rather than wrong ones.
fn field_verdicts(
    definition: &AlertDefinition,
    view: &RecordView,
    now: Timestamp,
) -> Vec<(String, String, bool)> {
    let Ok(text) = read_regular_file(&definition.file, CONFIG_FILE_LIMIT) else {
        return Vec::new();
    };
    let Ok(file) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(toml::Value::Table(filters)) = file.get("filters") else {
        return Vec::new();
    };
    filters
        .iter()
        .filter_map(|(field, value)| {
            let mut one = toml::Table::new();
            one.insert(field.clone(), value.clone());
            let filter = Filters::parse(&one).ok()?;
            Some((field.clone(), value.to_string(), filter.matches(view, now)))
        })
        .collect()
}
