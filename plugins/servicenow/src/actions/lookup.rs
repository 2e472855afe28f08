//! `Get` and `FindByCorrelation`: one GET each, with raw **and** display values
//! (`sysparm_display_value=all`) of every field, because the host's correlation text shows
//! the display values of `assigned_to`, `assignment_group` and `state` and may name any other
//! field.

use serde_json::Value;
use sluice_sdk::{ActionOutcome, PluginError};

use super::create::check_correlation_id;
use super::{record_query, ticket_in};
use crate::client::Call;
use crate::envelope;
use crate::record::{self, is_sys_id};
use crate::session::Session;

/// Reads one ticket by sys_id; 404 is `NotFound`.
pub(super) fn get(session: &Session, sys_id: &str) -> ActionOutcome {
    if !is_sys_id(sys_id) {
        return ActionOutcome::Failed(PluginError::rejected(format!(
            "{sys_id:?} is not a ServiceNow sys_id (32 letters and digits)"
        )));
    }
    let call = Call::get(
        session.record_path(sys_id),
        record_query(None::<std::iter::Empty<&str>>),
    );
    let doing = format!("read {}", session.name_of(sys_id));
    let response = match session.client.send(&call) {
        Ok(response) => response,
        // 404 "No Record found" (capture output.ServiceNowOutputTest_deleteNonExistingRecord.json).
        Err(e) if e.rejected_status() == Some(404) => return ActionOutcome::NotFound,
        Err(e) => return e.outcome(&doing),
    };
    match ticket_in(session, &response.body) {
        Ok(Some(ticket)) => {
            session.known.remember(&ticket);
            ActionOutcome::Done(ticket)
        }
        Ok(None) => ActionOutcome::retry(format!("cannot {doing}: the answer has no body")),
        Err(e) => ActionOutcome::retry(format!("cannot {doing}: {e}")),
    }
}

/// The newest ticket carrying `correlation_id`:
/// `correlation_id=<key>^ORDERBYDESCsys_created_on` (the lookup Elastic's ServiceNow connector
/// makes too). Two rows are asked for: a second one is a duplicate ticket (a create the
/// instance committed later than anyone could wait for), reported so an agent can close it.
pub(super) fn find(session: &Session, correlation_id: &str) -> ActionOutcome {
    if let Err(error) = check_correlation_id(correlation_id) {
        return ActionOutcome::Failed(error);
    }
    let query = record_query(None::<std::iter::Empty<&str>>)
        .param(
            "sysparm_query",
            &format!("correlation_id={correlation_id}^ORDERBYDESCsys_created_on"),
        )
        .param("sysparm_limit", "2")
        .param("sysparm_suppress_pagination_header", "true");
    let call = Call::get(session.table_path(), query);
    let doing = format!(
        "look up the {} with correlation key {correlation_id:?}",
        session.config.table
    );
    let response = match session.client.send(&call) {
        Ok(response) => response,
        // v1 answers an empty result with 404 (ServiceNow KB0551763); v2 with `[]`.
        Err(e)
            if e.rejected_status() == Some(404)
                && session.adapter.table_api().empty_query_is_404() =>
        {
            return ActionOutcome::NotFound
        }
        Err(e) => return e.outcome(&doing),
    };
    let rows = match envelope::result(&response.body) {
        Ok(Some(Value::Array(rows))) => rows,
        Ok(_) => return ActionOutcome::retry(format!("cannot {doing}: the answer is not a list")),
        Err(e) => return ActionOutcome::retry(format!("cannot {doing}: {e}")),
    };
    let mut tickets = rows
        .iter()
        .map(|row| record::ticket(row, session.client.base_url(), &session.config.table));
    let newest = match tickets.next() {
        None => return ActionOutcome::NotFound,
        Some(None) => {
            return ActionOutcome::retry(format!("cannot {doing}: the record has no sys_id"))
        }
        Some(Some(ticket)) => ticket,
    };
    if let Some(Some(older)) = tickets.next() {
        session.client.host().warn(format!(
            "Duplicate {table}s: {} and {} both carry correlation key {correlation_id:?}; \
             sluice keeps to the newer one, {}. Close {} as a duplicate of it.",
            newest.number,
            older.number,
            newest.number,
            older.number,
            table = session.config.table,
        ));
    }
    session.known.remember(&newest);
    ActionOutcome::Done(newest)
}
