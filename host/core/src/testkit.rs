//! Stand-ins for a source and a sink, for tests and benchmarks of the middleware: a small
//! in-memory ticket system (states, journals, attachments, correlation lookups, injectable
//! failures) and a source of records held in memory. Not used by `sluice` itself.

#![allow(missing_docs)]

use std::collections::HashMap;
use std::time::Duration;

use sluice_sdk::{
    ActionOutcome, Checkpoint, Journal, PluginError, Record, SourceBatch, StateChange, Ticket,
    TicketAction,
};

use crate::pipeline::delivery::TicketSink;
use crate::pipeline::intake::RecordSource;

/// A ticket in the stand-in system.
#[derive(Debug, Clone)]
pub struct MemTicket {
    pub ticket: Ticket,
    pub correlation_id: String,
    pub notes: Vec<(Journal, String)>,
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Whether a [`MemorySink`] answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Availability {
    /// It does.
    #[default]
    Up,
    /// Every action answers `Retry`: an outage.
    Down,
    /// Every action answers `Retry` asking to wait this long: a rate limit.
    RateLimited(Duration),
}

/// A little ticket system: states 1 New … 6 Resolved, 7 Closed, 8 Canceled; reopen to 1.
#[derive(Debug, Default)]
pub struct MemorySink {
    pub tickets: Vec<MemTicket>,
    /// Calls to `deliver`, actions received, and the requests a real sink would make for them
    /// (consecutive reopen/note/update actions on one ticket coalesce into one, as the SDK
    /// allows and the ServiceNow sink does).
    pub calls: usize,
    pub actions: usize,
    pub requests: usize,
    /// The next actions of these kinds answer `Retry` with this delay.
    pub retry_next: Vec<(&'static str, Option<Duration>)>,
    /// Whether the system answers at all.
    pub availability: Availability,
    /// Creates are applied but answered `InDoubt` (the answer was lost).
    pub ambiguous_creates: usize,
    /// Creates are answered `InDoubt` and held: they appear only at [`MemorySink::commit_held`],
    /// as a create the system commits after its client gave up.
    pub held_creates: usize,
    /// The held creates, not yet visible.
    pub held: Vec<MemTicket>,
    /// Updates of these tickets (by number) are refused.
    pub refuse_updates_of: Vec<String>,
    /// Creates are applied but give no outcome, as a sink that panicked after sending them
    /// (the host reports an internal failure for them).
    pub silent_creates: usize,
}

impl MemorySink {
    fn index(&self, id: &str) -> Option<usize> {
        self.tickets.iter().position(|t| t.ticket.id == id)
    }

    pub fn by_number(&self, number: &str) -> &MemTicket {
        self.tickets
            .iter()
            .find(|t| t.ticket.number == number)
            .expect("ticket exists")
    }

    /// Commits the held creates: their tickets appear.
    pub fn commit_held(&mut self) {
        self.tickets.append(&mut self.held);
    }

    /// Resolves a ticket, as an agent would.
    pub fn set_state(&mut self, number: &str, state: &str) {
        let t = self
            .tickets
            .iter_mut()
            .find(|t| t.ticket.number == number)
            .expect("ticket exists");
        t.ticket.state = state.to_owned().into();
    }

    fn apply(&mut self, action: TicketAction) -> ActionOutcome {
        match self.availability {
            Availability::Up => {}
            Availability::Down => return ActionOutcome::retry("stand-in down"),
            Availability::RateLimited(after) => {
                return ActionOutcome::Retry {
                    reason: "stand-in rate limiting".into(),
                    retry_after: Some(after),
                }
            }
        }
        if let Some(i) = self
            .retry_next
            .iter()
            .position(|(k, _)| *k == action.kind())
        {
            let (_, after) = self.retry_next.remove(i);
            return ActionOutcome::Retry {
                reason: "stand-in asked to".into(),
                retry_after: after,
            };
        }
        match action {
            TicketAction::Create {
                correlation,
                fields,
            } => self.create(correlation.id.to_string(), fields),
            TicketAction::FindByCorrelation { correlation_id } => {
                match self
                    .tickets
                    .iter()
                    .rev()
                    .find(|t| t.correlation_id == correlation_id)
                {
                    Some(t) => ActionOutcome::Done(t.ticket.clone()),
                    None => ActionOutcome::NotFound,
                }
            }
            TicketAction::Get { ticket } => self.get(&ticket),
            other => self.write(other),
        }
    }

    /// Opens a ticket (answering `InDoubt` while `ambiguous_creates` or `held_creates` last).
    fn create(&mut self, correlation_id: String, fields: sluice_sdk::Fields) -> ActionOutcome {
        let n = self.tickets.len() + self.held.len() + 1;
        let ticket = Ticket {
            id: format!("sys{n}").into(),
            number: format!("INC{n:07}").into(),
            link: format!("mem://INC{n:07}").into(),
            state: "1".into(),
            display: [
                ("state", "New"),
                ("assignment_group", "Service Desk"),
                ("opened_at", "2024-01-01 00:00:00"),
            ]
            .into_iter()
            .collect(),
            fields,
        };
        let created = MemTicket {
            ticket: ticket.clone(),
            correlation_id,
            notes: Vec::new(),
            attachments: Vec::new(),
        };
        if self.held_creates > 0 {
            self.held_creates -= 1;
            self.held.push(created);
            return ActionOutcome::in_doubt("no answer within the request timeout");
        }
        self.tickets.push(created);
        if self.ambiguous_creates > 0 {
            self.ambiguous_creates -= 1;
            return ActionOutcome::in_doubt("connection reset after the request was sent");
        }
        if self.silent_creates > 0 {
            self.silent_creates -= 1;
            return ActionOutcome::Failed(PluginError::internal(
                "the sink gave no outcome for this action",
            ));
        }
        ActionOutcome::Done(ticket)
    }

    /// Reads a ticket, with its state's label.
    fn get(&self, id: &str) -> ActionOutcome {
        let Some(i) = self.index(id) else {
            return ActionOutcome::NotFound;
        };
        let mut t = self.tickets[i].ticket.clone();
        let label = match t.state.as_str() {
            "6" => "Resolved",
            "7" => "Closed",
            _ => "New",
        };
        t.display.set("state", label);
        ActionOutcome::Done(t)
    }

    /// Applies a change to an existing ticket: a note, an attachment, a reopen, fields.
    fn write(&mut self, action: TicketAction) -> ActionOutcome {
        let id = action.ticket().unwrap_or_default().to_owned();
        let Some(i) = self.index(&id) else {
            return ActionOutcome::NotFound;
        };
        if self
            .refuse_updates_of
            .iter()
            .any(|n| *n == self.tickets[i].ticket.number)
        {
            return ActionOutcome::Failed(PluginError::rejected(
                "ACL Exception Update Failed due to security constraints",
            ));
        }
        let t = &mut self.tickets[i];
        match action {
            TicketAction::AddNote { journal, text, .. } => t.notes.push((journal, text)),
            TicketAction::Attach {
                file_name, content, ..
            } => t.attachments.push((file_name, content)),
            TicketAction::ChangeState {
                change: StateChange::Reopen,
                ..
            } => {
                if ["6", "7", "8"].contains(&t.ticket.state.as_str()) {
                    t.ticket.state = "1".into();
                } else {
                    return ActionOutcome::Unchanged(t.ticket.clone());
                }
            }
            TicketAction::Update { fields, .. } => {
                for (k, v) in fields {
                    t.ticket.fields.set(k, v);
                }
            }
            _ => return ActionOutcome::Failed(PluginError::unsupported("stand-in")),
        }
        ActionOutcome::Done(t.ticket.clone())
    }
}

impl TicketSink for MemorySink {
    fn deliver(&mut self, actions: Vec<TicketAction>) -> Vec<ActionOutcome> {
        self.calls += 1;
        self.actions += actions.len();
        let coalescible = |a: &TicketAction| {
            matches!(
                a,
                TicketAction::AddNote { .. }
                    | TicketAction::ChangeState { .. }
                    | TicketAction::Update { .. }
            )
        };
        let mut previous: Option<(bool, Option<String>)> = None;
        for a in &actions {
            let this = (coalescible(a), a.ticket().map(str::to_owned));
            if !(this.0 && previous.as_ref() == Some(&this)) {
                self.requests += 1;
            }
            previous = Some(this);
        }
        let mut failed: Vec<String> = Vec::new();
        actions
            .into_iter()
            .map(|a| {
                if a.ticket().is_some_and(|t| failed.iter().any(|f| f == t)) {
                    return ActionOutcome::retry("an earlier action on this ticket failed");
                }
                let ticket = a.ticket().map(str::to_owned);
                let outcome = self.apply(a);
                if !matches!(
                    outcome,
                    ActionOutcome::Done(_) | ActionOutcome::Unchanged(_) | ActionOutcome::NotFound
                ) {
                    failed.extend(ticket);
                }
                outcome
            })
            .collect()
    }
}

/// A source holding records by id, and a queue of pages for polling.
#[derive(Debug, Default)]
pub struct MemorySource {
    pub records: HashMap<String, Record>,
    pub pages: Vec<Vec<Record>>,
    pub polls: usize,
    pub fetches: usize,
    pub fail_next: usize,
}

impl RecordSource for MemorySource {
    fn poll(&mut self, checkpoint: Option<Checkpoint>) -> Result<SourceBatch, PluginError> {
        self.polls += 1;
        let next: usize = checkpoint.map_or(0, |c| c.0.parse().unwrap_or(0));
        let records = self.pages.get(next).cloned().unwrap_or_default();
        let end = next + usize::from(!records.is_empty());
        Ok(SourceBatch {
            records,
            checkpoint: Checkpoint(end.to_string()),
            more: end < self.pages.len(),
        })
    }

    fn fetch(&mut self, ids: Vec<String>) -> Result<Vec<Record>, PluginError> {
        self.fetches += 1;
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(PluginError::transient("Auditor answered 503"));
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.records.get(id).cloned())
            .collect())
    }
}

/// An activity record: an account (`who`) did `action` on `what`.
pub fn record(id: &str, who: &str, what: &str, detail: &str) -> Record {
    let mut r = Record::new(id);
    r.fields.push("Who", who);
    r.fields.push("Action", "Modified");
    r.fields.push("ObjectType", "user");
    r.fields.push("What", what);
    r.fields.push("When", "2024-03-11T08:45:12Z");
    r.fields.push("Where", "dc01.corp.local");
    r.fields.push("DataSource", "Active Directory");
    r.details.push(
        sluice_sdk::Detail::new(detail)
            .before("False")
            .after("True"),
    );
    r
}
