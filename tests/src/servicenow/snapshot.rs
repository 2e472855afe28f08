//! Copies of emulator state handed to tests: incidents with raw values, journal entries and
//! attachments. They are snapshots; changing them changes nothing in the emulator.

use std::collections::BTreeMap;

use super::store::Record;

/// An incident as stored: every column's raw value as a string (`""` when empty), exactly what
/// value mode (`sysparm_display_value=false`) would show, except that journals are not inlined
/// (see [`ServiceNow::journal`](super::ServiceNow::journal)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Incident {
    /// Column → raw value.
    pub fields: BTreeMap<String, String>,
}

impl Incident {
    pub(crate) fn from_record(record: &Record) -> Self {
        Incident {
            fields: record.fields().clone(),
        }
    }

    /// The value of `field`, `""` if the column does not exist.
    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map(String::as_str).unwrap_or("")
    }

    /// `sys_id`.
    pub fn sys_id(&self) -> &str {
        self.get("sys_id")
    }

    /// `number` (`INC0010001`).
    pub fn number(&self) -> &str {
        self.get("number")
    }

    /// `state` (`"1"` … `"8"`).
    pub fn state(&self) -> &str {
        self.get("state")
    }

    /// Whether `active` is `"true"`.
    pub fn is_active(&self) -> bool {
        self.get("active") == "true"
    }
}

/// One journal entry (a `sys_journal_field` row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// The row's sys_id.
    pub sys_id: String,
    /// `work_notes` or `comments`.
    pub element: String,
    /// The text written.
    pub value: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub created_on: String,
    /// User name of the writer.
    pub created_by: String,
}

impl JournalEntry {
    pub(crate) fn from_record(record: &Record) -> Self {
        JournalEntry {
            sys_id: record.sys_id().to_owned(),
            element: record.get("element").to_owned(),
            value: record.get("value").to_owned(),
            created_on: record.get("sys_created_on").to_owned(),
            created_by: record.get("sys_created_by").to_owned(),
        }
    }
}

/// One attachment: its metadata and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment's sys_id.
    pub sys_id: String,
    /// Table of the record it is attached to.
    pub table_name: String,
    /// sys_id of that record.
    pub table_sys_id: String,
    /// File name as uploaded.
    pub file_name: String,
    /// MIME type as uploaded.
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
    /// User name of the uploader.
    pub created_by: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub created_on: String,
}

impl Attachment {
    pub(crate) fn from_record(record: &Record, bytes: &[u8]) -> Self {
        Attachment {
            sys_id: record.sys_id().to_owned(),
            table_name: record.get("table_name").to_owned(),
            table_sys_id: record.get("table_sys_id").to_owned(),
            file_name: record.get("file_name").to_owned(),
            content_type: record.get("content_type").to_owned(),
            bytes: bytes.to_vec(),
            created_by: record.get("sys_created_by").to_owned(),
            created_on: record.get("sys_created_on").to_owned(),
        }
    }
}
