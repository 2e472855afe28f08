//! The instance's data: rows of every known table, attachment bytes and the incident number
//! counter. Rows keep insertion order, which is the order a query without `ORDERBY` returns.

use std::collections::{BTreeMap, HashMap};

use super::schema::{self, TableDef};

/// One row: every column's raw value as a string, `""` when empty.
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

/// One table's rows, with what every request looks up kept off a scan: a bench opens
/// thousands of incidents, and a scan per request made the instance slower with each.
#[derive(Debug, Default)]
struct Table {
    rows: Vec<Record>,
    /// Each row's position, by sys_id.
    at: HashMap<String, usize>,
    /// How many rows hold each `number` (a client may set one, even one already used).
    numbers: HashMap<String, usize>,
}

impl Table {
    fn push(&mut self, record: Record) {
        self.at.insert(record.sys_id().to_owned(), self.rows.len());
        count_number(&mut self.numbers, &record, true);
        self.rows.push(record);
    }

    fn replace(&mut self, record: Record) -> bool {
        let Some(slot) = self
            .at
            .get(record.sys_id())
            .and_then(|&at| self.rows.get_mut(at))
        else {
            return false;
        };
        let old = std::mem::replace(slot, record);
        count_number(&mut self.numbers, &old, false);
        count_number(&mut self.numbers, slot, true);
        true
    }

    fn remove(&mut self, sys_id: &str) -> Option<Record> {
        let at = self.at.remove(sys_id)?;
        let record = self.rows.remove(at);
        for position in self.at.values_mut() {
            if *position > at {
                *position -= 1;
            }
        }
        count_number(&mut self.numbers, &record, false);
        Some(record)
    }
}

/// Counts `record`'s number in `numbers` (`add`), or stops counting it.
fn count_number(numbers: &mut HashMap<String, usize>, record: &Record, add: bool) {
    let number = record.get("number");
    if number.is_empty() {
        return;
    }
    if add {
        *numbers.entry(number.to_owned()).or_default() += 1;
    } else if let Some(n) = numbers.get_mut(number) {
        *n -= 1;
        if *n == 0 {
            numbers.remove(number);
        }
    }
}

/// All tables' rows.
#[derive(Debug, Default)]
pub(crate) struct Store {
    tables: HashMap<&'static str, Table>,
    /// Attachment content by attachment sys_id.
    attachment_bytes: HashMap<String, Vec<u8>>,
    /// Next generated incident number; PDIs start around `INC0010001`.
    next_number: u64,
}

impl Store {
    /// An empty instance.
    pub(crate) fn new() -> Self {
        Store {
            tables: HashMap::new(),
            attachment_bytes: HashMap::new(),
            next_number: 10_001,
        }
    }

    /// The rows of `table`, oldest first.
    pub(crate) fn rows(&self, table: &str) -> &[Record] {
        self.tables
            .get(table)
            .map(|t| t.rows.as_slice())
            .unwrap_or(&[])
    }

    /// The row of `table` with `sys_id`.
    pub(crate) fn find(&self, table: &str, sys_id: &str) -> Option<&Record> {
        let table = self.tables.get(table)?;
        table.at.get(sys_id).and_then(|&at| table.rows.get(at))
    }

    /// Appends a row (the caller has checked the sys_id is new).
    pub(crate) fn insert(&mut self, table: &'static TableDef, record: Record) {
        self.tables.entry(table.name).or_default().push(record);
    }

    /// Replaces the row with the same sys_id; false if there is none.
    pub(crate) fn replace(&mut self, table: &str, record: Record) -> bool {
        self.tables
            .get_mut(table)
            .is_some_and(|t| t.replace(record))
    }

    /// Removes and returns the row with `sys_id`.
    pub(crate) fn remove(&mut self, table: &str, sys_id: &str) -> Option<Record> {
        self.tables.get_mut(table)?.remove(sys_id)
    }

    /// Drops every row of `table` (used to rebuild `sys_choice` when the profile changes).
    pub(crate) fn clear(&mut self, table: &str) {
        self.tables.remove(table);
    }

    /// The next `INC` + 7 digits number not already used.
    pub(crate) fn next_incident_number(&mut self) -> String {
        loop {
            let number = format!("INC{:07}", self.next_number);
            self.next_number += 1;
            let taken = self
                .tables
                .get(schema::INCIDENT.name)
                .is_some_and(|t| t.numbers.contains_key(&number));
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

/// A new random sys_id: 32 lowercase hex digits.
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
    fn rows_are_found_replaced_and_removed_by_sys_id_and_numbers_freed() {
        let mut store = Store::new();
        let ids: Vec<String> = (0..3).map(|_| new_sys_id()).collect();
        for (n, id) in ids.iter().enumerate() {
            let mut row = Record::blank(&schema::INCIDENT);
            row.set("sys_id", id.clone());
            row.set("number", format!("INC001000{}", n + 1));
            store.insert(&schema::INCIDENT, row);
        }
        let table = schema::INCIDENT.name;
        assert!(store.remove(table, &ids[0]).is_some());
        assert!(store.remove(table, &ids[0]).is_none());
        let last = store.find(table, &ids[2]).cloned();
        assert_eq!(last.as_ref().map(|r| r.get("number")), Some("INC0010003"));
        let mut renumbered = last.unwrap_or_default();
        renumbered.set("number", "INC0019999");
        assert!(store.replace(table, renumbered));
        assert_eq!(
            store.find(table, &ids[2]).map(|r| r.get("number")),
            Some("INC0019999")
        );
        assert_eq!(store.rows(table).len(), 2);
        // INC0010001 (removed) and INC0010003 (renumbered) are free again; 0010002 is not.
        assert_eq!(store.next_incident_number(), "INC0010001");
        assert_eq!(store.next_incident_number(), "INC0010003");
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
