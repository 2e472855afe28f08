//! Ticket actions as suppression's decisions add them: opens, the updates collecting repeats
//! and their flush, and the counts of alerts they carry.

use std::collections::HashMap;

use super::{ActionState, OutboxKind};
use crate::state::db::{self, args, Db, ToValue};
use crate::state::ids::{ActionId, NewIds, TicketId};
use crate::time::Timestamp;

/// A ticket action to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAction<'a> {
    /// Its pipeline.
    pub pipeline: &'a str,
    /// The ticket it acts on.
    pub ticket: TicketId,
    /// Open or update.
    pub kind: OutboxKind,
    /// Reopen the ticket if it is closed (an update).
    pub reopen: bool,
    /// The previous ticket of the same key, to reference (an open).
    pub correlate_ticket: Option<TicketId>,
    /// With a time, an update that collects repeats until then (a consolidation buffer);
    /// without, an action pending at once.
    pub collect_until: Option<Timestamp>,
    /// When it was decided.
    pub at: Timestamp,
}

impl<'a> NewAction<'a> {
    /// The open of `ticket`, pending at once, referencing `correlate_ticket` if any.
    pub fn open(
        pipeline: &'a str,
        ticket: TicketId,
        correlate_ticket: Option<TicketId>,
        at: Timestamp,
    ) -> Self {
        NewAction {
            pipeline,
            ticket,
            kind: OutboxKind::Open,
            reopen: false,
            correlate_ticket,
            collect_until: None,
            at,
        }
    }

    /// An update of `ticket` collecting repeats until `flush_at`.
    pub fn collecting_update(
        pipeline: &'a str,
        ticket: TicketId,
        reopen: bool,
        flush_at: Timestamp,
        at: Timestamp,
    ) -> Self {
        NewAction {
            pipeline,
            ticket,
            kind: OutboxKind::Update,
            reopen,
            correlate_ticket: None,
            collect_until: Some(flush_at),
            at,
        }
    }
}

impl NewAction<'_> {
    /// The state it starts in.
    fn state(&self) -> ActionState {
        if self.collect_until.is_some() {
            ActionState::Collecting
        } else {
            ActionState::Pending
        }
    }
}

/// Adds a ticket action; returns its id.
pub fn insert(db: &Db<'_>, action: &NewAction<'_>) -> db::Result<ActionId> {
    let id = NewIds::default().take(db, 1)?;
    insert_all(db, &[(id, *action)])?;
    Ok(id)
}

/// Adds ticket actions with ids from [`NewIds`], a few statements for the lot.
pub(crate) fn insert_all(db: &Db<'_>, actions: &[(ActionId, NewAction<'_>)]) -> db::Result<()> {
    let rows: Vec<(&ActionId, &NewAction<'_>, &str, ActionState)> = actions
        .iter()
        .map(|(id, action)| (id, action, action.kind.as_str(), action.state()))
        .collect();
    db::insert_rows(
        db,
        "INSERT INTO outbox (id, pipeline, ticket_id, kind, reopen, correlate_ticket_id, \
         flush_at, state, created_at, next_at) {rows}",
        &[
            "BIGINT", "TEXT", "BIGINT", "TEXT", "BIGINT", "BIGINT", "BIGINT", "TEXT", "BIGINT",
            "BIGINT",
        ],
        &rows,
        |(id, action, kind, state), args| {
            args.extend([
                *id as &dyn ToValue,
                &action.pipeline,
                &action.ticket,
                kind,
                &action.reopen,
                &action.correlate_ticket,
                &action.collect_until,
                state,
                &action.at,
                &action.at,
            ])
        },
        |_| Ok(()),
    )
}

/// Ends collection for every update whose `flush_at` has come: it becomes pending, and its
/// ticket stops pointing at it (the next repeat opens a new collection). Returns how many.
pub fn flush_due(db: &Db<'_>, pipeline: &str, now: Timestamp) -> db::Result<usize> {
    let (collecting, pending) = (ActionState::Collecting.sql(), ActionState::Pending.sql());
    db.execute(
        &format!(
            "UPDATE tickets SET collecting_outbox_id = NULL, update_count = update_count + 1 \
         WHERE collecting_outbox_id IN (SELECT id FROM outbox WHERE pipeline = ?1 \
         AND state = {collecting} AND flush_at <= ?2)"
        ),
        args![pipeline, now],
    )?;
    db.execute(
        &format!(
            "UPDATE outbox SET state = {pending}, next_at = ?2 \
         WHERE pipeline = ?1 AND state = {collecting} AND flush_at <= ?2"
        ),
        args![pipeline, now],
    )
}

/// The update of `ticket` that is due but not yet sent, if any, and how many alerts it
/// carries so far.
pub fn unsent_update(db: &Db<'_>, ticket: TicketId) -> db::Result<Option<(ActionId, u64)>> {
    let pending = ActionState::Pending.sql();
    db.query_opt(
        &format!(
            "SELECT id, alert_count FROM outbox WHERE ticket_id = ?1 AND state = {pending} \
             AND kind = 'update' AND attempts = 0 ORDER BY id DESC LIMIT 1"
        ),
        args![ticket],
        |r| Ok((r.get(0)?, r.get::<i64>(1)? as u64)),
    )
}

/// The updates of a ticket not sent yet, as a batch of repeats finds them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UnsentUpdates {
    /// The one collecting repeats, and how many alerts it carries.
    pub collecting: Option<(ActionId, u64)>,
    /// The newest one due but not sent yet (see [`unsent_update`]), and its alert count.
    pub pending: Option<(ActionId, u64)>,
}

/// The unsent updates of each of `tickets` (those with none are left out): one statement for
/// a few dozen tickets, where [`unsent_update`] and [`alert_count`] take one each.
pub fn unsent_updates(
    db: &Db<'_>,
    tickets: &[TicketId],
) -> db::Result<HashMap<TicketId, UnsentUpdates>> {
    let (collecting, pending) = (ActionState::Collecting, ActionState::Pending);
    let states = ActionState::sql_list(&[collecting, pending]);
    let mut found: HashMap<TicketId, UnsentUpdates> = HashMap::new();
    db::each_in(
        db,
        &format!(
            "SELECT ticket_id, id, alert_count, state FROM outbox WHERE ticket_id IN ({{list}}) \
             AND state IN ({states}) AND kind = 'update' AND attempts = 0"
        ),
        &[],
        tickets,
        |r| {
            let (ticket, id, count, state): (TicketId, ActionId, i64, ActionState) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let updates = found.entry(ticket).or_default();
            let slot = if state == collecting {
                &mut updates.collecting
            } else {
                &mut updates.pending
            };
            if slot.is_none_or(|(newest, _)| newest < id) {
                *slot = Some((id, count as u64));
            }
            Ok(())
        },
    )?;
    Ok(found)
}

/// How many alerts ticket action `id` carries so far.
pub fn alert_count(db: &Db<'_>, id: ActionId) -> db::Result<u64> {
    db.query_one(
        "SELECT alert_count FROM outbox WHERE id = ?1",
        args![id],
        |r| Ok(r.get::<i64>(0)? as u64),
    )
}

/// Counts more alerts on ticket actions: (action, how many more) each, a few statements for
/// the lot.
pub fn add_alerts_all(db: &Db<'_>, added: &[(ActionId, i64)]) -> db::Result<()> {
    db::update_all(
        db,
        "UPDATE outbox SET alert_count = alert_count + v.column2 FROM (VALUES {rows}) AS v \
         WHERE outbox.id = v.column1",
        &[],
        &["BIGINT", "BIGINT"],
        added,
        |(id, n), args| args.extend([id as &dyn ToValue, n]),
    )?;
    Ok(())
}

/// When the next collecting update of the pipeline `?1` is flushed: a scalar subquery of
/// [`crate::state::due::stored_work`].
pub(in crate::state) fn next_flush_sql() -> String {
    let collecting = ActionState::Collecting.sql();
    format!("SELECT min(flush_at) FROM outbox WHERE pipeline = ?1 AND state = {collecting}")
}
