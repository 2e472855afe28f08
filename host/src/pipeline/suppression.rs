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
//! - **Consolidation**: a buffer opens with its first alert and is written as one update
//!   `consolidation_interval` later.
//! - **Flood**: at most `ticket_flood_limit` tickets open per window; a window opens with the
//!   first ticket after the previous one ended and lasts `ticket_flood_interval`. Beyond the
//!   limit, alerts that would open a ticket go into the window's flood ticket (opened by the
//!   first of them, later ones consolidated into it). Repeats of alerts that have a ticket
//!   still update their own ticket: the limit counts only new tickets.
//! - **Correlation**: a new ticket references the newest earlier ticket of its key opened
//!   within `correlation_interval`.
//!
//! Every interval is measured on the host clock, from the alerts' arrival times.

use rusqlite::Connection;
use sluice_sdk::Record;

use crate::config::SuppressionSettings;
use crate::state::alerts::{self, status, AlertRow};
use crate::state::duration_ms;
use crate::state::outbox::{self, OutboxKind};
use crate::state::tickets::{self, FloodWindow, TicketKind};

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It opens a new ticket.
    Open {
        /// The ticket's row id.
        ticket: i64,
    },
    /// It joins its ticket's consolidation buffer.
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

    /// The ticket row it went to.
    pub fn ticket(self) -> i64 {
        match self {
            Decision::Open { ticket }
            | Decision::Consolidate { ticket }
            | Decision::OpenFlood { ticket }
            | Decision::Flood { ticket } => ticket,
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

impl Suppression<'_> {
    /// The suppression key of an alert: its name, and the `group_by` fields of its record.
    pub fn key(&self, alert_name: &str, record: Option<&Record>) -> String {
        let mut key = alert_name.to_owned();
        for field in &self.settings.group_by {
            let value = record.and_then(|r| r.field(field)).unwrap_or("");
            key.push_str(&format!(" | {field}={value}"));
        }
        key
    }

    /// Decides what `alert` does, writing the decision into `tx` (at host time `now`).
    pub fn decide(
        &self,
        tx: &Connection,
        alert: &AlertRow,
        record: Option<&Record>,
        now: i64,
    ) -> rusqlite::Result<Decision> {
        let s = self.settings;
        let t = alert.received_at;
        let key = self.key(&alert.alert_name, record);
        let update_ms = duration_ms(s.update_interval.get());
        let correlation_ms = duration_ms(s.correlation_interval.get());
        let newest = tickets::newest_for_key(
            tx,
            self.pipeline,
            &key,
            t.saturating_sub(update_ms.max(correlation_ms)),
        )?;

        if s.update_ticket_on_repetitive_alerts {
            if let Some(ticket) = newest
                .as_ref()
                .filter(|tk| tk.usable && t - tk.last_alert_at <= update_ms)
            {
                tickets::add_alert(tx, ticket.id, t, true)?;
                alerts::decide(
                    tx,
                    alert.id,
                    status::BUFFERED,
                    &key,
                    ticket.id,
                    None,
                    "consolidate",
                    now,
                )?;
                return Ok(Decision::Consolidate { ticket: ticket.id });
            }
        }

        let flood_ms = duration_ms(s.ticket_flood_interval.get());
        let mut window = match tickets::flood_window(tx, self.pipeline)? {
            Some(w) if t < w.started_at.saturating_add(flood_ms) => w,
            _ => FloodWindow {
                started_at: t,
                created: 0,
                flood_ticket_id: None,
            },
        };
        let decision = if window.created < s.ticket_flood_limit {
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
            let action = outbox::insert(
                tx,
                self.pipeline,
                ticket.id,
                OutboxKind::Open,
                false,
                previous,
                now,
            )?;
            alerts::decide(
                tx,
                alert.id,
                status::SENT,
                &key,
                ticket.id,
                Some(action),
                "open",
                now,
            )?;
            window.created += 1;
            Decision::Open { ticket: ticket.id }
        } else if let Some(flood) = window.flood_ticket_id {
            tickets::add_alert(tx, flood, t, true)?;
            alerts::decide(
                tx,
                alert.id,
                status::BUFFERED,
                &key,
                flood,
                None,
                "flood",
                now,
            )?;
            Decision::Flood { ticket: flood }
        } else {
            let ticket = tickets::insert(
                tx,
                self.pipeline,
                &format!("flood window {}", window.started_at),
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
                now,
            )?;
            alerts::decide(
                tx,
                alert.id,
                status::SENT,
                &key,
                ticket.id,
                Some(action),
                "open_flood",
                now,
            )?;
            window.flood_ticket_id = Some(ticket.id);
            Decision::OpenFlood { ticket: ticket.id }
        };
        tickets::set_flood_window(tx, self.pipeline, &window)?;
        Ok(decision)
    }

    /// Writes every consolidation buffer that is due at `now` as one update each; returns
    /// `(ticket, action, alerts)` per update.
    pub fn flush_due(&self, tx: &Connection, now: i64) -> rusqlite::Result<Vec<(i64, i64, usize)>> {
        let interval = duration_ms(self.settings.consolidation_interval.get());
        let mut flushed = Vec::new();
        for ticket in tickets::due_buffers(tx, self.pipeline, now.saturating_sub(interval))? {
            let reopen = ticket.kind == TicketKind::Alert
                && self.settings.reopen_ticket_on_repetitive_alerts;
            let action = outbox::insert(
                tx,
                self.pipeline,
                ticket.id,
                OutboxKind::Update,
                reopen,
                None,
                now,
            )?;
            let count = alerts::flush_buffer(tx, ticket.id, action)?;
            tickets::close_buffer(tx, ticket.id)?;
            flushed.push((ticket.id, action, count));
        }
        Ok(flushed)
    }

    /// When the next consolidation buffer falls due, ms.
    pub fn next_flush_at(&self, conn: &Connection) -> rusqlite::Result<Option<i64>> {
        let interval = duration_ms(self.settings.consolidation_interval.get());
        Ok(tickets::earliest_buffer(conn, self.pipeline)?.map(|t| t.saturating_add(interval)))
    }
}
