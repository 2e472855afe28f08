//! The Activity Record, as the Integration API documents it.
//!
//! One struct serves input and output: fields that are optional in the schema are `Option`s,
//! and [`ActivityRecord::rid`] is `None` until the emulator assigns one. The wire names are in
//! the field docs; the XML and JSON modules own the encodings.

use jiff::Timestamp;

/// One Activity Record: who did what, where and when.
///
/// Required on input, as documented: `who`, `action`, `what`, `when`, `where`,
/// `object_type`. Everything else is optional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityRecord {
    /// `RID`: the unique key Auditor assigns on write (49 characters: a 17-digit time stamp and
    /// 32 hex digits).
    /// Output only; `None` on a record that has not been stored yet.
    pub rid: Option<String>,
    /// `Who`: the account that acted, e.g. `CORP\jdoe` or a UPN. nvarchar(255).
    pub who: String,
    /// `Action`: one of the documented actions, e.g. `Modified`.
    pub action: String,
    /// `What`: the object's path or name. nvarchar(max).
    pub what: String,
    /// `When`: the time of the activity. Output is always UTC `YYYY-MM-DDTHH:mm:ssZ`.
    pub when: Timestamp,
    /// `Where`: server, domain, SQL instance, host… nvarchar(255). A raw identifier because
    /// `where` is a Rust keyword; the wire name is `Where`.
    pub r#where: String,
    /// `ObjectType`: e.g. `user`, `group`, `Mailbox`. nvarchar(255).
    pub object_type: String,
    /// `MonitoringPlan`: the plan that collected the record.
    pub monitoring_plan: Option<MonitoringPlan>,
    /// `DataSource`, e.g. `Active Directory`. Forced to `Netwrix API` on the write endpoint.
    pub data_source: Option<String>,
    /// `Item`: the monitored item, its type in brackets, e.g. `corp.local (Domain)`.
    pub item: Option<Item>,
    /// `Workstation`: the originating host or IP.
    pub workstation: Option<String>,
    /// `IsArchiveOnly`: written to the Long-Term Archive only, so never returned by enum or
    /// search (the documentation gives no type; boolean is an inference).
    pub is_archive_only: Option<bool>,
    /// `DetailList`: zero or more `Detail` entries.
    pub details: Vec<Detail>,
}

/// `MonitoringPlan`: `Name` plus the product-assigned `ID`, a GUID in braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitoringPlan {
    /// `Name`, nvarchar(255).
    pub name: String,
    /// `ID`, e.g. `{7C1D2E3F-4A5B-4C6D-8E9F-0A1B2C3D4E5F}`; optional on input.
    pub id: Option<String>,
}

/// `Item`: the monitored item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// `Name`, including the type suffix on output, e.g. `fs01.corp.local (Computer)`.
    pub name: String,
}

/// One `Detail` of a `DetailList`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// `PropertyName`, required when a Detail is present. nvarchar(255).
    pub property_name: String,
    /// `Before`: the value before the change.
    pub before: Option<String>,
    /// `After`: the value after the change.
    pub after: Option<String>,
    /// `Message`: object-specific free text (output only in the real product).
    pub message: Option<String>,
}

impl Detail {
    /// A detail with only a property name, the other parts to be filled in by the caller.
    pub fn named(property_name: impl Into<String>) -> Self {
        Detail {
            property_name: property_name.into(),
            before: None,
            after: None,
            message: None,
        }
    }

    /// Every text of this detail, which is what the `Detail` search filter looks at.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.property_name.as_str())
            .chain(self.before.as_deref())
            .chain(self.after.as_deref())
            .chain(self.message.as_deref())
    }
}

impl ActivityRecord {
    /// A record with the six required fields set and everything optional empty.
    pub fn new(
        who: impl Into<String>,
        action: impl Into<String>,
        what: impl Into<String>,
        when: Timestamp,
        r#where: impl Into<String>,
        object_type: impl Into<String>,
    ) -> Self {
        ActivityRecord {
            rid: None,
            who: who.into(),
            action: action.into(),
            what: what.into(),
            when,
            r#where: r#where.into(),
            object_type: object_type.into(),
            monitoring_plan: None,
            data_source: None,
            item: None,
            workstation: None,
            is_archive_only: None,
            details: Vec::new(),
        }
    }

    /// Whether enum and search may return this record: archive-only records are not searchable.
    pub(crate) fn is_searchable(&self) -> bool {
        self.is_archive_only != Some(true)
    }
}
