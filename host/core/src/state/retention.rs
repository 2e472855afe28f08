//! Pruning: finished history is kept within the vendor add-on's limits (a count and an age),
//! correlation history as long as the correlation interval, seen record ids as configured.

use std::time::Duration;

use super::db::{self, args, Db};

use super::alerts::AlertStatus;
use super::outbox::ActionState;
use crate::time::Timestamp;

/// What to keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Finished alerts kept at most.
    pub alerts: usize,
    /// Finished alerts older than this go.
    pub alert_age: Duration,
    /// Finished ticket actions kept at most.
    pub actions: usize,
    /// Finished ticket actions older than this go.
    pub action_age: Duration,
    /// Tickets whose last alert is older than this go, unless work is pending on them.
    pub ticket_age: Duration,
    /// Seen record ids older than this go.
    pub seen_age: Duration,
    /// Events kept at most.
    pub events: usize,
    /// Alerts deleted at most in one pass: a pass is one transaction, and a response action
    /// waits for its write lock, so after a flood the backlog goes in several short passes.
    pub alerts_per_pass: usize,
}

/// Rows removed by one pruning pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Alerts.
    pub alerts: usize,
    /// Ticket actions.
    pub actions: usize,
    /// Tickets.
    pub tickets: usize,
    /// Seen record ids.
    pub seen: usize,
    /// Whether finished alerts beyond this pass's share remain.
    pub more: bool,
}

/// Prunes `pipeline`'s finished history as of `now`.
pub fn prune(db: &Db<'_>, pipeline: &str, now: Timestamp, limits: &Limits) -> db::Result<Pruned> {
    let per_pass = limits.alerts_per_pass.max(1);
    let alerts = prune_alerts(db, pipeline, now, limits, per_pass)?;
    let finished = ActionState::sql_list(&ActionState::FINISHED);
    let unfinished = ActionState::sql_list(&ActionState::UNFINISHED);
    // A finished action goes only once no alert refers to it any more.
    let actions = db.execute(&format!(
            "DELETE FROM outbox WHERE pipeline = ?1 AND state IN ({finished}) AND (done_at < ?2 OR id <= \
             (SELECT id FROM outbox WHERE pipeline = ?1 AND state IN ({finished}) ORDER BY id DESC LIMIT 1 OFFSET ?3)) \
             AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.outbox_id = outbox.id)"
        ), args![pipeline, now - limits.action_age, limits.actions as i64])?;
    let tickets = db.execute(&format!(
            "DELETE FROM tickets WHERE pipeline = ?1 AND last_alert_at < ?2 AND collecting_outbox_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = tickets.id AND o.state IN ({unfinished})) \
             AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.ticket_id = tickets.id) \
             AND NOT EXISTS (SELECT 1 FROM flood_windows f WHERE f.flood_ticket_id = tickets.id)"
        ), args![pipeline, now - limits.ticket_age])?;
    let seen = db.execute(
        "DELETE FROM seen_records WHERE pipeline = ?1 AND seen_at < ?2",
        args![pipeline, now - limits.seen_age],
    )?;
    db.execute(
        "DELETE FROM events WHERE pipeline = ?1 AND id <= \
         (SELECT id FROM events WHERE pipeline = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        args![pipeline, limits.events as i64],
    )?;
    Ok(Pruned {
        more: alerts.finished >= per_pass,
        alerts: alerts.finished + alerts.ignored,
        actions,
        tickets,
        seen,
    })
}

/// Alerts removed by one pass.
struct PrunedAlerts {
    /// Of finished ticket actions (at most the pass's share).
    finished: usize,
    /// Ignored ones.
    ignored: usize,
}

/// Removes finished and ignored alerts, finished ones at most `per_pass`.
fn prune_alerts(
    db: &Db<'_>,
    pipeline: &str,
    now: Timestamp,
    limits: &Limits,
    per_pass: usize,
) -> db::Result<PrunedAlerts> {
    // An alert is finished when the ticket action it belongs to is; found through the outbox
    // index, so a pass costs what it deletes, not the size of the queue. The count limit keeps
    // the newest alerts, as the vendor add-on evicts the oldest requests first.
    // The newest are found by counting, not by id arithmetic: ids have gaps (on PostgreSQL, a
    // conflicting insert, a retried response action, takes a number too).
    // The ids are collected first and deleted in id order, so each page of the table is
    // rewritten once; in index order, ticket by ticket, a flood's pages were visited again
    // for every ticket its alerts interleave with.
    let finished_states = ActionState::sql_list(&ActionState::FINISHED);
    let ignored_status = AlertStatus::Ignored.sql();
    let old = now - limits.alert_age;
    let finished = db.execute(&format!(
            "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE outbox_id IS NOT NULL \
             AND outbox_id IN (SELECT id FROM outbox WHERE pipeline = ?1 AND state IN ({finished_states})) \
             AND (received_at < ?2 OR id <= (SELECT id FROM alerts WHERE pipeline = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?3)) \
             ORDER BY id LIMIT ?4)"
        ), args![pipeline, old, limits.alerts as i64, per_pass as i64])?;
    let ignored = db.execute(&format!(
            "DELETE FROM alerts WHERE pipeline = ?1 AND status = {ignored_status} AND received_at < ?2"
        ), args![pipeline, old])?;
    Ok(PrunedAlerts { finished, ignored })
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::state::{Durability, Store};

    /// A store with `n` finished alerts of pipeline `p`, all on one done open.
    fn finished(n: i64) -> (tempfile::TempDir, Store) {
        finished_numbered(n, 1)
    }

    /// [`finished`], the alerts' ids `step` apart (PostgreSQL's sequence skips the numbers
    /// of rows that conflicted or were rolled back).
    fn finished_numbered(n: i64, step: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state.db"), Durability::Normal).unwrap();
        store
            .write(|tx| {
                tx.execute("INSERT INTO tickets (id, pipeline, kind, suppression_key, alert_name, \
                     correlation_id, created_at, last_alert_at) \
                     VALUES (1, 'p', 'alert', 'k', 'A', 'c', 0, 0)", args![])?;
                tx.execute("INSERT INTO outbox (id, pipeline, ticket_id, kind, state, created_at, next_at) \
                     VALUES (1, 'p', 1, 'open', 'done', 0, 0)", args![])?;
                for i in 0..n {
                    tx.execute("INSERT INTO alerts (id, pipeline, dedupe_key, origin, alert_name, received_at, \
                         status, ticket_id, outbox_id) VALUES (?2, 'p', ?1, 'poll', 'A', 0, 'decided', 1, 1)", args![format!("d{i}"), (i + 1) * step])?;
                }
                Ok(())
            })
            .unwrap();
        (dir, store)
    }

    fn limits(alerts_per_pass: usize) -> Limits {
        Limits {
            alerts: 10,
            alert_age: Duration::from_millis(i64::MAX as u64 / 4),
            actions: 1000,
            action_age: Duration::from_millis(i64::MAX as u64 / 4),
            ticket_age: Duration::from_millis(i64::MAX as u64 / 4),
            seen_age: Duration::from_millis(i64::MAX as u64 / 4),
            events: 1000,
            alerts_per_pass,
        }
    }

    fn count(store: &Store) -> i64 {
        store
            .sqlite()
            .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_backlog_goes_in_bounded_passes_oldest_first_down_to_the_limit() {
        let (_dir, mut store) = finished(250);
        let mut passes = 0;
        loop {
            let pruned = store
                .write(|tx| prune(tx, "p", Timestamp::EPOCH, &limits(100)))
                .unwrap();
            passes += 1;
            assert!(pruned.alerts <= 100, "{pruned:?}");
            if !pruned.more {
                break;
            }
        }
        assert_eq!(passes, 3, "100 + 100 + 40 of the 240 beyond the limit");
        assert_eq!(count(&store), 10);
        let oldest: i64 = store
            .sqlite()
            .query_row("SELECT min(id) FROM alerts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(oldest, 241, "the newest ten are kept");
        assert_eq!(store.integrity_check(), Ok(()));
    }

    /// A site quiet for longer than tickets are kept has its tickets pruned, the newest too:
    /// the next ticket must not get an old one's id, which is in its correlation id (an
    /// unconfirmed create is looked up by it, and would find the old incident).
    #[test]
    fn a_ticket_id_is_never_given_again_after_its_ticket_was_pruned() {
        use crate::state::tickets::{self, NewTicket, TicketKind};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("state.db"), Durability::Normal).unwrap();
        let new = |at: i64| NewTicket {
            pipeline: "p",
            suppression_key: "k",
            kind: TicketKind::Alert,
            alert_name: "A",
            correlation_prefix: "sluice-test-p-",
            at: Timestamp::from_millis(at),
        };
        let first = store.write(|tx| tickets::insert(tx, &new(0))).unwrap();
        let later = Timestamp::from_millis(10_000);
        let limits = Limits {
            ticket_age: Duration::from_millis(1_000),
            ..limits(100)
        };
        let pruned = store.write(|tx| prune(tx, "p", later, &limits)).unwrap();
        assert_eq!(pruned.tickets, 1, "{pruned:?}");
        let second = store.write(|tx| tickets::insert(tx, &new(10_000))).unwrap();
        assert!(second.id > first.id, "{second:?} after {first:?}");
        assert_ne!(second.correlation_id, first.correlation_id);
    }

    /// The count limit keeps that many alerts, the newest, however far apart their ids are.
    #[test]
    fn the_newest_alerts_are_kept_by_count_whatever_their_ids() {
        let (_dir, mut store) = finished_numbered(50, 3);
        while store
            .write(|tx| prune(tx, "p", Timestamp::EPOCH, &limits(100)))
            .unwrap()
            .more
        {}
        assert_eq!(count(&store), 10, "the limit is 10");
        let oldest: i64 = store
            .sqlite()
            .query_row("SELECT min(id) FROM alerts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(oldest, 41 * 3, "the newest ten are kept");
    }
}
