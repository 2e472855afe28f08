//! The copy of `sluice move-store`: every row of the SQLite store, read in one snapshot, into
//! the PostgreSQL store in one transaction, checked before it commits.
//!
//! Rows keep their ids (alerts point at their ticket and ticket action by id, and the next
//! host goes on from them), and the identity sequences are moved past them, so the first
//! alert queued after the move gets a fresh id. The store's id is copied too: it is part of
//! the correlation id of every incident sluice opened, by which a moved store still finds
//! them.

use anyhow::{anyhow, bail};
use sluice_core::store::db::{args, Db, DbError, ToValue, Value};
use sluice_core::store::lease;
use sluice_core::{Store, StoreError};

/// The tables to copy, each with its key (to read rows in key order), in an order the
/// foreign key allows: tickets before the outbox. `meta` is copied apart.
const TABLES: &[(&str, &str)] = &[
    ("tickets", "id"),
    ("outbox", "id"),
    ("alerts", "id"),
    ("flood_windows", "pipeline"),
    ("checkpoints", "pipeline"),
    ("seen_records", "pipeline, record_id"),
    ("thresholds", "pipeline, rule, grp"),
    ("events", "id"),
    ("activity", "pipeline, kind"),
];

/// PostgreSQL's limit on one statement's parameters.
const MAX_PARAMETERS: usize = 65_535;

/// Tables whose rows make a store worth keeping: a target with any is refused.
const HELD: &[&str] = &["alerts", "tickets", "outbox", "checkpoints"];

/// Tables with an identity column `id`, whose sequence must go past the copied ids.
const IDENTITIES: &[&str] = &["alerts", "tickets", "outbox", "events"];

/// Rows per INSERT, at most. The server's work dominates: 100,000 alerts of about 1 KB moved
/// in about 5 s with anything from 100 to 3,000 rows per INSERT, and in 17 s one row at a
/// time; 1,000 keeps the round trips few over a real network.
const BATCH_ROWS: usize = 1000;

/// What a move copied.
#[derive(Debug)]
pub(super) struct Moved {
    /// Rows per table, in [`TABLES`] order.
    pub tables: Vec<(&'static str, u64)>,
    /// Keys of `meta` copied.
    pub meta: u64,
    /// Rows the target held in tables that do not make a store (see [`clear`]), replaced.
    pub replaced: u64,
    /// The newest alert's id in the copy (0 for none).
    pub newest_alert: i64,
}

impl Moved {
    /// Rows copied of `table`.
    pub fn count(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// A value read from the file, kept until its batch is inserted.
enum Cell {
    Null,
    Integer(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Value<'_>> for Cell {
    fn from(value: Value<'_>) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(n) => Cell::Integer(n),
            Value::Text(s) => Cell::Text(s.to_owned()),
            Value::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }
}

impl ToValue for Cell {
    fn to_value(&self) -> Value<'_> {
        match self {
            Cell::Null => Value::Null,
            Cell::Integer(n) => Value::Integer(*n),
            Cell::Text(s) => Value::Text(s),
            Cell::Blob(b) => Value::Blob(b),
        }
    }
}

/// Copies the store `from` (SQLite) into `to` (PostgreSQL), or refuses, saying why.
/// The file is read in one transaction, so the copy and its check see one state of it
/// however long they take (`sluice alert-response` may write meanwhile).
pub(super) fn move_rows(from: &mut Store, to: &mut Store) -> anyhow::Result<Moved> {
    let name = from.name().to_owned();
    let mut outcome = None;
    from.dry_run(|src| {
        outcome = Some(into(src, to, &name));
        Ok(())
    })?;
    outcome.unwrap_or_else(|| Err(anyhow!("the state store {name} was not read")))
}

/// [`move_rows`] within the file's read transaction `src`.
fn into(src: &Db<'_>, to: &mut Store, from: &str) -> anyhow::Result<Moved> {
    let unknown: Vec<String> = src
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            args![],
            |r| r.get(0),
        )
        .map_err(|e| anyhow!("cannot read the state store {from}: {e}"))?
        .into_iter()
        .filter(|t| t != "meta" && !TABLES.iter().any(|(known, _)| known == t))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "the state store {from} has tables this sluice does not know how to move ({}); \
             nothing was moved",
            unknown.join(", ")
        );
    }
    let target = to.name().to_owned();
    let mut refusal = None;
    let result = to.write(|dst| match copy_all(src, dst)? {
        Ok(moved) => Ok(moved),
        Err(why) => {
            refusal = Some(why);
            // Any error rolls the transaction back; the refusal itself is reported below.
            Err(DbError::NoRow)
        }
    });
    if let Some(why) = refusal {
        bail!("cannot move the state store {from} into {target}: {why}; nothing was moved");
    }
    result.map_err(|e| match e {
        StoreError::Database {
            error: error @ DbError::Sqlite(_),
            ..
        } => anyhow!("cannot read the state store {from}: {error}; nothing was moved"),
        other => anyhow!("{other}; nothing was moved"),
    })
}

/// The whole move, in the target's transaction `dst`: `Ok(Err(why))` for a refusal.
fn copy_all(src: &Db<'_>, dst: &Db<'_>) -> sluice_core::store::db::Result<Result<Moved, String>> {
    if let Some(why) = refusal(dst)? {
        return Ok(Err(why));
    }
    // No host may write the target while it is filled; one that was writing is waited for
    // (a while), then looked for again.
    dst.execute_batch(
        "SET LOCAL lock_timeout = '30s'; \
         LOCK TABLE meta, alerts, tickets, outbox, flood_windows, checkpoints, seen_records, \
         thresholds, events, activity IN SHARE ROW EXCLUSIVE MODE",
    )?;
    if let Some(why) = refusal(dst)? {
        return Ok(Err(why));
    }
    let replaced = clear(dst)?;
    let meta = copy_meta(src, dst)?;
    let mut tables = Vec::new();
    for (table, key) in TABLES {
        tables.push((*table, copy_table(src, dst, table, key)?));
    }
    for table in IDENTITIES {
        // Past every id the site ever gave out, not only those still stored: a ticket's id
        // is in its correlation id.
        let first_unused = sluice_core::store::first_unused_id(src, table)?;
        dst.value::<i64>(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 greatest(coalesce(max(id), 0) + 1, ?1), false) FROM {table}"
            ),
            args![first_unused],
        )?;
    }
    if let Some(why) = differences(src, dst)? {
        return Ok(Err(why));
    }
    let newest_alert = src.value("SELECT coalesce(max(id), 0) FROM alerts", args![])?;
    Ok(Ok(Moved {
        tables,
        meta,
        replaced,
        newest_alert,
    }))
}

/// Why the target cannot take the store: a host runs on it, or it holds a store already.
fn refusal(dst: &Db<'_>) -> sluice_core::store::db::Result<Option<String>> {
    if let Some(view) = lease::current(dst)?.filter(lease::LeaseView::is_live) {
        return Ok(Some(format!(
            "a sluice host runs on the target ({} holds its delivery lease). Stop every host on \
             it first; moving into a store in use would mix two stores' alerts and tickets",
            view.lease.holder
        )));
    }
    let mut held = Vec::new();
    for table in HELD {
        let rows: i64 = dst.value(&format!("SELECT count(*) FROM {table}"), args![])?;
        if rows > 0 {
            held.push(format!("{rows} row(s) in {table}"));
        }
    }
    if held.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "the target already holds a sluice store ({}), which the move would mix with this \
         one. Move into an empty database (`createdb -O USER DATABASE`); if that store is a \
         leftover nobody needs, drop its database and create it again. (If it is this store, \
         moved already, only the hosts' configs are left to change.)",
        held.join(", ")
    )))
}

/// Empties the target's tables that [`refusal`] found no store in: what a host that ran
/// there without alerts, tickets or checkpoints left (recent problems, when it last
/// fetched), which the copied rows replace. The number of rows removed.
fn clear(dst: &Db<'_>) -> sluice_core::store::db::Result<u64> {
    let mut removed = 0;
    for (table, _) in TABLES {
        removed += dst.execute(&format!("DELETE FROM {table}"), args![])? as u64;
    }
    Ok(removed)
}

/// Copies `meta` but its schema version (the target's own, equal by then): the store's id,
/// which correlation ids carry, and its bookkeeping.
fn copy_meta(src: &Db<'_>, dst: &Db<'_>) -> sluice_core::store::db::Result<u64> {
    let rows = src.query(
        "SELECT key, value FROM meta WHERE key <> 'schema_version' ORDER BY key",
        args![],
        |r| Ok((Cell::from(r.value(0)?), Cell::from(r.value(1)?))),
    )?;
    for (key, value) in &rows {
        dst.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![key, value],
        )?;
    }
    Ok(rows.len() as u64)
}

/// Copies every row of `table`, in `key` order, [`BATCH_ROWS`] per INSERT; the rows copied.
/// Columns are the file's, by name, so their order in either database does not matter.
fn copy_table(
    src: &Db<'_>,
    dst: &Db<'_>,
    table: &str,
    key: &str,
) -> sluice_core::store::db::Result<u64> {
    let columns: Vec<String> = src.query(
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        args![table],
        |r| r.get(0),
    )?;
    let list = columns.join(", ");
    let width = columns.len().max(1);
    let full = BATCH_ROWS.min(MAX_PARAMETERS / width).max(1) * width;
    let mut batch: Vec<Cell> = Vec::with_capacity(full);
    let mut copied = 0;
    src.each(
        &format!("SELECT {list} FROM {table} ORDER BY {key}"),
        args![],
        |row| {
            for i in 0..row.len() {
                batch.push(Cell::from(row.value(i)?));
            }
            if batch.len() >= full {
                copied += insert(dst, table, &list, width, &mut batch)?;
            }
            Ok(true)
        },
    )?;
    if !batch.is_empty() {
        copied += insert(dst, table, &list, width, &mut batch)?;
    }
    Ok(copied)
}

/// Inserts the rows of `batch` (`width` cells each) into `table`'s `columns`, and empties it.
fn insert(
    dst: &Db<'_>,
    table: &str,
    columns: &str,
    width: usize,
    batch: &mut Vec<Cell>,
) -> sluice_core::store::db::Result<u64> {
    let rows = batch.len() / width;
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            let sep = if column == 0 { "" } else { ", " };
            sql.push_str(&format!("{sep}?{}", row * width + column + 1));
        }
        sql.push(')');
    }
    let values: Vec<&dyn ToValue> = batch.iter().map(|c| c as &dyn ToValue).collect();
    dst.execute(&sql, &values)?;
    batch.clear();
    Ok(rows as u64)
}

/// What differs between the file and the copy: each table's row count, and the store's id.
fn differences(src: &Db<'_>, dst: &Db<'_>) -> sluice_core::store::db::Result<Option<String>> {
    let mut differ = Vec::new();
    for (table, _) in TABLES {
        let count = format!("SELECT count(*) FROM {table}");
        let (file, copy): (i64, i64) = (src.value(&count, args![])?, dst.value(&count, args![])?);
        if file != copy {
            differ.push(format!("{table}: {file} in the file, {copy} in the copy"));
        }
    }
    let id = "SELECT value FROM meta WHERE key = 'store_id'";
    let read = |db: &Db<'_>| db.query_opt(id, args![], |r| r.get::<String>(0));
    let (file, copy) = (read(src)?, read(dst)?);
    if file != copy {
        differ.push(format!(
            "the store id: {file:?} in the file, {copy:?} in the copy"
        ));
    }
    Ok((!differ.is_empty()).then(|| {
        format!(
            "the copy does not match the file ({}), so it was rolled back",
            differ.join("; ")
        )
    }))
}

/// Alerts queued into the file after the snapshot the move copied (by `sluice
/// alert-response`, which writes the file while no host runs): they are not in the moved
/// store.
pub(super) fn arrived_since(from: &Store, moved: &Moved) -> anyhow::Result<i64> {
    Ok(from.read(from.db().value(
        "SELECT count(*) FROM alerts WHERE id > ?1",
        args![moved.newest_alert],
    ))?)
}
