//! [`Record`]: what a source produces.

use std::time::SystemTime;

use crate::Fields;

/// One event from a source system, in a shape that fits any source.
///
/// A record has a stable `id` within its source, an optional event time, named text `fields`
/// and a list of [`Detail`]s (attribute changes with a before and an after value).
///
/// A Netwrix Auditor Activity Record maps onto it losslessly: `id` is the RID, `time` is
/// `When`, the scalar elements become fields under their element names (`Who`, `Action`,
/// `What`, `When`, `Where`, `ObjectType`, `DataSource`, `Workstation`, `IsArchiveOnly`), nested
/// ones use a dotted path (`MonitoringPlan.Name`, `MonitoringPlan.ID`, `Item.Name`), and each
/// `DetailList/Detail` becomes a [`Detail`]. An element that is present but empty is a field
/// with an empty value; an absent element is no field at all.
///
/// ```
/// use sluice_sdk::{Detail, Record};
///
/// let mut record = Record::new("20240311084512345A1B2C3D4E5F60718293A4B5C6D7E8F90");
/// record.fields.push("Who", "CORP\\jdoe");
/// record.fields.push("Action", "Modified");
/// record.details.push(Detail::new("member").after("CORP\\mallory"));
/// assert_eq!(record.field("Who"), Some("CORP\\jdoe"));
/// assert_eq!(record.details[0].after.as_deref(), Some("CORP\\mallory"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Identifier, unique within the source (Netwrix: the RID).
    pub id: String,
    /// When the event happened, if the source knows.
    pub time: Option<SystemTime>,
    /// Named values, in the source's order.
    pub fields: Fields,
    /// Attribute changes.
    pub details: Vec<Detail>,
}

impl Record {
    /// A record with this id and nothing else.
    pub fn new(id: impl Into<String>) -> Self {
        Record {
            id: id.into(),
            ..Record::default()
        }
    }

    /// The first field named `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name)
    }
}

/// One attribute change of a record (Netwrix `DetailList/Detail`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// The attribute (Netwrix `PropertyName`).
    pub property: String,
    /// The value before the change.
    pub before: Option<String>,
    /// The value after the change.
    pub after: Option<String>,
    /// Free text about the change (Netwrix `Message`).
    pub message: Option<String>,
}

impl Detail {
    /// A detail about `property` with no values yet.
    pub fn new(property: impl Into<String>) -> Self {
        Detail {
            property: property.into(),
            ..Detail::default()
        }
    }

    /// Sets the value before the change.
    pub fn before(mut self, value: impl Into<String>) -> Self {
        self.before = Some(value.into());
        self
    }

    /// Sets the value after the change.
    pub fn after(mut self, value: impl Into<String>) -> Self {
        self.after = Some(value.into());
        self
    }

    /// Sets the message.
    pub fn message(mut self, value: impl Into<String>) -> Self {
        self.message = Some(value.into());
        self
    }
}
