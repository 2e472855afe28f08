//! Incident semantics: create defaults, number generation, the priority matrix, state /
//! incident_state / active rules, resolve/close/reopen side effects, journal writes, the
//! closed-record ACL and the close-info data policy.

use super::account::Actor;
use super::errors::{ApiError, Operation};
use super::journal;
use super::profile::{CloseInfoPolicy, ClosedWrites, Profile, ReopenEffects, StateModel};
use super::schema::{self, FieldKind};
use super::store::{new_sys_id, Record, Store};

/// States of the new model: New, In Progress, On Hold, Resolved, Closed, Canceled.
const NEW_MODEL_STATES: [&str; 6] = ["1", "2", "3", "6", "7", "8"];
/// States of the old model: New, Active, Awaiting Problem, Awaiting User Info, Awaiting
/// Evidence, Resolved, Closed.
const OLD_MODEL_STATES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "7"];
const RESOLVED: &str = "6";
const CLOSED: &str = "7";
const ON_HOLD: &str = "3";

/// Values of the choice lists that drop anything else (silently: the write succeeds).
const LEVELS: [&str; 3] = ["1", "2", "3"];
const HOLD_REASONS: [&str; 4] = ["1", "3", "4", "5"];

/// Fields maintained by business rules; client writes to them are ignored.
const DERIVED: [&str; 5] = [
    "active",
    "sys_class_name",
    "comments_and_work_notes",
    "approval_history",
    "sys_domain_path",
];

/// `sys_*` columns clients may only set with `sysparm_suppress_auto_sys_field=true`.
const AUTO_SYS: [&str; 6] = [
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
    "sys_tags",
];

/// Who writes, when, and under which switches.
#[derive(Debug)]
pub(crate) struct WriteContext<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) actor: &'a Actor,
    /// Now, as `YYYY-MM-DD HH:MM:SS` UTC.
    pub(crate) now: &'a str,
    /// `sysparm_suppress_auto_sys_field=true`.
    pub(crate) suppress_auto_sys: bool,
}

/// The states the model has.
pub(crate) fn states(model: StateModel) -> &'static [&'static str] {
    match model {
        StateModel::New => &NEW_MODEL_STATES,
        StateModel::Old => &OLD_MODEL_STATES,
    }
}

/// Whether an incident in `state` is active: false only for Closed (7) and Canceled (8, new
/// model only) (Resolved stays active until autoclose).
pub(crate) fn is_active(model: StateModel, state: &str) -> bool {
    match model {
        StateModel::New => !matches!(state, "7" | "8"),
        StateModel::Old => state != CLOSED,
    }
}

/// The priority for impact × urgency (ServiceNow's priority matrix); out-of-range inputs count
/// as 3 (Low).
pub(crate) fn priority(impact: &str, urgency: &str) -> &'static str {
    let level = |v: &str| match v {
        "1" => 1,
        "2" => 2,
        _ => 3,
    };
    match level(impact) + level(urgency) {
        2 => "1",
        3 => "2",
        4 => "3",
        5 => "4",
        _ => "5",
    }
}

/// Whether `value` is acceptable for `field`; `false` means the write is silently dropped.
fn acceptable(profile: &Profile, field: &str, value: &str) -> bool {
    match field {
        "state" | "incident_state" => states(profile.state_model).contains(&value),
        "impact" | "urgency" | "severity" => LEVELS.contains(&value),
        "close_code" => profile.close_codes.iter().any(|c| c == value),
        "hold_reason" => profile.hold_reason && HOLD_REASONS.contains(&value),
        _ => match schema::INCIDENT.field(field).map(|f| f.kind) {
            // Choice fields cannot be cleared by sending "".
            Some(FieldKind::Choice) => !value.is_empty(),
            Some(_) => true,
            None => false,
        },
    }
}

/// A new incident with the defaults of the 2018 capture
/// (`output.ServiceNowOutputTest_insertRecord.json`).
fn defaults(ctx: &WriteContext<'_>) -> Record {
    let mut record = Record::blank(&schema::INCIDENT);
    let defaults = [
        ("sys_id", new_sys_id()),
        ("made_sla", "true".to_owned()),
        ("upon_reject", "cancel".to_owned()),
        ("upon_approval", "proceed".to_owned()),
        ("child_incidents", "0".to_owned()),
        ("sys_domain", "global".to_owned()),
        ("sys_domain_path", "/".to_owned()),
        ("state", "1".to_owned()),
        ("incident_state", "1".to_owned()),
        ("knowledge", "false".to_owned()),
        ("impact", "3".to_owned()),
        ("urgency", "3".to_owned()),
        ("severity", "3".to_owned()),
        ("priority", "5".to_owned()),
        ("active", "true".to_owned()),
        ("notify", "1".to_owned()),
        ("sys_class_name", "incident".to_owned()),
        ("reassignment_count", "0".to_owned()),
        ("reopen_count", "0".to_owned()),
        ("approval", "not requested".to_owned()),
        ("escalation", "0".to_owned()),
        ("category", "inquiry".to_owned()),
        ("sys_mod_count", "0".to_owned()),
        ("opened_by", ctx.actor.sys_id.clone()),
        ("opened_at", ctx.now.to_owned()),
        ("sys_created_on", ctx.now.to_owned()),
        ("sys_created_by", ctx.actor.user_name.clone()),
        ("sys_updated_on", ctx.now.to_owned()),
        ("sys_updated_by", ctx.actor.user_name.clone()),
    ];
    for (field, value) in defaults {
        record.set(field, value);
    }
    record
}

/// Applies client values to `record`; returns the journal entries to append.
fn apply(
    record: &mut Record,
    changes: &[(String, String)],
    ctx: &WriteContext<'_>,
    inserting: bool,
) -> Vec<(&'static str, String)> {
    let mut journal_entries = Vec::new();
    let mut state_written = false;
    let mut incident_state_written = false;
    for (field, value) in changes {
        match field.as_str() {
            journal::WORK_NOTES => journal_entries.push((journal::WORK_NOTES, value.clone())),
            journal::COMMENTS => journal_entries.push((journal::COMMENTS, value.clone())),
            // A sys_id may be supplied on insert only.
            "sys_id" if inserting && !value.is_empty() => record.set("sys_id", value.as_str()),
            f if AUTO_SYS.contains(&f) && ctx.suppress_auto_sys => record.set(f, value.as_str()),
            f if f == "sys_id" || DERIVED.contains(&f) || AUTO_SYS.contains(&f) => {}
            f if acceptable(ctx.profile, f, value) => {
                state_written |= f == "state";
                incident_state_written |= f == "incident_state";
                record.set(f, value.as_str());
            }
            _ => {}
        }
    }
    // Business rules keep the two in sync; `state` wins when both are sent.
    if state_written {
        let state = record.get("state").to_owned();
        record.set("incident_state", state);
    } else if incident_state_written {
        let state = record.get("incident_state").to_owned();
        record.set("state", state);
    }
    journal_entries
}

/// Business-rule effects of the transition from `old_state` to the record's state.
fn derive(record: &mut Record, old_state: &str, ctx: &WriteContext<'_>, inserting: bool) {
    let profile = ctx.profile;
    let state = record.get("state").to_owned();
    if state != old_state {
        if state == RESOLVED || (state == CLOSED && record.get("resolved_at").is_empty()) {
            record.set("resolved_at", ctx.now);
            record.set("resolved_by", ctx.actor.sys_id.as_str());
        }
        if state == CLOSED {
            record.set("closed_at", ctx.now);
            record.set("closed_by", ctx.actor.sys_id.as_str());
        }
        let was_done = old_state == RESOLVED || old_state == CLOSED;
        let now_open = is_active(profile.state_model, &state) && state != RESOLVED;
        if was_done && now_open && profile.reopen == ReopenEffects::CountAndClear {
            let count = record
                .get("reopen_count")
                .parse::<u64>()
                .unwrap_or(0)
                .saturating_add(1);
            record.set("reopen_count", count.to_string());
            for field in ["resolved_at", "resolved_by", "closed_at", "closed_by"] {
                record.set(field, "");
            }
        }
    }
    if profile.state_model == StateModel::New && state != ON_HOLD {
        record.set("hold_reason", "");
    }
    record.set("active", is_active(profile.state_model, &state).to_string());
    if inserting || profile.priority_on_update {
        let p = priority(record.get("impact"), record.get("urgency"));
        record.set("priority", p);
    }
}

/// The close-info data policy: labels of the missing fields of a Resolved/Closed record.
fn data_policy(record: &Record, profile: &Profile) -> Result<(), ApiError> {
    let state = record.get("state");
    if profile.close_info != CloseInfoPolicy::DataPolicy || (state != RESOLVED && state != CLOSED) {
        return Ok(());
    }
    let mut missing = Vec::new();
    if record.get("close_code").is_empty() {
        missing.push("Resolution code");
    }
    if record.get("close_notes").is_empty() {
        missing.push("Resolution notes");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::DataPolicy(missing))
    }
}

/// Appends the journal entries of a write.
fn write_journal(
    store: &mut Store,
    sys_id: &str,
    entries: Vec<(&'static str, String)>,
    ctx: &WriteContext<'_>,
) {
    for (element, value) in entries {
        journal::append(
            store,
            schema::INCIDENT.name,
            sys_id,
            element,
            &value,
            &ctx.actor.user_name,
            ctx.now,
        );
    }
}

/// Creates an incident from client values (known columns only, raw values).
pub(crate) fn insert(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    changes: &[(String, String)],
) -> Result<Record, ApiError> {
    let mut record = defaults(ctx);
    let entries = apply(&mut record, changes, ctx, true);
    derive(&mut record, "", ctx, true);
    data_policy(&record, ctx.profile)?;
    if record.get("number").is_empty() {
        record.set("number", store.next_incident_number());
    }
    if store.find(schema::INCIDENT.name, record.sys_id()).is_some() {
        return Err(ApiError::InsertFailed {
            table: schema::INCIDENT.name.to_owned(),
            display: record.get("number").to_owned(),
        });
    }
    let sys_id = record.sys_id().to_owned();
    store.insert(&schema::INCIDENT, record.clone());
    write_journal(store, &sys_id, entries, ctx);
    Ok(record)
}

/// Updates incident `sys_id` (PUT and PATCH alike: only sent fields change, as documented).
pub(crate) fn update(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    sys_id: &str,
    changes: &[(String, String)],
) -> Result<Record, ApiError> {
    let old = before_update(store, schema::INCIDENT.name, sys_id, ctx)?;
    let mut record = old.clone();
    let entries = apply(&mut record, changes, ctx, false);
    derive(&mut record, old.get("state"), ctx, false);
    data_policy(&record, ctx.profile)?;
    let entries: Vec<_> = entries.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    if (record != old || !entries.is_empty()) && !ctx.suppress_auto_sys {
        count_modification(&mut record);
        record.set("sys_updated_on", ctx.now);
        record.set("sys_updated_by", ctx.actor.user_name.as_str());
    }
    store.replace(schema::INCIDENT.name, record.clone());
    write_journal(store, sys_id, entries, ctx);
    Ok(record)
}

/// Record `sys_id` of `table` before `ctx.actor` updates it: `NoRecord` if there is none, an
/// ACL refusal if it is closed, closed records are read-only in the profile and the actor is
/// no admin.
pub(crate) fn before_update(
    store: &Store,
    table: &str,
    sys_id: &str,
    ctx: &WriteContext<'_>,
) -> Result<Record, ApiError> {
    let old = store
        .find(table, sys_id)
        .cloned()
        .ok_or(ApiError::NoRecord)?;
    let locked = old.get("active") == "false";
    if locked && ctx.profile.closed_writes == ClosedWrites::Strict && !ctx.actor.admin {
        return Err(ApiError::Acl(Operation::Update));
    }
    Ok(old)
}

/// One more modification of `record`: `sys_mod_count` goes up by one.
pub(crate) fn count_modification(record: &mut Record) {
    let count = record
        .get("sys_mod_count")
        .parse::<u64>()
        .unwrap_or(0)
        .saturating_add(1);
    record.set("sys_mod_count", count.to_string());
}

/// Finds an incident by sys_id or number.
pub(crate) fn find<'a>(store: &'a Store, sys_id_or_number: &str) -> Option<&'a Record> {
    store
        .rows(schema::INCIDENT.name)
        .iter()
        .find(|r| r.sys_id() == sys_id_or_number || r.get("number") == sys_id_or_number)
}

/// Moves an incident to `state` as a human agent would: close info is filled in when resolving
/// or closing, and neither the closed-record ACL nor the data policy stops an agent who does it
/// through the form. Returns false if there is no such incident or the model lacks the state.
pub(crate) fn agent_set_state(
    store: &mut Store,
    ctx: &WriteContext<'_>,
    sys_id_or_number: &str,
    state: &str,
) -> bool {
    let Some(record) = find(store, sys_id_or_number) else {
        return false;
    };
    if !states(ctx.profile.state_model).contains(&state) {
        return false;
    }
    let sys_id = record.sys_id().to_owned();
    let mut changes = vec![("state".to_owned(), state.to_owned())];
    if state == RESOLVED || state == CLOSED {
        if record.get("close_code").is_empty() {
            if let Some(code) = ctx.profile.close_codes.first() {
                changes.push(("close_code".to_owned(), code.clone()));
            }
        }
        if record.get("close_notes").is_empty() {
            changes.push((
                "close_notes".to_owned(),
                "Resolved by the service desk.".to_owned(),
            ));
        }
    }
    update(store, ctx, &sys_id, &changes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::release::Release;

    fn actor(admin: bool) -> Actor {
        Actor {
            user_name: "svc".to_owned(),
            sys_id: "u1".to_owned(),
            display_name: "Svc".to_owned(),
            admin,
        }
    }

    fn changes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn priority_matrix() {
        let expected = [["1", "2", "3"], ["2", "3", "4"], ["3", "4", "5"]];
        for (i, row) in expected.iter().enumerate() {
            for (u, want) in row.iter().enumerate() {
                let (impact, urgency) = ((i + 1).to_string(), (u + 1).to_string());
                assert_eq!(priority(&impact, &urgency), *want, "{impact}x{urgency}");
            }
        }
    }

    #[test]
    fn active_rules_per_model() {
        assert!(is_active(StateModel::New, "6"));
        assert!(!is_active(StateModel::New, "7"));
        assert!(!is_active(StateModel::New, "8"));
        assert!(is_active(StateModel::Old, "5"));
        assert!(!is_active(StateModel::Old, "7"));
    }

    #[test]
    fn lifecycle_resolve_reopen_close() {
        let mut profile = Profile::for_release(Release::London);
        profile.close_info = CloseInfoPolicy::DataPolicy;
        let svc = actor(false);
        let ctx = WriteContext {
            profile: &profile,
            actor: &svc,
            now: "2018-06-01 10:15:04",
            suppress_auto_sys: false,
        };
        let mut store = Store::new();
        let created = insert(
            &mut store,
            &ctx,
            &changes(&[
                ("impact", "2"),
                ("urgency", "1"),
                ("work_notes", "hi"),
                ("state", "4"),
            ]),
        );
        let Ok(created) = created else {
            panic!("insert failed: {created:?}");
        };
        let id = created.sys_id().to_owned();
        assert_eq!(created.get("priority"), "2");
        assert_eq!(created.get("state"), "1", "4 is not a new-model state");
        assert_eq!(created.get("number"), "INC0010001");
        assert_eq!(journal::entries(&store, &id).len(), 1);

        let refused = update(
            &mut store,
            &ctx,
            &id,
            &changes(&[("state", "6"), ("close_code", "Solved (Permanently)")]),
        );
        assert_eq!(refused, Err(ApiError::DataPolicy(vec!["Resolution notes"])));

        let resolved = update(
            &mut store,
            &ctx,
            &id,
            &changes(&[
                ("state", "6"),
                ("close_code", "Solved (Permanently)"),
                ("close_notes", "done"),
            ]),
        );
        let resolved = resolved.unwrap_or_default();
        assert_eq!(resolved.get("incident_state"), "6");
        assert_eq!(resolved.get("active"), "true");
        assert_eq!(resolved.get("resolved_by"), "u1");
        assert_eq!(resolved.get("sys_mod_count"), "1");

        let reopened =
            update(&mut store, &ctx, &id, &changes(&[("state", "2")])).unwrap_or_default();
        assert_eq!(reopened.get("reopen_count"), "1");
        assert_eq!(reopened.get("resolved_at"), "");

        assert!(agent_set_state(&mut store, &ctx, "INC0010001", "7"));
        let closed = find(&store, &id).cloned().unwrap_or_default();
        assert_eq!(closed.get("active"), "false");
        assert!(!closed.get("closed_at").is_empty());
        assert_eq!(
            update(&mut store, &ctx, &id, &changes(&[("work_notes", "again")])),
            Err(ApiError::Acl(Operation::Update))
        );
        let admin = actor(true);
        let admin_ctx = WriteContext {
            actor: &admin,
            ..ctx
        };
        assert!(update(
            &mut store,
            &admin_ctx,
            &id,
            &changes(&[("work_notes", "again")])
        )
        .is_ok());
    }

    #[test]
    fn duplicate_sys_id_is_an_insert_error() {
        let profile = Profile::for_release(Release::Kingston);
        let svc = actor(false);
        let ctx = WriteContext {
            profile: &profile,
            actor: &svc,
            now: "2018-08-14 08:01:25",
            suppress_auto_sys: false,
        };
        let mut store = Store::new();
        let body = changes(&[("sys_id", "abc"), ("number", "2135483521432")]);
        assert!(insert(&mut store, &ctx, &body).is_ok());
        assert_eq!(
            insert(&mut store, &ctx, &body).map(|r| r.sys_id().to_owned()),
            Err(ApiError::InsertFailed {
                table: "incident".to_owned(),
                display: "2135483521432".to_owned()
            })
        );
    }
}
