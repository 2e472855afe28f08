//! Table dictionaries: which tables exist, their columns and each column's type, which is what
//! decides how a value renders and how a write is treated.
//!
//! The incident column set is exactly the one a real instance returned on create in
//! `tests/fixtures/servicenow-captures-2018/output.ServiceNowOutputTest_insertRecord.json`.

/// The dictionary type of a column, reduced to what changes behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Free text, numbers and durations: display value = value.
    Text,
    /// `"true"`/`"false"`.
    Boolean,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    DateTime,
    /// A choice list kept in `sys_choice` (display value = label).
    Choice,
    /// A reference to a record of the named table (rendered `{"link","value"}`).
    Reference(&'static str),
    /// `sys_domain`: a reference whose value (`global`) is also its display value.
    Domain,
    /// `sys_class_name`: display value is the table label.
    ClassName,
    /// A journal input (`work_notes`, `comments`): append-only, reads back `""`.
    Journal,
    /// `comments_and_work_notes`: reads back both journals in display mode.
    JournalList,
}

/// One column.
#[derive(Debug)]
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) kind: FieldKind,
}

/// One table.
#[derive(Debug)]
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    /// Label, the display value of `sys_class_name`.
    pub(crate) label: &'static str,
    /// Column whose value is the record's display value (for references pointing here).
    pub(crate) display_field: &'static str,
    pub(crate) fields: &'static [FieldDef],
}

impl TableDef {
    /// The column named `name`, if the table has it.
    pub(crate) fn field(&self, name: &str) -> Option<&'static FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

const fn f(name: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef { name, kind }
}

use FieldKind::{
    Boolean as B, Choice as C, ClassName as Cls, DateTime as D, Domain as Dom, Journal as J,
    JournalList as JL, Reference as R, Text as T,
};

/// The incident columns, in the order of the 2018 capture.
static INCIDENT_FIELDS: [FieldDef; 81] = [
    f("parent", R("task")),
    f("made_sla", B),
    f("caused_by", R("change_request")),
    f("watch_list", T),
    f("upon_reject", C),
    f("sys_updated_on", D),
    f("child_incidents", T),
    f("hold_reason", C),
    f("approval_history", T),
    f("number", T),
    f("resolved_by", R("sys_user")),
    f("sys_updated_by", T),
    f("opened_by", R("sys_user")),
    f("user_input", T),
    f("sys_created_on", D),
    f("sys_domain", Dom),
    f("state", C),
    f("sys_created_by", T),
    f("knowledge", B),
    f("order", T),
    f("calendar_stc", T),
    f("closed_at", D),
    f("cmdb_ci", R("cmdb_ci")),
    f("delivery_plan", R("sc_cat_item_delivery_plan")),
    f("impact", C),
    f("active", B),
    f("work_notes_list", T),
    f("business_service", R("cmdb_ci_service")),
    f("priority", C),
    f("sys_domain_path", T),
    f("rfc", R("change_request")),
    f("time_worked", T),
    f("expected_start", D),
    f("opened_at", D),
    f("business_duration", T),
    f("group_list", T),
    f("work_end", D),
    f("caller_id", R("sys_user")),
    f("resolved_at", D),
    f("approval_set", D),
    f("subcategory", C),
    f("work_notes", J),
    f("short_description", T),
    f("close_code", C),
    f("correlation_display", T),
    f("delivery_task", R("sc_cat_item_delivery_task")),
    f("work_start", D),
    f("assignment_group", R("sys_user_group")),
    f("additional_assignee_list", T),
    f("business_stc", T),
    f("description", T),
    f("calendar_duration", T),
    f("close_notes", T),
    f("notify", C),
    f("sys_class_name", Cls),
    f("closed_by", R("sys_user")),
    f("follow_up", D),
    f("parent_incident", R("incident")),
    f("sys_id", T),
    f("contact_type", C),
    f("incident_state", C),
    f("urgency", C),
    f("problem_id", R("problem")),
    f("company", R("core_company")),
    f("reassignment_count", T),
    f("activity_due", D),
    f("assigned_to", R("sys_user")),
    f("severity", C),
    f("comments", J),
    f("approval", C),
    f("sla_due", D),
    f("comments_and_work_notes", JL),
    f("due_date", D),
    f("sys_mod_count", T),
    f("reopen_count", T),
    f("sys_tags", T),
    f("escalation", C),
    f("upon_approval", C),
    f("correlation_id", T),
    f("location", R("cmn_location")),
    f("category", C),
];

/// System columns every table carries.
macro_rules! with_sys_fields {
    ($($field:expr),* $(,)?) => {
        [
            $($field,)*
            f("sys_id", T),
            f("sys_created_on", D),
            f("sys_created_by", T),
            f("sys_updated_on", D),
            f("sys_updated_by", T),
            f("sys_mod_count", T),
            f("sys_tags", T),
        ]
    };
}

static USER_FIELDS: [FieldDef; 16] = with_sys_fields![
    f("user_name", T),
    f("first_name", T),
    f("last_name", T),
    f("name", T),
    f("email", T),
    f("title", T),
    f("active", B),
    f("sys_class_name", Cls),
    f("sys_domain", Dom),
];

static GROUP_FIELDS: [FieldDef; 14] = with_sys_fields![
    f("name", T),
    f("description", T),
    f("email", T),
    f("manager", R("sys_user")),
    f("active", B),
    f("type", T),
    f("sys_domain", Dom),
];

static CHOICE_FIELDS: [FieldDef; 16] = with_sys_fields![
    f("name", T),
    f("element", T),
    f("value", T),
    f("label", T),
    f("sequence", T),
    f("inactive", B),
    f("language", T),
    f("dependent_value", T),
    f("hint", T),
];

/// `sys_journal_field` rows: one per journal entry.
static JOURNAL_FIELDS: [FieldDef; 8] = [
    f("sys_id", T),
    f("name", T),
    f("element", T),
    f("element_id", T),
    f("value", T),
    f("sys_created_on", D),
    f("sys_created_by", T),
    f("sys_tags", T),
];

/// `sys_attachment` metadata columns (`download_link` is computed per request).
static ATTACHMENT_FIELDS: [FieldDef; 17] = with_sys_fields![
    f("table_sys_id", T),
    f("table_name", T),
    f("file_name", T),
    f("content_type", T),
    f("size_bytes", T),
    f("size_compressed", T),
    f("compressed", B),
    f("image_width", T),
    f("image_height", T),
    f("average_image_color", T),
];

/// `sn_si_incident` columns: the task columns an integration writes and reads, and the
/// security incident's own. Which columns a real instance has beyond these is not recorded
/// here; unknown columns in a write are dropped, as on any table.
static SECURITY_INCIDENT_FIELDS: [FieldDef; 28] = with_sys_fields![
    f("number", T),
    f("short_description", T),
    f("description", T),
    f("state", C),
    f("priority", C),
    f("severity", C),
    f("category", T),
    f("subcategory", T),
    f("assignment_group", R("sys_user_group")),
    f("assigned_to", R("sys_user")),
    f("correlation_id", T),
    f("correlation_display", T),
    f("work_notes", J),
    f("comments", J),
    f("close_code", C),
    f("close_notes", T),
    f("active", B),
    f("opened_at", D),
    f("opened_by", R("sys_user")),
    f("closed_at", D),
    f("closed_by", R("sys_user")),
];

/// The incident table.
pub(crate) static INCIDENT: TableDef = TableDef {
    name: "incident",
    label: "Incident",
    display_field: "number",
    fields: &INCIDENT_FIELDS,
};

/// Security incidents (`sn_si_incident`), where the Security Incident Response application is
/// installed.
pub(crate) static SECURITY_INCIDENT: TableDef = TableDef {
    name: "sn_si_incident",
    label: "Security Incident",
    display_field: "number",
    fields: &SECURITY_INCIDENT_FIELDS,
};

/// Users (`sys_user`).
pub(crate) static USER: TableDef = TableDef {
    name: "sys_user",
    label: "User",
    display_field: "name",
    fields: &USER_FIELDS,
};

/// Groups (`sys_user_group`).
pub(crate) static GROUP: TableDef = TableDef {
    name: "sys_user_group",
    label: "Group",
    display_field: "name",
    fields: &GROUP_FIELDS,
};

/// Choice lists (`sys_choice`).
pub(crate) static CHOICE: TableDef = TableDef {
    name: "sys_choice",
    label: "Choices",
    display_field: "label",
    fields: &CHOICE_FIELDS,
};

/// Journal entries (`sys_journal_field`).
pub(crate) static JOURNAL: TableDef = TableDef {
    name: "sys_journal_field",
    label: "Journal Entry",
    display_field: "value",
    fields: &JOURNAL_FIELDS,
};

/// Attachment metadata (`sys_attachment`).
pub(crate) static ATTACHMENT: TableDef = TableDef {
    name: "sys_attachment",
    label: "Attachment",
    display_field: "file_name",
    fields: &ATTACHMENT_FIELDS,
};

/// Every table the emulator knows; anything else is `400 Invalid table`, and so is
/// `sn_si_incident` where the profile lacks the application (the handlers check).
pub(crate) static TABLES: [&TableDef; 7] = [
    &INCIDENT,
    &SECURITY_INCIDENT,
    &USER,
    &GROUP,
    &CHOICE,
    &JOURNAL,
    &ATTACHMENT,
];

/// The table named `name`.
pub(crate) fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique() {
        for table in TABLES {
            let mut names: Vec<_> = table.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "duplicate column in {}", table.name);
            assert!(table.field(table.display_field).is_some(), "{}", table.name);
        }
    }
}
