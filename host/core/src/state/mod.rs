//! The durable state store: one SQLite file in WAL mode holding the alert queue, the outbox
//! of ticket actions, tickets per suppression key with their last known state, flood
//! windows, consolidation buffers, correlation history, threshold counters, source
//! checkpoints and the records already seen by polling.
//!
//! Every stage works on batches inside one transaction (group commit), so durability costs
//! one sync per batch, not per alert. `sluice alert-response` writes here too, from its own
//! process; WAL lets it do so while `sluice run` reads and writes.
//!
//! Times are [`Timestamp`](crate::time::Timestamp)s by the host clock (tests move it), kept
//! as integer milliseconds since 1970; row ids are typed per table ([`AlertId`],
//! [`TicketId`], [`ActionId`]).

mod identity;
mod ids;
mod lock;
mod schema;

pub mod alerts;
pub mod checkpoints;
pub mod db;
pub mod dead_letters;
pub mod outbox;
pub mod retention;
pub mod status;
pub mod tickets;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use db::{Db, DbError};

pub use identity::{check_identity, record_progress};
pub use ids::{ActionId, AlertId, TicketId};
pub use lock::DeliveryLock;

/// How hard SQLite works to keep a commit on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Survives a crash of the process and of the machine (`synchronous = FULL`).
    #[default]
    Full,
    /// Survives a crash of the process; a power loss may lose the last commits
    /// (`synchronous = NORMAL`).
    Normal,
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed. (The cause is part of the message, so it is not also reported as
    /// the error's source: a report would show it twice.)
    #[error("state store {path}: {error}{}", advice(error))]
    Database {
        /// The file.
        path: PathBuf,
        /// The error.
        error: DbError,
    },
    /// The file was written by a newer sluice.
    #[error(
        "state store {path} has schema version {found}, newer than this sluice understands ({supported}); \
         run the sluice that wrote it, or move the file away to start afresh"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// Another host delivers from this store.
    #[error(
        "state store {store} is in use by another sluice run ({}); a store is delivered from \
         by one host at a time: stop that one first, or give this one a `state.path` of its own",
        holder.as_deref().unwrap_or("a process that is starting")
    )]
    InUse {
        /// The store.
        store: PathBuf,
        /// Who holds it, as it wrote about itself (`process 1234 since …`).
        holder: Option<String>,
    },
    /// The store is not the one the marker beside it names: it was replaced or reset.
    #[error(
        "state store {store} is not the store this site ran on: it has id {found}, but \
         {marker} records id {recorded}. The alerts and tickets sluice had acknowledged were in \
         that store, and polling from an empty one would open their incidents again. Restore \
         the store (from a backup, or undo what replaced it); to start afresh knowingly, delete \
         {marker} and set the source's `start` to when the old store stopped (or \"now\"), so \
         that records it handled raise no alert again"
    )]
    Replaced {
        /// The store.
        store: PathBuf,
        /// The marker beside it.
        marker: PathBuf,
        /// The id the marker records.
        recorded: String,
        /// The id of the store found.
        found: String,
    },
    /// The store is an older copy of the one the marker names: a backup restored over it, say.
    #[error(
        "state store {store} is an older copy of the store this site ran on: it is at \
         generation {found}, but {marker} records generation {recorded} (each start and clean \
         stop adds one). What it held since is gone: alerts sluice acknowledged, and the record \
         of incidents it opened, which polling would open again. Restore the newest copy; to go \
         on with this one knowingly, delete {marker} and set the source's `start` to when the \
         newer store stopped (or \"now\"), so that records it handled raise no alert again"
    )]
    Rewound {
        /// The store.
        store: PathBuf,
        /// The marker beside it.
        marker: PathBuf,
        /// The generation the marker records.
        recorded: u64,
        /// The store's generation.
        found: u64,
    },
    /// The lock beside the store cannot be taken.
    #[error("state store lock {path}: {error}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A value in the store could not be read back.
    #[error("state store {path}: corrupt row in {table}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// Wraps database errors on the store at `path`.
    pub(crate) fn database<E: Into<DbError>>(path: &Path) -> impl Fn(E) -> StoreError + Copy + '_ {
        move |error| StoreError::Database {
            path: path.to_owned(),
            error: error.into(),
        }
    }
}

/// What an operator can do about a database failure, for the kinds that need them to act.
fn advice(error: &DbError) -> &'static str {
    use rusqlite::ErrorCode;
    match error.sqlite_code() {
        Some(ErrorCode::ReadOnly) => {
            "; sluice must write the store, the -wal and -shm files beside it, and new files \
             in its directory: check their owner and permissions and that the file system is \
             not mounted read-only"
        }
        Some(ErrorCode::CannotOpen) => {
            "; check that its directory exists and that this user may create and write files \
             in it"
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            "; the file is not a sluice state store or is damaged: restore it from a backup, \
             or move it away, with the .id file beside it, to start afresh (the alerts and \
             tickets it held are then lost to sluice)"
        }
        Some(ErrorCode::DiskFull) => {
            "; the disk is full: free space, and sluice goes on where it stopped (nothing \
             acknowledged is lost)"
        }
        _ => "",
    }
}

/// The most memory a connection's page cache takes, KiB.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// How long a connection waits for another's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the state store. Each thread or process opens its own.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    id: String,
    /// `PRAGMA data_version` when last looked at.
    data_version: i64,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        let err = StoreError::database(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = connect(path, durability).map_err(err)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            id: String::new(),
            data_version: 0,
        };
        schema::migrate(&mut store.conn, path)?;
        store.id = schema::store_id(&store.conn).map_err(err)?;
        // From here, try again every millisecond: SQLite's own wait backs off to 100 ms sleeps,
        // so one of eight response actions queueing at once could wait half a second for a
        // lock that was free after a few milliseconds. (Not before: the WAL switch above is
        // retried by hand, and a custom handler would not cover it.)
        store.conn.busy_handler(Some(wait_for_lock)).map_err(err)?;
        store.changed_elsewhere();
        Ok(store)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A random id given to the store when it was created. It goes into ticket correlation
    /// keys, so a store created afresh never adopts tickets another store opened.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The store's statements, for reads outside a transaction.
    pub fn db(&self) -> Db<'_> {
        Db::sqlite(&self.conn)
    }

    /// The SQLite connection itself, for what only SQLite has (its pragmas, its checks).
    pub fn sqlite(&self) -> &Connection {
        &self.conn
    }

    /// Whether another connection (another process: `sluice alert-response` queueing an
    /// alert) committed since the last call. Costs no query of the tables.
    pub fn changed_elsewhere(&mut self) -> bool {
        let version = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .unwrap_or(self.data_version);
        std::mem::replace(&mut self.data_version, version) != version
    }

    /// Runs `f` in one immediate transaction and commits it.
    pub fn write<T>(&mut self, f: impl FnOnce(&Db<'_>) -> db::Result<T>) -> Result<T, StoreError> {
        let path = self.path.clone();
        let err = StoreError::database(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let value = f(&Db::sqlite(&tx)).map_err(StoreError::database(&path))?;
        tx.commit().map_err(err)?;
        Ok(value)
    }

    /// Runs `f` in a transaction that is always rolled back: what the store would do, with
    /// nothing written (`sluice explain` asks the pipeline's own suppression this way).
    pub fn dry_run<T>(
        &mut self,
        f: impl FnOnce(&Db<'_>) -> db::Result<T>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let err = StoreError::database(&path);
        let tx = self.conn.transaction().map_err(err)?;
        let value = f(&Db::sqlite(&tx)).map_err(StoreError::database(&path));
        tx.rollback().map_err(err)?;
        value
    }

    /// Proves the store can be written now (a host that cannot write it can acknowledge
    /// nothing, so it should not start): records when a host last started on it.
    pub fn check_writable(&mut self) -> Result<(), StoreError> {
        let now = crate::time::Timestamp::now().as_millis().to_string();
        self.write(|db| {
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_start_ms', ?1) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                db::args![now],
            )
            .map(drop)
        })
    }

    /// Wraps a read error with the file's path.
    pub fn read<T>(&self, result: db::Result<T>) -> Result<T, StoreError> {
        result.map_err(StoreError::database(&self.path))
    }

    /// SQLite's own consistency check (`PRAGMA integrity_check`): `Ok` when it says `ok`.
    pub fn integrity_check(&self) -> Result<(), String> {
        let rows: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| e.to_string())?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(rows.join("; "))
        }
    }
}

/// A connection to the file at `path` (created if needed), in WAL mode, set up as every
/// connection of sluice is: waiting for other writers' locks, syncing as `durability` says,
/// with foreign keys enforced and a large page cache.
fn connect(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Several processes write (the daemon, `alert-response`): wait for the lock instead of
    // failing.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Turning a new file to WAL needs it to itself, and SQLite does not wait for that: a
    // second process creating the store at the same moment gets "database is locked".
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            result => break result?,
        }
    }
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLite's own page cache (2 MB by default) holds the hot part of the queue tables and
    // their indexes; past it every page is a read from the operating system's cache.
    conn.pragma_update(None, "cache_size", -(PAGE_CACHE_KIB as i64))?;
    Ok(conn)
}

/// SQLite's busy handler: `attempt` counts from 0; sleep a millisecond and try again, until
/// about [`BUSY_TIMEOUT`] has passed.
fn wait_for_lock(attempt: i32) -> bool {
    if attempt as u128 >= BUSY_TIMEOUT.as_millis() {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}
