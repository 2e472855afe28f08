//! `sluice explain`'s answer for people, from its JSON form (one source of truth for both).

use std::fmt::Write;

use serde_json::Value;

/// Record fields shown in the heading, in this order, when the record has them.
const HEADING_FIELDS: [&str; 5] = ["When", "Who", "Action", "What", "DataSource"];

/// The report for people.
pub(super) fn human(report: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pipeline {} (polling: {}, response actions: {}), at {}. Nothing was written.",
        text(&report["pipeline"]),
        yes_no(&report["polls"]),
        yes_no(&report["response_action"]),
        text(&report["at"]),
    );
    if let Some(note) = report["state_note"].as_str() {
        let _ = writeln!(out, "Note: {note}.");
    }
    for record in report["records"].as_array().into_iter().flatten() {
        human_record(&mut out, record);
    }
    out
}

fn human_record(out: &mut String, r: &Value) {
    let fields = &r["record"]["fields"];
    let heading: Vec<String> = HEADING_FIELDS
        .iter()
        .filter_map(|f| fields[*f].as_str().map(|v| format!("{f} {v}")))
        .collect();
    let id = r["record"]["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or("(no id)");
    let _ = writeln!(out, "\nRecord {id}: {}", heading.join(", "));
    match r["alert_name"].as_str() {
        Some(name) => {
            let known = if r["definition_known"] == true {
                "its definition's description and ticket overrides apply"
            } else {
                "no alert definition has this name: the pipeline's ticket template applies"
            };
            let _ = writeln!(out, "\nAs the response action of alert {name:?} ({known}).");
        }
        None => human_definitions(out, &r["definitions"]),
    }
    let alerts = r["alerts"].as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "\nWhat suppression would decide now:");
    if alerts.is_empty() {
        let _ = writeln!(
            out,
            "  No ticket: no enabled alert definition raises an alert for this record (see above)."
        );
    }
    for a in &alerts {
        human_alert(out, a);
    }
}

fn human_definitions(out: &mut String, definitions: &Value) {
    let list = definitions.as_array().cloned().unwrap_or_default();
    let _ = writeln!(out, "\nAlert definitions ({}):", list.len());
    for d in &list {
        let mark = if d["raises"] == true {
            "raises"
        } else if d["matches"] == true {
            "matches"
        } else {
            "no"
        };
        let _ = writeln!(
            out,
            "  [{mark:^7}] {}: {}",
            text(&d["name"]),
            text(&d["why"])
        );
        if d["matches"] == true || d["raises"] == true {
            for f in d["filters"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "              {} = {}: {}",
                    text(&f["field"]),
                    text(&f["filter"]),
                    if f["passes"] == true {
                        "passes"
                    } else {
                        "fails"
                    }
                );
            }
        }
    }
}

fn human_alert(out: &mut String, a: &Value) {
    let decision = match a["decision"].as_str() {
        Some("new_ticket") => "NEW TICKET",
        Some("update") => "UPDATE",
        Some("reopen") => "REOPEN",
        Some("flood_ticket") => "FLOOD TICKET",
        Some("suppressed") => "SUPPRESSED",
        _ => "?",
    };
    let _ = writeln!(
        out,
        "  {}: {decision}: {}",
        text(&a["alert"]),
        text(&a["explanation"])
    );
    if let Some(fields) = a["fields"].as_object() {
        let _ = writeln!(out, "    Incident fields it would send:");
        for (name, value) in fields {
            let value = value.as_str().unwrap_or_default();
            let mut lines = value.lines();
            let _ = writeln!(out, "      {name}: {}", lines.next().unwrap_or_default());
            for line in lines {
                let _ = writeln!(out, "        {line}");
            }
        }
    }
    if let Some(note) = a["note"].as_str() {
        let _ = writeln!(out, "    The update's note lists this record as:");
        for line in note.lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
}

fn yes_no(v: &Value) -> &'static str {
    if v == true {
        "yes"
    } else {
        "no"
    }
}

/// A JSON value as text: a string without its quotes.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}
