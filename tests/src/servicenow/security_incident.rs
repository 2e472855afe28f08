//! Writes to `sn_si_incident`, the Security Incident Response application's table, where the
//! profile installs it.
//!
//! What is documented: the lifecycle Draft → Analysis → Contain → Eradicate → Recover → Review
//! → Closed (or Cancelled), and that closing from Review needs a closure code. What is not:
//! the state values, the closure codes and what an instance answers to a close from another
//! state; those come from the profile (`security_incident_*`) and are read by clients from
//! `sys_choice`, and a close outside Review is refused the way a business rule aborts an
//! update (403 "Operation Failed").

use super::account::Actor;
use super::errors::ApiError;
use super::incident::{before_update, count_modification, WriteContext};
use super::journal;
use super::profile::Profile;
use super::schema::{self, FieldKind};
use super::store::{new_sys_id, Record, Store};

const TABLE: &str = "sn_si_incident";

/// The value of the state labelled `label`, if the profile has one.
fn state(profile: &Profile, label: &str) -> Option<String> {
    profile
        .security_incident_states
        .iter()
        .find(|(_, l)| l == label)
        .map(|(v, _)| v.clone())
}

/// Whether a record in `value` is active: false for Closed and Cancelled.
fn is_active(profile: &Profile, value: &str) -> bool {
    ![state(profile, "Closed"), state(profile, "Cancelled")].contains(&Some(value.to_owned()))
}

/// Whether `value` may be written to `field`; `false` drops it silently, as choice lists do.
fn acceptable(profile: &Profile, field: &str, value: &str) -> bool {
    match field {
        "state" => profile
            .security_incident_states
            .iter()
            .any(|(v, _)| v == value),
        "close_code" => profile
            .security_incident_close_codes
            .iter()
            .any(|c| c == value),
        "number" | "active" | "opened_at" | "opened_by" | "closed_at" | "closed_by" => false,
        f if f.starts_with("sys_") => false,
        _ => match schema::SECURITY_INCIDENT.field(field).map(|f| f.kind) {
            Some(FieldKind::Journal) => false,
            Some(FieldKind::Choice) => !value.is_empty(),
            Some(_) => true,
            None => false,
        },
    }
}

fn stamp(record: &mut Record, actor: &Actor, now: &str) {
    record.set("sys_updated_on", now);
    record.set("sys_updated_by", actor.user_name.as_str());
}

/// Applies client values; returns the journal entries to append.
fn apply(
    record: &mut Record,
    changes: &[(String, String)],
    profile: &Profile,
) -> Vec<(&'static str, String)> {
    let mut entries = Vec::new();
    for (field, value) in changes {
        match field.as_str() {
            journal::WORK_NOTES if !value.is_empty() => {
                entries.push((journal::WORK_NOTES, value.clone()))
            }
            journal::COMMENTS if !value.is_empty() => {
                entries.push((journal::COMMENTS, value.clone()))
            }
            f if acceptable(profile, f, value) => record.set(f, value.as_str()),
            _ => {}
        }
    }
    entries
}

/// The close rule and the effects of a state change from `old_state`.
fn transition(
    record: &mut Record,
    old_state: &str,
    ctx: &WriteContext<'_>,
) -> Result<(), ApiError> {
    let profile = ctx.profile;
    let new_state = record.get("state").to_owned();
    let closed = state(profile, "Closed");
    if new_state != old_state && Some(&new_state) == closed.as_ref() {
        if Some(old_state.to_owned()) != state(profile, "Review") {
            return Err(ApiError::UpdateAborted {
                table: TABLE.to_owned(),
                display: record.get("number").to_owned(),
            });
        }
        if record.get("close_code").is_empty() {
            return Err(ApiError::DataPolicy(vec!["Closure code"]));
        }
        record.set("closed_at", ctx.now);
        record.set("closed_by", ctx.actor.sys_id.as_str());
    }
    if is_active(profile, &new_state) {
        record.set("closed_at", "");
        record.set("closed_by", "");
    }
    record.set("active", is_active(profile, &new_state).to_string());
    Ok(())
}

fn write_journal(
    store: &mut Store,
    sys_id: &str,
    entries: Vec<(&'static str, String)>,
    ctx: &WriteContext<'_>,
) {
    for (element, value) in entries {
        journal::append(
            store,
            TABLE,
            sys_id,
            element,
            &value,
            &ctx.actor.user_name,
            ctx.now,
        );
    }
}

/// The next `SIR` + 7 digits number not already used.
fn next_number(store: &Store) -> String {
    let rows = store.rows(TABLE);
    (10_001..)
        .map(|n| format!("SIR{n:07}"))
        .find(|number| !rows.iter().any(|r| r.get("number") == number))
        .unwrap_or_default()
}

/// Creates a security incident in the first state of the lifecycle (Draft).
pub(crate) fn insert(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    changes: &[(String, String)],
) -> Result<Record, ApiError> {
    let mut record = Record::blank(&schema::SECURITY_INCIDENT);
    let first = ctx
        .profile
        .security_incident_states
        .first()
        .map(|(v, _)| v.clone())
        .unwrap_or_default();
    for (field, value) in [
        ("sys_id", new_sys_id()),
        ("state", first.clone()),
        ("number", next_number(store)),
        ("opened_by", ctx.actor.sys_id.clone()),
        ("opened_at", ctx.now.to_owned()),
        ("sys_created_on", ctx.now.to_owned()),
        ("sys_created_by", ctx.actor.user_name.clone()),
        ("sys_mod_count", "0".to_owned()),
        ("sys_domain", "global".to_owned()),
        ("sys_class_name", TABLE.to_owned()),
    ] {
        record.set(field, value);
    }
    stamp(&mut record, ctx.actor, ctx.now);
    let entries = apply(&mut record, changes, ctx.profile);
    transition(&mut record, &first, ctx)?;
    let sys_id = record.sys_id().to_owned();
    store.insert(&schema::SECURITY_INCIDENT, record.clone());
    write_journal(store, &sys_id, entries, ctx);
    Ok(record)
}

/// Updates security incident `sys_id` (only the fields sent change).
pub(crate) fn update(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    sys_id: &str,
    changes: &[(String, String)],
) -> Result<Record, ApiError> {
    let old = before_update(store, TABLE, sys_id, ctx)?;
    let mut record = old.clone();
    let entries = apply(&mut record, changes, ctx.profile);
    transition(&mut record, old.get("state"), ctx)?;
    if record != old || !entries.is_empty() {
        count_modification(&mut record);
        stamp(&mut record, ctx.actor, ctx.now);
    }
    store.replace(TABLE, record.clone());
    write_journal(store, sys_id, entries, ctx);
    Ok(record)
}

/// Moves a security incident to the state labelled `label` as an analyst would through the
/// form (through Review, with a closure code, when closing). False if there is no such record
/// or state.
pub(crate) fn analyst_set_state(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    sys_id_or_number: &str,
    label: &str,
) -> bool {
    let Some(target) = state(ctx.profile, label) else {
        return false;
    };
    let Some(old) = store
        .rows(TABLE)
        .iter()
        .find(|r| r.sys_id() == sys_id_or_number || r.get("number") == sys_id_or_number)
        .cloned()
    else {
        return false;
    };
    let mut record = old.clone();
    if label == "Closed" {
        if let Some(review) = state(ctx.profile, "Review") {
            record.set("state", review);
        }
        if record.get("close_code").is_empty() {
            let code = ctx
                .profile
                .security_incident_close_codes
                .first()
                .cloned()
                .unwrap_or_default();
            record.set("close_code", code);
            record.set("close_notes", "Closed by the security analyst.");
        }
    }
    let before = record.get("state").to_owned();
    record.set("state", target);
    if transition(&mut record, &before, ctx).is_err() {
        return false;
    }
    stamp(&mut record, ctx.actor, ctx.now);
    store.replace(TABLE, record)
}
