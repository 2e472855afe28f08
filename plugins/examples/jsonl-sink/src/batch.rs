//! One `deliver` call: its actions run in order against the tickets and the journal file.

use std::collections::HashSet;

use sluice_sdk::{ActionOutcome, Correlation, Fields, Host, PluginError, Ticket, TicketAction};

use crate::actions::{self, Step};
use crate::error::JournalError;
use crate::journal::{self, JournalFile, JournalLine};
use crate::tickets::Tickets;

/// What the actions of one batch share while they run.
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    tickets: &'a mut Tickets,
    journal: JournalFile,
    host: &'a Host,
    number_prefix: &'a str,
    /// The tickets an action of this batch did not succeed on. The SDK's rule: later actions
    /// on them are not run but retried, so that a ticket never sees its actions out of order.
    failed: HashSet<String>,
}

impl<'a> Batch<'a> {
    /// A batch that appends to `journal` and numbers new tickets with `number_prefix`.
    pub fn new(
        tickets: &'a mut Tickets,
        journal: JournalFile,
        host: &'a Host,
        number_prefix: &'a str,
    ) -> Self {
        Batch {
            tickets,
            journal,
            host,
            number_prefix,
            failed: HashSet::new(),
        }
    }

    /// Runs `action`, unless an earlier action on its ticket did not succeed.
    pub fn run(&mut self, action: TicketAction) -> ActionOutcome {
        let ticket = action.ticket().map(str::to_owned);
        if ticket.as_ref().is_some_and(|id| self.failed.contains(id)) {
            return ActionOutcome::retry("an earlier action on this ticket did not succeed");
        }
        let outcome = self.execute(action);
        if !succeeded(&outcome) {
            self.failed.extend(ticket);
        }
        outcome
    }

    /// Flushes the batch's lines to disk; until then, a power cut may lose them.
    pub fn flush(&self) -> Result<(), JournalError> {
        self.journal.flush()
    }

    /// Lookups answer from the tickets in memory; every other action appends a line.
    fn execute(&mut self, action: TicketAction) -> ActionOutcome {
        match action {
            TicketAction::Get { ticket } => found(self.tickets.get(&ticket)),
            TicketAction::FindByCorrelation { correlation_id } => {
                found(self.tickets.find_by_correlation(&correlation_id))
            }
            TicketAction::Create {
                correlation,
                fields,
            } => self.create(correlation, fields),
            other => self.change(other),
        }
    }

    /// Opens the next ticket in the series, whatever the fields say: the host has already
    /// decided that a ticket is due.
    fn create(&mut self, correlation: Correlation, fields: Fields) -> ActionOutcome {
        let serial = self.tickets.next_serial();
        let line = actions::create(serial, self.number_prefix, correlation, fields, self.now());
        self.append(&line)
    }

    /// Runs an action on an existing ticket; one the journal does not know fails for good, as
    /// retrying cannot make it appear.
    fn change(&mut self, action: TicketAction) -> ActionOutcome {
        let Some(id) = action.ticket() else {
            return ActionOutcome::Failed(PluginError::unsupported(format!(
                "jsonl does not support {}",
                action.kind()
            )));
        };
        let Some(ticket) = self.tickets.get(id) else {
            return ActionOutcome::Failed(PluginError::rejected(format!(
                "no ticket {id:?} in {}",
                self.journal.path().display()
            )));
        };
        match actions::on_ticket(action, ticket, self.now()) {
            Step::Append(line) => self.append(&line),
            Step::Answer(outcome) => outcome,
        }
    }

    /// Appends `line`, and only then applies it: the tickets never say what the file does not.
    fn append(&mut self, line: &JournalLine) -> ActionOutcome {
        match self.journal.append(line) {
            Ok(()) => ActionOutcome::Done(self.tickets.apply(line).clone()),
            Err(error) => error.into_outcome(),
        }
    }

    /// The host's clock, which tests move, as a journal timestamp.
    fn now(&self) -> i64 {
        journal::unix_ms(self.host.now())
    }
}

/// `Done` with the ticket a lookup found, or `NotFound`.
fn found(ticket: Option<&Ticket>) -> ActionOutcome {
    ticket.map_or(ActionOutcome::NotFound, |ticket| {
        ActionOutcome::Done(ticket.clone())
    })
}

/// Whether `outcome` lets later actions on the same ticket run.
fn succeeded(outcome: &ActionOutcome) -> bool {
    matches!(
        outcome,
        ActionOutcome::Done(_) | ActionOutcome::Unchanged(_) | ActionOutcome::NotFound
    )
}
