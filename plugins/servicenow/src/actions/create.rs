//! `Create`: one `POST /api/now/v2/table/<table>` with the mapped fields, `correlation_id` and
//! `correlation_display` (reference §6.1), asking for the fields a ticket needs in the same
//! answer, so a create is one request.

use serde_json::{Map, Value};
use sluice_sdk::{ActionOutcome, Correlation, Fields, PluginError};

use super::{record_query, ticket_in};
use crate::client::Call;
use crate::plan::JOURNALS;
use crate::record::{self, sys_id_from_location};
use crate::sink::ServiceNow;

/// The longest correlation key: the column's length in base systems (Kibana enforces the
/// same, reference §3.1, §5.1).
pub(crate) const MAX_CORRELATION_ID: usize = 100;

/// Why a correlation key cannot be used, if it cannot.
pub(crate) fn check_correlation_id(id: &str) -> Result<(), PluginError> {
    if id.is_empty() {
        return Err(PluginError::rejected("the correlation key is empty"));
    }
    if id.chars().count() > MAX_CORRELATION_ID {
        return Err(PluginError::rejected(format!(
            "the correlation key is {} characters long; ServiceNow's correlation_id holds \
             {MAX_CORRELATION_ID} (reference §3.1)",
            id.chars().count()
        )));
    }
    if id.contains('^') || id.chars().any(char::is_control) {
        return Err(PluginError::rejected(format!(
            "the correlation key {id:?} contains `^` or a control character, which an encoded \
             query cannot match (reference §1.4)"
        )));
    }
    Ok(())
}

/// Creates an incident.
pub(super) fn run(sink: &ServiceNow, correlation: &Correlation, fields: &Fields) -> ActionOutcome {
    if let Err(error) = check_correlation_id(&correlation.id) {
        return ActionOutcome::Failed(error);
    }
    let mut body = Map::new();
    for (name, value) in fields.iter() {
        if name == "hold_reason" && !sink.adapter.hold_reason() {
            sink.client.host().warn(format!(
                "Dropped `hold_reason` from a new incident: {} has no such field (reference §3.2).",
                sink.adapter.title()
            ));
            continue;
        }
        match body.get_mut(name) {
            // A template may write a journal twice (netwrix reference §4.3): one entry, both texts.
            Some(Value::String(existing)) if JOURNALS.contains(&name) => {
                existing.push_str("\n\n");
                existing.push_str(value);
            }
            _ => {
                body.insert(name.to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    let display = if correlation.display.trim().is_empty() {
        sink.config.correlation_display.as_str()
    } else {
        correlation.display.as_str()
    };
    body.insert(
        "correlation_id".to_owned(),
        Value::String(correlation.id.to_string()),
    );
    body.insert(
        "correlation_display".to_owned(),
        Value::String(display.to_owned()),
    );
    let written: Vec<String> = body.keys().cloned().collect();
    let call = Call::post_json(
        sink.table_path(),
        record_query(Some(written.iter().map(String::as_str))),
        &Value::Object(body),
    );
    let doing = format!(
        "create an {} for correlation key {:?}",
        sink.config.table, correlation.id
    );
    let response = match sink.client.send(&call) {
        Ok(response) => response,
        Err(error) => return error.outcome(&doing),
    };
    let parsed = ticket_in(sink, &response.body);
    let ticket = match parsed {
        Ok(Some(ticket)) => ticket,
        // 201 with no body (X-no-response-body, capture
        // output.ServiceNowOutputTest_insertRecordNoResponse.json) or an unreadable one: the
        // record exists, and `Location` names it.
        other => {
            let location = response.header("location").and_then(sys_id_from_location);
            let Some(sys_id) = location else {
                let why = match other {
                    Err(e) => e,
                    _ => "no body and no Location header".to_owned(),
                };
                return ActionOutcome::Retry {
                    reason: format!(
                        "cannot {doing}: ServiceNow answered {} but {why}; the host will look \
                         the ticket up by its correlation key before trying again",
                        response.status
                    ),
                    retry_after: None,
                };
            };
            if let Err(e) = other {
                sink.client.host().warn(format!(
                    "Created {} {sys_id}, but could not read the answer ({e}); its number is unknown.",
                    sink.config.table
                ));
            }
            sluice_sdk::Ticket {
                link: record::link(sink.client.base_url(), &sink.config.table, &sys_id).into(),
                id: sys_id.into(),
                ..sluice_sdk::Ticket::default()
            }
        }
    };
    sink.known.remember(&ticket);
    ActionOutcome::Done(ticket)
}
