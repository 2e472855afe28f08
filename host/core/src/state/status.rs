//! What `sluice status` reads about a pipeline: its queue, when it last fetched and delivered,
//! its flood window, the tickets still taking repeats, and recent problems. Reads only; safe
//! while `sluice run` writes (WAL).

use std::time::Duration;

use super::db::{self, args, Db};

use super::alerts::{self, AlertState};
use super::checkpoints::{self, Activity};
use super::ids::TicketId;
use super::outbox::{self, ActionState};
use super::tickets::{self, FloodWindow, TicketKind, TicketRow};
use crate::time::Timestamp;

/// Recent problems listed, at most.
const RECENT: usize = 10;

/// A pipeline's state, as stored.
#[derive(Debug, Clone)]
pub struct PipelineStatus {
    /// Alerts per state, in the order of the states' names.
    pub alerts: Vec<(AlertState, u64)>,
    /// Ticket actions per state, in the order of the states' names.
    pub actions: Vec<(ActionState, u64)>,
    /// When records were last read from the source.
    pub last_fetch: Option<Timestamp>,
    /// When the sink last confirmed a ticket action.
    pub last_delivery: Option<Timestamp>,
    /// The flood window, if one was ever opened, and its flood ticket.
    pub flood_window: Option<(FloodWindow, Option<TicketRow>)>,
    /// Tickets still taking repeats, per alert.
    pub open_tickets: Vec<OpenTickets>,
    /// Ticket actions waiting to be tried again, newest first (at most 10), and how many in all.
    pub retrying: (Vec<Retrying>, u64),
    /// Recent problems (source failures, dead letters, refusals), newest first: (when, kind,
    /// message).
    pub events: Vec<(Timestamp, String, String)>,
}

impl PipelineStatus {
    /// How many alerts are in `state`.
    pub fn alerts_in(&self, state: AlertState) -> u64 {
        self.alerts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }
}

/// The tickets of one alert that still take its repeats.
#[derive(Debug, Clone)]
pub struct OpenTickets {
    /// The alert ("" for flood tickets).
    pub alert: String,
    /// Alert or flood tickets.
    pub kind: TicketKind,
    /// How many.
    pub count: u64,
    /// Alerts they stand for.
    pub alerts: u64,
    /// The newest of them.
    pub newest: TicketRow,
}

/// A ticket action waiting to be tried again.
#[derive(Debug, Clone)]
pub struct Retrying {
    /// The alert of its ticket.
    pub alert: String,
    /// The ticket's number, once it has one.
    pub ticket: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
    /// When it is tried next.
    pub next_at: Timestamp,
    /// Why the last attempt failed.
    pub error: String,
}

/// Reads `pipeline`'s status at `now`; a ticket takes repeats for `update_interval` after its
/// last alert.
pub fn read(
    db: &Db<'_>,
    pipeline: &str,
    now: Timestamp,
    update_interval: Duration,
) -> db::Result<PipelineStatus> {
    let flood_window = match tickets::flood_window(db, pipeline)? {
        Some(w) => {
            let ticket = match w.flood_ticket_id {
                Some(id) => tickets::get(db, id)?,
                None => None,
            };
            Some((w, ticket))
        }
        None => None,
    };
    Ok(PipelineStatus {
        alerts: alerts::by_state(db, pipeline)?,
        actions: outbox::by_state(db, pipeline)?,
        last_fetch: checkpoints::last_done(db, pipeline, Activity::Fetch)?,
        last_delivery: checkpoints::last_done(db, pipeline, Activity::Delivery)?,
        flood_window,
        open_tickets: open_tickets(db, pipeline, now - update_interval)?,
        retrying: retrying(db, pipeline)?,
        events: checkpoints::recent_events(db, pipeline, RECENT)?,
    })
}

fn open_tickets(db: &Db<'_>, pipeline: &str, since: Timestamp) -> db::Result<Vec<OpenTickets>> {
    let groups: Vec<(String, i64, i64, TicketId)> = db.query(
        "SELECT alert_name, count(*), CAST(sum(alert_count) AS BIGINT), max(id) FROM tickets \
             WHERE pipeline = ?1 AND usable = 1 AND last_alert_at >= ?2 \
             GROUP BY alert_name, kind ORDER BY kind, alert_name",
        args![pipeline, since],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut out = Vec::with_capacity(groups.len());
    for (alert, count, alerts, newest) in groups {
        if let Some(newest) = tickets::get(db, newest)? {
            out.push(OpenTickets {
                alert,
                kind: newest.kind,
                count: count as u64,
                alerts: alerts as u64,
                newest,
            });
        }
    }
    Ok(out)
}

fn retrying(db: &Db<'_>, pipeline: &str) -> db::Result<(Vec<Retrying>, u64)> {
    let pending = ActionState::Pending.sql();
    let total: i64 = db.query_one(
        &format!(
            "SELECT count(*) FROM outbox WHERE pipeline = ?1 AND state = {pending} \
             AND last_error IS NOT NULL"
        ),
        args![pipeline],
        |r| r.get(0),
    )?;
    let rows = db.query(
        &format!(
            "SELECT t.alert_name, t.number, o.attempts, o.next_at, o.last_error \
             FROM outbox o JOIN tickets t ON t.id = o.ticket_id \
             WHERE o.pipeline = ?1 AND o.state = {pending} AND o.last_error IS NOT NULL \
             ORDER BY o.id DESC LIMIT ?2"
        ),
        args![pipeline, RECENT as i64],
        |r| {
            Ok(Retrying {
                alert: r.get(0)?,
                ticket: r.get(1)?,
                attempts: r.get(2)?,
                next_at: r.get(3)?,
                error: r.get(4)?,
            })
        },
    )?;
    Ok((rows, total as u64))
}

/// When ticket action `action` stops collecting repeats and is sent (an update in a
/// consolidation buffer); `None` for an action that does not collect.
pub fn collecting_until(
    db: &Db<'_>,
    action: super::ids::ActionId,
) -> db::Result<Option<Timestamp>> {
    let collecting = ActionState::Collecting.sql();
    Ok(db
        .query_opt(
            &format!("SELECT flush_at FROM outbox WHERE id = ?1 AND state = {collecting}"),
            args![action],
            |r| r.get::<Option<Timestamp>>(0),
        )?
        .flatten())
}
