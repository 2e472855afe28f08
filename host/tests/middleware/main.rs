//! The middleware, table-driven on a controlled clock: rules, flood suppression,
//! consolidation, update and reopen, correlation, mapping, delivery and recovery.
//!
//! ```text
//!  harness ──queue──► state store ◄──step()── Engine ──deliver──► MemorySink
//!     │                                         │ fetch/poll
//!     └── ManualClock (advance, never sleep) ───┘──────────────► MemorySource
//! ```
//!
//! This binary keeps each test's store in a SQLite file; `middleware_postgres` runs the same
//! tests with the store on PostgreSQL.

/// Where the suite's stores live.
const BACKEND: support::Backend = support::Backend::Sqlite;

mod delivery;
mod intake;
mod soak;
mod support;
mod suppression;
