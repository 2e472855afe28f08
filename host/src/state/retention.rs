//! Pruning: finished history is kept within the vendor add-on's limits (a count and an age),
//! correlation history as long as the correlation interval, seen record ids as configured.

use rusqlite::{params, Connection};

/// What to keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Finished alerts kept at most.
    pub alerts: usize,
    /// Finished alerts older than this (ms) go.
    pub alert_age_ms: i64,
    /// Finished ticket actions kept at most.
    pub actions: usize,
    /// Finished ticket actions older than this (ms) go.
    pub action_age_ms: i64,
    /// Tickets whose last alert is older than this (ms) go, unless work is pending on them.
    pub ticket_age_ms: i64,
    /// Seen record ids older than this (ms) go.
    pub seen_age_ms: i64,
    /// Events kept at most.
    pub events: usize,
}

/// Rows removed by one pruning pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Alerts.
    pub alerts: usize,
    /// Ticket actions.
    pub actions: usize,
    /// Tickets.
    pub tickets: usize,
    /// Seen record ids.
    pub seen: usize,
}

/// Prunes `pipeline`'s finished history as of `now`.
pub fn prune(
    conn: &Connection,
    pipeline: &str,
    now: i64,
    limits: &Limits,
) -> rusqlite::Result<Pruned> {
    // An alert is finished when the ticket action it belongs to is; found through the outbox
    // index, so a pass costs what it deletes, not the size of the queue. The count limit keeps
    // the newest alerts, as the vendor add-on evicts the oldest requests first.
    // The ids are collected first and deleted in id order, so each page of the table is
    // rewritten once; in index order, ticket by ticket, a flood's pages were visited again
    // for every ticket its alerts interleave with.
    let alerts = conn.execute(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE outbox_id IS NOT NULL \
         AND outbox_id IN (SELECT id FROM outbox WHERE pipeline = ?1 AND state IN ('done', 'dead')) \
         AND (received_at < ?2 OR id <= (SELECT max(id) FROM alerts WHERE pipeline = ?1) - ?3))",
        params![pipeline, now - limits.alert_age_ms, limits.alerts as i64],
    )?;
    let ignored = conn.execute(
        "DELETE FROM alerts WHERE pipeline = ?1 AND status = 'ignored' AND received_at < ?2",
        params![pipeline, now - limits.alert_age_ms],
    )?;
    // A finished action goes only once no alert refers to it any more.
    let actions = conn.execute(
        "DELETE FROM outbox WHERE pipeline = ?1 AND state IN ('done', 'dead') AND (done_at < ?2 OR id <= \
         (SELECT id FROM outbox WHERE pipeline = ?1 AND state IN ('done', 'dead') ORDER BY id DESC LIMIT 1 OFFSET ?3)) \
         AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.outbox_id = outbox.id)",
        params![pipeline, now - limits.action_age_ms, limits.actions as i64],
    )?;
    let tickets = conn.execute(
        "DELETE FROM tickets WHERE pipeline = ?1 AND last_alert_at < ?2 AND collecting_outbox_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = tickets.id AND o.state IN ('collecting', 'pending', 'in_flight')) \
         AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.ticket_id = tickets.id) \
         AND NOT EXISTS (SELECT 1 FROM flood_windows f WHERE f.flood_ticket_id = tickets.id)",
        params![pipeline, now - limits.ticket_age_ms],
    )?;
    let seen = conn.execute(
        "DELETE FROM seen_records WHERE pipeline = ?1 AND seen_at < ?2",
        params![pipeline, now - limits.seen_age_ms],
    )?;
    conn.execute(
        "DELETE FROM events WHERE pipeline = ?1 AND id <= \
         (SELECT id FROM events WHERE pipeline = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        params![pipeline, limits.events as i64],
    )?;
    Ok(Pruned {
        alerts: alerts + ignored,
        actions,
        tickets,
        seen,
    })
}
