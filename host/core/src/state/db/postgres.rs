//! [`Db`](super::Db) on PostgreSQL, through the synchronous `postgres` client.
//!
//! The store's SQL numbers its parameters `?N`, as SQLite does; PostgreSQL numbers them `$N`,
//! so each statement is rewritten once, when first prepared, and the prepared statement is
//! kept for the connection's life.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{GenericClient, Statement};

use super::{ColumnValue, DbError, Result, Row, RowInner, ToValue, Value};

/// What runs a statement: a connection, or a transaction on one.
pub(crate) trait Session {
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error>;
    fn run(
        &mut self,
        statement: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<postgres::Row>, postgres::Error>;
    fn execute(
        &mut self,
        statement: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error>;
    fn batch(&mut self, sql: &str) -> std::result::Result<(), postgres::Error>;
}

// Both a connection and a transaction on it are postgres' `GenericClient`.
impl<C: GenericClient> Session for C {
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        GenericClient::prepare(self, sql)
    }
    fn run(
        &mut self,
        statement: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<postgres::Row>, postgres::Error> {
        GenericClient::query(self, statement, args)
    }
    fn execute(
        &mut self,
        statement: &Statement,
        args: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error> {
        GenericClient::execute(self, statement, args)
    }
    fn batch(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        GenericClient::batch_execute(self, sql)
    }
}

/// What one connection keeps beside it: the statements prepared on it, by their SQL as the
/// store writes it, and whether a statement found the connection lost.
#[derive(Default)]
pub(crate) struct Statements {
    prepared: RefCell<HashMap<String, Statement>>,
    /// Set when a statement failed because the connection did: the server may have said so
    /// (an administrator ended the session, the server shut down) before the client saw the
    /// socket close, so `Client::is_closed` alone would let the next statement fail too.
    lost: Cell<bool>,
}

impl Statements {
    /// Whether a statement found the connection lost since [`Statements::forget`].
    pub(crate) fn lost(&self) -> bool {
        self.lost.get()
    }

    /// A new connection: nothing is prepared on it yet.
    pub(crate) fn forget(&self) {
        self.prepared.borrow_mut().clear();
        self.lost.set(false);
    }

    /// Notes `error`'s kind (see [`Statements::lost`]) and passes it on.
    pub(crate) fn note(&self, error: postgres::Error) -> DbError {
        let error = DbError::Postgres(error);
        if error.is_connection() {
            self.lost.set(true);
        }
        error
    }
}

/// A connection (or a transaction on it) and the statements prepared on it.
pub(crate) struct Handle<'c> {
    pub(crate) session: &'c RefCell<dyn Session + 'c>,
    pub(crate) statements: &'c Statements,
}

impl Handle<'_> {
    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.prepared.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .session
            .borrow_mut()
            .prepare(&numbered_parameters(sql))
            .map_err(|e| self.statements.note(e))?;
        self.statements
            .prepared
            .borrow_mut()
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(crate) fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
        let statement = self.statement(sql)?;
        let bound = bind(args);
        let refs = refs(&bound);
        let n = self
            .session
            .borrow_mut()
            .execute(&statement, &refs)
            .map_err(|e| self.statements.note(e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        self.session
            .borrow_mut()
            .batch(sql)
            .map_err(|e| self.statements.note(e))
    }

    pub(crate) fn each(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let statement = self.statement(sql)?;
        let bound = bind(args);
        let refs = refs(&bound);
        let rows = self
            .session
            .borrow_mut()
            .run(&statement, &refs)
            .map_err(|e| self.statements.note(e))?;
        for row in &rows {
            if !f(&Row {
                inner: RowInner::Postgres(row),
            })? {
                break;
            }
        }
        Ok(())
    }
}

/// `?N` → `$N`. The store's SQL has no `?` inside its string literals.
pub(crate) fn numbered_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as a string literal of PostgreSQL's SQL, for a statement sent through the simple
/// protocol (which takes no parameters): quotes doubled, and backslashes too in an escape
/// string, so it reads the same whatever `standard_conforming_strings` says.
pub(crate) fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if quoted.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// A parameter as the client binds it: converted to the type PostgreSQL inferred for it.
#[derive(Debug)]
struct Bound<'a>(Value<'a>);

fn bind<'a>(args: &'a [&'a dyn ToValue]) -> Vec<Bound<'a>> {
    args.iter().map(|a| Bound(a.to_value())).collect()
}

fn refs<'a>(bound: &'a [Bound<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect()
}

impl ToSql for Bound<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
                Type::BOOL => (n != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => n.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer cannot be bound to a {ty} parameter").into()),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => s.to_sql(ty, out),
                _ => Err(format!("text cannot be bound to a {ty} parameter").into()),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(format!("bytes cannot be bound to a {ty} parameter").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Column `index` of `row`, as one of the store's kinds of value.
pub(crate) fn column(row: &postgres::Row, index: usize) -> Result<ColumnValue<'_>> {
    let column = row.columns().get(index).ok_or(DbError::Column {
        column: index,
        message: "no such column".into(),
    })?;
    let value = match *column.type_() {
        Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Value::Integer),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(index)?
            .map(|n| Value::Integer(n.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(index)?
            .map(|n| Value::Integer(n.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(index)?
            .map(|b| Value::Integer(b.into())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.try_get::<_, Option<&str>>(index)?.map(Value::Text)
        }
        Type::BYTEA => row.try_get::<_, Option<&[u8]>>(index)?.map(Value::Blob),
        ref other => {
            return Err(DbError::Column {
                column: index,
                message: format!("a column of type {other}, which the store does not use"),
            })
        }
    };
    Ok(value.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::{literal, numbered_parameters};

    #[test]
    fn parameters_are_renumbered_and_nothing_else_changes() {
        assert_eq!(
            numbered_parameters("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?10) AND d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $10) AND d = '?'"
        );
    }

    #[test]
    fn literals_keep_quotes_and_backslashes_as_text() {
        assert_eq!(literal("host db1, process 7"), "'host db1, process 7'");
        assert_eq!(literal("o'brien"), "'o''brien'");
        assert_eq!(literal(r"a\'b"), r"E'a\\''b'");
    }
}
