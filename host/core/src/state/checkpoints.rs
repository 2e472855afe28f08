//! Source checkpoints, seen record ids, threshold counters, recent events, and when the
//! source and the sink last did their work (for `sluice status`).

use rusqlite::{params, Connection, OptionalExtension};

use crate::secret::redact;
use crate::time::Timestamp;

/// The stored checkpoint of `pipeline`'s source.
pub fn get(conn: &Connection, pipeline: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT checkpoint FROM checkpoints WHERE pipeline = ?1")?
        .query_row(params![pipeline], |r| r.get(0))
        .optional()
}

/// Stores `pipeline`'s source checkpoint.
pub fn set(
    conn: &Connection,
    pipeline: &str,
    checkpoint: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (pipeline, checkpoint, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pipeline) DO UPDATE SET checkpoint = excluded.checkpoint, \
         updated_at = excluded.updated_at",
    )?
    .execute(params![pipeline, checkpoint, at])?;
    Ok(())
}

/// Remembers a polled record id; `false` if it was seen before.
pub fn first_sighting(
    conn: &Connection,
    pipeline: &str,
    record_id: &str,
    at: Timestamp,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO seen_records (pipeline, record_id, seen_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![pipeline, record_id, at])?
        == 1)
}

/// The stored threshold hits of (`rule`, `group`), JSON.
pub fn threshold(
    conn: &Connection,
    pipeline: &str,
    rule: &str,
    group: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT hits FROM thresholds WHERE pipeline = ?1 AND rule = ?2 AND grp = ?3",
    )?
    .query_row(params![pipeline, rule, group], |r| r.get(0))
    .optional()
}

/// Stores the threshold hits of (`rule`, `group`).
pub fn set_threshold(
    conn: &Connection,
    pipeline: &str,
    rule: &str,
    group: &str,
    hits: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO thresholds (pipeline, rule, grp, hits, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (pipeline, rule, grp) DO UPDATE SET hits = excluded.hits, updated_at = excluded.updated_at",
    )?
    .execute(params![pipeline, rule, group, hits, at])?;
    Ok(())
}

/// Records a problem for `sluice status` (secrets redacted: the store outlives the process).
pub fn event(
    conn: &Connection,
    pipeline: &str,
    at: Timestamp,
    kind: &str,
    message: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (pipeline, at, kind, message) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![pipeline, at, kind, redact(message)])?;
    Ok(())
}

/// The newest events, at most `limit`: (when, kind, message).
pub fn recent_events(
    conn: &Connection,
    pipeline: &str,
    limit: usize,
) -> rusqlite::Result<Vec<(Timestamp, String, String)>> {
    conn.prepare_cached(
        "SELECT at, kind, message FROM events WHERE pipeline = ?1 ORDER BY id DESC LIMIT ?2",
    )?
    .query_map(params![pipeline, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// What a pipeline last did successfully, for [`touch`] and [`last_done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Read records from the source (a poll or a fetch by id).
    Fetch,
    /// Had a ticket action confirmed by the sink.
    Delivery,
}

impl Activity {
    fn as_str(self) -> &'static str {
        match self {
            Activity::Fetch => "fetch",
            Activity::Delivery => "delivery",
        }
    }
}

/// Notes that `pipeline` did `what` successfully at `at` (in the transaction that stored its
/// result, so it costs no commit of its own).
pub fn touch(
    conn: &Connection,
    pipeline: &str,
    what: Activity,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO activity (pipeline, kind, at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pipeline, kind) DO UPDATE SET at = max(at, excluded.at)",
    )?
    .execute(params![pipeline, what.as_str(), at])?;
    Ok(())
}

/// When `pipeline` last did `what` successfully.
pub fn last_done(
    conn: &Connection,
    pipeline: &str,
    what: Activity,
) -> rusqlite::Result<Option<Timestamp>> {
    conn.prepare_cached("SELECT at FROM activity WHERE pipeline = ?1 AND kind = ?2")?
        .query_row(params![pipeline, what.as_str()], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secrets;
    use crate::state::{Durability, Store};

    #[test]
    fn stored_messages_are_redacted_and_activity_keeps_the_latest_time() {
        let mut secrets = Secrets::default();
        secrets.insert("stored-secret-8b1c");
        secrets.register();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), Durability::Normal).unwrap();
        store
            .write(|tx| {
                let at = Timestamp::from_millis;
                event(tx, "p", at(1), "source", "login stored-secret-8b1c refused")?;
                touch(tx, "p", Activity::Fetch, at(20))?;
                touch(tx, "p", Activity::Fetch, at(10))
            })
            .unwrap();
        let events = recent_events(store.conn(), "p", 5).unwrap();
        assert_eq!(events[0].2, "login <redacted> refused");
        assert_eq!(
            last_done(store.conn(), "p", Activity::Fetch).unwrap(),
            Some(Timestamp::from_millis(20))
        );
        assert_eq!(
            last_done(store.conn(), "p", Activity::Delivery).unwrap(),
            None
        );
    }
}
