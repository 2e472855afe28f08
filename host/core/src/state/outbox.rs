//! The outbox: ticket actions decided but not yet confirmed by the sink, delivered in order
//! per ticket, retried with backoff, reconciled after a crash.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::secret::redact;

/// What a ticket action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// Create the ticket.
    Open,
    /// Write a consolidated update (and reopen, if asked).
    Update,
}

impl OutboxKind {
    fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Open => "open",
            OutboxKind::Update => "update",
        }
    }
}

/// A ticket action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// The ticket it acts on.
    pub ticket_id: i64,
    /// Open or update.
    pub kind: OutboxKind,
    /// Reopen the ticket if it is closed.
    pub reopen: bool,
    /// For an open: the previous ticket of the same key, to reference.
    pub correlate_ticket_id: Option<i64>,
    /// `pending`, `in_flight`, `done`, `dead`.
    pub state: String,
    /// Bit set of the steps already confirmed (for an update: reopen, notes, attachment).
    pub steps_done: u32,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was decided, ms.
    pub created_at: i64,
    /// When it was first attempted, ms.
    pub first_attempt_at: Option<i64>,
    /// Not before then, ms.
    pub next_at: i64,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, ticket_id, kind, reopen, correlate_ticket_id, state, steps_done, \
                       attempts, created_at, first_attempt_at, next_at, last_error";

fn row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        kind: if r.get::<_, String>(2)? == "open" {
            OutboxKind::Open
        } else {
            OutboxKind::Update
        },
        reopen: r.get(3)?,
        correlate_ticket_id: r.get(4)?,
        state: r.get(5)?,
        steps_done: r.get(6)?,
        attempts: r.get(7)?,
        created_at: r.get(8)?,
        first_attempt_at: r.get(9)?,
        next_at: r.get(10)?,
        last_error: r.get(11)?,
    })
}

/// Adds a ticket action; returns its id. With `collect_until`, it is an update that collects
/// repeats until then (a consolidation buffer); otherwise it is pending at once.
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &Connection,
    pipeline: &str,
    ticket_id: i64,
    kind: OutboxKind,
    reopen: bool,
    correlate_ticket_id: Option<i64>,
    collect_until: Option<i64>,
    at: i64,
) -> rusqlite::Result<i64> {
    let state = if collect_until.is_some() {
        "collecting"
    } else {
        "pending"
    };
    conn.prepare_cached(
        "INSERT INTO outbox (pipeline, ticket_id, kind, reopen, correlate_ticket_id, flush_at, \
         state, created_at, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        pipeline,
        ticket_id,
        kind.as_str(),
        reopen,
        correlate_ticket_id,
        collect_until,
        state,
        at
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Ends collection for every update whose `flush_at` has come: it becomes pending, and its
/// ticket stops pointing at it (the next repeat opens a new collection). Returns how many.
pub fn flush_due(conn: &Connection, pipeline: &str, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE tickets SET collecting_outbox_id = NULL, update_count = update_count + 1 \
         WHERE collecting_outbox_id IN (SELECT id FROM outbox WHERE pipeline = ?1 \
         AND state = 'collecting' AND flush_at <= ?2)",
    )?
    .execute(params![pipeline, now])?;
    conn.prepare_cached(
        "UPDATE outbox SET state = 'pending', next_at = ?2 \
         WHERE pipeline = ?1 AND state = 'collecting' AND flush_at <= ?2",
    )?
    .execute(params![pipeline, now])
}

/// The update of ticket `ticket` that is due but not sent yet (never attempted), if any.
pub fn unsent_update(conn: &Connection, ticket: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM outbox WHERE ticket_id = ?1 AND state = 'pending' AND kind = 'update' \
         AND attempts = 0 ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![ticket], |r| r.get(0))
    .optional()
}

/// How many alerts ticket action `id` carries so far.
pub fn alert_count(conn: &Connection, id: i64) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT alert_count FROM outbox WHERE id = ?1")?
        .query_row(params![id], |r| Ok(r.get::<_, i64>(0)? as u64))
}

/// Counts `n` more alerts on ticket action `id`.
pub fn add_alerts(conn: &Connection, id: i64, n: u64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE outbox SET alert_count = alert_count + ?2 WHERE id = ?1")?
        .execute(params![id, n as i64])?;
    Ok(())
}

/// When the next collecting update ends, ms.
pub fn next_flush(conn: &Connection, pipeline: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT min(flush_at) FROM outbox WHERE pipeline = ?1 AND state = 'collecting'",
    )?
    .query_row(params![pipeline], |r| r.get(0))
}

/// Pending actions due by `now` that are the oldest unfinished action of their ticket, and,
/// for an open that references a previous ticket, whose previous ticket has been opened (so
/// the reference can name it). At most `limit`: opens first, then oldest first. A new ticket
/// should not wait behind a backlog of updates to tickets already open; each ticket's own
/// actions still go in order.
pub fn due(
    conn: &Connection,
    pipeline: &str,
    now: i64,
    limit: usize,
) -> rusqlite::Result<Vec<OutboxRow>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox o WHERE o.pipeline = ?1 AND o.state = 'pending' \
         AND o.next_at <= ?2 \
         AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ticket_id = o.ticket_id \
                         AND p.id < o.id AND p.state IN ('pending', 'in_flight')) \
         AND (o.correlate_ticket_id IS NULL OR NOT EXISTS ( \
                SELECT 1 FROM outbox c WHERE c.ticket_id = o.correlate_ticket_id \
                AND c.kind = 'open' AND c.state IN ('pending', 'in_flight'))) \
         ORDER BY o.kind = 'open' DESC, o.id LIMIT ?3"
    ))?
    .query_map(params![pipeline, now, limit as i64], row)?
    .collect()
}

/// When the next pending action falls due, ms.
pub fn next_due(conn: &Connection, pipeline: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT min(next_at) FROM outbox WHERE pipeline = ?1 AND state = 'pending'",
    )?
    .query_row(params![pipeline], |r| r.get(0))
}

/// Actions left in flight by a process that died.
pub fn in_flight(conn: &Connection, pipeline: &str) -> rusqlite::Result<Vec<OutboxRow>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE pipeline = ?1 AND state = 'in_flight' ORDER BY id"
    ))?
    .query_map(params![pipeline], row)?
    .collect()
}

/// The action with id `id`.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<OutboxRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
        .query_row(params![id], row)
        .optional()
}

/// Marks the action as being sent, counting the attempt.
pub fn start(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, \
         first_attempt_at = coalesce(first_attempt_at, ?2) WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    Ok(())
}

/// Records confirmed steps of a partly done action.
pub fn set_steps(conn: &Connection, id: i64, steps_done: u32) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE outbox SET steps_done = ?2 WHERE id = ?1")?
        .execute(params![id, steps_done])?;
    Ok(())
}

/// Marks the action delivered.
pub fn finish(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'done', done_at = ?2, last_error = NULL WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    Ok(())
}

/// Puts the action back to wait until `next_at`.
pub fn retry_at(conn: &Connection, id: i64, next_at: i64, error: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'pending', next_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, next_at, redact(error)])?;
    Ok(())
}

/// Puts an action whose first steps are done back in the queue for the rest, due at
/// `next_at`, without an error: it is progress, not a failure.
pub fn requeue(conn: &Connection, id: i64, next_at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'pending', next_at = ?2, last_error = NULL WHERE id = ?1",
    )?
    .execute(params![id, next_at])?;
    Ok(())
}

/// Dead-letters the action.
pub fn kill(conn: &Connection, id: i64, now: i64, error: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'dead', done_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, now, redact(error)])?;
    Ok(())
}

/// Counts of actions per state for `pipeline`.
pub fn counts(conn: &Connection, pipeline: &str) -> rusqlite::Result<Vec<(String, u64)>> {
    conn.prepare_cached(
        "SELECT state, count(*) FROM outbox WHERE pipeline = ?1 GROUP BY state ORDER BY state",
    )?
    .query_map(params![pipeline], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?
    .collect()
}
