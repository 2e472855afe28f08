//! What a batch of decisions knows and writes: read once before its first decision, kept up
//! to date in memory, written in a few statements at its end (on PostgreSQL each statement is
//! a round trip).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::state::db::{self, Db};
use crate::state::outbox::{self, NewAction};
use crate::state::tickets::{self, FloodWindow, NewTicket, TicketRow};
use crate::state::{ActionId, NewIds, TicketId};
use crate::time::Timestamp;

/// The pipeline's flood window, as a batch of decisions knows it.
#[derive(Debug, Default)]
pub(super) enum WindowInBatch {
    /// No alert of the batch has come to the flood limit yet: the stored window is not read.
    #[default]
    Unread,
    /// The window as the batch left it (opened, or counting a new ticket); stored when the
    /// batch ends.
    Updated(FloodWindow),
}

/// Alerts a batch added to one ticket.
#[derive(Debug)]
pub(super) struct TicketAlerts {
    /// How many.
    pub(super) count: u64,
    /// When the last of them arrived.
    pub(super) last_at: Timestamp,
}

/// Alerts one ticket action carries.
#[derive(Debug)]
pub(super) struct ActionAlerts {
    /// Before this batch.
    pub(super) before: u64,
    /// Added in this batch.
    pub(super) added: u64,
}

/// What a batch of decisions knows: each key's newest ticket, its unsent updates and the flood
/// window, read once and kept up to date in memory; and what it writes at its end, a few
/// statements for the lot: new tickets and actions, alert counts.
#[derive(Default)]
pub(super) struct Batch<'p> {
    /// Each key's newest ticket, by id (`None`: the key has none).
    pub(super) newest: HashMap<String, Option<TicketId>>,
    /// The newest ticket of each key of the batch recent enough for its earliest alert, read
    /// in one go before the first decision; taken into `newest` as the batch meets each key.
    pub(super) preloaded: HashMap<String, TicketRow>,
    /// The tickets read or made in this batch, by id.
    pub(super) tickets: HashMap<TicketId, TicketRow>,
    /// The flood window.
    pub(super) window: WindowInBatch,
    /// Alerts added to each ticket.
    pub(super) added: HashMap<TicketId, TicketAlerts>,
    /// Alerts carried by each ticket action the batch placed alerts on.
    pub(super) actions: HashMap<ActionId, ActionAlerts>,
    /// The update of a ticket that is due but not yet sent, if any, as read for the batch
    /// (it takes the ticket's repeats).
    pub(super) unsent: HashMap<TicketId, Option<ActionId>>,
    /// Alerts of the batch not placed yet: at most so many rows more to insert.
    pub(super) remaining: usize,
    /// Ids for the tickets and actions the batch adds.
    ticket_ids: NewIds<TicketId>,
    action_ids: NewIds<ActionId>,
    /// Tickets the batch opened (their rows are in `tickets`), inserted at its end.
    new_tickets: Vec<TicketId>,
    /// Ticket actions the batch added, inserted at its end.
    new_actions: Vec<(ActionId, NewAction<'p>)>,
    /// The update now collecting each ticket's repeats, where the batch started one.
    pub(super) collecting: Vec<(TicketId, ActionId)>,
}

impl<'p> Batch<'p> {
    /// A batch that knows the newest ticket of each of its keys (`preloaded`) and reads their
    /// unsent updates.
    pub(super) fn new(tx: &Db<'_>, preloaded: HashMap<String, TicketRow>) -> db::Result<Self> {
        let mut batch = Batch {
            preloaded,
            ..Batch::default()
        };
        batch.preload_updates(tx)?;
        Ok(batch)
    }

    /// Ticket `id`, read from the store the first time.
    pub(super) fn ticket(
        &mut self,
        tx: &Db<'_>,
        id: TicketId,
    ) -> db::Result<Option<&mut TicketRow>> {
        if let Entry::Vacant(e) = self.tickets.entry(id) {
            match tickets::get(tx, id)? {
                Some(t) => {
                    e.insert(t);
                }
                None => return Ok(None),
            }
        }
        Ok(self.tickets.get_mut(&id))
    }

    /// The alerts `action` carries, read from the store the first time.
    pub(super) fn action(
        &mut self,
        tx: &Db<'_>,
        action: ActionId,
    ) -> db::Result<&mut ActionAlerts> {
        Ok(match self.actions.entry(action) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(ActionAlerts {
                before: outbox::alert_count(tx, action)?,
                added: 0,
            }),
        })
    }

    /// Reads the unsent updates of the preloaded tickets, so that their repeats need no
    /// statement of their own.
    fn preload_updates(&mut self, tx: &Db<'_>) -> db::Result<()> {
        let ids: Vec<TicketId> = self.preloaded.values().map(|t| t.id).collect();
        let found = outbox::unsent_updates(tx, &ids)?;
        for ticket in self.preloaded.values() {
            let updates = found.get(&ticket.id).copied().unwrap_or_default();
            let known = match ticket.collecting_outbox_id {
                // An action the ticket points at but the read did not find is read alone.
                Some(collecting) => updates.collecting.filter(|(id, _)| *id == collecting),
                None => {
                    self.unsent
                        .insert(ticket.id, updates.pending.map(|(id, _)| id));
                    updates.pending
                }
            };
            if let Some((action, before)) = known {
                self.actions
                    .entry(action)
                    .or_insert(ActionAlerts { before, added: 0 });
            }
        }
        Ok(())
    }

    /// Opens `ticket` (inserted when the batch ends).
    pub(super) fn new_ticket(
        &mut self,
        tx: &Db<'_>,
        ticket: &NewTicket<'_>,
    ) -> db::Result<TicketRow> {
        let row = ticket.row(self.ticket_ids.take(tx, self.remaining)?);
        self.tickets.insert(row.id, row.clone());
        self.unsent.insert(row.id, None);
        self.new_tickets.push(row.id);
        Ok(row)
    }

    /// Adds `action` (inserted when the batch ends): it carries no alert yet.
    pub(super) fn new_action(
        &mut self,
        tx: &Db<'_>,
        action: NewAction<'p>,
    ) -> db::Result<ActionId> {
        let id = self.action_ids.take(tx, self.remaining)?;
        self.new_actions.push((id, action));
        self.actions.insert(
            id,
            ActionAlerts {
                before: 0,
                added: 0,
            },
        );
        Ok(id)
    }

    /// Writes what the batch made and changed: new tickets and actions, the collecting
    /// updates, the counts and the flood window.
    pub(super) fn store(self, tx: &Db<'_>, pipeline: &str) -> db::Result<()> {
        // New tickets are inserted as the batch left them, collecting update included.
        let new: Vec<&TicketRow> = self
            .new_tickets
            .iter()
            .map(|id| &self.tickets[id])
            .collect();
        tickets::insert_all(tx, pipeline, &new)?;
        outbox::insert_all(tx, &self.new_actions)?;
        let new: HashSet<TicketId> = self.new_tickets.into_iter().collect();
        let collecting: Vec<(TicketId, ActionId)> = self
            .collecting
            .into_iter()
            .filter(|(ticket, _)| !new.contains(ticket))
            .collect();
        tickets::set_collecting_all(tx, &collecting)?;
        let actions: Vec<(ActionId, i64)> = self
            .actions
            .into_iter()
            .filter(|(_, alerts)| alerts.added > 0)
            .map(|(action, alerts)| (action, alerts.added as i64))
            .collect();
        outbox::add_alerts_all(tx, &actions)?;
        let tickets: Vec<(TicketId, i64, Timestamp)> = self
            .added
            .into_iter()
            .map(|(ticket, alerts)| (ticket, alerts.count as i64, alerts.last_at))
            .collect();
        tickets::add_alerts_all(tx, &tickets)?;
        if let WindowInBatch::Updated(window) = self.window {
            tickets::set_flood_window(tx, pipeline, &window)?;
        }
        Ok(())
    }
}
