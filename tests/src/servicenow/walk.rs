//! Dot-walking (`caller_id.email`): following reference columns to another table's column, in
//! `sysparm_query` and `sysparm_fields` alike.

use super::schema::{self, FieldDef, FieldKind, TableDef};
use super::store::{Record, Store};

/// Where a (possibly dot-walked) column path ends.
#[derive(Debug)]
pub(crate) enum Walked<'a> {
    /// The column `field` of `record` in `table`.
    Column {
        table: &'static TableDef,
        record: &'a Record,
        field: &'static FieldDef,
    },
    /// A reference on the way was empty or dangling: the value is empty.
    Nothing,
}

/// The table a reference column points to, if the emulator has it.
fn target(field: &FieldDef) -> Option<&'static TableDef> {
    match field.kind {
        FieldKind::Reference(table) => schema::table(table),
        _ => None,
    }
}

/// Whether `path` names a column of `table`, following references the emulator knows.
pub(crate) fn is_known(table: &'static TableDef, path: &str) -> bool {
    match path.split_once('.') {
        None => table.field(path).is_some(),
        Some((head, rest)) => table
            .field(head)
            .and_then(target)
            .is_some_and(|next| is_known(next, rest)),
    }
}

/// Follows `path` from `record`; `None` if the path is not a known column path.
pub(crate) fn walk<'a>(
    store: &'a Store,
    table: &'static TableDef,
    record: &'a Record,
    path: &str,
) -> Option<Walked<'a>> {
    match path.split_once('.') {
        None => table.field(path).map(|field| Walked::Column {
            table,
            record,
            field,
        }),
        Some((head, rest)) => {
            let next = table.field(head).and_then(target)?;
            if !is_known(next, rest) {
                return None;
            }
            match store.find(next.name, record.get(head)) {
                Some(found) => walk(store, next, found, rest),
                None => Some(Walked::Nothing),
            }
        }
    }
}

/// The raw value at `path` (`""` when empty, unknown or dangling), for query evaluation.
pub(crate) fn raw_value(
    store: &Store,
    table: &'static TableDef,
    record: &Record,
    path: &str,
) -> String {
    match walk(store, table, record, path) {
        Some(Walked::Column { record, field, .. }) => match field.kind {
            // Journals read back empty.
            FieldKind::Journal | FieldKind::JournalList => String::new(),
            _ => record.get(field.name).to_owned(),
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_references() {
        let mut store = Store::new();
        let mut user = Record::blank(&schema::USER);
        user.set("sys_id", "u1");
        user.set("email", "fred@example.com");
        store.insert(&schema::USER, user);
        let mut incident = Record::blank(&schema::INCIDENT);
        incident.set("caller_id", "u1");
        assert!(is_known(&schema::INCIDENT, "caller_id.email"));
        assert!(!is_known(&schema::INCIDENT, "caller_id.nope"));
        assert!(!is_known(&schema::INCIDENT, "short_description.x"));
        assert_eq!(
            raw_value(&store, &schema::INCIDENT, &incident, "caller_id.email"),
            "fred@example.com"
        );
        incident.set("caller_id", "");
        assert_eq!(
            raw_value(&store, &schema::INCIDENT, &incident, "caller_id.email"),
            ""
        );
    }
}
