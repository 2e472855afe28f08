//! Row ids of the store's tables, one type per table, so an alert's id cannot be passed where
//! a ticket's is meant. In SQL each is the table's integer primary key.

use std::fmt;
use std::marker::PhantomData;

use super::db::{self, args, ColumnValue, Db, FromValue, ToValue, Value};

/// A row id type and the table it numbers.
pub(crate) trait RowId: Copy {
    /// The table.
    const TABLE: &'static str;
    /// The id of row `id`.
    fn of(id: i64) -> Self;
}

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident in $table:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// The id of row `id`.
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            /// The row id, as the store numbers it.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ToValue for $name {
            fn to_value(&self) -> Value<'_> {
                Value::Integer(self.0)
            }
        }

        impl RowId for $name {
            const TABLE: &'static str = $table;

            fn of(id: i64) -> Self {
                $name(id)
            }
        }

        impl FromValue for $name {
            fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
                i64::from_value(value).map($name)
            }
        }
    };
}

row_id! {
    /// An alert: a row of `alerts`. Also its arrival order.
    AlertId in "alerts"
}

row_id! {
    /// A ticket sluice opened (or will open): a row of `tickets`.
    TicketId in "tickets"
}

row_id! {
    /// A ticket action (an open or an update): a row of `outbox`.
    ActionId in "outbox"
}

/// Most ids taken from PostgreSQL in one statement: a step of a burst of new tickets takes
/// its ids in one statement per table, and a batch that needed fewer leaves at most this
/// many numbers unused.
const MOST_AT_ONCE: usize = 128;

/// Row ids for rows a transaction inserts later, many in one statement: other rows name them
/// before they are written, and an insert per row, to learn its id, costs a round trip each on
/// PostgreSQL.
#[derive(Debug)]
pub(crate) struct NewIds<T> {
    /// Ids taken from PostgreSQL's sequence and not used yet, the next last.
    taken: Vec<i64>,
    /// On SQLite: the next id, once the largest was read.
    next: Option<i64>,
    id: PhantomData<T>,
}

impl<T> Default for NewIds<T> {
    fn default() -> Self {
        NewIds {
            taken: Vec::new(),
            next: None,
            id: PhantomData,
        }
    }
}

impl<T: RowId> NewIds<T> {
    /// The id of the next row, for a transaction that will insert at most `up_to` more
    /// (PostgreSQL's sequence is asked for that many at once; an id taken and not used is a
    /// gap, as after a rolled-back insert).
    pub(crate) fn take(&mut self, db: &Db<'_>, up_to: usize) -> db::Result<T> {
        let table = T::TABLE;
        if db.is_postgres() {
            if self.taken.is_empty() {
                let n = up_to.clamp(1, MOST_AT_ONCE) as i64;
                self.taken = db.query(
                    &format!(
                        "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) \
                         FROM generate_series(CAST(1 AS BIGINT), CAST(?1 AS BIGINT))"
                    ),
                    args![n],
                    |r| r.get(0),
                )?;
                self.taken.sort_unstable_by(|a, b| b.cmp(a));
            }
            return self.taken.pop().map(T::of).ok_or(db::DbError::NoRow);
        }
        // The write transaction holds SQLite's only write lock, so the ids above the largest
        // ever used are this transaction's until it commits.
        let next = match self.next {
            Some(next) => next,
            None => first_unused_id(db, table)?,
        };
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![last_id_key(table), next.to_string()],
        )?;
        self.next = Some(next + 1);
        Ok(T::of(next))
    }
}

/// The `meta` key of the largest id `table` ever had (SQLite).
fn last_id_key(table: &str) -> String {
    format!("last_id.{table}")
}

/// One above the largest id `table` (one of the store's tables with an integer `id`) ever
/// had, deleted rows included. SQLite numbers a new row one above the largest id present, so
/// once retention deleted the newest tickets their ids would come again, and a new ticket
/// would get an old one's correlation id, by which an unconfirmed create is looked up in
/// ServiceNow: it would be taken for the old incident. So the largest id given out is kept in
/// `meta` as well.
pub fn first_unused_id(db: &Db<'_>, table: &str) -> db::Result<i64> {
    db.value(
        &format!(
            "SELECT max(COALESCE((SELECT MAX(id) FROM {table}), 0), \
             COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1), 0)) + 1"
        ),
        args![last_id_key(table)],
    )
}
