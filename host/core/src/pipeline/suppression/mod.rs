//! Suppression: for each alert, open a ticket, consolidate it into its open ticket, or collect
//! it into the flood ticket; and, when a consolidation buffer is due, write it as one update.
//!
//! The behaviour is the vendor add-on's (its flood limit, consolidation, update and reopen,
//! and correlation settings), made precise where its documentation is silent:
//!
//! - **Similar alerts** share a suppression key: the alert's name, plus the values of the
//!   `group_by` record fields.
//! - **Update and reopen**: an alert whose key has a ticket that took an alert within
//!   `update_interval` joins that ticket's consolidation buffer; when the buffer is flushed the
//!   update also asks the sink to reopen the ticket if it is in a closed state
//!   (`reopen_ticket_on_repetitive_alerts`). After `update_interval`, a new ticket.
//! - **Consolidation**: repeats collect in an update that opens with the first of them and is
//!   sent `consolidation_interval` later (an outbox action in state `collecting`). An update
//!   that is due but not sent yet (the sink is behind) takes later repeats as well.
//! - **Flood**: at most `ticket_flood_limit` tickets open per window; a window opens with the
//!   first ticket after the previous one ended and lasts `ticket_flood_interval`. Beyond the
//!   limit, alerts that would open a ticket go into the window's flood ticket (opened by the
//!   first of them, later ones consolidated into it). Repeats of alerts that have a ticket
//!   still update their own ticket: the limit counts only new tickets.
//! - **Correlation**: a new ticket references the newest earlier ticket of its key opened
//!   within `correlation_interval`.
//!
//! Every interval is measured on the host clock, from the alerts' arrival times.

mod batch;

use std::collections::HashMap;

use crate::state::db::{self, Db};

use crate::config::SuppressionSettings;
use crate::state::alerts::{self, AlertRow, Decided};
use crate::state::outbox::{self, NewAction};
use crate::state::tickets::{self, FloodWindow, NewTicket, TicketKind, TicketRow};
use crate::state::{ActionId, TicketId};
use crate::time::Timestamp;
use batch::{ActionAlerts, Batch, TicketAlerts, WindowInBatch};

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It opens a new ticket.
    Open {
        /// The ticket's row id.
        ticket: TicketId,
    },
    /// It joins its ticket's next update.
    Consolidate {
        /// The ticket's row id.
        ticket: TicketId,
    },
    /// It opens the window's flood ticket.
    OpenFlood {
        /// The flood ticket's row id.
        ticket: TicketId,
    },
    /// It joins the window's flood ticket.
    Flood {
        /// The flood ticket's row id.
        ticket: TicketId,
    },
}

impl Decision {
    /// A short name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Open { .. } => "open",
            Decision::Consolidate { .. } => "consolidate",
            Decision::OpenFlood { .. } => "open_flood",
            Decision::Flood { .. } => "flood",
        }
    }
}

/// The suppression rules of one pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Suppression<'a> {
    /// The pipeline.
    pub pipeline: &'a str,
    /// Its settings.
    pub settings: &'a SuppressionSettings,
    /// Prefix of ticket correlation keys (`sluice-<store id>-<pipeline>-`).
    pub correlation_prefix: &'a str,
}

/// Where an alert goes: its key, its ticket, and the ticket action that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The suppression key.
    pub key: String,
    /// The ticket row.
    pub ticket: TicketId,
    /// The ticket action (outbox row).
    pub action: ActionId,
    /// What happened.
    pub decision: Decision,
    /// Whether the alert's record will be listed (an action lists at most
    /// `max_records_per_update`; the others are counted, their payload need not be kept).
    pub keep_record: bool,
}

impl Placement {
    /// A placement whose record is kept (until the batch counts it).
    fn new(key: String, ticket: TicketId, action: ActionId, decision: Decision) -> Self {
        Placement {
            key,
            ticket,
            action,
            decision,
            keep_record: true,
        }
    }

    /// The decision as the alert's row records it, taken at `at`.
    pub fn decided(&self, at: Timestamp) -> Decided<'_> {
        Decided {
            suppression_key: &self.key,
            ticket: self.ticket,
            action: self.action,
            decision: self.decision.as_str(),
            at,
        }
    }
}

impl<'a> Suppression<'a> {
    /// The suppression key of an alert: its name, and the `group_by` fields of its record.
    pub fn key(&self, alert: &AlertRow) -> String {
        let mut key = alert.alert_name.clone();
        if self.settings.group_by.is_empty() {
            return key;
        }
        let record = alert.record.as_deref().and_then(super::record::from_json);
        for field in &self.settings.group_by {
            let value = record.as_ref().and_then(|r| r.field(field)).unwrap_or("");
            key.push_str(&format!(" | {field}={value}"));
        }
        key
    }

    /// Decides what each alert of `batch` does, in order, writing the decisions into `tx` (at
    /// host time `now`).
    pub fn decide(
        &self,
        tx: &Db<'_>,
        batch: &[AlertRow],
        now: Timestamp,
    ) -> db::Result<Vec<Decision>> {
        let placements = self.place(tx, batch, now)?;
        let decided: Vec<_> = batch
            .iter()
            .zip(&placements)
            .map(|(alert, p)| (alert.id, p.decided(now)))
            .collect();
        alerts::decide_all(tx, &decided)?;
        Ok(placements.into_iter().map(|p| p.decision).collect())
    }

    /// Decides where each alert of `batch` goes (tickets, ticket actions, flood window are
    /// written), leaving the alerts' own rows to the caller: polled alerts are inserted with
    /// their placement in one write.
    pub fn place(
        &self,
        tx: &Db<'_>,
        batch: &[AlertRow],
        now: Timestamp,
    ) -> db::Result<Vec<Placement>> {
        let keys: Vec<String> = batch.iter().map(|alert| self.key(alert)).collect();
        let mut state = Batch::new(tx, self.recent_tickets(tx, batch, &keys)?)?;
        let mut placements = Vec::with_capacity(batch.len());
        let listed = self.settings.max_records_per_update.max(1) as u64;
        for (i, (alert, key)) in batch.iter().zip(keys).enumerate() {
            state.remaining = batch.len() - i;
            let mut p = self.decide_one(tx, &mut state, alert, key, now)?;
            let count = state.action(tx, p.action)?;
            p.keep_record = count.before + count.added < listed;
            count.added += 1;
            placements.push(p);
        }
        state.store(tx, self.pipeline)?;
        Ok(placements)
    }

    /// How far back an alert at `t` looks for its key's ticket: far enough to update it or
    /// to reference it.
    fn lookback(&self, t: Timestamp) -> Timestamp {
        let s = self.settings;
        t - s.update_interval.get().max(s.correlation_interval.get())
    }

    /// The newest ticket of each of `keys` (those of `batch`) recent enough for the batch's
    /// earliest alert.
    fn recent_tickets(
        &self,
        tx: &Db<'_>,
        batch: &[AlertRow],
        keys: &[String],
    ) -> db::Result<HashMap<String, TicketRow>> {
        let Some(earliest) = batch.iter().map(|alert| alert.received_at).min() else {
            return Ok(HashMap::new());
        };
        let mut distinct: Vec<&str> = keys.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        tickets::newest_for_keys(tx, self.pipeline, &distinct, self.lookback(earliest))
    }

    fn decide_one(
        &self,
        tx: &Db<'_>,
        state: &mut Batch<'a>,
        alert: &AlertRow,
        key: String,
        now: Timestamp,
    ) -> db::Result<Placement> {
        let t = alert.received_at;
        let newest = self.newest_ticket(state, &key, t);
        if let Some(ticket) = newest.as_ref().filter(|tk| self.takes_repeat(tk, t)) {
            let ticket = ticket.id;
            let action = self.collect(tx, state, ticket, TicketKind::Alert, t, now)?;
            return Ok(Placement::new(
                key,
                ticket,
                action,
                Decision::Consolidate { ticket },
            ));
        }
        let mut window = self.window_at(tx, state, t)?;
        let placement = if window.created < self.settings.ticket_flood_limit {
            window.created += 1;
            self.open(tx, state, alert, key, newest, now)?
        } else if let Some(flood) = window.flood_ticket_id {
            let action = self.collect(tx, state, flood, TicketKind::Flood, t, now)?;
            Placement::new(key, flood, action, Decision::Flood { ticket: flood })
        } else {
            let placement = self.open_flood(tx, state, &window, key, t, now)?;
            window.flood_ticket_id = Some(placement.ticket);
            placement
        };
        state.window = WindowInBatch::Updated(window);
        Ok(placement)
    }

    /// The newest ticket of `key` recent enough to matter to an alert at `t` (to update it or
    /// to reference it), as the store had it the first time the batch meets the key.
    fn newest_ticket(&self, state: &mut Batch<'_>, key: &str, t: Timestamp) -> Option<TicketRow> {
        if !state.newest.contains_key(key) {
            // The newest since the batch's earliest alert is the newest since `t` too, if it
            // is recent enough for `t`; else the key has none for `t`.
            let since = self.lookback(t);
            let newest = state
                .preloaded
                .remove(key)
                .filter(|tk| tk.created_at >= since);
            state
                .newest
                .insert(key.to_owned(), newest.as_ref().map(|tk| tk.id));
            if let Some(tk) = newest {
                state.tickets.entry(tk.id).or_insert(tk);
            }
        }
        state
            .newest
            .get(key)
            .copied()
            .flatten()
            .and_then(|id| state.tickets.get(&id).cloned())
    }

    /// Whether an alert at `t` is a repeat that updates `ticket`: updates are on, the ticket
    /// still takes them, and its last alert is at most `update_interval` before.
    fn takes_repeat(&self, ticket: &TicketRow, t: Timestamp) -> bool {
        self.settings.update_ticket_on_repetitive_alerts
            && ticket.usable
            && t <= ticket.last_alert_at + self.settings.update_interval.get()
    }

    /// The flood window an alert at `t` falls in: the current one, or a new one opening at `t`.
    fn window_at(&self, tx: &Db<'_>, state: &Batch<'_>, t: Timestamp) -> db::Result<FloodWindow> {
        let last = match state.window {
            WindowInBatch::Unread => tickets::flood_window(tx, self.pipeline)?,
            WindowInBatch::Updated(window) => Some(window),
        };
        let interval = self.settings.ticket_flood_interval.get();
        Ok(match last {
            Some(w) if t < w.started_at + interval => w,
            _ => FloodWindow {
                started_at: t,
                created: 0,
                flood_ticket_id: None,
            },
        })
    }

    /// Opens a ticket for `alert`, referencing the `newest` ticket of its key if correlation
    /// asks for it.
    fn open(
        &self,
        tx: &Db<'_>,
        state: &mut Batch<'a>,
        alert: &AlertRow,
        key: String,
        newest: Option<TicketRow>,
        now: Timestamp,
    ) -> db::Result<Placement> {
        let (s, t) = (self.settings, alert.received_at);
        let previous = newest
            .filter(|_| s.ticket_correlation)
            .filter(|tk| tk.created_at >= t - s.correlation_interval.get())
            .map(|tk| tk.id);
        let ticket = state.new_ticket(
            tx,
            &NewTicket {
                pipeline: self.pipeline,
                suppression_key: &key,
                kind: TicketKind::Alert,
                alert_name: &alert.alert_name,
                correlation_prefix: self.correlation_prefix,
                at: t,
            },
        )?;
        let id = ticket.id;
        let action = state.new_action(tx, NewAction::open(self.pipeline, id, previous, now))?;
        state.newest.insert(key.clone(), Some(id));
        Ok(Placement::new(
            key,
            id,
            action,
            Decision::Open { ticket: id },
        ))
    }

    /// Opens the flood ticket of `window` for an alert at `t`.
    fn open_flood(
        &self,
        tx: &Db<'_>,
        state: &mut Batch<'a>,
        window: &FloodWindow,
        key: String,
        t: Timestamp,
        now: Timestamp,
    ) -> db::Result<Placement> {
        let flood_key = format!("flood window {}", window.started_at.as_millis());
        let ticket = state.new_ticket(
            tx,
            &NewTicket {
                pipeline: self.pipeline,
                suppression_key: &flood_key,
                kind: TicketKind::Flood,
                alert_name: "",
                correlation_prefix: self.correlation_prefix,
                at: t,
            },
        )?;
        let id = ticket.id;
        let action = state.new_action(tx, NewAction::open(self.pipeline, id, None, now))?;
        Ok(Placement::new(
            key,
            id,
            action,
            Decision::OpenFlood { ticket: id },
        ))
    }

    /// The update collecting repeats for ticket `ticket` (opened now if there is none), with
    /// the alert counted on the ticket.
    fn collect(
        &self,
        tx: &Db<'_>,
        state: &mut Batch<'a>,
        ticket: TicketId,
        kind: TicketKind,
        t: Timestamp,
        now: Timestamp,
    ) -> db::Result<ActionId> {
        let added = state.added.entry(ticket).or_insert(TicketAlerts {
            count: 0,
            last_at: t,
        });
        added.count += 1;
        added.last_at = added.last_at.max(t);
        let Some(row) = state.ticket(tx, ticket)? else {
            return Err(db::DbError::NoRow);
        };
        row.last_alert_at = row.last_alert_at.max(t);
        if let Some(action) = row.collecting_outbox_id {
            return Ok(action);
        }
        // An update that is due but still waits for the sink takes the repeat too: it goes
        // out as soon as the sink is free either way, so one request carries both (with a
        // zero consolidation interval, a sink that keeps up still gets each repeat at once).
        let unsent = match state.unsent.get(&ticket) {
            Some(unsent) => *unsent,
            None => {
                let found = outbox::unsent_update(tx, ticket)?;
                if let Some((action, count)) = found {
                    state.actions.entry(action).or_insert(ActionAlerts {
                        before: count,
                        added: 0,
                    });
                }
                let unsent = found.map(|(action, _)| action);
                state.unsent.insert(ticket, unsent);
                unsent
            }
        };
        if let Some(action) = unsent {
            return Ok(action);
        }
        let reopen = kind == TicketKind::Alert && self.settings.reopen_ticket_on_repetitive_alerts;
        let flush_at = t + self.settings.consolidation_interval.get();
        let action = state.new_action(
            tx,
            NewAction::collecting_update(self.pipeline, ticket, reopen, flush_at, now),
        )?;
        state.collecting.push((ticket, action));
        if let Some(row) = state.tickets.get_mut(&ticket) {
            row.collecting_outbox_id = Some(action);
        }
        Ok(action)
    }

    /// Ends every collection that is due at `now`: each becomes one pending update.
    pub fn flush_due(&self, tx: &Db<'_>, now: Timestamp) -> db::Result<usize> {
        outbox::flush_due(tx, self.pipeline, now)
    }
}
