//! What the sink last saw of each ticket: its number and state.
//!
//! It lets a reopen go out as one PATCH when the sink already knows the ticket is closed (a
//! `Get` or `FindByCorrelation` the host made before deciding to reopen, or an earlier answer),
//! and fills in outcomes whose answer has no body (an upload; `suppress_update_bodies`). It is
//! a hint, never the truth: a human may have changed the ticket since, which is why a
//! conditional change the sink cannot confirm this way is decided on the instance's answer.

use std::collections::HashMap;

use sluice_sdk::Ticket;

/// Tickets remembered at most; past it the memory starts over (a miss costs at most one
/// extra request, never a wrong result).
const CAPACITY: usize = 50_000;

/// A ticket's number and state as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) number: String,
    pub(crate) state: String,
}

/// The memory, by sys_id.
#[derive(Debug, Default)]
pub(crate) struct Known {
    by_id: HashMap<String, Seen>,
}

impl Known {
    /// Records what `ticket` shows; empty values do not erase what was known.
    pub(crate) fn remember(&mut self, ticket: &Ticket) {
        if ticket.id.is_empty() {
            return;
        }
        if self.by_id.len() >= CAPACITY && !self.by_id.contains_key(ticket.id.as_str()) {
            self.by_id.clear();
        }
        let seen = self.by_id.entry(ticket.id.to_string()).or_default();
        if !ticket.number.is_empty() {
            seen.number = ticket.number.to_string();
        }
        if !ticket.state.is_empty() {
            seen.state = ticket.state.to_string();
        }
    }

    /// What is known of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Seen> {
        self.by_id.get(id)
    }

    /// The state last seen, if any.
    pub(crate) fn state(&self, id: &str) -> Option<&str> {
        self.get(id)
            .map(|s| s.state.as_str())
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_without_erasing() {
        let mut known = Known::default();
        known.remember(&Ticket {
            id: "a".into(),
            number: "INC1".into(),
            state: "6".into(),
            ..Ticket::default()
        });
        known.remember(&Ticket {
            id: "a".into(),
            ..Ticket::default()
        });
        assert_eq!(known.state("a"), Some("6"));
        assert_eq!(known.get("a").map(|s| s.number.as_str()), Some("INC1"));
        assert_eq!(known.state("b"), None);
    }
}
