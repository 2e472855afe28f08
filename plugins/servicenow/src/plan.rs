//! Cutting a batch into requests: which actions share one PATCH.
//!
//! Consecutive `AddNote`, `Update` and `ChangeState` actions on one ticket go into one PATCH
//! ("one request per consolidated update"), as long as merging them cannot change the result:
//! a group holds at most one entry per journal (two notes stay two journal entries) and at
//! most one state change, and no `Update` that touches the state fields of that change.
//! `Attach` actions on the same ticket are their own requests but do not end the group, so
//! `note, attach, reopen` costs one PATCH and one upload. Any other action, or an action on
//! another ticket, ends the group.
//!
//! The plan is pure: no IO, no clock. What is decided with the instance's answers (whether a
//! conditional state change applies) is left to `actions::update`.

use sluice_sdk::{Journal, PluginError, StateChange, TicketAction};

use crate::record::is_sys_id;

/// The journal fields: each write appends an entry, none is ever overwritten.
pub(crate) const JOURNALS: [&str; 2] = ["work_notes", "comments"];

/// Fields that belong to a state change; an `Update` carrying them is not merged with one.
const STATE_FIELDS: [&str; 4] = ["state", "incident_state", "close_code", "close_notes"];

/// What the planner needs from the config, the adapter and the instance.
#[derive(Debug, Clone)]
pub(crate) struct Rules<'a> {
    pub(crate) reopen_state: &'a str,
    pub(crate) closed_states: &'a [String],
    pub(crate) resolved_state: &'a str,
    pub(crate) closed_state: &'a str,
    pub(crate) default_close_code: &'a str,
    pub(crate) default_close_notes: &'a str,
    /// Whether the release has `hold_reason` (Jakarta and later).
    pub(crate) hold_reason: bool,
    /// The instance's close codes, when the start-up check read them.
    pub(crate) close_codes: Option<&'a [String]>,
}

/// One step of a batch, in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// An action that is its own request: `Create`, `Get`, `FindByCorrelation`, `Attach`.
    Single(usize),
    /// One PATCH (plus one follow-up for a conditional state change the sink could not decide
    /// up front) for these actions.
    Patch(Patch),
    /// An action refused before anything was sent.
    Refused(usize, PluginError),
}

impl Step {
    /// The actions this step reports on.
    pub(crate) fn members(&self) -> Vec<usize> {
        match self {
            Step::Single(i) | Step::Refused(i, _) => vec![*i],
            Step::Patch(patch) => patch.members.clone(),
        }
    }
}

/// Several actions on one ticket, as one partial update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patch {
    /// The ticket's sys_id.
    pub(crate) ticket: String,
    /// The actions, in batch order.
    pub(crate) members: Vec<usize>,
    /// Fields to write (journal entries and plain fields), in order; no name twice.
    pub(crate) fields: Vec<(String, String)>,
    /// The state change, if one of the actions is one.
    pub(crate) change: Option<Change>,
}

/// A state change within a [`Patch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// The action that asked for it.
    pub(crate) member: usize,
    /// The raw state to set.
    pub(crate) to: String,
    /// Apply only when the current state is one of these; `None`: always.
    pub(crate) only_from: Option<Vec<String>>,
    /// Fields that travel with the state in the same request: `close_code` and `close_notes`
    /// (instances that make close info mandatory refuse a resolve or close without them).
    pub(crate) with: Vec<(String, String)>,
}

/// The steps of a batch, and warnings to log.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
    pub(crate) warnings: Vec<String>,
}

/// One action, translated.
struct Piece {
    member: usize,
    fields: Vec<(String, String)>,
    change: Option<Change>,
}

/// Cuts `actions` into steps.
pub(crate) fn plan(actions: &[TicketAction], rules: &Rules<'_>) -> Plan {
    let mut plan = Plan::default();
    // The ticket of the current run, and the step index of its open PATCH group.
    let mut run: Option<&str> = None;
    let mut open: Option<usize> = None;
    for (i, action) in actions.iter().enumerate() {
        let ticket = action.ticket();
        if ticket != run {
            run = ticket;
            open = None;
        }
        match action {
            TicketAction::Create { .. }
            | TicketAction::Get { .. }
            | TicketAction::FindByCorrelation { .. } => {
                // A read must see the writes before it, and the writes after it must not move
                // before it.
                run = None;
                open = None;
                plan.steps.push(Step::Single(i));
            }
            TicketAction::Attach { .. } => plan.steps.push(Step::Single(i)),
            TicketAction::AddNote { .. }
            | TicketAction::Update { .. }
            | TicketAction::ChangeState { .. } => {
                match translate(i, action, rules, &mut plan.warnings) {
                    Err(error) => {
                        open = None;
                        plan.steps.push(Step::Refused(i, error));
                    }
                    Ok(piece) => {
                        let joined = open
                            .and_then(|g| match plan.steps.get_mut(g) {
                                Some(Step::Patch(patch)) => Some(patch),
                                _ => None,
                            })
                            .filter(|patch| accepts(patch, &piece))
                            .map(|patch| join(patch, &piece))
                            .is_some();
                        if !joined {
                            let mut patch = Patch {
                                ticket: ticket.unwrap_or_default().to_owned(),
                                members: Vec::new(),
                                fields: Vec::new(),
                                change: None,
                            };
                            join(&mut patch, &piece);
                            plan.steps.push(Step::Patch(patch));
                            open = Some(plan.steps.len() - 1);
                        }
                    }
                }
            }
            other => {
                run = None;
                open = None;
                plan.steps.push(Step::Refused(
                    i,
                    PluginError::unsupported(format!(
                        "the servicenow sink does not know the action `{}`",
                        other.kind()
                    )),
                ));
            }
        }
    }
    plan
}

/// Whether `piece` can join `patch` without changing the result.
fn accepts(patch: &Patch, piece: &Piece) -> bool {
    let has = |name: &str| patch.fields.iter().any(|(n, _)| n == name);
    if piece.change.is_some() && (patch.change.is_some() || STATE_FIELDS.iter().any(|f| has(f))) {
        return false;
    }
    piece.fields.iter().all(|(name, _)| {
        let journal_taken = JOURNALS.contains(&name.as_str()) && has(name);
        let state_taken = patch.change.is_some() && STATE_FIELDS.contains(&name.as_str());
        !journal_taken && !state_taken
    })
}

/// Adds `piece` to `patch`; a plain field set again keeps its last value, as sequential
/// updates would.
fn join(patch: &mut Patch, piece: &Piece) {
    patch.members.push(piece.member);
    for (name, value) in &piece.fields {
        patch.fields.retain(|(n, _)| n != name);
        patch.fields.push((name.clone(), value.clone()));
    }
    if let Some(change) = &piece.change {
        patch.change = Some(change.clone());
    }
}

/// One action as fields and a state change, or why it cannot be sent.
fn translate(
    member: usize,
    action: &TicketAction,
    rules: &Rules<'_>,
    warnings: &mut Vec<String>,
) -> Result<Piece, PluginError> {
    let ticket = action.ticket().unwrap_or_default();
    if !is_sys_id(ticket) {
        return Err(PluginError::rejected(format!(
            "{ticket:?} is not a ServiceNow sys_id (32 letters and digits); cannot {}",
            action.kind()
        )));
    }
    let mut piece = Piece {
        member,
        fields: Vec::new(),
        change: None,
    };
    match action {
        TicketAction::AddNote { journal, text, .. } => {
            let field = match journal {
                Journal::Comments => "comments",
                Journal::WorkNotes => "work_notes",
                other => {
                    return Err(PluginError::unsupported(format!(
                        "the servicenow sink does not know the journal {other:?}"
                    )))
                }
            };
            // An empty write creates no journal entry; nothing to send.
            if !text.is_empty() {
                piece.fields.push((field.to_owned(), text.clone()));
            }
        }
        TicketAction::Update { fields, .. } => {
            for (name, value) in fields.iter() {
                if name == "hold_reason" && !rules.hold_reason {
                    warnings.push(format!(
                        "Dropped `hold_reason` from an update of {ticket}: the configured release \
                         has no such field (it arrived with Jakarta), and the instance would \
                         drop it silently."
                    ));
                    continue;
                }
                let journal_repeat =
                    JOURNALS.contains(&name) && piece.fields.iter().any(|(n, _)| n == name);
                if journal_repeat {
                    // Two entries for one journal in one update: one entry, both texts.
                    if let Some((_, existing)) = piece.fields.iter_mut().find(|(n, _)| n == name) {
                        existing.push_str("\n\n");
                        existing.push_str(value);
                    }
                    continue;
                }
                piece.fields.retain(|(n, _)| n != name);
                piece.fields.push((name.to_owned(), value.to_owned()));
            }
        }
        TicketAction::ChangeState { change, .. } => {
            piece.change = Some(state_change(member, change, rules)?);
        }
        _ => {}
    }
    Ok(piece)
}

/// A named state change mapped onto the configured states.
fn state_change(
    member: usize,
    change: &StateChange,
    rules: &Rules<'_>,
) -> Result<Change, PluginError> {
    let close = |to: &str, code: &str, notes: &str| -> Result<Change, PluginError> {
        let code = if code.trim().is_empty() {
            rules.default_close_code
        } else {
            code
        };
        let notes = if notes.trim().is_empty() {
            rules.default_close_notes
        } else {
            notes
        };
        if let Some(codes) = rules.close_codes {
            if !codes.is_empty() && !codes.iter().any(|c| c == code) {
                // The instance would drop the value silently and then refuse or store an
                // incident without a resolution code (a data policy may require one).
                return Err(PluginError::rejected(format!(
                    "close code {code:?} is not one of the instance's: {}",
                    codes.join(", ")
                )));
            }
        }
        Ok(Change {
            member,
            to: to.to_owned(),
            only_from: None,
            with: vec![
                ("close_code".to_owned(), code.to_owned()),
                ("close_notes".to_owned(), notes.to_owned()),
            ],
        })
    };
    match change {
        StateChange::Reopen => Ok(Change {
            member,
            to: rules.reopen_state.to_owned(),
            only_from: Some(rules.closed_states.to_vec()),
            with: Vec::new(),
        }),
        StateChange::Resolve {
            close_code,
            close_notes,
        } => close(rules.resolved_state, close_code, close_notes),
        StateChange::Close {
            close_code,
            close_notes,
        } => close(rules.closed_state, close_code, close_notes),
        StateChange::Set { to, only_from } => Ok(Change {
            member,
            to: to.clone(),
            only_from: (!only_from.is_empty()).then(|| only_from.clone()),
            with: Vec::new(),
        }),
        other => Err(PluginError::unsupported(format!(
            "the servicenow sink does not know the state change {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use sluice_sdk::{Correlation, Fields};

    use super::*;

    const T1: &str = "3b1f0c6e4f1d130058ae7e918110c7a1";
    const T2: &str = "7c9e2b114f5d130058ae7e918110c7ff";

    fn rules(closed: &[String]) -> Rules<'_> {
        Rules {
            reopen_state: "1",
            closed_states: closed,
            resolved_state: "6",
            closed_state: "7",
            default_close_code: "Solved (Permanently)",
            default_close_notes: "Resolved by sluice.",
            hold_reason: false,
            close_codes: None,
        }
    }

    fn note(t: &str, text: &str) -> TicketAction {
        TicketAction::AddNote {
            ticket: t.into(),
            journal: Journal::WorkNotes,
            text: text.into(),
        }
    }

    fn change(t: &str, change: StateChange) -> TicketAction {
        TicketAction::ChangeState {
            ticket: t.into(),
            change,
        }
    }

    fn update(t: &str, pairs: &[(&str, &str)]) -> TicketAction {
        TicketAction::Update {
            ticket: t.into(),
            fields: pairs.iter().copied().collect::<Fields>(),
        }
    }

    fn attach(t: &str) -> TicketAction {
        TicketAction::Attach {
            ticket: t.into(),
            file_name: "a.txt".into(),
            content_type: "text/plain".into(),
            content: b"x".to_vec(),
        }
    }

    fn shape(plan: &Plan) -> Vec<Vec<usize>> {
        plan.steps.iter().map(Step::members).collect()
    }

    #[test]
    fn note_update_and_reopen_share_one_patch() {
        let closed = vec!["6".to_owned(), "7".to_owned()];
        let actions = [
            note(T1, "again"),
            update(T1, &[("urgency", "1"), ("hold_reason", "3")]),
            change(T1, StateChange::Reopen),
        ];
        let plan = plan(&actions, &rules(&closed));
        assert_eq!(shape(&plan), [vec![0, 1, 2]]);
        let Some(Step::Patch(patch)) = plan.steps.first() else {
            panic!("{plan:?}")
        };
        assert_eq!(
            patch.fields,
            [
                ("work_notes".to_owned(), "again".to_owned()),
                ("urgency".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(
            patch
                .change
                .as_ref()
                .map(|c| (c.to.as_str(), c.only_from.clone())),
            Some(("1", Some(closed.clone())))
        );
        assert_eq!(
            plan.warnings.len(),
            1,
            "hold_reason is dropped before Jakarta"
        );
    }

    #[test]
    fn attachments_do_not_end_the_group_but_other_tickets_and_reads_do() {
        let closed = vec!["6".to_owned()];
        let actions = [
            note(T1, "a"),
            attach(T1),
            change(T1, StateChange::Reopen),
            note(T2, "b"),
            note(T1, "c"),
            TicketAction::Get { ticket: T1.into() },
            note(T1, "d"),
        ];
        assert_eq!(
            shape(&plan(&actions, &rules(&closed))),
            [vec![0, 2], vec![1], vec![3], vec![4], vec![5], vec![6]]
        );
    }

    #[test]
    fn a_second_note_or_state_change_starts_a_new_patch() {
        let closed = vec!["6".to_owned()];
        let resolve = StateChange::Resolve {
            close_code: String::new(),
            close_notes: "fixed".into(),
        };
        let actions = [
            note(T1, "a"),
            change(T1, resolve),
            note(T1, "b"),
            change(T1, StateChange::Reopen),
            update(T1, &[("state", "2")]),
        ];
        let plan = plan(&actions, &rules(&closed));
        assert_eq!(shape(&plan), [vec![0, 1], vec![2, 3], vec![4]]);
        let Some(Step::Patch(first)) = plan.steps.first() else {
            panic!("{plan:?}")
        };
        assert_eq!(
            first.change.as_ref().map(|c| c.with.clone()),
            Some(vec![
                ("close_code".to_owned(), "Solved (Permanently)".to_owned()),
                ("close_notes".to_owned(), "fixed".to_owned())
            ])
        );
    }

    #[test]
    fn bad_ids_and_unknown_close_codes_are_refused_before_sending() {
        let closed = vec!["6".to_owned()];
        let codes = vec!["Solved (Permanently)".to_owned()];
        let mut rules = rules(&closed);
        rules.close_codes = Some(&codes);
        let actions = [
            note("../etc", "x"),
            change(
                T1,
                StateChange::Close {
                    close_code: "Duplicate".into(),
                    close_notes: "n".into(),
                },
            ),
            TicketAction::Create {
                correlation: Correlation {
                    id: "k".into(),
                    display: String::new().into(),
                },
                fields: Fields::new(),
            },
        ];
        let plan = plan(&actions, &rules);
        assert!(matches!(plan.steps[0], Step::Refused(0, _)), "{plan:?}");
        assert!(
            matches!(&plan.steps[1], Step::Refused(1, e) if e.message().contains("Duplicate")),
            "{plan:?}"
        );
        assert_eq!(plan.steps[2], Step::Single(2));
    }
}
