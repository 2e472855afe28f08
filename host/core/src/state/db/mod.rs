//! The store's statements, on whichever database holds it. Every module of the store speaks
//! through [`Db`]: the same SQL (a portable subset: `?N` parameters, `ON CONFLICT`,
//! `RETURNING`, `CASE` for a larger of two values) and the same types ([`ToValue`],
//! [`FromValue`]), so the rules of the queue, the outbox and the tickets are written once.

mod sqlite;
mod value;

pub use value::{ColumnValue, FromValue, ToValue, Value};

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused or failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
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
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.backend {
            Backend::Sqlite(_) => f.write_str("Db(SQLite)"),
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

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
        match self.backend {
            Backend::Sqlite(conn) => sqlite::execute(conn, sql, args),
        }
    }

    /// Runs statements with no parameters, separated by `;`.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.backend {
            Backend::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
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
        match self.backend {
            Backend::Sqlite(conn) => sqlite::each(conn, sql, args, f),
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
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

impl Row<'_> {
    /// Column `index` (from 0) as a `T`.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let read = match &self.inner {
            RowInner::Sqlite(row) => sqlite::column(row, index)?,
        };
        T::from_value(read).map_err(|message| DbError::Column {
            column: index,
            message,
        })
    }
}
