//! Which host delivers from a shared store. Several hosts may keep their store in one
//! PostgreSQL database; each accepts response actions, but only the holder of the delivery
//! lease polls and delivers. The lease is one row, timed by the database's clock (the hosts'
//! clocks need not agree), and carries an epoch that goes up at every change of holder: each
//! delivering transaction first checks that the lease still has the epoch its host was given
//! ([`fence_query`]) and holds the row while it commits, so a host that was paused or cut off
//! past its lease commits nothing once another has taken over.

use std::time::Duration;

use super::db::{self, args, Db, DbError, Row};
use crate::time::Timestamp;

/// The lease's row.
const NAME: &str = "delivery";

/// The database's clock, ms since 1970.
const NOW_MS: &str = "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)";

/// A change of holder's number: larger than every one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(i64);

impl Epoch {
    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Epoch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The lease as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it: a host's own description (`host db1, process 1234, …`).
    pub holder: String,
    /// Its epoch.
    pub epoch: Epoch,
    /// When its holder took it.
    pub acquired_at: Timestamp,
    /// When its holder last renewed it.
    pub renewed_at: Timestamp,
    /// When it lapses unless renewed.
    pub expires_at: Timestamp,
}

/// The lease and the database's time when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    /// The lease.
    pub lease: Lease,
    /// The database's clock.
    pub now: Timestamp,
}

impl LeaseView {
    /// Whether it is held (not lapsed or released).
    pub fn is_live(&self) -> bool {
        self.lease.expires_at > self.now
    }
}

/// What a host's delivering transactions must find in the lease to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The host.
    pub holder: String,
    /// The epoch it was given.
    pub epoch: Epoch,
}

const COLUMNS: &str = "holder, epoch, acquired_at, renewed_at, expires_at";

fn lease(r: &Row<'_>) -> db::Result<Lease> {
    Ok(Lease {
        holder: r.get(0)?,
        epoch: Epoch(r.get(1)?),
        acquired_at: r.get(2)?,
        renewed_at: r.get(3)?,
        expires_at: r.get(4)?,
    })
}

fn millis(length: Duration) -> i64 {
    i64::try_from(length.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Takes the lease for `holder` for `length` if it is free (never taken, lapsed or
/// released), with the next epoch; `None` when another host holds it.
pub fn try_acquire(db: &Db<'_>, holder: &str, length: Duration) -> db::Result<Option<Lease>> {
    db.query_opt(
        &format!(
            "INSERT INTO lease (name, holder, epoch, acquired_at, renewed_at, expires_at) \
             VALUES (?1, ?2, 1, {NOW_MS}, {NOW_MS}, {NOW_MS} + ?3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             epoch = lease.epoch + 1, acquired_at = excluded.acquired_at, \
             renewed_at = excluded.renewed_at, expires_at = excluded.expires_at \
             WHERE lease.expires_at <= excluded.acquired_at \
             RETURNING {COLUMNS}"
        ),
        args![NAME, holder, millis(length)],
        lease,
    )
}

/// Extends `fence`'s lease by `length` from now; `None` when it is no longer its holder's
/// (another host took it over). A lease that lapsed but was not taken over is extended: no
/// other host delivered meanwhile, since taking it would have changed its epoch.
pub fn renew(db: &Db<'_>, fence: &Fence, length: Duration) -> db::Result<Option<Lease>> {
    db.query_opt(
        &format!(
            "UPDATE lease SET renewed_at = {NOW_MS}, expires_at = {NOW_MS} + ?4 \
             WHERE name = ?1 AND holder = ?2 AND epoch = ?3 RETURNING {COLUMNS}"
        ),
        args![NAME, fence.holder, fence.epoch.get(), millis(length)],
        lease,
    )
}

/// Gives the lease up at once (a clean stop), so that a standby takes it at its next try
/// instead of when it lapses. `false` when it was not `fence`'s any more.
pub fn release(db: &Db<'_>, fence: &Fence) -> db::Result<bool> {
    Ok(db.execute(
        "UPDATE lease SET expires_at = 0 WHERE name = ?1 AND holder = ?2 AND epoch = ?3",
        args![NAME, fence.holder, fence.epoch.get()],
    )? == 1)
}

/// The lease now, with the database's time; `None` if no host ever took it.
pub fn current(db: &Db<'_>) -> db::Result<Option<LeaseView>> {
    db.query_opt(
        &format!("SELECT {COLUMNS}, {NOW_MS} FROM lease WHERE name = ?1"),
        args![NAME],
        |r| {
            Ok(LeaseView {
                lease: lease(r)?,
                now: r.get(5)?,
            })
        },
    )
}

/// The query a fenced transaction starts with: a row when the lease still has `fence`'s
/// holder and epoch, which it then holds until the transaction ends, so that no other host can
/// take the lease over before this transaction has committed. With no row, the transaction
/// fails ([`fenced`]). Its values are written into the text: it goes with `BEGIN` in one
/// round trip, through PostgreSQL's simple protocol, which takes no parameters.
pub(super) fn fence_query(fence: &Fence) -> String {
    format!(
        "SELECT 1 FROM lease WHERE name = {} AND holder = {} AND epoch = {} FOR SHARE",
        db::postgres_literal(NAME),
        db::postgres_literal(&fence.holder),
        fence.epoch.get()
    )
}

/// The error of a transaction whose [`fence_query`] found no row.
pub(super) fn fenced(fence: &Fence) -> DbError {
    DbError::Fenced {
        epoch: fence.epoch.get(),
    }
}
