//! Executing a batch: the plan's steps, one outcome per action, and the SDK's rule that after
//! an action on a ticket fails, later actions on that ticket are reported `Retry` without being
//! sent.
//!
//! With `max_concurrent_requests` above 1, the steps of different tickets run side by side
//! (`concurrent`): a burst of N new incidents waits about N / `max_concurrent_requests` round
//! trips instead of N. Each ticket's own steps still go one after another, in batch order.
//!
//! Requests per action kind: `Create` 1 (POST); `Get` 1; `FindByCorrelation` 1; `Attach` 1
//! (binary upload); a run of `AddNote`/`Update`/`ChangeState` on one ticket 1 PATCH, plus one
//! follow-up PATCH only when a conditional change (a reopen) turns out to apply and the sink had
//! not seen the ticket closed before (see `update`).

mod attach;
mod concurrent;
mod create;
mod lookup;
mod update;

use std::collections::HashSet;

use serde_json::Value;
use sluice_sdk::{ActionOutcome, PluginError, Ticket, TicketAction};

use crate::envelope;
use crate::plan::{self, Step, JOURNALS};
use crate::query::Query;
use crate::record::{self, TICKET_FIELDS};
use crate::session::Session;

/// Runs `actions` and returns exactly one outcome per action, in order.
pub(crate) fn deliver(session: &Session, actions: &[TicketAction]) -> Vec<ActionOutcome> {
    let plan = plan::plan(actions, &session.rules());
    for warning in &plan.warnings {
        session.client.host().warn(warning);
    }
    let limit = session.config.max_concurrent_requests;
    let groups = if limit > 1 {
        concurrent::by_ticket(&plan.steps, actions)
    } else {
        Vec::new()
    };
    let workers = limit.min(groups.len());
    let results = if workers > 1 {
        concurrent::run(
            workers,
            &groups,
            |steps| run_steps(session, actions, steps.iter().copied()),
            |error| {
                session.client.host().warn(format!(
                    "Could not start a thread to deliver to ServiceNow ({error}); the batch \
                     goes out with fewer requests in flight."
                ))
            },
        )
    } else {
        // One ticket, or one request at a time: the plan's order, on this thread.
        run_steps(session, actions, &plan.steps)
    };
    let mut outcomes: Vec<Option<ActionOutcome>> = vec![None; actions.len()];
    for (i, outcome) in results {
        if let Some(slot) = outcomes.get_mut(i) {
            *slot = Some(outcome);
        }
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                ActionOutcome::Failed(PluginError::internal(
                    "the servicenow sink planned no step for this action",
                ))
            })
        })
        .collect()
}

/// Runs `steps` in order and answers for their members. After an action on a ticket did not
/// succeed, later steps on that ticket are answered `Retry` without being sent: they may
/// depend on it (a note on a ticket whose reopen failed).
fn run_steps<'a>(
    session: &Session,
    actions: &[TicketAction],
    steps: impl IntoIterator<Item = &'a Step>,
) -> Vec<(usize, ActionOutcome)> {
    let mut results: Vec<(usize, ActionOutcome)> = Vec::new();
    let mut failed: HashSet<&str> = HashSet::new();
    for step in steps {
        if ticket_of(step, actions).is_some_and(|t| failed.contains(t)) {
            results.extend(step.members().into_iter().map(|i| {
                (
                    i,
                    ActionOutcome::retry(
                        "not sent: an earlier action on this ticket in the batch did not succeed",
                    ),
                )
            }));
            continue;
        }
        let start = results.len();
        match step {
            Step::Single(i) => results.push((*i, single(session, &actions[*i]))),
            Step::Patch(patch) => results.extend(update::run(session, patch)),
            Step::Refused(i, error) => results.push((*i, ActionOutcome::Failed(error.clone()))),
        }
        for (i, outcome) in &results[start..] {
            let settled = matches!(
                outcome,
                ActionOutcome::Done(_) | ActionOutcome::Unchanged(_) | ActionOutcome::NotFound
            );
            if !settled {
                if let Some(t) = actions.get(*i).and_then(TicketAction::ticket) {
                    failed.insert(t);
                }
            }
        }
    }
    results
}

/// The ticket a step acts on: its first action's. `None` for `Create` and
/// `FindByCorrelation`, which name no ticket.
fn ticket_of<'a>(step: &Step, actions: &'a [TicketAction]) -> Option<&'a str> {
    let first = match step {
        Step::Single(i) | Step::Refused(i, _) => Some(*i),
        Step::Patch(patch) => patch.members.first().copied(),
    };
    first
        .and_then(|i| actions.get(i))
        .and_then(TicketAction::ticket)
}

/// An action that is a request of its own.
fn single(session: &Session, action: &TicketAction) -> ActionOutcome {
    match action {
        TicketAction::Create {
            correlation,
            fields,
        } => create::run(session, correlation, fields),
        TicketAction::Get { ticket } => lookup::get(session, ticket),
        TicketAction::FindByCorrelation { correlation_id } => lookup::find(session, correlation_id),
        TicketAction::Attach {
            ticket,
            file_name,
            content_type,
            content,
        } => attach::run(session, ticket, file_name, content_type, content),
        other => ActionOutcome::Failed(PluginError::internal(format!(
            "`{}` is not a single-request action",
            other.kind()
        ))),
    }
}

/// The query of a request that returns a record: display values and raw values together
/// (`sysparm_display_value=all`), no reference links, and the fields a [`Ticket`] needs
/// plus `written` (journals excluded: they read back empty, or as the whole journal).
/// `fields = None` asks for every field.
fn record_query<'a>(written: Option<impl Iterator<Item = &'a str>>) -> Query {
    let query = Query::new()
        .param("sysparm_display_value", "all")
        .param("sysparm_exclude_reference_link", "true");
    match written {
        None => query,
        Some(written) => {
            let mut names: Vec<&str> = TICKET_FIELDS.to_vec();
            for name in written {
                if !JOURNALS.contains(&name) && !names.contains(&name) {
                    names.push(name);
                }
            }
            query.param("sysparm_fields", &names.join(","))
        }
    }
}

/// The ticket in a record-returning answer: `Ok(None)` for an empty body.
fn ticket_in(session: &Session, body: &[u8]) -> Result<Option<Ticket>, String> {
    match envelope::result(body)? {
        None => Ok(None),
        Some(Value::Array(_)) => Err("expected one record, got a list".to_owned()),
        Some(record) => record::ticket(&record, session.client.base_url(), &session.config.table)
            .map(Some)
            .ok_or_else(|| format!("the record has no sys_id: {}", envelope::summary(body))),
    }
}

/// A ticket from what the sink remembers, for answers without a body.
fn remembered(session: &Session, sys_id: &str, state: Option<&str>) -> Ticket {
    let seen = session.known.get(sys_id).unwrap_or_default();
    Ticket {
        id: sys_id.to_owned().into(),
        number: seen.number.into(),
        link: record::link(session.client.base_url(), &session.config.table, sys_id).into(),
        state: state.map(str::to_owned).unwrap_or(seen.state).into(),
        ..Ticket::default()
    }
}
