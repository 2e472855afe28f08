//! Suppression: for each alert, open a ticket, consolidate it into its open ticket, or collect
//! it into the flood ticket; and, when a consolidation buffer is due, write it as one update.
//!
//! The behaviour is the vendor add-on's (netwrix reference §4.5), made precise where its
//! documentation is silent:
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

use std::collections::HashMap;

use rusqlite::Connection;

use crate::config::SuppressionSettings;
use crate::state::alerts::{self, AlertRow};
use crate::state::duration_ms;
use crate::state::outbox::{self, OutboxKind};
use crate::state::tickets::{self, FloodWindow, TicketKind, TicketRow};

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It opens a new ticket.
    Open {
        /// The ticket's row id.
        ticket: i64,
    },
    /// It joins its ticket's next update.
    Consolidate {
        /// The ticket's row id.
        ticket: i64,
    },
    /// It opens the window's flood ticket.
    OpenFlood {
        /// The flood ticket's row id.
        ticket: i64,
    },
    /// It joins the window's flood ticket.
    Flood {
        /// The flood ticket's row id.
        ticket: i64,
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
    pub ticket: i64,
    /// The ticket action (outbox row).
    pub action: i64,
    /// What happened.
    pub decision: Decision,
    /// Whether the alert's record will be listed (an action lists at most
    /// `max_records_per_update`; the others are counted, their payload need not be kept).
    pub keep_record: bool,
}

/// What a batch of decisions knows: each key's newest ticket and the flood window, read once
/// and kept up to date in memory, and the alert counts to write once per ticket.
#[derive(Default)]
struct Batch {
    /// Each key's newest ticket, by id (`None`: the key has none).
    newest: HashMap<String, Option<i64>>,
    /// The tickets read or made in this batch, by id.
    tickets: HashMap<i64, TicketRow>,
    window: Option<Option<FloodWindow>>,
    window_changed: bool,
    added: HashMap<i64, (u64, i64)>,
    /// Alerts per ticket action: (count before this batch, added in this batch).
    actions: HashMap<i64, (u64, u64)>,
}

impl Batch {
    fn ticket(&mut self, tx: &Connection, id: i64) -> rusqlite::Result<Option<&mut TicketRow>> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.tickets.entry(id) {
            match tickets::get(tx, id)? {
                Some(t) => {
                    e.insert(t);
                }
                None => return Ok(None),
            }
        }
        Ok(self.tickets.get_mut(&id))
    }
}

impl Suppression<'_> {
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
        tx: &Connection,
        batch: &[AlertRow],
        now: i64,
    ) -> rusqlite::Result<Vec<Decision>> {
        let placements = self.place(tx, batch, now)?;
        for (alert, p) in batch.iter().zip(&placements) {
            alerts::decide(
                tx,
                alert.id,
                &p.key,
                p.ticket,
                p.action,
                p.decision.as_str(),
                now,
            )?;
        }
        Ok(placements.into_iter().map(|p| p.decision).collect())
    }

    /// Decides where each alert of `batch` goes (tickets, ticket actions, flood window are
    /// written), leaving the alerts' own rows to the caller: polled alerts are inserted with
    /// their placement in one write.
    pub fn place(
        &self,
        tx: &Connection,
        batch: &[AlertRow],
        now: i64,
    ) -> rusqlite::Result<Vec<Placement>> {
        let mut state = Batch::default();
        let mut placements = Vec::with_capacity(batch.len());
        for alert in batch {
            let mut p = self.decide_one(tx, &mut state, alert, now)?;
            let count = match state.actions.entry(p.action) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert((outbox::alert_count(tx, p.action)?, 0))
                }
            };
            p.keep_record = count.0 + count.1 < self.settings.max_records_per_update.max(1) as u64;
            count.1 += 1;
            placements.push(p);
        }
        for (action, (_, added)) in state.actions {
            outbox::add_alerts(tx, action, added)?;
        }
        for (ticket, (count, last_at)) in state.added {
            tickets::add_alerts(tx, ticket, count, last_at)?;
        }
        if let (true, Some(Some(window))) = (state.window_changed, state.window) {
            tickets::set_flood_window(tx, self.pipeline, &window)?;
        }
        Ok(placements)
    }

    fn decide_one(
        &self,
        tx: &Connection,
        state: &mut Batch,
        alert: &AlertRow,
        now: i64,
    ) -> rusqlite::Result<Placement> {
        let s = self.settings;
        let t = alert.received_at;
        let key = self.key(alert);
        let update_ms = duration_ms(s.update_interval.get());
        let correlation_ms = duration_ms(s.correlation_interval.get());
        if !state.newest.contains_key(&key) {
            let since = t.saturating_sub(update_ms.max(correlation_ms));
            let newest = tickets::newest_for_key(tx, self.pipeline, &key, since)?;
            state
                .newest
                .insert(key.clone(), newest.as_ref().map(|tk| tk.id));
            if let Some(tk) = newest {
                state.tickets.insert(tk.id, tk);
            }
        }
        let newest = state
            .newest
            .get(&key)
            .copied()
            .flatten()
            .and_then(|id| state.tickets.get(&id).cloned());

        if s.update_ticket_on_repetitive_alerts {
            if let Some(ticket) = newest
                .as_ref()
                .filter(|tk| tk.usable && t - tk.last_alert_at <= update_ms)
            {
                let ticket = ticket.id;
                let action = self.collect(tx, state, ticket, TicketKind::Alert, t, now)?;
                return Ok(Placement {
                    key,
                    ticket,
                    action,
                    decision: Decision::Consolidate { ticket },
                    keep_record: true,
                });
            }
        }

        let flood_ms = duration_ms(s.ticket_flood_interval.get());
        if state.window.is_none() {
            state.window = Some(tickets::flood_window(tx, self.pipeline)?);
        }
        let mut window = match state.window.flatten() {
            Some(w) if t < w.started_at.saturating_add(flood_ms) => w,
            _ => FloodWindow {
                started_at: t,
                created: 0,
                flood_ticket_id: None,
            },
        };
        let placement = if window.created < s.ticket_flood_limit {
            let previous = newest
                .filter(|_| s.ticket_correlation)
                .filter(|tk| tk.created_at >= t.saturating_sub(correlation_ms))
                .map(|tk| tk.id);
            let ticket = tickets::insert(
                tx,
                self.pipeline,
                &key,
                TicketKind::Alert,
                &alert.alert_name,
                self.correlation_prefix,
                t,
            )?;
            let id = ticket.id;
            let action = outbox::insert(
                tx,
                self.pipeline,
                id,
                OutboxKind::Open,
                false,
                previous,
                None,
                now,
            )?;
            state.newest.insert(key.clone(), Some(id));
            state.tickets.insert(id, ticket);
            window.created += 1;
            Placement {
                key,
                ticket: id,
                action,
                decision: Decision::Open { ticket: id },
                keep_record: true,
            }
        } else if let Some(flood) = window.flood_ticket_id {
            let action = self.collect(tx, state, flood, TicketKind::Flood, t, now)?;
            Placement {
                key,
                ticket: flood,
                action,
                decision: Decision::Flood { ticket: flood },
                keep_record: true,
            }
        } else {
            let flood_key = format!("flood window {}", window.started_at);
            let ticket = tickets::insert(
                tx,
                self.pipeline,
                &flood_key,
                TicketKind::Flood,
                "",
                self.correlation_prefix,
                t,
            )?;
            let action = outbox::insert(
                tx,
                self.pipeline,
                ticket.id,
                OutboxKind::Open,
                false,
                None,
                None,
                now,
            )?;
            window.flood_ticket_id = Some(ticket.id);
            let id = ticket.id;
            state.tickets.insert(id, ticket);
            Placement {
                key,
                ticket: id,
                action,
                decision: Decision::OpenFlood { ticket: id },
                keep_record: true,
            }
        };
        state.window = Some(Some(window));
        state.window_changed = true;
        Ok(placement)
    }

    /// The update collecting repeats for ticket `ticket` (opened now if there is none), with
    /// the alert counted on the ticket.
    fn collect(
        &self,
        tx: &Connection,
        state: &mut Batch,
        ticket: i64,
        kind: TicketKind,
        t: i64,
        now: i64,
    ) -> rusqlite::Result<i64> {
        let entry = state.added.entry(ticket).or_insert((0, t));
        entry.0 += 1;
        entry.1 = entry.1.max(t);
        let Some(row) = state.ticket(tx, ticket)? else {
            return Err(rusqlite::Error::QueryReturnedNoRows);
        };
        row.last_alert_at = row.last_alert_at.max(t);
        if let Some(action) = row.collecting_outbox_id {
            return Ok(action);
        }
        // An update that is due but still waits for the sink takes the repeat too: it goes
        // out as soon as the sink is free either way, so one request carries both (with a
        // zero consolidation interval, a sink that keeps up still gets each repeat at once).
        if let Some(action) = outbox::unsent_update(tx, ticket)? {
            return Ok(action);
        }
        let reopen = kind == TicketKind::Alert && self.settings.reopen_ticket_on_repetitive_alerts;
        let flush_at = t.saturating_add(duration_ms(self.settings.consolidation_interval.get()));
        let action = outbox::insert(
            tx,
            self.pipeline,
            ticket,
            OutboxKind::Update,
            reopen,
            None,
            Some(flush_at),
            now,
        )?;
        tickets::set_collecting(tx, ticket, action)?;
        row.collecting_outbox_id = Some(action);
        Ok(action)
    }

    /// Ends every collection that is due at `now`: each becomes one pending update.
    pub fn flush_due(&self, tx: &Connection, now: i64) -> rusqlite::Result<usize> {
        outbox::flush_due(tx, self.pipeline, now)
    }

    /// When the next collection ends, ms.
    pub fn next_flush_at(&self, conn: &Connection) -> rusqlite::Result<Option<i64>> {
        outbox::next_flush(conn, self.pipeline)
    }
}
