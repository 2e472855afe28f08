//! The instance's data: rows of every known table, attachment bytes and the incident number
//! counter. Rows keep insertion order, which is the order a query without `ORDERBY` returns.

use std::collections::{BTreeMap, HashMap};

use super::schema::{self, TableDef};

/// One row: every column's raw value as a string, `""` when empty (§1.6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record(BTreeMap<String, String>);

impl Record {
    /// A row of `table` with every column present and empty.
    pub(crate) fn blank(table: &TableDef) -> Self {
        Record(
            table
                .fields
                .iter()
                .map(|f| (f.name.to_owned(), String::new()))
                .collect(),
        )
    }

    /// The value of `field`, `""` when absent.
    pub(crate) fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    /// Sets `field` to `value`.
    pub(crate) fn set(&mut self, field: &str, value: impl Into<String>) {
        self.0.insert(field.to_owned(), value.into());
    }

    /// The row's `sys_id`.
    pub(crate) fn sys_id(&self) -> &str {
        self.get("sys_id")
    }

    /// All columns.
    pub(crate) fn fields(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// All tables' rows.
#[derive(Debug, Default)]
pub(crate) struct Store {
    rows: HashMap<&'static str, Vec<Record>>,
    /// Attachment content by attachment sys_id.
    attachment_bytes: HashMap<String, Vec<u8>>,
    /// Next generated incident number; PDIs start around `INC0010001`.
    next_number: u64,
}

impl Store {
    /// An empty instance.
    pub(crate) fn new() -> Self {
        Store {
            rows: HashMap::new(),
            attachment_bytes: HashMap::new(),
            next_number: 10_001,
        }
    }

    /// The rows of `table`, oldest first.
    pub(crate) fn rows(&self, table: &str) -> &[Record] {
        self.rows.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The row of `table` with `sys_id`.
    pub(crate) fn find(&self, table: &str, sys_id: &str) -> Option<&Record> {
        self.rows(table).iter().find(|r| r.sys_id() == sys_id)
    }

    /// Appends a row (the caller has checked the sys_id is new).
    pub(crate) fn insert(&mut self, table: &'static TableDef, record: Record) {
        self.rows.entry(table.name).or_default().push(record);
    }

    /// Replaces the row with the same sys_id; false if there is none.
    pub(crate) fn replace(&mut self, table: &str, record: Record) -> bool {
        let Some(rows) = self.rows.get_mut(table) else {
            return false;
        };
        match rows.iter_mut().find(|r| r.sys_id() == record.sys_id()) {
            Some(slot) => {
                *slot = record;
                true
            }
            None => false,
        }
    }

    /// Removes and returns the row with `sys_id`.
    pub(crate) fn remove(&mut self, table: &str, sys_id: &str) -> Option<Record> {
        let rows = self.rows.get_mut(table)?;
        let at = rows.iter().position(|r| r.sys_id() == sys_id)?;
        Some(rows.remove(at))
    }

    /// Drops every row of `table` (used to rebuild `sys_choice` when the profile changes).
    pub(crate) fn clear(&mut self, table: &str) {
        self.rows.remove(table);
    }

    /// The next `INC` + 7 digits number not already used (§1.11).
    pub(crate) fn next_incident_number(&mut self) -> String {
        loop {
            let number = format!("INC{:07}", self.next_number);
            self.next_number += 1;
            let taken = self
                .rows(schema::INCIDENT.name)
                .iter()
                .any(|r| r.get("number") == number);
            if !taken {
                return number;
            }
        }
    }

    /// The display value of the record `sys_id` of `table` (its display column), if it exists.
    pub(crate) fn display_value(&self, table: &str, sys_id: &str) -> Option<String> {
        let def = schema::table(table)?;
        self.find(table, sys_id)
            .map(|r| r.get(def.display_field).to_owned())
    }

    /// The label of choice `value` of `table.element`, if the choice list has it.
    pub(crate) fn choice_label(&self, table: &str, element: &str, value: &str) -> Option<&str> {
        self.choice_row(table, element, |r| r.get("value") == value)
            .map(|r| r.get("label"))
    }

    /// The value of the choice of `table.element` labelled `label`.
    pub(crate) fn choice_value(&self, table: &str, element: &str, label: &str) -> Option<&str> {
        self.choice_row(table, element, |r| r.get("label") == label)
            .map(|r| r.get("value"))
    }

    fn choice_row(
        &self,
        table: &str,
        element: &str,
        pick: impl Fn(&Record) -> bool,
    ) -> Option<&Record> {
        self.rows(schema::CHOICE.name).iter().find(|r| {
            r.get("name") == table
                && r.get("element") == element
                && r.get("inactive") != "true"
                && pick(r)
        })
    }

    /// Stores the content of attachment `sys_id`.
    pub(crate) fn put_attachment_bytes(&mut self, sys_id: &str, bytes: Vec<u8>) {
        self.attachment_bytes.insert(sys_id.to_owned(), bytes);
    }

    /// The content of attachment `sys_id`.
    pub(crate) fn attachment_bytes(&self, sys_id: &str) -> Option<&[u8]> {
        self.attachment_bytes.get(sys_id).map(Vec::as_slice)
    }

    /// Forgets the content of attachment `sys_id`.
    pub(crate) fn remove_attachment_bytes(&mut self, sys_id: &str) {
        self.attachment_bytes.remove(sys_id);
    }
}

/// A new random sys_id: 32 lowercase hex digits (§3.1).
pub(crate) fn new_sys_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_skip_ones_clients_took() {
        let mut store = Store::new();
        let mut taken = Record::blank(&schema::INCIDENT);
        taken.set("sys_id", new_sys_id());
        taken.set("number", "INC0010001");
        store.insert(&schema::INCIDENT, taken);
        assert_eq!(store.next_incident_number(), "INC0010002");
    }

    #[test]
    fn sys_ids_are_32_hex() {
        let id = new_sys_id();
        assert_eq!(id.len(), 32);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
