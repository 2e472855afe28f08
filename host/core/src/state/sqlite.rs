//! The store in one SQLite file: opening it as every connection of sluice does.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::Durability;

/// The most memory a connection's page cache takes, KiB.
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// How long a connection waits for another's lock before it fails.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the file at `path` (created if needed), in WAL mode, set up as every
/// connection of sluice is: waiting for other writers' locks, syncing as `durability` says,
/// with foreign keys enforced and a large page cache.
pub(super) fn connect(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Several processes write (the daemon, `alert-response`): wait for the lock instead of
    // failing.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Turning a new file to WAL needs it to itself, and SQLite does not wait for that: a
    // second process creating the store at the same moment gets "database is locked".
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            result => break result?,
        }
    }
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLite's own page cache (2 MB by default) holds the hot part of the queue tables and
    // their indexes; past it every page is a read from the operating system's cache.
    conn.pragma_update(None, "cache_size", -(PAGE_CACHE_KIB as i64))?;
    Ok(conn)
}

/// SQLite's busy handler: `attempt` counts from 0; sleep a millisecond and try again, until
/// about [`BUSY_TIMEOUT`] has passed.
pub(super) fn wait_for_lock(attempt: i32) -> bool {
    if attempt as u128 >= BUSY_TIMEOUT.as_millis() {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}
