//! [`TicketAction`] and [`ActionOutcome`]: what the host asks a sink to do, and what happened.

use std::time::Duration;

use crate::{Fields, PluginError, Text};

/// One thing the host asks a sink to do to a ticket.
///
/// The host decides *what* to do (create, update, reopen…, after suppression and mapping); a
/// sink only executes it against its system and reports an [`ActionOutcome`]. Tickets are
/// named by the sink's own id (ServiceNow: the `sys_id`), as returned in [`Ticket::id`].
///
/// A batch may hold several actions for the same ticket, in order. A sink may coalesce
/// consecutive ones into one request (for example a work note and a state change), reporting
/// the same outcome for each. If an action does not succeed, the sink must not run later
/// actions on the same ticket in that batch: it reports them as [`ActionOutcome::Retry`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketAction {
    /// Open a new ticket with these fields, tagged with the correlation key.
    Create {
        /// The key that finds this ticket again after a crash.
        correlation: Correlation,
        /// Ticket fields, already rendered by the host's mapping.
        fields: Fields,
    },
    /// Set these fields on an existing ticket.
    Update {
        /// The sink's id of the ticket.
        ticket: Text,
        /// The fields to set.
        fields: Fields,
    },
    /// Append a note to one of the ticket's journals.
    AddNote {
        /// The sink's id of the ticket.
        ticket: Text,
        /// Which journal.
        journal: Journal,
        /// The note.
        text: String,
    },
    /// Attach a file to the ticket.
    Attach {
        /// The sink's id of the ticket.
        ticket: Text,
        /// File name shown to users.
        file_name: String,
        /// MIME type of `content`.
        content_type: String,
        /// The file's bytes.
        content: Vec<u8>,
    },
    /// Move the ticket to another state.
    ChangeState {
        /// The sink's id of the ticket.
        ticket: Text,
        /// The change.
        change: StateChange,
    },
    /// Read the ticket's current fields.
    Get {
        /// The sink's id of the ticket.
        ticket: Text,
    },
    /// Find the newest ticket carrying this correlation key.
    FindByCorrelation {
        /// The key given at [`TicketAction::Create`].
        correlation_id: Text,
    },
}

impl TicketAction {
    /// The ticket this action is about, if it names one.
    pub fn ticket(&self) -> Option<&str> {
        match self {
            TicketAction::Update { ticket, .. }
            | TicketAction::AddNote { ticket, .. }
            | TicketAction::Attach { ticket, .. }
            | TicketAction::ChangeState { ticket, .. }
            | TicketAction::Get { ticket } => Some(ticket),
            TicketAction::Create { .. } | TicketAction::FindByCorrelation { .. } => None,
        }
    }

    /// A short name of the action's kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            TicketAction::Create { .. } => "create",
            TicketAction::Update { .. } => "update",
            TicketAction::AddNote { .. } => "add_note",
            TicketAction::Attach { .. } => "attach",
            TicketAction::ChangeState { .. } => "change_state",
            TicketAction::Get { .. } => "get",
            TicketAction::FindByCorrelation { .. } => "find_by_correlation",
        }
    }
}

/// The deterministic key that ties a ticket to what caused it.
///
/// ServiceNow sinks write it to `correlation_id` / `correlation_display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlation {
    /// Machine key, stable across retries and restarts (at most 100 characters).
    pub id: Text,
    /// Human-readable origin, e.g. `sluice: ITSM Add-On: User Account Locked Out`.
    pub display: Text,
}

/// The journals of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Journal {
    /// Internal notes (ServiceNow `work_notes`).
    WorkNotes,
    /// Notes the caller sees (ServiceNow `comments`).
    Comments,
}

/// A state transition. The sink knows its system's state model, so the common transitions
/// are named by meaning and the sink maps them onto its configured states.
///
/// ```
/// use sluice_sdk::StateChange;
///
/// // Move to "2" only if the ticket is New.
/// let change = StateChange::set("2").only_from(["1"]);
/// assert!(change.applies_to("1"));
/// assert!(!change.applies_to("6"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateChange {
    /// Reopen: move to the sink's configured "new" state, but only if the ticket is in one of
    /// its configured closed states; otherwise report [`ActionOutcome::Unchanged`].
    Reopen,
    /// Resolve, with the resolution code and notes in the same request.
    Resolve {
        /// Resolution code (ServiceNow `close_code`).
        close_code: String,
        /// Resolution notes (ServiceNow `close_notes`).
        close_notes: String,
    },
    /// Close, with the resolution code and notes in the same request.
    Close {
        /// Resolution code (ServiceNow `close_code`).
        close_code: String,
        /// Resolution notes (ServiceNow `close_notes`).
        close_notes: String,
    },
    /// Move to a raw state value of the system, only if the current state is one of
    /// `only_from` (empty: always); otherwise report [`ActionOutcome::Unchanged`].
    Set {
        /// The raw state to set.
        to: String,
        /// The states it may be set from; empty means any.
        only_from: Vec<String>,
    },
}

impl StateChange {
    /// An unconditional [`StateChange::Set`].
    pub fn set(state: impl Into<String>) -> Self {
        StateChange::Set {
            to: state.into(),
            only_from: Vec::new(),
        }
    }

    /// Restricts a [`StateChange::Set`] to tickets currently in one of `states`; other
    /// changes are returned as they are.
    pub fn only_from<I, S>(self, states: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match self {
            StateChange::Set { to, .. } => StateChange::Set {
                to,
                only_from: states.into_iter().map(Into::into).collect(),
            },
            other => other,
        }
    }

    /// For [`StateChange::Set`]: whether it applies to a ticket in state `current`. The named
    /// changes depend on the sink's configuration, so this returns `true` for them.
    pub fn applies_to(&self, current: &str) -> bool {
        match self {
            StateChange::Set { only_from, .. } => {
                only_from.is_empty() || only_from.iter().any(|s| s == current)
            }
            _ => true,
        }
    }
}

/// A ticket as the sink last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ticket {
    /// The sink's id (ServiceNow `sys_id`).
    pub id: Text,
    /// The number people use (ServiceNow `INC0010042`).
    pub number: Text,
    /// A link that opens the ticket in the system's UI.
    pub link: Text,
    /// The current state, as the system's raw value (ServiceNow `"1"`).
    pub state: Text,
    /// Raw field values the sink read or returned.
    pub fields: Fields,
    /// Display values of the same fields, where the system has them (group names, labels).
    pub display: Fields,
}

/// What happened to one [`TicketAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionOutcome {
    /// Done; the ticket as it now is (for `Get` and `FindByCorrelation`, as found).
    Done(Ticket),
    /// A conditional change did not apply (a reopen of a ticket that is not closed): nothing
    /// changed. The ticket as it is.
    Unchanged(Ticket),
    /// `Get` or `FindByCorrelation` found no ticket.
    NotFound,
    /// Not done, and worth trying again later (rate limit, outage, timeout).
    Retry {
        /// Why, for logs.
        reason: String,
        /// How long the system asked us to wait, if it did.
        retry_after: Option<Duration>,
    },
    /// Not done, and retrying will not help (rejected, forbidden, bad data).
    Failed(PluginError),
    /// Sent, but whether it took effect is unknown: the request left and no answer came back
    /// (a timeout, a dropped connection, a gateway error), so the system may still commit it.
    ///
    /// Report this rather than [`ActionOutcome::Retry`] when a repeat could do the work twice.
    /// For a [`TicketAction::Create`], the host then does not send the create again until the
    /// ticket cannot appear any more (its `delivery.in_doubt_window`): meanwhile it looks the
    /// ticket up by its correlation key ([`TicketAction::FindByCorrelation`]) and adopts it if
    /// it appears. Other actions are retried as after a `Retry`.
    ///
    /// ```
    /// use sluice_sdk::ActionOutcome;
    ///
    /// let outcome = ActionOutcome::in_doubt("no answer within 60 s; the ticket may still be created");
    /// assert!(matches!(outcome, ActionOutcome::InDoubt { .. }));
    /// ```
    InDoubt {
        /// What happened, for logs.
        reason: String,
    },
}

impl ActionOutcome {
    /// An in-doubt outcome: sent, result unknown.
    pub fn in_doubt(reason: impl Into<String>) -> Self {
        ActionOutcome::InDoubt {
            reason: reason.into(),
        }
    }

    /// A retry outcome with no requested delay.
    pub fn retry(reason: impl Into<String>) -> Self {
        ActionOutcome::Retry {
            reason: reason.into(),
            retry_after: None,
        }
    }
}
