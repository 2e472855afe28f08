//! What the pipeline's suppression would decide now for the alerts a record raises, asked of
//! the pipeline's own `Suppression` on the state store in a transaction that is rolled back
//! (nothing is written), and the incident fields the mapping would send.

use serde_json::{json, Map, Value};
use sluice_core::store::alerts::{AlertRow, Origin};
use sluice_core::store::{outbox, status, tickets};
use sluice_core::{
    record_to_json, AlertContext, AlertId, Decision, PipelineSpec, Store, Suppression, Timestamp,
};
use sluice_sdk::{Record, Ticket};

use crate::cmd::ticket_state::state_name;

/// An alert to decide: its name, and where it would come from.
#[derive(Debug)]
pub(super) struct Candidate<'a> {
    pub(super) name: &'a str,
    pub(super) origin: Origin,
}

/// The decision for each candidate, as JSON: `decision` (`new_ticket`, `update`, `reopen`,
/// `flood_ticket`), a sentence, the ticket concerned, and the fields or note it would send.
pub(super) fn decide(
    store: &mut Store,
    spec: &PipelineSpec,
    record: &Record,
    candidates: &[Candidate<'_>],
    now: Timestamp,
) -> anyhow::Result<Vec<Value>> {
    let correlation_prefix = format!("sluice-{}-{}-", store.id(), spec.name);
    let suppression = Suppression {
        pipeline: &spec.name,
        settings: &spec.settings.suppression,
        correlation_prefix: &correlation_prefix,
    };
    let json = record_to_json(record);
    let rows: Vec<AlertRow> = candidates
        .iter()
        .map(|c| AlertRow {
            id: AlertId::new(0),
            origin: c.origin,
            alert_name: c.name.to_owned(),
            auditor_alert_id: None,
            record_id: Some(record.id.clone()).filter(|id| !id.is_empty()),
            received_at: now,
            record: Some(json.clone()),
            extra_records: None,
            fetch_attempts: 0,
        })
        .collect();
    let sink = spec.settings.sink.component.as_str();
    let decided = store.dry_run(|tx| {
        let placements = suppression.place(tx, &rows, now)?;
        let mut out = Vec::with_capacity(placements.len());
        for (row, p) in rows.iter().zip(&placements) {
            let ticket = tickets::get(tx, p.ticket)?;
            let action = outbox::get(tx, p.action)?;
            let previous = match action.as_ref().and_then(|a| a.correlate_ticket_id) {
                Some(id) => tickets::get(tx, id)?,
                None => None,
            };
            let flush_at = status::collecting_until(tx, p.action)?;
            let facts = Facts {
                decision: p.decision,
                ticket,
                reopen: action.as_ref().is_some_and(|a| a.reopen),
                previous,
                flush_at,
            };
            out.push(explain_one(spec, sink, record, row, &facts));
        }
        Ok(out)
    })?;
    Ok(decided)
}

/// What the dry run showed of one alert's placement.
struct Facts {
    decision: Decision,
    ticket: Option<tickets::TicketRow>,
    reopen: bool,
    previous: Option<tickets::TicketRow>,
    flush_at: Option<Timestamp>,
}

fn explain_one(
    spec: &PipelineSpec,
    sink: &str,
    record: &Record,
    row: &AlertRow,
    f: &Facts,
) -> Value {
    let number = f.ticket.as_ref().and_then(|t| t.number.clone());
    let state = f
        .ticket
        .as_ref()
        .and_then(|t| t.state.as_deref())
        .map(|s| state_name(sink, s));
    let (kind, sentence) = decision_words(spec, f, state.as_deref());
    let mut out = json!({
        "alert": row.alert_name,
        "origin": match row.origin { Origin::Poll => "poll", Origin::ResponseAction => "response_action" },
        "decision": kind,
        "explanation": sentence,
        "ticket": number,
        "ticket_state": state,
        "key": suppression_key(spec, row),
    });
    sent(spec, record, row, f, &mut out);
    out
}

/// The decision's name, and a sentence that says what it does and why; `state` is the
/// ticket's last known state, by name.
fn decision_words(spec: &PipelineSpec, f: &Facts, state: Option<&str>) -> (&'static str, String) {
    let ticket = f
        .ticket
        .as_ref()
        .and_then(|t| t.number.clone())
        .unwrap_or_else(|| "its ticket (not opened at the sink yet)".to_owned());
    let when = f
        .flush_at
        .map(text_time)
        .unwrap_or_else(|| "at once".to_owned());
    let s = &spec.settings.suppression;
    match f.decision {
        Decision::Open { .. } => (
            "new_ticket",
            match f.previous.as_ref().and_then(|p| p.number.clone()) {
                Some(previous) => format!(
                    "opens a new ticket, referencing {previous}, the newest earlier ticket of \
                     its key (ticket_correlation)"
                ),
                None => "opens a new ticket".to_owned(),
            },
        ),
        Decision::Consolidate { .. } if f.reopen && is_closed(state) => (
            "reopen",
            format!(
                "reopens {ticket} (last known state {}): it took an alert within \
                 update_interval ({}); the reopen and the note with this alert are sent when \
                 its consolidation ends, {when}",
                state.unwrap_or("unknown"),
                s.update_interval
            ),
        ),
        Decision::Consolidate { .. } => (
            "update",
            format!(
                "updates {ticket}{}: it took an alert of the same key within \
                 update_interval ({}); this alert joins its next update, a work note sent {when}",
                state
                    .map(|s| format!(" (last known state {s})"))
                    .unwrap_or_default(),
                s.update_interval
            ),
        ),
        Decision::OpenFlood { .. } => (
            "flood_ticket",
            format!(
                "opens the flood ticket: {} new tickets were opened within ticket_flood_interval \
                 ({}), the ticket_flood_limit; alerts beyond it are collected in one ticket",
                s.ticket_flood_limit, s.ticket_flood_interval
            ),
        ),
        Decision::Flood { .. } => (
            "flood_ticket",
            format!(
                "joins the flood ticket {ticket}: the ticket_flood_limit ({}) is reached \
                 in this ticket_flood_interval ({}); it is listed in the flood ticket's next \
                 update, {when}",
                s.ticket_flood_limit, s.ticket_flood_interval
            ),
        ),
    }
}

/// What would be sent for the alert, into `out`: a new ticket's `fields`, or the `note` lines
/// an update lists for its record.
fn sent(spec: &PipelineSpec, record: &Record, row: &AlertRow, f: &Facts, out: &mut Value) {
    let definition = spec.alerts.get(&row.alert_name);
    let template = match definition {
        Some(d) => spec.template.with_overrides(&d.ticket),
        None => std::borrow::Cow::Borrowed(&spec.template),
    };
    let context = AlertContext {
        name: &row.alert_name,
        description: definition.map_or("", |d| d.description.as_str()),
        alert_id: None,
        record_id: row.record_id.as_deref(),
        record: Some(record),
        computer: &spec.computer,
    };
    match f.decision {
        Decision::Open { .. } => {
            let previous = f.previous.as_ref().map(|p| Ticket {
                id: p.sink_id.clone().unwrap_or_default().into(),
                number: p.number.clone().unwrap_or_default().into(),
                state: p.state.clone().unwrap_or_default().into(),
                ..Ticket::default()
            });
            let fields: Map<String, Value> = template
                .render_open(&context, previous.as_ref())
                .iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect();
            out["fields"] = Value::Object(fields);
        }
        _ => out["note"] = Value::from(template.render_details(&context)),
    }
}

/// The suppression key, as the pipeline computes it.
fn suppression_key(spec: &PipelineSpec, row: &AlertRow) -> String {
    Suppression {
        pipeline: &spec.name,
        settings: &spec.settings.suppression,
        correlation_prefix: "",
    }
    .key(row)
}

/// Whether a ticket in `state` (by name) is one a reopen applies to.
fn is_closed(state: Option<&str>) -> bool {
    matches!(state, Some("Resolved" | "Closed" | "Canceled"))
}

/// `time` as an RFC 3339 time, prefixed `at`.
fn text_time(time: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(time.as_millis())
        .map_or_else(|_| "later".to_owned(), |t| format!("at {t}"))
}
