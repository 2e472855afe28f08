//! Tickets sluice opened, per suppression key; the flood window; correlation history.

use std::collections::HashMap;

use super::db::{self, args, Db, Row, ToValue};

use super::ids::{ActionId, NewIds, TicketId};
use crate::time::Timestamp;

/// Whether a ticket stands for one alert or collects a flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    /// Opened for one alert (and its repeats).
    Alert,
    /// Collects the alerts beyond the flood limit in one window.
    Flood,
}

impl TicketKind {
    /// `alert` or `flood`.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Alert => "alert",
            TicketKind::Flood => "flood",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "flood" {
            TicketKind::Flood
        } else {
            TicketKind::Alert
        }
    }
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    /// Row id.
    pub id: TicketId,
    /// Its suppression key.
    pub suppression_key: String,
    /// Alert or flood.
    pub kind: TicketKind,
    /// The alert it is for ("" for a flood ticket).
    pub alert_name: String,
    /// The deterministic key the sink stores with it.
    pub correlation_id: String,
    /// The sink's id, once created.
    pub sink_id: Option<String>,
    /// Its number, once created.
    pub number: Option<String>,
    /// A link to it, once created.
    pub link: Option<String>,
    /// Its last known state.
    pub state: Option<String>,
    /// When it was decided.
    pub created_at: Timestamp,
    /// When its last alert arrived.
    pub last_alert_at: Timestamp,
    /// The update collecting its repeats, if one is open.
    pub collecting_outbox_id: Option<ActionId>,
    /// Whether the sink still takes updates to it.
    pub usable: bool,
    /// Alerts it stands for.
    pub alert_count: u64,
    /// Updates written to it.
    pub update_count: u64,
    /// Times it was reopened.
    pub reopen_count: u64,
}

const COLUMNS: &str = "id, suppression_key, kind, alert_name, correlation_id, sink_id, number, \
                       link, state, created_at, last_alert_at, collecting_outbox_id, usable, alert_count, \
                       update_count, reopen_count";

fn row(r: &Row<'_>) -> db::Result<TicketRow> {
    Ok(TicketRow {
        id: r.get(0)?,
        suppression_key: r.get(1)?,
        kind: TicketKind::parse(&r.get::<String>(2)?),
        alert_name: r.get(3)?,
        correlation_id: r.get(4)?,
        sink_id: r.get(5)?,
        number: r.get(6)?,
        link: r.get(7)?,
        state: r.get(8)?,
        created_at: r.get(9)?,
        last_alert_at: r.get(10)?,
        collecting_outbox_id: r.get(11)?,
        usable: r.get(12)?,
        alert_count: r.get::<i64>(13)? as u64,
        update_count: r.get::<i64>(14)? as u64,
        reopen_count: r.get::<i64>(15)? as u64,
    })
}

/// A ticket to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewTicket<'a> {
    /// Its pipeline.
    pub pipeline: &'a str,
    /// Its suppression key.
    pub suppression_key: &'a str,
    /// Alert or flood.
    pub kind: TicketKind,
    /// The alert it is for ("" for a flood ticket).
    pub alert_name: &'a str,
    /// Its correlation id is this and its row id.
    pub correlation_prefix: &'a str,
    /// When it was decided.
    pub at: Timestamp,
}

impl NewTicket<'_> {
    /// The ticket as row `id` holds it once inserted: its correlation id is
    /// `{prefix}{row id}`, its first alert the one that opened it.
    pub fn row(&self, id: TicketId) -> TicketRow {
        TicketRow {
            id,
            suppression_key: self.suppression_key.to_owned(),
            kind: self.kind,
            alert_name: self.alert_name.to_owned(),
            correlation_id: format!("{}{id}", self.correlation_prefix),
            sink_id: None,
            number: None,
            link: None,
            state: None,
            created_at: self.at,
            last_alert_at: self.at,
            collecting_outbox_id: None,
            usable: true,
            alert_count: 1,
            update_count: 0,
            reopen_count: 0,
        }
    }
}

/// Inserts `ticket`.
pub fn insert(db: &Db<'_>, ticket: &NewTicket<'_>) -> db::Result<TicketRow> {
    let row = ticket.row(NewIds::default().take(db, 1)?);
    insert_all(db, ticket.pipeline, &[&row])?;
    Ok(row)
}

/// Inserts new tickets of `pipeline` as `rows` hold them (ids from [`NewIds`]), a few
/// statements for the lot.
pub(crate) fn insert_all(db: &Db<'_>, pipeline: &str, rows: &[&TicketRow]) -> db::Result<()> {
    let rows: Vec<(&TicketRow, &str, i64)> = rows
        .iter()
        .map(|t| (*t, t.kind.as_str(), t.alert_count as i64))
        .collect();
    db::insert_rows(
        db,
        "INSERT INTO tickets (id, pipeline, suppression_key, kind, alert_name, correlation_id, \
         created_at, last_alert_at, collecting_outbox_id, alert_count) {rows}",
        &[
            "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT",
            "BIGINT",
        ],
        &rows,
        |(t, kind, alert_count), args| {
            args.extend([
                &t.id as &dyn ToValue,
                &pipeline,
                &t.suppression_key,
                kind,
                &t.alert_name,
                &t.correlation_id,
                &t.created_at,
                &t.last_alert_at,
                &t.collecting_outbox_id,
                alert_count,
            ])
        },
        |_| Ok(()),
    )
}

/// The ticket with row id `id`.
pub fn get(db: &Db<'_>, id: TicketId) -> db::Result<Option<TicketRow>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"),
        args![id],
        row,
    )
}

/// The tickets with row ids `ids`, by id; a few statements for a round of actions.
pub fn get_all(db: &Db<'_>, ids: &[TicketId]) -> db::Result<HashMap<TicketId, TicketRow>> {
    let mut found = HashMap::new();
    db::each_in(
        db,
        &format!("SELECT {COLUMNS} FROM tickets WHERE id IN ({{list}})"),
        &[],
        ids,
        |r| {
            let ticket = row(r)?;
            found.insert(ticket.id, ticket);
            Ok(())
        },
    )?;
    Ok(found)
}

/// The newest alert ticket of each of `keys` created at or after `since` (by creation, then
/// id); keys with none are absent. A batch of alerts looks its keys up in a few statements.
pub fn newest_for_keys(
    db: &Db<'_>,
    pipeline: &str,
    keys: &[&str],
    since: Timestamp,
) -> db::Result<HashMap<String, TicketRow>> {
    let mut newest: HashMap<String, TicketRow> = HashMap::new();
    db::each_in(
        db,
        &format!(
            "SELECT {COLUMNS} FROM tickets WHERE pipeline = ?1 AND kind = 'alert' \
             AND created_at >= ?2 AND suppression_key IN ({{list}})"
        ),
        &[&pipeline, &since],
        keys,
        |r| {
            let ticket = row(r)?;
            match newest.get(&ticket.suppression_key) {
                Some(kept) if (kept.created_at, kept.id) >= (ticket.created_at, ticket.id) => {}
                _ => {
                    newest.insert(ticket.suppression_key.clone(), ticket);
                }
            }
            Ok(())
        },
    )?;
    Ok(newest)
}

/// Records more alerts on tickets: (ticket, how many more, when the last arrived) each, a
/// few statements for the lot.
pub fn add_alerts_all(db: &Db<'_>, added: &[(TicketId, i64, Timestamp)]) -> db::Result<()> {
    db::update_all(
        db,
        "UPDATE tickets SET alert_count = alert_count + v.column2, last_alert_at = \
         CASE WHEN last_alert_at > v.column3 THEN last_alert_at ELSE v.column3 END \
         FROM (VALUES {rows}) AS v WHERE tickets.id = v.column1",
        &[],
        &["BIGINT", "BIGINT", "BIGINT"],
        added,
        |(id, n, at), args| args.extend([id as &dyn ToValue, n, at]),
    )?;
    Ok(())
}

/// Sets the update collecting each ticket's repeats: (ticket, action) each, a few statements
/// for the lot.
pub fn set_collecting_all(db: &Db<'_>, collecting: &[(TicketId, ActionId)]) -> db::Result<()> {
    db::update_all(
        db,
        "UPDATE tickets SET collecting_outbox_id = v.column2 FROM (VALUES {rows}) AS v \
         WHERE tickets.id = v.column1",
        &[],
        &["BIGINT", "BIGINT"],
        collecting,
        |(ticket, action), args| args.extend([ticket as &dyn ToValue, action]),
    )?;
    Ok(())
}

/// What the sink last showed of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkState {
    /// Its id in the sink.
    pub sink_id: String,
    /// The number people know it by.
    pub number: String,
    /// Where it is shown.
    pub link: String,
    /// Its state there.
    pub state: String,
}

/// Stores what the sink last showed of each ticket; a few statements for a round.
pub fn set_sink_states(db: &Db<'_>, states: &[(TicketId, SinkState)]) -> db::Result<()> {
    db::update_all(
        db,
        "UPDATE tickets SET sink_id = v.column2, number = v.column3, link = v.column4, \
         state = v.column5 FROM (VALUES {rows}) AS v WHERE tickets.id = v.column1",
        &[],
        &["BIGINT", "TEXT", "TEXT", "TEXT", "TEXT"],
        states,
        |(id, s), args| args.extend([id as &dyn ToValue, &s.sink_id, &s.number, &s.link, &s.state]),
    )?;
    Ok(())
}

/// Counts a reopen.
pub fn count_reopen(db: &Db<'_>, id: TicketId) -> db::Result<()> {
    db.execute(
        "UPDATE tickets SET reopen_count = reopen_count + 1 WHERE id = ?1",
        args![id],
    )?;
    Ok(())
}

/// Marks the ticket as refusing updates: the next alert for its key opens a new ticket.
pub fn set_unusable(db: &Db<'_>, id: TicketId) -> db::Result<()> {
    db.execute("UPDATE tickets SET usable = 0 WHERE id = ?1", args![id])?;
    Ok(())
}

/// All tickets of `pipeline`, newest first, at most `limit`.
pub fn recent(db: &Db<'_>, pipeline: &str, limit: usize) -> db::Result<Vec<TicketRow>> {
    db.query(
        &format!("SELECT {COLUMNS} FROM tickets WHERE pipeline = ?1 ORDER BY id DESC LIMIT ?2"),
        args![pipeline, limit as i64],
        row,
    )
}

/// The flood window of a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodWindow {
    /// When it opened.
    pub started_at: Timestamp,
    /// Tickets opened in it.
    pub created: u32,
    /// Its flood ticket, once there is one.
    pub flood_ticket_id: Option<TicketId>,
}

/// The pipeline's flood window, if one was ever opened.
pub fn flood_window(db: &Db<'_>, pipeline: &str) -> db::Result<Option<FloodWindow>> {
    db.query_opt(
        "SELECT started_at, created, flood_ticket_id FROM flood_windows WHERE pipeline = ?1",
        args![pipeline],
        |r| {
            Ok(FloodWindow {
                started_at: r.get(0)?,
                created: r.get(1)?,
                flood_ticket_id: r.get(2)?,
            })
        },
    )
}

/// Stores the pipeline's flood window.
pub fn set_flood_window(db: &Db<'_>, pipeline: &str, w: &FloodWindow) -> db::Result<()> {
    db.execute(
        "INSERT INTO flood_windows (pipeline, started_at, created, flood_ticket_id) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (pipeline) DO UPDATE SET \
         started_at = excluded.started_at, created = excluded.created, \
         flood_ticket_id = excluded.flood_ticket_id",
        args![pipeline, w.started_at, w.created, w.flood_ticket_id],
    )?;
    Ok(())
}
