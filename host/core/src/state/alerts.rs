//! The alert queue: alerts from response actions wait here for their records, and every
//! alert waits here for its suppression decision and delivery.

use std::collections::HashMap;

use super::db::{self, args, Db, Row, ToValue};

use super::ids::{ActionId, AlertId, TicketId};
use super::outbox::ActionState;
use crate::time::Timestamp;

/// Where an alert came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `sluice alert-response`, run by Netwrix Auditor.
    ResponseAction,
    /// The host's own rules over polled records.
    Poll,
}

impl Origin {
    /// `response` or `poll`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::ResponseAction => "response",
            Origin::Poll => "poll",
        }
    }
}

impl Origin {
    /// The origin named `name` (as stored).
    pub fn parse(name: &str) -> Option<Origin> {
        [Origin::ResponseAction, Origin::Poll]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

crate::stored_as_name!(Origin, "alert origin");

/// Queue status of an alert (the `alerts.status` column). Once decided, an alert belongs to a
/// ticket action in the outbox, and that action's state is the alert's (see [`AlertState`]):
/// one write per alert, however many alerts an update carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    /// Waiting for its record (response action).
    Queued,
    /// Its record is known; waiting for the suppression decision.
    Ready,
    /// Decided: it belongs to a ticket action.
    Decided,
    /// Ignored: its alert definition is disabled.
    Ignored,
}

impl AlertStatus {
    /// The name the store uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Queued => "queued",
            AlertStatus::Ready => "ready",
            AlertStatus::Decided => "decided",
            AlertStatus::Ignored => "ignored",
        }
    }

    /// The status as an SQL string literal (`'queued'`), for a query that names it: SQLite
    /// uses the partial indexes `alerts_queued` and `alerts_ready` only when the query repeats
    /// their condition literally.
    pub fn sql(self) -> String {
        format!("'{}'", self.as_str())
    }
}

impl ToValue for AlertStatus {
    fn to_value(&self) -> db::Value<'_> {
        db::Value::Text(self.as_str())
    }
}

/// Where an alert is, as `sluice status` and the metrics count alerts: its own status until it
/// is decided, then the state of the ticket action that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertState {
    /// Waiting for its record.
    Queued,
    /// Waiting for its decision.
    Ready,
    /// Its definition is disabled.
    Ignored,
    /// Decided: the state of its ticket action.
    Action(ActionState),
}

impl AlertState {
    /// The states of an alert not yet delivered, in the order the queue is shown.
    pub const WAITING: [AlertState; 5] = [
        AlertState::Queued,
        AlertState::Ready,
        AlertState::Action(ActionState::Collecting),
        AlertState::Action(ActionState::Pending),
        AlertState::Action(ActionState::InFlight),
    ];

    /// The name reports and metrics use: the status's, or the action state's.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertState::Queued => AlertStatus::Queued.as_str(),
            AlertState::Ready => AlertStatus::Ready.as_str(),
            AlertState::Ignored => AlertStatus::Ignored.as_str(),
            AlertState::Action(state) => state.as_str(),
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<AlertState> {
        [AlertState::Queued, AlertState::Ready, AlertState::Ignored]
            .into_iter()
            .find(|s| s.as_str() == name)
            .or_else(|| ActionState::parse(name).map(AlertState::Action))
    }
}

crate::stored_as_name!(AlertState, "alert state");

/// An alert to enqueue.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    /// Its pipeline.
    pub pipeline: &'a str,
    /// Unique per pipeline: a second alert with the same key is ignored.
    pub dedupe_key: String,
    /// Where it came from.
    pub origin: Origin,
    /// The alert's name (its definition, or what Auditor called it).
    pub alert_name: &'a str,
    /// Auditor's alert id, for response actions.
    pub auditor_alert_id: Option<&'a str>,
    /// The activity record's id.
    pub record_id: Option<&'a str>,
    /// When it arrived.
    pub received_at: Timestamp,
    /// The record as JSON, when already known (polling).
    pub record: Option<&'a str>,
    /// Further records as a JSON array (threshold alerts).
    pub extra_records: Option<&'a str>,
}

/// Enqueues `alert`; `false` if an alert with its dedupe key is already there.
pub fn enqueue(db: &Db<'_>, alert: &NewAlert<'_>) -> db::Result<bool> {
    Ok(enqueue_all(db, std::slice::from_ref(alert))?[0])
}

/// Enqueues `alerts`, a few statements for the lot (a group commit of response actions);
/// for each, in order, whether it is new (`false`: its dedupe key was there, or earlier in
/// `alerts`).
pub fn enqueue_all(db: &Db<'_>, alerts: &[NewAlert<'_>]) -> db::Result<Vec<bool>> {
    let rows: Vec<(&NewAlert<'_>, AlertStatus)> =
        alerts.iter().map(|a| (a, initial_status(a))).collect();
    let mut new: std::collections::HashSet<(String, String)> = Default::default();
    db::insert_rows(
        db,
        "INSERT INTO alerts (pipeline, dedupe_key, origin, alert_name, auditor_alert_id, \
         record_id, received_at, record, extra_records, status) {rows} \
         ON CONFLICT DO NOTHING RETURNING pipeline, dedupe_key",
        &ALERT_TYPES,
        &rows,
        |(alert, status), args| {
            args.extend(alert_values(alert));
            args.push(status);
        },
        |r| {
            new.insert((r.get(0)?, r.get(1)?));
            Ok(())
        },
    )?;
    Ok(alerts
        .iter()
        .map(|a| new.remove(&(a.pipeline.to_owned(), a.dedupe_key.clone())))
        .collect())
}

/// The types of [`alert_values`], then the status's.
const ALERT_TYPES: [&str; 10] = [
    "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "TEXT", "TEXT",
];

/// The columns every new alert row has, in the order the inserts name them (`pipeline` …
/// `extra_records`).
fn alert_values<'a>(alert: &'a NewAlert<'_>) -> [&'a dyn ToValue; 9] {
    [
        &alert.pipeline,
        &alert.dedupe_key,
        &alert.origin,
        &alert.alert_name,
        &alert.auditor_alert_id,
        &alert.record_id,
        &alert.received_at,
        &alert.record,
        &alert.extra_records,
    ]
}

/// The columns of a decision, in the order the statements name them (`suppression_key` …
/// `decided_at`).
fn decided_values<'a>(decided: &'a Decided<'_>) -> [&'a dyn ToValue; 5] {
    [
        &decided.suppression_key,
        &decided.ticket,
        &decided.action,
        &decided.decision,
        &decided.at,
    ]
}

/// The status an alert is queued with: ready when it needs no fetch.
fn initial_status(alert: &NewAlert<'_>) -> AlertStatus {
    if alert.record.is_some() || alert.record_id.is_none() {
        AlertStatus::Ready
    } else {
        AlertStatus::Queued
    }
}

/// The suppression decision for an alert: its key, the ticket and the ticket action it
/// belongs to, what the decision was and when it was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided<'a> {
    /// The suppression key.
    pub suppression_key: &'a str,
    /// The ticket.
    pub ticket: TicketId,
    /// The ticket action that carries the alert.
    pub action: ActionId,
    /// The decision's name (`open`, `consolidate`, `open_flood`, `flood`).
    pub decision: &'a str,
    /// When it was decided.
    pub at: Timestamp,
}

/// Inserts alerts already placed on tickets (polled alerts, decided in the transaction that
/// raises them), a few statements for the lot. Plain inserts: the caller guarantees the
/// dedupe keys are new (polled record ids are remembered at least as long as alerts; see
/// `RetentionSettings`).
pub fn insert_all_decided(db: &Db<'_>, alerts: &[(NewAlert<'_>, Decided<'_>)]) -> db::Result<()> {
    db::insert_rows(
        db,
        "INSERT INTO alerts (pipeline, dedupe_key, origin, alert_name, auditor_alert_id, \
         record_id, received_at, record, extra_records, status, suppression_key, ticket_id, \
         outbox_id, decision, decided_at) {rows}",
        &[
            ALERT_TYPES.as_slice(),
            &["TEXT", "BIGINT", "BIGINT", "TEXT", "BIGINT"],
        ]
        .concat(),
        alerts,
        |(alert, decided), args| {
            args.extend(alert_values(alert));
            args.push(&AlertStatus::Decided);
            args.extend(decided_values(decided));
        },
        |_| Ok(()),
    )
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Row id; also the arrival order.
    pub id: AlertId,
    /// Where it came from.
    pub origin: Origin,
    /// The alert's name.
    pub alert_name: String,
    /// Auditor's alert id.
    pub auditor_alert_id: Option<String>,
    /// The record's id.
    pub record_id: Option<String>,
    /// When it arrived.
    pub received_at: Timestamp,
    /// The record, JSON.
    pub record: Option<String>,
    /// Further records, JSON array.
    pub extra_records: Option<String>,
    /// Fetch attempts so far.
    pub fetch_attempts: u32,
}

const COLUMNS: &str = "id, origin, alert_name, auditor_alert_id, record_id, received_at, record, \
                       extra_records, fetch_attempts";

fn row(r: &Row<'_>) -> db::Result<AlertRow> {
    Ok(AlertRow {
        id: r.get(0)?,
        origin: r.get(1)?,
        alert_name: r.get(2)?,
        auditor_alert_id: r.get(3)?,
        record_id: r.get(4)?,
        received_at: r.get(5)?,
        record: r.get(6)?,
        extra_records: r.get(7)?,
        fetch_attempts: r.get(8)?,
    })
}

/// Up to `limit` alerts in state `status` (queued or ready), oldest first.
pub fn with_status(
    db: &Db<'_>,
    pipeline: &str,
    status: AlertStatus,
    limit: usize,
) -> db::Result<Vec<AlertRow>> {
    // The status is written into the SQL, not bound: SQLite uses the partial indexes
    // `alerts_queued` and `alerts_ready` only when the query repeats their condition.
    let status = match status {
        AlertStatus::Queued => AlertStatus::Queued,
        _ => AlertStatus::Ready,
    }
    .sql();
    db.query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE pipeline = ?1 AND status = {status} ORDER BY id LIMIT ?2"
    ), args![pipeline, limit as i64], row)
}

/// When a queued alert's next fetch attempt is due, ms since 1970: attempt `n` waits `2 n²` seconds after
/// arrival, so a record Auditor has not indexed yet is asked for again over about a minute,
/// not in a tight loop.
const FETCH_DUE_AT: &str = "received_at + fetch_attempts * fetch_attempts * 2000";

/// Queued alerts whose next fetch attempt is due at `now` (see [`FETCH_DUE_AT`]).
pub fn due_for_fetch(
    db: &Db<'_>,
    pipeline: &str,
    now: Timestamp,
    limit: usize,
) -> db::Result<Vec<AlertRow>> {
    let queued = AlertStatus::Queued.sql();
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM alerts WHERE pipeline = ?1 AND status = {queued} \
         AND {FETCH_DUE_AT} <= ?2 ORDER BY id LIMIT ?3"
        ),
        args![pipeline, now, limit as i64],
        row,
    )
}

/// When the next queued alert's fetch falls due (see [`due_for_fetch`]), for the pipeline
/// `?1`: a scalar subquery of [`super::due::stored_work`].
pub(super) fn next_fetch_sql() -> String {
    let queued = AlertStatus::Queued.sql();
    format!("SELECT min({FETCH_DUE_AT}) FROM alerts WHERE pipeline = ?1 AND status = {queued}")
}

/// Whether an alert of the pipeline `?1` waits to be decided: a scalar subquery of
/// [`super::due::stored_work`].
pub(super) fn any_ready_sql() -> String {
    let ready = AlertStatus::Ready.sql();
    format!("SELECT EXISTS (SELECT 1 FROM alerts WHERE pipeline = ?1 AND status = {ready})")
}

/// Gives the queued alerts of `pipeline` waiting for each of `records` (record id, record
/// JSON) their record, a few statements for the lot; how many alerts became ready.
pub fn set_records(db: &Db<'_>, pipeline: &str, records: &[(&str, String)]) -> db::Result<usize> {
    let (queued, ready) = (AlertStatus::Queued.sql(), AlertStatus::Ready.sql());
    db::update_all(
        db,
        &format!(
            "UPDATE alerts SET record = v.column2, status = {ready} FROM (VALUES {{rows}}) AS v \
             WHERE alerts.pipeline = ?1 AND alerts.record_id = v.column1 \
             AND alerts.status = {queued}"
        ),
        &[&pipeline],
        &["TEXT", "TEXT"],
        records,
        |(id, json), args| args.extend([id as &dyn ToValue, json]),
    )
}

/// Counts a fetch that did not return the alert's record; after `give_up_after` attempts the
/// alert goes on without it.
pub fn record_missing(db: &Db<'_>, id: AlertId, give_up_after: u32) -> db::Result<()> {
    let (queued, ready) = (AlertStatus::Queued.sql(), AlertStatus::Ready.sql());
    db.execute(
        &format!(
            "UPDATE alerts SET fetch_attempts = fetch_attempts + 1, \
         status = CASE WHEN fetch_attempts + 1 >= ?2 THEN {ready} ELSE status END \
         WHERE id = ?1 AND status = {queued}"
        ),
        args![id, give_up_after],
    )?;
    Ok(())
}

/// Records the suppression decision of each alert: the ticket and the ticket action it
/// belongs to; a few statements for the lot.
pub fn decide_all(db: &Db<'_>, decisions: &[(AlertId, Decided<'_>)]) -> db::Result<()> {
    let status = AlertStatus::Decided.sql();
    db::update_all(
        db,
        &format!(
            "UPDATE alerts SET status = {status}, suppression_key = v.column2, \
             ticket_id = v.column3, outbox_id = v.column4, decision = v.column5, \
             decided_at = v.column6 FROM (VALUES {{rows}}) AS v WHERE alerts.id = v.column1"
        ),
        &[],
        &["BIGINT", "TEXT", "BIGINT", "BIGINT", "TEXT", "BIGINT"],
        decisions,
        |(id, decided), args| {
            args.push(id);
            args.extend(decided_values(decided));
        },
    )?;
    Ok(())
}

/// The first `limit` (at least one) alerts of ticket action `outbox_id`, and how many it has
/// in all.
pub fn of_outbox(
    db: &Db<'_>,
    outbox_id: ActionId,
    limit: usize,
) -> db::Result<(Vec<AlertRow>, u64)> {
    Ok(of_outboxes(db, &[outbox_id], limit)?
        .remove(&outbox_id)
        .unwrap_or_default())
}

/// For each of the ticket actions `ids`: its first `limit` alerts (at least one), and how
/// many it carries in all; a few statements for a round of actions. Actions with no alert
/// are absent.
pub fn of_outboxes(
    db: &Db<'_>,
    ids: &[ActionId],
    limit: usize,
) -> db::Result<HashMap<ActionId, (Vec<AlertRow>, u64)>> {
    let counted = COLUMNS.split(',').count();
    let limit = limit.max(1) as i64;
    let mut found: HashMap<ActionId, (Vec<AlertRow>, u64)> = HashMap::new();
    db::each_in(
        db,
        // Each action's count rides on its rows (a window over its alerts, before the limit).
        &format!(
            "SELECT {COLUMNS}, outbox_id, total FROM (SELECT {COLUMNS}, outbox_id, \
             row_number() OVER (PARTITION BY outbox_id ORDER BY id) AS n, \
             count(*) OVER (PARTITION BY outbox_id) AS total FROM alerts \
             WHERE outbox_id IN ({{list}})) AS a WHERE n <= ?1 ORDER BY outbox_id, id"
        ),
        &[&limit],
        ids,
        |r| {
            let action: ActionId = r.get(counted)?;
            let total: i64 = r.get(counted + 1)?;
            let entry = found.entry(action).or_insert((Vec::new(), total as u64));
            entry.0.push(row(r)?);
            Ok(())
        },
    )?;
    Ok(found)
}

/// Sends the alerts of a ticket action back for a new decision (their ticket became
/// unusable), so they land on a new ticket instead of being lost.
pub fn redecide_outbox(db: &Db<'_>, outbox_id: ActionId) -> db::Result<usize> {
    let ready = AlertStatus::Ready.sql();
    db.execute(
        &format!(
        "UPDATE alerts SET status = {ready}, ticket_id = NULL, outbox_id = NULL, decision = NULL \
         WHERE outbox_id = ?1"
    ),
        args![outbox_id],
    )
}

/// Marks an undecided alert ignored (its definition is disabled).
pub fn ignore(db: &Db<'_>, id: AlertId) -> db::Result<()> {
    let (queued, ready) = (AlertStatus::Queued.sql(), AlertStatus::Ready.sql());
    let ignored = AlertStatus::Ignored.sql();
    db.execute(
        &format!(
            "UPDATE alerts SET status = {ignored}, record = NULL, extra_records = NULL \
         WHERE id = ?1 AND status IN ({queued}, {ready})"
        ),
        args![id],
    )?;
    Ok(())
}

/// Counts of alerts per state for `pipeline` (see [`AlertState`]), in the order of the states'
/// names. A decided alert whose action was pruned counts as done.
pub fn by_state(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<(AlertState, u64)>> {
    let (decided, done) = (AlertStatus::Decided.sql(), ActionState::Done.sql());
    db.query(&format!(
        "SELECT CASE WHEN a.status = {decided} THEN coalesce(o.state, {done}) ELSE a.status END AS s, \
         count(*) FROM alerts a LEFT JOIN outbox o ON o.id = a.outbox_id WHERE a.pipeline = ?1 \
         GROUP BY s ORDER BY s"
    ), args![pipeline], |r| Ok((r.get(0)?, r.get::<i64>(1)? as u64)))
}

/// [`by_state`], each state by its name (as reports print them): `queued`, `ready`,
/// `ignored`, or the state of the ticket action a decided alert belongs to (`collecting`,
/// `pending`, `in_flight`, `done`, `dead`).
pub fn counts(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<(String, u64)>> {
    Ok(by_state(db, pipeline)?
        .into_iter()
        .map(|(state, n)| (state.as_str().to_owned(), n))
        .collect())
}

/// How many alerts of `pipeline` each suppression decision took (`open`, `consolidate`,
/// `open_flood`, `flood`).
pub fn decisions(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<(String, u64)>> {
    db.query(
        "SELECT decision, count(*) FROM alerts WHERE pipeline = ?1 AND decision IS NOT NULL \
         GROUP BY decision ORDER BY decision",
        args![pipeline],
        |r| Ok((r.get(0)?, r.get::<i64>(1)? as u64)),
    )
}

/// Alerts of `pipeline` not yet delivered or given up on.
pub fn unfinished(db: &Db<'_>, pipeline: &str) -> db::Result<u64> {
    let (queued, ready) = (AlertStatus::Queued.sql(), AlertStatus::Ready.sql());
    let decided = AlertStatus::Decided.sql();
    let finished = ActionState::sql_list(&ActionState::FINISHED);
    db.query_one(&format!(
        "SELECT count(*) FROM alerts a LEFT JOIN outbox o ON o.id = a.outbox_id WHERE a.pipeline = ?1 \
         AND (a.status IN ({queued}, {ready}) OR (a.status = {decided} AND o.state NOT IN ({finished})))"
    ), args![pipeline], |r| Ok(r.get::<i64>(0)? as u64))
}
