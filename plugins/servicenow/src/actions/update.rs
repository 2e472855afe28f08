//! A run of `AddNote`, `Update` and `ChangeState` on one ticket as one PATCH (a partial
//! update: only the fields sent change; each write to a journal field appends an entry).
//!
//! State changes:
//!
//! - `Resolve`/`Close` and an unconditional `Set` go in the same PATCH, with `close_code` and
//!   `close_notes` beside the state (instances that make close info mandatory refuse the
//!   state without them).
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
//!   instances that deny it (a record-level ACL) the PATCH fails with 403 `ACL Exception
//!   Update Failed` and the actions are `Failed` with that advice — never retried in a loop.

use serde_json::{Map, Value};
use sluice_sdk::{ActionOutcome, PluginError, Ticket};

use super::{record_query, remembered, ticket_in};
use crate::classify::CallError;
use crate::client::Call;
use crate::plan::{Change, Patch};
use crate::record::TICKET_FIELDS;
use crate::session::Session;

/// When a patch's state change is sent.
#[derive(Debug, Clone, Copy)]
enum StateTiming<'a> {
    /// The patch changes no state.
    NoChange,
    /// In the first request, beside the fields: the change is unconditional, or the sink last
    /// saw the ticket in a state it may move from.
    WithFields(&'a Change),
    /// In a second request, only if the first one's answer shows a state it may move from.
    AfterAnswer(&'a Change),
}

/// Runs `patch`; one outcome per member.
pub(crate) fn run(session: &Session, patch: &Patch) -> Vec<(usize, ActionOutcome)> {
    let name = session.name_of(&patch.ticket);
    let timing = state_timing(session, patch);
    if patch.members.len() > 1 {
        session.client.host().debug(format!(
            "{} actions on {name} in one PATCH{}.",
            patch.members.len(),
            if matches!(timing, StateTiming::AfterAnswer(_)) {
                " (a conditional state change waits for its answer)"
            } else {
                ""
            }
        ));
    }
    let first = match first_request(session, patch, timing) {
        Ok(ticket) => ticket,
        Err(error) => {
            let outcome = error.outcome(&format!("update {name}"));
            return patch
                .members
                .iter()
                .map(|m| (*m, outcome.clone()))
                .collect();
        }
    };
    session.known.remember(&first);
    match timing {
        StateTiming::NoChange => all_done(patch, &first),
        StateTiming::WithFields(change) => {
            let outcome = applied(session, &name, change, first.clone());
            done_but_change(patch, &first, change, outcome)
        }
        StateTiming::AfterAnswer(change) => {
            change_after_answer(session, patch, &name, change, first)
        }
    }
}

/// Whether the state change, if any, can go into the first request.
fn state_timing<'a>(session: &Session, patch: &'a Patch) -> StateTiming<'a> {
    let Some(change) = patch.change.as_ref() else {
        return StateTiming::NoChange;
    };
    let decided = match &change.only_from {
        None => true,
        Some(from) => session
            .known
            .state(&patch.ticket)
            .is_some_and(|s| from.contains(&s)),
    };
    if decided {
        StateTiming::WithFields(change)
    } else {
        StateTiming::AfterAnswer(change)
    }
}

/// The fields of the patch (and the state, if it is decided) in one PATCH, or a GET of the
/// current state when there is nothing to write.
fn first_request(
    session: &Session,
    patch: &Patch,
    timing: StateTiming<'_>,
) -> Result<Ticket, CallError> {
    let mut body = patch.fields.clone();
    if let StateTiming::WithFields(change) = timing {
        body.extend(state_fields(change));
    }
    if body.is_empty() {
        return read(session, &patch.ticket);
    }
    // The answer is not needed when no decision depends on it.
    let lean =
        session.config.suppress_update_bodies && !matches!(timing, StateTiming::AfterAnswer(_));
    write(session, &patch.ticket, &body, lean)
}

/// A conditional change, once the first answer showed the ticket's current state: set now in
/// a second PATCH if that state allows it, else `Unchanged`.
fn change_after_answer(
    session: &Session,
    patch: &Patch,
    name: &str,
    change: &Change,
    first: Ticket,
) -> Vec<(usize, ActionOutcome)> {
    let allowed = change
        .only_from
        .as_ref()
        .is_some_and(|from| from.iter().any(|s| *s == first.state));
    if !allowed {
        let unchanged = ActionOutcome::Unchanged(first.clone());
        return done_but_change(patch, &first, change, unchanged);
    }
    match write(session, &patch.ticket, &state_fields(change), false) {
        Ok(ticket) => {
            session.known.remember(&ticket);
            let outcome = applied(session, name, change, ticket.clone());
            done_but_change(patch, &ticket, change, outcome)
        }
        Err(error) => {
            let doing = format!("set the state of {name} to {}", change.to);
            done_but_change(patch, &first, change, error.outcome(&doing))
        }
    }
}

/// `state` and the fields that travel with it (`close_code`, `close_notes`).
fn state_fields(change: &Change) -> Vec<(String, String)> {
    let mut fields = vec![("state".to_owned(), change.to.clone())];
    fields.extend(change.with.iter().cloned());
    fields
}

/// `Done(ticket)` for every member of the patch.
fn all_done(patch: &Patch, ticket: &Ticket) -> Vec<(usize, ActionOutcome)> {
    patch
        .members
        .iter()
        .map(|m| (*m, ActionOutcome::Done(ticket.clone())))
        .collect()
}

/// `Done(ticket)` for every member but the state change's, which gets `outcome`; in member
/// order.
fn done_but_change(
    patch: &Patch,
    ticket: &Ticket,
    change: &Change,
    outcome: ActionOutcome,
) -> Vec<(usize, ActionOutcome)> {
    let mut results: Vec<(usize, ActionOutcome)> = patch
        .members
        .iter()
        .filter(|m| **m != change.member)
        .map(|m| (*m, ActionOutcome::Done(ticket.clone())))
        .collect();
    results.push((change.member, outcome));
    results.sort_by_key(|(m, _)| *m);
    results
}

/// The outcome of a state change that was sent: `Done`, unless the answer shows another state
/// (a field ACL or business rule kept it; the instance says nothing in that case).
fn applied(session: &Session, name: &str, change: &Change, ticket: Ticket) -> ActionOutcome {
    if ticket.state.is_empty() || ticket.state == change.to {
        return ActionOutcome::Done(ticket);
    }
    session.client.host().warn(format!(
        "ServiceNow accepted the update of {name} but left its state at {:?} instead of {:?}.",
        ticket.state, change.to
    ));
    ActionOutcome::Failed(PluginError::rejected(format!(
        "ServiceNow accepted the update of {name} but its state is {:?}, not {:?}: a field-level \
         ACL, business rule or the state model kept it (ServiceNow reports no error for \
         those)",
        ticket.state, change.to
    )))
}

/// One PATCH of `fields`; with `lean`, asks for no answer body (`X-no-response-body`).
fn write(
    session: &Session,
    sys_id: &str,
    fields: &[(String, String)],
    lean: bool,
) -> Result<Ticket, CallError> {
    let body: Map<String, Value> = fields
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    let query = record_query(Some(fields.iter().map(|(n, _)| n.as_str())));
    let mut call = Call::patch_json(session.record_path(sys_id), query, &Value::Object(body));
    if lean {
        call = call.header("X-no-response-body", "true");
    }
    let response = session.client.send(&call)?;
    let sent_state = fields
        .iter()
        .find(|(n, _)| n == "state")
        .map(|(_, v)| v.as_str());
    match ticket_in(session, &response.body) {
        Ok(Some(ticket)) => Ok(ticket),
        // No body (asked for, or a proxy ate it): the update applied; report what is known.
        Ok(None) => Ok(remembered(session, sys_id, sent_state)),
        Err(e) => {
            session.client.host().warn(format!(
                "Updated {}, but could not read the answer: {e}",
                session.name_of(sys_id)
            ));
            Ok(remembered(session, sys_id, sent_state))
        }
    }
}

/// One GET of the fields a ticket needs: the current state, for a conditional change with
/// nothing else to write.
fn read(session: &Session, sys_id: &str) -> Result<Ticket, CallError> {
    let call = Call::get(
        session.record_path(sys_id),
        record_query(Some(TICKET_FIELDS.iter().copied())),
    );
    let response = session.client.send(&call)?;
    ticket_in(session, &response.body)
        .and_then(|t| t.ok_or_else(|| "the answer has no body".to_owned()))
        .map_err(CallError::Protocol)
}
