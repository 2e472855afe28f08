//! Source checkpoints, seen record ids, threshold counters, recent events, and when the
//! source and the sink last did their work (for `sluice status`).

use std::collections::HashSet;

use super::db::{self, args, Db, ToValue};

use crate::secret::redact;
use crate::time::Timestamp;

/// The stored checkpoint of `pipeline`'s source.
pub fn get(db: &Db<'_>, pipeline: &str) -> db::Result<Option<String>> {
    db.query_opt(
        "SELECT checkpoint FROM checkpoints WHERE pipeline = ?1",
        args![pipeline],
        |r| r.get(0),
    )
}

/// Stores `pipeline`'s source checkpoint.
pub fn set(db: &Db<'_>, pipeline: &str, checkpoint: &str, at: Timestamp) -> db::Result<()> {
    db.execute(
        "INSERT INTO checkpoints (pipeline, checkpoint, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pipeline) DO UPDATE SET checkpoint = excluded.checkpoint, \
         updated_at = excluded.updated_at",
        args![pipeline, checkpoint, at],
    )?;
    Ok(())
}

/// How many record ids one statement of [`first_sightings`] remembers.
const SIGHTINGS_PER_STATEMENT: usize = 64;

/// Remembers polled record ids; for each of `ids`, in order, whether this is its first
/// sighting (`false` when it was seen before, or earlier in `ids`).
pub fn first_sightings(
    db: &Db<'_>,
    pipeline: &str,
    ids: &[&str],
    at: Timestamp,
) -> db::Result<Vec<bool>> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let rows: Vec<String> = (0..SIGHTINGS_PER_STATEMENT)
            .map(|i| format!("(?1, ?{}, ?2)", i + 3))
            .collect();
        format!(
            "INSERT INTO seen_records (pipeline, record_id, seen_at) VALUES {} \
             ON CONFLICT DO NOTHING RETURNING record_id",
            rows.join(", ")
        )
    });
    let mut new: HashSet<String> = HashSet::new();
    for chunk in db::padded_chunks(ids, SIGHTINGS_PER_STATEMENT) {
        let mut args: Vec<&dyn ToValue> = vec![&pipeline, &at];
        args.extend(chunk.into_iter().map(|id| id as &dyn ToValue));
        db.each(sql, &args, |row| {
            new.insert(row.get(0)?);
            Ok(true)
        })?;
    }
    // An id new to the store is new at its first place in `ids` only.
    Ok(ids.iter().map(|id| new.remove(*id)).collect())
}

/// The stored threshold hits of (`rule`, `group`), JSON.
pub fn threshold(
    db: &Db<'_>,
    pipeline: &str,
    rule: &str,
    group: &str,
) -> db::Result<Option<String>> {
    db.query_opt(
        "SELECT hits FROM thresholds WHERE pipeline = ?1 AND rule = ?2 AND grp = ?3",
        args![pipeline, rule, group],
        |r| r.get(0),
    )
}

/// Stores the threshold hits of (`rule`, `group`).
pub fn set_threshold(
    db: &Db<'_>,
    pipeline: &str,
    rule: &str,
    group: &str,
    hits: &str,
    at: Timestamp,
) -> db::Result<()> {
    db.execute("INSERT INTO thresholds (pipeline, rule, grp, hits, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (pipeline, rule, grp) DO UPDATE SET hits = excluded.hits, updated_at = excluded.updated_at", args![pipeline, rule, group, hits, at])?;
    Ok(())
}

/// Records a problem for `sluice status` (secrets redacted: the store outlives the process).
pub fn event(
    db: &Db<'_>,
    pipeline: &str,
    at: Timestamp,
    kind: &str,
    message: &str,
) -> db::Result<()> {
    db.execute(
        "INSERT INTO events (pipeline, at, kind, message) VALUES (?1, ?2, ?3, ?4)",
        args![pipeline, at, kind, redact(message)],
    )?;
    Ok(())
}

/// The newest events, at most `limit`: (when, kind, message).
pub fn recent_events(
    db: &Db<'_>,
    pipeline: &str,
    limit: usize,
) -> db::Result<Vec<(Timestamp, String, String)>> {
    db.query(
        "SELECT at, kind, message FROM events WHERE pipeline = ?1 ORDER BY id DESC LIMIT ?2",
        args![pipeline, limit as i64],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
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
pub fn touch(db: &Db<'_>, pipeline: &str, what: Activity, at: Timestamp) -> db::Result<()> {
    db.execute(
        "INSERT INTO activity (pipeline, kind, at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (pipeline, kind) DO UPDATE SET at = \
         CASE WHEN activity.at > excluded.at THEN activity.at ELSE excluded.at END",
        args![pipeline, what.as_str(), at],
    )?;
    Ok(())
}

/// When `pipeline` last did `what` successfully.
pub fn last_done(db: &Db<'_>, pipeline: &str, what: Activity) -> db::Result<Option<Timestamp>> {
    db.query_opt(
        "SELECT at FROM activity WHERE pipeline = ?1 AND kind = ?2",
        args![pipeline, what.as_str()],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secrets;
    use crate::state::{Durability, Store};

    #[test]
    fn a_record_id_is_new_once_within_a_page_and_across_pages() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), Durability::Normal).unwrap();
        let at = Timestamp::from_millis(1);
        // More ids than one statement takes, with a repeat inside the page.
        let page: Vec<String> = (0..150).map(|i| format!("r{}", i % 140)).collect();
        let ids: Vec<&str> = page.iter().map(String::as_str).collect();
        let first = store
            .write(|tx| first_sightings(tx, "p", &ids, at))
            .unwrap();
        let expected: Vec<bool> = (0..150).map(|i| i < 140).collect();
        assert_eq!(first, expected);
        let again = store
            .write(|tx| first_sightings(tx, "p", &["r3", "new", "new"], at))
            .unwrap();
        assert_eq!(again, vec![false, true, false]);
        let other = store
            .write(|tx| first_sightings(tx, "q", &["r3"], at))
            .unwrap();
        assert_eq!(other, vec![true], "each pipeline has its own");
    }

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
        let events = recent_events(&store.db(), "p", 5).unwrap();
        assert_eq!(events[0].2, "login <redacted> refused");
        assert_eq!(
            last_done(&store.db(), "p", Activity::Fetch).unwrap(),
            Some(Timestamp::from_millis(20))
        );
        assert_eq!(
            last_done(&store.db(), "p", Activity::Delivery).unwrap(),
            None
        );
    }
}
