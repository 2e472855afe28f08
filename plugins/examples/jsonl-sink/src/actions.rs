//! What each ticket action writes: its journal line, or an answer without one.
//!
//! Nothing here does IO, so the mapping from the SDK's actions to this sink's format can be
//! read, and tested, on its own. States use ServiceNow's numbering, so a pipeline's rules read
//! the same whichever of the two sinks it delivers to.

use sluice_sdk::{
    ActionOutcome, Correlation, Fields, Journal, PluginError, StateChange, Ticket, TicketAction,
};

use crate::journal::{JournalLine, LineAction};

/// The state of a new or reopened ticket.
const NEW_STATE: &str = "1";
/// The state `Resolve` sets.
const RESOLVED_STATE: &str = "6";
/// The state `Close` sets.
const CLOSED_STATE: &str = "7";
/// The states `Reopen` reopens from: resolved, closed and canceled.
const CLOSED_STATES: [&str; 3] = ["6", "7", "8"];

/// What an action on an existing ticket comes to, decided before anything is written.
#[derive(Debug)]
pub(crate) enum Step {
    /// Append this line, then report the ticket as the line leaves it.
    Append(JournalLine),
    /// Write nothing, and report this.
    Answer(ActionOutcome),
}

/// Where a state change takes a ticket.
#[derive(Debug)]
struct Transition {
    /// The new state.
    state: String,
    /// The fields written with it: the resolution code and notes, if any.
    fields: Vec<(String, String)>,
}

impl Transition {
    /// To `state`, writing no fields.
    fn to(state: impl Into<String>) -> Self {
        Transition {
            state: state.into(),
            fields: Vec::new(),
        }
    }

    /// To `state`, with the resolution code and notes in the same line: the SDK's `Resolve` and
    /// `Close` carry them with the change, so a resolved ticket always says why.
    fn resolved(state: &str, close_code: String, close_notes: String) -> Self {
        Transition {
            state: state.to_owned(),
            fields: vec![
                ("close_code".to_owned(), close_code),
                ("close_notes".to_owned(), close_notes),
            ],
        }
    }
}

/// The line that opens the ticket with serial `serial`: id `t<serial>`, number
/// `<prefix><serial, 7 digits>`.
pub(crate) fn create(
    serial: u64,
    number_prefix: &str,
    correlation: Correlation,
    fields: Fields,
    unix_ms: i64,
) -> JournalLine {
    let id = format!("t{serial}");
    JournalLine {
        number: Some(format!("{number_prefix}{serial:07}")),
        correlation_id: Some(correlation.id.into_string()),
        ..JournalLine::new(unix_ms, LineAction::Create, &id, NEW_STATE)
            .with_fields(fields.into_vec())
    }
}

/// What `action` (an update, a note, an attachment or a state change) does to `ticket`.
pub(crate) fn on_ticket(action: TicketAction, ticket: &Ticket, unix_ms: i64) -> Step {
    // These leave the state as it is; only the action and its fields differ.
    let line = |kind, fields| {
        let line = JournalLine::new(unix_ms, kind, &ticket.id, &ticket.state);
        Step::Append(line.with_fields(fields))
    };
    match action {
        TicketAction::Update { fields, .. } => line(LineAction::Update, fields.into_vec()),
        TicketAction::AddNote { journal, text, .. } => line(
            LineAction::AddNote,
            vec![(note_field(journal).to_owned(), text)],
        ),
        TicketAction::Attach {
            file_name, content, ..
        } => {
            let attachment = format!("{file_name} ({} bytes)", content.len());
            line(
                LineAction::Attach,
                vec![("attachment".to_owned(), attachment)],
            )
        }
        TicketAction::ChangeState { change, .. } => change_state(change, ticket, unix_ms),
        other => Step::Answer(ActionOutcome::Failed(PluginError::unsupported(format!(
            "jsonl does not support {}",
            other.kind()
        )))),
    }
}

/// The field a note is recorded under: the name of the ticket journal it went to.
fn note_field(journal: Journal) -> &'static str {
    match journal {
        Journal::Comments => "comments",
        // Work notes, and any journal a newer SDK adds: internal notes are the safe default.
        _ => "work_notes",
    }
}

/// What a state change does to `ticket`: a line, `Unchanged` when its condition does not hold,
/// or a failure for a change a newer SDK added.
fn change_state(change: StateChange, ticket: &Ticket, unix_ms: i64) -> Step {
    match transition(change, &ticket.state) {
        Ok(Some(Transition { state, fields })) => Step::Append(
            JournalLine::new(unix_ms, LineAction::ChangeState, &ticket.id, &state)
                .with_fields(fields),
        ),
        Ok(None) => Step::Answer(ActionOutcome::Unchanged(ticket.clone())),
        Err(error) => Step::Answer(ActionOutcome::Failed(error)),
    }
}

/// Where `change` takes a ticket in state `current`; `None` when it does not apply (a reopen
/// of an open ticket, a `Set` whose `only_from` excludes `current`).
fn transition(change: StateChange, current: &str) -> Result<Option<Transition>, PluginError> {
    let transition = match change {
        StateChange::Reopen if CLOSED_STATES.contains(&current) => Transition::to(NEW_STATE),
        StateChange::Reopen => return Ok(None),
        StateChange::Resolve {
            close_code,
            close_notes,
        } => Transition::resolved(RESOLVED_STATE, close_code, close_notes),
        StateChange::Close {
            close_code,
            close_notes,
        } => Transition::resolved(CLOSED_STATE, close_code, close_notes),
        set @ StateChange::Set { .. } if !set.applies_to(current) => return Ok(None),
        StateChange::Set { to, .. } => Transition::to(to),
        other => {
            return Err(PluginError::unsupported(format!(
                "jsonl does not support the state change {other:?}"
            )))
        }
    };
    Ok(Some(transition))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket_in(state: &str) -> Ticket {
        Ticket {
            id: "t1".into(),
            state: state.into(),
            ..Ticket::default()
        }
    }

    fn apply_change(change: StateChange, state: &str) -> Step {
        on_ticket(
            TicketAction::ChangeState {
                ticket: "t1".into(),
                change,
            },
            &ticket_in(state),
            0,
        )
    }

    #[test]
    fn conditional_changes_that_do_not_apply_write_nothing() {
        for (change, state) in [
            (StateChange::Reopen, "1"),
            (StateChange::set("2").only_from(["1"]), "6"),
        ] {
            let step = apply_change(change, state);
            assert!(
                matches!(&step, Step::Answer(ActionOutcome::Unchanged(t)) if t.state == state),
                "{step:?}"
            );
        }
    }

    #[test]
    fn resolving_writes_the_resolution_with_the_state() {
        let resolve = StateChange::Resolve {
            close_code: "Solved".to_owned(),
            close_notes: "done".to_owned(),
        };
        let Step::Append(line) = apply_change(resolve, "1") else {
            panic!("a resolve writes a line")
        };
        assert_eq!(
            (line.action, line.state.as_str()),
            (LineAction::ChangeState, "6")
        );
        assert_eq!(
            line.fields,
            [("close_code", "Solved"), ("close_notes", "done")]
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }
}
