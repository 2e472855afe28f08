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
mod postgres;
mod schema;
mod sqlite;

pub mod alerts;
pub mod checkpoints;
pub mod db;
pub mod dead_letters;
pub mod due;
pub mod lease;
pub mod outbox;
pub mod retention;
pub mod status;
pub mod tickets;

use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};

pub use db::{Db, DbError};
pub(crate) use postgres::parse_url as parse_postgres_url;

pub use identity::{check_identity, record_progress};
pub use ids::first_unused_id;
pub(crate) use ids::NewIds;
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
    #[error("state store {store}: {error}{}", advice(error))]
    Database {
        /// The store: its file, or its database's URL without the password.
        store: String,
        /// The error.
        error: DbError,
    },
    /// The file was written by a newer sluice.
    #[error(
        "state store {store} has schema version {found}, newer than this sluice understands ({supported}); \
         run the sluice that wrote it (upgrade this host), or give this host a store of its own"
    )]
    TooNew {
        /// The store.
        store: String,
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
    /// `[state] url` is not a PostgreSQL connection string.
    #[error(
        "state.url is not a PostgreSQL connection URL ({message}); write it as \
         postgres://USER:PASSWORD@HOST:PORT/DATABASE, the password as a secret reference \
         (postgres://sluice:${{PGPASSWORD}}@db.example:5432/sluice)"
    )]
    Url {
        /// What the parser said.
        message: String,
    },
    /// TLS to the database could not be set up (`[state] ca_file`, the system's CA
    /// certificates): nothing was sent to the server.
    #[error(
        "cannot set up TLS to the state store: {error}{}",
        tls_setup_advice(error)
    )]
    Tls {
        /// What failed.
        error: crate::tls::TlsSetupError,
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
    #[error("state store {store}: corrupt row in {table}: {message}")]
    Corrupt {
        /// The store.
        store: String,
        /// The table.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// Wraps database errors on the store named `store` (its file, or its URL without the
    /// password).
    pub(crate) fn database<E: Into<DbError>>(store: &str) -> impl Fn(E) -> StoreError + Copy + '_ {
        move |error| StoreError::Database {
            store: store.to_owned(),
            error: error.into(),
        }
    }
}

/// What to do when no CA certificates could be loaded (the others name their file).
fn tls_setup_advice(error: &crate::tls::TlsSetupError) -> &'static str {
    match error {
        crate::tls::TlsSetupError::Build(_) => {
            "; install the system's CA certificates (Debian: ca-certificates), or give the CA \
             that issued the server's certificate as [state] ca_file"
        }
        _ => "",
    }
}

/// What an operator can do about a database failure, for the kinds that need them to act;
/// for a TLS failure, also its cause (`postgres` names only the kind of a failure).
fn advice(error: &DbError) -> std::borrow::Cow<'static, str> {
    match error {
        DbError::Postgres(e) => match postgres::tls_advice(e) {
            Some(tls) => tls.into(),
            None => fixed_advice(error).into(),
        },
        _ => fixed_advice(error).into(),
    }
}

/// [`advice`] that is the same for every failure of a kind.
fn fixed_advice(error: &DbError) -> &'static str {
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
        _ => postgres_advice(error),
    }
}

/// [`advice`] for PostgreSQL.
fn postgres_advice(error: &DbError) -> &'static str {
    use ::postgres::error::SqlState;
    let Some(code) = error.postgres_code() else {
        return if error.is_connection() {
            "; check that PostgreSQL runs, that `state.url` names its host and port, and that \
             this machine reaches it (firewall, pg_hba.conf)"
        } else {
            ""
        };
    };
    match code {
        c if *c == SqlState::INVALID_PASSWORD
            || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            "; check the user and password `state.url` gives (the password as a secret \
             reference, e.g. ${PGPASSWORD}), and the server's pg_hba.conf for this host"
        }
        c if *c == SqlState::INVALID_CATALOG_NAME => {
            "; create the database first (`createdb -O USER DATABASE`): sluice creates its \
             tables, not the database"
        }
        c if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            "; the user needs to own the database, or at least create tables in its public \
             schema and read and write them"
        }
        c if *c == SqlState::DISK_FULL || *c == SqlState::OUT_OF_MEMORY => {
            "; the database server is out of space: free it, and sluice goes on where it \
             stopped (nothing acknowledged is lost)"
        }
        c if *c == SqlState::READ_ONLY_SQL_TRANSACTION => {
            "; `state.url` reaches a read-only server (a standby): point it at the primary"
        }
        c if *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW => {
            "; the server is shutting down or starting: sluice connects again"
        }
        _ => "",
    }
}

/// Where a store is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// A SQLite file, synced as the durability says.
    File(&'a Path, Durability),
    /// A PostgreSQL database, shared by several hosts.
    Postgres(Database<'a>),
}

/// A PostgreSQL database to keep the store in (`[state] url` and `ca_file`): where it is, and
/// which CA certificates, besides the system's, its server's certificate may chain to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Database<'a> {
    /// Its connection URL (which may hold a password), with `sslmode` if it says one.
    pub url: &'a str,
    /// A PEM bundle of CA certificates trusted in addition to the system's.
    pub ca_file: Option<&'a Path>,
}

impl<'a> Database<'a> {
    /// The database at `url`, its certificate checked against the system's roots only.
    pub fn at(url: &'a str) -> Self {
        Database { url, ca_file: None }
    }
}

/// A connection to the state store. Each thread or process opens its own.
#[derive(Debug)]
pub struct Store {
    link: Link,
    /// The file, or the database's URL without its password: what messages name.
    name: String,
    /// The file, for a SQLite store.
    path: Option<PathBuf>,
    id: String,
    /// What [`Store::changed_elsewhere`] saw last.
    seen: i64,
    /// What every transaction of [`Store::write`] must find in the delivery lease.
    fence: Option<lease::Fence>,
}

/// The connection itself.
enum Link {
    Sqlite(Connection),
    Postgres(Box<postgres::Link>),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Link::Sqlite(_) => "SQLite",
            Link::Postgres(_) => "PostgreSQL",
        })
    }
}

impl Store {
    /// Opens the store at `location` (see `StateSettings::location`).
    pub fn connect(location: Location<'_>) -> Result<Store, StoreError> {
        match location {
            Location::File(path, durability) => Store::open(path, durability),
            Location::Postgres(database) => Store::open_database(database),
        }
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        let name = path.display().to_string();
        let err = StoreError::database(&name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = sqlite::connect(path, durability).map_err(err)?;
        schema::migrate(&mut conn, &name)?;
        let id = schema::store_id(&Db::sqlite(&conn)).map_err(StoreError::database(&name))?;
        // From here, try again every millisecond: SQLite's own wait backs off to 100 ms sleeps,
        // so one of eight response actions queueing at once could wait half a second for a
        // lock that was free after a few milliseconds. (Not before: the WAL switch above is
        // retried by hand, and a custom handler would not cover it.)
        conn.busy_handler(Some(sqlite::wait_for_lock))
            .map_err(err)?;
        let mut store = Store {
            link: Link::Sqlite(conn),
            name,
            path: Some(path.to_owned()),
            id,
            seen: 0,
            fence: None,
        };
        store.changed_elsewhere();
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url` (trusting the system's CA certificates
    /// only) and brings its schema up to date.
    pub fn open_postgres(url: &str) -> Result<Store, StoreError> {
        Store::open_database(Database::at(url))
    }

    /// Connects to `database` and brings its schema up to date.
    pub fn open_database(database: Database<'_>) -> Result<Store, StoreError> {
        let (mut link, name) = postgres::Link::connect(database)?;
        let err = StoreError::database(&name);
        schema::postgres::migrate(&mut link, &name)?;
        let id = schema::store_id(&link.db()).map_err(err)?;
        let mut store = Store {
            link: Link::Postgres(Box::new(link)),
            name,
            path: None,
            id,
            seen: 0,
            fence: None,
        };
        store.changed_elsewhere();
        Ok(store)
    }

    /// Makes every later [`Store::write`] commit only while the delivery lease still has
    /// `fence`'s holder and epoch (a shared store's delivering host). A SQLite store has one
    /// delivering host, the holder of its lock file, and ignores it.
    pub fn set_fence(&mut self, fence: lease::Fence) {
        self.fence = Some(fence);
    }

    /// Connects to `database` and checks, writing nothing, that sluice could keep its store
    /// there (`sluice validate --environment`). Returns the store's name and its schema
    /// version (`None` before a host created the tables).
    ///
    /// # Errors
    ///
    /// The URL is wrong, the server cannot be reached, offers no TLS where it is required,
    /// presents a certificate that is not trusted, refuses the credentials, or holds a store
    /// of a newer sluice.
    pub fn check_postgres(database: Database<'_>) -> Result<(String, Option<i64>), StoreError> {
        let (link, name) = postgres::Link::connect(database)?;
        let version = schema::postgres::check(&link, &name)?;
        Ok((name, version))
    }

    /// The store, as messages name it: its file, or its database's URL without the password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file of a SQLite store; `None` for PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether the store is a PostgreSQL database (shared by several hosts).
    pub fn is_postgres(&self) -> bool {
        matches!(self.link, Link::Postgres(_))
    }

    /// A random id given to the store when it was created. It goes into ticket correlation
    /// keys, so a store created afresh never adopts tickets another store opened.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The store's statements, for reads outside a transaction.
    pub fn db(&self) -> Db<'_> {
        match &self.link {
            Link::Sqlite(conn) => Db::sqlite(conn),
            Link::Postgres(link) => link.db(),
        }
    }

    /// The SQLite connection itself, for what only SQLite has (its pragmas, its checks).
    ///
    /// # Panics
    ///
    /// On a PostgreSQL store: callers ask only after [`Store::path`] said it is a file.
    pub fn sqlite(&self) -> &Connection {
        match &self.link {
            Link::Sqlite(conn) => conn,
            Link::Postgres(_) => panic!("the store is not a SQLite file"),
        }
    }

    /// Whether another connection (another process: `sluice alert-response` queueing an
    /// alert) committed since the last call. Costs no query of the tables on SQLite; on
    /// PostgreSQL, one look at the newest alert's id.
    pub fn changed_elsewhere(&mut self) -> bool {
        let marker = match &self.link {
            Link::Sqlite(conn) => conn
                .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
                .ok(),
            Link::Postgres(link) => link.newest_alert().ok(),
        };
        let marker = marker.unwrap_or(self.seen);
        std::mem::replace(&mut self.seen, marker) != marker
    }

    /// Waits up to `wait` for another connection to queue alerts; `true` when one did. On a
    /// SQLite store (whose writers are on this machine and ring the hand-off's doorbell) it
    /// only waits.
    pub fn wait_for_alerts(&mut self, wait: std::time::Duration) -> Result<bool, StoreError> {
        match &mut self.link {
            Link::Sqlite(_) => {
                std::thread::sleep(wait);
                Ok(false)
            }
            Link::Postgres(link) => link
                .wait_for_alerts(wait)
                .map_err(StoreError::database(&self.name)),
        }
    }

    /// Runs `f` in one transaction and commits it. On SQLite the transaction takes the write
    /// lock at once (`BEGIN IMMEDIATE`); on PostgreSQL it is serialized where the store's
    /// rules need it (see `postgres.rs`).
    pub fn write<T>(&mut self, f: impl FnOnce(&Db<'_>) -> db::Result<T>) -> Result<T, StoreError> {
        let err = StoreError::database(&self.name);
        match &mut self.link {
            Link::Sqlite(conn) => {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(err)?;
                let value = f(&Db::sqlite(&tx)).map_err(StoreError::database(&self.name))?;
                tx.commit().map_err(err)?;
                Ok(value)
            }
            Link::Postgres(link) => link
                .write(f, true, self.fence.as_ref())
                .map_err(StoreError::database(&self.name)),
        }
    }

    /// Runs `f` in a transaction that is always rolled back: what the store would do, with
    /// nothing written (`sluice explain` asks the pipeline's own suppression this way).
    pub fn dry_run<T>(
        &mut self,
        f: impl FnOnce(&Db<'_>) -> db::Result<T>,
    ) -> Result<T, StoreError> {
        let err = StoreError::database(&self.name);
        match &mut self.link {
            Link::Sqlite(conn) => {
                let tx = conn.transaction().map_err(err)?;
                let value = f(&Db::sqlite(&tx)).map_err(StoreError::database(&self.name));
                tx.rollback().map_err(err)?;
                value
            }
            Link::Postgres(link) => link
                .write(f, false, None)
                .map_err(StoreError::database(&self.name)),
        }
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

    /// Wraps a read error with the store's name.
    pub fn read<T>(&self, result: db::Result<T>) -> Result<T, StoreError> {
        result.map_err(StoreError::database(&self.name))
    }

    /// The database's own consistency check: SQLite's `PRAGMA integrity_check` (`Ok` when it
    /// says `ok`); PostgreSQL checks its pages itself, so `Ok`.
    pub fn integrity_check(&self) -> Result<(), String> {
        let Link::Sqlite(conn) = &self.link else {
            return Ok(());
        };
        let rows: Vec<String> = conn
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
