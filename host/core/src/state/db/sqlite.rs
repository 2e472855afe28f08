//! [`Db`](super::Db) on SQLite, through rusqlite.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use super::{ColumnValue, Result, Row, RowInner, ToValue, Value};

/// A parameter as rusqlite binds it.
struct Bound<'a>(Value<'a>);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(n) => ToSqlOutput::Borrowed(ValueRef::Integer(n)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn bind<'a>(args: &'a [&'a dyn ToValue]) -> Vec<Bound<'a>> {
    args.iter().map(|a| Bound(a.to_value())).collect()
}

pub(super) fn execute(conn: &Connection, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
    let bound = bind(args);
    Ok(conn
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(bound.iter()))?)
}

pub(super) fn each(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToValue],
    mut f: impl FnMut(&Row<'_>) -> Result<bool>,
) -> Result<()> {
    let bound = bind(args);
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(bound.iter()))?;
    while let Some(row) = rows.next()? {
        if !f(&Row {
            inner: RowInner::Sqlite(row),
        })? {
            break;
        }
    }
    Ok(())
}

pub(super) fn column<'r>(row: &'r rusqlite::Row<'r>, index: usize) -> Result<ColumnValue<'r>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        // The store keeps no floats; an aggregate over integers (`sum`) still answers with an
        // integer, so a real here is a whole number SQLite chose to widen.
        ValueRef::Real(x) => Value::Integer(x as i64),
        ValueRef::Text(t) => {
            Value::Text(std::str::from_utf8(t).map_err(|e| super::DbError::Column {
                column: index,
                message: format!("text that is not UTF-8: {e}"),
            })?)
        }
        ValueRef::Blob(b) => Value::Blob(b),
    })
}
