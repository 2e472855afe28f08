//! The store's statements, on whichever database holds it. Every module of the store speaks
//! through [`Db`]: the same SQL (a portable subset: `?N` parameters, `ON CONFLICT`,
//! `RETURNING`, `CASE` for a larger of two values) and the same types ([`ToValue`],
//! [`FromValue`]), so the rules of the queue, the outbox and the tickets are written once.

mod chunks;
pub(crate) mod postgres;
mod sqlite;
mod value;

pub(crate) use chunks::{each_in, execute_in, insert_rows, padded_chunks, update_all};
pub(crate) use postgres::literal as postgres_literal;
pub use value::{ColumnValue, FromValue, ToValue, Value};

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused or failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed, or the connection to it did.
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] ::postgres::Error),
    /// A column held what its type cannot read.
    #[error("column {column}: {message}")]
    Column {
        /// The column's index in the result.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A query that must return a row returned none.
    #[error("the query returned no row")]
    NoRow,
    /// This host no longer holds the delivery lease it was given: another host delivers
    /// now, and nothing this host decided was committed.
    #[error(
        "this host no longer holds the delivery lease (epoch {epoch}): another host took over \
         delivery, so nothing was committed"
    )]
    Fenced {
        /// The lease epoch this host had (see `lease::Epoch`).
        epoch: i64,
    },
}

impl DbError {
    /// SQLite's error code, when SQLite failed.
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            DbError::Sqlite(e) => e.sqlite_error_code(),
            _ => None,
        }
    }
}

/// PostgreSQL's own message, with its detail, without the client's wrapping ("db error: ").
fn postgres_message(error: &::postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => error.to_string(),
    }
}

impl DbError {
    /// PostgreSQL's SQLSTATE, when PostgreSQL refused.
    pub fn postgres_code(&self) -> Option<&::postgres::error::SqlState> {
        match self {
            DbError::Postgres(e) => e.code(),
            _ => None,
        }
    }

    /// Whether the connection failed (the server went away, the network broke, an
    /// administrator or a shutdown ended the session), as opposed to a statement being
    /// refused: the store reconnects before its next transaction.
    pub fn is_connection(&self) -> bool {
        match self {
            DbError::Postgres(e) => {
                // SQLSTATE classes 08 (connection exception) and 57P (the server ends the
                // session: admin_shutdown, crash_shutdown, cannot_connect_now, …).
                let ends_session = e
                    .code()
                    .is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57P"));
                e.is_closed() || e.as_db_error().is_none() || ends_session
            }
            _ => false,
        }
    }
}

/// What the store's functions return.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Parameters of a statement: `args![a, b]` is `&[&a, &b]` as `&[&dyn ToValue]`.
#[macro_export]
#[doc(hidden)]
macro_rules! args {
    () => { &[] as &[&dyn $crate::store::db::ToValue] };
    ($($arg:expr),+ $(,)?) => { &[$(&$arg as &dyn $crate::store::db::ToValue),+] as &[&dyn $crate::store::db::ToValue] };
}
pub use args;

/// The store's statements: in a transaction ([`Store::write`](super::Store::write)) or on
/// its own (reads through [`Store::db`](super::Store::db)).
pub struct Db<'c> {
    backend: Backend<'c>,
}

enum Backend<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(postgres::Handle<'c>),
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.backend {
            Backend::Sqlite(_) => f.write_str("Db(SQLite)"),
            Backend::Postgres(_) => f.write_str("Db(PostgreSQL)"),
        }
    }
}

impl<'c> Db<'c> {
    /// Statements on a SQLite connection (or a transaction on one).
    pub(crate) fn sqlite(conn: &'c rusqlite::Connection) -> Db<'c> {
        Db {
            backend: Backend::Sqlite(conn),
        }
    }

    /// Statements on a PostgreSQL connection (or a transaction on one).
    pub(crate) fn postgres(
        session: &'c std::cell::RefCell<dyn postgres::Session + 'c>,
        statements: &'c postgres::Statements,
    ) -> Db<'c> {
        Db {
            backend: Backend::Postgres(postgres::Handle {
                session,
                statements,
            }),
        }
    }

    /// Whether this is PostgreSQL (for the few statements that differ).
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
        match &self.backend {
            Backend::Sqlite(conn) => sqlite::execute(conn, sql, args),
            Backend::Postgres(pg) => pg.execute(sql, args),
        }
    }

    /// Runs statements with no parameters, separated by `;`.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Backend::Postgres(pg) => pg.batch(sql),
        }
    }

    /// Calls `f` on each row of a query, in order, and collects what it returns.
    pub fn query<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, |row| {
            out.push(f(row)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Calls `f` on each row of a query until it returns `false`.
    pub fn each(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => sqlite::each(conn, sql, args, f),
            Backend::Postgres(pg) => pg.each(sql, args, f),
        }
    }

    /// The first row of a query, through `f`; `None` when it returned none.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, args, |row| {
            if let Some(f) = f.take() {
                out = Some(f(row)?);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// The first row of a query, through `f`; [`DbError::NoRow`] when it returned none.
    pub fn query_one<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, args, f)?.ok_or(DbError::NoRow)
    }

    /// The first column of the first row of a query.
    pub fn value<T: FromValue>(&self, sql: &str, args: &[&dyn ToValue]) -> Result<T> {
        self.query_one(sql, args, |r| r.get(0))
    }
}

/// A row of a query's result.
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r ::postgres::Row),
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

impl Row<'_> {
    /// How many columns the row has.
    pub fn len(&self) -> usize {
        match &self.inner {
            RowInner::Sqlite(row) => row.as_ref().column_count(),
            RowInner::Postgres(row) => row.len(),
        }
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column `index` (from 0) as it is stored, whatever its kind (for copying rows).
    pub fn value(&self, index: usize) -> Result<ColumnValue<'_>> {
        match &self.inner {
            RowInner::Sqlite(row) => sqlite::column(row, index),
            RowInner::Postgres(row) => postgres::column(row, index),
        }
    }

    /// Column `index` (from 0) as a `T`.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let read = match &self.inner {
            RowInner::Sqlite(row) => sqlite::column(row, index)?,
            RowInner::Postgres(row) => postgres::column(row, index)?,
        };
        T::from_value(read).map_err(|message| DbError::Column {
            column: index,
            message,
        })
    }
}
