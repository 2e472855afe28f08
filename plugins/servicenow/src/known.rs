//! What the sink last saw of each ticket: its number and state.
//!
//! It lets a reopen go out as one PATCH when the sink already knows the ticket is closed (a
//! `Get` or `FindByCorrelation` the host made before deciding to reopen, or an earlier answer),
//! and fills in outcomes whose answer has no body (an upload; `suppress_update_bodies`). It is
//! a hint, never the truth: a human may have changed the ticket since, which is why a
//! conditional change the sink cannot confirm this way is decided on the instance's answer.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

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

/// The memory, by sys_id. Shared by the threads that deliver one batch's tickets
/// concurrently; each call holds the lock only for one map operation.
#[derive(Debug, Default)]
pub(crate) struct Known {
    by_id: Mutex<HashMap<String, Seen>>,
}

impl Known {
    /// Records what `ticket` shows; empty values do not erase what was known.
    pub(crate) fn remember(&self, ticket: &Ticket) {
        if ticket.id.is_empty() {
            return;
        }
        let mut by_id = self.lock();
        if by_id.len() >= CAPACITY && !by_id.contains_key(ticket.id.as_str()) {
            by_id.clear();
        }
        let seen = by_id.entry(ticket.id.to_string()).or_default();
        if !ticket.number.is_empty() {
            seen.number = ticket.number.to_string();
        }
        if !ticket.state.is_empty() {
            seen.state = ticket.state.to_string();
        }
    }

    /// What is known of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Seen> {
        self.lock().get(id).cloned()
    }

    /// The state last seen, if any.
    pub(crate) fn state(&self, id: &str) -> Option<String> {
        self.get(id).map(|s| s.state).filter(|s| !s.is_empty())
    }

    /// The map. A poisoned lock is used as is: the map stays valid whatever panicked, and what
    /// it holds is only a hint.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_without_erasing() {
        let known = Known::default();
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
        assert_eq!(known.state("a").as_deref(), Some("6"));
        assert_eq!(known.get("a").map(|s| s.number), Some("INC1".to_owned()));
        assert_eq!(known.state("b"), None);
    }
}
