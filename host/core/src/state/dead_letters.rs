//! Dead letters: ticket actions the host gave up on (after `delivery.give_up_after`) or the
//! sink refused for good, read for `sluice dead-letters`, and put back in the queue by hand
//! once what stopped them is fixed.
//!
//! A dead letter keeps its alerts: they are counted as given up on until it is requeued. An
//! update whose alerts were already sent to a new ticket (its ticket refused updates) carries
//! none, and there is nothing to requeue.

use super::db::{self, args, Db};

use super::ids::ActionId;
use super::outbox::{self, ActionState, OutboxKind, OutboxRow};
use super::tickets::{self, TicketRow};
use crate::time::Timestamp;

/// A ticket action given up on, with its ticket and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The pipeline.
    pub pipeline: String,
    /// The action as stored.
    pub action: OutboxRow,
    /// The ticket it acts on.
    pub ticket: TicketRow,
    /// When it was given up on.
    pub given_up_at: Option<Timestamp>,
    /// The alerts it carries.
    pub alerts: u64,
}

impl DeadLetter {
    /// `open` or `update`, as lists show it.
    pub fn kind(&self) -> &'static str {
        match self.action.kind {
            OutboxKind::Open => "open",
            OutboxKind::Update => "update",
        }
    }
}

/// Why a dead letter could not be requeued.
#[derive(Debug, thiserror::Error)]
pub enum RequeueError {
    /// No ticket action has that id.
    #[error("there is no ticket action {0} in the state store; `sluice dead-letters list` lists the dead letters and their ids")]
    NotFound(ActionId),
    /// The action is not dead.
    #[error("ticket action {id} is not a dead letter: it is {}; only a dead letter can be requeued", state.as_str())]
    NotDead {
        /// The action.
        id: ActionId,
        /// Its state.
        state: ActionState,
    },
    /// The action's alerts already went to another ticket.
    #[error("ticket action {0} carries no alert any more: its alerts were already sent to a new ticket, so there is nothing to requeue")]
    NoAlerts(ActionId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] db::DbError),
}

/// The dead letters of `pipeline` (of every pipeline with `None`), newest first, at most
/// `limit`.
pub fn list(db: &Db<'_>, pipeline: Option<&str>, limit: usize) -> db::Result<Vec<DeadLetter>> {
    let dead = ActionState::Dead.sql();
    let ids: Vec<ActionId> = db.query(
        &format!(
            "SELECT id FROM outbox WHERE state = {dead} AND (?1 IS NULL OR pipeline = ?1) \
             ORDER BY id DESC LIMIT ?2"
        ),
        args![pipeline, limit as i64],
        |r| r.get(0),
    )?;
    let mut letters = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(letter) = get(db, id)? {
            letters.push(letter);
        }
    }
    Ok(letters)
}

/// How many dead letters of `pipeline` still carry alerts: alerts that reached no ticket
/// (a dead update whose alerts went to a new ticket is not counted).
pub fn count(db: &Db<'_>, pipeline: &str) -> db::Result<u64> {
    let dead = ActionState::Dead.sql();
    db.query_one(
        &format!(
            "SELECT count(*) FROM outbox o WHERE o.pipeline = ?1 AND o.state = {dead} \
         AND EXISTS (SELECT 1 FROM alerts a WHERE a.outbox_id = o.id)"
        ),
        args![pipeline],
        |r| Ok(r.get::<i64>(0)? as u64),
    )
}

/// The ticket action `id` with its ticket, if it exists and is dead.
pub fn get(db: &Db<'_>, id: ActionId) -> db::Result<Option<DeadLetter>> {
    let Some(action) = outbox::get(db, id)? else {
        return Ok(None);
    };
    if action.state != ActionState::Dead {
        return Ok(None);
    }
    let Some(ticket) = tickets::get(db, action.ticket_id)? else {
        return Ok(None);
    };
    let (pipeline, given_up_at, alerts): (String, Option<Timestamp>, i64) = db.query_one(
        "SELECT pipeline, done_at, (SELECT count(*) FROM alerts WHERE outbox_id = ?1) \
             FROM outbox WHERE id = ?1",
        args![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(Some(DeadLetter {
        pipeline,
        action,
        ticket,
        given_up_at,
        alerts: alerts as u64,
    }))
}

/// Puts dead letter `id` back in the queue, due at `now`. The time of its first attempt
/// starts afresh, so `give_up_after` counts from its next attempt; its attempts are kept, so
/// an open that was ever sent is looked up by its correlation id before it is sent again (a
/// create that reached the sink is adopted, never made twice). A refused open makes its
/// ticket usable again. Returns the letter as it was.
///
/// # Errors
///
/// There is no such action, it is not dead, or it carries no alert; or the store failed.
pub fn requeue(db: &Db<'_>, id: ActionId, now: Timestamp) -> Result<DeadLetter, RequeueError> {
    let letter = match get(db, id)? {
        Some(letter) => letter,
        None => {
            return Err(match outbox::get(db, id)? {
                Some(row) => RequeueError::NotDead {
                    id,
                    state: row.state,
                },
                None => RequeueError::NotFound(id),
            })
        }
    };
    if letter.alerts == 0 {
        return Err(RequeueError::NoAlerts(id));
    }
    let (dead, pending) = (ActionState::Dead.sql(), ActionState::Pending.sql());
    db.execute(
        &format!(
            "UPDATE outbox SET state = {pending}, next_at = ?2, first_attempt_at = NULL, \
         done_at = NULL, last_error = NULL \
         WHERE id = ?1 AND state = {dead}"
        ),
        args![id, now],
    )?;
    if letter.action.kind == OutboxKind::Open {
        db.execute(
            "UPDATE tickets SET usable = 1 WHERE id = ?1",
            args![letter.ticket.id],
        )?;
    }
    Ok(letter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::alerts::{self, Decided, NewAlert, Origin};
    use crate::state::outbox::NewAction;
    use crate::state::tickets::{NewTicket, TicketKind};
    use crate::state::{Durability, Store};

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    /// A store with one ticket whose open carries one alert, killed at 50.
    fn store_with_dead_open() -> (tempfile::TempDir, Store, ActionId) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), Durability::Normal).unwrap();
        let id = store
            .write(|tx| {
                let ticket = tickets::insert(
                    tx,
                    &NewTicket {
                        pipeline: "p",
                        suppression_key: "Locked",
                        kind: TicketKind::Alert,
                        alert_name: "Locked",
                        correlation_prefix: "sluice-x-p-",
                        at: at(10),
                    },
                )?;
                let action = outbox::insert(tx, &NewAction::open("p", ticket.id, None, at(10)))?;
                let alert = NewAlert {
                    pipeline: "p",
                    dedupe_key: "a1".to_owned(),
                    origin: Origin::ResponseAction,
                    alert_name: "Locked",
                    auditor_alert_id: Some("1"),
                    record_id: Some("r1"),
                    received_at: at(10),
                    record: None,
                    extra_records: None,
                };
                let decided = Decided {
                    suppression_key: "Locked",
                    ticket: ticket.id,
                    action,
                    decision: "open",
                    at: at(10),
                };
                alerts::insert_all_decided(tx, &[(alert, decided)])?;
                outbox::start_all(tx, &[action], at(20))?;
                outbox::kill(tx, action, at(50), "gave up after 1 attempts: HTTP 500")?;
                tickets::set_unusable(tx, ticket.id)?;
                Ok(action)
            })
            .unwrap();
        (dir, store, id)
    }

    #[test]
    fn a_dead_letter_is_listed_and_requeued_afresh() {
        let (_dir, mut store, id) = store_with_dead_open();
        let listed = list(&store.db(), Some("p"), 10).unwrap();
        assert_eq!(listed.len(), 1);
        let letter = &listed[0];
        assert_eq!(
            (letter.action.id, letter.alerts, letter.kind()),
            (id, 1, "open")
        );
        assert_eq!(letter.given_up_at, Some(at(50)));
        assert!(letter
            .action
            .last_error
            .as_deref()
            .unwrap()
            .contains("HTTP 500"));
        assert!(list(&store.db(), Some("other"), 10).unwrap().is_empty());
        assert_eq!(count(&store.db(), "p").unwrap(), 1);

        store
            .write(|tx| Ok(requeue(tx, id, at(100)).map(drop)))
            .unwrap()
            .unwrap();
        let row = outbox::get(&store.db(), id).unwrap().unwrap();
        assert_eq!(row.state, ActionState::Pending);
        assert_eq!(
            (row.attempts, row.first_attempt_at),
            (1, None),
            "attempts kept: the open is looked up before it is sent again"
        );
        assert_eq!((row.next_at, row.last_error), (at(100), None));
        assert!(
            tickets::get(&store.db(), row.ticket_id)
                .unwrap()
                .unwrap()
                .usable
        );
        assert_eq!(count(&store.db(), "p").unwrap(), 0);
        let due = outbox::due(&store.db(), "p", at(100), 10).unwrap();
        assert_eq!(due.len(), 1, "the requeued open is due at once");

        let again = store.write(|tx| Ok(requeue(tx, id, at(100)))).unwrap();
        assert!(
            matches!(
                again,
                Err(RequeueError::NotDead {
                    state: ActionState::Pending,
                    ..
                })
            ),
            "{again:?}"
        );
        let missing = store
            .write(|tx| Ok(requeue(tx, ActionId::new(99), at(100))))
            .unwrap();
        assert!(
            matches!(missing, Err(RequeueError::NotFound(_))),
            "{missing:?}"
        );
    }

    #[test]
    fn a_dead_letter_whose_alerts_moved_on_is_not_requeued() {
        let (_dir, mut store, id) = store_with_dead_open();
        store
            .write(|tx| alerts::redecide_outbox(tx, id).map(drop))
            .unwrap();
        let result = store.write(|tx| Ok(requeue(tx, id, at(100)))).unwrap();
        let err = result.unwrap_err().to_string();
        assert!(err.contains("carries no alert any more"), "{err}");
        assert_eq!(
            outbox::get(&store.db(), id).unwrap().unwrap().state,
            ActionState::Dead
        );
    }
}
