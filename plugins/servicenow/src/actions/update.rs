//! A run of `AddNote`, `Update` and `ChangeState` on one ticket as one PATCH (reference §1.1:
//! a partial update; §2.2: journal fields append).
//!
//! State changes:
//!
//! - `Resolve`/`Close` and an unconditional `Set` go in the same PATCH, with `close_code` and
//!   `close_notes` beside the state (§3.4: instances that enforce close info refuse the state
//!   without them).
//! - `Reopen` (and `Set` with `only_from`) applies only if the ticket is in one of the states
//!   it may move from. ServiceNow has no conditional update, so:
//!   - if the sink **last saw** the ticket in such a state (a `Get` or `FindByCorrelation` the
//!     host made before deciding, or an earlier answer), the state goes into the same PATCH:
//!     **one request**;
//!   - otherwise the PATCH goes without the state, its answer carries the current state, and
//!     only if that state allows the change does a second PATCH set it; if not, the change is
//!     `Unchanged` — one request in the common case of a ticket that is still open.
//!
//!   A run with nothing else to write reads the state with a GET instead of the first PATCH.
//!   Writing to a Closed or Canceled incident needs write access to inactive incidents; on
//!   instances that deny it (the strict ACL, §3.5, §6.6) the PATCH fails with 403 and the
//!   actions are `Failed` with that advice — never retried in a loop.

use serde_json::{Map, Value};
use sluice_sdk::{ActionOutcome, PluginError, Ticket};

use super::{record_query, remembered, ticket_in};
use crate::classify::CallError;
use crate::client::Call;
use crate::plan::{Change, Patch};
use crate::record::TICKET_FIELDS;
use crate::sink::ServiceNow;

/// Runs `patch`; one outcome per member.
pub(crate) fn run(sink: &ServiceNow, patch: &Patch) -> Vec<(usize, ActionOutcome)> {
    let name = sink.name_of(&patch.ticket);
    let known = sink.known.state(&patch.ticket);
    let change = patch.change.as_ref();
    // Whether the state goes into the first request, or waits for its answer.
    let decided = change.is_some_and(|c| match &c.only_from {
        None => true,
        Some(from) => known
            .as_deref()
            .is_some_and(|s| from.iter().any(|f| f == s)),
    });
    let mut body = patch.fields.clone();
    if let (Some(c), true) = (change, decided) {
        body.push(("state".to_owned(), c.to.clone()));
        body.extend(c.with.iter().cloned());
    }
    let pending = change.filter(|_| !decided);
    if patch.members.len() > 1 {
        sink.client.host().debug(format!(
            "{} actions on {name} in one PATCH{}.",
            patch.members.len(),
            if pending.is_some() {
                " (a conditional state change waits for its answer)"
            } else {
                ""
            }
        ));
    }
    let doing = format!("update {name}");
    let first = if body.is_empty() {
        read(sink, &patch.ticket)
    } else {
        // The answer is not needed when no decision depends on it.
        let lean = sink.config.suppress_update_bodies && pending.is_none();
        write(sink, &patch.ticket, &body, lean)
    };
    let first = match first {
        Ok(ticket) => ticket,
        Err(error) => {
            let outcome = error.outcome(&doing);
            return patch
                .members
                .iter()
                .map(|m| (*m, outcome.clone()))
                .collect();
        }
    };
    sink.known.remember(&first);
    let others = |ticket: &Ticket, except: Option<usize>| -> Vec<(usize, ActionOutcome)> {
        patch
            .members
            .iter()
            .filter(|m| Some(**m) != except)
            .map(|m| (*m, ActionOutcome::Done(ticket.clone())))
            .collect()
    };
    match (change, pending) {
        (None, _) => others(&first, None),
        (Some(c), None) => {
            let mut results = others(&first, Some(c.member));
            results.push((c.member, applied(sink, &name, c, first)));
            results.sort_by_key(|(m, _)| *m);
            results
        }
        (Some(_), Some(c)) => {
            let allowed = c
                .only_from
                .as_ref()
                .is_some_and(|from| from.iter().any(|s| *s == first.state));
            if !allowed {
                let mut results = others(&first, Some(c.member));
                results.push((c.member, ActionOutcome::Unchanged(first)));
                results.sort_by_key(|(m, _)| *m);
                return results;
            }
            // The ticket is in a state the change applies to: set it now.
            let mut state_body = vec![("state".to_owned(), c.to.clone())];
            state_body.extend(c.with.iter().cloned());
            let second = write(sink, &patch.ticket, &state_body, false);
            let mut results;
            match second {
                Ok(ticket) => {
                    sink.known.remember(&ticket);
                    results = others(&ticket, Some(c.member));
                    results.push((c.member, applied(sink, &name, c, ticket)));
                }
                Err(error) => {
                    results = others(&first, Some(c.member));
                    let doing = format!("set the state of {name} to {}", c.to);
                    results.push((c.member, error.outcome(&doing)));
                }
            }
            results.sort_by_key(|(m, _)| *m);
            results
        }
    }
}

/// The outcome of a state change that was sent: `Done`, unless the answer shows another state
/// (a field ACL or business rule kept it; the instance says nothing in that case, §1.8).
fn applied(sink: &ServiceNow, name: &str, change: &Change, ticket: Ticket) -> ActionOutcome {
    if ticket.state.is_empty() || ticket.state == change.to {
        return ActionOutcome::Done(ticket);
    }
    sink.client.host().warn(format!(
        "ServiceNow accepted the update of {name} but left its state at {:?} instead of {:?}.",
        ticket.state, change.to
    ));
    ActionOutcome::Failed(PluginError::rejected(format!(
        "ServiceNow accepted the update of {name} but its state is {:?}, not {:?}: a field-level \
         ACL, business rule or the state model kept it, without an error (reference §1.8)",
        ticket.state, change.to
    )))
}

/// One PATCH of `fields`; with `lean`, asks for no answer body (`X-no-response-body`, §1.5).
fn write(
    sink: &ServiceNow,
    sys_id: &str,
    fields: &[(String, String)],
    lean: bool,
) -> Result<Ticket, CallError> {
    let body: Map<String, Value> = fields
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    let query = record_query(Some(fields.iter().map(|(n, _)| n.as_str())));
    let mut call = Call::patch_json(sink.record_path(sys_id), query, &Value::Object(body));
    if lean {
        call = call.header("X-no-response-body", "true");
    }
    let response = sink.client.send(&call)?;
    let sent_state = fields
        .iter()
        .find(|(n, _)| n == "state")
        .map(|(_, v)| v.as_str());
    match ticket_in(sink, &response.body) {
        Ok(Some(ticket)) => Ok(ticket),
        // No body (asked for, or a proxy ate it): the update applied; report what is known.
        Ok(None) => Ok(remembered(sink, sys_id, sent_state)),
        Err(e) => {
            sink.client.host().warn(format!(
                "Updated {}, but could not read the answer: {e}",
                sink.name_of(sys_id)
            ));
            Ok(remembered(sink, sys_id, sent_state))
        }
    }
}

/// One GET of the fields a ticket needs: the current state, for a conditional change with
/// nothing else to write.
fn read(sink: &ServiceNow, sys_id: &str) -> Result<Ticket, CallError> {
    let call = Call::get(
        sink.record_path(sys_id),
        record_query(Some(TICKET_FIELDS.iter().copied())),
    );
    let response = sink.client.send(&call)?;
    ticket_in(sink, &response.body)
        .and_then(|t| t.ok_or_else(|| "the answer has no body".to_owned()))
        .map_err(CallError::Protocol)
}
