//! The tickets as the journal describes them: rebuilt from the file once, then kept up to date
//! line by line as the sink appends, so a lookup never reads the file again.

use std::collections::HashMap;
use std::path::Path;

use sluice_sdk::{Host, Ticket};

use crate::error::JournalError;
use crate::journal::{self, JournalLine, LineAction};

/// Every ticket the journal mentions, by id.
#[derive(Debug)]
pub(crate) struct Tickets {
    by_id: HashMap<String, Ticket>,
    /// Correlation key to the id of the newest ticket created with it: the host asks for the
    /// newest when it reconciles an action whose outcome it never learned.
    newest_by_correlation: HashMap<String, String>,
    /// How many tickets were ever created; ids and numbers count on from it, so that they
    /// never repeat, even across restarts.
    created: u64,
    /// `file://` and the journal's path: a ticket's link is this, `#`, and its id.
    link_prefix: String,
}

impl Tickets {
    /// Reads the journal at `path` back (see [`journal::replay`]).
    pub fn read_back(path: &Path, host: &Host) -> Result<Self, JournalError> {
        let mut tickets = Tickets {
            by_id: HashMap::new(),
            newest_by_correlation: HashMap::new(),
            created: 0,
            link_prefix: format!("file://{}", path.display()),
        };
        journal::replay(path, host, |line| {
            tickets.apply(&line);
        })?;
        host.debug(format!("read back {} tickets", tickets.by_id.len()));
        Ok(tickets)
    }

    /// The ticket with this id.
    pub fn get(&self, id: &str) -> Option<&Ticket> {
        self.by_id.get(id)
    }

    /// The newest ticket created with this correlation key.
    pub fn find_by_correlation(&self, correlation_id: &str) -> Option<&Ticket> {
        let id = self.newest_by_correlation.get(correlation_id)?;
        self.by_id.get(id)
    }

    /// The serial of the next ticket to create: 1 for the first.
    pub fn next_serial(&self) -> u64 {
        self.created + 1
    }

    /// Applies one line, just written or read back, and returns the ticket as it leaves it.
    pub fn apply(&mut self, line: &JournalLine) -> &Ticket {
        if line.action == LineAction::Create {
            self.created += 1;
            if let Some(key) = &line.correlation_id {
                self.newest_by_correlation
                    .insert(key.clone(), line.ticket.clone());
            }
        }
        let link_prefix = &self.link_prefix;
        let ticket = self
            .by_id
            .entry(line.ticket.clone())
            .or_insert_with(|| Ticket {
                id: line.ticket.as_str().into(),
                link: format!("{link_prefix}#{}", line.ticket).into(),
                ..Ticket::default()
            });
        if let Some(number) = &line.number {
            ticket.number = number.as_str().into();
        }
        for (name, value) in &line.fields {
            ticket.fields.set(name.as_str(), value.as_str());
        }
        ticket.state = line.state.as_str().into();
        ticket
    }
}
