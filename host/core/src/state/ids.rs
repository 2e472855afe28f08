//! Row ids of the store's tables, one type per table, so an alert's id cannot be passed where
//! a ticket's is meant. In SQL each is the table's `INTEGER PRIMARY KEY`.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// The id of row `id`.
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            /// The row id, as SQLite numbers it.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    };
}

row_id! {
    /// An alert: a row of `alerts`. Also its arrival order.
    AlertId
}

row_id! {
    /// A ticket sluice opened (or will open): a row of `tickets`.
    TicketId
}

row_id! {
    /// A ticket action (an open or an update): a row of `outbox`.
    ActionId
}
