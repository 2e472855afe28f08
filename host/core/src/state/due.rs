//! What a pipeline has stored for later, read in one statement: its engine asks after every
//! step when to step next, and on PostgreSQL each statement is a round trip.

use super::db::{self, args, Db};
use super::{alerts, outbox};
use crate::time::Timestamp;

/// A pipeline's stored work, as one read saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredWork {
    /// An alert waits to be decided.
    pub ready: bool,
    /// When the next queued alert's record is to be fetched.
    pub fetch_at: Option<Timestamp>,
    /// When the next collecting update is flushed.
    pub flush_at: Option<Timestamp>,
    /// When the next pending ticket action falls due.
    pub action_at: Option<Timestamp>,
}

/// `pipeline`'s stored work.
pub fn stored_work(db: &Db<'_>, pipeline: &str) -> db::Result<StoredWork> {
    let sql = format!(
        "SELECT ({}), ({}), ({}), ({})",
        alerts::any_ready_sql(),
        alerts::next_fetch_sql(),
        outbox::next_flush_sql(),
        outbox::next_due_sql()
    );
    db.query_one(&sql, args![pipeline], |r| {
        Ok(StoredWork {
            ready: r.get(0)?,
            fetch_at: r.get(1)?,
            flush_at: r.get(2)?,
            action_at: r.get(3)?,
        })
    })
}
