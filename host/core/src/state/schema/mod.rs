//! The store's tables and their migrations. A migration is appended, never edited: a store
//! written by an older sluice is brought up to date on open; one written by a newer sluice is
//! refused.

pub(super) mod postgres;

use rusqlite::{params, Connection, TransactionBehavior};

use super::db::{self, Db};
use super::StoreError;

/// Each entry moves the schema one version up.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    -- One row per alert: from `alert-response` (queued until its record is fetched) or
    -- from polling (its record known at once). Unique per pipeline and dedupe key, so a
    -- retried response action is accepted and ignored.
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        origin TEXT NOT NULL,              -- response | poll
        alert_name TEXT NOT NULL,
        auditor_alert_id TEXT,
        record_id TEXT,
        received_at INTEGER NOT NULL,
        record TEXT,                       -- the record, as JSON, once known
        extra_records TEXT,                -- more records (a threshold alert), JSON array
        fetch_attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,              -- queued | ready | decided (then: its outbox row's state)
        suppression_key TEXT,
        ticket_id INTEGER,
        outbox_id INTEGER,
        decision TEXT,                     -- create | consolidate | flood | ...
        decided_at INTEGER,
        UNIQUE (pipeline, dedupe_key)
    );
    -- Partial indexes, so each alert costs few index writes: it is in a queue index only
    -- while it waits, and in the outbox index only once decided. SQLite uses a partial index
    -- only when the query repeats its condition, so queries name it literally.
    CREATE INDEX alerts_queued ON alerts (pipeline, id) WHERE status = 'queued';
    CREATE INDEX alerts_queued_by_record ON alerts (pipeline, record_id) WHERE status = 'queued';
    CREATE INDEX alerts_ready ON alerts (pipeline, id) WHERE status = 'ready';
    CREATE INDEX alerts_by_outbox ON alerts (outbox_id, id) WHERE outbox_id IS NOT NULL;

    -- Tickets sluice opened, per suppression key, with their last known state. Also the
    -- correlation history.
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        suppression_key TEXT NOT NULL,
        kind TEXT NOT NULL,                -- alert | flood
        alert_name TEXT NOT NULL,
        correlation_id TEXT NOT NULL UNIQUE,
        sink_id TEXT,
        number TEXT,
        link TEXT,
        state TEXT,
        created_at INTEGER NOT NULL,
        last_alert_at INTEGER NOT NULL,
        collecting_outbox_id INTEGER,      -- the update collecting repeats; NULL: none
        usable INTEGER NOT NULL DEFAULT 1, -- 0: the sink refused writes; open a new one
        alert_count INTEGER NOT NULL DEFAULT 0,
        update_count INTEGER NOT NULL DEFAULT 0,
        reopen_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tickets_by_key ON tickets (pipeline, suppression_key, created_at);

    -- The current flood window of each pipeline.
    CREATE TABLE flood_windows (
        pipeline TEXT PRIMARY KEY,
        started_at INTEGER NOT NULL,
        created INTEGER NOT NULL,
        flood_ticket_id INTEGER
    );

    -- Ticket actions to deliver, in order per ticket.
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,                -- open | update
        flush_at INTEGER,                  -- update: when collecting ends
        alert_count INTEGER NOT NULL DEFAULT 0,
        reopen INTEGER NOT NULL DEFAULT 0,
        correlate_ticket_id INTEGER,       -- open: the previous ticket to reference
        state TEXT NOT NULL,               -- collecting | pending | in_flight | done | dead
        steps_done INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        first_attempt_at INTEGER,
        next_at INTEGER NOT NULL,
        done_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_by_state ON outbox (pipeline, state, next_at, id);
    CREATE INDEX outbox_by_flush ON outbox (pipeline, state, flush_at);
    CREATE INDEX outbox_by_ticket ON outbox (ticket_id, state, id);

    CREATE TABLE checkpoints (
        pipeline TEXT PRIMARY KEY,
        checkpoint TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );

    -- Ids of polled records already queued, so an overlapping scan does not repeat them.
    CREATE TABLE seen_records (
        pipeline TEXT NOT NULL,
        record_id TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (pipeline, record_id)
    ) WITHOUT ROWID;
    CREATE INDEX seen_records_by_age ON seen_records (seen_at);

    -- Threshold counters of alert rules ("N records within T, per value of a field").
    CREATE TABLE thresholds (
        pipeline TEXT NOT NULL,
        rule TEXT NOT NULL,
        grp TEXT NOT NULL,
        hits TEXT NOT NULL,                -- JSON: [[at_ms, record_id], ...]
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (pipeline, rule, grp)
    ) WITHOUT ROWID;

    -- Recent problems, for `sluice status`.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        pipeline TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL
    );
    "#,
    // 2: when each pipeline last fetched records and had an action delivered (`sluice status`).
    r#"
    CREATE TABLE activity (
        pipeline TEXT NOT NULL,
        kind TEXT NOT NULL,                -- fetch | delivery
        at INTEGER NOT NULL,
        PRIMARY KEY (pipeline, kind)
    ) WITHOUT ROWID;
    "#,
    // 3: the alerts of each ticket action, with their arrival time, so that pruning finds the
    // finished ones by age or by count from the index alone, without reading every row.
    r#"
    DROP INDEX alerts_by_outbox;
    CREATE INDEX alerts_by_outbox ON alerts (outbox_id, id, received_at) WHERE outbox_id IS NOT NULL;
    "#,
    // 4: since when an open's create has been in doubt (sent, no answer: a timeout, a lost
    // connection, a stop while it was out), so that it is looked up, not sent again, while
    // the sink may still commit it.
    r#"
    ALTER TABLE outbox ADD COLUMN in_doubt_since INTEGER;
    "#,
    // 5: an open is looked up before it is sent again only while its create is in doubt. One
    // retried before version 4 recorded doubt may have been sent: it is in doubt, since its
    // first attempt (so it is looked up, and sent again if not found, as before). Bit 2 of
    // `steps_done` is `Step::Notes`: for an open, the create confirmed.
    r#"
    UPDATE outbox SET in_doubt_since = coalesce(first_attempt_at, created_at)
    WHERE kind = 'open' AND attempts > 0 AND in_doubt_since IS NULL
      AND state IN ('pending', 'in_flight') AND (steps_done & 2) = 0;
    "#,
];

/// The schema version this sluice writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the SQLite store `name` up to date.
pub(super) fn migrate(conn: &mut Connection, name: &str) -> Result<(), StoreError> {
    let err = StoreError::database(name);
    let version =
        |conn: &Connection| conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
    if version(conn).map_err(err)? == VERSION {
        return Ok(());
    }
    // Several processes may create the store at once (Auditor runs a response action per
    // alert): the version is read again under the write lock, so only the first migrates.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let current = version(&tx).map_err(err)?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            store: name.to_owned(),
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(err)?;
        if i == 0 {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('store_id', ?1)",
                params![new_store_id()],
            )
            .map_err(err)?;
        }
    }
    tx.commit().map_err(err)
}

/// A new store's id: 12 random hexadecimal digits.
fn new_store_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// The store's id (see [`Store::id`](super::Store::id)).
pub(super) fn store_id(db: &Db<'_>) -> db::Result<String> {
    Ok(db
        .query_opt(
            "SELECT value FROM meta WHERE key = 'store_id'",
            db::args![],
            |r| r.get(0),
        )?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::super::{Durability, Store};

    #[test]
    fn a_fresh_store_opened_by_many_at_once_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let start = std::sync::Barrier::new(8);
        let ids: Vec<String> = std::thread::scope(|s| {
            let opens: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        Store::open(&path, Durability::Full).map(|store| store.id().to_owned())
                    })
                })
                .collect();
            opens
                .into_iter()
                .map(|open| open.join().unwrap().unwrap())
                .collect()
        });
        assert!(
            ids.iter().all(|id| id == &ids[0] && id.len() == 12),
            "{ids:?}"
        );
    }

    /// A store written by an earlier sluice is brought up to date in place, its rows kept.
    #[test]
    fn an_older_store_is_migrated_and_keeps_its_alerts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for (i, sql) in super::MIGRATIONS[..2].iter().enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", i as i64 + 1)
                    .unwrap();
            }
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('store_id', 'abcdef012345')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO alerts (pipeline, dedupe_key, origin, alert_name, received_at, status) \
                 VALUES ('p', 'd', 'poll', 'A', 0, 'queued')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path, Durability::Normal).unwrap();
        let (version, alerts): (i64, i64) = store
            .sqlite()
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), \
                 (SELECT count(*) FROM alerts)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((version, alerts), (super::VERSION, 1));
        assert_eq!(store.id(), "abcdef012345");
        assert_eq!(store.integrity_check(), Ok(()));
    }

    /// An open retried before sluice recorded doubt may have been sent: after the upgrade it
    /// is in doubt (looked up before it is sent again); a finished one and an update are not.
    #[test]
    fn an_open_retried_before_doubt_was_recorded_is_in_doubt_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for (i, sql) in super::MIGRATIONS[..4].iter().enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", i as i64 + 1)
                    .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO meta (key, value) VALUES ('store_id', 'abcdef012345');
                 INSERT INTO tickets (id, pipeline, suppression_key, kind, alert_name,
                     correlation_id, created_at, last_alert_at)
                     VALUES (1, 'p', 'k', 'alert', 'A', 'c1', 0, 0);
                 INSERT INTO outbox (id, pipeline, ticket_id, kind, state, attempts,
                     created_at, first_attempt_at, next_at)
                     VALUES (1, 'p', 1, 'open', 'pending', 2, 100, 200, 300),
                            (2, 'p', 1, 'open', 'pending', 0, 100, NULL, 300),
                            (3, 'p', 1, 'open', 'done', 1, 100, 200, 300),
                            (4, 'p', 1, 'update', 'pending', 3, 100, 200, 300);",
            )
            .unwrap();
        }
        let store = Store::open(&path, Durability::Normal).unwrap();
        let doubts: Vec<(i64, Option<i64>)> = store
            .sqlite()
            .prepare("SELECT id, in_doubt_since FROM outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            doubts,
            [(1, Some(200)), (2, None), (3, None), (4, None)],
            "only the retried, unfinished open, since its first attempt"
        );
    }
}
