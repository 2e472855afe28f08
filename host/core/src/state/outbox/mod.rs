//! The outbox: ticket actions decided but not yet confirmed by the sink, delivered in order
//! per ticket, retried with backoff, reconciled after a crash.

mod decisions;

pub(crate) use decisions::insert_all;
pub(super) use decisions::next_flush_sql;
pub use decisions::{
    add_alerts_all, alert_count, flush_due, insert, unsent_update, unsent_updates, NewAction,
    UnsentUpdates,
};

use super::db::{self, args, ColumnValue, Db, FromValue, Row, ToValue, Value};

use super::ids::{ActionId, TicketId};
use crate::secret::redact;
use crate::time::Timestamp;

/// What a ticket action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// Create the ticket.
    Open,
    /// Write a consolidated update (and reopen, if asked).
    Update,
}

impl OutboxKind {
    fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Open => "open",
            OutboxKind::Update => "update",
        }
    }
}

/// Where a ticket action is in its life (the `outbox.state` column). A decided alert is in
/// the state of the action that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionState {
    /// An update collecting repeats until its `flush_at` (a consolidation buffer).
    Collecting,
    /// Waiting to be sent (or sent again) once due.
    Pending,
    /// Being sent; one left so by a process that died is put back on restart.
    InFlight,
    /// Confirmed by the sink.
    Done,
    /// Given up on, or refused for good.
    Dead,
}

impl ActionState {
    /// Every state, in the order of their names (as `sluice status` and counts list them).
    pub const ALL: [ActionState; 5] = [
        ActionState::Collecting,
        ActionState::Dead,
        ActionState::Done,
        ActionState::InFlight,
        ActionState::Pending,
    ];

    /// The states of an action not finished: work is left on its ticket.
    pub const UNFINISHED: [ActionState; 3] = [
        ActionState::Collecting,
        ActionState::Pending,
        ActionState::InFlight,
    ];

    /// The states of an action that will not be sent again.
    pub const FINISHED: [ActionState; 2] = [ActionState::Done, ActionState::Dead];

    /// The name the store, `sluice status` and metrics use.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionState::Collecting => "collecting",
            ActionState::Pending => "pending",
            ActionState::InFlight => "in_flight",
            ActionState::Done => "done",
            ActionState::Dead => "dead",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<ActionState> {
        ActionState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The state as an SQL string literal (`'pending'`), for a query that names it: the query
    /// text, and so its plan, is the same on every call.
    pub fn sql(self) -> String {
        format!("'{}'", self.as_str())
    }

    /// `states` as the inside of an SQL `IN (…)` list: `'pending', 'in_flight'`.
    pub fn sql_list(states: &[ActionState]) -> String {
        states
            .iter()
            .map(|s| s.sql())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

crate::stored_as_name!(ActionState, "action state");

/// One step of a ticket action, confirmed by the sink on its own, so that a retry sends only
/// what is not confirmed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// An update's reopen of a closed ticket.
    Reopen,
    /// An update's note; for an open, the ticket's creation itself.
    Notes,
    /// The attachment of activity records.
    Attach,
}

impl Step {
    /// The step's bit in `outbox.steps_done`.
    const fn bit(self) -> u32 {
        match self {
            Step::Reopen => 1,
            Step::Notes => 2,
            Step::Attach => 4,
        }
    }
}

/// A set of [`Step`]s; stored as the bits of `outbox.steps_done`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Steps(u32);

impl Steps {
    /// No step.
    pub const NONE: Steps = Steps(0);

    /// Only `step`.
    pub const fn of(step: Step) -> Steps {
        Steps(step.bit())
    }

    /// These steps and `step`.
    pub const fn with(self, step: Step) -> Steps {
        Steps(self.0 | step.bit())
    }

    /// Adds `step`.
    pub fn insert(&mut self, step: Step) {
        *self = self.with(step);
    }

    /// Whether `step` is among these.
    pub const fn contains(self, step: Step) -> bool {
        self.0 & step.bit() != 0
    }

    /// Whether every step of `other` is among these.
    pub const fn contains_all(self, other: Steps) -> bool {
        self.0 & other.0 == other.0
    }
}

impl FromIterator<Step> for Steps {
    fn from_iter<I: IntoIterator<Item = Step>>(steps: I) -> Steps {
        steps.into_iter().fold(Steps::NONE, Steps::with)
    }
}

impl ToValue for Steps {
    fn to_value(&self) -> Value<'_> {
        Value::Integer(i64::from(self.0))
    }
}

impl FromValue for Steps {
    fn from_value(value: ColumnValue<'_>) -> Result<Self, String> {
        u32::from_value(value).map(Steps)
    }
}

/// A ticket action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id.
    pub id: ActionId,
    /// The ticket it acts on.
    pub ticket_id: TicketId,
    /// Open or update.
    pub kind: OutboxKind,
    /// Reopen the ticket if it is closed.
    pub reopen: bool,
    /// For an open: the previous ticket of the same key, to reference.
    pub correlate_ticket_id: Option<TicketId>,
    /// Where it is in its life.
    pub state: ActionState,
    /// The steps already confirmed (for an update: reopen, notes, attachment).
    pub steps_done: Steps,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was decided.
    pub created_at: Timestamp,
    /// When it was first attempted.
    pub first_attempt_at: Option<Timestamp>,
    /// Not before then.
    pub next_at: Timestamp,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
    /// For an open: since when a create sent for it has had no answer, so that the sink may
    /// still commit it (the latest such send, or the restart after a stop that left it out).
    pub in_doubt_since: Option<Timestamp>,
}

const COLUMNS: &str = "id, ticket_id, kind, reopen, correlate_ticket_id, state, steps_done, \
                       attempts, created_at, first_attempt_at, next_at, last_error, \
                       in_doubt_since";

fn row(r: &Row<'_>) -> db::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        kind: if r.get::<String>(2)? == "open" {
            OutboxKind::Open
        } else {
            OutboxKind::Update
        },
        reopen: r.get(3)?,
        correlate_ticket_id: r.get(4)?,
        state: r.get(5)?,
        steps_done: r.get(6)?,
        attempts: r.get(7)?,
        created_at: r.get(8)?,
        first_attempt_at: r.get(9)?,
        next_at: r.get(10)?,
        last_error: r.get(11)?,
        in_doubt_since: r.get(12)?,
    })
}

/// Pending actions due by `now` that are the oldest unfinished action of their ticket, and,
/// for an open that references a previous ticket, whose previous ticket has been opened (so
/// the reference can name it). At most `limit`: opens first, then oldest first. A new ticket
/// should not wait behind a backlog of updates to tickets already open; each ticket's own
/// actions still go in order.
pub fn due(
    db: &Db<'_>,
    pipeline: &str,
    now: Timestamp,
    limit: usize,
) -> db::Result<Vec<OutboxRow>> {
    let pending = ActionState::Pending.sql();
    let unsent = ActionState::sql_list(&[ActionState::Pending, ActionState::InFlight]);
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM outbox o WHERE o.pipeline = ?1 AND o.state = {pending} \
         AND o.next_at <= ?2 \
         AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ticket_id = o.ticket_id \
                         AND p.id < o.id AND p.state IN ({unsent})) \
         AND (o.correlate_ticket_id IS NULL OR NOT EXISTS ( \
                SELECT 1 FROM outbox c WHERE c.ticket_id = o.correlate_ticket_id \
                AND c.kind = 'open' AND c.state IN ({unsent}))) \
         ORDER BY o.kind = 'open' DESC, o.id LIMIT ?3"
        ),
        args![pipeline, now, limit as i64],
        row,
    )
}

/// When the next pending action of the pipeline `?1` falls due: a scalar subquery of
/// [`super::due::stored_work`].
pub(super) fn next_due_sql() -> String {
    let pending = ActionState::Pending.sql();
    format!("SELECT min(next_at) FROM outbox WHERE pipeline = ?1 AND state = {pending}")
}

/// Actions left in flight by a process that died.
pub fn in_flight(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<OutboxRow>> {
    let in_flight = ActionState::InFlight.sql();
    db.query(
        &format!(
            "SELECT {COLUMNS} FROM outbox WHERE pipeline = ?1 AND state = {in_flight} ORDER BY id"
        ),
        args![pipeline],
        row,
    )
}

/// The action with id `id`.
pub fn get(db: &Db<'_>, id: ActionId) -> db::Result<Option<OutboxRow>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
        args![id],
        row,
    )
}

/// Marks the actions as being sent, counting the attempt; a few statements for a round.
pub fn start_all(db: &Db<'_>, ids: &[ActionId], now: Timestamp) -> db::Result<()> {
    let in_flight = ActionState::InFlight.sql();
    db::execute_in(
        db,
        &format!(
            "UPDATE outbox SET state = {in_flight}, attempts = attempts + 1, \
             first_attempt_at = coalesce(first_attempt_at, ?1) WHERE id IN ({{list}})"
        ),
        &[&now],
        ids,
    )?;
    Ok(())
}

/// Records that a create sent for the action has had no answer as of `since`: the sink may
/// still commit it. Keeps the latest such time.
pub fn doubt(db: &Db<'_>, id: ActionId, since: Timestamp) -> db::Result<()> {
    db.execute(
        "UPDATE outbox SET in_doubt_since = CASE WHEN in_doubt_since > ?2 THEN in_doubt_since ELSE ?2 END WHERE id = ?1",
        args![id, since],
    )?;
    Ok(())
}

/// Records confirmed steps of a partly done action.
pub fn set_steps(db: &Db<'_>, id: ActionId, steps_done: Steps) -> db::Result<()> {
    db.execute(
        "UPDATE outbox SET steps_done = ?2 WHERE id = ?1",
        args![id, steps_done],
    )?;
    Ok(())
}

/// Marks the actions done; a few statements for a round.
pub fn finish_all(db: &Db<'_>, ids: &[ActionId], now: Timestamp) -> db::Result<()> {
    let done = ActionState::Done.sql();
    db::execute_in(
        db,
        &format!(
            "UPDATE outbox SET state = {done}, done_at = ?1, last_error = NULL \
             WHERE id IN ({{list}})"
        ),
        &[&now],
        ids,
    )?;
    Ok(())
}

/// Puts the action back to wait until `next_at`.
pub fn retry_at(db: &Db<'_>, id: ActionId, next_at: Timestamp, error: &str) -> db::Result<()> {
    let pending = ActionState::Pending.sql();
    db.execute(
        &format!(
            "UPDATE outbox SET state = {pending}, next_at = ?2, last_error = ?3 WHERE id = ?1"
        ),
        args![id, next_at, redact(error)],
    )?;
    Ok(())
}

/// Puts an action whose first steps are done back in the queue for the rest, due at
/// `next_at`, without an error: it is progress, not a failure.
pub fn requeue(db: &Db<'_>, id: ActionId, next_at: Timestamp) -> db::Result<()> {
    let pending = ActionState::Pending.sql();
    db.execute(
        &format!(
            "UPDATE outbox SET state = {pending}, next_at = ?2, last_error = NULL WHERE id = ?1"
        ),
        args![id, next_at],
    )?;
    Ok(())
}

/// Dead-letters the action.
pub fn kill(db: &Db<'_>, id: ActionId, now: Timestamp, error: &str) -> db::Result<()> {
    let dead = ActionState::Dead.sql();
    db.execute(
        &format!("UPDATE outbox SET state = {dead}, done_at = ?2, last_error = ?3 WHERE id = ?1"),
        args![id, now, redact(error)],
    )?;
    Ok(())
}

/// Counts of actions per state for `pipeline`, in the order of the states' names.
pub fn by_state(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<(ActionState, u64)>> {
    db.query(
        "SELECT state, count(*) FROM outbox WHERE pipeline = ?1 GROUP BY state ORDER BY state",
        args![pipeline],
        |r| Ok((r.get(0)?, r.get::<i64>(1)? as u64)),
    )
}

/// [`by_state`], each state by its name (as reports print them).
pub fn counts(db: &Db<'_>, pipeline: &str) -> db::Result<Vec<(String, u64)>> {
    Ok(by_state(db, pipeline)?
        .into_iter()
        .map(|(state, n)| (state.as_str().to_owned(), n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_listed_by_name_and_read_back() {
        let names: Vec<&str> = ActionState::ALL.iter().map(|s| s.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for state in ActionState::ALL {
            assert_eq!(ActionState::parse(state.as_str()), Some(state));
        }
        assert_eq!(
            ActionState::sql_list(&ActionState::FINISHED),
            "'done', 'dead'"
        );
    }

    #[test]
    fn steps_keep_the_bits_of_steps_done() {
        let steps = Steps::of(Step::Notes).with(Step::Attach);
        assert_eq!(steps, Steps(6));
        assert!(steps.contains(Step::Attach) && !steps.contains(Step::Reopen));
        assert!(steps.contains_all(Steps::of(Step::Notes)));
        assert!(!Steps::of(Step::Notes).contains_all(steps));
        assert_eq!(
            [Step::Reopen, Step::Notes].into_iter().collect::<Steps>(),
            Steps(3)
        );
    }
}
