//! `Create`: one `POST /api/now/v2/table/<table>` with the mapped fields, `correlation_id` and
//! `correlation_display`, asking for the fields a ticket needs in the same answer, so a create
//! is one request.

use serde_json::{Map, Value};
use sluice_sdk::{ActionOutcome, Correlation, Fields, HttpResponse, PluginError, Ticket};

use super::{record_query, ticket_in};
use crate::client::Call;
use crate::plan::JOURNALS;
use crate::record::{self, sys_id_from_location};
use crate::session::Session;

/// The longest correlation key: the length of `correlation_id` in base systems, and the limit
/// Kibana's ServiceNow connector enforces too.
pub(crate) const MAX_CORRELATION_ID: usize = 100;

/// Why a correlation key cannot be used, if it cannot.
pub(crate) fn check_correlation_id(id: &str) -> Result<(), PluginError> {
    if id.is_empty() {
        return Err(PluginError::rejected("the correlation key is empty"));
    }
    if id.chars().count() > MAX_CORRELATION_ID {
        return Err(PluginError::rejected(format!(
            "the correlation key is {} characters long; ServiceNow's correlation_id holds \
             {MAX_CORRELATION_ID}",
            id.chars().count()
        )));
    }
    if id.contains('^') || id.chars().any(char::is_control) {
        return Err(PluginError::rejected(format!(
            "the correlation key {id:?} contains `^` or a control character, which an encoded \
             query cannot match (`^` joins the conditions of a ServiceNow query)"
        )));
    }
    Ok(())
}

/// Creates an incident.
pub(super) fn run(session: &Session, correlation: &Correlation, fields: &Fields) -> ActionOutcome {
    if let Err(error) = check_correlation_id(&correlation.id) {
        return ActionOutcome::Failed(error);
    }
    let body = incident_body(session, correlation, fields);
    let written: Vec<String> = body.keys().cloned().collect();
    let call = Call::post_json(
        session.table_path(),
        record_query(Some(written.iter().map(String::as_str))),
        &Value::Object(body),
    );
    let doing = format!(
        "create an {} for correlation key {:?}",
        session.config.table, correlation.id
    );
    let response = match session.client.send(&call) {
        Ok(response) => response,
        // The instance may still insert it: the host looks it up before sending it again.
        Err(error) if error.may_have_committed() => {
            return ActionOutcome::in_doubt(format!(
                "cannot tell whether ServiceNow created the {} for correlation key {:?}: {error}",
                session.config.table, correlation.id
            ))
        }
        Err(error) => return error.outcome(&doing),
    };
    let ticket = match ticket_in(session, &response.body) {
        Ok(Some(ticket)) => ticket,
        unread => match ticket_from_location(session, &response, unread.err()) {
            Ok(ticket) => ticket,
            Err(why) => {
                return ActionOutcome::in_doubt(format!(
                    "cannot {doing}: ServiceNow answered {} but {why}; the host will look the \
                     ticket up by its correlation key before trying again",
                    response.status
                ))
            }
        },
    };
    session.known.remember(&ticket);
    ActionOutcome::Done(ticket)
}

/// The new incident's fields: the mapped ones (a journal written twice becomes one entry
/// with both texts; `hold_reason` is dropped on releases without it), then the correlation key
/// and its display text.
fn incident_body(
    session: &Session,
    correlation: &Correlation,
    fields: &Fields,
) -> Map<String, Value> {
    let mut body = Map::new();
    for (name, value) in fields.iter() {
        if name == "hold_reason" && !session.adapter.hold_reason() {
            session.client.host().warn(format!(
                "Dropped `hold_reason` from a new incident: {} has no such field (the on-hold \
                 reason list arrived with Jakarta).",
                session.adapter.title()
            ));
            continue;
        }
        match body.get_mut(name) {
            // The vendor add-on's template may name a journal twice, to write it twice.
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
        session.config.correlation_display.as_str()
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
    body
}

/// The ticket of a create whose answer had no body (`X-no-response-body`, as in the capture
/// `output.ServiceNowOutputTest_insertRecordNoResponse.json`) or an `unreadable` one: the
/// record exists, and the `Location` header names it. `Err` says why the ticket is unknown.
fn ticket_from_location(
    session: &Session,
    response: &HttpResponse,
    unreadable: Option<String>,
) -> Result<Ticket, String> {
    let Some(sys_id) = response.header("location").and_then(sys_id_from_location) else {
        return Err(unreadable.unwrap_or_else(|| "no body and no Location header".to_owned()));
    };
    if let Some(e) = unreadable {
        session.client.host().warn(format!(
            "Created {} {sys_id}, but could not read the answer ({e}); its number is unknown.",
            session.config.table
        ));
    }
    Ok(Ticket {
        link: record::link(session.client.base_url(), &session.config.table, &sys_id).into(),
        id: sys_id.into(),
        ..Ticket::default()
    })
}
