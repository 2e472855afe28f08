//! What crosses between sluice's types and the store's columns, whichever database holds
//! them. The store keeps four kinds of value (no floats, no booleans: both backends agree on
//! integers and text), so a type says once how it is stored and reads the same from SQLite
//! and PostgreSQL.

use crate::time::Timestamp;

/// A value bound to a statement's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (`INTEGER` in SQLite, `BIGINT` in PostgreSQL).
    Integer(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A value read from a column, as the database returned it.
pub type ColumnValue<'a> = Value<'a>;

/// A type that can be bound to a statement's parameter.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value<'_>;
}

/// A type that can be read from a column.
pub trait FromValue: Sized {
    /// The value of the column, or why it is not one of these.
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String>;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        *self
    }
}

impl ToValue for i64 {
    fn to_value(&self) -> Value<'_> {
        Value::Integer(*self)
    }
}

/// Integers wider or unsigned are stored saturated: counts and limits, never near `i64::MAX`.
macro_rules! integer {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }

        impl FromValue for $t {
            fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
                let n = i64::from_value(value)?;
                <$t>::try_from(n).map_err(|_| format!("{n} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}

integer!(i32, u32, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Integer(i64::from(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl FromValue for i64 {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        match value {
            Value::Integer(n) => Ok(n),
            other => Err(mismatch("an integer", other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        i64::from_value(value).map(|n| n != 0)
    }
}

impl FromValue for String {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s.to_owned()),
            other => Err(mismatch("text", other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        match value {
            Value::Blob(b) => Ok(b.to_vec()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(mismatch("bytes", other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl ToValue for Timestamp {
    fn to_value(&self) -> Value<'_> {
        Value::Integer(self.as_millis())
    }
}

impl FromValue for Timestamp {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        i64::from_value(value).map(Timestamp::from_millis)
    }
}

/// Why a column's value is not the type asked for.
fn mismatch(wanted: &str, found: ColumnValue<'_>) -> String {
    let found = match found {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Text(_) => "text",
        Value::Blob(_) => "bytes",
    };
    format!("expected {wanted}, found {found}")
}

/// Implements [`ToValue`] and [`FromValue`] for a type stored as its name: `as_str` gives the
/// name, `parse` reads it back (`None` for a name this sluice does not know).
#[macro_export]
#[doc(hidden)]
macro_rules! stored_as_name {
    ($t:ty, $what:literal) => {
        impl $crate::store::db::ToValue for $t {
            fn to_value(&self) -> $crate::store::db::Value<'_> {
                $crate::store::db::Value::Text(self.as_str())
            }
        }

        impl $crate::store::db::FromValue for $t {
            fn from_value(value: $crate::store::db::ColumnValue<'_>) -> Result<Self, String> {
                let name = String::from_value(value)?;
                <$t>::parse(&name).ok_or_else(|| format!("unknown {} {name:?}", $what))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::super::{args, Db};
    use super::*;

    #[test]
    fn a_timestamp_is_an_integer_in_sql() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let db = Db::sqlite(&conn);
        let t = Timestamp::from_millis(42);
        let (back, kind): (Timestamp, String) = db
            .query_one("SELECT ?1, typeof(?1)", args![t], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((back, kind.as_str()), (t, "integer"));
    }

    #[test]
    fn a_column_of_another_type_is_an_error_naming_it() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let db = Db::sqlite(&conn);
        let err = db.value::<i64>("SELECT 'x'", args![]).unwrap_err();
        assert_eq!(err.to_string(), "column 0: expected an integer, found text");
        let none: Option<i64> = db.value("SELECT NULL", args![]).unwrap();
        assert_eq!(none, None);
        let err = db.value::<u32>("SELECT -1", args![]).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}
