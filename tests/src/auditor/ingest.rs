//! The write endpoint's documented rules: validation of posted records, whatever
//! their encoding, and the changes Auditor makes to them on the way in.
//!
//! Both readers produce [`RawRecord`]s; a whole request is validated before any record is
//! stored, so a 400 never leaves half a batch behind.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::config::Behaviour;
use super::error::ApiError;
use super::record::{ActivityRecord, Detail, Item, MonitoringPlan};
use super::time::parse_timestamp;

/// The documented `Action` values (the full list of the search filter documentation).
pub(crate) const ACTIONS: [&str; 23] = [
    "Added",
    "Add (Failed Attempt)",
    "Removed",
    "Remove (Failed Attempt)",
    "Modified",
    "Modify (Failed Attempt)",
    "Read",
    "Read (Failed Attempt)",
    "Moved",
    "Move (Failed Attempt)",
    "Renamed",
    "Rename (Failed Attempt)",
    "Checked in",
    "Checked out",
    "Discard check out",
    "Successful Logon",
    "Failed Logon",
    "Logoff",
    "Copied",
    "Sent",
    "Session start",
    "Session end",
    "Activated",
];

/// `DataSource` of every written record.
pub(crate) const API_DATA_SOURCE: &str = "Netwrix API";
/// Suffix appended to a written `Item.Name`.
pub(crate) const INTEGRATION_SUFFIX: &str = " (Integration)";

/// nvarchar(255) fields.
const SHORT_TEXT: usize = 255;

/// A posted record before validation: every field as text, as the body spelled it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawRecord {
    pub(crate) who: Option<String>,
    pub(crate) action: Option<String>,
    pub(crate) what: Option<String>,
    pub(crate) when: Option<String>,
    pub(crate) r#where: Option<String>,
    pub(crate) object_type: Option<String>,
    pub(crate) plan: Option<RawPlan>,
    pub(crate) item_name: Option<String>,
    pub(crate) workstation: Option<String>,
    pub(crate) is_archive_only: Option<String>,
    pub(crate) details: Vec<RawDetail>,
}

/// A posted `MonitoringPlan`.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawPlan {
    pub(crate) name: Option<String>,
    pub(crate) id: Option<String>,
}

/// A posted `Detail`.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawDetail {
    pub(crate) property_name: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) message: Option<String>,
}

/// Validates a batch and applies the write transformations; RIDs are assigned when stored.
pub(crate) fn accept(
    raws: Vec<RawRecord>,
    behaviour: &Behaviour,
    integration_plans: Option<&[String]>,
) -> Result<Vec<ActivityRecord>, ApiError> {
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let location = format!("ActivityRecord[{}]", i + 1);
            accept_one(raw, behaviour, integration_plans, &location)
        })
        .collect()
}

fn accept_one(
    raw: RawRecord,
    behaviour: &Behaviour,
    integration_plans: Option<&[String]>,
    location: &str,
) -> Result<ActivityRecord, ApiError> {
    let who = required(raw.who, "Who", location, Some(SHORT_TEXT))?;
    let action = required(raw.action, "Action", location, None)?;
    if behaviour.validate_action && !ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::input(format!(
            "'{action}' is not a valid Action; see the documented list (Added, Removed, Modified, Read, …)."
        ))
        .at(format!("{location}/Action")));
    }
    let what = required(raw.what, "What", location, None)?;
    let when_text = required(raw.when, "When", location, None)?;
    let when = parse_timestamp(when_text.trim()).ok_or_else(|| {
        ApiError::input(format!(
            "'{when_text}' is not a valid When; use YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DDTHH:mm:ss+HH:mm."
        ))
        .at(format!("{location}/When"))
    })?;
    let r#where = required(raw.r#where, "Where", location, Some(SHORT_TEXT))?;
    let object_type = required(raw.object_type, "ObjectType", location, Some(SHORT_TEXT))?;

    let monitoring_plan = match raw.plan {
        None => None,
        Some(plan) => Some(accept_plan(plan, integration_plans, location)?),
    };
    let is_archive_only = match raw.is_archive_only.as_deref().map(str::trim) {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(other) => {
            return Err(ApiError::input(format!(
                "'{other}' is not a valid IsArchiveOnly; use true or false."
            ))
            .at(format!("{location}/IsArchiveOnly")))
        }
    };
    let details = raw
        .details
        .into_iter()
        .enumerate()
        .map(|(i, detail)| {
            let at = format!("{location}/DetailList/Detail[{}]", i + 1);
            let property_name =
                required(detail.property_name, "PropertyName", &at, Some(SHORT_TEXT))?;
            Ok(Detail {
                property_name,
                before: detail.before,
                after: detail.after,
                message: detail.message,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;

    Ok(ActivityRecord {
        rid: None,
        who,
        action,
        what,
        when,
        r#where,
        object_type,
        monitoring_plan,
        // Documented: on input, `DataSource` is always overwritten with "Netwrix API".
        data_source: Some(API_DATA_SOURCE.to_owned()),
        // Documented: on input, the item's type becomes "Integration".
        item: raw.item_name.map(|name| Item {
            name: format!("{name}{INTEGRATION_SUFFIX}"),
        }),
        workstation: raw.workstation,
        is_archive_only,
        details,
    })
}

fn accept_plan(
    plan: RawPlan,
    integration_plans: Option<&[String]>,
    location: &str,
) -> Result<MonitoringPlan, ApiError> {
    let at = format!("{location}/MonitoringPlan");
    let name = required(plan.name, "Name", &at, Some(SHORT_TEXT))?;
    if let Some(known) = integration_plans {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
            return Err(ApiError::input(format!(
                "The monitoring plan '{name}' does not exist or has no Netwrix API data source."
            ))
            .at(at));
        }
    }
    let id = plan.id.unwrap_or_else(|| plan_id(&name));
    Ok(MonitoringPlan { name, id: Some(id) })
}

/// A stable `{GUID}` for a plan named on input without an ID: the product assigns IDs, and
/// the same name should always get the same one.
pub(crate) fn plan_id(name: &str) -> String {
    let mut high = DefaultHasher::new();
    (name.to_lowercase(), 1u8).hash(&mut high);
    let mut low = DefaultHasher::new();
    (name.to_lowercase(), 2u8).hash(&mut low);
    let bits = (u128::from(high.finish()) << 64) | u128::from(low.finish());
    let hex = format!("{bits:032X}");
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A required element: present, not blank, and within its length.
fn required(
    value: Option<String>,
    name: &str,
    location: &str,
    max_chars: Option<usize>,
) -> Result<String, ApiError> {
    let value = value.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        ApiError::input(format!("The required element {name} is missing or empty."))
            .at(format!("{location}/{name}"))
    })?;
    if let Some(max) = max_chars {
        if value.chars().count() > max {
            return Err(ApiError::input(format!(
                "{name} exceeds its maximum length of {max} characters."
            ))
            .at(format!("{location}/{name}")));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawRecord {
        RawRecord {
            who: Some(r"CORP\svc-backup".to_owned()),
            action: Some("Removed".to_owned()),
            what: Some(r"Vault\Policies\Nightly".to_owned()),
            when: Some("2024-03-11T09:00:00+01:00".to_owned()),
            r#where: Some("backup01".to_owned()),
            object_type: Some("Policy".to_owned()),
            plan: Some(RawPlan {
                name: Some("Integrations".to_owned()),
                id: None,
            }),
            item_name: Some("BackupSuite".to_owned()),
            ..RawRecord::default()
        }
    }

    #[test]
    fn writes_force_the_data_source_and_suffix_the_item() {
        let accepted = accept(vec![raw()], &Behaviour::default(), None);
        let record = accepted.ok().and_then(|mut v| v.pop());
        let record = record.as_ref();
        assert_eq!(
            record.and_then(|r| r.data_source.as_deref()),
            Some("Netwrix API")
        );
        assert_eq!(
            record
                .and_then(|r| r.item.as_ref())
                .map(|i| i.name.as_str()),
            Some("BackupSuite (Integration)")
        );
        let id = record
            .and_then(|r| r.monitoring_plan.as_ref())
            .and_then(|p| p.id.clone());
        assert_eq!(id.as_deref().map(str::len), Some(38));
        assert_eq!(id, Some(plan_id("integrations")));
    }

    #[test]
    fn each_required_field_is_checked_with_its_location() {
        let blank: [fn(&mut RawRecord); 6] = [
            |r| r.who = None,
            |r| r.action = None,
            |r| r.what = Some("  ".to_owned()),
            |r| r.when = None,
            |r| r.r#where = None,
            |r| r.object_type = None,
        ];
        for (i, clear) in blank.iter().enumerate() {
            let mut second = raw();
            clear(&mut second);
            let result = accept(vec![raw(), second], &Behaviour::default(), None);
            assert!(
                matches!(&result, Err(ApiError::Input { location: Some(l), .. }) if l.starts_with("ActivityRecord[2]/")),
                "field {i}: {result:?}"
            );
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let cases: [fn(&mut RawRecord); 6] = [
            |r| r.when = Some("2024-03-11 09:00".to_owned()),
            |r| r.action = Some("Deleted".to_owned()),
            |r| r.who = Some("x".repeat(256)),
            |r| r.is_archive_only = Some("maybe".to_owned()),
            |r| r.details = vec![RawDetail::default()],
            |r| r.plan = Some(RawPlan::default()),
        ];
        for (i, spoil) in cases.iter().enumerate() {
            let mut record = raw();
            spoil(&mut record);
            let result = accept(vec![record], &Behaviour::default(), None);
            assert!(matches!(result, Err(ApiError::Input { .. })), "case {i}");
        }
    }

    #[test]
    fn action_validation_can_be_switched_off_and_plans_restricted() {
        let mut record = raw();
        record.action = Some("Deleted".to_owned());
        let lax = Behaviour {
            validate_action: false,
            ..Behaviour::default()
        };
        assert!(accept(vec![record], &lax, None).is_ok());
        let plans = ["Other".to_owned()];
        assert!(accept(vec![raw()], &Behaviour::default(), Some(&plans)).is_err());
        let plans = ["integrations".to_owned()];
        assert!(accept(vec![raw()], &Behaviour::default(), Some(&plans)).is_ok());
    }
}
