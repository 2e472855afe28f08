//! Row ids of the store's tables, one type per table, so an alert's id cannot be passed where
//! a ticket's is meant. In SQL each is the table's integer primary key.

use std::fmt;

use super::db::{ColumnValue, FromValue, ToValue, Value};

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

        impl FromValue for $name {
            fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
                i64::from_value(value).map($name)
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
